//! Which handshake the `finished` step is judged from. The ClientHello
//! probe shows what the chosen client negotiates; rustls finishes TLS 1.3
//! and TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305, tlsdoctor's own
//! engine (`wire::tls12`) finishes TLS 1.0-1.2 with RSA, DHE or ECDHE and
//! AES-CBC/GCM or ChaCha20-Poly1305. What neither can run is not tested,
//! never failed. Pure judgement of recorded observations.

use model::{
    Code, HandshakeError, Observations, ProbeKind, ProbeRecord, ProbeRequest, Purpose,
    ServerHelloObservation, Target,
};
use wire::registry::{Encryption, KeyExchange, Mode, ProtocolVersion};

use crate::Context;

/// The handshake to judge `finished` from.
#[derive(Debug)]
pub(crate) enum Source<'a> {
    /// This record (rustls or our engine); `note` is appended to the step's
    /// detail when it is not the obvious one.
    Record {
        record: Option<&'a ProbeRecord>,
        note: Option<String>,
    },
    /// Cannot be finished by any engine here: not tested, because ...
    NotTested(String),
    /// The chosen client itself refuses what the server negotiated (a
    /// policy the hello does not show: OpenSSL 3's security level).
    ClientRefuses {
        code: Code,
        summary: String,
        evidence: Vec<String>,
        fix: Vec<String>,
    },
}

/// What the profile refuses after the ServerHello although its hello
/// allowed it: a TLS 1.0/1.1 key exchange signed with MD5+SHA-1/SHA-1, a
/// DH prime below its minimum (the rules `simulate` applies to scans).
fn client_refuses(
    main: &ProbeRecord,
    sh: &ServerHelloObservation,
    ctx: &Context,
    host: &str,
) -> Option<Source<'static>> {
    let dh_bits = main
        .flight
        .as_ref()
        .and_then(|f| f.key_exchange.as_ref())
        .and_then(|k| k.dh_prime_bits);
    let (code, summary) = ctx
        .client
        .refusal_after_hello(sh.version, sh.cipher_suite, dh_bits)?;
    let evidence = match code {
        Code::WeakDhGroup => format!(
            "DH prime of {} bits in the ServerKeyExchange",
            dh_bits.unwrap_or_default()
        ),
        _ => format!(
            "server chose {} {}; {} accepts no MD5/SHA-1 signatures (OpenSSL 3 security level)",
            sh.version.display_name(),
            sh.cipher_suite.name(),
            ctx.client.name
        ),
    };
    Some(Source::ClientRefuses {
        code,
        summary,
        evidence: vec![evidence],
        fix: crate::mismatch::after_negotiation(code, host),
    })
}

/// True when rustls (TLS 1.2/1.3, ECDHE, AEAD suites only) can negotiate
/// what the server chose for the client's hello.
pub(crate) fn rustls_can(sh: &ServerHelloObservation) -> bool {
    if sh.version == ProtocolVersion::TLS1_3 {
        return true;
    }
    sh.version == ProtocolVersion::TLS1_2
        && sh.cipher_suite.info().is_some_and(|i| {
            i.kx == KeyExchange::Ecdhe
                && matches!(
                    (i.enc, i.mode),
                    (Encryption::Aes128 | Encryption::Aes256, Mode::Gcm)
                        | (Encryption::ChaCha20, Mode::Poly1305)
                )
        })
}

fn chosen(main: Option<&ProbeRecord>) -> Option<&ServerHelloObservation> {
    main.and_then(|m| m.flight.as_ref())
        .and_then(|f| f.server_hello.as_ref())
}

/// The own-engine probe to run next, when the client's hello negotiated
/// something rustls cannot finish but our engine can.
pub(crate) fn next_probe(
    obs: &Observations,
    target: &Target,
    ctx: &Context,
) -> Option<ProbeRequest> {
    if obs.has(&Purpose::Finish) {
        return None;
    }
    let sh = chosen(obs.probe(&Purpose::ClientHello))?;
    if rustls_can(sh) || !wire::tls12::suite::supported(sh.cipher_suite, sh.version) {
        return None;
    }
    Some(ProbeRequest {
        purpose: Purpose::Finish,
        kind: ProbeKind::Finish(crate::plan::client_hello(ctx, target, target.sni.clone())),
    })
}

/// Which record the `finished` step is judged from.
pub(crate) fn source<'a>(
    obs: &'a Observations,
    ctx: &Context,
    main: Option<&'a ProbeRecord>,
    handshake: Option<&'a ProbeRecord>,
) -> Source<'a> {
    let (Some(sh), Some(main)) = (chosen(main), main) else {
        return Source::Record {
            record: handshake,
            note: None,
        };
    };
    let host = obs
        .target
        .as_ref()
        .map(|t| t.host.as_str())
        .unwrap_or_default();
    if let Some(refusal) = client_refuses(main, sh, ctx, host) {
        return refusal;
    }
    let what = format!("{} {}", sh.version.display_name(), sh.cipher_suite.name());
    if rustls_can(sh) {
        let done = handshake.and_then(|p| p.handshake.as_ref());
        let note = done
            .filter(|h| h.completed)
            .and_then(|h| h.cipher_suite.zip(h.version))
            .filter(|(suite, version)| *suite != sh.cipher_suite || *version != sh.version)
            .map(|(suite, version)| {
                format!(
                    "the client's hello negotiates {what}; this check used tlsdoctor's rustls handshake, which negotiated {} {}",
                    version.display_name(),
                    suite.name()
                )
            });
        return Source::Record {
            record: handshake,
            note,
        };
    }
    if let Err(why) = wire::tls12::suite::SuiteParams::new(sh.cipher_suite, sh.version) {
        return Source::NotTested(format!(
            "not tested: the server chose {what}, which tlsdoctor's TLS engines cannot complete ({why}); the steps up to the certificate were checked"
        ));
    }
    let own = obs.probe(&Purpose::Finish);
    match own.and_then(|p| p.handshake.as_ref()).map(|h| &h.error) {
        None => Source::NotTested(format!(
            "not tested: the server chose {what}, and tlsdoctor's own TLS engine was not run"
        )),
        Some(Some(HandshakeError::Unsupported { what: why })) => Source::NotTested(format!(
            "not tested: the server chose {what}, which tlsdoctor's own TLS engine cannot complete ({why})"
        )),
        Some(_) => Source::Record {
            record: own,
            note: Some(format!(
                "finished with tlsdoctor's own TLS 1.0-1.2 engine, sending the client's hello ({what}), since rustls cannot negotiate it"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{HandshakeObservation, ServerFlight, TcpOutcome};

    fn ctx(profile: &str) -> Context {
        Context {
            now: time::OffsetDateTime::now_utc(),
            now_overridden: false,
            client: crate::profiles::by_name(profile).expect("profile"),
            trust: crate::TrustStores::default(),
            client_identity: false,
            fetch_issuers: false,
        }
    }

    fn record(
        purpose: Purpose,
        flight: Option<ServerFlight>,
        hs: Option<HandshakeObservation>,
    ) -> ProbeRecord {
        ProbeRecord {
            request: ProbeRequest {
                purpose,
                kind: ProbeKind::Hello(Default::default()),
            },
            ip: None,
            tcp: TcpOutcome::Connected { elapsed_ms: 0 },
            transport: None,
            flight,
            handshake: hs,
            fetch: None,
            caa: None,
            elapsed_ms: 0,
        }
    }

    /// The ClientHello probe's record: the server chose `suite` at `version`.
    fn chose(version: ProtocolVersion, suite: u16) -> ProbeRecord {
        let flight = ServerFlight {
            server_hello: Some(crate::fixtures::server_hello(version, suite)),
            ..Default::default()
        };
        record(Purpose::ClientHello, Some(flight), None)
    }

    fn observations(records: Vec<ProbeRecord>) -> Observations {
        let mut obs = Observations::new(Target::new("example.test", 443));
        obs.probes = records;
        obs
    }

    fn rustls_failed() -> ProbeRecord {
        record(
            Purpose::Handshake,
            None,
            Some(HandshakeObservation {
                error: Some(HandshakeError::AlertReceived { description: 40 }),
                ..Default::default()
            }),
        )
    }

    #[test]
    fn dhe_plans_the_own_engine_and_is_judged_from_it() {
        let ctx = ctx("curl-7.88");
        let target = Target::new("example.test", 443);
        let dhe = chose(ProtocolVersion::TLS1_2, 0x009e);
        let obs = observations(vec![dhe.clone(), rustls_failed()]);
        let planned = next_probe(&obs, &target, &ctx).expect("own-engine probe");
        assert_eq!(planned.purpose, Purpose::Finish);
        assert!(matches!(planned.kind, ProbeKind::Finish(_)));
        // Before it ran: not tested, never failed from the rustls alert.
        let main = obs.probe(&Purpose::ClientHello);
        assert!(matches!(
            source(&obs, &ctx, main, obs.probe(&Purpose::Handshake)),
            Source::NotTested(_)
        ));
        let finished = record(
            Purpose::Finish,
            None,
            Some(HandshakeObservation {
                completed: true,
                ..Default::default()
            }),
        );
        let obs = observations(vec![dhe, rustls_failed(), finished]);
        assert!(next_probe(&obs, &target, &ctx).is_none());
        let main = obs.probe(&Purpose::ClientHello);
        match source(&obs, &ctx, main, obs.probe(&Purpose::Handshake)) {
            Source::Record { record, note } => {
                assert_eq!(record.unwrap().request.purpose, Purpose::Finish);
                assert!(note.unwrap().contains("own TLS 1.0-1.2 engine"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ecdhe_gcm_stays_with_rustls() {
        let ctx = ctx("curl-7.88");
        let obs = observations(vec![
            chose(ProtocolVersion::TLS1_2, 0xc02f),
            rustls_failed(),
        ]);
        assert!(next_probe(&obs, &Target::new("example.test", 443), &ctx).is_none());
        let main = obs.probe(&Purpose::ClientHello);
        match source(&obs, &ctx, main, obs.probe(&Purpose::Handshake)) {
            Source::Record { record, .. } => {
                assert_eq!(record.unwrap().request.purpose, Purpose::Handshake)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_no_engine_runs_is_not_tested_and_an_engine_gap_too() {
        let ctx = ctx("openssl-1.0.2");
        // Camellia: no engine here.
        let obs = observations(vec![
            chose(ProtocolVersion::TLS1_2, 0x0041),
            rustls_failed(),
        ]);
        assert!(next_probe(&obs, &Target::new("example.test", 443), &ctx).is_none());
        let main = obs.probe(&Purpose::ClientHello);
        match source(&obs, &ctx, main, obs.probe(&Purpose::Handshake)) {
            Source::NotTested(why) => assert!(why.contains("Camellia"), "{why}"),
            other => panic!("{other:?}"),
        }
        // The engine met something it does not implement (a big prime).
        let gap = record(
            Purpose::Finish,
            None,
            Some(HandshakeObservation {
                error: Some(HandshakeError::Unsupported {
                    what: "DH prime of 16384 bits".into(),
                }),
                ..Default::default()
            }),
        );
        let obs = observations(vec![chose(ProtocolVersion::TLS1_2, 0x009e), gap]);
        let main = obs.probe(&Purpose::ClientHello);
        assert!(matches!(
            source(&obs, &ctx, main, None),
            Source::NotTested(_)
        ));
    }

    #[test]
    fn openssl3_profiles_refuse_tls10_signed_key_exchange() {
        let main = chose(ProtocolVersion::TLS1_0, 0xc014);
        let obs = observations(vec![main]);
        let main = obs.probe(&Purpose::ClientHello);
        match source(&obs, &ctx("curl-7.88"), main, None) {
            Source::ClientRefuses { code, .. } => assert_eq!(code, Code::SigalgMismatch),
            other => panic!("{other:?}"),
        }
        // RSA key exchange signs nothing: no refusal on that ground.
        let obs = observations(vec![chose(ProtocolVersion::TLS1_0, 0x002f)]);
        let main = obs.probe(&Purpose::ClientHello);
        assert!(!matches!(
            source(&obs, &ctx("curl-7.88"), main, None),
            Source::ClientRefuses { .. }
        ));
    }
}
