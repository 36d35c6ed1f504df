//! The "Vulnerabilities" section of the scan report: one line per check
//! (verdict and evidence), and for each finding the first line of its fix.
//! The full explanation and fix are in the JSON and in docs/vulnerabilities.md.

use std::fmt::Write as _;

use model::{VulnStatus, Vulnerabilities};

use super::{clean, Style};

/// Appends the section.
pub(crate) fn section(out: &mut String, style: Style, v: &Vulnerabilities) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.bold("Vulnerabilities"));
    for (name, check) in v.iter() {
        let verdict = match check.status {
            VulnStatus::Vulnerable => style.red("VULNERABLE    "),
            VulnStatus::NotVulnerable => style.green("not vulnerable"),
            VulnStatus::PotentiallyVulnerable => style.yellow("potentially   "),
            VulnStatus::NotTested => style.dim("not tested    "),
        };
        let _ = writeln!(
            out,
            "  {name:<23} {verdict}  {}",
            style.dim(&clean(&check.evidence))
        );
        if check.status == VulnStatus::Vulnerable {
            if let Some(first) = check.fix.lines().next() {
                let _ = writeln!(out, "  {:<23} fix: {}", "", clean(first));
            }
        }
        if let Some(settle) = &check.settled_by {
            let _ = writeln!(out, "  {:<23} to settle: {}", "", clean(settle));
        }
    }
}
