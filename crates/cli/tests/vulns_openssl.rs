//! Vulnerability checks against patched servers nobody here wrote:
//! `openssl s_server` (OpenSSL 3) and `gnutls-serv`, on 127.0.0.1 with an
//! RSA certificate (so that ROBOT's RSA key exchange is really exercised).
//! Every check must say `not_vulnerable`, except the ones these servers
//! really are (GnuTLS accepts client-initiated renegotiation, OpenSSL 3
//! refuses it by default) and the heuristics, which say
//! `potentially_vulnerable`, never `vulnerable`: CBC suites (LUCKY13; both
//! libraries decrypt CBC in constant time) and TLS 1.0 CBC (BEAST).

mod common;

use std::path::PathBuf;

use common::scan::scan_loopback;
use common::{openssl_self_signed, TempDir, OPENSSL_RSA_2048};
use model::{ScanReport, VulnId, VulnStatus};

/// An RSA-2048 self-signed certificate for localhost: (dir, cert, key).
fn rsa_cert() -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new("vulns");
    let (cert, key) = openssl_self_signed(&dir, "localhost", OPENSSL_RSA_2048, &[]);
    (dir, cert, key)
}

/// Asserts every check's status: `vulnerable` for the names in
/// `vulnerable`, `potentially_vulnerable` for those in `potentially`,
/// `not_vulnerable` for all others; every check has a basis, evidence, an
/// explanation and a fix, and every heuristic says what would settle it.
fn assert_only(report: &ScanReport, vulnerable: &[&str], potentially: &[&str]) {
    let v = &report.vulnerabilities;
    for id in VulnId::ALL {
        let (name, check) = (id.as_str(), v.get(id));
        let expected = if vulnerable.contains(&name) {
            VulnStatus::Vulnerable
        } else if potentially.contains(&name) {
            VulnStatus::PotentiallyVulnerable
        } else {
            VulnStatus::NotVulnerable
        };
        assert!(check.basis.is_some(), "{name} has no basis");
        if expected == VulnStatus::PotentiallyVulnerable {
            assert_eq!(check.basis, Some(model::VulnBasis::Heuristic), "{name}");
            assert!(
                check.settled_by.is_some(),
                "{name} does not say what would settle it"
            );
        }
        assert_eq!(
            check.status, expected,
            "{name}: {} (all: {:#?})",
            check.evidence, v
        );
        assert!(!check.evidence.is_empty(), "{name} has no evidence");
        assert!(!check.explanation.is_empty(), "{name} has no explanation");
        assert!(!check.fix.is_empty(), "{name} has no fix");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_default_is_vulnerable_to_nothing_but_the_cbc_heuristic() {
    let (_dir, cert, key) = rsa_cert();
    let server = common::openssl_server(&cert, &key, &["-www"]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    // Patched OpenSSL 3 is not LUCKY13-vulnerable: CBC accepted is only
    // potentially so, and it caps nothing.
    assert_only(&report, &[], &["lucky13"]);
    assert!(report.grade_caps.iter().all(|c| c.rule != "lucky13"));
    assert!(report.unknown.is_empty(), "{:?}", report.unknown);
    assert!(!report.grade_provisional, "{:?}", report.incomplete);
    let v = &report.vulnerabilities;
    // Each probe really ran: the answers are the ones a patched OpenSSL gives.
    common::scan::assert_evidence(&v.ccs_injection, "unexpected_message");
    common::scan::assert_evidence(&v.robot, "same reply");
    common::scan::assert_evidence(&v.heartbleed, "heartbeat");
    common::scan::assert_evidence(&v.ticketbleed, "own session ticket");
    assert!(v.fallback_scsv.evidence.contains("inappropriate_fallback"));
    assert!(v.lucky13.evidence.contains("heuristic"));
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_aead_only_is_vulnerable_to_nothing() {
    let (_dir, cert, key) = rsa_cert();
    // RSA key exchange kept (AES-GCM) so that ROBOT has something to test.
    let server = common::openssl_server(
        &cert,
        &key,
        &["-www", "-cipher", "ECDHE+AESGCM:AES128-GCM-SHA256"],
    );
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_only(&report, &[], &[]);
    assert!(report
        .vulnerabilities
        .robot
        .evidence
        .contains("TLS_RSA_WITH_AES_128_GCM_SHA256"));
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_tls10_with_cbc_is_beast() {
    let (_dir, cert, key) = rsa_cert();
    let server = common::openssl_server(
        &cert,
        &key,
        &["-www", "-cipher", "ALL:@SECLEVEL=0", "-tls1"],
    );
    let report = scan_loopback("localhost", server.port, &[]).await;
    let v = &report.vulnerabilities;
    assert_eq!(
        v.beast.status,
        VulnStatus::PotentiallyVulnerable,
        "{}",
        v.beast.evidence
    );
    assert!(v.beast.settled_by.is_some());
    // One version only: nothing to fall back to, and it is still not a finding.
    assert_eq!(
        v.fallback_scsv.status,
        VulnStatus::NotVulnerable,
        "{}",
        v.fallback_scsv.evidence
    );
    assert_eq!(v.poodle_ssl3.status, VulnStatus::NotVulnerable);
}

#[tokio::test(flavor = "multi_thread")]
async fn gnutls_is_vulnerable_to_client_renegotiation_only() {
    let (_dir, cert, key) = rsa_cert();
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+RSA";
    let Some(server) = common::gnutls_server(&cert, &key, &["--priority", priority]) else {
        return;
    };
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_only(&report, &["client_renegotiation"], &[]);
    let v = &report.vulnerabilities;
    common::scan::assert_evidence(&v.ccs_injection, "unexpected_message");
    common::scan::assert_evidence(&v.robot, "same reply");
}

#[tokio::test(flavor = "multi_thread")]
async fn gnutls_default_with_tls10_is_potentially_beast_and_lucky13_only() {
    let (_dir, cert, key) = rsa_cert();
    let priority = "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1";
    let Some(server) = common::gnutls_server(&cert, &key, &["--priority", priority]) else {
        return;
    };
    let report = scan_loopback("localhost", server.port, &[]).await;
    // Patched GnuTLS is not LUCKY13-vulnerable either: heuristics only.
    assert_only(&report, &["client_renegotiation"], &["beast", "lucky13"]);
}
