//! Which probes `diagnose` needs next. Keep it to the probes that explain a
//! failure: a healthy server costs 4 connections (run at once), a failing one
//! at most about 12.

use model::{
    FlightEnd, HandshakeSpec, HelloSpec, Observations, ProbeKind, ProbeRequest, Purpose, Target,
};
use wire::registry::{CipherSuite, ProtocolVersion};

use crate::offers;
use crate::Context;

/// Rounds of suite enumeration when a cipher mismatch needs the server's list.
const MAX_SUITE_ROUNDS: u16 = 4;

pub(crate) fn next_probes(obs: &Observations, ctx: &Context) -> Option<Vec<ProbeRequest>> {
    let target = obs.target.as_ref()?;
    let dns = obs.dns.as_ref()?;
    if dns.addresses.is_empty() {
        return None;
    }
    if !obs.has(&Purpose::ClientHello) {
        return Some(first_round(target, ctx));
    }
    // A chain that verifies nowhere but names its issuer's URL: fetch it.
    if let Some(fetch) = crate::issuers::next_fetch(obs, ctx) {
        return Some(vec![fetch]);
    }
    // No stapled answer about the leaf: ask its CA (OCSP, then the CRL).
    if let Some(fetch) = revocation_fetch(obs, ctx) {
        return Some(vec![fetch]);
    }
    // The client's hello negotiated what only our own engine can finish.
    if let Some(finish) = crate::finish::next_probe(obs, target, ctx) {
        return Some(vec![finish]);
    }
    let first = obs.probe(&Purpose::ClientHello)?;
    if !first.tcp.is_connected() {
        return None;
    }
    let flight = first.flight.as_ref()?;
    if !negotiation_failed(flight) {
        return None;
    }
    // The client's hello was refused: find what the server does accept.
    let mut missing: Vec<ProbeRequest> = ProtocolVersion::ALL[1..]
        .iter()
        .filter(|v| !obs.has(&Purpose::Version { version: **v }))
        .map(|v| version_probe(target, *v))
        .collect();
    if let Some(name) = sni_retry_name(target) {
        let purpose = Purpose::Sni {
            sni: Some(name.clone()),
        };
        if !obs.has(&purpose) {
            missing.push(ProbeRequest {
                purpose,
                kind: ProbeKind::Hello(client_hello(ctx, target, Some(name))),
            });
        }
    }
    if !missing.is_empty() {
        return Some(missing);
    }
    suite_round(obs, target, ctx).map(|r| vec![r])
}

/// The next revocation fetch for the served chain's leaf.
fn revocation_fetch(obs: &Observations, ctx: &Context) -> Option<ProbeRequest> {
    let main = obs.probe(&Purpose::ClientHello);
    let handshake = obs.probe(&Purpose::Handshake);
    let chain = crate::issuers::served_chain(main, handshake);
    let staple = handshake
        .and_then(|p| p.handshake.as_ref())
        .and_then(|h| h.ocsp_staple.as_ref())
        .or_else(|| {
            main.and_then(|m| m.flight.as_ref())
                .and_then(|f| f.ocsp_staple.as_ref())
        });
    crate::revocation::next_fetch(obs, ctx, &chain, staple.map(|s| s.0.as_slice()))
}

/// The chosen client's hello to `target`, with the given SNI.
pub(crate) fn client_hello(ctx: &Context, target: &Target, sni: Option<String>) -> HelloSpec {
    let profile = &ctx.client;
    HelloSpec {
        versions: profile.versions.clone(),
        cipher_suites: profile.cipher_suites.clone(),
        groups: profile.groups.clone(),
        key_shares: profile.key_shares.clone(),
        signature_algorithms: profile.signature_algorithms.clone(),
        sni,
        alpn: alpn_for(target, &profile.alpn),
        modern_extensions: true,
        ..Default::default()
    }
}

/// The ALPN names to offer `target`: none after STARTTLS, where the
/// browser's `h2`/`http/1.1` would be refused (Exim 4.95+ answers a foreign
/// ALPN with `no_application_protocol`) and real mail, directory and
/// database clients send none.
pub(crate) fn alpn_for(target: &Target, names: &[String]) -> Vec<String> {
    if target.transport.starttls.is_some() {
        Vec::new()
    } else {
        names.to_vec()
    }
}

/// When a hello without SNI is refused and the target has a name, the same
/// hello with the name: many servers (CDNs among them) answer a missing SNI
/// with `handshake_failure` rather than `unrecognized_name`.
pub(crate) fn sni_retry_name(target: &Target) -> Option<String> {
    let host = &target.host;
    (target.sni.is_none() && host.parse::<std::net::IpAddr>().is_err()).then(|| host.clone())
}

/// The client's own hello, the real handshake, and the two legacy versions
/// whose being enabled is worth a warning: all at once.
fn first_round(target: &Target, ctx: &Context) -> Vec<ProbeRequest> {
    let profile = &ctx.client;
    vec![
        ProbeRequest {
            purpose: Purpose::ClientHello,
            kind: ProbeKind::Hello(client_hello(ctx, target, target.sni.clone())),
        },
        ProbeRequest {
            purpose: Purpose::Handshake,
            kind: ProbeKind::Handshake(HandshakeSpec {
                versions: profile.versions.clone(),
                sni: target.sni.clone(),
                alpn: alpn_for(target, &profile.alpn),
                client_cert: ctx.client_identity,
                // The application step on the same connection: `GET /`,
                // whose body names nginx's client-certificate refusals and
                // whose `Date` is the server's clock. Never let a server
                // that does not speak HTTP hold the diagnosis (or, for a
                // one-connection-at-a-time server such as `openssl
                // s_server`, the other probes) for a whole timeout.
                http_head: true,
                http_get: true,
                http_timeout_ms: Some(1500),
                ..Default::default()
            }),
        },
        version_probe(target, ProtocolVersion::TLS1_0),
        version_probe(target, ProtocolVersion::TLS1_1),
    ]
}

/// A ClientHello alert or close that means "nothing in your offer works for
/// me": worth finding out what would.
fn negotiation_failed(flight: &model::ServerFlight) -> bool {
    if flight.server_hello.is_some() || flight.hello_retry_group.is_some() {
        return false;
    }
    match flight.end {
        FlightEnd::Alert => flight
            .alert()
            .is_some_and(|a| matches!(a.description, 40 | 47 | 70 | 71 | 80 | 86)),
        FlightEnd::Closed | FlightEnd::Reset => flight.bytes_received == 0,
        _ => false,
    }
}

fn version_probe(target: &Target, version: ProtocolVersion) -> ProbeRequest {
    ProbeRequest {
        purpose: Purpose::Version { version },
        kind: ProbeKind::Hello(offers::hello(target, version, offers::suites(version))),
    }
}

/// The next round of "offer everything not yet accepted" at the version the
/// server accepted, to list the suites it would take instead of the client's.
fn suite_round(obs: &Observations, target: &Target, ctx: &Context) -> Option<ProbeRequest> {
    let version = crate::judge::best_accepted_version(obs)?;
    // Only worth it when the version is one the client offers: otherwise the
    // diagnosis is a protocol mismatch, and the suites don't matter.
    if !ctx.client.versions.contains(&version) {
        return None;
    }
    let accepted = crate::judge::accepted_suites(obs, version);
    // A suite the client offers is accepted: the mismatch is elsewhere
    // (group, signature algorithm), and the suite list would not explain it.
    if accepted
        .iter()
        .any(|s| ctx.client.cipher_suites.contains(s))
    {
        return None;
    }
    let rounds = obs
        .probes
        .iter()
        .filter(|p| matches!(p.request.purpose, Purpose::Suites { version: v, .. } if v == version))
        .count() as u16;
    if rounds >= MAX_SUITE_ROUNDS {
        return None;
    }
    // Stop when the last round found nothing new.
    if rounds > 0 {
        let last = obs.probes.iter().rev().find(
            |p| matches!(p.request.purpose, Purpose::Suites { version: v, .. } if v == version),
        )?;
        last.flight.as_ref()?.server_hello.as_ref()?;
    }
    let remaining: Vec<CipherSuite> = offers::suites(version)
        .into_iter()
        .filter(|s| !accepted.contains(s))
        .collect();
    if remaining.is_empty() {
        return None;
    }
    Some(ProbeRequest {
        purpose: Purpose::Suites {
            version,
            round: rounds + 1,
        },
        kind: ProbeKind::Hello(offers::hello(target, version, remaining)),
    })
}
