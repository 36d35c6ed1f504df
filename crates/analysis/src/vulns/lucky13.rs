//! LUCKY13 (CVE-2013-0169).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Lucky13,
    explanation: "LUCKY13 (CVE-2013-0169): CBC suites authenticate before they encrypt (MAC-then-encrypt), and implementations that take slightly different time for different padding leak plaintext through timing to an attacker on the network path. Fixed libraries are constant-time, so this finding is a heuristic: CBC is accepted, and only the implementation decides whether it leaks.",
    fix: "Prefer AEAD suites (AES-GCM, ChaCha20-Poly1305) and drop CBC where clients allow:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20\nand keep the TLS library current (constant-time CBC, encrypt-then-MAC).",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
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
