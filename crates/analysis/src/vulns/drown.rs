//! DROWN: SSL 2.0 (CVE-2016-0800).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

const DROWN_SCOPE: &str = "the same certificate or RSA key used by another server that speaks SSLv2 also exposes this one; that cross-server check is out of scope";

pub(super) fn drown(acc: &Accepted<'_>) -> VulnCheck {
    let ssl2 = &acc.report.protocols.ssl2;
    if ssl2.is_supported() {
        return vulnerable(format!(
            "SSL 2.0 is supported ({}); {DROWN_SCOPE}",
            list(&acc.ssl2.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ));
    }
    if ssl2.evidence == "not tested" || ssl2.evidence.is_empty() {
        return untested("SSL 2.0 was not tested");
    }
    if ssl2.is_unknown() {
        return untested(format!("SSL 2.0 support is unknown ({})", ssl2.evidence));
    }
    if let Some(c) = acc.unreachable() {
        return c;
    }
    safe(format!(
        "SSL 2.0 is not supported on this port ({}); {DROWN_SCOPE}",
        ssl2.evidence
    ))
}
