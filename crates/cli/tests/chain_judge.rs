//! The one certificate judge against a real server (`openssl s_server`):
//! `diagnose`, `scan` (its chain section and grade), `compare` and `listen
//! --against` give the same code for the same server, roots and time.
//!
//! - An expired leaf sent with its intermediate re-issued (same name, same
//!   key) after the leaf expired: `cert_expired` and nothing else.
//! - A leaf sent without its intermediate, no AIA, the private root given
//!   with `--ca-file`: `cert_chain_incomplete`, and no fix asks for
//!   `--ca-file`.
//!
//! Certificates are made here with rcgen; loopback only.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::scan::scan_job;
use common::{openssl_server, TempDir};
use model::{Code, Diagnosis, Report, Severity};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use time::OffsetDateTime;
use tlsdoctor::compare;
use tlsdoctor::listen::{ListenConfig, Listener};

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

fn ca(cn: &str, from: i64, to: i64) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "tlsdoctor tests");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = now() + days(from);
    p.not_after = now() + days(to);
    p.use_authority_key_identifier_extension = true;
    p
}

fn leaf(from: i64, to: i64) -> CertificateParams {
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    p.distinguished_name.push(DnType::CommonName, "localhost");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = now() + days(from);
    p.not_after = now() + days(to);
    p.use_authority_key_identifier_extension = true;
    p
}

/// The certificate codes of a report.
fn cert_codes(report: &Report) -> Vec<Code> {
    report
        .diagnoses
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect()
}

/// What compare and listen --against predict for s_client's defaults, and
/// what scan's chain section says, for `port` with `ca` as --ca-file.
async fn other_commands(port: u16, ca: &Path) -> (Option<Code>, Option<Code>, Option<Code>) {
    let mut job = scan_job("localhost", port, &[ca]);
    job.probe.timeout = Duration::from_secs(3);
    let server = compare::scan_server(&job).await.expect("scan for compare");
    let scan_code = server.report.certificates.first().and_then(|c| c.verdict);
    let compare_code = compare::judge(&analysis::profiles::default_profile(), &server).code;
    // listen --against: a real client's hello judged against the same scan.
    let mut listener = Listener::start(ListenConfig {
        hello_timeout: Duration::from_secs(5),
        handshake_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        against: Some(Arc::new(server)),
        ..ListenConfig::default()
    })
    .await
    .expect("listener starts");
    let listen_port = listener.local_addr().port();
    let client = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .args(["10", "openssl", "s_client", "-connect"])
            .arg(format!("127.0.0.1:{listen_port}"))
            .args(["-servername", "localhost"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    });
    let record = tokio::time::timeout(Duration::from_secs(30), listener.next_record())
        .await
        .expect("a record within 30 s")
        .expect("listener running");
    let _ = client.await;
    listener.shutdown().await;
    let against = record.against.as_ref().and_then(|c| c.code);
    (scan_code, compare_code, against)
}

fn no_fix_asks_for_ca_file(diagnoses: &[Diagnosis]) {
    for d in diagnoses {
        for line in &d.fix {
            assert!(
                !(line.contains("--ca-file/") || line.contains("tlsdoctor/curl --ca-file")),
                "a fix asks for --ca-file, which was given: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_leaf_with_reissued_intermediate_is_only_expired() {
    let dir = TempDir::new("reissued");
    let root =
        CertifiedIssuer::self_signed(ca("judge root", -3650, 3650), KeyPair::generate().unwrap())
            .unwrap();
    let inter_key = KeyPair::generate().unwrap();
    let inter_key_der = inter_key.serialize_der();
    let old = CertifiedIssuer::signed_by(ca("judge intermediate", -1000, -200), inter_key, &root)
        .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let l = leaf(-400, -300).signed_by(&leaf_key, &old).unwrap();
    // Re-issued: same name and key, valid only from after the leaf expired.
    let same_key = KeyPair::try_from(inter_key_der.as_slice()).unwrap();
    let reissued = ca("judge intermediate", -100, 500)
        .signed_by(&same_key, &root)
        .unwrap();
    let ca_file = dir.write("ca.pem", &root.pem());
    let cert = dir.write("cert.pem", &l.pem());
    let key = dir.write("key.pem", &leaf_key.serialize_pem());
    let chain = dir.write("chain.pem", &reissued.pem());
    let server = openssl_server(
        &cert,
        &key,
        &["-cert_chain", chain.to_str().unwrap(), "-www"],
    );

    let report = common::diagnose(server.port, Some(&ca_file), |_| {}).await;
    assert_eq!(cert_codes(&report), vec![Code::CertExpired], "{report:#?}");
    let text = format!("{report:?}");
    assert!(!text.contains("not yet valid"), "{report:#?}");

    let (scan, compare, against) = other_commands(server.port, &ca_file).await;
    assert_eq!(scan, Some(Code::CertExpired), "scan");
    assert_eq!(compare, Some(Code::CertExpired), "compare");
    assert_eq!(against, Some(Code::CertExpired), "listen --against");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_private_intermediate_with_ca_file_is_incomplete() {
    let dir = TempDir::new("private-incomplete");
    let root =
        CertifiedIssuer::self_signed(ca("judge root", -3650, 3650), KeyPair::generate().unwrap())
            .unwrap();
    let inter = CertifiedIssuer::signed_by(
        ca("judge intermediate", -100, 500),
        KeyPair::generate().unwrap(),
        &root,
    )
    .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let l = leaf(-1, 90).signed_by(&leaf_key, &inter).unwrap();
    let ca_file = dir.write("ca.pem", &root.pem());
    let cert = dir.write("cert.pem", &l.pem());
    let key = dir.write("key.pem", &leaf_key.serialize_pem());
    // The server is given only the leaf; the leaf has no AIA.
    let server = openssl_server(&cert, &key, &["-www"]);

    let report = common::diagnose(server.port, Some(&ca_file), |j| {
        j.context.fetch_issuers = false;
    })
    .await;
    assert_eq!(
        report.primary_code(),
        Code::CertChainIncomplete,
        "{report:#?}"
    );
    assert_eq!(
        cert_codes(&report),
        vec![Code::CertChainIncomplete],
        "{report:#?}"
    );
    no_fix_asks_for_ca_file(&report.diagnoses);

    let (scan, compare, against) = other_commands(server.port, &ca_file).await;
    assert_eq!(scan, Some(Code::CertChainIncomplete), "scan");
    assert_eq!(compare, Some(Code::CertChainIncomplete), "compare");
    assert_eq!(against, Some(Code::CertChainIncomplete), "listen --against");

    // The scan's grade says "intermediate missing".
    let scan = common::scan::scan_loopback("localhost", server.port, &[&ca_file]).await;
    assert!(
        scan.grade_caps.iter().any(|c| c.rule == "incomplete_chain"),
        "{:#?}",
        scan.grade_caps
    );
}

/// An ECDSA certificate with only ECDHE-RSA suites enabled (TLS 1.2 only):
/// s_server refuses every hello with handshake_failure; the diagnosis names
/// the key type, not a generic alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecdsa_certificate_with_rsa_only_suites_is_a_key_type_mismatch() {
    let dir = TempDir::new("keytype");
    let (cert, key) = common::openssl_self_signed(&dir, "ecdsa", common::OPENSSL_P256, &[]);
    let server = openssl_server(
        &cert,
        &key,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
            "-www",
        ],
    );
    let report = common::diagnose(server.port, Some(&cert), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::CertKeyTypeMismatch,
        "{report:#?}"
    );
    let d = &report.diagnoses[0];
    assert!(d.fix.iter().any(|f| f.contains("nginx")), "{d:#?}");
    assert!(d.fix.iter().any(|f| f.contains("Apache")), "{d:#?}");
}
