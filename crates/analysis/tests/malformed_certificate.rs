//! A server that answers the hello and then sends a Certificate message no
//! client can read (40,000 entries, as a hostile host did) fails at the
//! certificate step with `protocol_violation`, never "OK".

use model::*;
use wire::registry::{CipherSuite, ProtocolVersion};

fn context() -> analysis::Context {
    analysis::Context {
        now: time::OffsetDateTime::now_utc(),
        now_overridden: false,
        client: analysis::profiles::default_profile(),
        trust: analysis::TrustStores::default(),
        client_identity: false,
        fetch_issuers: false,
    }
}

/// The flight as the probe records it: a TLS 1.2 ServerHello, then a
/// Certificate message the parser refuses.
fn malformed_after_hello() -> ServerFlight {
    ServerFlight {
        bytes_received: 120_000,
        server_hello: Some(ServerHelloObservation {
            version: ProtocolVersion::TLS1_2,
            cipher_suite: CipherSuite(0xc02f),
            group: None,
            extensions: Vec::new(),
            alpn: None,
            downgrade_sentinel: None,
            compression: 0,
            session_id_len: 32,
        }),
        end: FlightEnd::Malformed {
            message: "certificate list has 40000 entries (at most 64)".into(),
        },
        ..Default::default()
    }
}

fn answer(request: ProbeRequest) -> ProbeRecord {
    let handshake = matches!(request.kind, ProbeKind::Handshake(_)).then(|| HandshakeObservation {
        error: Some(HandshakeError::Protocol {
            message: "invalid peer certificate encoding".into(),
        }),
        ..Default::default()
    });
    ProbeRecord {
        request,
        ip: Some([127, 0, 0, 1].into()),
        tcp: TcpOutcome::Connected { elapsed_ms: 0 },
        flight: Some(malformed_after_hello()),
        handshake,
        fetch: None,
        elapsed_ms: 1,
    }
}

#[test]
fn unreadable_certificate_message_is_a_protocol_violation() {
    let mut obs = Observations::new(Target::new("localhost", 443));
    obs.dns = Some(DnsObservation {
        skipped: true,
        addresses: vec![[127, 0, 0, 1].into()],
        ..Default::default()
    });
    let ctx = context();
    let mut rounds = 0;
    let report = loop {
        match analysis::next(&obs, &ctx) {
            analysis::Next::Probe(requests) => {
                rounds += 1;
                assert!(rounds < 10, "the planner loops");
                obs.probes.extend(requests.into_iter().map(answer));
            }
            analysis::Next::Done(report) => break report,
        }
    };
    assert_eq!(report.verdict, Verdict::Failed, "{report:#?}");
    assert_eq!(report.failed_step, Some(Step::Certificate));
    assert_eq!(report.primary_code(), Code::ProtocolViolation);
    assert!(report.diagnoses[0]
        .evidence
        .iter()
        .any(|e| e.contains("40000 entries")));
}
