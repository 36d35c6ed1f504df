//! `scan` against real servers nobody here wrote: `openssl s_server` and
//! `gnutls-serv` on 127.0.0.1 with explicit settings. The expected suite
//! lists come from the same libraries (`openssl ciphers -V -s`,
//! `gnutls-cli --priority ... --list`), never from tlsdoctor's own tables.

mod common;

use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::free_port;
use common::scan::{scan_loopback, sorted, supported_protocols};
use wire::registry::CipherSuite;

/// A server process, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh temporary directory (removed when dropped) with an RSA-2048
/// self-signed certificate (RSA, so that the RSA-authenticated suites can
/// all be negotiated).
fn cert_dir() -> common::TempDir {
    let dir = common::TempDir::new("scan-openssl");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost", "-days", "2"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(status.success(), "openssl req failed");
    dir
}

fn wait_for(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the server did not listen on {port}");
}

fn openssl_server(dir: &Path, flags: &[&str]) -> Server {
    let port = free_port();
    let mut child = Command::new("openssl")
        .arg("s_server")
        .arg("-accept")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(dir.join("cert.pem"))
        .arg("-key")
        .arg(dir.join("key.pem"))
        .args(["-www", "-quiet"])
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl is installed");
    wait_for(port, &mut child);
    Server { child, port }
}

/// `openssl ciphers -V -s FLAGS CIPHERS`, as IANA names, limited to what a
/// server holding only an RSA key can negotiate: authentication RSA or none
/// (anonymous), and no key exchange that needs something the server was not
/// given (PSK identities, an SRP verifier file, a DSA/ECDSA or DH/ECDH
/// certificate). OpenSSL lists those suites as enabled, but s_server skips
/// them at handshake time for want of the key or callback.
fn openssl_expected(flags: &[&str], ciphers: &str) -> Vec<String> {
    let out = Command::new("openssl")
        .args(["ciphers", "-V", "-s"])
        .args(flags)
        .arg(ciphers)
        .output()
        .expect("openssl is installed");
    assert!(out.status.success(), "openssl ciphers failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let code = fields.first()?;
            let (hi, lo) = code.split_once(',')?;
            let hi = u8::from_str_radix(hi.trim_start_matches("0x"), 16).ok()?;
            let lo = u8::from_str_radix(lo.trim_start_matches("0x"), 16).ok()?;
            let field = |key: &str| {
                fields
                    .iter()
                    .find_map(|f| f.strip_prefix(key))
                    .unwrap_or("")
                    .to_string()
            };
            let (kx, au) = (field("Kx="), field("Au="));
            let usable = matches!(au.as_str(), "RSA" | "None" | "any")
                && !kx.contains("PSK")
                && !kx.contains("SRP");
            usable.then(|| CipherSuite(u16::from_be_bytes([hi, lo])).name())
        })
        .collect()
}

fn is_tls13(name: &str) -> bool {
    CipherSuite::from_name(name)
        .and_then(|s| s.info())
        .is_some_and(|i| i.min_version == wire::registry::ProtocolVersion::TLS1_3)
}

#[tokio::test(flavor = "multi_thread")]
async fn tls12_two_suites_in_server_order() {
    let dir = cert_dir();
    let ciphers = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";
    let server = openssl_server(&dir, &["-tls1_2", "-cipher", ciphers, "-serverpref"]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_eq!(supported_protocols(&report), ["tls1_2"]);
    let tls12 = report.protocol("tls1_2").unwrap();
    let expected: Vec<String> = openssl_expected(&["-tls1_2"], ciphers)
        .into_iter()
        .filter(|s| !is_tls13(s))
        .collect();
    assert_eq!(
        expected,
        [
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        ]
    );
    assert_eq!(tls12.cipher_suites, expected, "in the configured order");
    assert_eq!(tls12.server_order, Some(true));
    assert!(
        tls12.groups.iter().any(|g| g == "x25519"),
        "{:?}",
        tls12.groups
    );
    assert_eq!(report.certificates.len(), 1);
    assert!(report.certificates[0].hostname_match);
    assert!(report.incomplete.is_empty(), "{:?}", report.incomplete);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls12_client_order() {
    let dir = cert_dir();
    let ciphers = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA";
    let server = openssl_server(&dir, &["-tls1_2", "-cipher", ciphers]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    let tls12 = report.protocol("tls1_2").unwrap();
    let expected = openssl_expected(&["-tls1_2"], ciphers)
        .into_iter()
        .filter(|s| !is_tls13(s))
        .collect();
    assert_eq!(sorted(tls12.cipher_suites.clone()), sorted(expected));
    assert_eq!(tls12.server_order, Some(false));
}

#[tokio::test(flavor = "multi_thread")]
async fn tls10_only_at_seclevel_0() {
    let dir = cert_dir();
    let ciphers = "ALL:@SECLEVEL=0";
    let server = openssl_server(&dir, &["-tls1", "-cipher", ciphers]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_eq!(supported_protocols(&report), ["tls1_0"]);
    let expected = openssl_expected(&["-tls1"], ciphers)
        .into_iter()
        .filter(|s| !is_tls13(s))
        .collect();
    let tls10 = report.protocol("tls1_0").unwrap();
    assert_eq!(sorted(tls10.cipher_suites.clone()), sorted(expected));
}

#[tokio::test(flavor = "multi_thread")]
async fn everything_over_tls10_to_tls12() {
    let dir = cert_dir();
    let ciphers = "ALL:COMPLEMENTOFALL:@SECLEVEL=0";
    let server = openssl_server(
        &dir,
        &[
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1.2",
            "-cipher",
            ciphers,
        ],
    );
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_eq!(supported_protocols(&report), ["tls1_0", "tls1_1", "tls1_2"]);
    for (name, flag) in [
        ("tls1_0", "-tls1"),
        ("tls1_1", "-tls1_1"),
        ("tls1_2", "-tls1_2"),
    ] {
        let expected = openssl_expected(&[flag], ciphers)
            .into_iter()
            .filter(|s| !is_tls13(s))
            .collect();
        let got = report.protocol(name).unwrap();
        assert_eq!(
            sorted(got.cipher_suites.clone()),
            sorted(expected),
            "{name}"
        );
        assert_eq!(got.server_order, Some(false), "{name}");
    }
    let dh = report.dh.as_ref().expect("DHE suites are enabled");
    assert!(dh.prime_bits >= 1024);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls13_one_suite() {
    let dir = cert_dir();
    let server = openssl_server(
        &dir,
        &["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
    );
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_eq!(supported_protocols(&report), ["tls1_3"]);
    let tls13 = report.protocol("tls1_3").unwrap();
    assert_eq!(tls13.cipher_suites, ["TLS_AES_256_GCM_SHA384"]);
    assert_eq!(tls13.server_order, None);
    assert!(
        tls13.groups.iter().any(|g| g == "x25519"),
        "{:?}",
        tls13.groups
    );
    // TLS 1.3 encrypts the certificate: the real handshake read it.
    assert_eq!(report.certificates.len(), 1);
    assert_eq!(report.certificates[0].key_type, "rsa");
}

#[tokio::test(flavor = "multi_thread")]
async fn openssl_defaults() {
    let dir = cert_dir();
    let server = openssl_server(&dir, &[]);
    let report = scan_loopback("localhost", server.port, &[]).await;
    for (name, flag) in [("tls1_2", "-tls1_2"), ("tls1_3", "-tls1_3")] {
        let all = openssl_expected(&[flag], "DEFAULT");
        let expected: Vec<String> = all
            .into_iter()
            .filter(|s| is_tls13(s) == (name == "tls1_3"))
            .collect();
        let got = report.protocol(name).unwrap();
        assert!(got.is_supported(), "{name}");
        assert_eq!(
            sorted(got.cipher_suites.clone()),
            sorted(expected),
            "{name}"
        );
    }
    // OpenSSL 3 at security level 1 refuses TLS 1.0/1.1 handshakes (no
    // SHA-256 signatures there) although the protocols are not disabled.
    for name in ["ssl2", "ssl3"] {
        assert!(!report.protocol(name).unwrap().is_supported(), "{name}");
    }
    assert_eq!(report.features.secure_renegotiation, Some(true));
    assert_eq!(report.features.extended_master_secret, Some(true));
    assert_eq!(
        report.features.fallback_scsv.is_some(),
        supported_protocols(&report).len() >= 2
    );
    assert_eq!(
        report.features.http_status.as_deref(),
        Some("HTTP/1.0 200 ok"),
        "s_server -www speaks HTTP"
    );
    assert!(report.elapsed_ms < 5000, "took {} ms", report.elapsed_ms);
}

// ---------------------------------------------------------------- GnuTLS

fn gnutls_available() -> bool {
    let found = Command::new("gnutls-serv")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("gnutls-serv is missing but CI is set: install gnutls-bin");
    }
    found
}

fn gnutls_server(dir: &Path, priority: &str) -> Server {
    let port = free_port();
    let mut child = Command::new("gnutls-serv")
        .args([
            "--port",
            &port.to_string(),
            "--priority",
            priority,
            "--http",
            "--quiet",
        ])
        .arg("--x509certfile")
        .arg(dir.join("cert.pem"))
        .arg("--x509keyfile")
        .arg(dir.join("key.pem"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnutls-serv starts");
    wait_for(port, &mut child);
    Server { child, port }
}

/// `gnutls-cli --priority P --list`: (IANA name, minimum version), limited
/// to what an RSA certificate can serve (no ECDSA/DSS, PSK or SRP suites).
fn gnutls_expected(priority: &str) -> Vec<(String, String)> {
    let out = Command::new("gnutls-cli")
        .args(["--priority", priority, "--list"])
        .output()
        .expect("gnutls-cli is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .skip_while(|l| !l.starts_with("Cipher suites"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty() && l.starts_with("TLS_"))
        .filter_map(|line| {
            let mut parts = line.split('\t').map(str::trim).filter(|p| !p.is_empty());
            let name = parts.next()?;
            let code = parts.next()?;
            let min = parts.next()?.to_string();
            if ["ECDSA", "DSS", "PSK", "SRP"]
                .iter()
                .any(|k| name.contains(k))
            {
                return None;
            }
            let (hi, lo) = code.split_once(',')?;
            let hi = u8::from_str_radix(hi.trim().trim_start_matches("0x"), 16).ok()?;
            let lo = u8::from_str_radix(lo.trim().trim_start_matches("0x"), 16).ok()?;
            Some((CipherSuite(u16::from_be_bytes([hi, lo])).name(), min))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn gnutls_tls12_server_order() {
    if !gnutls_available() {
        eprintln!("gnutls-serv not installed; skipping");
        return;
    }
    let dir = cert_dir();
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:%SERVER_PRECEDENCE";
    let server = gnutls_server(&dir, priority);
    let report = scan_loopback("localhost", server.port, &[]).await;
    assert_eq!(supported_protocols(&report), ["tls1_2"]);
    let expected: Vec<String> = gnutls_expected(priority)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let tls12 = report.protocol("tls1_2").unwrap();
    assert_eq!(tls12.server_order, Some(true));
    assert_eq!(tls12.cipher_suites, expected, "in the configured order");
}

#[tokio::test(flavor = "multi_thread")]
async fn gnutls_tls10_to_13_client_order() {
    if !gnutls_available() {
        eprintln!("gnutls-serv not installed; skipping");
        return;
    }
    let dir = cert_dir();
    let priority = "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+SHA1:+AES-128-CBC:+3DES-CBC:+RSA";
    let server = gnutls_server(&dir, priority);
    let report = scan_loopback("localhost", server.port, &[]).await;
    let listed = gnutls_expected(priority);
    for (name, versions) in [
        ("tls1_0", &["TLS1.0", "SSL3.0"][..]),
        ("tls1_1", &["TLS1.0", "SSL3.0"][..]),
        ("tls1_2", &["TLS1.0", "SSL3.0", "TLS1.2"][..]),
        ("tls1_3", &["TLS1.3"][..]),
    ] {
        let expected: Vec<String> = listed
            .iter()
            .filter(|(_, min)| versions.contains(&min.as_str()))
            .map(|(n, _)| n.clone())
            .collect();
        let got = report.protocol(name).unwrap();
        assert!(got.is_supported(), "{name}: {}", got.evidence);
        assert_eq!(
            sorted(got.cipher_suites.clone()),
            sorted(expected),
            "{name}"
        );
    }
}
