//! Insecure renegotiation (CVE-2009-3555).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn insecure_renegotiation(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    match acc.report.features.secure_renegotiation {
        Some(true) => safe("the ServerHello carries renegotiation_info (RFC 5746 secure renegotiation)"),
        Some(false) => vulnerable("the ServerHello has no renegotiation_info although the hello offered it (and the SCSV): RFC 5746 secure renegotiation is not supported; if the server renegotiates at all, an attacker can splice a prefix into a client's session"),
        None if !acc.legacy => acc.tls13_only("the server speaks only TLS 1.3, which has no renegotiation"),
        None => untested("no TLS ≤ 1.2 ServerHello to read renegotiation_info from"),
    }
}
