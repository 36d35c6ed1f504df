//! TLS_FALLBACK_SCSV (RFC 7507).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn fallback_scsv(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
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
