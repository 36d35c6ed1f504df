//! TLS_FALLBACK_SCSV (RFC 7507).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry); the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::FallbackScsv,
    explanation: "Missing TLS_FALLBACK_SCSV (RFC 7507): browsers that retry a failed handshake with an older protocol version mark the retry with this signal; a server that ignores it lets a man in the middle provoke such retries and downgrade the connection to the weakest version both sides speak (the POODLE and BEAST prerequisite).",
    fix: "Upgrade the TLS library (OpenSSL 1.0.1j and later honour the SCSV), and disable old versions so that there is nothing weak to fall back to:\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2",
    grade_cap: None,
    judge,
    plan: Plan::None,
};

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let obs = acc.obs;
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let supported: Vec<&str> = acc
        .report
        .protocols
        .iter()
        .filter(|(n, p)| *n != "ssl2" && p.is_supported())
        .map(|(n, _)| n)
        .collect();
    match acc.report.features.fallback_scsv {
        Some(true) => safe("a hello below the newest version with TLS_FALLBACK_SCSV got alert inappropriate_fallback (RFC 7507)"),
        Some(false) => vulnerable(format!(
            "a hello below the newest version with TLS_FALLBACK_SCSV was answered with a ServerHello instead of inappropriate_fallback (versions: {})",
            supported.join(", ")
        )),
        None if supported.len() < 2 => match acc.gaps(&ALL_NAMES[1..]) {
            Some(gap) => untested(format!(
                "one protocol version was seen ({}), but the scan is incomplete: {gap}",
                supported.join(", ")
            )),
            None => safe(format!(
                "the server speaks one protocol version only ({}): there is nothing to fall back to",
                supported.join(", ")
            )),
        },
        None => {
            let got = obs
                .probe(&Purpose::Feature {
                    name: "fallback_scsv".into(),
                })
                .and_then(|p| p.flight.as_ref())
                .map(no_hello)
                .unwrap_or_else(|| "the probe did not run".into());
            untested(format!("the fallback hello got neither a ServerHello nor inappropriate_fallback ({got})"))
        }
    }
}
