//! BEAST (CVE-2011-3389).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Beast,
    explanation: "BEAST (CVE-2011-3389): in SSL 3.0 and TLS 1.0 the IV of each CBC record is the last ciphertext block of the previous one, so an attacker who injects chosen plaintext (script in the victim's browser) and watches the wire guesses a secret such as a cookie block by block. Current browsers split records (1/n-1) and are not affected; old clients and non-browser clients may be.",
    fix: "Disable TLS 1.0 (and SSL 3.0); TLS 1.1 and later use explicit IVs:\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
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
