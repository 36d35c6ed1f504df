//! Registries of TLS code points: cipher suites, named groups, signature schemes,
//! extension types, alert descriptions and protocol versions.
//!
//! Every registry type is a newtype over the raw wire value, so a value this
//! table has never heard of survives parsing and printing (`Unknown` in the
//! rustls sense): `name()` falls back to a hex rendering. The tables themselves
//! are generated from data files under `crates/wire/data/` (see `build.rs`),
//! never typed in by hand.

/// Implements the accessors every registry newtype shares, in the spirit of
/// rustls' `enum_builder!`: the tables come from `build.rs`, the behaviour from
/// here, so the registries cannot drift apart.
///
/// `registry_accessors! { impl Ty for TyInfo in TABLE, named by .field ("IANA name"); }`
/// gives a `u16` newtype `info()` (binary search in the sorted `TABLE`), `as_str()`
/// (`GREASE` for RFC 8701 values, else `TyInfo::field`), `name()` (falling back to
/// `0x%04x`), `is_grease()` and `Display`. A trailing
/// `/// docs` `from_name(Self::alias);` (the alias function is optional) also
/// gives `from_name()`: exact name, then ignoring ASCII case, then the alias
/// function, then `0x%04x`.
///
/// The `@info` and `@display` arms are the pieces registries that do not fit
/// that shape (alerts are `u8` without GREASE) use on their own.
macro_rules! registry_accessors {
    (
        impl $ty:ident for $info:ident in $table:ident, named by .$field:ident ($label:literal);
        $($from_name:tt)*
    ) => {
        impl $ty {
            registry_accessors!(@info $info in $table, "code point");

            #[doc = concat!(
                "The ", $label, " without allocating, if known (`GREASE` for RFC 8701 values)."
            )]
            pub fn as_str(self) -> Option<&'static str> {
                if self.is_grease() {
                    return Some("GREASE");
                }
                self.info().map(|i| i.$field)
            }

            #[doc = concat!("The ", $label, ", `GREASE`, or `0x%04x` for an unknown code point.")]
            pub fn name(self) -> String {
                match self.as_str() {
                    Some(n) => n.to_owned(),
                    None => format!("0x{:04x}", self.0),
                }
            }

            /// True for the GREASE values of RFC 8701 §2.
            pub fn is_grease(self) -> bool {
                $crate::registry::is_grease_u16(self.0)
            }

            registry_accessors!(@from_name $table, $field; $($from_name)*);
        }

        registry_accessors!(@display $ty, "0x{:04x}");
    };

    (@info $info:ident in $table:ident, $what:literal) => {
        #[doc = concat!("The registry entry, if this ", $what, " is known.")]
        pub fn info(self) -> Option<&'static $info> {
            $table
                .binary_search_by_key(&self.0, |i| i.code)
                .ok()
                .map(|i| &$table[i])
        }
    };

    (@display $ty:ident, $unknown:literal) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.as_str() {
                    Some(n) => f.write_str(n),
                    None => write!(f, $unknown, self.0),
                }
            }
        }
    };

    (@from_name $table:ident, $field:ident;) => {};
    (
        @from_name $table:ident, $field:ident;
        $(#[$doc:meta])* from_name($($alias:expr)?);
    ) => {
        $(#[$doc])*
        pub fn from_name(name: &str) -> Option<Self> {
            let name = name.trim();
            $table
                .iter()
                .find(|i| i.$field == name)
                .or_else(|| $table.iter().find(|i| i.$field.eq_ignore_ascii_case(name)))
                .map(|i| Self(i.code))
                $(.or_else(|| $alias(name)))?
                .or_else(|| $crate::registry::parse_hex_u16(name).map(Self))
        }
    };
}

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
