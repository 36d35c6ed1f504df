//! FREAK: export RSA (CVE-2015-0204).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn freak(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let found = acc.matching(|_, i| i.export && i.kx == KeyExchange::Rsa);
    if found.is_empty() {
        return acc.none_accepted(LEGACY_NAMES, "no export RSA suite is accepted");
    }
    vulnerable(format!("export RSA suites are accepted: {}", list(&found)))
}
