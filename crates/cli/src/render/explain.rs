//! `explain`'s terminal answer: the ranked diagnoses with who must act, what
//! was recognised on which line, and the command that confirms it. Every
//! piece of the input echoed here has its control characters removed.

use std::fmt::Write;

use analysis::explain::{Explanation, Side};

use super::{clean, Style};

/// The answer as text for a terminal.
pub fn terminal(e: &Explanation, style: Style) -> String {
    let mut out = String::new();
    if e.candidates.is_empty() {
        let _ = writeln!(
            out,
            "Nothing in this text is a TLS error tlsdoctor knows.\nRun `{}` to find out what fails.",
            e.confirm
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        style.bold("Likely diagnoses (most likely first)")
    );
    let best = e.candidates[0].score.max(1);
    for (i, c) in e.candidates.iter().take(6).enumerate() {
        let side = match c.side {
            Side::Server => "server must act",
            Side::Client => "client must act",
            Side::Either => "server or client",
        };
        let code = if i == 0 {
            style.red(c.code.as_str())
        } else {
            c.code.as_str().to_string()
        };
        let _ = writeln!(
            out,
            "  {}. {code}  {}  ({side}; {}%)",
            i + 1,
            c.meaning,
            c.score * 100 / best
        );
    }
    let _ = writeln!(out, "\n{}", style.bold("Recognised"));
    for r in e.recognised.iter().take(12) {
        let _ = writeln!(
            out,
            "  line {}: {} — {} {}",
            r.line,
            clean(&r.family),
            clean(&r.meaning),
            style.dim(&format!("(\"{}\")", clean(&r.matched)))
        );
    }
    if e.recognised.len() > 12 {
        let _ = writeln!(out, "  … and {} more", e.recognised.len() - 12);
    }
    let _ = writeln!(out, "\n{}", style.bold("Confirm"));
    let _ = writeln!(out, "  {}", clean(&e.confirm));
    if e.host.is_none() {
        let _ = writeln!(
            out,
            "  (the text names no host: replace HOST with the server's name, and :PORT if not 443)"
        );
    }
    let _ = writeln!(
        out,
        "\nEvery code is explained in docs/diagnoses.md; `tlsdoctor diagnose` shows the evidence and the fix."
    );
    out
}
