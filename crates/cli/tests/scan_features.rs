//! `scan` features against real servers nobody here wrote (`openssl
//! s_server` on 127.0.0.1) and one tiny in-process HTTPS server: certificate
//! extensions written by `openssl req -addext` (must-staple, embedded SCTs,
//! AIA), the ALPN list, RSA and ECDSA certificates of one TLS 1.3 server,
//! session resumption on and off, and HTTP security headers.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::scan::scan_loopback;
use common::{openssl_self_signed, openssl_server, TempDir, OPENSSL_P256, OPENSSL_RSA_2048};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An RFC 6962 SignedCertificateTimestampList with one SCT per log ID (a
/// fixed timestamp and a dummy signature), as the DER OCTET STRING the
/// extension holds, in hex for `-addext OID=DER:...`.
fn sct_extension(log_ids: &[u8]) -> String {
    let mut list = Vec::new();
    for &id in log_ids {
        let mut sct = vec![0u8]; // v1
        sct.extend([id; 32]);
        sct.extend(1_700_000_000_000u64.to_be_bytes());
        sct.extend([0, 0]); // no extensions
        sct.extend([4, 3, 0, 4, 1, 2, 3, 4]); // ecdsa/sha256, 4 bytes
        list.extend((sct.len() as u16).to_be_bytes());
        list.extend(sct);
    }
    let mut value = (list.len() as u16).to_be_bytes().to_vec();
    value.extend(list);
    let mut der = vec![0x04, value.len() as u8];
    der.extend(value);
    der.iter().map(|b| format!("{b:02x}")).collect()
}

/// `openssl x509 -fingerprint -sha1`, as upper-case hex without colons.
fn openssl_sha1(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha1", "-in"])
        .arg(cert)
        .output()
        .expect("openssl is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .replace(':', "")
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_extensions_alpn_and_resumption() {
    let dir = TempDir::new("scan-features");
    let (cert, key) = openssl_self_signed(
        &dir,
        "leaf",
        OPENSSL_RSA_2048,
        &[
            "tlsfeature=status_request".into(),
            "authorityInfoAccess=OCSP;URI:http://ocsp.test/,caIssuers;URI:http://ca.test/ca.crt"
                .into(),
            format!(
                "1.3.6.1.4.1.11129.2.4.2=DER:{}",
                sct_extension(&[0x11, 0x22])
            ),
        ],
    );
    // Server order http/1.1 first: OpenSSL picks by its own list.
    let server = openssl_server(&cert, &key, &["-www", "-alpn", "http/1.1,h2"]);
    let report = scan_loopback("localhost", server.port, &[&cert]).await;

    assert_eq!(report.certificates.len(), 1);
    let leaf = &report.certificates[0].certificates[0];
    assert!(leaf.must_staple);
    assert_eq!(leaf.embedded_scts, 2);
    assert_eq!(
        leaf.sct_log_ids,
        ["11".repeat(32), "22".repeat(32)],
        "log IDs in certificate order"
    );
    assert_eq!(leaf.ocsp_urls, ["http://ocsp.test/"]);
    assert_eq!(leaf.ca_issuers, ["http://ca.test/ca.crt"]);
    assert_eq!(leaf.sha1_fingerprint, openssl_sha1(&cert));

    let f = &report.features;
    assert_eq!(
        f.alpn_protocols.as_deref(),
        Some(&["http/1.1".to_string(), "h2".to_string()][..]),
        "every protocol, in the server's order"
    );
    assert_eq!(f.resumption_session_id, Some(true));
    assert_eq!(f.resumption_tickets, Some(true));
    assert_eq!(f.resumption_tickets_at.as_deref(), Some("tls1_3"));
    // s_server -www speaks HTTP/1.0 without any security header.
    let headers = f.http_headers.as_ref().expect("s_server -www speaks HTTP");
    assert!(headers
        .missing
        .iter()
        .any(|h| h == "strict-transport-security"));
    assert!(headers.obsolete.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_alpn_or_extensions() {
    let dir = TempDir::new("scan-plain");
    let (cert, key) = openssl_self_signed(&dir, "leaf", OPENSSL_RSA_2048, &[]);
    let server = openssl_server(&cert, &key, &["-www"]);
    let report = scan_loopback("localhost", server.port, &[&cert]).await;
    assert_eq!(report.features.alpn_protocols, Some(Vec::new()));
    let leaf = &report.certificates[0].certificates[0];
    assert!(!leaf.must_staple);
    assert_eq!(leaf.embedded_scts, 0);
    assert!(leaf.ocsp_urls.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn resumption_follows_no_ticket_and_no_cache() {
    let dir = TempDir::new("scan-resume");
    let (cert, key) = openssl_self_signed(&dir, "leaf", OPENSSL_RSA_2048, &[]);
    // (flags, session ID resumption, ticket resumption at TLS 1.2)
    for (flags, by_id, by_ticket) in [
        (&["-tls1_2", "-no_ticket"][..], true, false),
        (&["-tls1_2", "-no_cache"][..], false, true),
    ] {
        let mut args = vec!["-www"];
        args.extend_from_slice(flags);
        let server = openssl_server(&cert, &key, &args);
        let report = scan_loopback("localhost", server.port, &[&cert]).await;
        let f = &report.features;
        assert_eq!(f.resumption_session_id, Some(by_id), "{flags:?}");
        assert_eq!(f.resumption_tickets, Some(by_ticket), "{flags:?}");
        assert_eq!(f.resumption_tickets_at.as_deref(), Some("tls1_2"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tls13_server_with_rsa_and_ecdsa_keys_shows_both_chains() {
    let dir = TempDir::new("scan-dual");
    let (rsa_cert, rsa_key) = openssl_self_signed(&dir, "rsa", OPENSSL_RSA_2048, &[]);
    let (ec_cert, ec_key) = openssl_self_signed(&dir, "ec", OPENSSL_P256, &[]);
    let server = openssl_server(
        &rsa_cert,
        &rsa_key,
        &[
            "-www",
            "-tls1_3",
            "-dcert",
            ec_cert.to_str().unwrap(),
            "-dkey",
            ec_key.to_str().unwrap(),
        ],
    );
    let report = scan_loopback("localhost", server.port, &[]).await;
    let mut kinds: Vec<&str> = report
        .certificates
        .iter()
        .map(|c| c.key_type.as_str())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["ecdsa", "rsa"]);
    assert!(report
        .certificates
        .iter()
        .all(|c| c.seen_with.iter().any(|t| t == "tls1_3")));
}

// ---------------------------------------------------------------- HTTP headers

/// A tiny HTTPS server (rustls, a self-signed rcgen certificate) answering
/// every request with `headers`.
async fn https_server(headers: &'static str) -> u16 {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!("HTTP/1.1 200 OK\r\n{headers}Content-Length: 0\r\n\r\n");
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn http_security_headers() {
    let port = https_server(
        "Strict-Transport-Security: max-age=63072000; includeSubDomains\r\n\
         Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Permissions-Policy: geolocation=()\r\n\
         Expect-CT: max-age=86400, enforce\r\n\
         Public-Key-Pins: pin-sha256=\"AAAA\"; max-age=5184000\r\n",
    )
    .await;
    let report = scan_loopback("localhost", port, &[]).await;
    let f = &report.features;
    assert_eq!(f.http_status.as_deref(), Some("HTTP/1.1 200 OK"));
    let h = f.http_headers.as_ref().expect("the port speaks HTTP");
    assert_eq!(
        h.strict_transport_security.as_deref(),
        Some("max-age=63072000; includeSubDomains")
    );
    assert_eq!(f.hsts, h.strict_transport_security);
    assert_eq!(
        h.content_security_policy.as_deref(),
        Some("default-src 'self'; frame-ancestors 'none'")
    );
    assert_eq!(h.x_content_type_options.as_deref(), Some("nosniff"));
    assert_eq!(h.permissions_policy.as_deref(), Some("geolocation=()"));
    assert_eq!(h.x_frame_options, None);
    assert_eq!(h.obsolete, ["expect-ct", "public-key-pins"]);
    // frame-ancestors stands in for X-Frame-Options.
    assert_eq!(h.missing, ["referrer-policy"]);
    // rustls servers resume by TLS 1.3 tickets; TLS 1.2 by session ID.
    assert_eq!(f.resumption_tickets, Some(true));
    assert_eq!(f.resumption_session_id, Some(true));
}
