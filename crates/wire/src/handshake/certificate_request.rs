//! CertificateRequest (RFC 5246 §7.4.4, RFC 4346 §7.4.4, RFC 8446 §4.3.2).

use crate::codec::{
    encode_list, encode_opaque, encode_opaque_list, read_list_fixed, read_opaque, read_opaque_list,
    DecodeError, LenPrefix, Reader,
};
use crate::handshake::{Extension, ExtensionContext};
use crate::registry::SignatureScheme;

/// The CertificateRequest in its two forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateRequest {
    /// RFC 5246 §7.4.4 (TLS 1.0/1.1 lack `supported_signature_algorithms`):
    /// ```text
    /// struct {
    ///     ClientCertificateType certificate_types<1..2^8-1>;
    ///     SignatureAndHashAlgorithm supported_signature_algorithms<2^16-1>;
    ///     DistinguishedName certificate_authorities<0..2^16-1>;
    /// } CertificateRequest;
    /// opaque DistinguishedName<1..2^16-1>;
    /// ```
    Tls12 {
        certificate_types: Vec<u8>,
        /// `None` for TLS 1.0/1.1, which have no such field.
        signature_algorithms: Option<Vec<SignatureScheme>>,
        /// Raw DER DistinguishedNames.
        certificate_authorities: Vec<Vec<u8>>,
    },
    /// RFC 8446 §4.3.2:
    /// ```text
    /// struct {
    ///     opaque certificate_request_context<0..2^8-1>;
    ///     Extension extensions<2..2^16-1>;
    /// } CertificateRequest;
    /// ```
    Tls13 {
        context: Vec<u8>,
        extensions: Vec<Extension>,
    },
}

/// Which grammar a CertificateRequest body follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateRequestForm {
    /// TLS 1.0 and 1.1 (no signature algorithms).
    Tls10,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl CertificateRequest {
    /// Writes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Tls12 {
                certificate_types,
                signature_algorithms,
                certificate_authorities,
            } => {
                encode_opaque(LenPrefix::U8, certificate_types, out);
                if let Some(s) = signature_algorithms {
                    encode_list(LenPrefix::U16, s, out);
                }
                encode_opaque_list(LenPrefix::U16, LenPrefix::U16, certificate_authorities, out);
            }
            Self::Tls13 {
                context,
                extensions,
            } => {
                encode_opaque(LenPrefix::U8, context, out);
                Extension::encode_block(extensions, out);
            }
        }
    }

    /// The encoded body.
    pub fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The grammar this value is encoded with.
    pub fn form(&self) -> CertificateRequestForm {
        match self {
            Self::Tls12 {
                signature_algorithms: None,
                ..
            } => CertificateRequestForm::Tls10,
            Self::Tls12 { .. } => CertificateRequestForm::Tls12,
            Self::Tls13 { .. } => CertificateRequestForm::Tls13,
        }
    }

    /// Reads a body of the given form.
    pub fn read(r: &mut Reader<'_>, form: CertificateRequestForm) -> Result<Self, DecodeError> {
        match form {
            CertificateRequestForm::Tls13 => {
                let context = read_opaque(LenPrefix::U8, r, "certificate_request_context")?;
                let extensions = Extension::read_block(r, ExtensionContext::CertificateRequest)?;
                Ok(Self::Tls13 {
                    context,
                    extensions,
                })
            }
            CertificateRequestForm::Tls10 | CertificateRequestForm::Tls12 => {
                let certificate_types = read_opaque(LenPrefix::U8, r, "certificate_types")?;
                let signature_algorithms = if form == CertificateRequestForm::Tls12 {
                    Some(read_list_fixed(
                        LenPrefix::U16,
                        2,
                        r,
                        "supported_signature_algorithms",
                    )?)
                } else {
                    None
                };
                let certificate_authorities =
                    read_opaque_list(LenPrefix::U16, LenPrefix::U16, r, "certificate_authorities")?;
                Ok(Self::Tls12 {
                    certificate_types,
                    signature_algorithms,
                    certificate_authorities,
                })
            }
        }
    }

    /// Parses a body that must be consumed entirely.
    pub fn read_bytes(bytes: &[u8], form: CertificateRequestForm) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r, form)?;
        r.expect_empty("CertificateRequest")?;
        Ok(v)
    }

    /// The signature algorithms the server accepts for the client certificate.
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        match self {
            Self::Tls12 {
                signature_algorithms,
                ..
            } => signature_algorithms.as_deref(),
            Self::Tls13 { extensions, .. } => extensions.iter().find_map(|e| match e {
                Extension::SignatureAlgorithms(s) => Some(s.as_slice()),
                _ => None,
            }),
        }
    }

    /// The acceptable CA names (raw DER DistinguishedNames); empty when none were sent.
    pub fn certificate_authorities(&self) -> &[Vec<u8>] {
        match self {
            Self::Tls12 {
                certificate_authorities,
                ..
            } => certificate_authorities,
            Self::Tls13 { extensions, .. } => extensions
                .iter()
                .find_map(|e| match e {
                    Extension::CertificateAuthorities(n) => Some(n.as_slice()),
                    _ => None,
                })
                .unwrap_or(&[]),
        }
    }
}
