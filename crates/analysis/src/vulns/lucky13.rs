//! LUCKY13 (CVE-2013-0169).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn lucky13(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let cbc = acc.matching(|_, i| is_cbc(i));
    if cbc.is_empty() {
        return acc.none_accepted(
            LEGACY_NAMES,
            "no CBC suite is accepted (LUCKY13 needs CBC with MAC-then-encrypt)",
        );
    }
    let etm = match acc.report.features.encrypt_then_mac {
        Some(true) => "; the server negotiates encrypt-then-MAC, which removes the oracle for clients that offer it",
        _ => "",
    };
    potentially(
        format!(
            "heuristic, not a timing measurement: CBC suites are accepted ({}); current OpenSSL, GnuTLS, BoringSSL, NSS and SChannel decrypt CBC in constant time and are not affected, only an unpatched implementation is{etm}",
            list(&cbc)
        ),
        "the server's TLS library and version (patched since 2013: OpenSSL 1.0.1e, GnuTLS 3.1.7, NSS 3.14.3), or a statistical timing measurement from a host next to the server; removing the CBC suites settles it for good",
    )
}
