//! CRIME: TLS compression (CVE-2012-4929).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Crime,
    explanation: "CRIME (CVE-2012-4929): with TLS compression, the length of each encrypted record depends on how well secret and attacker-chosen text compress together; an attacker who injects requests and watches record sizes recovers secrets such as session cookies a few requests per byte.",
    fix: "Disable TLS compression (OpenSSL 1.1.0 and later disable it by default; for older builds):\n  nginx:   compression is off since nginx 1.3.2 / 1.2.2 with OpenSSL 1.0\n  Apache:  SSLCompression off\n  HAProxy: built against OpenSSL 1.1.0 or later it never compresses; otherwise upgrade OpenSSL",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
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
