//! Probes against scripted hostile servers (tokio tasks on loopback):
//! - ROBOT against a certificate whose RSA key has an oversized exponent or
//!   modulus: the probe must refuse the arithmetic ("key too large") and
//!   return at once, instead of spending minutes in a modular
//!   exponentiation. A sane key of the same hand-made shape is encrypted to,
//!   which shows the certificate parses.
//! - A Certificate message of 40,000 empty entries: refused after counting,
//!   never stored (the observation says how many entries there were).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use model::{
    DnsObservation, HelloSpec, ProbeKind, ProbeRequest, Purpose, RsaPadding, Target, VulnProbe,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wire::handshake::{encode_handshake, HandshakeType};
use wire::record::{write_record, ContentType};
use wire::registry::{CipherSuite, ProtocolVersion};

/// DER tag-length-value.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A positive INTEGER.
fn integer(magnitude: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    if magnitude.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(magnitude);
    tlv(0x02, &content)
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend_from_slice(bytes);
    tlv(0x03, &content)
}

/// A certificate (unsigned in all but form) whose subject key is RSA
/// (`n`, `e`). Only the structure has to parse; nobody checks its signature.
fn rsa_certificate(n: &[u8], e: &[u8]) -> Vec<u8> {
    let sha256_rsa = seq(&[
        tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
        ),
        vec![0x05, 0x00],
    ]);
    let name = seq(&[tlv(
        0x31,
        &seq(&[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, b"hostile")]),
    )]);
    let validity = seq(&[tlv(0x17, b"250101000000Z"), tlv(0x17, b"350101000000Z")]);
    let spki = seq(&[
        seq(&[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]),
        bit_string(&seq(&[integer(n), integer(e)])),
    ]);
    let tbs = seq(&[
        tlv(0xa0, &integer(&[2])),
        integer(&[1]),
        sha256_rsa.clone(),
        name.clone(),
        validity,
        name,
        spki,
    ]);
    seq(&[tbs, sha256_rsa, bit_string(&[0x5a; 256])])
}

/// ServerHello (TLS 1.2, TLS_RSA_WITH_AES_128_CBC_SHA), Certificate, ServerHelloDone.
fn first_flight(certificate: &[u8]) -> Vec<u8> {
    let mut list = (certificate.len() as u32).to_be_bytes()[1..].to_vec();
    list.extend_from_slice(certificate);
    first_flight_with_list(&list)
}

/// The same flight with `list` as the Certificate message's certificate_list.
fn first_flight_with_list(list: &[u8]) -> Vec<u8> {
    let mut hello = vec![0x03, 0x03];
    hello.extend([0x11; 32]);
    hello.push(0); // session id
    hello.extend([0x00, 0x2f, 0x00]); // suite, compression
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(list);
    let mut messages = encode_handshake(HandshakeType::ServerHello, &hello);
    messages.extend(encode_handshake(HandshakeType::Certificate, &body));
    messages.extend(encode_handshake(HandshakeType::ServerHelloDone, &[]));
    messages
        .chunks(16_000)
        .flat_map(|c| write_record(ContentType::Handshake, ProtocolVersion::TLS1_2, c))
        .collect()
}

/// Serves `flight` to every connection after its first bytes, then keeps
/// the connection open (silent) for a while. Returns the port.
async fn hostile_server(flight: Vec<u8>) -> u16 {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let flight = flight.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&flight).await;
                let _ = tokio::time::timeout(Duration::from_secs(10), async {
                    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                })
                .await;
            });
        }
    });
    port
}

/// Runs the ROBOT probe (valid padding) against a server presenting an RSA
/// key (`n`, `e`); returns the follow-up observation and the time taken.
async fn robot_against(n: &[u8], e: &[u8]) -> (model::FollowUpObservation, Duration) {
    let port = hostile_server(first_flight(&rsa_certificate(n, e))).await;
    let target = Target::new("localhost", port);
    let dns = DnsObservation {
        skipped: true,
        addresses: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        ..Default::default()
    };
    let request = ProbeRequest {
        purpose: Purpose::Vulnerability {
            name: "robot:correct".into(),
        },
        kind: ProbeKind::Vulnerability(VulnProbe::RsaPadding {
            hello: HelloSpec {
                versions: vec![ProtocolVersion::TLS1_2],
                cipher_suites: vec![CipherSuite(0x002f)],
                ..Default::default()
            },
            padding: RsaPadding::Correct,
        }),
    };
    let options = probe::ProbeOptions {
        timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let started = Instant::now();
    let records = tokio::time::timeout(
        Duration::from_secs(20),
        probe::run(&target, &dns, vec![request], &options),
    )
    .await
    .expect("the probe ends");
    let elapsed = started.elapsed();
    let flight = records[0].flight.clone().expect("a flight");
    (flight.follow_up.expect("a follow-up record"), elapsed)
}

/// A 2048-bit odd modulus (not a real key: the probe only encrypts to it).
fn modulus(bytes: usize) -> Vec<u8> {
    let mut n = vec![0xc3; bytes];
    n[bytes - 1] = 0xc5;
    n
}

#[tokio::test]
async fn an_8_kib_exponent_is_refused_before_any_arithmetic() {
    let (f, elapsed) = robot_against(&modulus(256), &[0xff; 8192]).await;
    let why = f.skipped.expect("not sent");
    assert!(why.starts_with("key too large"), "{why}");
    assert!(why.contains("65536 bits"), "{why}");
    assert!(f.sent.is_empty(), "{:?}", f.sent);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn a_16384_bit_modulus_is_refused() {
    let (f, elapsed) = robot_against(&modulus(2048), &[1, 0, 1]).await;
    let why = f.skipped.expect("not sent");
    assert!(why.starts_with("key too large"), "{why}");
    assert!(why.contains("16384 bits"), "{why}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn a_sane_key_of_the_same_shape_is_encrypted_to() {
    let (f, _) = robot_against(&modulus(256), &[1, 0, 1]).await;
    assert_eq!(f.skipped, None);
    assert_eq!(
        f.sent,
        ["client_key_exchange", "change_cipher_spec", "finished"]
    );
}

#[tokio::test]
async fn forty_thousand_certificate_entries_are_counted_not_stored() {
    let port = hostile_server(first_flight_with_list(&[0u8; 3 * 40_000])).await;
    let target = Target::new("localhost", port);
    let dns = DnsObservation {
        skipped: true,
        addresses: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        ..Default::default()
    };
    let request = ProbeRequest {
        purpose: Purpose::ClientHello,
        kind: ProbeKind::Hello(HelloSpec {
            versions: vec![ProtocolVersion::TLS1_2],
            cipher_suites: vec![CipherSuite(0x002f)],
            ..Default::default()
        }),
    };
    let options = probe::ProbeOptions {
        timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let records = probe::run(&target, &dns, vec![request], &options).await;
    let flight = records[0].flight.clone().expect("a flight");
    assert!(flight.certificates.is_empty());
    match &flight.end {
        model::FlightEnd::Malformed { message } => {
            assert!(message.contains("40000"), "{message}");
            assert!(message.contains("number of entries"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(flight.server_hello.is_some());
}
