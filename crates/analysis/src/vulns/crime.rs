//! CRIME: TLS compression (CVE-2012-4929).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn crime(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    match acc.report.features.compression {
        Some(true) => vulnerable("the server accepted DEFLATE compression in the ServerHello"),
        Some(false) => safe("offered DEFLATE compression; the server chose none (null)"),
        None if !acc.legacy => {
            acc.tls13_only("the server speaks only TLS 1.3, which has no compression")
        }
        None => untested("the compression probe got no ServerHello"),
    }
}
