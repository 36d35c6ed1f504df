//! DROWN: SSL 2.0 (CVE-2016-0800).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Drown,
    explanation: "DROWN (CVE-2016-0800): a server that speaks SSL 2.0 acts as a Bleichenbacher oracle that decrypts RSA key exchanges; an attacker who recorded a modern TLS session using the same RSA key (on this or any other server sharing the key or certificate) decrypts it with tens of thousands of SSLv2 connections.",
    fix: "Disable SSL 2.0 everywhere the key or certificate is used (web, mail, other ports), and upgrade OpenSSL (1.0.2g / 1.0.1s or later drop SSLv2):\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2\nIf another server must keep SSLv2, give it a different key and certificate.",
    grade_cap: Some(GradeCapRule {
        grade: "F",
        what: "DROWN: SSL 2.0 with this key lets an attacker decrypt TLS sessions",
    }),
    judge,
    plan: Plan::None,
};

const DROWN_SCOPE: &str = "the same certificate or RSA key used by another server that speaks SSLv2 also exposes this one; that cross-server check is out of scope";

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let ssl2 = &acc.report.protocols.ssl2;
    if ssl2.is_supported() {
        return vulnerable(format!(
            "SSL 2.0 is supported ({}); {DROWN_SCOPE}",
            list(&acc.ssl2.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ));
    }
    if ssl2.evidence == "not tested" || ssl2.evidence.is_empty() {
        return untested("SSL 2.0 was not tested");
    }
    if ssl2.is_unknown() {
        return untested(format!("SSL 2.0 support is unknown ({})", ssl2.evidence));
    }
    if let Some(c) = acc.unreachable() {
        return c;
    }
    safe(format!(
        "SSL 2.0 is not supported on this port ({}); {DROWN_SCOPE}",
        ssl2.evidence
    ))
}
