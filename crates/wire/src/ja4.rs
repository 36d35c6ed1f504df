//! JA4 TLS client fingerprints (FoxIO's JA4 specification, `technical_details/JA4.md`;
//! JA4 itself is BSD-3-Clause, the JA4+ family is not implemented here).
//!
//! A JA4 fingerprint has three parts joined by `_`:
//!
//! * **a**: transport (`t` TCP, `q` QUIC, `d` DTLS), the highest offered version
//!   (`13`, `12`, ... from `supported_versions` when present, RFC 8446 §4.2.1, else
//!   `legacy_version`), `d` when a `server_name` extension is present or `i` when
//!   not, the number of cipher suites and of extensions (two digits, capped at 99),
//!   and the first and last character of the first ALPN value (`00` without one);
//! * **b**: the cipher suites as 4-digit lower-case hex, sorted, comma-joined,
//!   SHA-256, first 12 hex characters;
//! * **c**: the extension types likewise sorted, without `server_name` (0) and ALPN
//!   (16), then `_` and the signature algorithms in the order sent, hashed the same
//!   way.
//!
//! GREASE values (RFC 8701) are ignored everywhere. An empty list hashes to
//! `000000000000`. The raw variant `JA4_r` shows the lists instead of hashes; the
//! original-order variants `JA4_o`/`JA4_ro` keep the client's order and keep
//! `server_name` and ALPN in the extension list.
//!
//! Where the written specification and the reference implementation that produced
//! the published vectors differ, this follows the vectors (they are what other
//! tools' output is compared with): an ALPN byte outside ASCII prints as `9`. An
//! ASCII byte that is not alphanumeric makes both characters come from the hex form
//! of the value, as the specification says.
//!
//! Pure functions of a parsed [`ClientHello`]; nothing here does I/O.

use std::fmt;

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

use crate::handshake::{ClientHello, Extension};
use crate::registry::{is_grease_u16, ExtensionType, ProtocolVersion};

/// The four JA4 strings of one ClientHello.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ja4 {
    /// `JA4`: sorted lists, hashed (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
    pub ja4: String,
    /// `JA4_r`: sorted lists, raw.
    pub ja4_r: String,
    /// `JA4_o`: original order, hashed.
    pub ja4_o: String,
    /// `JA4_ro`: original order, raw.
    pub ja4_ro: String,
}

impl fmt::Display for Ja4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ja4)
    }
}

/// What carried the hello: the first character of a JA4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Transport {
    /// TLS over TCP: `t`.
    Tcp,
    /// QUIC (RFC 9001): `q`.
    Quic,
    /// DTLS: `d`.
    Dtls,
}

impl Transport {
    fn marker(self) -> char {
        match self {
            Self::Tcp => 't',
            Self::Quic => 'q',
            Self::Dtls => 'd',
        }
    }
}

/// The JA4 fingerprints of a hello. The transport is TCP unless the hello carries
/// `quic_transport_parameters` (RFC 9001 §8.2), which only QUIC clients send.
pub fn ja4(hello: &ClientHello) -> Ja4 {
    let quic = hello
        .extensions
        .iter()
        .any(|e| e.typ() == ExtensionType::QUIC_TRANSPORT_PARAMETERS);
    ja4_with_transport(
        hello,
        if quic {
            Transport::Quic
        } else {
            Transport::Tcp
        },
    )
}

/// The JA4 fingerprints of a hello carried by `transport`.
pub fn ja4_with_transport(hello: &ClientHello, transport: Transport) -> Ja4 {
    let ciphers: Vec<u16> = hello
        .cipher_suites
        .iter()
        .map(|c| c.0)
        .filter(|c| !is_grease_u16(*c))
        .collect();
    let exts: Vec<u16> = hello
        .extensions
        .iter()
        .map(|e| e.typ().0)
        .filter(|t| !is_grease_u16(*t))
        .collect();
    let sigs: Vec<u16> = signature_algorithms(hello)
        .into_iter()
        .filter(|s| !is_grease_u16(*s))
        .collect();

    let sni = if exts.contains(&ExtensionType::SERVER_NAME.0) {
        'd'
    } else {
        'i'
    };
    let (alpn_first, alpn_last) = alpn_chars(first_alpn(hello).as_deref());
    let a = format!(
        "{}{}{sni}{:02}{:02}{alpn_first}{alpn_last}",
        transport.marker(),
        version_code(offered_version(hello)),
        ciphers.len().min(99),
        exts.len().min(99),
    );

    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let mut sorted_exts: Vec<u16> = exts
        .iter()
        .copied()
        .filter(|t| *t != ExtensionType::SERVER_NAME.0 && *t != ExtensionType::ALPN.0)
        .collect();
    sorted_exts.sort_unstable();

    let sigs = hex_list(&sigs);
    let join_c = |exts: &[u16]| {
        let exts = hex_list(exts);
        if sigs.is_empty() {
            exts
        } else {
            format!("{exts}_{sigs}")
        }
    };
    let (b, c) = (hex_list(&sorted_ciphers), join_c(&sorted_exts));
    let (b_o, c_o) = (hex_list(&ciphers), join_c(&exts));

    Ja4 {
        ja4: format!("{a}_{}_{}", hash12(&b), hash12(&c)),
        ja4_r: format!("{a}_{b}_{c}"),
        ja4_o: format!("{a}_{}_{}", hash12(&b_o), hash12(&c_o)),
        ja4_ro: format!("{a}_{b_o}_{c_o}"),
    }
}

/// The two-character version code of the JA4 specification; `00` when unknown.
fn version_code(v: ProtocolVersion) -> &'static str {
    match v.0 {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// The highest non-GREASE `supported_versions` entry when the extension is present
/// (RFC 8446 §4.2.1), else `legacy_version`.
pub(crate) fn offered_version(hello: &ClientHello) -> ProtocolVersion {
    supported_versions(hello)
        .and_then(|v| v.into_iter().filter(|v| !is_grease_u16(*v)).max())
        .map_or(hello.legacy_version, ProtocolVersion)
}

/// Comma-joined 4-digit lower-case hex.
fn hex_list(values: &[u16]) -> String {
    let mut s = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("{v:04x}"));
    }
    s
}

/// First 12 hex characters of SHA-256, or `000000000000` for an empty list.
fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_owned();
    }
    let d = digest::digest(&digest::SHA256, s.as_bytes());
    let mut h = hex::encode(d.as_ref());
    h.truncate(12);
    h
}

/// The first and last characters of the first ALPN value (`00` when absent or
/// empty; a one-byte value gives the same character twice).
fn alpn_chars(value: Option<&[u8]>) -> (char, char) {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return ('0', '0');
    };
    let (first, last) = (v[0], v[v.len() - 1]);
    let ok = |b: u8| b.is_ascii_alphanumeric() || !b.is_ascii();
    if ok(first) && ok(last) {
        let show = |b: u8| if b.is_ascii() { char::from(b) } else { '9' };
        (show(first), show(last))
    } else {
        let h = hex::encode(v);
        let mut chars = h.chars();
        (
            chars.next().unwrap_or('0'),
            chars.next_back().unwrap_or('0'),
        )
    }
}

/// The body of the first extension of type `typ`, as sent.
pub(crate) fn extension_body(hello: &ClientHello, typ: ExtensionType) -> Option<Vec<u8>> {
    hello
        .extensions
        .iter()
        .find(|e| e.typ() == typ)
        .map(Extension::data)
}

/// Reads a vector of u16 behind a `len_bytes`-byte length; `None` if malformed.
pub(crate) fn u16_list(body: &[u8], len_bytes: usize) -> Option<Vec<u16>> {
    let len = body
        .get(..len_bytes)?
        .iter()
        .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
    let list = body.get(len_bytes..len_bytes + len)?;
    if len % 2 != 0 {
        return None;
    }
    Some(
        list.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
    )
}

/// `signature_algorithms` (RFC 8446 §4.2.3) in the order sent, from the parsed
/// extension or, when it did not parse, from its raw body.
fn signature_algorithms(hello: &ClientHello) -> Vec<u16> {
    if let Some(s) = hello.signature_algorithms() {
        return s.iter().map(|s| s.0).collect();
    }
    extension_body(hello, ExtensionType::SIGNATURE_ALGORITHMS)
        .and_then(|b| u16_list(&b, 2))
        .unwrap_or_default()
}

/// `supported_versions` (RFC 8446 §4.2.1, ClientHello form), if present.
fn supported_versions(hello: &ClientHello) -> Option<Vec<u16>> {
    if let Some(v) = hello.supported_versions() {
        return Some(v.iter().map(|v| v.0).collect());
    }
    extension_body(hello, ExtensionType::SUPPORTED_VERSIONS).and_then(|b| u16_list(&b, 1))
}

/// The first ALPN protocol name (RFC 7301 §3.1), raw bytes.
fn first_alpn(hello: &ClientHello) -> Option<Vec<u8>> {
    if let Some(list) = hello.alpn() {
        return list.first().cloned();
    }
    let body = extension_body(hello, ExtensionType::ALPN)?;
    let len = usize::from(*body.get(2)?);
    body.get(3..3 + len).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_rules() {
        assert_eq!(alpn_chars(None), ('0', '0'));
        assert_eq!(alpn_chars(Some(b"")), ('0', '0'));
        assert_eq!(alpn_chars(Some(b"h2")), ('h', '2'));
        assert_eq!(alpn_chars(Some(b"http/1.1")), ('h', '1'));
        assert_eq!(alpn_chars(Some(b"x")), ('x', 'x'));
        // Examples from the specification: a non-alphanumeric ASCII end byte
        // switches to the hex form of the whole value.
        assert_eq!(alpn_chars(Some(&[0x30, 0xab, 0xcd, 0x31])), ('0', '1'));
        assert_eq!(alpn_chars(Some(b"h2-")), ('6', 'd'));
        // Non-ASCII bytes print as 9, as in the published vectors.
        assert_eq!(alpn_chars(Some(&[0xba, 0xad])), ('9', '9'));
    }

    #[test]
    fn hashing() {
        assert_eq!(hash12(""), "000000000000");
        // The specification's cipher example.
        assert_eq!(
            hash12("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"),
            "8daaf6152771"
        );
        assert_eq!(
            hash12("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"),
            "e5627efa2ab1"
        );
        assert_eq!(hex_list(&[0x2f, 0xc02f]), "002f,c02f");
    }
}
