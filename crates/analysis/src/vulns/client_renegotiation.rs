//! Client-initiated renegotiation.
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry), and the probes it needs; the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::ClientRenegotiation,
    explanation: "Client-initiated renegotiation: a server that lets clients start a new handshake inside an existing connection gives them a cheap way to make it do expensive public-key operations over and over (a denial of service), and is needed for insecure-renegotiation attacks.",
    fix: "Refuse client-initiated renegotiation:\n  nginx:   refused since nginx 0.8.23\n  Apache:  refused since 2.2.15 / 2.4 (do not set SSLInsecureRenegotiation on)\n  HAProxy: refused with OpenSSL 1.1.0 or later (SSL_OP_NO_RENEGOTIATION)\nand consider TLS 1.3, which has no renegotiation.",
    grade_cap: None,
    judge,
    plan: Plan::Legacy(plan),
};

/// A renegotiation ClientHello inside a TLS 1.2 connection. tlsdoctor's own
/// TLS 1.2 client runs only ECDHE with AES-128-GCM over x25519 or
/// secp256r1, so the hello offers only those.
fn plan(p: &Planning<'_>) -> Vec<ProbeRequest> {
    if !p.speaks.contains(&ProtocolVersion::TLS1_2) {
        return Vec::new();
    }
    // The first handshake runs on the suites of tlsdoctor's own TLS 1.2
    // client; the renegotiation hello, never completed, offers every suite
    // with RSA key transport first, so a client-order server's answer costs
    // it no signature (this probe runs last and alone: its time is the
    // scan's).
    let mut suites = wire::tls12::SUITES.to_vec();
    suites.extend(
        offers::cheap_first(offers::suites(ProtocolVersion::TLS1_2))
            .into_iter()
            .filter(|s| !wire::tls12::SUITES.contains(s)),
    );
    let suites = offers::cheap_first(suites);
    p.once("client_renegotiation", || VulnProbe::Renegotiate {
        hello: HelloSpec {
            groups: wire::tls12::GROUPS.to_vec(),
            modern_extensions: false,
            ..offers::hello(p.target, ProtocolVersion::TLS1_2, suites)
        },
    })
}

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let obs = acc.obs;
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
