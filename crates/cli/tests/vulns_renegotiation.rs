//! client_renegotiation against real servers, both ways: tlsdoctor's own
//! TLS 1.2 client completes a handshake with `openssl s_server` and
//! `gnutls-serv`, then asks for a renegotiation under encryption.
//!
//! OpenSSL 3 refuses client-initiated renegotiation by default (warning
//! alert no_renegotiation) and accepts it with `-client_renegotiation`.
//! `gnutls-serv` (GnuTLS 3.7) renegotiates when a client asks, by default
//! and also with `%DISABLE_SAFE_RENEGOTIATION` (which only drops RFC 5746);
//! it has no priority string that refuses client renegotiation.

mod common;

use std::path::PathBuf;

use common::scan::scan_loopback;
use common::{openssl_self_signed, TempDir, OPENSSL_P256, OPENSSL_RSA_2048};
use model::{ScanReport, VulnStatus};

/// A self-signed certificate for localhost with an RSA-2048 or P-256 key.
fn cert(key_args: &[&str]) -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new("reneg");
    let (cert, key) = openssl_self_signed(&dir, "localhost", key_args, &[]);
    (dir, cert, key)
}

fn assert_status(report: &ScanReport, expected: VulnStatus, evidence: &str) {
    let check = &report.vulnerabilities.client_renegotiation;
    assert_eq!(check.status, expected, "{}", check.evidence);
    assert!(
        check.evidence.contains(evidence),
        "expected {evidence:?} in: {}",
        check.evidence
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_refuses_client_renegotiation_by_default() {
    let (_dir, cert, key) = cert(OPENSSL_RSA_2048);
    let server = common::openssl_server(&cert, &key, &["-tls1_2"]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_status(&report, VulnStatus::NotVulnerable, "no_renegotiation");
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_with_client_renegotiation_accepts_it() {
    let (_dir, cert, key) = cert(OPENSSL_RSA_2048);
    let server = common::openssl_server(&cert, &key, &["-tls1_2", "-client_renegotiation"]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_status(&report, VulnStatus::Vulnerable, "ServerHello");
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_ecdsa_with_client_renegotiation_accepts_it() {
    let (_dir, cert, key) = cert(OPENSSL_P256);
    let server = common::openssl_server(&cert, &key, &["-tls1_2", "-client_renegotiation"]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_status(&report, VulnStatus::Vulnerable, "ServerHello");
}

#[tokio::test(flavor = "multi_thread")]
async fn gnutls_default_accepts_safe_client_renegotiation() {
    let (_dir, cert, key) = cert(OPENSSL_P256);
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
    let Some(server) = common::gnutls_server(&cert, &key, &["--priority", priority]) else {
        return;
    };
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_status(&report, VulnStatus::Vulnerable, "ServerHello");
}

#[tokio::test(flavor = "multi_thread")]
async fn gnutls_without_safe_renegotiation_still_renegotiates() {
    let (_dir, cert, key) = cert(OPENSSL_RSA_2048);
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION";
    let Some(server) = common::gnutls_server(&cert, &key, &["--priority", priority]) else {
        return;
    };
    let report = scan_loopback("localhost", server.port, &[]).await;
    // %DISABLE_SAFE_RENEGOTIATION drops RFC 5746, not renegotiation itself:
    // the server renegotiates, insecurely.
    assert_status(&report, VulnStatus::Vulnerable, "ServerHello");
    assert_eq!(
        report.vulnerabilities.insecure_renegotiation.status,
        VulnStatus::Vulnerable
    );
}
