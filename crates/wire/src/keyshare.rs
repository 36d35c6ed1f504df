//! Real key shares for ClientHello `key_share` entries (RFC 8446 §4.2.8.2,
//! draft-ietf-tls-ecdhe-mlkem, draft-connolly-tls-mlkem-key-agreement).
//!
//! A server checks the shape of a key share (a P-256 point must lie on the
//! curve), so probes send genuine public keys generated with aws-lc-rs. The
//! private halves are dropped: raw-hello probes never finish the handshake.
//! Finite-field (ffdhe) groups have no aws-lc-rs API; [`placeholder`] gives a
//! value of the right length below the prime instead.

use aws_lc_rs::{agreement, kem, rand};

use crate::handshake::KeyShareEntry;
use crate::registry::NamedGroup;

/// Why a key share could not be generated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyShareError {
    /// No real key can be generated for this group.
    #[error("cannot generate a key share for group {}", .0.name())]
    UnsupportedGroup(NamedGroup),
    /// The cryptographic library failed.
    #[error("key generation failed for group {}", .0.name())]
    Crypto(NamedGroup),
}

/// secp256r1 (RFC 8446 §4.2.7).
pub const SECP256R1: NamedGroup = NamedGroup(0x0017);
/// secp384r1.
pub const SECP384R1: NamedGroup = NamedGroup(0x0018);
/// secp521r1.
pub const SECP521R1: NamedGroup = NamedGroup(0x0019);
/// x25519 (RFC 8446 §4.2.7).
pub const X25519: NamedGroup = NamedGroup(0x001d);
/// MLKEM512 (draft-connolly-tls-mlkem-key-agreement).
pub const MLKEM512: NamedGroup = NamedGroup(0x0200);
/// MLKEM768.
pub const MLKEM768: NamedGroup = NamedGroup(0x0201);
/// MLKEM1024.
pub const MLKEM1024: NamedGroup = NamedGroup(0x0202);
/// SecP256r1MLKEM768 (draft-ietf-tls-ecdhe-mlkem): P-256 point || ML-KEM-768 key.
pub const SECP256R1_MLKEM768: NamedGroup = NamedGroup(0x11eb);
/// X25519MLKEM768: ML-KEM-768 key || X25519 share.
pub const X25519_MLKEM768: NamedGroup = NamedGroup(0x11ec);
/// SecP384r1MLKEM1024: P-384 point || ML-KEM-1024 key.
pub const SECP384R1_MLKEM1024: NamedGroup = NamedGroup(0x11ed);

/// Groups [`generate`] supports.
pub const SUPPORTED: &[NamedGroup] = &[
    SECP256R1,
    SECP384R1,
    SECP521R1,
    X25519,
    MLKEM512,
    MLKEM768,
    MLKEM1024,
    SECP256R1_MLKEM768,
    X25519_MLKEM768,
    SECP384R1_MLKEM1024,
];

/// True when [`generate`] can make a real key for `group`.
pub fn is_supported(group: NamedGroup) -> bool {
    SUPPORTED.contains(&group)
}

/// The length of a client key share for `group`, when known.
pub fn share_len(group: NamedGroup) -> Option<usize> {
    Some(match group.0 {
        0x0017 => 65,
        0x0018 => 97,
        0x0019 => 133,
        0x001d => 32,
        0x001e => 56,
        0x0100 => 256,
        0x0101 => 384,
        0x0102 => 512,
        0x0103 => 768,
        0x0104 => 1024,
        0x0200 => 800,
        0x0201 => 1184,
        0x0202 => 1568,
        0x11eb => 65 + 1184,
        0x11ec => 1184 + 32,
        0x11ed => 97 + 1568,
        _ => return None,
    })
}

fn ecdh(group: NamedGroup, alg: &'static agreement::Algorithm) -> Result<Vec<u8>, KeyShareError> {
    let private = agreement::EphemeralPrivateKey::generate(alg, &rand::SystemRandom::new())
        .map_err(|_| KeyShareError::Crypto(group))?;
    let public = private
        .compute_public_key()
        .map_err(|_| KeyShareError::Crypto(group))?;
    Ok(public.as_ref().to_vec())
}

fn mlkem(group: NamedGroup, alg: &'static kem::Algorithm) -> Result<Vec<u8>, KeyShareError> {
    let dk = kem::DecapsulationKey::generate(alg).map_err(|_| KeyShareError::Crypto(group))?;
    let ek = dk
        .encapsulation_key()
        .map_err(|_| KeyShareError::Crypto(group))?;
    let bytes = ek.key_bytes().map_err(|_| KeyShareError::Crypto(group))?;
    Ok(bytes.as_ref().to_vec())
}

/// Generates a fresh public key share for `group`.
pub fn generate(group: NamedGroup) -> Result<KeyShareEntry, KeyShareError> {
    let key_exchange = match group {
        SECP256R1 => ecdh(group, &agreement::ECDH_P256)?,
        SECP384R1 => ecdh(group, &agreement::ECDH_P384)?,
        SECP521R1 => ecdh(group, &agreement::ECDH_P521)?,
        X25519 => ecdh(group, &agreement::X25519)?,
        MLKEM512 => mlkem(group, &kem::ML_KEM_512)?,
        MLKEM768 => mlkem(group, &kem::ML_KEM_768)?,
        MLKEM1024 => mlkem(group, &kem::ML_KEM_1024)?,
        SECP256R1_MLKEM768 => {
            let mut v = ecdh(group, &agreement::ECDH_P256)?;
            v.extend(mlkem(group, &kem::ML_KEM_768)?);
            v
        }
        X25519_MLKEM768 => {
            let mut v = mlkem(group, &kem::ML_KEM_768)?;
            v.extend(ecdh(group, &agreement::X25519)?);
            v
        }
        SECP384R1_MLKEM1024 => {
            let mut v = ecdh(group, &agreement::ECDH_P384)?;
            v.extend(mlkem(group, &kem::ML_KEM_1024)?);
            v
        }
        _ => return Err(KeyShareError::UnsupportedGroup(group)),
    };
    Ok(KeyShareEntry {
        group,
        key_exchange,
    })
}

/// A real key share when possible, else [`placeholder`].
pub fn generate_or_placeholder(group: NamedGroup) -> KeyShareEntry {
    generate(group).unwrap_or_else(|_| placeholder(group))
}

/// Random bytes of the group's share length (32 bytes when unknown). For the
/// ffdhe groups the top bit is cleared so the value lies below the prime
/// (RFC 7919 primes start with 64 one bits), which servers accept as `Ys`.
pub fn placeholder(group: NamedGroup) -> KeyShareEntry {
    let len = share_len(group).unwrap_or(32);
    let mut key_exchange = vec![0u8; len];
    if rand::fill(&mut key_exchange).is_err() {
        key_exchange
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = i as u8 | 1);
    }
    if (0x0100..=0x01ff).contains(&group.0) {
        if let Some(first) = key_exchange.first_mut() {
            *first &= 0x7f;
            *first |= 0x40;
        }
    }
    KeyShareEntry {
        group,
        key_exchange,
    }
}

/// Fills `out` with random bytes (zeros only if the system RNG fails).
pub(crate) fn random_bytes(out: &mut [u8]) {
    if rand::fill(out).is_err() {
        out.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match() {
        for &g in SUPPORTED {
            let e = generate(g).unwrap();
            assert_eq!(Some(e.key_exchange.len()), share_len(g), "{g:?}");
        }
        let e = generate(SECP256R1).unwrap();
        assert_eq!(e.key_exchange[0], 4);
        let e = generate(SECP256R1_MLKEM768).unwrap();
        assert_eq!(e.key_exchange[0], 4);
        assert_eq!(placeholder(NamedGroup(0x0100)).key_exchange.len(), 256);
    }
}
