//! Alert descriptions (RFC 8446 §6, RFC 5246 §7.2). PLACEHOLDER table.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AlertDescription(pub u8);

/// Name and plain-English meaning of one alert description.
#[derive(Clone, Copy, Debug)]
pub struct AlertInfo {
    pub code: u8,
    pub name: &'static str,
    pub meaning: &'static str,
}

impl AlertDescription {
    pub const CLOSE_NOTIFY: Self = Self(0);
    pub const HANDSHAKE_FAILURE: Self = Self(40);
    pub const PROTOCOL_VERSION: Self = Self(70);
    pub const UNRECOGNIZED_NAME: Self = Self(112);
    pub const CERTIFICATE_REQUIRED: Self = Self(116);

    pub fn name(self) -> String {
        format!("alert({})", self.0)
    }

    pub fn meaning(self) -> &'static str {
        "an alert this version of tlsdoctor has no description for"
    }
}
