//! `diagnose` against servers nobody here wrote: `openssl s_server`,
//! `gnutls-serv` and Python's HTTP server, each configured to one fault. The
//! expected code follows from the configuration, not from our output.

mod common;

use common::{
    diagnose, gnutls_server, http_server, intermediate, leaf, openssl_server, root, TempDir,
};
use model::{Code, Step, Verdict};

/// A root CA file, and a leaf signed by it, written to `dir`.
fn good_pki(
    dir: &TempDir,
    names: &[&str],
    days_from: i64,
    days_to: i64,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca = root("tlsdoctor test root");
    let (cert, key) = leaf(names, days_from, days_to, Some(&ca));
    (
        dir.write("ca.pem", &ca.pem()),
        dir.write("cert.pem", &cert),
        dir.write("key.pem", &key),
    )
}

#[tokio::test]
async fn openssl_expired_certificate() {
    let dir = TempDir::new("expired");
    let (ca, cert, key) = good_pki(&dir, &["localhost"], -60, -30);
    let server = openssl_server(&cert, &key, &[]);
    let report = diagnose(server.port, Some(&ca), |_| {}).await;
    assert_eq!(report.primary_code(), Code::CertExpired, "{report:#?}");
    assert_eq!(report.verdict, Verdict::Failed);
    assert_eq!(report.failed_step, Some(Step::Certificate));
}

#[tokio::test]
async fn openssl_wrong_host() {
    let dir = TempDir::new("wronghost");
    let (ca, cert, key) = good_pki(&dir, &["other.example"], -1, 30);
    let server = openssl_server(&cert, &key, &[]);
    let report = diagnose(server.port, Some(&ca), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::CertHostnameMismatch,
        "{report:#?}"
    );
}

#[tokio::test]
async fn openssl_self_signed() {
    let dir = TempDir::new("selfsigned");
    let (cert, key) = leaf(&["localhost"], -1, 30, None);
    let (cert, key) = (dir.write("cert.pem", &cert), dir.write("key.pem", &key));
    let server = openssl_server(&cert, &key, &[]);
    let report = diagnose(server.port, None, |_| {}).await;
    assert_eq!(report.primary_code(), Code::CertSelfSigned, "{report:#?}");
}

#[tokio::test]
async fn openssl_incomplete_chain() {
    let dir = TempDir::new("incomplete");
    let ca = root("tlsdoctor test root");
    let inter = intermediate("tlsdoctor test intermediate", &ca);
    let (cert, key) = common::leaf_with(
        &["localhost"],
        -1,
        90,
        Some(&inter),
        Some("http://ca.example.invalid/inter.crt"),
    );
    let ca_file = dir.write("ca.pem", &ca.pem());
    // The server is given only the leaf, not the intermediate.
    let (cert, key) = (dir.write("cert.pem", &cert), dir.write("key.pem", &key));
    let server = openssl_server(&cert, &key, &[]);
    let report = diagnose(server.port, Some(&ca_file), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::CertChainIncomplete,
        "{report:#?}"
    );

    // The same leaf with its intermediate (-cert_chain) is healthy.
    let chain = dir.write("chain.pem", &inter.pem());
    let server = openssl_server(&cert, &key, &["-cert_chain", chain.to_str().unwrap()]);
    let report = diagnose(server.port, Some(&ca_file), |_| {}).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
}

#[tokio::test]
async fn openssl_tls10_only() {
    let dir = TempDir::new("tls10");
    let (ca, cert, key) = good_pki(&dir, &["localhost"], -1, 30);
    let server = openssl_server(&cert, &key, &["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let report = diagnose(server.port, Some(&ca), |_| {}).await;
    assert_eq!(report.primary_code(), Code::ProtocolMismatch, "{report:#?}");
    let d = &report.diagnoses[0];
    assert!(
        d.evidence
            .iter()
            .any(|e| e.contains("server accepted: TLS 1.0")),
        "{d:#?}"
    );
}

#[tokio::test]
async fn openssl_suite_no_browser_offers() {
    let dir = TempDir::new("onesuite");
    // RSA key exchange needs an RSA certificate: let OpenSSL make one.
    let cert = dir.path("rsa.pem");
    let key = dir.path("rsa.key");
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-days",
            "2",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl req");
    assert!(ok.success());
    // TLS_RSA_WITH_AES_128_CBC_SHA256 (0x003c): no current browser offers it.
    let server = openssl_server(&cert, &key, &["-tls1_2", "-cipher", "AES128-SHA256"]);
    let report = diagnose(server.port, Some(&cert), |_| {}).await;
    assert_eq!(report.primary_code(), Code::CipherMismatch, "{report:#?}");
    let d = &report.diagnoses[0];
    assert!(
        d.evidence
            .iter()
            .any(|e| e.contains("TLS_RSA_WITH_AES_128_CBC_SHA256")),
        "the evidence names the server's only suite: {d:#?}"
    );
}

#[tokio::test]
async fn openssl_requires_client_certificate() {
    let dir = TempDir::new("verify");
    let (ca, cert, key) = good_pki(&dir, &["localhost"], -1, 30);
    let server = openssl_server(
        &cert,
        &key,
        &["-Verify", "1", "-CAfile", ca.to_str().unwrap()],
    );
    let report = diagnose(server.port, Some(&ca), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::ClientCertificate));
}

#[tokio::test]
async fn plain_http_is_not_tls() {
    let dir = TempDir::new("http");
    let server = http_server(&dir.0);
    let report = diagnose(server.port, None, |_| {}).await;
    assert_eq!(report.primary_code(), Code::NotTls, "{report:#?}");
    // Python answers a binary hello as HTTP/0.9: the HTML error page alone.
    assert!(
        report.diagnoses[0].summary.contains("plain HTTP"),
        "{:#?}",
        report.diagnoses[0]
    );
}

#[tokio::test]
async fn gnutls_healthy_is_ok() {
    let dir = TempDir::new("gnutls");
    let (ca, cert, key) = good_pki(&dir, &["localhost"], -1, 365);
    // GnuTLS's NORMAL still enables TLS 1.0/1.1 (a warning); a healthy
    // server in 2026 has them off.
    let Some(server) = gnutls_server(
        &cert,
        &key,
        &["--priority", "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1"],
    ) else {
        return;
    };
    let report = diagnose(server.port, Some(&ca), |_| {}).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    assert_eq!(report.verdict, Verdict::Ok);
}

#[tokio::test]
async fn refused_port() {
    let port = common::free_port();
    let report = diagnose(port, None, |_| {}).await;
    assert_eq!(report.primary_code(), Code::TcpRefused, "{report:#?}");
    assert_eq!(report.failed_step, Some(Step::Tcp));
}

/// Runs `openssl ARGS` in `dir` and returns its stdout.
fn openssl_in(dir: &TempDir, args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(&dir.0)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn openssl_stapling_a_revoked_response() {
    let dir = TempDir::new("revoked");
    let ca = root("tlsdoctor test root");
    let (cert_pem, key_pem) = leaf(&["localhost"], -1, 30, Some(&ca));
    let ca_file = dir.write("ca.pem", &ca.pem());
    dir.write("ca.key", &ca.key().serialize_pem());
    let (cert, key) = (
        dir.write("cert.pem", &cert_pem),
        dir.write("key.pem", &key_pem),
    );
    // `openssl ocsp` as the CA's responder, from an `openssl ca` index that
    // marks the leaf revoked (keyCompromise) on 2026-01-02.
    let serial = openssl_in(&dir, &["x509", "-in", "cert.pem", "-noout", "-serial"]);
    let serial = serial.trim().trim_start_matches("serial=");
    dir.write(
        "index.txt",
        &format!(
            "R\t491231235959Z\t260102030405Z,keyCompromise\t{serial}\tunknown\t/CN=localhost\n"
        ),
    );
    openssl_in(
        &dir,
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            "ca.pem",
            "-rkey",
            "ca.key",
            "-CA",
            "ca.pem",
            "-issuer",
            "ca.pem",
            "-cert",
            "cert.pem",
            "-no_nonce",
            "-ndays",
            "7",
            "-respout",
            "resp.der",
        ],
    );
    let server = openssl_server(
        &cert,
        &key,
        &["-status_file", dir.path("resp.der").to_str().unwrap()],
    );
    let report = diagnose(server.port, Some(&ca_file), |_| {}).await;
    assert_eq!(report.primary_code(), Code::CertRevoked, "{report:#?}");
    assert_eq!(report.failed_step, Some(Step::Certificate));
    let d = &report.diagnoses[0];
    let evidence = d.evidence.join("\n");
    for expected in [
        serial,
        "revoked at 2026-01-02T03:04:05Z",
        "keyCompromise",
        "OCSP response produced at",
        "OCSP signature verified",
    ] {
        assert!(evidence.contains(expected), "{expected}: {d:#?}");
    }
}
