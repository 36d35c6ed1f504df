//! Property tests: encode → parse round trips for every wire type, the record
//! reader and the handshake reassembler under arbitrary splitting, and "never
//! panics" for every parser fed arbitrary bytes.

use proptest::collection::vec;
use proptest::prelude::*;

use wire::alert::{Alert, AlertLevel};
use wire::codec::{Codec, Reader};
use wire::flight::ServerFlight;
use wire::handshake::{
    CertificateEntry, CertificateMessage, CertificateRequest, CertificateRequestForm,
    CertificateStatus, CertificateStatusRequest, ClientHello, DhParams, DigitallySigned,
    EcdhParams, Extension, ExtensionContext, HandshakeType, KeyExchangeKind, KeyShareEntry,
    NewSessionTicket, ServerHello, ServerKeyExchange, ServerNameEntry,
};
use wire::record::{
    write_record, ContentType, HandshakeMessage, HandshakeReassembler, HeartbeatMessage, Record,
    RecordReader,
};
use wire::registry::{
    AlertDescription, CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use wire::sslv2::{self, Ssl2CipherSpec, Ssl2ClientHello, Ssl2Message, Ssl2ServerHello};

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn nonempty(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 1..=max)
}

fn suites() -> impl Strategy<Value = Vec<CipherSuite>> {
    vec(any::<u16>().prop_map(CipherSuite), 0..40)
}

fn groups() -> impl Strategy<Value = Vec<NamedGroup>> {
    vec(any::<u16>().prop_map(NamedGroup), 0..20)
}

fn schemes() -> impl Strategy<Value = Vec<SignatureScheme>> {
    vec(any::<u16>().prop_map(SignatureScheme), 0..20)
}

fn key_share() -> impl Strategy<Value = KeyShareEntry> {
    (any::<u16>(), bytes(200)).prop_map(|(g, k)| KeyShareEntry {
        group: NamedGroup(g),
        key_exchange: k,
    })
}

/// Extension types this crate parses into typed variants (in some context).
const KNOWN: [u16; 19] = [
    0, 5, 10, 11, 13, 15, 16, 18, 21, 22, 23, 35, 43, 44, 45, 47, 50, 51, 0xff01,
];

/// Extensions valid in a ClientHello, including unknown ones.
fn ch_extension() -> impl Strategy<Value = Extension> {
    prop_oneof![
        vec(
            (any::<u8>(), bytes(40)).prop_map(|(t, n)| ServerNameEntry {
                name_type: t,
                name: n
            }),
            0..3
        )
        .prop_map(Extension::ServerName),
        (vec(nonempty(20), 0..3), bytes(20)).prop_map(|(ids, ext)| Extension::StatusRequest(
            CertificateStatusRequest {
                responder_ids: ids,
                request_extensions: ext
            }
        )),
        groups().prop_map(Extension::SupportedGroups),
        bytes(10).prop_map(Extension::EcPointFormats),
        schemes().prop_map(Extension::SignatureAlgorithms),
        schemes().prop_map(Extension::SignatureAlgorithmsCert),
        any::<u8>().prop_map(Extension::Heartbeat),
        vec(bytes(20), 0..4).prop_map(Extension::Alpn),
        bytes(20).prop_map(Extension::SignedCertificateTimestamp),
        (0usize..600).prop_map(Extension::Padding),
        Just(Extension::EncryptThenMac),
        Just(Extension::ExtendedMasterSecret),
        bytes(100).prop_map(Extension::SessionTicket),
        vec(any::<u16>().prop_map(ProtocolVersion), 0..10).prop_map(Extension::SupportedVersions),
        bytes(50).prop_map(Extension::Cookie),
        bytes(5).prop_map(Extension::PskKeyExchangeModes),
        vec(nonempty(40), 0..3).prop_map(Extension::CertificateAuthorities),
        vec(key_share(), 0..3).prop_map(Extension::KeyShare),
        bytes(40).prop_map(Extension::RenegotiationInfo),
        (any::<u16>(), bytes(50))
            .prop_filter("unknown type", |(t, _)| !KNOWN.contains(t))
            .prop_map(|(t, d)| Extension::Unknown {
                typ: ExtensionType(t),
                data: d
            }),
    ]
}

fn client_hello() -> impl Strategy<Value = ClientHello> {
    (
        any::<u16>(),
        any::<[u8; 32]>(),
        bytes(32),
        suites(),
        bytes(5),
        vec(ch_extension(), 0..12),
    )
        .prop_map(|(v, random, sid, cs, comp, ext)| ClientHello {
            legacy_version: ProtocolVersion(v),
            random,
            session_id: sid,
            cipher_suites: cs,
            compression_methods: comp,
            extensions: ext,
        })
}

fn sh_extension() -> impl Strategy<Value = Extension> {
    prop_oneof![
        Just(Extension::ServerNameAck),
        Just(Extension::StatusRequestAck),
        any::<u16>().prop_map(|v| Extension::SelectedVersion(ProtocolVersion(v))),
        key_share().prop_map(Extension::KeyShareServer),
        bytes(40).prop_map(Extension::RenegotiationInfo),
        Just(Extension::ExtendedMasterSecret),
        Just(Extension::EncryptThenMac),
        vec(nonempty(20), 1..2).prop_map(Extension::Alpn),
        any::<u8>().prop_map(Extension::Heartbeat),
        Just(Extension::SessionTicket(Vec::new())),
        bytes(10).prop_map(Extension::EcPointFormats),
    ]
}

fn server_hello() -> impl Strategy<Value = ServerHello> {
    (
        any::<u16>(),
        any::<[u8; 32]>(),
        bytes(32),
        any::<u16>(),
        any::<u8>(),
        vec(sh_extension(), 0..8),
    )
        .prop_map(|(v, random, sid, cs, comp, ext)| ServerHello {
            legacy_version: ProtocolVersion(v),
            random,
            session_id: sid,
            cipher_suite: CipherSuite(cs),
            compression_method: comp,
            extensions: ext,
        })
}

fn signed(with_scheme: bool) -> impl Strategy<Value = DigitallySigned> {
    (any::<u16>(), bytes(300)).prop_map(move |(s, sig)| DigitallySigned {
        scheme: with_scheme.then_some(SignatureScheme(s)),
        signature: sig,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn client_hello_round_trip(h in client_hello()) {
        let enc = h.get_encoding();
        prop_assert_eq!(ClientHello::read_bytes(&enc).unwrap(), h.clone());
        prop_assert_eq!(ClientHello::read_handshake(&h.encode_handshake()).unwrap(), h);
    }

    #[test]
    fn server_hello_round_trip(h in server_hello()) {
        prop_assert_eq!(ServerHello::read_bytes(&h.get_encoding()).unwrap(), h);
    }

    #[test]
    fn hrr_round_trip(g in any::<u16>(), cookie in nonempty(50)) {
        let h = ServerHello {
            legacy_version: ProtocolVersion(0x0303),
            random: wire::handshake::HRR_RANDOM,
            session_id: vec![1; 32],
            cipher_suite: CipherSuite(0x1301),
            compression_method: 0,
            extensions: vec![
                Extension::SelectedVersion(ProtocolVersion(0x0304)),
                Extension::KeyShareHelloRetry(NamedGroup(g)),
                Extension::Cookie(cookie),
            ],
        };
        prop_assert_eq!(ServerHello::read_bytes(&h.get_encoding()).unwrap(), h);
    }

    #[test]
    fn certificate_round_trip(
        certs in vec(nonempty(300), 0..4),
        ctx in bytes(10),
        ocsp in nonempty(50),
    ) {
        let m = CertificateMessage::Tls12 { certificates: certs.clone() };
        prop_assert_eq!(CertificateMessage::read_bytes(&m.get_encoding(), false).unwrap(), m);
        let entries = certs
            .into_iter()
            .map(|c| CertificateEntry {
                cert_data: c,
                extensions: vec![Extension::CertificateStatus(CertificateStatus::ocsp(ocsp.clone()))],
            })
            .collect();
        let m = CertificateMessage::Tls13 { context: ctx, entries };
        prop_assert_eq!(CertificateMessage::read_bytes(&m.get_encoding(), true).unwrap(), m);
    }

    #[test]
    fn certificate_request_round_trip(
        types in bytes(5),
        sigs in schemes(),
        cas in vec(nonempty(60), 0..4),
        ctx in bytes(10),
    ) {
        let m = CertificateRequest::Tls12 {
            certificate_types: types.clone(),
            signature_algorithms: Some(sigs.clone()),
            certificate_authorities: cas.clone(),
        };
        prop_assert_eq!(
            CertificateRequest::read_bytes(&m.get_encoding(), CertificateRequestForm::Tls12).unwrap(),
            m
        );
        let m = CertificateRequest::Tls12 {
            certificate_types: types,
            signature_algorithms: None,
            certificate_authorities: cas.clone(),
        };
        prop_assert_eq!(
            CertificateRequest::read_bytes(&m.get_encoding(), CertificateRequestForm::Tls10).unwrap(),
            m
        );
        let m = CertificateRequest::Tls13 {
            context: ctx,
            extensions: vec![
                Extension::SignatureAlgorithms(sigs),
                Extension::CertificateAuthorities(cas),
            ],
        };
        let parsed =
            CertificateRequest::read_bytes(&m.get_encoding(), CertificateRequestForm::Tls13).unwrap();
        prop_assert_eq!(parsed.certificate_authorities(), m.certificate_authorities());
        prop_assert_eq!(parsed, m);
    }

    #[test]
    fn server_key_exchange_round_trip(
        p in nonempty(300), g in nonempty(4), ys in nonempty(300),
        group in any::<u16>(), point in nonempty(133),
        sig12 in signed(true), sig10 in signed(false),
    ) {
        let v12 = ProtocolVersion(0x0303);
        let v10 = ProtocolVersion(0x0301);
        let dh = ServerKeyExchange::Dh {
            params: DhParams { p: p.clone(), g: g.clone(), ys: ys.clone() },
            signature: Some(sig12.clone()),
        };
        prop_assert_eq!(ServerKeyExchange::read_bytes(&dh.get_encoding(), KeyExchangeKind::Dhe, v12).unwrap(), dh);
        let anon = ServerKeyExchange::Dh { params: DhParams { p, g, ys }, signature: None };
        prop_assert_eq!(ServerKeyExchange::read_bytes(&anon.get_encoding(), KeyExchangeKind::DhAnon, v12).unwrap(), anon);
        let ec = ServerKeyExchange::Ecdh {
            params: EcdhParams { curve_type: 3, group: NamedGroup(group), point },
            signature: Some(sig10),
        };
        prop_assert_eq!(ServerKeyExchange::read_bytes(&ec.get_encoding(), KeyExchangeKind::Ecdhe, v10).unwrap(), ec);
    }

    #[test]
    fn small_messages_round_trip(
        level in any::<u8>(), desc in any::<u8>(),
        hb_type in any::<u8>(), payload in bytes(100), padding in bytes(40),
        hint in any::<u32>(), ticket in nonempty(100), nonce in bytes(20), age in any::<u32>(),
        status in bytes(100),
    ) {
        let a = Alert { level: AlertLevel::from(level), description: AlertDescription(desc) };
        prop_assert_eq!(Alert::read_bytes(&a.get_encoding()).unwrap(), a);
        let hb = HeartbeatMessage {
            typ: hb_type,
            payload_length: payload.len() as u16,
            payload,
            padding,
        };
        prop_assert_eq!(HeartbeatMessage::read_bytes(&hb.get_encoding()).unwrap(), hb);
        let t = NewSessionTicket::Tls12 { lifetime_hint: hint, ticket: ticket.clone() };
        let mut enc = Vec::new();
        t.encode(&mut enc);
        prop_assert_eq!(NewSessionTicket::read_bytes(&enc, false).unwrap(), t);
        let t = NewSessionTicket::Tls13 {
            lifetime: hint, age_add: age, nonce, ticket, extensions: vec![Extension::Unknown { typ: ExtensionType(42), data: vec![] }],
        };
        let mut enc = Vec::new();
        t.encode(&mut enc);
        prop_assert_eq!(NewSessionTicket::read_bytes(&enc, true).unwrap(), t);
        let s = CertificateStatus::ocsp(status);
        prop_assert_eq!(CertificateStatus::read_bytes(&s.get_encoding()).unwrap(), s);
    }

    #[test]
    fn sslv2_round_trip(
        version in any::<u16>(),
        specs in vec(0u32..0x0100_0000, 0..20),
        sid in bytes(16), chal in bytes(32), cert in bytes(500), cid in bytes(16),
        hit in any::<u8>(), ct in any::<u8>(),
    ) {
        let specs: Vec<Ssl2CipherSpec> = specs.into_iter().map(Ssl2CipherSpec).collect();
        let ch = Ssl2ClientHello { version: ProtocolVersion(version), cipher_specs: specs.clone(), session_id: sid, challenge: chal };
        let rec = ch.build_record();
        let (body, used) = sslv2::read_record(&rec).unwrap().unwrap();
        prop_assert_eq!(used, rec.len());
        prop_assert_eq!(Ssl2ClientHello::read(&mut Reader::new(body)).unwrap(), ch);
        let sh = Ssl2ServerHello {
            session_id_hit: hit, certificate_type: ct, version: ProtocolVersion(version),
            certificate: cert, cipher_specs: specs, connection_id: cid,
        };
        let mut body = Vec::new();
        sh.encode(&mut body);
        prop_assert_eq!(Ssl2Message::read_bytes(&body).unwrap(), Ssl2Message::ServerHello(sh));
    }

    #[test]
    fn record_reader_any_split(
        records in vec((any::<u8>(), any::<u16>(), bytes(3000)), 0..6),
        cuts in vec(1usize..500, 0..40),
    ) {
        let records: Vec<Record> = records
            .into_iter()
            .map(|(t, v, p)| Record { content_type: ContentType::from(t), version: ProtocolVersion(v), payload: p })
            .collect();
        let mut stream = Vec::new();
        for r in &records {
            r.encode(&mut stream);
        }
        let mut rr = RecordReader::new();
        let mut got = Vec::new();
        let mut rest = stream.as_slice();
        let mut cuts = cuts.into_iter();
        while !rest.is_empty() {
            let n = cuts.next().unwrap_or(rest.len()).min(rest.len());
            rr.push(&rest[..n]).unwrap();
            rest = &rest[n..];
            while let Some(r) = rr.next_record().unwrap() {
                got.push(r);
            }
        }
        prop_assert_eq!(got, records);
        prop_assert_eq!(rr.buffered(), 0);
    }

    #[test]
    fn reassembler_any_split(
        msgs in vec((any::<u8>(), bytes(5000)), 0..6),
        sizes in vec(1usize..3000, 0..40),
    ) {
        let msgs: Vec<HandshakeMessage> = msgs
            .into_iter()
            .map(|(t, b)| HandshakeMessage { typ: HandshakeType::from(t), body: b })
            .collect();
        let mut stream = Vec::new();
        for m in &msgs {
            m.encode(&mut stream);
        }
        // Frame as records of arbitrary sizes, then feed the record payloads.
        let mut h = HandshakeReassembler::new();
        let mut got = Vec::new();
        let mut rest = stream.as_slice();
        let mut sizes = sizes.into_iter();
        while !rest.is_empty() {
            let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
            let rec = write_record(ContentType::Handshake, ProtocolVersion(0x0303), &rest[..n]);
            let mut rr = RecordReader::new();
            rr.push(&rec).unwrap();
            while let Some(r) = rr.next_record().unwrap() {
                h.push(&r.payload).unwrap();
            }
            rest = &rest[n..];
            while let Some(m) = h.next_message() {
                got.push(m);
            }
        }
        prop_assert_eq!(got, msgs);
        prop_assert!(!h.has_partial());
    }
}

/// Parse → encode → parse gives the same value for everything that parses.
fn reparse_equal<T: Codec + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = T::read_bytes(data) {
        let again = T::read_bytes(&v.get_encoding()).expect("re-encoding parses");
        assert_eq!(again, v);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(data in bytes(600)) {
        reparse_equal::<ClientHello>(&data);
        reparse_equal::<ServerHello>(&data);
        reparse_equal::<Alert>(&data);
        reparse_equal::<HeartbeatMessage>(&data);
        reparse_equal::<CertificateStatus>(&data);
        reparse_equal::<Record>(&data);
        let _ = ClientHello::read_handshake(&data);
        for tls13 in [false, true] {
            if let Ok(m) = CertificateMessage::read_bytes(&data, tls13) {
                prop_assert_eq!(CertificateMessage::read_bytes(&m.get_encoding(), tls13).unwrap(), m);
            }
            if let Ok(t) = NewSessionTicket::read_bytes(&data, tls13) {
                let mut enc = Vec::new();
                t.encode(&mut enc);
                prop_assert_eq!(NewSessionTicket::read_bytes(&enc, tls13).unwrap(), t);
            }
        }
        for form in [CertificateRequestForm::Tls10, CertificateRequestForm::Tls12, CertificateRequestForm::Tls13] {
            if let Ok(m) = CertificateRequest::read_bytes(&data, form) {
                prop_assert_eq!(CertificateRequest::read_bytes(&m.get_encoding(), form).unwrap(), m);
            }
        }
        for kind in [KeyExchangeKind::Dhe, KeyExchangeKind::DhAnon, KeyExchangeKind::Ecdhe, KeyExchangeKind::EcdhAnon, KeyExchangeKind::RsaExport] {
            for v in [0x0300, 0x0301, 0x0303] {
                let v = ProtocolVersion(v);
                if let Ok(m) = ServerKeyExchange::read_bytes(&data, kind, v) {
                    prop_assert_eq!(ServerKeyExchange::read_bytes(&m.get_encoding(), kind, v).unwrap(), m);
                }
            }
        }
        for ctx in [
            ExtensionContext::ClientHello, ExtensionContext::ServerHello, ExtensionContext::HelloRetryRequest,
            ExtensionContext::EncryptedExtensions, ExtensionContext::Certificate,
            ExtensionContext::CertificateRequest, ExtensionContext::NewSessionTicket,
        ] {
            let mut r = Reader::new(&data);
            if let Ok(e) = Extension::read(&mut r, ctx) {
                let consumed = r.position();
                let mut enc = Vec::new();
                e.encode(&mut enc);
                // Extensions keep their exact bytes.
                prop_assert_eq!(&enc[..], &data[..consumed]);
            }
        }
        let _ = Ssl2Message::read_bytes(&data);
        let _ = sslv2::read_record(&data);
        let mut rr = RecordReader::new();
        let _ = rr.push(&data);
        while let Ok(Some(_)) = rr.next_record() {}
        let mut h = HandshakeReassembler::new();
        let _ = h.push(&data);
        while h.next_message().is_some() {}
    }

    #[test]
    fn flight_never_panics(data in bytes(2000), cut in 1usize..64) {
        let mut f = ServerFlight::new();
        for chunk in data.chunks(cut) {
            f.push(chunk);
            while f.next_event().is_some() {}
        }
    }

    #[test]
    fn flight_never_panics_on_tls_records(
        records in vec((20u8..=24, bytes(300)), 0..8),
        hs in vec((any::<u8>(), bytes(200)), 0..6),
        cut in 1usize..200,
    ) {
        // Plausible records: handshake messages of every type with random bodies,
        // and records of every content type with random payloads.
        let mut stream = Vec::new();
        for (t, body) in &hs {
            let msg = wire::handshake::encode_handshake(HandshakeType::from(*t), body);
            stream.extend(write_record(ContentType::Handshake, ProtocolVersion(0x0303), &msg));
        }
        for (t, p) in &records {
            stream.extend(write_record(ContentType::from(*t), ProtocolVersion(0x0303), p));
        }
        let mut f = ServerFlight::new();
        for chunk in stream.chunks(cut) {
            f.push(chunk);
            while f.next_event().is_some() {}
        }
    }
}

#[test]
fn known_types_match_typed_variants() {
    // Every KNOWN type has a typed variant; unknown types stay raw.
    let e = Extension::read(
        &mut Reader::new(&[0x12, 0x34, 0, 1, 9]),
        ExtensionContext::ClientHello,
    )
    .unwrap();
    assert_eq!(
        e,
        Extension::Unknown {
            typ: ExtensionType(0x1234),
            data: vec![9]
        }
    );
    assert!(KNOWN.contains(&Extension::ExtendedMasterSecret.typ().0));
}
