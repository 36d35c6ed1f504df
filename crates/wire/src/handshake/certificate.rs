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

/// Most entries a Certificate message may carry. The grammar allows a 16 MiB
/// list; real chains have 2 to 5 certificates, and OpenSSL stops verifying
/// at depth 100. A longer list is a decode error that says how many entries
/// it had, so a hostile 40,000-entry message (120 KiB of empty entries) never
/// turns into 40,000 allocations copied into every probe's observation.
pub const MAX_CERTIFICATE_ENTRIES: usize = 64;

/// Checks the number of entries of a certificate_list before any is read:
/// walks the length prefixes (`entry_extensions`: TLS 1.3 entries carry an
/// extension block) without allocating.
fn check_entry_count(list: &Reader<'_>, entry_extensions: bool) -> Result<(), DecodeError> {
    let mut walk = list.clone();
    let mut count = 0usize;
    while !walk.is_empty() {
        let len = walk.length(3)?;
        walk.take(len)?;
        if entry_extensions {
            let len = walk.length(2)?;
            walk.take(len)?;
        }
        count += 1;
    }
    if count > MAX_CERTIFICATE_ENTRIES {
        return Err(DecodeError::BadLength {
            what: "certificate_list (number of entries)",
            len: count,
            min: 0,
            max: MAX_CERTIFICATE_ENTRIES,
        });
    }
    Ok(())
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
            check_entry_count(&list, true)?;
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
            check_entry_count(&list, false)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_entries(n: usize, tls13: bool) -> Vec<u8> {
        let entry: &[u8] = if tls13 { &[0, 0, 0, 0, 0] } else { &[0, 0, 0] };
        let list = entry.repeat(n);
        let mut body = if tls13 { vec![0] } else { Vec::new() };
        body.extend_from_slice(&(list.len() as u32).to_be_bytes()[1..]);
        body.extend(list);
        body
    }

    #[test]
    fn at_most_64_entries_are_read() {
        for tls13 in [false, true] {
            let ok = CertificateMessage::read_bytes(&empty_entries(64, tls13), tls13).unwrap();
            assert_eq!(ok.len(), 64);
            let e = CertificateMessage::read_bytes(&empty_entries(40_000, tls13), tls13)
                .unwrap_err()
                .to_string();
            assert!(e.contains("number of entries"), "{e}");
            assert!(e.contains("40000"), "{e}");
        }
        // A broken length inside the list is still a truncation error.
        let mut body = empty_entries(2, false);
        body.extend([0, 0, 9]);
        let len = body.len() - 3;
        body[..3].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
        assert!(CertificateMessage::read_bytes(&body, false).is_err());
    }
}
