//! `scan` against the lab: protocols, suites, groups and DH parameters of
//! `good` (rustls), `tls10-only`, `legacy-ciphers-only` and `dh-1024` (the
//! scripted servers of `crates/lab/src/scripted.rs`) compared with how those
//! servers are configured, and an insta snapshot of the report's JSON shape.

mod common;

use common::scan::{run_scan, scan_job, sorted, supported_protocols};
use model::ScanReport;
use wire::registry::{CipherSuite, NamedGroup};

async fn scan(lab: &lab::Lab, name: &str) -> ScanReport {
    let server = lab.server(name).expect("started");
    let mut job = scan_job(&server.host, server.addr.port(), &[lab.ca_file()]);
    job.target.connect_to = Some(server.addr.ip());
    run_scan(&job).await
}

fn names(codes: &[u16]) -> Vec<String> {
    codes.iter().map(|c| CipherSuite(*c).name()).collect()
}

/// What the `good` server (rustls with the aws-lc-rs defaults and an ECDSA
/// P-256 leaf) can negotiate: (TLS 1.3 suites, TLS 1.2 suites, TLS 1.3
/// groups, TLS 1.2 groups).
fn rustls_defaults() -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let mut tls13 = Vec::new();
    let mut tls12 = Vec::new();
    for suite in &provider.cipher_suites {
        let name = CipherSuite(u16::from(suite.suite())).name();
        match suite {
            rustls::SupportedCipherSuite::Tls13(_) => tls13.push(name),
            rustls::SupportedCipherSuite::Tls12(s) => {
                if s.sign.iter().any(|scheme| {
                    matches!(
                        scheme,
                        rustls::SignatureScheme::ECDSA_NISTP256_SHA256
                            | rustls::SignatureScheme::ECDSA_NISTP384_SHA384
                    )
                }) {
                    tls12.push(name)
                }
            }
        }
    }
    let group = |g: &&dyn rustls::crypto::SupportedKxGroup| NamedGroup(u16::from(g.name())).name();
    let groups13 = provider.kx_groups.iter().map(group).collect();
    let groups12 = provider
        .kx_groups
        .iter()
        .filter(|g| g.usable_for_version(rustls::ProtocolVersion::TLSv1_2))
        .map(group)
        .collect();
    (tls13, tls12, groups13, groups12)
}

/// The report with every value replaced by its JSON type (arrays by the
/// shape of their first element): the contract, not the measurements.
fn shape(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Null => Value::from("null"),
        Value::Bool(_) => Value::from("bool"),
        Value::Number(_) => Value::from("number"),
        Value::String(_) => Value::from("string"),
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lab_servers_scan_as_configured() {
    let only = ["good", "tls10-only", "legacy-ciphers-only", "dh-1024"];
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(only.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    })
    .await
    .expect("lab starts");

    // good: rustls, TLS 1.2 and 1.3, client order (rustls servers follow the
    // client's order unless told otherwise).
    let good = scan(&lab, "good").await;
    let (tls13, tls12, groups13, groups12) = rustls_defaults();
    assert_eq!(supported_protocols(&good), ["tls1_2", "tls1_3"]);
    let p13 = good.protocol("tls1_3").unwrap();
    let p12 = good.protocol("tls1_2").unwrap();
    assert_eq!(sorted(p13.cipher_suites.clone()), sorted(tls13));
    assert_eq!(sorted(p12.cipher_suites.clone()), sorted(tls12));
    assert_eq!(p13.server_order, Some(false));
    assert_eq!(p12.server_order, Some(false));
    assert_eq!(sorted(p13.groups.clone()), sorted(groups13));
    assert_eq!(sorted(p12.groups.clone()), sorted(groups12));
    assert!(good.dh.is_none(), "rustls has no finite-field DHE");
    assert_eq!(good.certificates.len(), 1, "{:#?}", good.certificates);
    let chain = &good.certificates[0];
    assert_eq!(chain.key_type, "ecdsa");
    assert!(chain.hostname_match && chain.order_ok && chain.complete);
    assert!(chain
        .trust
        .iter()
        .any(|t| t.store == "ca_file" && t.trusted));
    assert!(
        chain.certificates[0].ca_issuers[0].starts_with("http://127.0.0.1:"),
        "the lab leaf names its AIA server"
    );
    let f = &good.features;
    assert_eq!(f.alpn_protocols, Some(Vec::new()), "the lab sets no ALPN");
    assert_eq!(f.resumption_tickets, Some(true));
    assert_eq!(f.resumption_tickets_at.as_deref(), Some("tls1_3"));
    assert_eq!(f.resumption_session_id, Some(true));
    assert_eq!(f.http_status.as_deref(), Some("HTTP/1.1 200 OK"));
    assert!(good.incomplete.is_empty(), "{:?}", good.incomplete);
    // Every protocol and list was observed; only checks that could not run
    // against the lab's rustls server may be unknown.
    assert!(
        good.unknown
            .iter()
            .all(|u| u.starts_with("vulnerabilities.")),
        "{:?}",
        good.unknown
    );
    assert!(!good.grade_provisional);
    // The scan's own sections; vulnerabilities, grade and client simulation
    // are pinned by their own tests.
    let mut json = serde_json::to_value(&good).unwrap();
    for key in ["vulnerabilities", "grade", "grade_caps", "score", "clients"] {
        json.as_object_mut().unwrap().remove(key);
    }
    insta::assert_json_snapshot!("good_scan_shape", shape(&json));

    // tls10-only: TLS 1.0 with RSA_CBC_SUITES, in that (server) order.
    let report = scan(&lab, "tls10-only").await;
    assert_eq!(supported_protocols(&report), ["tls1_0"]);
    let p = report.protocol("tls1_0").unwrap();
    assert_eq!(p.cipher_suites, names(&[0x002f, 0x0035, 0x000a]));
    assert_eq!(p.server_order, Some(true));
    assert!(p.groups.is_empty(), "no ECDHE suite");

    // legacy-ciphers-only: TLS 1.2 with LEGACY_SUITES in server order.
    let report = scan(&lab, "legacy-ciphers-only").await;
    assert_eq!(supported_protocols(&report), ["tls1_2"]);
    let p = report.protocol("tls1_2").unwrap();
    assert_eq!(p.cipher_suites, names(&[0x000a, 0x0005, 0x0004]));
    assert_eq!(p.server_order, Some(true));

    // dh-1024: TLS 1.2 with DHE_SUITES over the RFC 2409 1024-bit prime.
    let report = scan(&lab, "dh-1024").await;
    assert_eq!(supported_protocols(&report), ["tls1_2"]);
    let p = report.protocol("tls1_2").unwrap();
    assert_eq!(
        p.cipher_suites,
        names(&[0x009e, 0x009f, 0x0067, 0x006b, 0x0033, 0x0039, 0x0016])
    );
    assert_eq!(p.server_order, Some(true));
    let dh = report.dh.as_ref().expect("DHE parameters");
    assert_eq!(dh.prime_bits, 1024);
    assert_eq!(dh.well_known.as_deref(), Some("rfc2409_group2"));
    assert_eq!(dh.generator, Some(2));
    assert_eq!(report.signature_algorithms[0], "rsa_pkcs1_sha256");

    lab.shutdown().await;
}
