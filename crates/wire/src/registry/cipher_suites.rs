//! Cipher suites (IANA "TLS Cipher Suites"). PLACEHOLDER table.

use serde::{Deserialize, Serialize};

use super::ProtocolVersion;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CipherSuite(pub u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyExchange { Rsa, Dhe, Ecdhe, Dh, Ecdh, Psk, DhePsk, EcdhePsk, RsaPsk, Srp, Krb5, Null, Any, Other }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth { Rsa, Dss, Ecdsa, Anon, Psk, Krb5, Null, Any, Other }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encryption { Null, Rc4, Rc2, Des, TripleDes, Idea, Aes128, Aes256, Camellia128, Camellia256, Aria128, Aria256, Seed, ChaCha20, Sm4, Gost, Other }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode { Stream, Cbc, Gcm, Ccm, Ccm8, Poly1305, Ctr, None }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mac { Md5, Sha1, Sha256, Sha384, Aead, Gost, Null, Sm3 }

/// Everything the registry knows about one suite.
#[derive(Clone, Copy, Debug)]
pub struct CipherSuiteInfo {
    pub code: u16,
    pub iana_name: &'static str,
    pub openssl_name: Option<&'static str>,
    pub kx: KeyExchange,
    pub auth: Auth,
    pub enc: Encryption,
    pub mode: Mode,
    pub bits: u16,
    pub mac: Mac,
    pub export: bool,
    pub min_version: ProtocolVersion,
    pub max_version: ProtocolVersion,
}

impl CipherSuite {
    pub const TLS_EMPTY_RENEGOTIATION_INFO_SCSV: Self = Self(0x00ff);
    pub const TLS_FALLBACK_SCSV: Self = Self(0x5600);

    pub fn info(self) -> Option<&'static CipherSuiteInfo> {
        None
    }

    pub fn name(self) -> String {
        format!("0x{:04x}", self.0)
    }
}
