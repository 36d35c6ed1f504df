//! The diagnosis as a person reads it: the steps of the handshake with a mark
//! each, then the primary diagnosis with evidence and fix, then the rest.

use std::fmt::Write as _;

use model::{Diagnosis, Report, Severity, StepStatus, Verdict};

use super::{clean, Style};

/// Renders a diagnosis report.
pub fn diagnosis(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let ip = report
        .target
        .ip
        .map(|ip| format!(" ({ip})"))
        .unwrap_or_default();
    let sni = match &report.target.sni {
        Some(sni) => format!("SNI {}", clean(sni)),
        None => "no SNI".into(),
    };
    let sni = match &report.target.transport {
        Some(how) => format!("{sni}, {}", clean(how)),
        None => sni,
    };
    let _ = writeln!(
        out,
        "{} {}:{}{} — as client \"{}\", {}",
        style.bold("tlsdoctor diagnose"),
        clean(&report.target.host),
        report.target.port,
        ip,
        report.client,
        sni
    );
    let _ = writeln!(out);
    for step in &report.steps {
        let (mark, colour): (&str, fn(&Style, &str) -> String) = match step.status {
            StepStatus::Ok => ("✔", Style::green),
            StepStatus::Warning => ("!", Style::yellow),
            StepStatus::Failed => ("✘", Style::red),
            StepStatus::NotReached | StepStatus::Skipped => ("·", Style::dim),
            StepStatus::NotTested => ("?", Style::yellow),
        };
        let name = format!("{:<19}", step.step.as_str());
        let detail = clean(&step.detail);
        let line = format!("{mark} {name} {detail}");
        let _ = writeln!(out, "  {}", colour(&style, &line));
    }
    let _ = writeln!(out);

    let headline = match report.verdict {
        Verdict::Ok => style.green("OK: the handshake works for this client."),
        Verdict::Warning => style.yellow("OK, with warnings: the handshake works, but read on."),
        Verdict::Failed => style.red(&format!(
            "FAILED at step {}",
            report.failed_step.map(|s| s.as_str()).unwrap_or("?")
        )),
    };
    let _ = writeln!(out, "{headline}");
    for (i, d) in report.diagnoses.iter().enumerate() {
        let _ = writeln!(out);
        write_diagnosis(&mut out, d, i == 0, style);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        style.dim(&format!(
            "{} connections, {} ms. Codes are documented in docs/diagnoses.md.",
            report.connections, report.elapsed_ms
        ))
    );
    out
}

fn write_diagnosis(out: &mut String, d: &Diagnosis, primary: bool, style: Style) {
    let label = match d.severity {
        Severity::Error => style.red("error"),
        Severity::Warning => style.yellow("warning"),
        Severity::Info => style.dim("note"),
    };
    let which = if primary { "Diagnosis" } else { "Also" };
    let _ = writeln!(
        out,
        "{which} ({label}) {} [step {}]",
        style.bold(d.code.as_str()),
        d.step.as_str()
    );
    for line in wrap(&clean(&d.summary), 78) {
        let _ = writeln!(out, "  {line}");
    }
    if !d.evidence.is_empty() {
        let _ = writeln!(out, "  Evidence:");
        for e in &d.evidence {
            let _ = writeln!(out, "    - {}", clean(e));
        }
    }
    if !d.fix.is_empty() {
        let _ = writeln!(out, "  Fix:");
        for f in &d.fix {
            let text = clean(f);
            if text.starts_with("  ") {
                let _ = writeln!(out, "      {}", text.trim_start());
            } else {
                let _ = writeln!(out, "    - {text}");
            }
        }
    }
}

/// Wraps prose at word boundaries.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
