//! Registries of TLS code points: cipher suites, named groups, signature schemes,
//! extension types, alert descriptions and protocol versions.
//!
//! Every registry type is a newtype over the raw wire value, so a value this
//! table has never heard of survives parsing and printing (`Unknown` in the
//! rustls sense): `name()` falls back to a hex rendering. The tables themselves
//! are generated from data files under `crates/wire/data/` (see `build.rs`),
//! never typed in by hand.

mod alerts;
mod cipher_suites;
mod extensions;
mod groups;
mod sigschemes;
mod versions;

pub use alerts::{AlertDescription, AlertInfo};
pub use cipher_suites::{Auth, CipherSuite, CipherSuiteInfo, Encryption, KeyExchange, Mac, Mode};
pub use extensions::{ExtensionType, ExtensionTypeInfo};
pub use groups::{GroupKind, NamedGroup, NamedGroupInfo};
pub use sigschemes::{SignatureScheme, SignatureSchemeInfo};
pub use versions::ProtocolVersion;

/// True for the GREASE values of RFC 8701 §2 (0x0A0A, 0x1A1A, ... 0xFAFA),
/// which clients send to keep servers tolerant of unknown values.
pub fn is_grease_u16(value: u16) -> bool {
    (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff)
}

/// Parses `0x1301` / `0X1301` as a code point, so every `from_name` also accepts
/// the hex form that `name()` prints for unknown values.
fn parse_hex_u16(s: &str) -> Option<u16> {
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u16::from_str_radix(hex, 16).ok()
}
