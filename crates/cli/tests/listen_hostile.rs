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
