//! RC4 (RFC 7465).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Rc4,
    explanation: "RC4 (RFC 7465 forbids it): the RC4 keystream has biases that let an attacker who sees the same secret encrypted in many connections (cookies in millions of requests) recover it; RC4 suites are prohibited in TLS and current clients refuse them.",
    fix: "Remove RC4:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!RC4;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20:!RC4\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!RC4",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
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
