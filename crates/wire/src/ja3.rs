//! JA3 TLS client fingerprints (Salesforce's JA3): the string
//! `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats` with
//! every value in decimal and the values of each field joined by `-`, and its MD5
//! in lower-case hex.
//!
//! `SSLVersion` is the ClientHello's `legacy_version` (RFC 8446 §4.1.2), not the
//! `supported_versions` maximum, so every TLS 1.3 client says 771. Ciphers and
//! extensions keep the client's order; GREASE values (RFC 8701) are removed from
//! ciphers, extensions and groups. `EllipticCurves` is `supported_groups`
//! (RFC 8422 §5.1.1 / RFC 8446 §4.2.7) and `EllipticCurvePointFormats` is
//! `ec_point_formats` (RFC 8422 §5.1.2); absent extensions give empty fields.
//!
//! JA3 is kept because existing threat intelligence is keyed by it; prefer
//! [`crate::ja4`], which is stable under the extension shuffling that Chrome
//! does since version 110. MD5 is used only as a fingerprint, not for security.

use std::fmt;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::handshake::ClientHello;
use crate::ja4::{extension_body, u16_list};
use crate::registry::{is_grease_u16, ExtensionType};

/// The JA3 string of a hello and its MD5.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ja3 {
    /// `771,4865-4866-...,0-23-...,29-23-24,0`
    pub string: String,
    /// MD5 of `string`, 32 lower-case hex digits.
    pub hash: String,
}

impl fmt::Display for Ja3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hash)
    }
}

/// The JA3 fingerprint of a hello.
pub fn ja3(hello: &ClientHello) -> Ja3 {
    let string = ja3_string(hello);
    let hash = hex::encode(Md5::digest(string.as_bytes()));
    Ja3 { string, hash }
}

/// The JA3 string alone.
pub fn ja3_string(hello: &ClientHello) -> String {
    let ciphers = hello.cipher_suites.iter().map(|c| c.0);
    let exts = hello.extensions.iter().map(|e| e.typ().0);
    let groups: Vec<u16> = match hello.supported_groups() {
        Some(g) => g.iter().map(|g| g.0).collect(),
        None => extension_body(hello, ExtensionType::SUPPORTED_GROUPS)
            .and_then(|b| u16_list(&b, 2))
            .unwrap_or_default(),
    };
    let formats: Vec<u8> = match hello.ec_point_formats() {
        Some(f) => f.to_vec(),
        None => extension_body(hello, ExtensionType::EC_POINT_FORMATS)
            .and_then(|b| {
                let len = usize::from(*b.first()?);
                b.get(1..1 + len).map(<[u8]>::to_vec)
            })
            .unwrap_or_default(),
    };
    format!(
        "{},{},{},{},{}",
        hello.legacy_version.0,
        dash_join(ciphers.filter(|v| !is_grease_u16(*v))),
        dash_join(exts.filter(|v| !is_grease_u16(*v))),
        dash_join(groups.into_iter().filter(|v| !is_grease_u16(*v))),
        dash_join(formats.into_iter().map(u16::from)),
    )
}

fn dash_join(values: impl Iterator<Item = u16>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join("-")
}
