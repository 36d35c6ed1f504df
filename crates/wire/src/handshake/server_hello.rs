//! ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3).

use crate::codec::{
    encode_opaque, read_opaque_bounded, Codec, Context, DecodeError, LenPrefix, Reader,
};
use crate::handshake::{encode_handshake, Extension, ExtensionContext, HandshakeType};
use crate::registry::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion};

/// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose Random is
/// SHA-256("HelloRetryRequest").
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random a TLS 1.3 server
/// writes when it negotiates an older version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DowngradeSentinel {
    /// `44 4F 57 4E 47 52 44 01` ("DOWNGRD\x01"): TLS 1.2 negotiated.
    Tls12,
    /// `44 4F 57 4E 47 52 44 00` ("DOWNGRD\x00"): TLS 1.1 or below negotiated.
    Tls11OrBelow,
}

/// RFC 8446 §4.1.3:
/// ```text
/// struct {
///     ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
///     Random random;
///     opaque legacy_session_id_echo<0..32>;
///     CipherSuite cipher_suite;
///     uint8 legacy_compression_method = 0;
///     Extension extensions<6..2^16-1>;
/// } ServerHello;
/// ```
/// Before TLS 1.3 the extensions block is optional (RFC 5246 §7.4.1.3); a
/// hello without one parses to an empty `extensions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// `ProtocolVersion legacy_version;` (`server_version` before TLS 1.3).
    pub legacy_version: ProtocolVersion,
    /// `Random random;`
    pub random: [u8; 32],
    /// `opaque legacy_session_id_echo<0..32>;`
    pub session_id: Vec<u8>,
    /// `CipherSuite cipher_suite;`
    pub cipher_suite: CipherSuite,
    /// `uint8 legacy_compression_method;`
    pub compression_method: u8,
    /// `Extension extensions<6..2^16-1>;` in the server's order.
    pub extensions: Vec<Extension>,
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        encode_opaque(LenPrefix::U8, &self.session_id, out);
        self.cipher_suite.encode(out);
        out.push(self.compression_method);
        if !self.extensions.is_empty() {
            Extension::encode_block(&self.extensions, out);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::read(r).context("ServerHello.legacy_version")?;
        let random = r.array::<32>().context("ServerHello.random")?;
        let session_id = read_opaque_bounded(LenPrefix::U8, r, "legacy_session_id_echo", 0, 32)?;
        let cipher_suite = CipherSuite::read(r).context("ServerHello.cipher_suite")?;
        let compression_method = r.u8().context("legacy_compression_method")?;
        let ctx = if random == HRR_RANDOM {
            ExtensionContext::HelloRetryRequest
        } else {
            ExtensionContext::ServerHello
        };
        let extensions = if r.is_empty() {
            Vec::new()
        } else {
            Extension::read_block(r, ctx)?
        };
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }
}

impl ServerHello {
    /// The handshake message: 4-byte header and body.
    pub fn encode_handshake(&self) -> Vec<u8> {
        encode_handshake(HandshakeType::ServerHello, &self.get_encoding())
    }

    /// True when this is a HelloRetryRequest (RFC 8446 §4.1.3 special random).
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HRR_RANDOM
    }

    /// The negotiated version: `supported_versions.selected_version` when
    /// present, else `legacy_version`.
    pub fn selected_version(&self) -> ProtocolVersion {
        self.supported_version().unwrap_or(self.legacy_version)
    }

    /// `selected_version` from `supported_versions`, if sent.
    pub fn supported_version(&self) -> Option<ProtocolVersion> {
        self.extensions.iter().find_map(|e| match e {
            Extension::SelectedVersion(v) => Some(*v),
            _ => None,
        })
    }

    /// The key-share group: `server_share.group` in a ServerHello,
    /// `selected_group` in a HelloRetryRequest.
    pub fn key_share_group(&self) -> Option<NamedGroup> {
        self.extensions.iter().find_map(|e| match e {
            Extension::KeyShareServer(entry) => Some(entry.group),
            Extension::KeyShareHelloRetry(g) => Some(*g),
            _ => None,
        })
    }

    /// The server's key share (ServerHello only).
    pub fn key_share(&self) -> Option<&crate::handshake::KeyShareEntry> {
        self.extensions.iter().find_map(|e| match e {
            Extension::KeyShareServer(entry) => Some(entry),
            _ => None,
        })
    }

    /// The RFC 8446 §4.1.3 downgrade sentinel in the last 8 bytes of random.
    pub fn downgrade_sentinel(&self) -> Option<DowngradeSentinel> {
        match &self.random[24..] {
            [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01] => Some(DowngradeSentinel::Tls12),
            [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00] => {
                Some(DowngradeSentinel::Tls11OrBelow)
            }
            _ => None,
        }
    }

    /// The first extension of type `typ`.
    pub fn extension(&self, typ: ExtensionType) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.typ() == typ)
    }

    /// True when an extension of type `typ` was sent.
    pub fn has_extension(&self, typ: ExtensionType) -> bool {
        self.extension(typ).is_some()
    }

    /// `renegotiated_connection` from `renegotiation_info` (RFC 5746), if sent.
    pub fn renegotiation_info(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::RenegotiationInfo(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// `extended_master_secret` (RFC 7627) was acknowledged.
    pub fn extended_master_secret(&self) -> bool {
        self.extensions
            .iter()
            .any(|e| matches!(e, Extension::ExtendedMasterSecret))
    }

    /// `encrypt_then_mac` (RFC 7366) was acknowledged.
    pub fn encrypt_then_mac(&self) -> bool {
        self.extensions
            .iter()
            .any(|e| matches!(e, Extension::EncryptThenMac))
    }

    /// The ALPN protocol the server selected (RFC 7301 §3.1: exactly one name).
    pub fn alpn(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::Alpn(list) => list.first().map(Vec::as_slice),
            _ => None,
        })
    }

    /// The heartbeat mode (RFC 6520), if the extension was sent.
    pub fn heartbeat(&self) -> Option<u8> {
        self.extensions.iter().find_map(|e| match e {
            Extension::Heartbeat(m) => Some(*m),
            _ => None,
        })
    }

    /// `session_ticket` (RFC 5077) was acknowledged.
    pub fn session_ticket(&self) -> bool {
        self.extensions
            .iter()
            .any(|e| matches!(e, Extension::SessionTicket(_)))
    }

    /// `status_request` (RFC 6066 §8) was acknowledged: a CertificateStatus follows.
    pub fn status_request(&self) -> bool {
        self.extensions.iter().any(|e| e.typ() == ExtensionType(5))
    }

    /// The HelloRetryRequest cookie (RFC 8446 §4.2.2).
    pub fn cookie(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            Extension::Cookie(c) => Some(c.as_slice()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrr_and_sentinel() {
        let mut sh = ServerHello {
            legacy_version: ProtocolVersion(0x0303),
            random: HRR_RANDOM,
            session_id: vec![1; 32],
            cipher_suite: CipherSuite(0x1301),
            compression_method: 0,
            extensions: vec![
                Extension::SelectedVersion(ProtocolVersion(0x0304)),
                Extension::KeyShareHelloRetry(NamedGroup(0x0018)),
            ],
        };
        let parsed = ServerHello::read_bytes(&sh.get_encoding()).unwrap();
        assert_eq!(parsed, sh);
        assert!(parsed.is_hello_retry_request());
        assert_eq!(parsed.key_share_group(), Some(NamedGroup(0x0018)));
        assert_eq!(parsed.selected_version(), ProtocolVersion(0x0304));
        sh.random = [0; 32];
        sh.random[24..].copy_from_slice(b"DOWNGRD\x01");
        sh.extensions.clear();
        let parsed = ServerHello::read_bytes(&sh.get_encoding()).unwrap();
        assert_eq!(parsed.downgrade_sentinel(), Some(DowngradeSentinel::Tls12));
        assert_eq!(parsed.selected_version(), ProtocolVersion(0x0303));
    }
}
