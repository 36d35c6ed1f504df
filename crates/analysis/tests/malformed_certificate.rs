//! A server that answers the hello and then sends a Certificate message no
//! client can read (40,000 entries, as a hostile host did) fails at the
//! certificate step with `protocol_violation`, never "OK".

mod common;

use common::context;

use model::*;
use wire::registry::{CipherSuite, ProtocolVersion};

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
        transport: None,
        flight: Some(malformed_after_hello()),
        handshake,
        fetch: None,
        caa: None,
        elapsed_ms: 1,
    }
}

#[test]
fn unreadable_certificate_message_is_a_protocol_violation() {
    let obs = common::observations(Target::new("localhost", 443));
    let report = common::diagnose(obs, &context(), answer);
    assert_eq!(report.verdict, Verdict::Failed, "{report:#?}");
    assert_eq!(report.failed_step, Some(Step::Certificate));
    assert_eq!(report.primary_code(), Code::ProtocolViolation);
    assert!(report.diagnoses[0]
        .evidence
        .iter()
        .any(|e| e.contains("40000 entries")));
}
