//! Client-initiated renegotiation.
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn client_renegotiation(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    if !acc.legacy {
        return acc.tls13_only("the server speaks only TLS 1.3, which has no renegotiation");
    }
    if !acc.supported("tls1_2") {
        return untested("the renegotiation test needs TLS 1.2 (tlsdoctor's own client speaks only TLS 1.2 with ECDHE and AES-128-GCM) and the server does not speak it. Check by hand: `openssl s_client -connect HOST:PORT -tls1_1`, then type R");
    }
    let (_, flight) = match probe_of(obs, acc, "client_renegotiation") {
        Ok(p) => p,
        Err(c) => return c,
    };
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing");
    };
    if let Some(why) = &f.skipped {
        return untested(format!(
            "no TLS 1.2 channel to renegotiate in (tlsdoctor's client offers only ECDHE with AES-128-GCM over x25519 or secp256r1): {why}"
        ));
    }
    if f.established != Some(true) || !f.sent.iter().any(|s| s == "renegotiation_client_hello") {
        return untested(format!(
            "the renegotiation ClientHello was not sent: {}",
            reaction(f)
        ));
    }
    const DONE: &str = "after a complete TLS 1.2 handshake (the server's Finished verified), a ClientHello with renegotiation_info under encryption";
    if f.handshake_after.contains(&2) {
        return vulnerable(format!(
            "{DONE} was answered with a ServerHello: the server accepts client-initiated renegotiation"
        ));
    }
    let refusal = f.alerts.iter().any(|a| {
        a.level == 2
            || a.description == 100 // no_renegotiation
            || a.description == 0
    });
    if refusal || matches!(f.end, model::FlightEnd::Closed) {
        return safe(format!("{DONE} was refused: {}", reaction(f)));
    }
    untested(format!(
        "{DONE} got neither a ServerHello nor a refusal: {}",
        reaction(f)
    ))
}
