//! `ClientHelloBuilder`: any ClientHello a probe needs, from SSL 3.0 to TLS 1.3,
//! including deliberately odd ones (SCSVs, GREASE, raw extensions, padding).

use crate::codec::Codec;
use crate::handshake::{
    encode_handshake, CertificateStatusRequest, ClientHello, Extension, HandshakeType,
    KeyShareEntry, ServerNameEntry,
};
use crate::keyshare;
use crate::record::{write_record, ContentType};
use crate::registry::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

/// Builds ClientHellos. Extensions appear in the order the methods are called;
/// `padding_to` is resolved at build time.
///
/// ```
/// use wire::handshake::ClientHelloBuilder;
/// let bytes = ClientHelloBuilder::modern(Some("example.com")).build_record();
/// assert_eq!(bytes[0], 22);
/// ```
#[derive(Clone, Debug)]
pub struct ClientHelloBuilder {
    record_version: ProtocolVersion,
    hello: ClientHello,
    padding_target: Option<usize>,
}

impl Default for ClientHelloBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// TLS 1.3 suites (RFC 8446 §B.4).
const TLS13_SUITES: [u16; 3] = [0x1301, 0x1302, 0x1303];
/// ECDHE AEAD suites a current browser offers, then CBC/RSA fallbacks.
const TLS12_SUITES: [u16; 12] = [
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
];
/// Browser-like signature algorithms (RFC 8446 §4.2.3 code points).
const MODERN_SIGALGS: [u16; 8] = [
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];
/// Signature algorithms for a TLS 1.2-only hello, including SHA-1 and DSA.
const LEGACY_SIGALGS: [u16; 14] = [
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0402,
    0x0202, 0x0807,
];

impl ClientHelloBuilder {
    /// An empty TLS 1.2 hello in a TLS 1.0 record: no suites, null compression,
    /// no extensions, empty session id, fresh random.
    pub fn new() -> Self {
        let mut random = [0u8; 32];
        keyshare::random_bytes(&mut random);
        Self {
            record_version: ProtocolVersion(0x0301),
            hello: ClientHello {
                legacy_version: ProtocolVersion(0x0303),
                random,
                session_id: Vec::new(),
                cipher_suites: Vec::new(),
                compression_methods: vec![0],
                extensions: Vec::new(),
            },
            padding_target: None,
        }
    }

    /// A current-browser-like hello offering TLS 1.3 and 1.2: TLS 1.3 suites,
    /// ECDHE AES-GCM/ChaCha20 suites, groups X25519MLKEM768, x25519,
    /// secp256r1, secp384r1 with key shares for X25519MLKEM768 and x25519.
    pub fn modern(sni: Option<&str>) -> Self {
        let mut session_id = [0u8; 32];
        keyshare::random_bytes(&mut session_id);
        let mut b = Self::new().session_id(&session_id).cipher_suites(
            TLS13_SUITES
                .iter()
                .chain(TLS12_SUITES.iter())
                .map(|&c| CipherSuite(c)),
        );
        if let Some(name) = sni {
            b = b.server_name(name);
        }
        b.extended_master_secret()
            .renegotiation_info(&[])
            .supported_groups(&[
                keyshare::X25519_MLKEM768,
                keyshare::X25519,
                keyshare::SECP256R1,
                keyshare::SECP384R1,
            ])
            .ec_point_formats(&[0])
            .session_ticket(&[])
            .alpn(&["h2", "http/1.1"])
            .status_request()
            .signature_algorithms(&MODERN_SIGALGS.map(SignatureScheme))
            .signed_certificate_timestamp()
            .key_share(&[keyshare::X25519_MLKEM768, keyshare::X25519])
            .psk_key_exchange_modes(&[1])
            .supported_versions(&[ProtocolVersion(0x0304), ProtocolVersion(0x0303)])
    }

    /// A TLS ≤ 1.2 hello with `legacy_version = version` offering exactly
    /// `suites`. SSL 3.0 hellos have no extensions and an SSL 3.0 record;
    /// TLS hellos carry supported_groups, ec_point_formats, (TLS 1.2)
    /// signature_algorithms, renegotiation_info, extended_master_secret and
    /// session_ticket. Add `server_name` with [`server_name`](Self::server_name).
    pub fn legacy(version: ProtocolVersion, suites: &[CipherSuite]) -> Self {
        let b = Self::new()
            .legacy_version(version)
            .cipher_suites(suites.iter().copied());
        if version.0 <= 0x0300 {
            return b.record_version(version);
        }
        let b = b
            .supported_groups(&[
                keyshare::X25519,
                keyshare::SECP256R1,
                keyshare::SECP384R1,
                keyshare::SECP521R1,
            ])
            .ec_point_formats(&[0]);
        let b = if version.0 >= 0x0303 {
            b.signature_algorithms(&LEGACY_SIGALGS.map(SignatureScheme))
        } else {
            b
        };
        b.renegotiation_info(&[])
            .extended_master_secret()
            .session_ticket(&[])
    }

    /// The version in the record header (`legacy_record_version`).
    pub fn record_version(mut self, v: ProtocolVersion) -> Self {
        self.record_version = v;
        self
    }

    /// `legacy_version` (`client_version`).
    pub fn legacy_version(mut self, v: ProtocolVersion) -> Self {
        self.hello.legacy_version = v;
        self
    }

    /// A fixed random (default: fresh random bytes).
    pub fn random(mut self, random: [u8; 32]) -> Self {
        self.hello.random = random;
        self
    }

    /// `legacy_session_id` (0..32 bytes; longer values are sent as given).
    pub fn session_id(mut self, id: &[u8]) -> Self {
        self.hello.session_id = id.to_vec();
        self
    }

    /// Replaces the cipher-suite list (any code points, SCSVs included).
    pub fn cipher_suites(mut self, suites: impl IntoIterator<Item = CipherSuite>) -> Self {
        self.hello.cipher_suites = suites.into_iter().collect();
        self
    }

    /// Appends one suite.
    pub fn add_cipher_suite(mut self, suite: CipherSuite) -> Self {
        self.hello.cipher_suites.push(suite);
        self
    }

    /// Appends TLS_EMPTY_RENEGOTIATION_INFO_SCSV (0x00FF, RFC 5746 §3.3).
    pub fn renegotiation_scsv(self) -> Self {
        self.add_cipher_suite(CipherSuite(0x00ff))
    }

    /// Appends TLS_FALLBACK_SCSV (0x5600, RFC 7507).
    pub fn fallback_scsv(self) -> Self {
        self.add_cipher_suite(CipherSuite(0x5600))
    }

    /// Replaces the compression methods (0 = null, 1 = DEFLATE).
    pub fn compression_methods(mut self, methods: &[u8]) -> Self {
        self.hello.compression_methods = methods.to_vec();
        self
    }

    /// Appends any extension.
    pub fn extension(mut self, ext: Extension) -> Self {
        self.hello.extensions.push(ext);
        self
    }

    /// Appends an extension with a raw body.
    pub fn raw_extension(self, typ: ExtensionType, data: &[u8]) -> Self {
        self.extension(Extension::raw(typ, data))
    }

    /// `server_name` with one host_name (RFC 6066 §3).
    pub fn server_name(self, host: &str) -> Self {
        self.extension(Extension::ServerName(vec![ServerNameEntry {
            name_type: 0,
            name: host.as_bytes().to_vec(),
        }]))
    }

    /// `supported_versions` (RFC 8446 §4.2.1).
    pub fn supported_versions(self, versions: &[ProtocolVersion]) -> Self {
        self.extension(Extension::SupportedVersions(versions.to_vec()))
    }

    /// `supported_groups` (RFC 8446 §4.2.7).
    pub fn supported_groups(self, groups: &[NamedGroup]) -> Self {
        self.extension(Extension::SupportedGroups(groups.to_vec()))
    }

    /// `key_share` with a fresh real public key per group (see
    /// [`crate::keyshare`]; groups without a generator get a placeholder of
    /// the right length).
    pub fn key_share(self, groups: &[NamedGroup]) -> Self {
        let entries = groups
            .iter()
            .map(|&g| keyshare::generate_or_placeholder(g))
            .collect();
        self.extension(Extension::KeyShare(entries))
    }

    /// `key_share` with the given entries as they are.
    pub fn key_share_entries(self, entries: Vec<KeyShareEntry>) -> Self {
        self.extension(Extension::KeyShare(entries))
    }

    /// `signature_algorithms` (RFC 8446 §4.2.3).
    pub fn signature_algorithms(self, schemes: &[SignatureScheme]) -> Self {
        self.extension(Extension::SignatureAlgorithms(schemes.to_vec()))
    }

    /// `signature_algorithms_cert` (RFC 8446 §4.2.3).
    pub fn signature_algorithms_cert(self, schemes: &[SignatureScheme]) -> Self {
        self.extension(Extension::SignatureAlgorithmsCert(schemes.to_vec()))
    }

    /// `ec_point_formats` (RFC 8422 §5.1.2; 0 = uncompressed).
    pub fn ec_point_formats(self, formats: &[u8]) -> Self {
        self.extension(Extension::EcPointFormats(formats.to_vec()))
    }

    /// `application_layer_protocol_negotiation` (RFC 7301).
    pub fn alpn(self, protocols: &[&str]) -> Self {
        self.extension(Extension::Alpn(
            protocols.iter().map(|p| p.as_bytes().to_vec()).collect(),
        ))
    }

    /// `status_request` for OCSP with no responder ids or extensions (RFC 6066 §8).
    pub fn status_request(self) -> Self {
        self.extension(Extension::StatusRequest(CertificateStatusRequest::default()))
    }

    /// Empty `signed_certificate_timestamp` (RFC 6962 §3.3.1).
    pub fn signed_certificate_timestamp(self) -> Self {
        self.extension(Extension::SignedCertificateTimestamp(Vec::new()))
    }

    /// `renegotiation_info` (RFC 5746); empty on an initial handshake.
    pub fn renegotiation_info(self, renegotiated_connection: &[u8]) -> Self {
        self.extension(Extension::RenegotiationInfo(
            renegotiated_connection.to_vec(),
        ))
    }

    /// `extended_master_secret` (RFC 7627).
    pub fn extended_master_secret(self) -> Self {
        self.extension(Extension::ExtendedMasterSecret)
    }

    /// `encrypt_then_mac` (RFC 7366).
    pub fn encrypt_then_mac(self) -> Self {
        self.extension(Extension::EncryptThenMac)
    }

    /// `session_ticket` (RFC 5077); empty asks for a new ticket.
    pub fn session_ticket(self, ticket: &[u8]) -> Self {
        self.extension(Extension::SessionTicket(ticket.to_vec()))
    }

    /// `heartbeat` (RFC 6520): 1 = peer_allowed_to_send, 2 = peer_not_allowed_to_send.
    pub fn heartbeat(self, mode: u8) -> Self {
        self.extension(Extension::Heartbeat(mode))
    }

    /// `psk_key_exchange_modes` (RFC 8446 §4.2.9; 1 = psk_dhe_ke).
    pub fn psk_key_exchange_modes(self, modes: &[u8]) -> Self {
        self.extension(Extension::PskKeyExchangeModes(modes.to_vec()))
    }

    /// `padding` (RFC 7685) so that the ClientHello handshake message (4-byte
    /// header included) is at least `target` bytes; e.g. 512 for the F5
    /// workaround. The padding extension goes where this method is called.
    pub fn padding_to(mut self, target: usize) -> Self {
        self.padding_target = Some(target);
        self.extension(Extension::Padding(0))
    }

    /// GREASE (RFC 8701) the way browsers do: a GREASE suite first, a GREASE
    /// extension first, and a GREASE group/version at the front of
    /// supported_groups / supported_versions when those are present.
    pub fn grease(mut self) -> Self {
        let mut pick = [0u8; 4];
        keyshare::random_bytes(&mut pick);
        let g = |b: u8| {
            let n = u16::from(b & 0x0f);
            (n << 12) | 0x0a00 | (n << 4) | 0x0a
        };
        self.hello.cipher_suites.insert(0, CipherSuite(g(pick[0])));
        for ext in &mut self.hello.extensions {
            match ext {
                Extension::SupportedGroups(v) => v.insert(0, NamedGroup(g(pick[1]))),
                Extension::SupportedVersions(v) => v.insert(0, ProtocolVersion(g(pick[2]))),
                _ => {}
            }
        }
        self.hello
            .extensions
            .insert(0, Extension::raw(ExtensionType(g(pick[3])), &[]));
        self
    }

    /// The ClientHello value.
    pub fn build(&self) -> ClientHello {
        let mut hello = self.hello.clone();
        if let Some(target) = self.padding_target {
            let len = 4 + hello.get_encoding().len();
            if len < target {
                let add = target - len;
                for ext in &mut hello.extensions {
                    if let Extension::Padding(n) = ext {
                        *n = add;
                        break;
                    }
                }
            }
        }
        hello
    }

    /// The handshake message (header and body).
    pub fn build_handshake(&self) -> Vec<u8> {
        encode_handshake(HandshakeType::ClientHello, &self.build().get_encoding())
    }

    /// The bytes to send: the hello framed as handshake record(s).
    pub fn build_record(&self) -> Vec<u8> {
        write_record(
            ContentType::Handshake,
            self.record_version,
            &self.build_handshake(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_parses_back() {
        let b = ClientHelloBuilder::modern(Some("example.com"));
        let hello = b.build();
        let parsed = ClientHello::read_handshake(&b.build_handshake()).unwrap();
        assert_eq!(parsed, hello);
        assert_eq!(parsed.server_name(), Some("example.com"));
        assert_eq!(
            parsed.key_share_groups(),
            Some(vec![keyshare::X25519_MLKEM768, keyshare::X25519])
        );
        assert_eq!(parsed.max_version(), ProtocolVersion(0x0304));
        let record = b.build_record();
        assert_eq!(&record[..3], &[22, 3, 1]);
    }

    #[test]
    fn padding_reaches_target() {
        let b = ClientHelloBuilder::legacy(ProtocolVersion(0x0303), &[CipherSuite(0xc02f)])
            .server_name("a.example")
            .padding_to(512);
        assert_eq!(b.build_handshake().len(), 512);
    }

    #[test]
    fn ssl3_has_no_extensions() {
        let b = ClientHelloBuilder::legacy(ProtocolVersion(0x0300), &[CipherSuite(0x000a)]);
        let rec = b.build_record();
        assert_eq!(&rec[..3], &[22, 3, 0]);
        assert!(b.build().extensions.is_empty());
    }

    #[test]
    fn grease_values_are_grease() {
        let h = ClientHelloBuilder::modern(None).grease().build();
        assert!(crate::registry::is_grease_u16(h.cipher_suites[0].0));
        assert!(crate::registry::is_grease_u16(h.extensions[0].typ().0));
        assert!(crate::registry::is_grease_u16(
            h.supported_groups().unwrap()[0].0
        ));
    }
}
