//! The cryptographic core of a minimal TLS 1.0–1.2 client (RFC 2246, 4346,
//! 5246): the PRFs and key schedule ([`prf`]), the suites' parameters
//! ([`suite`]), key exchange ([`kx`] for RSA and DHE, [`EcdheKey`] here) and
//! record protection ([`protection`]).
//!
//! Sans-IO: everything takes and returns bytes; the probe crate owns the
//! socket. This is enough for a probe to finish a handshake a real client
//! would finish and to talk over the resulting channel (client-initiated
//! renegotiation, which runs [`SUITES`] over [`GROUPS`]). It is not a TLS
//! implementation to trust: it authenticates nobody and must never carry
//! user data.

use aws_lc_rs::{agreement, rand};

pub mod kx;
pub mod prf;
pub mod protection;
pub mod suite;

use crate::registry::{CipherSuite, NamedGroup};

/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (RFC 5289).
pub const ECDHE_ECDSA_AES128_GCM_SHA256: CipherSuite = CipherSuite(0xc02b);
/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (RFC 5289).
pub const ECDHE_RSA_AES128_GCM_SHA256: CipherSuite = CipherSuite(0xc02f);
/// The suites this module can run.
pub const SUITES: [CipherSuite; 2] = [ECDHE_RSA_AES128_GCM_SHA256, ECDHE_ECDSA_AES128_GCM_SHA256];
/// The groups this module can run (x25519, secp256r1).
pub const GROUPS: [NamedGroup; 2] = [crate::keyshare::X25519, crate::keyshare::SECP256R1];

/// Why a cryptographic step failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Tls12Error {
    #[error("key exchange group {} is not supported here", .0.name())]
    UnsupportedGroup(NamedGroup),
    #[error("the server's ECDHE public key was rejected")]
    BadPeerKey,
    #[error("the cryptographic library failed ({0})")]
    Crypto(&'static str),
    #[error("a record or key of {0} bytes is not valid for the suite")]
    BadLength(usize),
    #[error("the record did not decrypt (bad_record_mac)")]
    BadRecordMac,
    #[error("the record sequence number would wrap")]
    SequenceExhausted,
    #[error("{0} of {1} bits is larger than the engine accepts")]
    TooLarge(&'static str, u64),
}

/// An ephemeral ECDHE key of the client.
pub struct EcdheKey {
    group: NamedGroup,
    private: agreement::EphemeralPrivateKey,
    public: Vec<u8>,
}

impl std::fmt::Debug for EcdheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EcdheKey({})", self.group.name())
    }
}

fn algorithm(group: NamedGroup) -> Result<&'static agreement::Algorithm, Tls12Error> {
    match group {
        crate::keyshare::X25519 => Ok(&agreement::X25519),
        crate::keyshare::SECP256R1 => Ok(&agreement::ECDH_P256),
        crate::keyshare::SECP384R1 => Ok(&agreement::ECDH_P384),
        crate::keyshare::SECP521R1 => Ok(&agreement::ECDH_P521),
        other => Err(Tls12Error::UnsupportedGroup(other)),
    }
}

impl EcdheKey {
    /// A fresh key on `group` (x25519, secp256r1, secp384r1 or secp521r1).
    pub fn generate(group: NamedGroup) -> Result<Self, Tls12Error> {
        let alg = algorithm(group)?;
        let private = agreement::EphemeralPrivateKey::generate(alg, &rand::SystemRandom::new())
            .map_err(|_| Tls12Error::Crypto("key generation"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| Tls12Error::Crypto("public key"))?
            .as_ref()
            .to_vec();
        Ok(Self {
            group,
            private,
            public,
        })
    }

    /// RFC 8422 §5.7 `ECPoint ecdh_Yc`: the public key as sent.
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// The ECDH shared secret with the server's point: the premaster secret
    /// (RFC 8422 §5.10).
    pub fn agree(self, server_point: &[u8]) -> Result<Vec<u8>, Tls12Error> {
        let alg = algorithm(self.group)?;
        agreement::agree_ephemeral(
            self.private,
            agreement::UnparsedPublicKey::new(alg, server_point),
            Tls12Error::BadPeerKey,
            |secret| Ok(secret.to_vec()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdhe_keys_agree() {
        for group in GROUPS {
            let a = EcdheKey::generate(group).unwrap();
            let b = EcdheKey::generate(group).unwrap();
            let (pa, pb) = (a.public().to_vec(), b.public().to_vec());
            assert_eq!(a.agree(&pb).unwrap(), b.agree(&pa).unwrap());
        }
        assert!(EcdheKey::generate(crate::keyshare::SECP256R1)
            .unwrap()
            .agree(&[4, 1, 2])
            .is_err());
    }
}
