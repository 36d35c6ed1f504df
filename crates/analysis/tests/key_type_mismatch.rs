//! `cert_key_type_mismatch` judged offline from recorded observations:
//! `openssl s_server -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA`
//! with an ECDSA P-256 certificate (saved with `diagnose --save-observations`
//! on 2026-12-03). Every TLS 1.2 hello, even one offering all suites, got
//! handshake_failure; TLS 1.3 is off.

mod common;

use common::context;

use model::{Code, Observations, Purpose, Step};

fn observations() -> Observations {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/key-type-mismatch.observations.json");
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("observations JSON")
}

#[test]
fn ecdsa_certificate_with_rsa_only_suites() {
    let report = analysis::judge(&observations(), &context());
    assert_eq!(
        report.primary_code(),
        Code::CertKeyTypeMismatch,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::ServerHello));
    let d = &report.diagnoses[0];
    assert!(d.evidence[0].contains("handshake_failure"), "{d:#?}");
    assert!(d.fix.iter().any(|f| f.contains("ssl_ciphers")), "{d:#?}");
    // The same wire evidence comes from a DHE-only Python `ssl` server
    // without DH parameters (checked on 2026-12-03): no certificate is seen,
    // so the text names both causes and the fix covers both.
    assert!(d.summary.contains("DHE-only"), "{}", d.summary);
    assert!(d.evidence[0].contains("was not seen"), "{:?}", d.evidence);
    assert!(d.fix.iter().any(|f| f.contains("load_dh_params")), "{d:#?}");
}

#[test]
fn a_disabled_tls12_is_not_a_key_type_mismatch() {
    // The same server, had it answered TLS 1.2 with protocol_version: TLS
    // 1.2 is off, so the key type says nothing.
    let mut obs = observations();
    for p in &mut obs.probes {
        if let Purpose::Version { version } = p.request.purpose {
            if version == wire::registry::ProtocolVersion::TLS1_2 {
                if let Some(f) = p.flight.as_mut() {
                    for a in &mut f.alerts {
                        a.description = 70;
                    }
                }
            }
        }
    }
    let report = analysis::judge(&obs, &context());
    assert_ne!(
        report.primary_code(),
        Code::CertKeyTypeMismatch,
        "{report:#?}"
    );
}
