//! Signature schemes (RFC 8446 §4.2.3). PLACEHOLDER table: replaced by the generated registry.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SignatureScheme(pub u16);

impl SignatureScheme {
    pub const RSA_PKCS1_SHA256: Self = Self(0x0401);
    pub const ECDSA_SECP256R1_SHA256: Self = Self(0x0403);
    pub const RSA_PSS_RSAE_SHA256: Self = Self(0x0804);
    pub const ED25519: Self = Self(0x0807);

    pub fn name(self) -> String {
        match self {
            Self::RSA_PKCS1_SHA256 => "rsa_pkcs1_sha256".into(),
            Self::ECDSA_SECP256R1_SHA256 => "ecdsa_secp256r1_sha256".into(),
            Self::RSA_PSS_RSAE_SHA256 => "rsa_pss_rsae_sha256".into(),
            Self::ED25519 => "ed25519".into(),
            Self(v) => format!("0x{v:04x}"),
        }
    }
}
