//! The Certificate message (RFC 5246 §7.4.2, RFC 8446 §4.4.2).

use crate::codec::{encode_opaque, read_opaque, with_len, Context, DecodeError, LenPrefix, Reader};
use crate::handshake::{Extension, ExtensionContext};

/// RFC 8446 §4.4.2:
/// ```text
/// struct {
///     select (certificate_type) {
///         case X509: opaque cert_data<1..2^24-1>;
///     };
///     Extension extensions<0..2^16-1>;
/// } CertificateEntry;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    /// The DER certificate.
    pub cert_data: Vec<u8>,
    /// Per-certificate extensions (status_request, signed_certificate_timestamp).
    pub extensions: Vec<Extension>,
}

/// The Certificate message in its two forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateMessage {
    /// RFC 5246 §7.4.2:
    /// ```text
    /// opaque ASN.1Cert<1..2^24-1>;
    /// struct {
    ///     ASN.1Cert certificate_list<0..2^24-1>;
    /// } Certificate;
    /// ```
    Tls12 { certificates: Vec<Vec<u8>> },
    /// RFC 8446 §4.4.2:
    /// ```text
    /// struct {
    ///     opaque certificate_request_context<0..2^8-1>;
    ///     CertificateEntry certificate_list<0..2^24-1>;
    /// } Certificate;
    /// ```
    Tls13 {
        context: Vec<u8>,
        entries: Vec<CertificateEntry>,
    },
}

impl CertificateMessage {
    /// Writes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Tls12 { certificates } => with_len(LenPrefix::U24, out, |o| {
                for c in certificates {
                    encode_opaque(LenPrefix::U24, c, o);
                }
            }),
            Self::Tls13 { context, entries } => {
                encode_opaque(LenPrefix::U8, context, out);
                with_len(LenPrefix::U24, out, |o| {
                    for e in entries {
                        encode_opaque(LenPrefix::U24, &e.cert_data, o);
                        Extension::encode_block(&e.extensions, o);
                    }
                });
            }
        }
    }

    /// The encoded body.
    pub fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads the body; `tls13` selects the RFC 8446 form.
    pub fn read(r: &mut Reader<'_>, tls13: bool) -> Result<Self, DecodeError> {
        if tls13 {
            let context = read_opaque(LenPrefix::U8, r, "certificate_request_context")?;
            let mut list = r.sub(3).context("certificate_list")?;
            let mut entries = Vec::new();
            while !list.is_empty() {
                let cert_data = read_opaque(LenPrefix::U24, &mut list, "cert_data")?;
                let extensions = Extension::read_block(&mut list, ExtensionContext::Certificate)?;
                entries.push(CertificateEntry {
                    cert_data,
                    extensions,
                });
            }
            Ok(Self::Tls13 { context, entries })
        } else {
            let mut list = r.sub(3).context("certificate_list")?;
            let mut certificates = Vec::new();
            while !list.is_empty() {
                certificates.push(read_opaque(LenPrefix::U24, &mut list, "ASN.1Cert")?);
            }
            Ok(Self::Tls12 { certificates })
        }
    }

    /// Parses a body that must be consumed entirely.
    pub fn read_bytes(bytes: &[u8], tls13: bool) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r, tls13)?;
        r.expect_empty("Certificate")?;
        Ok(v)
    }

    /// The DER certificates, leaf first.
    pub fn certificates(&self) -> Vec<&[u8]> {
        match self {
            Self::Tls12 { certificates } => certificates.iter().map(Vec::as_slice).collect(),
            Self::Tls13 { entries, .. } => entries.iter().map(|e| e.cert_data.as_slice()).collect(),
        }
    }

    /// Number of certificates.
    pub fn len(&self) -> usize {
        match self {
            Self::Tls12 { certificates } => certificates.len(),
            Self::Tls13 { entries, .. } => entries.len(),
        }
    }

    /// True for an empty certificate list.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
