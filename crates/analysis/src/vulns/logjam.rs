//! Logjam: export and weak DHE (CVE-2015-4000).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Logjam,
    explanation: "Logjam (CVE-2015-4000): finite-field Diffie-Hellman with export groups (512 bits), small primes, or a 1024-bit prime shared by many servers can be broken: a man in the middle downgrades to export DHE and solves the discrete log in minutes, and a well-funded attacker precomputes a common 1024-bit prime once and then reads every session that used it.",
    fix: "Prefer ECDHE, remove export suites, and give DHE a 2048-bit (or larger) group such as ffdhe2048:\n  nginx:   ssl_dhparam /etc/nginx/ffdhe2048.pem;   (or drop DHE: ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;)\n  Apache:  SSLOpenSSLConfCmd DHParameters /etc/ssl/ffdhe2048.pem\n  HAProxy: ssl-dh-param-file /etc/haproxy/ffdhe2048.pem   (or tune.ssl.default-dh-param 2048)",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let export = acc.matching(|_, i| i.export && i.kx == KeyExchange::Dhe);
    if !export.is_empty() {
        return vulnerable(format!(
            "export DHE suites (512-bit groups) are accepted: {}",
            list(&export)
        ));
    }
    let dhe = acc.matching(|_, i| i.kx == KeyExchange::Dhe);
    let Some(dh) = &acc.report.dh else {
        if dhe.is_empty() {
            return acc.none_accepted(LEGACY_NAMES, "no DHE suite is accepted");
        }
        return untested(format!(
            "DHE suites are accepted ({}) but the DH parameters were not measured",
            list(&dhe)
        ));
    };
    if dh.prime_bits < 1024 {
        return vulnerable(format!(
            "DHE with a {}-bit prime (under 1024 bits)",
            dh.prime_bits
        ));
    }
    if dh.prime_bits <= 1024 {
        if let Some(name) = &dh.well_known {
            return vulnerable(format!(
                "DHE with the common 1024-bit prime {name}, shared by many servers (precomputation breaks it for all of them)"
            ));
        }
        // The prime is observed; "no export DHE suite" needs complete lists.
        return acc.none_accepted(
            LEGACY_NAMES,
            "DHE with a custom 1024-bit prime: not a common prime, but weak (prefer 2048 bits or more); no export DHE suite",
        );
    }
    acc.none_accepted(
        LEGACY_NAMES,
        format!(
            "DHE with a {}-bit prime{}; no export DHE suite",
            dh.prime_bits,
            dh.well_known
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
    )
}
