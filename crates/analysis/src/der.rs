//! The one DER helper of analysis, on asn1-rs (already in the tree through
//! x509-parser): the few shapes x509-parser does not decode for us.
//! Everything here reads hostile bytes: bounded by asn1-rs, never panics.

use x509_parser::asn1_rs::{Class, FromDer, Header, Length, Sequence, Tag, ToDer};

/// `content` wrapped in a SEQUENCE header (webpki stores trust-anchor
/// subjects and keys without it).
pub(crate) fn sequence(content: &[u8]) -> Vec<u8> {
    let header = Header::new(
        Class::Universal,
        true,
        Tag::Sequence,
        Length::Definite(content.len()),
    );
    let mut out = header.to_der_vec().unwrap_or_default();
    out.extend_from_slice(content);
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_headers() {
        assert_eq!(sequence(&[1, 2]), vec![0x30, 2, 1, 2]);
        let long = vec![0u8; 300];
        assert_eq!(&sequence(&long)[..4], &[0x30, 0x82, 0x01, 0x2c]);
        let mid = vec![0u8; 200];
        assert_eq!(&sequence(&mid)[..3], &[0x30, 0x81, 200]);
    }
}
