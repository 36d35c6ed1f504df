//! Planning and judging without a network: a server that answers a hello
//! without SNI with `handshake_failure` (as many CDNs do) is diagnosed
//! `sni_required` once the same hello with the name is accepted.

mod common;

use common::context;

use model::*;
use wire::registry::{CipherSuite, ProtocolVersion};

fn refused(description: u8) -> ServerFlight {
    ServerFlight {
        bytes_received: 7,
        alerts: vec![AlertObservation {
            level: 2,
            description,
        }],
        end: FlightEnd::Alert,
        ..Default::default()
    }
}

fn accepted() -> ServerFlight {
    ServerFlight {
        bytes_received: 100,
        server_hello: Some(ServerHelloObservation {
            version: ProtocolVersion::TLS1_3,
            cipher_suite: CipherSuite(0x1301),
            group: None,
            extensions: Vec::new(),
            alpn: None,
            downgrade_sentinel: None,
            compression: 0,
            session_id_len: 32,
        }),
        end: FlightEnd::Complete,
        ..Default::default()
    }
}

fn record(request: ProbeRequest, flight: ServerFlight) -> ProbeRecord {
    ProbeRecord {
        request,
        ip: Some([127, 0, 0, 1].into()),
        tcp: TcpOutcome::Connected { elapsed_ms: 0 },
        transport: None,
        flight: Some(flight),
        handshake: None,
        fetch: None,
        caa: None,
        elapsed_ms: 1,
    }
}

/// Answers every probe the planner asks for as the server would: every hello
/// without SNI gets `handshake_failure`, a hello with SNI is accepted.
fn answer(request: ProbeRequest) -> ProbeRecord {
    let sni = match &request.kind {
        ProbeKind::Hello(spec) => spec.sni.is_some(),
        ProbeKind::Handshake(spec) => spec.sni.is_some(),
        _ => false,
    };
    let flight = if sni { accepted() } else { refused(40) };
    record(request, flight)
}

#[test]
fn handshake_failure_without_sni_is_sni_required() {
    let mut target = Target::new("cdn.example", 443);
    target.sni = None; // the user asked for no SNI (or the client sends none)
    let report = common::diagnose(common::observations(target), &context(), answer);
    assert_eq!(report.primary_code(), Code::SniRequired, "{report:#?}");
    assert!(report.diagnoses[0]
        .evidence
        .iter()
        .any(|e| e.contains("with SNI cdn.example was accepted")));
    assert!(
        report.connections <= 12,
        "{} connections",
        report.connections
    );
}
