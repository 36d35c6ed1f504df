//! SWEET32: 64-bit block ciphers (CVE-2016-2183).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Sweet32,
    explanation: "SWEET32 (CVE-2016-2183): ciphers with a 64-bit block (3DES, DES, IDEA, RC2) repeat ciphertext blocks after about 2^32 blocks (32 GiB); an attacker who makes a client send that much on one connection (a long-lived HTTPS session with script) recovers secrets such as cookies from the collisions.",
    fix: "Remove 64-bit block ciphers:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!3DES:!DES:!IDEA:!RC2;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20:!3DES\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!3DES",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let mut found = acc.matching(|_, i| {
        matches!(
            i.enc,
            Encryption::TripleDes
                | Encryption::Des
                | Encryption::Idea
                | Encryption::Rc2
                | Encryption::Magma
                | Encryption::Gost
        )
    });
    found.extend(
        acc.ssl2
            .iter()
            .filter(|s| s.contains("DES") || s.contains("RC2") || s.contains("IDEA"))
            .map(|s| format!("ssl2: {s}")),
    );
    if found.is_empty() {
        return acc.none_accepted(
            ALL_NAMES,
            "no suite with a 64-bit block cipher (3DES, DES, IDEA, RC2) is accepted",
        );
    }
    vulnerable(format!(
        "suites with a 64-bit block cipher are accepted: {}",
        list(&found)
    ))
}
