//! Insecure renegotiation (CVE-2009-3555).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::InsecureRenegotiation,
    explanation: "Insecure renegotiation (CVE-2009-3555): without RFC 5746 renegotiation_info, a man in the middle can open a connection to the server, send a request of its own, and then splice the victim's handshake into it as a renegotiation; the server treats the attacker's prefix as sent by the authenticated victim.",
    fix: "Upgrade the TLS library (every release since 2010 supports RFC 5746), or disable renegotiation:\n  nginx:   renegotiation is disabled since 1.0.0 (upgrade)\n  Apache:  SSLInsecureRenegotiation off\n  HAProxy: disable renegotiation by upgrading OpenSSL (1.1.0 refuses client renegotiation)",
    grade_cap: Some(GradeCapRule {
        grade: "F",
        what: "insecure renegotiation (CVE-2009-3555): an attacker can inject a prefix into the client's request",
    }),
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
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
