//! Hello extensions (RFC 8446 §4.2, RFC 6066, RFC 5246 §7.4.1.4).
//!
//! An extension's body depends on the message carrying it (`supported_versions`
//! is a list in a ClientHello and a single version in a ServerHello), so reading
//! takes an [`ExtensionContext`]. A known extension whose body does not parse
//! exactly is kept as [`Extension::Unknown`] with its raw bytes, so the order
//! and bytes of every extension survive parse → encode (JA3/JA4 need them).

use crate::codec::{
    encode_list, encode_opaque, encode_opaque_list, read_list_fixed, read_opaque, read_opaque_list,
    with_len, Codec, Context, DecodeError, LenPrefix, Reader,
};
use crate::handshake::CertificateStatus;
use crate::registry::{ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

const SERVER_NAME: u16 = 0;
const STATUS_REQUEST: u16 = 5;
const SUPPORTED_GROUPS: u16 = 10;
const EC_POINT_FORMATS: u16 = 11;
const SIGNATURE_ALGORITHMS: u16 = 13;
const HEARTBEAT: u16 = 15;
const ALPN: u16 = 16;
const SIGNED_CERTIFICATE_TIMESTAMP: u16 = 18;
const PADDING: u16 = 21;
const ENCRYPT_THEN_MAC: u16 = 22;
const EXTENDED_MASTER_SECRET: u16 = 23;
const SESSION_TICKET: u16 = 35;
const SUPPORTED_VERSIONS: u16 = 43;
const COOKIE: u16 = 44;
const PSK_KEY_EXCHANGE_MODES: u16 = 45;
const CERTIFICATE_AUTHORITIES: u16 = 47;
const SIGNATURE_ALGORITHMS_CERT: u16 = 50;
const KEY_SHARE: u16 = 51;
const RENEGOTIATION_INFO: u16 = 0xff01;

/// Which message an extension block belongs to (RFC 8446 §4.2 table: CH, SH,
/// HRR, EE, CT, CR, NST), which decides how a body is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionContext {
    ClientHello,
    ServerHello,
    HelloRetryRequest,
    EncryptedExtensions,
    Certificate,
    CertificateRequest,
    NewSessionTicket,
}

/// RFC 6066 §3:
/// ```text
/// struct {
///     NameType name_type;
///     select (name_type) { case host_name: HostName; } name;
/// } ServerName;
/// opaque HostName<1..2^16-1>;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerNameEntry {
    /// `enum { host_name(0), (255) } NameType;`
    pub name_type: u8,
    pub name: Vec<u8>,
}

impl Codec for ServerNameEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.name_type);
        encode_opaque(LenPrefix::U16, &self.name, out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let name_type = r.u8().context("ServerName.name_type")?;
        let name = read_opaque(LenPrefix::U16, r, "HostName")?;
        Ok(Self { name_type, name })
    }
}

/// RFC 8446 §4.2.8:
/// ```text
/// struct {
///     NamedGroup group;
///     opaque key_exchange<1..2^16-1>;
/// } KeyShareEntry;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    pub group: NamedGroup,
    pub key_exchange: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        encode_opaque(LenPrefix::U16, &self.key_exchange, out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let group = NamedGroup::read(r).context("KeyShareEntry.group")?;
        let key_exchange = read_opaque(LenPrefix::U16, r, "KeyShareEntry.key_exchange")?;
        Ok(Self {
            group,
            key_exchange,
        })
    }
}

/// RFC 6066 §8, with `status_type` ocsp(1):
/// ```text
/// struct {
///     ResponderID responder_id_list<0..2^16-1>;
///     Extensions  request_extensions;
/// } OCSPStatusRequest;
/// opaque ResponderID<1..2^16-1>;
/// opaque Extensions<0..2^16-1>;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateStatusRequest {
    pub responder_ids: Vec<Vec<u8>>,
    /// DER-encoded OCSP request extensions, as sent.
    pub request_extensions: Vec<u8>,
}

impl Codec for CertificateStatusRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(1);
        encode_opaque_list(LenPrefix::U16, LenPrefix::U16, &self.responder_ids, out);
        encode_opaque(LenPrefix::U16, &self.request_extensions, out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let status_type = r.u8().context("CertificateStatusRequest.status_type")?;
        if status_type != 1 {
            return Err(DecodeError::InvalidValue {
                what: "CertificateStatusRequest.status_type",
                value: status_type.into(),
            });
        }
        let responder_ids =
            read_opaque_list(LenPrefix::U16, LenPrefix::U16, r, "responder_id_list")?;
        let request_extensions = read_opaque(LenPrefix::U16, r, "request_extensions")?;
        Ok(Self {
            responder_ids,
            request_extensions,
        })
    }
}

/// One extension.
///
/// RFC 8446 §4.2:
/// ```text
/// struct {
///     ExtensionType extension_type;
///     opaque extension_data<0..2^16-1>;
/// } Extension;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Extension {
    /// RFC 6066 §3 (ClientHello): `ServerName server_name_list<1..2^16-1>`.
    ServerName(Vec<ServerNameEntry>),
    /// RFC 6066 §3: the server's empty `server_name` acknowledgement.
    ServerNameAck,
    /// RFC 6066 §8 `status_request` (ClientHello, TLS 1.3 CertificateRequest).
    StatusRequest(CertificateStatusRequest),
    /// RFC 6066 §8: the server's empty `status_request` acknowledgement.
    StatusRequestAck,
    /// RFC 8446 §4.4.2.1: `status_request` in a TLS 1.3 CertificateEntry carries
    /// a CertificateStatus.
    CertificateStatus(CertificateStatus),
    /// RFC 8446 §4.2.7: `NamedGroup named_group_list<2..2^16-1>;`
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 8422 §5.1.2: `ECPointFormat ec_point_format_list<1..2^8-1>`.
    EcPointFormats(Vec<u8>),
    /// RFC 8446 §4.2.3: `SignatureScheme supported_signature_algorithms<2..2^16-2>;`
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// RFC 8446 §4.2.3 `signature_algorithms_cert`, same grammar.
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// RFC 6520 §2: `HeartbeatMode mode;` peer_allowed_to_send(1), peer_not_allowed_to_send(2).
    Heartbeat(u8),
    /// RFC 7301 §3.1: `ProtocolName protocol_name_list<2..2^16-1>`, `opaque ProtocolName<1..2^8-1>`.
    Alpn(Vec<Vec<u8>>),
    /// RFC 6962 §3.3: empty in a ClientHello, a `SignedCertificateTimestampList` from
    /// a server; kept raw.
    SignedCertificateTimestamp(Vec<u8>),
    /// RFC 7685 §3: `padding` of this many zero bytes.
    Padding(usize),
    /// RFC 7366 §2: empty.
    EncryptThenMac,
    /// RFC 7627 §5.1: empty.
    ExtendedMasterSecret,
    /// RFC 5077 §3.2: `SessionTicket` — empty, or the ticket being resumed.
    SessionTicket(Vec<u8>),
    /// RFC 8446 §4.2.1 (ClientHello): `ProtocolVersion versions<2..254>;`
    SupportedVersions(Vec<ProtocolVersion>),
    /// RFC 8446 §4.2.1 (ServerHello, HRR): `ProtocolVersion selected_version;`
    SelectedVersion(ProtocolVersion),
    /// RFC 8446 §4.2.2: `opaque cookie<1..2^16-1>;`
    Cookie(Vec<u8>),
    /// RFC 8446 §4.2.9: `PskKeyExchangeMode ke_modes<1..255>;`
    PskKeyExchangeModes(Vec<u8>),
    /// RFC 8446 §4.2.4: `DistinguishedName authorities<3..2^16-1>;`, each
    /// `opaque DistinguishedName<1..2^16-1>` (raw DER).
    CertificateAuthorities(Vec<Vec<u8>>),
    /// RFC 8446 §4.2.8 (ClientHello): `KeyShareEntry client_shares<0..2^16-1>;`
    KeyShare(Vec<KeyShareEntry>),
    /// RFC 8446 §4.2.8 (ServerHello): `KeyShareEntry server_share;`
    KeyShareServer(KeyShareEntry),
    /// RFC 8446 §4.2.8 (HelloRetryRequest): `NamedGroup selected_group;`
    KeyShareHelloRetry(NamedGroup),
    /// RFC 5746 §3.2: `opaque renegotiated_connection<0..255>;`
    RenegotiationInfo(Vec<u8>),
    /// Any other extension, or a known one whose body did not parse exactly.
    Unknown { typ: ExtensionType, data: Vec<u8> },
}

impl Extension {
    /// The extension type code point.
    pub fn typ(&self) -> ExtensionType {
        ExtensionType(match self {
            Self::ServerName(_) | Self::ServerNameAck => SERVER_NAME,
            Self::StatusRequest(_) | Self::StatusRequestAck | Self::CertificateStatus(_) => {
                STATUS_REQUEST
            }
            Self::SupportedGroups(_) => SUPPORTED_GROUPS,
            Self::EcPointFormats(_) => EC_POINT_FORMATS,
            Self::SignatureAlgorithms(_) => SIGNATURE_ALGORITHMS,
            Self::SignatureAlgorithmsCert(_) => SIGNATURE_ALGORITHMS_CERT,
            Self::Heartbeat(_) => HEARTBEAT,
            Self::Alpn(_) => ALPN,
            Self::SignedCertificateTimestamp(_) => SIGNED_CERTIFICATE_TIMESTAMP,
            Self::Padding(_) => PADDING,
            Self::EncryptThenMac => ENCRYPT_THEN_MAC,
            Self::ExtendedMasterSecret => EXTENDED_MASTER_SECRET,
            Self::SessionTicket(_) => SESSION_TICKET,
            Self::SupportedVersions(_) | Self::SelectedVersion(_) => SUPPORTED_VERSIONS,
            Self::Cookie(_) => COOKIE,
            Self::PskKeyExchangeModes(_) => PSK_KEY_EXCHANGE_MODES,
            Self::CertificateAuthorities(_) => CERTIFICATE_AUTHORITIES,
            Self::KeyShare(_) | Self::KeyShareServer(_) | Self::KeyShareHelloRetry(_) => KEY_SHARE,
            Self::RenegotiationInfo(_) => RENEGOTIATION_INFO,
            Self::Unknown { typ, .. } => return *typ,
        })
    }

    /// The encoded `extension_data` (the body without type and length).
    pub fn data(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_data(&mut out);
        out
    }

    /// A raw extension with the given type and body.
    pub fn raw(typ: ExtensionType, data: &[u8]) -> Self {
        Self::Unknown {
            typ,
            data: data.to_vec(),
        }
    }

    fn encode_data(&self, out: &mut Vec<u8>) {
        match self {
            Self::ServerName(list) => encode_list(LenPrefix::U16, list, out),
            Self::ServerNameAck
            | Self::StatusRequestAck
            | Self::EncryptThenMac
            | Self::ExtendedMasterSecret => {}
            Self::StatusRequest(req) => req.encode(out),
            Self::CertificateStatus(status) => status.encode(out),
            Self::SupportedGroups(groups) => encode_list(LenPrefix::U16, groups, out),
            Self::EcPointFormats(formats) => encode_opaque(LenPrefix::U8, formats, out),
            Self::SignatureAlgorithms(s) | Self::SignatureAlgorithmsCert(s) => {
                encode_list(LenPrefix::U16, s, out)
            }
            Self::Heartbeat(mode) => out.push(*mode),
            Self::Alpn(protocols) => {
                encode_opaque_list(LenPrefix::U16, LenPrefix::U8, protocols, out)
            }
            Self::SignedCertificateTimestamp(data) | Self::SessionTicket(data) => {
                out.extend_from_slice(data)
            }
            Self::Padding(n) => out.resize(out.len() + n, 0),
            Self::SupportedVersions(v) => encode_list(LenPrefix::U8, v, out),
            Self::SelectedVersion(v) => v.encode(out),
            Self::Cookie(c) => encode_opaque(LenPrefix::U16, c, out),
            Self::PskKeyExchangeModes(m) => encode_opaque(LenPrefix::U8, m, out),
            Self::CertificateAuthorities(names) => {
                encode_opaque_list(LenPrefix::U16, LenPrefix::U16, names, out)
            }
            Self::KeyShare(entries) => encode_list(LenPrefix::U16, entries, out),
            Self::KeyShareServer(entry) => entry.encode(out),
            Self::KeyShareHelloRetry(group) => group.encode(out),
            Self::RenegotiationInfo(data) => encode_opaque(LenPrefix::U8, data, out),
            Self::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    /// Writes `extension_type` and `extension_data`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.typ().encode(out);
        with_len(LenPrefix::U16, out, |o| self.encode_data(o));
    }

    /// Reads one extension as it appears in a message of kind `ctx`.
    pub fn read(r: &mut Reader<'_>, ctx: ExtensionContext) -> Result<Self, DecodeError> {
        let typ = ExtensionType::read(r).context("Extension.extension_type")?;
        let data = r.sub(2).context("Extension.extension_data")?.rest();
        let mut body = Reader::new(data);
        let typed = match Self::read_typed(typ, &mut body, ctx) {
            Ok(Some(ext)) if body.is_empty() => Some(ext),
            _ => None,
        };
        Ok(typed.unwrap_or_else(|| Self::Unknown {
            typ,
            data: data.to_vec(),
        }))
    }

    fn read_typed(
        typ: ExtensionType,
        r: &mut Reader<'_>,
        ctx: ExtensionContext,
    ) -> Result<Option<Self>, DecodeError> {
        use ExtensionContext as C;
        let empty = r.is_empty();
        Ok(Some(match typ.0 {
            SERVER_NAME if ctx == C::ClientHello => {
                Self::ServerName(read_list(LenPrefix::U16, r, "server_name_list")?)
            }
            SERVER_NAME if empty => Self::ServerNameAck,
            STATUS_REQUEST if matches!(ctx, C::ClientHello | C::CertificateRequest) => {
                Self::StatusRequest(CertificateStatusRequest::read(r)?)
            }
            STATUS_REQUEST if ctx == C::Certificate => {
                Self::CertificateStatus(CertificateStatus::read(r)?)
            }
            STATUS_REQUEST if empty => Self::StatusRequestAck,
            SUPPORTED_GROUPS => {
                Self::SupportedGroups(read_list_fixed(LenPrefix::U16, 2, r, "named_group_list")?)
            }
            EC_POINT_FORMATS => {
                Self::EcPointFormats(read_opaque(LenPrefix::U8, r, "ec_point_format_list")?)
            }
            SIGNATURE_ALGORITHMS => Self::SignatureAlgorithms(read_list_fixed(
                LenPrefix::U16,
                2,
                r,
                "supported_signature_algorithms",
            )?),
            SIGNATURE_ALGORITHMS_CERT => Self::SignatureAlgorithmsCert(read_list_fixed(
                LenPrefix::U16,
                2,
                r,
                "supported_signature_algorithms",
            )?),
            HEARTBEAT => Self::Heartbeat(r.u8().context("HeartbeatMode")?),
            ALPN => Self::Alpn(read_opaque_list(
                LenPrefix::U16,
                LenPrefix::U8,
                r,
                "protocol_name_list",
            )?),
            SIGNED_CERTIFICATE_TIMESTAMP => Self::SignedCertificateTimestamp(r.rest().to_vec()),
            PADDING => {
                let data = r.rest();
                if data.iter().any(|&b| b != 0) {
                    return Ok(None);
                }
                Self::Padding(data.len())
            }
            ENCRYPT_THEN_MAC if empty => Self::EncryptThenMac,
            EXTENDED_MASTER_SECRET if empty => Self::ExtendedMasterSecret,
            SESSION_TICKET => Self::SessionTicket(r.rest().to_vec()),
            SUPPORTED_VERSIONS if ctx == C::ClientHello => {
                Self::SupportedVersions(read_list_fixed(LenPrefix::U8, 2, r, "versions")?)
            }
            SUPPORTED_VERSIONS if matches!(ctx, C::ServerHello | C::HelloRetryRequest) => {
                Self::SelectedVersion(ProtocolVersion::read(r).context("selected_version")?)
            }
            COOKIE => Self::Cookie(read_opaque(LenPrefix::U16, r, "cookie")?),
            PSK_KEY_EXCHANGE_MODES => {
                Self::PskKeyExchangeModes(read_opaque(LenPrefix::U8, r, "ke_modes")?)
            }
            CERTIFICATE_AUTHORITIES => Self::CertificateAuthorities(read_opaque_list(
                LenPrefix::U16,
                LenPrefix::U16,
                r,
                "authorities",
            )?),
            KEY_SHARE if ctx == C::ClientHello => {
                Self::KeyShare(read_list(LenPrefix::U16, r, "client_shares")?)
            }
            KEY_SHARE if ctx == C::ServerHello => Self::KeyShareServer(KeyShareEntry::read(r)?),
            KEY_SHARE if ctx == C::HelloRetryRequest => {
                Self::KeyShareHelloRetry(NamedGroup::read(r).context("selected_group")?)
            }
            RENEGOTIATION_INFO => {
                Self::RenegotiationInfo(read_opaque(LenPrefix::U8, r, "renegotiated_connection")?)
            }
            _ => return Ok(None),
        }))
    }

    /// Writes an extension block `Extension extensions<0..2^16-1>;`.
    pub fn encode_block(extensions: &[Self], out: &mut Vec<u8>) {
        with_len(LenPrefix::U16, out, |o| {
            for e in extensions {
                e.encode(o);
            }
        });
    }

    /// Reads an extension block `Extension extensions<0..2^16-1>;`.
    pub fn read_block(r: &mut Reader<'_>, ctx: ExtensionContext) -> Result<Vec<Self>, DecodeError> {
        let mut sub = r.sub(2).context("extensions")?;
        let mut out = Vec::new();
        while !sub.is_empty() {
            out.push(Self::read(&mut sub, ctx)?);
        }
        Ok(out)
    }
}

fn read_list<T: Codec>(
    prefix: LenPrefix,
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<T>, DecodeError> {
    crate::codec::read_list(prefix, r, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_known_extension_is_kept_raw() {
        // supported_groups with an odd-length list
        let bytes = [0, 10, 0, 3, 0, 1, 0x17];
        let e = Extension::read(&mut Reader::new(&bytes), ExtensionContext::ClientHello).unwrap();
        assert_eq!(
            e,
            Extension::Unknown {
                typ: ExtensionType(10),
                data: vec![0, 1, 0x17]
            }
        );
        let mut out = Vec::new();
        e.encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn supported_versions_depends_on_context() {
        let ch = [0, 43, 0, 5, 4, 3, 4, 3, 3];
        assert_eq!(
            Extension::read(&mut Reader::new(&ch), ExtensionContext::ClientHello).unwrap(),
            Extension::SupportedVersions(vec![ProtocolVersion(0x0304), ProtocolVersion(0x0303)])
        );
        let sh = [0, 43, 0, 2, 3, 4];
        assert_eq!(
            Extension::read(&mut Reader::new(&sh), ExtensionContext::ServerHello).unwrap(),
            Extension::SelectedVersion(ProtocolVersion(0x0304))
        );
    }
}
