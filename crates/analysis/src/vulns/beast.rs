//! BEAST (CVE-2011-3389).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn beast(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let cbc = acc.matching(|p, i| matches!(p, "ssl3" | "tls1_0") && is_cbc(i));
    if !cbc.is_empty() {
        return potentially(
            format!(
                "heuristic: CBC suites at SSL 3.0/TLS 1.0, where the IV of each record is predictable: {}. The attack needs a client that does not split records (1/n-1); every current browser and TLS library does, so only old or unusual clients are exposed",
                list(&cbc)
            ),
            "no server-side probe can: the exposure depends on the clients. It is settled for good by turning off TLS 1.0 and SSL 3.0 (or their CBC suites), after which this check reads not_vulnerable",
        );
    }
    if acc.supported("tls1_0") || acc.supported("ssl3") {
        return acc.none_accepted(
            &["ssl3", "tls1_0"],
            "TLS 1.0/SSL 3.0 are supported, but with no CBC suite",
        );
    }
    acc.none_accepted(
        &["ssl3", "tls1_0"],
        "neither SSL 3.0 nor TLS 1.0 is supported",
    )
}
