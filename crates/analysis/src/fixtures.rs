//! Fixtures for unit tests: scan reports for the judgements over them
//! (grade, client simulation), one server description varied per test, and
//! the recorded ServerHello the probe-level judgements start from.

use model::{
    CertificateReport, ChainReport, Features, ProtocolReport, Protocols, ScanReport, TargetReport,
    TrustReport,
};

/// A supported protocol with these suites and groups.
pub(crate) fn protocol(
    suites: &[&str],
    server_order: Option<bool>,
    groups: &[&str],
) -> ProtocolReport {
    ProtocolReport {
        supported: Some(true),
        evidence: String::new(),
        cipher_suites: suites.iter().map(|s| s.to_string()).collect(),
        server_order,
        groups: groups.iter().map(|s| s.to_string()).collect(),
        group_server_order: None,
        groups_measured_at: None,
        cipher_suites_interrupted: None,
        groups_interrupted: None,
    }
}

/// A one-certificate chain for localhost with this key, trusted or not by the CA file.
pub(crate) fn chain(key_type: &str, bits: u32, trusted: bool) -> ChainReport {
    ChainReport {
        seen_with: vec!["sni".into()],
        key_type: key_type.into(),
        certificates: vec![CertificateReport {
            subject: "CN=localhost".into(),
            issuer: "CN=ca".into(),
            sans: vec!["localhost".into()],
            key_type: key_type.into(),
            key_bits: bits,
            ..Default::default()
        }],
        trust: vec![TrustReport {
            store: "ca_file".into(),
            trusted,
            result: if trusted { "trusted" } else { "unknown_issuer" }.into(),
        }],
        order_ok: true,
        complete: true,
        hostname_match: true,
        hostname: "localhost".into(),
        ocsp_stapled: false,
        verdict: (!trusted).then_some(model::Code::CertUntrustedRoot),
        verdict_evidence: Vec::new(),
    }
}

/// A scan of localhost:443 that found `protocols` and `chain`, nothing else.
/// Protocols not given are refused (observed), as a complete scan found.
pub(crate) fn scan_report(mut protocols: Protocols, chain: ChainReport) -> ScanReport {
    for name in ["ssl2", "ssl3", "tls1_0", "tls1_1", "tls1_2", "tls1_3"] {
        if let Some(p) = protocols.get_mut(name) {
            if p.supported.is_none() {
                p.supported = Some(false);
                p.evidence = "alert protocol_version".into();
            }
        }
    }
    ScanReport {
        schema_version: model::SCHEMA_VERSION,
        target: TargetReport {
            host: "localhost".into(),
            port: 443,
            ip: None,
            sni: Some("localhost".into()),
            transport: None,
        },
        protocols,
        signature_algorithms: Vec::new(),
        signature_algorithms_interrupted: None,
        dh: None,
        certificates: vec![chain],
        features: Features::default(),
        connections: 0,
        elapsed_ms: 0,
        incomplete: Vec::new(),
        unknown: Vec::new(),
        client_certificate: None,
        vulnerabilities: Default::default(),
        grade: None,
        grade_provisional: false,
        grade_caps: Vec::new(),
        score: None,
        clients: Vec::new(),
        caa: None,
    }
}

/// A ServerHello choosing `suite` at `version`, with nothing else of note.
pub(crate) fn server_hello(
    version: wire::registry::ProtocolVersion,
    suite: u16,
) -> model::ServerHelloObservation {
    model::ServerHelloObservation {
        version,
        cipher_suite: wire::registry::CipherSuite(suite),
        group: None,
        extensions: Vec::new(),
        alpn: None,
        downgrade_sentinel: None,
        compression: 0,
        session_id_len: 0,
    }
}
