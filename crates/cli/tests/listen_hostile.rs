//! `listen` against clients that are not clients: plain HTTP, garbage, a
//! truncated hello, silence, an oversized hello. Each gets a record and the
//! listener keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use model::{ClientHelloRecord, HelloFormat};
use tlsdoctor::listen::{ListenConfig, Listener};

async fn start() -> Listener {
    Listener::start(ListenConfig {
        hello_timeout: Duration::from_millis(500),
        handshake_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        max_hello_len: 4096,
        ..ListenConfig::default()
    })
    .await
    .expect("listener starts")
}

async fn next(listener: &mut Listener) -> ClientHelloRecord {
    tokio::time::timeout(Duration::from_secs(10), listener.next_record())
        .await
        .expect("a record")
        .expect("running")
}

/// Sends `bytes`, optionally half-closes, and returns what came back.
async fn send(port: u16, bytes: &'static [u8], close: bool) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(bytes);
        if close {
            let _ = s.shutdown(std::net::Shutdown::Write);
        }
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn non_tls_and_broken_hellos_are_recorded() {
    let mut listener = start().await;
    let port = listener.local_addr().port();

    let answer = send(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false).await;
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 400"));
    let r = next(&mut listener).await;
    assert_eq!(
        (r.format, r.handshake.as_str()),
        (HelloFormat::NotTls, "not_tls")
    );
    assert_eq!(r.first_bytes.as_deref().unwrap()[..4], *b"GET ");

    send(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", true).await;
    let r = next(&mut listener).await;
    assert_eq!(r.handshake.as_str(), "handshake_reset", "{r:?}");

    send(port, b"", false).await;
    let r = next(&mut listener).await;
    assert_eq!(
        (r.format, r.handshake.as_str()),
        (HelloFormat::None, "handshake_timeout")
    );

    // A record claiming 64 KiB, then 5000 bytes: over max_hello_len.
    static BIG: [u8; 5005] = {
        let mut b = [0u8; 5005];
        b[0] = 0x16;
        b[1] = 3;
        b[2] = 1;
        b[3] = 0x40;
        b
    };
    send(port, &BIG, true).await;
    let r = next(&mut listener).await;
    assert_eq!(r.handshake.as_str(), "protocol_violation", "{r:?}");

    // \x1b and control bytes in SNI never reach the terminal summary.
    let hello = wire::handshake::ClientHelloBuilder::modern(Some("evil\x1b[2Jname"))
        .build()
        .encode_record(wire::registry::ProtocolVersion::TLS1_0);
    let hello: &'static [u8] = Box::leak(hello.into_boxed_slice());
    send(port, hello, true).await;
    let r = next(&mut listener).await;
    assert_eq!(r.sni.as_deref(), Some("evil\x1b[2Jname"));
    let text = tlsdoctor::listen::page::terminal(&r, tlsdoctor::render::Style { color: false });
    assert!(!text.contains('\x1b'), "{text}");

    // An SSLv2-format hello.
    let v2 = wire::sslv2::Ssl2ClientHello::all_ciphers().build_record();
    let v2: &'static [u8] = Box::leak(v2.into_boxed_slice());
    send(port, v2, true).await;
    let r = next(&mut listener).await;
    assert_eq!(
        (r.format, r.handshake.as_str()),
        (HelloFormat::Sslv2, "protocol_mismatch")
    );
    assert_eq!(r.versions, ["ssl2"]);
    assert!(r.flag("sslv2_hello").is_some() && r.flag("export_offered").is_some());
}

#[tokio::test]
async fn a_hello_with_30000_suites_gives_a_bounded_record() {
    let mut listener = Listener::start(ListenConfig {
        hello_timeout: Duration::from_secs(2),
        handshake_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..ListenConfig::default()
    })
    .await
    .expect("listener starts");
    let port = listener.local_addr().port();
    let hello = wire::handshake::ClientHelloBuilder::modern(Some("localhost"))
        .cipher_suites((1..=30_000u16).map(wire::registry::CipherSuite))
        .build()
        .encode_record(wire::registry::ProtocolVersion::TLS1_0);
    let sent = hello.len();
    let hello: &'static [u8] = Box::leak(hello.into_boxed_slice());
    send(port, hello, true).await;
    let r = next(&mut listener).await;
    assert_eq!(r.cipher_suites.len(), 256);
    assert!(
        r.truncated
            .iter()
            .any(|t| t == "cipher_suites: 30000 sent, the first 256 kept"),
        "{:?}",
        r.truncated
    );
    assert!(r.hello.is_none(), "a 60 KB hello is not kept");
    let json = serde_json::to_vec(&r).unwrap();
    assert!(
        json.len() < sent / 2,
        "{} bytes of record for {sent} bytes sent",
        json.len()
    );
    let text = tlsdoctor::listen::page::terminal(&r, tlsdoctor::render::Style { color: false });
    assert!(text.len() < sent, "{} bytes of summary", text.len());
    assert!(
        text.contains("truncated   cipher_suites: 30000 sent, the first 256 kept"),
        "{text}"
    );
}

#[test]
fn a_failing_json_log_is_reported_and_survived() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tlsdoctor"))
        .args([
            "listen",
            "--port",
            "0",
            "--json",
            "--count",
            "2",
            "--timeout",
            "2",
            "--json-log",
            "/dev/full",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tlsdoctor runs");
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut port = None;
    let mut line = String::new();
    while port.is_none() && stderr.read_line(&mut line).unwrap_or(0) > 0 {
        port = line
            .split("accepting TLS on ")
            .nth(1)
            .and_then(|a| a.trim().parse::<std::net::SocketAddr>().ok())
            .map(|a| a.port());
        line.clear();
    }
    let port = port.expect("the listener's address on stderr");
    for _ in 0..2 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = s.write_all(b"garbage, not TLS\r\n\r\n");
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.read_to_end(&mut out);
    }
    let output = child.wait_with_output().expect("listen ends after --count");
    let mut rest = String::new();
    let _ = Read::read_to_string(&mut stderr, &mut rest);
    assert_eq!(output.status.code(), Some(0), "{rest}");
    assert_eq!(
        rest.matches("cannot write the JSON log").count(),
        1,
        "reported once: {rest}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 2, "both records printed: {stdout}");
}

/// A TLS 1.3 client (rustls) that trusts the listener's CA and fetches
/// `/json`; returns the status line.
async fn fetch_report(port: u16, ca_pem: &str) -> String {
    use rustls_pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    tls.write_all(b"GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    let _ = tls.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_normal_client_is_served_at_once_during_a_flood_of_idle_and_stalled_connections() {
    let mut listener = Listener::start(ListenConfig {
        hello_timeout: Duration::from_secs(5),
        handshake_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        max_connections: 4,
        max_waiting: 64,
        ..ListenConfig::default()
    })
    .await
    .expect("listener starts");
    let port = listener.local_addr().port();
    let ca = listener.ca_pem().to_string();
    // Drain records so that no connection waits on the channel.
    let drain = tokio::spawn(async move { while listener.next_record().await.is_some() {} });
    // 300 connections that send nothing and 100 that stall inside a record
    // header, far more than the 4 handshake slots and the 64 waiting places.
    let mut flood = Vec::new();
    for i in 0..400 {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        if i % 4 == 0 {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"\x16\x03\x01\x40\x00\x01").await;
        }
        flood.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let status = tokio::time::timeout(Duration::from_secs(10), fetch_report(port, &ca))
            .await
            .expect("served");
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "served in {:?} during the flood",
            started.elapsed()
        );
    }
    drop(flood);
    drain.abort();
}
