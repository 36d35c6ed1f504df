//! What a negotiated TLS 1.0–1.2 cipher suite asks of the engine: its key
//! exchange, its record protection and its PRF, read from the registry. A
//! suite outside what the engine implements is named, never guessed at.

use crate::registry::{
    CipherSuite, Encryption, KeyExchange as RegistryKx, Mac, Mode, ProtocolVersion,
};

use super::prf::PrfHash;

/// The key exchanges the engine completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// RSA key transport: the premaster secret encrypted to the leaf's key
    /// (RFC 5246 §7.4.7.1).
    Rsa,
    /// Ephemeral finite-field Diffie-Hellman with the server's p and g
    /// (RFC 5246 §7.4.3, §8.1.2).
    Dhe,
    /// Ephemeral elliptic-curve Diffie-Hellman (RFC 8422 §5.4).
    Ecdhe,
}

/// The record protections the engine implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bulk {
    /// AES-CBC with an HMAC, MAC-then-encrypt (RFC 5246 §6.2.3.2).
    AesCbc { key_len: usize, mac: MacHash },
    /// AES-GCM (RFC 5288).
    AesGcm { key_len: usize },
    /// ChaCha20-Poly1305 (RFC 7905).
    ChaCha20Poly1305,
}

/// The HMAC of a CBC suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacHash {
    Sha1,
    Sha256,
    Sha384,
}

impl MacHash {
    /// Output (and key) length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
        }
    }
}

/// Everything the engine needs to know about a negotiated suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteParams {
    pub suite: CipherSuite,
    pub version: ProtocolVersion,
    pub kx: KeyExchange,
    pub bulk: Bulk,
    pub prf: PrfHash,
}

impl SuiteParams {
    /// The parameters of `suite` at `version`, or why the engine cannot run
    /// it (a sentence for a report: "CCM records are not implemented").
    pub fn new(suite: CipherSuite, version: ProtocolVersion) -> Result<Self, String> {
        let name = suite.name();
        if !(ProtocolVersion::TLS1_0..=ProtocolVersion::TLS1_2).contains(&version) {
            return Err(format!(
                "{} is not TLS 1.0-1.2",
                version.name().unwrap_or("this version")
            ));
        }
        let info = suite
            .info()
            .ok_or_else(|| format!("{name} is not in the registry"))?;
        if info.export {
            return Err(format!("{name} is an export suite"));
        }
        let kx = match info.kx {
            RegistryKx::Rsa => KeyExchange::Rsa,
            RegistryKx::Dhe => KeyExchange::Dhe,
            RegistryKx::Ecdhe => KeyExchange::Ecdhe,
            other => {
                return Err(format!(
                    "{other:?} key exchange ({name}) is not implemented"
                ))
            }
        };
        let mac = match info.mac {
            Mac::Sha1 => Some(MacHash::Sha1),
            Mac::Sha256 => Some(MacHash::Sha256),
            Mac::Sha384 => Some(MacHash::Sha384),
            _ => None,
        };
        let key_len = match info.enc {
            Encryption::Aes128 => 16,
            Encryption::Aes256 => 32,
            _ => 0,
        };
        let bulk = match (info.enc, info.mode, mac) {
            (Encryption::Aes128 | Encryption::Aes256, Mode::Cbc, Some(mac)) => {
                Bulk::AesCbc { key_len, mac }
            }
            (Encryption::Aes128 | Encryption::Aes256, Mode::Gcm, _) => Bulk::AesGcm { key_len },
            (Encryption::ChaCha20, Mode::Poly1305, _) => Bulk::ChaCha20Poly1305,
            (enc, mode, _) => {
                return Err(format!(
                    "{enc:?} {mode:?} records ({name}) are not implemented"
                ))
            }
        };
        let tls12_only = !matches!(
            bulk,
            Bulk::AesCbc {
                mac: MacHash::Sha1,
                ..
            }
        );
        if tls12_only && version < ProtocolVersion::TLS1_2 {
            return Err(format!("{name} needs TLS 1.2"));
        }
        let prf = if version < ProtocolVersion::TLS1_2 {
            PrfHash::Md5Sha1
        } else if info.iana_name.ends_with("SHA384") {
            PrfHash::Sha384
        } else {
            PrfHash::Sha256
        };
        Ok(Self {
            suite,
            version,
            kx,
            bulk,
            prf,
        })
    }

    /// RFC 5246 §6.3: bytes of key_block the suite consumes (MAC keys, write
    /// keys, fixed IVs; CBC at TLS 1.1+ takes no IV from it, but deriving
    /// the TLS 1.0 IVs anyway is harmless).
    pub fn key_block_len(&self) -> usize {
        match self.bulk {
            Bulk::AesCbc { key_len, mac } => 2 * mac.output_len() + 2 * key_len + 2 * 16,
            Bulk::AesGcm { key_len } => 2 * key_len + 2 * 4,
            Bulk::ChaCha20Poly1305 => 2 * 32 + 2 * 12,
        }
    }
}

/// True when the engine can complete `suite` at `version`.
pub fn supported(suite: CipherSuite, version: ProtocolVersion) -> bool {
    SuiteParams::new(suite, version).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_map_to_their_parts() {
        let p = SuiteParams::new(CipherSuite(0x009e), ProtocolVersion::TLS1_2).unwrap();
        assert_eq!(
            (p.kx, p.bulk, p.prf),
            (
                KeyExchange::Dhe,
                Bulk::AesGcm { key_len: 16 },
                PrfHash::Sha256
            )
        );
        let p = SuiteParams::new(CipherSuite(0xc030), ProtocolVersion::TLS1_2).unwrap();
        assert_eq!((p.kx, p.prf), (KeyExchange::Ecdhe, PrfHash::Sha384));
        let p = SuiteParams::new(CipherSuite(0x002f), ProtocolVersion::TLS1_0).unwrap();
        assert_eq!(
            (p.kx, p.bulk, p.prf),
            (
                KeyExchange::Rsa,
                Bulk::AesCbc {
                    key_len: 16,
                    mac: MacHash::Sha1
                },
                PrfHash::Md5Sha1
            )
        );
        assert_eq!(
            SuiteParams::new(CipherSuite(0xcca8), ProtocolVersion::TLS1_2)
                .unwrap()
                .bulk,
            Bulk::ChaCha20Poly1305
        );
        // GCM at TLS 1.0, CCM, Camellia, PSK, 3DES: named, not run.
        for (code, v) in [
            (0x009c, ProtocolVersion::TLS1_0),
            (0xc09c, ProtocolVersion::TLS1_2),
            (0x0041, ProtocolVersion::TLS1_2),
            (0x008c, ProtocolVersion::TLS1_2),
            (0x000a, ProtocolVersion::TLS1_2),
            (0x1301, ProtocolVersion::TLS1_3),
        ] {
            assert!(!supported(CipherSuite(code), v), "{code:04x}");
        }
    }
}
