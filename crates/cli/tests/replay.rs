//! Observation is separate from judgement: recorded observations (saved with
//! `diagnose --save-observations` from the lab on 2026-11-27) are judged again
//! offline. The codes are asserted; insta snapshots pin the report's shape.

use std::path::Path;

use model::{Code, Observations};
use time::macros::datetime;

fn fixture(name: &str) -> Observations {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("observations JSON")
}

fn context(now: time::OffsetDateTime) -> analysis::Context {
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lab-ca.pem");
    analysis::Context {
        now,
        now_overridden: true,
        client: analysis::profiles::default_profile(),
        trust: analysis::TrustStores {
            system: Vec::new(),
            ca_file: tlsdoctor::trust::load_certificates(&ca).expect("CA"),
        },
        client_identity: false,
        fetch_issuers: false,
    }
}

/// The time the fixtures were recorded.
const RECORDED: time::OffsetDateTime = datetime!(2026-11-27 08:38:16 UTC);

#[test]
fn replayed_tls10_only_is_a_protocol_mismatch() {
    let report = analysis::judge(&fixture("tls10-only.observations.json"), &context(RECORDED));
    assert_eq!(report.primary_code(), Code::ProtocolMismatch);
    insta::assert_json_snapshot!("tls10_only_report", report, {
        ".elapsed_ms" => "[elapsed]",
        ".target.port" => "[port]",
        ".steps[].detail" => "[detail]",
    });
}

#[test]
fn replayed_expired_certificate_depends_only_on_the_judged_time() {
    let obs = fixture("expired.observations.json");
    let report = analysis::judge(&obs, &context(RECORDED));
    assert_eq!(report.primary_code(), Code::CertExpired);
    insta::assert_json_snapshot!("expired_report", report, {
        ".elapsed_ms" => "[elapsed]",
        ".target.port" => "[port]",
        ".steps[].detail" => "[detail]",
        ".diagnoses[].evidence" => "[evidence]",
    });
    // Judged 40 days before the recording, the leaf (expired 30 days before
    // it) was still valid: the same observations, another verdict. The
    // server's HTTP Date (recorded) is then 40 days ahead of "now", so the
    // expiry is not blamed on the server.
    let earlier = analysis::judge(&obs, &context(RECORDED - time::Duration::days(40)));
    assert_ne!(earlier.primary_code(), Code::CertExpired, "{earlier:#?}");
}
