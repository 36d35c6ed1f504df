//! ServerFlight on whole synthetic flights: every message of a TLS 1.2 flight
//! packed into one record and split byte by byte, a TLS 1.3 flight that turns
//! encrypted, a HelloRetryRequest, non-TLS banners and an SSLv2 reply.

use wire::codec::Codec;
use wire::flight::{ServerEvent, ServerFlight};
use wire::handshake::{
    encode_handshake, CertificateMessage, CertificateRequest, CertificateStatus, DigitallySigned,
    EcdhParams, Extension, HandshakeType, KeyShareEntry, ServerHello, ServerKeyExchange,
    HRR_RANDOM,
};
use wire::record::{write_record, ContentType};
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use wire::sslv2::{encode_record, Ssl2CipherSpec, Ssl2ServerHello};

const TLS12: ProtocolVersion = ProtocolVersion(0x0303);

fn hello(suite: u16, extensions: Vec<Extension>) -> ServerHello {
    ServerHello {
        legacy_version: TLS12,
        random: [9; 32],
        session_id: vec![1; 32],
        cipher_suite: CipherSuite(suite),
        compression_method: 0,
        extensions,
    }
}

fn events_of(bytes: &[u8], chunk: usize) -> (Vec<ServerEvent>, bool) {
    let mut f = ServerFlight::new();
    let mut events = Vec::new();
    for c in bytes.chunks(chunk) {
        f.push(c);
        events.extend(f.drain_events());
    }
    (events, f.is_complete())
}

#[test]
fn tls12_flight_in_one_record() {
    let sh = hello(
        0xc02f,
        vec![
            Extension::RenegotiationInfo(vec![]),
            Extension::ExtendedMasterSecret,
            Extension::StatusRequestAck,
        ],
    );
    let cert = CertificateMessage::Tls12 {
        certificates: vec![vec![0x30, 0x03, 1, 2, 3], vec![0x30, 0x01, 0]],
    };
    let mut point = vec![4];
    point.extend([7u8; 64]);
    let ske = ServerKeyExchange::Ecdh {
        params: EcdhParams {
            curve_type: 3,
            group: NamedGroup(0x0017),
            point,
        },
        signature: Some(DigitallySigned {
            scheme: Some(SignatureScheme(0x0804)),
            signature: vec![5; 256],
        }),
    };
    let cr = CertificateRequest::Tls12 {
        certificate_types: vec![1, 64],
        signature_algorithms: Some(vec![SignatureScheme(0x0401)]),
        certificate_authorities: vec![vec![0x30, 0x00]],
    };
    let mut flight = sh.encode_handshake();
    flight.extend(encode_handshake(
        HandshakeType::Certificate,
        &cert.get_encoding(),
    ));
    flight.extend(encode_handshake(
        HandshakeType::CertificateStatus,
        &CertificateStatus::ocsp(vec![0x30, 0x00]).get_encoding(),
    ));
    flight.extend(encode_handshake(
        HandshakeType::ServerKeyExchange,
        &ske.get_encoding(),
    ));
    flight.extend(encode_handshake(
        HandshakeType::CertificateRequest,
        &cr.get_encoding(),
    ));
    flight.extend(encode_handshake(HandshakeType::ServerHelloDone, &[]));
    let bytes = write_record(ContentType::Handshake, TLS12, &flight);

    for chunk in [1, 7, bytes.len()] {
        let (events, complete) = events_of(&bytes, chunk);
        assert!(complete);
        let expected_ske = if CipherSuite(0xc02f).info().is_some() {
            ske.clone()
        } else {
            ServerKeyExchange::Unknown(ske.get_encoding())
        };
        assert_eq!(
            events,
            vec![
                ServerEvent::ServerHello(sh.clone()),
                ServerEvent::Certificate(cert.clone()),
                ServerEvent::CertificateStatus(CertificateStatus::ocsp(vec![0x30, 0x00])),
                ServerEvent::ServerKeyExchange(expected_ske),
                ServerEvent::CertificateRequest(cr.clone()),
                ServerEvent::ServerHelloDone,
            ]
        );
    }
}

#[test]
fn tls13_flight_turns_encrypted() {
    let sh = hello(
        0x1301,
        vec![
            Extension::SelectedVersion(ProtocolVersion(0x0304)),
            Extension::KeyShareServer(KeyShareEntry {
                group: NamedGroup(0x001d),
                key_exchange: vec![3; 32],
            }),
        ],
    );
    let mut bytes = write_record(ContentType::Handshake, TLS12, &sh.encode_handshake());
    bytes.extend(write_record(ContentType::ChangeCipherSpec, TLS12, &[1]));
    bytes.extend(write_record(ContentType::ApplicationData, TLS12, &[0; 100]));
    bytes.extend(write_record(ContentType::ApplicationData, TLS12, &[0; 50]));
    let (events, complete) = events_of(&bytes, 3);
    assert!(complete);
    assert_eq!(events[0], ServerEvent::ServerHello(sh));
    assert_eq!(events[1], ServerEvent::ChangeCipherSpec);
    assert_eq!(
        events[3],
        ServerEvent::Encrypted {
            content_type: ContentType::ApplicationData,
            len: 50,
            count: 2
        }
    );
}

#[test]
fn hello_retry_request_completes() {
    let mut hrr = hello(
        0x1301,
        vec![
            Extension::SelectedVersion(ProtocolVersion(0x0304)),
            Extension::KeyShareHelloRetry(NamedGroup(0x0018)),
        ],
    );
    hrr.random = HRR_RANDOM;
    let bytes = write_record(ContentType::Handshake, TLS12, &hrr.encode_handshake());
    let (events, complete) = events_of(&bytes, 5);
    assert!(complete);
    assert_eq!(events, vec![ServerEvent::HelloRetryRequest(hrr)]);
}

#[test]
fn banners_are_not_tls() {
    for banner in [
        &b"SSH-2.0-OpenSSH_9.2\r\n"[..],
        b"HTTP/1.1 400 Bad Request\r\n",
        b"220 mail ESMTP\r\n",
    ] {
        let (events, complete) = events_of(banner, banner.len());
        assert!(complete);
        assert_eq!(
            events,
            vec![ServerEvent::NotTls {
                first_bytes: banner.to_vec()
            }]
        );
    }
}

#[test]
fn sslv2_server_hello() {
    let sh = Ssl2ServerHello {
        session_id_hit: 0,
        certificate_type: 1,
        version: ProtocolVersion(0x0002),
        certificate: vec![0x30, 0x00],
        cipher_specs: vec![Ssl2CipherSpec::RC4_128_EXPORT40_WITH_MD5],
        connection_id: vec![1; 16],
    };
    let mut body = Vec::new();
    sh.encode(&mut body);
    let (events, complete) = events_of(&encode_record(&body), 2);
    assert!(complete);
    assert_eq!(events, vec![ServerEvent::Ssl2ServerHello(sh)]);
}

#[test]
fn malformed_message_does_not_stop_the_flight() {
    let mut flight = encode_handshake(HandshakeType::Certificate, &[0, 0, 9, 1]);
    flight.extend(encode_handshake(HandshakeType::ServerHelloDone, &[]));
    let bytes = write_record(ContentType::Handshake, TLS12, &flight);
    let (events, complete) = events_of(&bytes, 4);
    assert!(complete);
    assert!(matches!(events[0], ServerEvent::Malformed(_)));
    assert_eq!(events[1], ServerEvent::ServerHelloDone);
}
