//! Small server messages: ServerHelloDone, CertificateStatus, NewSessionTicket.

use crate::codec::{
    encode_opaque, read_opaque, read_opaque_bounded, Codec, Context, DecodeError, LenPrefix, Reader,
};
use crate::handshake::{Extension, ExtensionContext};

/// RFC 5246 §7.4.5: `struct { } ServerHelloDone;`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerHelloDone;

impl Codec for ServerHelloDone {
    fn encode(&self, _out: &mut Vec<u8>) {}
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.expect_empty("ServerHelloDone")?;
        Ok(Self)
    }
}

/// RFC 6066 §8 / RFC 8446 §4.4.2.1:
/// ```text
/// struct {
///     CertificateStatusType status_type;   /* ocsp(1) */
///     select (status_type) { case ocsp: OCSPResponse; } response;
/// } CertificateStatus;
/// opaque OCSPResponse<1..2^24-1>;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateStatus {
    /// `CertificateStatusType status_type;` ocsp(1); other values keep their body raw.
    pub status_type: u8,
    /// The DER OCSPResponse (RFC 6960) for ocsp(1); the raw remainder otherwise.
    pub response: Vec<u8>,
}

impl CertificateStatus {
    /// An OCSP status with the given DER response.
    pub fn ocsp(response: Vec<u8>) -> Self {
        Self {
            status_type: 1,
            response,
        }
    }
}

impl Codec for CertificateStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.status_type);
        if self.status_type == 1 {
            encode_opaque(LenPrefix::U24, &self.response, out);
        } else {
            out.extend_from_slice(&self.response);
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let status_type = r.u8().context("CertificateStatus.status_type")?;
        let response = if status_type == 1 {
            read_opaque(LenPrefix::U24, r, "OCSPResponse")?
        } else {
            r.rest().to_vec()
        };
        Ok(Self {
            status_type,
            response,
        })
    }
}

/// NewSessionTicket in both forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewSessionTicket {
    /// RFC 5077 §3.3:
    /// ```text
    /// struct {
    ///     uint32 ticket_lifetime_hint;
    ///     opaque ticket<0..2^16-1>;
    /// } NewSessionTicket;
    /// ```
    Tls12 { lifetime_hint: u32, ticket: Vec<u8> },
    /// RFC 8446 §4.6.1:
    /// ```text
    /// struct {
    ///     uint32 ticket_lifetime;
    ///     uint32 ticket_age_add;
    ///     opaque ticket_nonce<0..255>;
    ///     opaque ticket<1..2^16-1>;
    ///     Extension extensions<0..2^16-2>;
    /// } NewSessionTicket;
    /// ```
    Tls13 {
        lifetime: u32,
        age_add: u32,
        nonce: Vec<u8>,
        ticket: Vec<u8>,
        extensions: Vec<Extension>,
    },
}

impl NewSessionTicket {
    /// Writes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Tls12 {
                lifetime_hint,
                ticket,
            } => {
                out.extend_from_slice(&lifetime_hint.to_be_bytes());
                encode_opaque(LenPrefix::U16, ticket, out);
            }
            Self::Tls13 {
                lifetime,
                age_add,
                nonce,
                ticket,
                extensions,
            } => {
                out.extend_from_slice(&lifetime.to_be_bytes());
                out.extend_from_slice(&age_add.to_be_bytes());
                encode_opaque(LenPrefix::U8, nonce, out);
                encode_opaque(LenPrefix::U16, ticket, out);
                Extension::encode_block(extensions, out);
            }
        }
    }

    /// Reads the body; `tls13` selects the RFC 8446 form.
    pub fn read(r: &mut Reader<'_>, tls13: bool) -> Result<Self, DecodeError> {
        if tls13 {
            let lifetime = r.u32().context("ticket_lifetime")?;
            let age_add = r.u32().context("ticket_age_add")?;
            let nonce = read_opaque(LenPrefix::U8, r, "ticket_nonce")?;
            let ticket = read_opaque_bounded(LenPrefix::U16, r, "ticket", 1, 0xffff)?;
            let extensions = Extension::read_block(r, ExtensionContext::NewSessionTicket)?;
            Ok(Self::Tls13 {
                lifetime,
                age_add,
                nonce,
                ticket,
                extensions,
            })
        } else {
            let lifetime_hint = r.u32().context("ticket_lifetime_hint")?;
            let ticket = read_opaque(LenPrefix::U16, r, "ticket")?;
            Ok(Self::Tls12 {
                lifetime_hint,
                ticket,
            })
        }
    }

    /// Parses a body that must be consumed entirely.
    pub fn read_bytes(bytes: &[u8], tls13: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r, tls13)?;
        r.expect_empty("NewSessionTicket")?;
        Ok(v)
    }

    /// The opaque ticket.
    pub fn ticket(&self) -> &[u8] {
        match self {
            Self::Tls12 { ticket, .. } | Self::Tls13 { ticket, .. } => ticket,
        }
    }
}
