//! The ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).

use crate::codec::{
    encode_list, encode_opaque, read_list_fixed, read_opaque_bounded, Codec, Context, DecodeError,
    LenPrefix, Reader,
};
use crate::handshake::{encode_handshake, Extension, ExtensionContext, HandshakeType};
use crate::record::{write_record, ContentType};
use crate::registry::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

/// RFC 8446 §4.1.2:
/// ```text
/// struct {
///     ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
///     Random random;
///     opaque legacy_session_id<0..32>;
///     CipherSuite cipher_suites<2..2^16-2>;
///     opaque legacy_compression_methods<1..2^8-1>;
///     Extension extensions<8..2^16-1>;
/// } ClientHello;
/// ```
/// RFC 5246 §7.4.1.2 lets a TLS ≤ 1.2 hello end after the compression methods
/// (no extensions block); such a hello parses to an empty `extensions`, and an
/// empty `extensions` is encoded without a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// `ProtocolVersion legacy_version;` (`client_version` before TLS 1.3).
    pub legacy_version: ProtocolVersion,
    /// `Random random;` — 32 bytes.
    pub random: [u8; 32],
    /// `opaque legacy_session_id<0..32>;`
    pub session_id: Vec<u8>,
    /// `CipherSuite cipher_suites<2..2^16-2>;` in the client's order.
    pub cipher_suites: Vec<CipherSuite>,
    /// `opaque legacy_compression_methods<1..2^8-1>;`
    pub compression_methods: Vec<u8>,
    /// `Extension extensions<8..2^16-1>;` in the client's order.
    pub extensions: Vec<Extension>,
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        encode_opaque(LenPrefix::U8, &self.session_id, out);
        encode_list(LenPrefix::U16, &self.cipher_suites, out);
        encode_opaque(LenPrefix::U8, &self.compression_methods, out);
        if !self.extensions.is_empty() {
            Extension::encode_block(&self.extensions, out);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::read(r).context("ClientHello.legacy_version")?;
        let random = r.array::<32>().context("ClientHello.random")?;
        let session_id = read_opaque_bounded(LenPrefix::U8, r, "legacy_session_id", 0, 32)?;
        let cipher_suites = read_list_fixed(LenPrefix::U16, 2, r, "cipher_suites")?;
        let compression_methods =
            read_opaque_bounded(LenPrefix::U8, r, "legacy_compression_methods", 0, 255)?;
        let extensions = if r.is_empty() {
            Vec::new()
        } else {
            Extension::read_block(r, ExtensionContext::ClientHello)?
        };
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}

impl ClientHello {
    /// The handshake message: 4-byte header and body.
    pub fn encode_handshake(&self) -> Vec<u8> {
        encode_handshake(HandshakeType::ClientHello, &self.get_encoding())
    }

    /// The hello framed as handshake records with `record_version`.
    pub fn encode_record(&self, record_version: ProtocolVersion) -> Vec<u8> {
        write_record(
            ContentType::Handshake,
            record_version,
            &self.encode_handshake(),
        )
    }

    /// Parses a complete handshake message (header and body) holding a ClientHello.
    pub fn read_handshake(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let typ = r.u8().context("HandshakeType")?;
        if typ != HandshakeType::ClientHello.to_u8() {
            return Err(DecodeError::InvalidValue {
                what: "HandshakeType",
                value: typ.into(),
            });
        }
        let mut body = r.sub(3).context("ClientHello")?;
        r.expect_empty("ClientHello handshake message")?;
        let hello = Self::read(&mut body)?;
        body.expect_empty("ClientHello")?;
        Ok(hello)
    }

    /// The first extension of type `typ`.
    pub fn extension(&self, typ: ExtensionType) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.typ() == typ)
    }

    /// The extension types in the order sent (JA3/JA4 input).
    pub fn extension_types(&self) -> Vec<ExtensionType> {
        self.extensions.iter().map(Extension::typ).collect()
    }

    /// The first `host_name` in `server_name` (RFC 6066 §3), when it is UTF-8.
    pub fn server_name(&self) -> Option<&str> {
        self.extensions.iter().find_map(|e| match e {
            Extension::ServerName(list) => list
                .iter()
                .find(|n| n.name_type == 0)
                .and_then(|n| std::str::from_utf8(&n.name).ok()),
            _ => None,
        })
    }

    /// `supported_versions` (RFC 8446 §4.2.1).
    pub fn supported_versions(&self) -> Option<&[ProtocolVersion]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::SupportedVersions(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// `supported_groups` (RFC 8446 §4.2.7).
    pub fn supported_groups(&self) -> Option<&[NamedGroup]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::SupportedGroups(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// The groups of the `key_share` entries (RFC 8446 §4.2.8), in order.
    pub fn key_share_groups(&self) -> Option<Vec<NamedGroup>> {
        self.extensions.iter().find_map(|e| match e {
            Extension::KeyShare(v) => Some(v.iter().map(|k| k.group).collect()),
            _ => None,
        })
    }

    /// `signature_algorithms` (RFC 8446 §4.2.3).
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::SignatureAlgorithms(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// `signature_algorithms_cert` (RFC 8446 §4.2.3).
    pub fn signature_algorithms_cert(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::SignatureAlgorithmsCert(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// ALPN protocol names (RFC 7301 §3.1), raw bytes.
    pub fn alpn(&self) -> Option<&[Vec<u8>]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::Alpn(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// `ec_point_formats` (RFC 8422 §5.1.2).
    pub fn ec_point_formats(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::EcPointFormats(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// The highest version offered: the largest non-GREASE `supported_versions`
    /// entry when present, else `legacy_version`.
    pub fn max_version(&self) -> ProtocolVersion {
        self.supported_versions()
            .and_then(|v| {
                v.iter()
                    .copied()
                    .filter(|v| !crate::registry::is_grease_u16(v.0))
                    .max()
            })
            .unwrap_or(self.legacy_version)
    }
}
