//! Extension types (IANA "TLS ExtensionType Values"). PLACEHOLDER table.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExtensionType(pub u16);

impl ExtensionType {
    pub const SERVER_NAME: Self = Self(0);
    pub const STATUS_REQUEST: Self = Self(5);
    pub const SUPPORTED_GROUPS: Self = Self(10);
    pub const EC_POINT_FORMATS: Self = Self(11);
    pub const SIGNATURE_ALGORITHMS: Self = Self(13);
    pub const HEARTBEAT: Self = Self(15);
    pub const ALPN: Self = Self(16);
    pub const SIGNED_CERTIFICATE_TIMESTAMP: Self = Self(18);
    pub const PADDING: Self = Self(21);
    pub const ENCRYPT_THEN_MAC: Self = Self(22);
    pub const EXTENDED_MASTER_SECRET: Self = Self(23);
    pub const SESSION_TICKET: Self = Self(35);
    pub const SUPPORTED_VERSIONS: Self = Self(43);
    pub const PSK_KEY_EXCHANGE_MODES: Self = Self(45);
    pub const SIGNATURE_ALGORITHMS_CERT: Self = Self(50);
    pub const KEY_SHARE: Self = Self(51);
    pub const RENEGOTIATION_INFO: Self = Self(0xff01);

    pub fn name(self) -> String {
        format!("0x{:04x}", self.0)
    }
}
