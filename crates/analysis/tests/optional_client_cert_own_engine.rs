//! A server that asks for a client certificate without requiring one
//! (stunnel `verify = 0`, which requests and ignores it), at TLS 1.1 with
//! AES128-SHA only, diagnosed as curl 7.88 (saved with `diagnose
//! --save-observations` on 2026-12-03). rustls cannot speak TLS 1.1, so its
//! handshake ends with protocol_version; tlsdoctor's own engine finishes the
//! client's handshake with an empty Certificate. The client-certificate step
//! reads the connection that carried the client's handshake, not the
//! rustls one: not `client_cert_required`.

mod common;

use model::{Code, Observations, Step, StepStatus};

fn observations() -> Observations {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/optional-client-cert-tls11.observations.json");
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("observations JSON")
}

#[test]
fn an_optional_client_certificate_under_the_own_engine_is_not_required() {
    let mut ctx = common::context();
    ctx.client = analysis::profiles::by_name("curl-7.88").expect("profile");
    // The private root the server's chain ends in (the run's --ca-file).
    let pem = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/optional-client-cert-tls11.ca.pem"),
    )
    .expect("CA fixture");
    use rustls_pki_types::pem::PemObject;
    ctx.trust.ca_file = rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.expect("PEM").to_vec())
        .collect();
    let report = analysis::judge(&observations(), &ctx);
    let codes: Vec<Code> = report.diagnoses.iter().map(|d| d.code).collect();
    assert!(!codes.contains(&Code::ClientCertRequired), "{report:#?}");
    let step = report
        .steps
        .iter()
        .find(|s| s.step == Step::ClientCertificate)
        .expect("client certificate step");
    assert_eq!(step.status, StepStatus::Ok, "{}", step.detail);
    assert!(
        step.detail.contains("went on without one"),
        "{}",
        step.detail
    );
    let finished = report
        .steps
        .iter()
        .find(|s| s.step == Step::Finished)
        .unwrap();
    assert_eq!(finished.status, StepStatus::Ok, "{}", finished.detail);

    // Without the root the certificate step fails; the optional request is
    // no "next hurdle" either.
    ctx.trust.ca_file.clear();
    let report = analysis::judge(&observations(), &ctx);
    assert!(
        report
            .diagnoses
            .iter()
            .all(|d| d.code != Code::ClientCertRequired),
        "{:?}",
        report.diagnoses.iter().map(|d| d.code).collect::<Vec<_>>()
    );
}
