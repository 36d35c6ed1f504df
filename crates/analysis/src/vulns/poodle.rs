//! POODLE over SSL 3.0 (CVE-2014-3566).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn poodle(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let ssl3 = &acc.report.protocols.ssl3;
    if ssl3.is_unknown() {
        return untested(format!("SSL 3.0 support is unknown ({})", ssl3.evidence));
    }
    if ssl3.is_refused() {
        return safe(format!("SSL 3.0 is not supported ({})", ssl3.evidence));
    }
    let cbc = acc.matching(|p, i| p == "ssl3" && is_cbc(i));
    if cbc.is_empty() {
        return acc.none_accepted(
            &["ssl3"],
            "SSL 3.0 is supported, but with no CBC suite (see rc4)",
        );
    }
    vulnerable(format!(
        "SSL 3.0 is supported with CBC suites: {}",
        list(&cbc)
    ))
}
