//! FREAK: export RSA (CVE-2015-0204).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Freak,
    explanation: "FREAK (CVE-2015-0204): the server accepts export-grade RSA suites (512-bit temporary RSA keys). A man in the middle downgrades a vulnerable client to such a suite, factors the 512-bit key in hours (once per server restart, the key is reused), and then reads and changes the traffic.",
    fix: "Remove export suites (they are in no current default):\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!EXPORT;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20:!EXP\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!EXPORT\nand upgrade OpenSSL if it still offers them.",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let found = acc.matching(|_, i| i.export && i.kx == KeyExchange::Rsa);
    if found.is_empty() {
        return acc.none_accepted(LEGACY_NAMES, "no export RSA suite is accepted");
    }
    vulnerable(format!("export RSA suites are accepted: {}", list(&found)))
}
