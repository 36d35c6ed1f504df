//! RC4 (RFC 7465).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn rc4(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let mut found = acc.matching(|_, i| i.enc == Encryption::Rc4);
    found.extend(
        acc.ssl2
            .iter()
            .filter(|s| s.contains("RC4"))
            .map(|s| format!("ssl2: {s}")),
    );
    if found.is_empty() {
        return acc.none_accepted(ALL_NAMES, "no RC4 suite is accepted");
    }
    vulnerable(format!("RC4 suites are accepted: {}", list(&found)))
}
