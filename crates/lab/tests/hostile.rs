//! The hostile servers are bounded: a raw TCP client that sends a real
//! ClientHello (made by rustls) and reads with a timeout never hangs, never
//! receives more than a bounded number of bytes, and sees exactly the fault
//! the catalogue promises. Also: the lab starts fast and stops cleanly.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lab::{Lab, LabConfig};
use rustls::pki_types::ServerName;

/// A real TLS 1.2 + 1.3 ClientHello record for `localhost`.
fn client_hello() -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut out = Vec::new();
    conn.write_tls(&mut out).unwrap();
    out
}

/// What a bounded read saw.
#[derive(Debug)]
struct Seen {
    bytes: Vec<u8>,
    /// How the read ended: EOF, a timeout, or an error kind.
    end: End,
    took: Duration,
}

#[derive(Debug, PartialEq)]
enum End {
    Eof,
    Deadline,
    Error(ErrorKind),
}

/// Connects, sends `hello`, and reads until EOF, error, `deadline` or 1 MiB.
fn exchange(addr: SocketAddr, hello: &[u8], deadline: Duration) -> Seen {
    let start = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    stream.write_all(hello).expect("send hello");
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        if start.elapsed() > deadline {
            break End::Deadline;
        }
        match stream.read(&mut buf) {
            Ok(0) => break End::Eof,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                assert!(bytes.len() <= 1 << 20, "unbounded output from {addr}");
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => break End::Error(e.kind()),
        }
    };
    Seen {
        bytes,
        end,
        took: start.elapsed(),
    }
}

async fn in_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_are_bounded() {
    let names = [
        "not-tls",
        "garbage",
        "silent",
        "reset",
        "huge-record",
        "slow-drip",
        "alert-storm",
    ];
    let lab = Lab::start(LabConfig {
        only: Some(names.iter().map(|s| s.to_string()).collect()),
        ..LabConfig::default()
    })
    .await
    .unwrap();
    let hello = client_hello();
    let addr = |n: &str| lab.server(n).unwrap().addr;
    let mut clients = Vec::new();
    for name in names {
        let (a, h) = (addr(name), hello.clone());
        clients.push((
            name,
            tokio::task::spawn_blocking(move || exchange(a, &h, Duration::from_secs(4))),
        ));
    }
    for (name, client) in clients {
        let seen = client.await.unwrap();
        assert!(
            seen.took < Duration::from_secs(6),
            "{name} took {:?}",
            seen.took
        );
        match name {
            "not-tls" => {
                assert!(
                    seen.bytes.starts_with(b"HTTP/1.1 400 Bad Request\r\n"),
                    "{seen:?}"
                );
                assert_eq!(seen.end, End::Eof);
            }
            "garbage" => {
                assert_eq!(seen.bytes.len(), 512);
                assert!(seen.bytes[0] < 0x14, "first byte looks like a record type");
            }
            "silent" => {
                assert!(seen.bytes.is_empty());
                assert_eq!(seen.end, End::Deadline);
            }
            "reset" => {
                assert!(seen.bytes.is_empty());
                assert_eq!(seen.end, End::Error(ErrorKind::ConnectionReset));
            }
            "huge-record" => {
                assert_eq!(
                    seen.bytes,
                    [0x16, 0x03, 0x03, 0xff, 0xff, 0x02, 0xff, 0xff, 0xff]
                );
                assert_eq!(seen.end, End::Deadline);
            }
            "slow-drip" => {
                // About one byte a second: a handshake record header first.
                assert!((1..=6).contains(&seen.bytes.len()), "{seen:?}");
                assert_eq!(seen.bytes[0], 0x16);
                assert_eq!(seen.end, End::Deadline);
            }
            "alert-storm" => {
                assert_eq!(seen.bytes.len(), 7 * 10_001);
                assert!(seen
                    .bytes
                    .starts_with(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x01]));
                assert!(seen
                    .bytes
                    .ends_with(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 80]));
                assert_eq!(seen.end, End::Eof);
            }
            _ => unreachable!(),
        }
    }
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_servers_answer_and_close() {
    let names = ["tls10-only", "legacy-ciphers-only", "dh-1024", "weak-key"];
    let lab = Lab::start(LabConfig {
        only: Some(names.iter().map(|s| s.to_string()).collect()),
        ..LabConfig::default()
    })
    .await
    .unwrap();
    for name in names {
        let a = lab.server(name).unwrap().addr;
        let hello = client_hello();
        // A modern hello: each refuses it with one fatal alert and closes.
        let seen = in_thread(move || exchange(a, &hello, Duration::from_secs(5))).await;
        assert_eq!(seen.bytes.len(), 7, "{name}: {seen:?}");
        assert_eq!(&seen.bytes[..2], &[0x15, 0x03], "{name}: {seen:?}");
        assert_eq!(seen.bytes[5], 2, "{name}: not fatal");
        let expected_alert = if name == "tls10-only" { 70 } else { 40 };
        assert_eq!(seen.bytes[6], expected_alert, "{name}");
        assert_ne!(seen.end, End::Deadline, "{name} did not close");
    }
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_starts_fast_and_stops_cleanly() {
    let t = Instant::now();
    let lab = Lab::start(LabConfig::default()).await.unwrap();
    let started = t.elapsed();
    assert!(started < Duration::from_secs(3), "start took {started:?}");
    assert_eq!(lab.servers().len(), lab::catalogue().len());
    assert_eq!(lab.servers()[0].name, "good");
    assert!(lab.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    for path in [
        lab.ca_file(),
        lab.client_cert(),
        lab.client_key(),
        lab.foreign_client_cert(),
        lab.foreign_client_key(),
    ] {
        assert!(
            path.starts_with(lab.dir()) && path.is_file(),
            "{}",
            path.display()
        );
    }

    // A connection held open by `silent` must not keep shutdown waiting.
    let silent = lab.server("silent").unwrap().addr;
    let _held = TcpStream::connect(silent).unwrap();
    let addrs: Vec<_> = lab.servers().iter().map(|s| s.addr).collect();
    let dir = lab.dir().to_path_buf();
    let t = Instant::now();
    lab.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        t.elapsed()
    );
    assert!(!dir.exists(), "lab dir not removed");
    for addr in addrs {
        assert!(
            TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err(),
            "{addr} still accepts"
        );
    }
}

#[tokio::test]
async fn unknown_server_is_named() {
    let err = Lab::start(LabConfig {
        only: Some(vec!["good".into(), "no-such-server".into()]),
        ..LabConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no-such-server"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rustls_client_gets_the_date() {
    let lab = Lab::start(LabConfig {
        only: Some(vec!["good".into()]),
        ..LabConfig::default()
    })
    .await
    .unwrap();
    let addr = lab.server("good").unwrap().addr;
    let root: rustls::pki_types::CertificateDer<'static> =
        rustls::pki_types::pem::PemObject::from_pem_slice(lab.ca_pem().as_bytes()).unwrap();
    let response = in_thread(move || {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(root).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut conn = rustls::ClientConnection::new(
            Arc::new(config),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let mut sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let date = response
        .lines()
        .find_map(|l| l.strip_prefix("Date: "))
        .expect("Date header");
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_and_caller_directory() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("tlsdoctor-lab-test-{}", std::process::id()));
    let lab = Lab::start(LabConfig {
        only: Some(vec!["good".into()]),
        dir: Some(dir.clone()),
        ip: "::1".parse().unwrap(),
    })
    .await
    .unwrap();
    let good = lab.server("good").unwrap().clone();
    assert!(good.addr.is_ipv6());
    assert_eq!(good.host, "localhost");
    assert_eq!(lab.ca_file(), dir.join("ca.pem"));
    // The leaf is valid for ::1 too.
    let run = std::process::Command::new("timeout")
        .args([
            "10",
            "openssl",
            "s_client",
            "-connect",
            &good.addr.to_string(),
            "-CAfile",
        ])
        .arg(lab.ca_file())
        .args(["-verify_return_error", "-verify_ip", "::1"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    lab.shutdown().await;
    assert!(dir.join("ca.pem").is_file(), "a caller's directory is kept");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The handshake messages (type, body) in `bytes`, parsed with `wire`.
fn handshake_messages(bytes: &[u8]) -> Vec<(wire::handshake::HandshakeType, Vec<u8>)> {
    let mut records = wire::record::RecordReader::new();
    let mut messages = wire::record::HandshakeReassembler::new();
    records.push(bytes).unwrap();
    let mut out = Vec::new();
    while let Some(record) = records.next_record().unwrap() {
        assert_eq!(record.content_type, wire::record::ContentType::Handshake);
        messages.push(&record.payload).unwrap();
        while let Some(m) = messages.next_message() {
            out.push((m.typ, m.body));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_servers_send_their_first_flight_to_an_old_client() {
    use wire::codec::Codec;
    use wire::handshake::{ClientHello, HandshakeType, ServerHello, ServerKeyExchange};
    use wire::registry::{CipherSuite, ProtocolVersion};

    let cases = [
        ("tls10-only", ProtocolVersion::TLS1_0, 0x002f_u16),
        ("legacy-ciphers-only", ProtocolVersion::TLS1_2, 0x000a),
        ("dh-1024", ProtocolVersion::TLS1_2, 0x0033),
        ("weak-key", ProtocolVersion::TLS1_2, 0x002f),
    ];
    let lab = Lab::start(LabConfig {
        only: Some(cases.iter().map(|c| c.0.to_string()).collect()),
        ..LabConfig::default()
    })
    .await
    .unwrap();
    let mut clients = Vec::new();
    for (name, version, suite) in cases {
        let hello = ClientHello {
            legacy_version: version,
            random: [9; 32],
            session_id: Vec::new(),
            cipher_suites: vec![CipherSuite(suite), CipherSuite(0x00ff)],
            compression_methods: vec![0],
            extensions: Vec::new(),
        }
        .encode_record(ProtocolVersion::TLS1_0);
        let addr = lab.server(name).unwrap().addr;
        clients.push((
            name,
            version,
            suite,
            tokio::task::spawn_blocking(move || exchange(addr, &hello, Duration::from_secs(6))),
        ));
    }
    for (name, version, suite, client) in clients {
        let seen = client.await.unwrap();
        assert_eq!(seen.end, End::Eof, "{name} did not close after waiting");
        let messages = handshake_messages(&seen.bytes);
        let types: Vec<_> = messages.iter().map(|m| m.0).collect();
        let mut expected = vec![HandshakeType::ServerHello, HandshakeType::Certificate];
        if name == "dh-1024" {
            expected.push(HandshakeType::ServerKeyExchange);
        }
        expected.push(HandshakeType::ServerHelloDone);
        assert_eq!(types, expected, "{name}");
        let sh = ServerHello::read_bytes(&messages[0].1).unwrap();
        assert_eq!(
            (sh.legacy_version, sh.cipher_suite),
            (version, CipherSuite(suite)),
            "{name}"
        );
        assert_eq!(
            sh.renegotiation_info(),
            Some(&[][..]),
            "{name}: RFC 5746 answer"
        );
        if name == "dh-1024" {
            let ske = ServerKeyExchange::read_bytes(
                &messages[2].1,
                wire::handshake::KeyExchangeKind::Dhe,
                ProtocolVersion::TLS1_2,
            )
            .unwrap();
            assert_eq!(ske.dh_prime_bits(), Some(1024));
        }
    }
    lab.shutdown().await;
}
