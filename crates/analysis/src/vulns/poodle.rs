//! POODLE over SSL 3.0 (CVE-2014-3566).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::PoodleSsl3,
    explanation: "POODLE (CVE-2014-3566): SSL 3.0 does not check CBC padding bytes, so a man in the middle who can make a browser send many requests (JavaScript on any page) and can force a fallback to SSL 3.0 decrypts a secret such as a cookie one byte per 256 requests.",
    fix: "Disable SSL 3.0:\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2",
    grade_cap: Some(GradeCapRule {
        grade: "C",
        what: "POODLE (CVE-2014-3566): SSL 3.0 with CBC suites",
    }),
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let ssl3 = &acc.report.protocols.ssl3;
    if ssl3.is_unknown() {
        return untested(format!("SSL 3.0 support is unknown ({})", ssl3.evidence));
    }
    if ssl3.is_refused() {
        return safe(format!("SSL 3.0 is not supported ({})", ssl3.evidence));
    }
    let cbc = acc.matching(|p, i| p == "ssl3" && is_cbc(i));
    if cbc.is_empty() {
        return acc.none_accepted(
            &["ssl3"],
            "SSL 3.0 is supported, but with no CBC suite (see rc4)",
        );
    }
    vulnerable(format!(
        "SSL 3.0 is supported with CBC suites: {}",
        list(&cbc)
    ))
}
