//! Named groups (RFC 8446 §4.2.7, RFC 8422 §5.1.1, RFC 7919, draft-ietf-tls-ecdhe-mlkem).
//! PLACEHOLDER table: replaced by the generated registry.

use serde::{Deserialize, Serialize};

/// What kind of key exchange a group is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupKind {
    Ecdhe,
    Ffdhe,
    Hybrid,
    PostQuantum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NamedGroup(pub u16);

impl NamedGroup {
    pub const SECP256R1: Self = Self(0x0017);
    pub const SECP384R1: Self = Self(0x0018);
    pub const SECP521R1: Self = Self(0x0019);
    pub const X25519: Self = Self(0x001d);
    pub const X448: Self = Self(0x001e);
    pub const FFDHE2048: Self = Self(0x0100);
    pub const FFDHE3072: Self = Self(0x0101);
    pub const X25519MLKEM768: Self = Self(0x11ec);

    pub fn name(self) -> String {
        match self {
            Self::SECP256R1 => "secp256r1".into(),
            Self::SECP384R1 => "secp384r1".into(),
            Self::SECP521R1 => "secp521r1".into(),
            Self::X25519 => "x25519".into(),
            Self::X448 => "x448".into(),
            Self::FFDHE2048 => "ffdhe2048".into(),
            Self::FFDHE3072 => "ffdhe3072".into(),
            Self::X25519MLKEM768 => "X25519MLKEM768".into(),
            Self(v) => format!("0x{v:04x}"),
        }
    }
}
