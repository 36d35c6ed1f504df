//! The one DER helper of analysis, on asn1-rs (already in the tree through
//! x509-parser): the few shapes x509-parser does not decode for us.
//! Everything here reads hostile bytes: bounded by asn1-rs, never panics.

use x509_parser::asn1_rs::{Class, FromDer, Header, Length, Sequence, Tag, ToDer};

/// `content` wrapped in a SEQUENCE header (webpki stores trust-anchor
/// subjects and keys without it).
pub(crate) fn sequence(content: &[u8]) -> Vec<u8> {
    universal(Tag::Sequence, true, content)
}

/// `content` as one universal-class element (`tag`, constructed or not),
/// for the requests analysis builds (an OCSP request).
pub(crate) fn universal(tag: Tag, constructed: bool, content: &[u8]) -> Vec<u8> {
    let header = Header::new(
        Class::Universal,
        constructed,
        tag,
        Length::Definite(content.len()),
    );
    let mut out = header.to_der_vec().unwrap_or_default();
    out.extend_from_slice(content);
    out
}

/// One DER element read with asn1-rs: its identifier octet (single-byte
/// tags only: class, constructed bit and number below 31, as every tag of
/// the structures analysis reads), its contents, the whole element (what a
/// signature covers), and what follows it. `None` for anything that is not
/// one well-formed DER element at the start of `input` (indefinite or
/// overlong lengths, a length past the end, a multi-byte tag).
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) value: &'a [u8],
    pub(crate) whole: &'a [u8],
    pub(crate) rest: &'a [u8],
}

pub(crate) fn element(input: &[u8]) -> Option<Element<'_>> {
    let (after_header, header) = Header::from_der(input).ok()?;
    let number = u8::try_from(header.tag().0).ok().filter(|n| *n < 0x1f)?;
    let len = header.length().definite().ok()?;
    if len > after_header.len() {
        return None;
    }
    let class = (header.class() as u8) << 6;
    let constructed = if header.is_constructed() { 0x20 } else { 0 };
    let header_len = input.len() - after_header.len();
    Some(Element {
        tag: class | constructed | number,
        value: &after_header[..len],
        whole: &input[..header_len + len],
        rest: &after_header[len..],
    })
}

/// `SEQUENCE OF INTEGER`, every integer a non-negative one that fits in a
/// u64, and nothing after the sequence. `None` for any other shape.
pub(crate) fn integer_sequence(der: &[u8]) -> Option<Vec<u64>> {
    let (rest, seq) = Sequence::from_der(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let mut input: &[u8] = seq.content.as_ref();
    let mut out = Vec::new();
    while !input.is_empty() {
        let (rest, value) = u64::from_der(input).ok()?;
        out.push(value);
        input = rest;
    }
    Some(out)
}

/// The issuer and subject Names of an X.509 certificate (RFC 5280 §4.1),
/// each the whole element with its header, read without parsing the rest:
/// enough to tell which roots of a store could have issued a certificate.
pub(crate) fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let certificate = element(cert)?;
    let tbs = element(certificate.value)?;
    let mut field = element(tbs.value)?;
    // version [0] EXPLICIT is optional; serialNumber, signature follow.
    if field.tag == 0xa0 {
        field = element(field.rest)?;
    }
    let signature = element(field.rest)?;
    let issuer = element(signature.rest)?;
    let validity = element(issuer.rest)?;
    let subject = element(validity.rest)?;
    Some((issuer.whole, subject.whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements() {
        let e = element(&[0x30, 3, 2, 1, 5, 0xff]).unwrap();
        assert_eq!(
            (e.tag, e.value, e.whole, e.rest),
            (0x30, &[2, 1, 5][..], &[0x30, 3, 2, 1, 5][..], &[0xff][..])
        );
        let e = element(&[0xa0, 0x81, 1, 7]).unwrap();
        assert_eq!((e.tag, e.value), (0xa0, &[7][..]));
        assert!(element(&[0x30, 0x80, 0, 0]).is_none(), "indefinite length");
        assert!(element(&[0x30, 5, 1]).is_none(), "past the end");
        assert!(element(&[0x1f, 0x81, 0x01, 0]).is_none(), "multi-byte tag");
        assert!(element(&[]).is_none());
    }

    /// The Names read by walking the DER are the ones x509-parser finds,
    /// for every root of a shipped store (v1 roots without the version
    /// field among them), and a truncated certificate gives none.
    #[test]
    fn issuer_and_subject_match_x509_parser() {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let roots = crate::platform_roots::Platform::ALL
            .iter()
            .flat_map(|p| p.roots().iter().copied());
        let mut seen = 0;
        for der in roots {
            let (_, cert) = X509Certificate::from_der(der).unwrap();
            let (issuer, subject) = issuer_and_subject(der).unwrap();
            assert_eq!(issuer, cert.tbs_certificate.issuer.as_raw());
            assert_eq!(subject, cert.tbs_certificate.subject.as_raw());
            assert!(issuer_and_subject(&der[..der.len() / 3]).is_none());
            seen += 1;
        }
        assert!(seen > 1000, "{seen} roots");
    }

    #[test]
    fn sequence_headers() {
        assert_eq!(sequence(&[1, 2]), vec![0x30, 2, 1, 2]);
        let long = vec![0u8; 300];
        assert_eq!(&sequence(&long)[..4], &[0x30, 0x82, 0x01, 0x2c]);
        let mid = vec![0u8; 200];
        assert_eq!(&sequence(&mid)[..3], &[0x30, 0x81, 200]);
    }
}
