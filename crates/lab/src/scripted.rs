//! Scripted legacy servers: just enough TLS, spoken with the `wire` codec, to
//! show the faults rustls (rightly) refuses to produce: a TLS 1.0-only server,
//! a server with only RSA key exchange 3DES/RC4 suites, a server with only
//! 1024-bit finite-field DHE, and a server whose certificate has a 1024-bit
//! RSA key.
//!
//! Each reads one ClientHello (bounded in bytes and time), answers either a
//! fatal alert or its first flight (ServerHello, Certificate, maybe
//! ServerKeyExchange, ServerHelloDone), waits briefly for the client's next
//! flight and closes. None of them ever completes a handshake: there is no
//! key schedule here and there must never be one.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wire::alert::Alert;
use wire::codec::Codec;
use wire::handshake::{
    encode_handshake, CertificateMessage, ClientHello, DhParams, DigitallySigned, Extension,
    HandshakeType, ServerHello, ServerHelloDone, ServerKeyExchange,
};
use wire::record::{write_record, ContentType, HandshakeReassembler, RecordReader};
use wire::registry::{
    AlertDescription, CipherSuite, ExtensionType, ProtocolVersion, SignatureScheme,
};

use crate::pki::Chain;
use crate::LabError;

/// How long a client has to send its ClientHello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a scripted server waits for the client's next flight.
const NEXT_FLIGHT_WAIT: Duration = Duration::from_secs(3);
/// Most bytes read while waiting for the next flight.
const NEXT_FLIGHT_MAX: usize = 64 * 1024;

/// RFC 2409 §6.2, the 1024-bit MODP group ("Oakley group 2"), a safe prime.
const OAKLEY_GROUP_2: [u8; 128] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34,
    0xC4, 0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74,
    0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD,
    0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37,
    0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6,
    0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x37, 0xED, 0x6B, 0x0B, 0xFF, 0x5C, 0xB6, 0xF4, 0x06, 0xB7, 0xED,
    0xEE, 0x38, 0x6B, 0xFB, 0x5A, 0x89, 0x9F, 0xA5, 0xAE, 0x9F, 0x24, 0x11, 0x7C, 0x4B, 0x1F, 0xE6,
    0x49, 0x28, 0x66, 0x51, 0xEC, 0xE6, 0x53, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

/// TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA, TLS_RSA_WITH_3DES_EDE_CBC_SHA.
const RSA_CBC_SUITES: &[u16] = &[0x002f, 0x0035, 0x000a];
/// TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_RC4_128_SHA, TLS_RSA_WITH_RC4_128_MD5:
/// what a server configured in the 2000s offers and no current browser or
/// OpenSSL default does. (TLS_RSA_WITH_AES_*_CBC_SHA would not do: Chrome
/// and OpenSSL's default list still offer them.)
const LEGACY_SUITES: &[u16] = &[0x000a, 0x0005, 0x0004];
/// The DHE_RSA suites: AES-GCM, AES-CBC (SHA-256 and SHA-1), 3DES.
const DHE_SUITES: &[u16] = &[0x009e, 0x009f, 0x0067, 0x006b, 0x0033, 0x0039, 0x0016];
/// RSA key exchange suites of TLS 1.2: AES-GCM, then AES-CBC.
const RSA_KX_SUITES: &[u16] = &[0x009c, 0x009d, 0x003c, 0x003d, 0x002f, 0x0035];
/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3).
const RENEGOTIATION_SCSV: u16 = 0x00ff;

/// Which scripted server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tls10Only,
    LegacyCiphersOnly,
    Dh1024,
    WeakKey,
}

/// A scripted server: its policy and its certificate chain.
pub(crate) struct Scripted {
    kind: Kind,
    certificates: Vec<Vec<u8>>,
    /// The leaf's key, for signing DHE parameters (only `dh-1024` needs it).
    signing_key: Option<aws_lc_rs::signature::RsaKeyPair>,
}

/// What the server answers to one ClientHello.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Alert(AlertDescription),
    Flight(Vec<u8>),
}

impl Scripted {
    /// The server called `name` (one of `tls10-only`, `legacy-ciphers-only`,
    /// `dh-1024`, `weak-key`) serving `chain`.
    pub(crate) fn new(name: &str, chain: &Chain) -> Result<Self, LabError> {
        let kind = match name {
            "tls10-only" => Kind::Tls10Only,
            "legacy-ciphers-only" => Kind::LegacyCiphersOnly,
            "dh-1024" => Kind::Dh1024,
            "weak-key" => Kind::WeakKey,
            other => {
                return Err(LabError::UnknownServer {
                    name: other.into(),
                    known: "tls10-only, legacy-ciphers-only, dh-1024, weak-key".into(),
                })
            }
        };
        let signing_key = if kind == Kind::Dh1024 {
            Some(
                aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&chain.key_pkcs8).map_err(|e| {
                    LabError::Certificate {
                        what: "RSA signing key for dh-1024",
                        detail: e.to_string(),
                    }
                })?,
            )
        } else {
            None
        };
        Ok(Scripted {
            kind,
            certificates: chain.certs.iter().map(|c| c.to_vec()).collect(),
            signing_key,
        })
    }

    /// The version this server negotiates.
    fn version(&self) -> ProtocolVersion {
        match self.kind {
            Kind::Tls10Only => ProtocolVersion::TLS1_0,
            _ => ProtocolVersion::TLS1_2,
        }
    }

    /// Suites in server preference order.
    fn suites(&self) -> &'static [u16] {
        match self.kind {
            Kind::Tls10Only => RSA_CBC_SUITES,
            Kind::LegacyCiphersOnly => LEGACY_SUITES,
            Kind::Dh1024 => DHE_SUITES,
            Kind::WeakKey => RSA_KX_SUITES,
        }
    }

    /// True when the client can speak this server's one version.
    fn accepts_version(&self, hello: &ClientHello) -> bool {
        match self.kind {
            // Strictly TLS 1.0: a hello whose highest version is not 1.0 is refused.
            Kind::Tls10Only => hello.max_version() == ProtocolVersion::TLS1_0,
            _ => match hello.supported_versions() {
                Some(versions) => versions.contains(&ProtocolVersion::TLS1_2),
                None => hello.legacy_version >= ProtocolVersion::TLS1_2,
            },
        }
    }

    /// Decides the answer to `hello` and encodes it (the handshake flight or
    /// the alert), as records.
    fn answer(&self, hello: &ClientHello) -> Answer {
        if !self.accepts_version(hello) {
            return Answer::Alert(AlertDescription::PROTOCOL_VERSION);
        }
        let offered = |s: &u16| hello.cipher_suites.contains(&CipherSuite(*s));
        let Some(&suite) = self.suites().iter().find(|s| offered(s)) else {
            return Answer::Alert(AlertDescription::HANDSHAKE_FAILURE);
        };

        let mut server_random = [0u8; 32];
        let _ = aws_lc_rs::rand::fill(&mut server_random);
        // RFC 5746: answer renegotiation_info when the client signalled support.
        let secure_renegotiation = hello.extension(ExtensionType::RENEGOTIATION_INFO).is_some()
            || hello
                .cipher_suites
                .contains(&CipherSuite(RENEGOTIATION_SCSV));
        let server_hello = ServerHello {
            legacy_version: self.version(),
            random: server_random,
            session_id: Vec::new(),
            cipher_suite: CipherSuite(suite),
            compression_method: 0,
            extensions: if secure_renegotiation {
                vec![Extension::RenegotiationInfo(Vec::new())]
            } else {
                Vec::new()
            },
        };

        let mut flight = server_hello.encode_handshake();
        let certificate = CertificateMessage::Tls12 {
            certificates: self.certificates.clone(),
        };
        flight.extend(encode_handshake(
            HandshakeType::Certificate,
            &certificate.get_encoding(),
        ));
        if let Some(key) = &self.signing_key {
            match self.dhe_key_exchange(key, hello, &server_random) {
                Some(ske) => flight.extend(encode_handshake(
                    HandshakeType::ServerKeyExchange,
                    &ske.get_encoding(),
                )),
                None => return Answer::Alert(AlertDescription(80)), // internal_error
            }
        }
        flight.extend(encode_handshake(
            HandshakeType::ServerHelloDone,
            &ServerHelloDone.get_encoding(),
        ));
        Answer::Flight(write_record(
            ContentType::Handshake,
            self.version(),
            &flight,
        ))
    }

    /// RFC 5246 §7.4.3 ServerKeyExchange for DHE_RSA over the 1024-bit Oakley
    /// group 2 prime, signed with the leaf key over
    /// `client_random + server_random + params`.
    ///
    /// The public value is 2^1000 mod p = 2^1000 (private exponent 1000): a
    /// real group element, hopelessly weak, which is fine here because no
    /// client gets further than the 1024-bit prime or the Finished message.
    fn dhe_key_exchange(
        &self,
        key: &aws_lc_rs::signature::RsaKeyPair,
        hello: &ClientHello,
        server_random: &[u8; 32],
    ) -> Option<ServerKeyExchange> {
        let mut ys = vec![0u8; 126];
        ys[0] = 0x01; // 2^1000 = 0x01 followed by 125 zero bytes
        let params = DhParams {
            p: OAKLEY_GROUP_2.to_vec(),
            g: vec![2],
            ys,
        };
        let unsigned = ServerKeyExchange::Dh {
            params: params.clone(),
            signature: None,
        };
        let mut signed_data = Vec::with_capacity(64 + 300);
        signed_data.extend_from_slice(&hello.random);
        signed_data.extend_from_slice(server_random);
        signed_data.extend(unsigned.get_encoding());

        // rsa_pkcs1_sha256 unless the client only offers rsa_pss_rsae_sha256.
        let pss = SignatureScheme(0x0804);
        let offers = |s: SignatureScheme| {
            hello
                .signature_algorithms()
                .is_some_and(|list| list.contains(&s))
        };
        let (scheme, encoding): (_, &'static dyn aws_lc_rs::signature::RsaEncoding) =
            if !offers(SignatureScheme(0x0401)) && offers(pss) {
                (pss, &aws_lc_rs::signature::RSA_PSS_SHA256)
            } else {
                (
                    SignatureScheme(0x0401),
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                )
            };
        let mut signature = vec![0u8; key.public_modulus_len()];
        key.sign(
            encoding,
            &aws_lc_rs::rand::SystemRandom::new(),
            &signed_data,
            &mut signature,
        )
        .ok()?;
        Some(ServerKeyExchange::Dh {
            params,
            signature: Some(DigitallySigned {
                scheme: Some(scheme),
                signature,
            }),
        })
    }

    /// Serves one connection.
    pub(crate) async fn serve(self: Arc<Self>, mut stream: TcpStream) {
        let hello = match tokio::time::timeout(HELLO_TIMEOUT, read_client_hello(&mut stream)).await
        {
            Ok(Ok(hello)) => hello,
            Ok(Err(Some(alert))) => {
                let _ = stream.write_all(&self.alert_record(alert)).await;
                return;
            }
            _ => return,
        };
        match self.answer(&hello) {
            Answer::Alert(alert) => {
                let _ = stream.write_all(&self.alert_record(alert)).await;
            }
            Answer::Flight(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
                // Let the client send its next flight (and read it), then close.
                let mut buf = [0u8; 4096];
                let mut total = 0;
                let wait = async {
                    while let Ok(n) = stream.read(&mut buf).await {
                        total += n;
                        if n == 0 || total >= NEXT_FLIGHT_MAX {
                            break;
                        }
                    }
                };
                let _ = tokio::time::timeout(NEXT_FLIGHT_WAIT, wait).await;
            }
        }
        let _ = stream.shutdown().await;
    }

    fn alert_record(&self, description: AlertDescription) -> Vec<u8> {
        fatal_alert_record(self.version(), description)
    }
}

/// One fatal alert in a record of `version`: how every scripted server says no.
pub(crate) fn fatal_alert_record(
    version: ProtocolVersion,
    description: AlertDescription,
) -> Vec<u8> {
    write_record(
        ContentType::Alert,
        version,
        &Alert::fatal(description).get_encoding(),
    )
}

/// Reads records until one complete ClientHello arrived. `Err(Some(alert))`
/// when the bytes are TLS but not a valid hello, `Err(None)` when the client
/// went away or sent something that is not TLS at all.
async fn read_client_hello(
    stream: &mut TcpStream,
) -> Result<ClientHello, Option<AlertDescription>> {
    const DECODE_ERROR: AlertDescription = AlertDescription(50);
    const UNEXPECTED_MESSAGE: AlertDescription = AlertDescription(10);
    let mut records = RecordReader::new().with_max_buffered(64 * 1024);
    let mut messages = HandshakeReassembler::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.map_err(|_| None)?;
        if n == 0 {
            return Err(None);
        }
        records.push(&buf[..n]).map_err(|_| Some(DECODE_ERROR))?;
        while let Some(record) = records.next_record().map_err(|_| None)? {
            if record.content_type != ContentType::Handshake {
                return Err(Some(UNEXPECTED_MESSAGE));
            }
            messages
                .push(&record.payload)
                .map_err(|_| Some(DECODE_ERROR))?;
            if let Some(message) = messages.next_message() {
                if message.typ != HandshakeType::ClientHello {
                    return Err(Some(UNEXPECTED_MESSAGE));
                }
                return ClientHello::read_bytes(&message.body).map_err(|_| Some(DECODE_ERROR));
            }
        }
    }
}

/// What `slow-drip` sends: a complete TLS 1.2 ServerHello record
/// (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, a 32-byte session id, an empty
/// renegotiation_info), 86 bytes, so its first 60 never make a whole message.
pub(crate) fn drip_server_hello() -> Vec<u8> {
    let mut random = [0u8; 32];
    let mut session_id = vec![0u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut random);
    let _ = aws_lc_rs::rand::fill(&mut session_id);
    let hello = ServerHello {
        legacy_version: ProtocolVersion::TLS1_2,
        random,
        session_id,
        cipher_suite: CipherSuite(0xc02f),
        compression_method: 0,
        extensions: vec![Extension::RenegotiationInfo(Vec::new())],
    };
    write_record(
        ContentType::Handshake,
        ProtocolVersion::TLS1_2,
        &hello.encode_handshake(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::record::Record;

    fn hello(
        legacy: ProtocolVersion,
        versions: Option<&[ProtocolVersion]>,
        suites: &[u16],
    ) -> ClientHello {
        let mut extensions = vec![Extension::RenegotiationInfo(Vec::new())];
        if let Some(v) = versions {
            extensions.push(Extension::SupportedVersions(v.to_vec()));
        }
        ClientHello {
            legacy_version: legacy,
            random: [7; 32],
            session_id: Vec::new(),
            cipher_suites: suites.iter().map(|s| CipherSuite(*s)).collect(),
            compression_methods: vec![0],
            extensions,
        }
    }

    fn server(kind: Kind) -> Scripted {
        Scripted {
            kind,
            certificates: vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]],
            signing_key: None,
        }
    }

    #[test]
    fn tls10_only_answers_only_tls10() {
        let s = server(Kind::Tls10Only);
        let t10 = hello(ProtocolVersion::TLS1_0, None, &[0x002f]);
        let Answer::Flight(bytes) = s.answer(&t10) else {
            panic!("no flight");
        };
        let record = Record::read(&mut wire::codec::Reader::new(&bytes)).unwrap();
        assert_eq!(record.version, ProtocolVersion::TLS1_0);
        let sh = ServerHello::read_bytes(&record.payload[4..4 + usize::from(record.payload[3])])
            .unwrap();
        assert_eq!(sh.legacy_version, ProtocolVersion::TLS1_0);
        assert_eq!(sh.cipher_suite, CipherSuite(0x002f));

        let modern = hello(
            ProtocolVersion::TLS1_2,
            Some(&[ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2]),
            &[0x1301, 0x002f],
        );
        assert_eq!(
            s.answer(&modern),
            Answer::Alert(AlertDescription::PROTOCOL_VERSION)
        );
        let t12 = hello(ProtocolVersion::TLS1_2, None, &[0x002f]);
        assert_eq!(
            s.answer(&t12),
            Answer::Alert(AlertDescription::PROTOCOL_VERSION)
        );
    }

    #[test]
    fn legacy_ciphers_need_an_rsa_cbc_suite() {
        let s = server(Kind::LegacyCiphersOnly);
        let v = Some(&[ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2][..]);
        let modern = hello(
            ProtocolVersion::TLS1_2,
            v,
            &[0x1301, 0xc02f, 0xc02b, 0x002f, 0x0035],
        );
        assert_eq!(
            s.answer(&modern),
            Answer::Alert(AlertDescription::HANDSHAKE_FAILURE)
        );
        let old = hello(ProtocolVersion::TLS1_2, v, &[0xc02f, 0x000a]);
        assert!(matches!(s.answer(&old), Answer::Flight(_)));
    }

    #[test]
    fn dh_group_is_the_1024_bit_oakley_prime() {
        assert_eq!(OAKLEY_GROUP_2.len() * 8, 1024);
        assert_eq!(&OAKLEY_GROUP_2[..8], &[0xff; 8]);
        assert_eq!(&OAKLEY_GROUP_2[120..], &[0xff; 8]);
    }

    #[test]
    fn drip_hello_is_longer_than_the_drip() {
        let bytes = drip_server_hello();
        assert_eq!(bytes.len(), 86);
        assert_eq!(&bytes[..3], &[0x16, 0x03, 0x03]);
    }
}
