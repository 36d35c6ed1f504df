//! Protocol versions as they appear on the wire (RFC 8446 §4.1.2 `legacy_version`,
//! §4.2.1 `supported_versions`; RFC 6101 for SSL 3.0; SSL 2.0 uses 0x0002).

use serde::{Deserialize, Serialize};

/// A protocol version code point. Unknown values survive and print as hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    pub const SSL2: Self = Self(0x0002);
    pub const SSL3: Self = Self(0x0300);
    pub const TLS1_0: Self = Self(0x0301);
    pub const TLS1_1: Self = Self(0x0302);
    pub const TLS1_2: Self = Self(0x0303);
    pub const TLS1_3: Self = Self(0x0304);

    /// Every version tlsdoctor can probe, oldest first.
    pub const ALL: [Self; 6] = [
        Self::SSL2,
        Self::SSL3,
        Self::TLS1_0,
        Self::TLS1_1,
        Self::TLS1_2,
        Self::TLS1_3,
    ];

    /// The stable name used in tlsdoctor's output (`ssl2 ssl3 tls1_0 tls1_1 tls1_2 tls1_3`).
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::SSL2 => "ssl2",
            Self::SSL3 => "ssl3",
            Self::TLS1_0 => "tls1_0",
            Self::TLS1_1 => "tls1_1",
            Self::TLS1_2 => "tls1_2",
            Self::TLS1_3 => "tls1_3",
            _ => return None,
        })
    }

    /// The name a person knows (`TLS 1.2`).
    pub fn display_name(self) -> String {
        match self {
            Self::SSL2 => "SSL 2.0".into(),
            Self::SSL3 => "SSL 3.0".into(),
            Self::TLS1_0 => "TLS 1.0".into(),
            Self::TLS1_1 => "TLS 1.1".into(),
            Self::TLS1_2 => "TLS 1.2".into(),
            Self::TLS1_3 => "TLS 1.3".into(),
            Self(v) if super::is_grease_u16(v) => format!("GREASE(0x{v:04x})"),
            Self(v) if v >> 8 == 0x7f => format!("TLS 1.3 draft {}", v & 0xff),
            Self(v) => format!("unknown(0x{v:04x})"),
        }
    }

    /// Parses the stable name (`tls1_2`) back to a version.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == Some(name))
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:04x}", self.0),
        }
    }
}
