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

/// `explain FILE.pcap`: each connection that failed (all of them with
/// `--all`) with its ranked diagnoses, the judge's evidence and fix, the
/// captured timeline and the command that confirms it live.
pub fn capture_terminal(
    answer: &analysis::explain::capture::CaptureExplanation,
    style: Style,
) -> String {
    use analysis::explain::capture::Outcome;
    let mut out = String::new();
    if answer.connections.is_empty() {
        let _ = writeln!(out, "No TLS connection in this capture needs explaining.");
    }
    for c in &answer.connections {
        let name = c
            .server_name
            .as_deref()
            .map(|n| format!(" ({})", clean(n)))
            .unwrap_or_default();
        let outcome = match c.outcome {
            Outcome::Completed => style.green("completed"),
            Outcome::Failed => style.red("failed"),
            Outcome::Unknown => style.yellow("unknown"),
        };
        let step = c
            .failed_step
            .map(|s| format!(" at {}", s.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "stream {}: {} → {}{name}",
                c.stream,
                clean(&c.client),
                clean(&c.server)
            ))
        );
        let _ = writeln!(out, "  {outcome}{step}: {}", clean(&c.summary));
        if let Some(version) = &c.version {
            let suite = c.cipher_suite.as_deref().unwrap_or("?");
            let group = c
                .group
                .as_deref()
                .map(|g| format!(", {g}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  negotiated: {version}, {suite}{group}");
        }
        if !c.candidates.is_empty() {
            let best = c.candidates[0].score.max(1);
            let _ = writeln!(out, "  Likely diagnoses (most likely first)");
            for (i, cand) in c.candidates.iter().take(5).enumerate() {
                let side = match cand.side {
                    Side::Server => "server must act",
                    Side::Client => "client must act",
                    Side::Either => "server or client",
                };
                let code = if i == 0 {
                    style.red(cand.code.as_str())
                } else {
                    cand.code.as_str().to_string()
                };
                let _ = writeln!(
                    out,
                    "    {}. {code}  {}  ({side}; {}%)",
                    i + 1,
                    cand.meaning,
                    cand.score * 100 / best
                );
            }
        }
        // The judge's evidence and fix for the leading code, when it judged it.
        let lead = c.candidates.first().map(|x| x.code);
        if let Some(d) = c.report.diagnoses.iter().find(|d| Some(d.code) == lead) {
            for e in d.evidence.iter().take(4) {
                let _ = writeln!(out, "    evidence: {}", clean(e));
            }
            for f in &d.fix {
                let _ = writeln!(out, "    fix: {}", clean(f));
            }
        }
        let _ = writeln!(out, "  Timeline");
        for line in c.facts.timeline.iter().take(24) {
            let _ = writeln!(out, "    {}", clean(line));
        }
        let more =
            c.facts.timeline.len().saturating_sub(24) as u64 + u64::from(c.facts.timeline_dropped);
        if more > 0 {
            let _ = writeln!(out, "    … {more} more events");
        }
        if c.outcome != Outcome::Completed {
            let _ = writeln!(out, "  Confirm: {}", clean(&c.confirm));
        }
        let _ = writeln!(out);
    }
    if answer.omitted > 0 {
        let _ = writeln!(
            out,
            "{} more connection(s) not shown: completed handshakes, connections whose handshake the capture missed, or past the first {} (--all lists every one, --stream N one).",
            answer.omitted,
            answer.connections.len()
        );
    }
    if answer.evicted_streams > 0 {
        let _ = writeln!(
            out,
            "{} stream(s) were too many to follow at once and were not read to their end.",
            answer.evicted_streams
        );
    }
    out
}
