//! Alerts (RFC 8446 §6, RFC 5246 §7.2). The description's name and meaning
//! come from the registry ([`AlertDescription`]); this module is the wire form.

use crate::codec::{Codec, Context, DecodeError, Reader};
use crate::registry::AlertDescription;

/// RFC 5246 §7.2: `enum { warning(1), fatal(2), (255) } AlertLevel;`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AlertLevel {
    Warning,
    Fatal,
    /// Any other value, kept as sent.
    Unknown(u8),
}

impl AlertLevel {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Warning => 1,
            Self::Fatal => 2,
            Self::Unknown(v) => v,
        }
    }
}

impl From<u8> for AlertLevel {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Warning,
            2 => Self::Fatal,
            v => Self::Unknown(v),
        }
    }
}

/// RFC 8446 §6:
/// ```text
/// struct {
///     AlertLevel level;
///     AlertDescription description;
/// } Alert;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Alert {
    pub level: AlertLevel,
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert.
    pub fn fatal(description: AlertDescription) -> Self {
        Self {
            level: AlertLevel::Fatal,
            description,
        }
    }

    /// True for level fatal; unknown levels count as fatal. (A warning-level
    /// close_notify also ends the connection: see [`Self::is_close_notify`].)
    pub fn is_fatal(&self) -> bool {
        match self.level {
            AlertLevel::Fatal | AlertLevel::Unknown(_) => true,
            AlertLevel::Warning => false,
        }
    }

    /// close_notify(0).
    pub fn is_close_notify(&self) -> bool {
        self.description.0 == 0
    }
}

impl Codec for Alert {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.level.to_u8());
        self.description.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let level = AlertLevel::from(r.u8().context("AlertLevel")?);
        let description = AlertDescription::read(r)?;
        Ok(Self { level, description })
    }
}
