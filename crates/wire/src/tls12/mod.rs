//! The cryptographic core of a minimal TLS 1.2 client (RFC 5246) for one
//! cipher suite family: ECDHE key exchange with AES-128-GCM and SHA-256
//! (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).
//!
//! Sans-IO: the PRF, the key schedule, Finished verify_data and AEAD record
//! protection take and return bytes; the probe crate owns the socket. This is
//! enough for a probe to finish a handshake and talk over the resulting
//! channel (client-initiated renegotiation). It is not a TLS implementation
//! to trust: it authenticates nobody and must never carry user data.

use aws_lc_rs::{aead, agreement, digest, hmac, rand};

pub mod kx;
pub mod prf;
pub mod protection;
pub mod suite;

use crate::record::ContentType;
use crate::registry::{CipherSuite, NamedGroup, ProtocolVersion};

/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (RFC 5289).
pub const ECDHE_ECDSA_AES128_GCM_SHA256: CipherSuite = CipherSuite(0xc02b);
/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (RFC 5289).
pub const ECDHE_RSA_AES128_GCM_SHA256: CipherSuite = CipherSuite(0xc02f);
/// The suites this module can run.
pub const SUITES: [CipherSuite; 2] = [ECDHE_RSA_AES128_GCM_SHA256, ECDHE_ECDSA_AES128_GCM_SHA256];
/// The groups this module can run (x25519, secp256r1).
pub const GROUPS: [NamedGroup; 2] = [crate::keyshare::X25519, crate::keyshare::SECP256R1];

/// RFC 5246 §7.4.9: `verify_data_length` of every cipher suite we run.
pub const VERIFY_DATA_LEN: usize = 12;
/// RFC 5288 §3: the explicit part of the GCM nonce sent in each record.
const EXPLICIT_NONCE_LEN: usize = 8;
const TAG_LEN: usize = 16;
/// RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes.
const MAX_CIPHERTEXT: usize = (1 << 14) + 2048;

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
    #[error("record of {0} bytes cannot be a valid AES-GCM record")]
    BadLength(usize),
    #[error("the record did not decrypt (bad_record_mac)")]
    BadRecordMac,
    #[error("the record sequence number would wrap")]
    SequenceExhausted,
    #[error("{0} of {1} bits is larger than the engine accepts")]
    TooLarge(&'static str, u64),
}

/// RFC 5246 §5 `PRF(secret, label, seed)` with `P_SHA256`, `len` bytes.
pub fn prf(secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut label_seed = label.to_vec();
    label_seed.extend_from_slice(seed);
    let mut out = Vec::with_capacity(len + 32);
    // A(1) = HMAC(secret, seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = hmac::sign(&key, &label_seed).as_ref().to_vec();
    while out.len() < len {
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(&a);
        ctx.update(&label_seed);
        out.extend_from_slice(ctx.sign().as_ref());
        a = hmac::sign(&key, &a).as_ref().to_vec();
    }
    out.truncate(len);
    out
}

/// RFC 5246 §8.1: `master_secret = PRF(pre_master_secret, "master secret",
/// ClientHello.random + ServerHello.random)[0..47]` (no extended master secret).
pub fn master_secret(
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> [u8; 48] {
    let mut seed = client_random.to_vec();
    seed.extend_from_slice(server_random);
    let mut out = [0u8; 48];
    out.copy_from_slice(&prf(pre_master, b"master secret", &seed, 48));
    out
}

/// RFC 5246 §7.4.9: `verify_data = PRF(master_secret, finished_label,
/// Hash(handshake_messages))[0..11]`; `label` is `client finished` or
/// `server finished`, `transcript` every handshake message so far.
pub fn verify_data(master: &[u8; 48], label: &[u8], transcript: &[u8]) -> Vec<u8> {
    let hash = digest::digest(&digest::SHA256, transcript);
    prf(master, label, hash.as_ref(), VERIFY_DATA_LEN)
}

/// RFC 5246 §6.3 key_block for AES-128-GCM: no MAC keys, 16-byte write keys,
/// 4-byte implicit IVs (RFC 5288 §3 salt).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBlock {
    pub client_key: [u8; 16],
    pub server_key: [u8; 16],
    pub client_salt: [u8; 4],
    pub server_salt: [u8; 4],
}

impl std::fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBlock { .. }")
    }
}

impl KeyBlock {
    /// `key_block = PRF(master_secret, "key expansion", server_random + client_random)`.
    pub fn derive(master: &[u8; 48], client_random: &[u8; 32], server_random: &[u8; 32]) -> Self {
        let mut seed = server_random.to_vec();
        seed.extend_from_slice(client_random);
        let kb = prf(master, b"key expansion", &seed, 2 * 16 + 2 * 4);
        let mut out = KeyBlock {
            client_key: [0; 16],
            server_key: [0; 16],
            client_salt: [0; 4],
            server_salt: [0; 4],
        };
        out.client_key.copy_from_slice(&kb[0..16]);
        out.server_key.copy_from_slice(&kb[16..32]);
        out.client_salt.copy_from_slice(&kb[32..36]);
        out.server_salt.copy_from_slice(&kb[36..40]);
        out
    }
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

/// One direction of AES-128-GCM record protection (RFC 5288 §3, RFC 5246
/// §6.2.3.3) with its sequence number.
pub struct GcmState {
    key: aead::LessSafeKey,
    salt: [u8; 4],
    seq: u64,
}

impl std::fmt::Debug for GcmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GcmState {{ seq: {} }}", self.seq)
    }
}

impl GcmState {
    pub fn new(key: &[u8; 16], salt: &[u8; 4]) -> Result<Self, Tls12Error> {
        let unbound = aead::UnboundKey::new(&aead::AES_128_GCM, key)
            .map_err(|_| Tls12Error::Crypto("AES-128-GCM key"))?;
        Ok(Self {
            key: aead::LessSafeKey::new(unbound),
            salt: *salt,
            seq: 0,
        })
    }

    /// `seq_num + TLSCompressed.type + TLSCompressed.version + TLSCompressed.length`.
    fn aad(&self, typ: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&self.seq.to_be_bytes());
        aad[8] = typ.to_u8();
        aad[9..11].copy_from_slice(&version.0.to_be_bytes());
        aad[11..].copy_from_slice(&(len as u16).to_be_bytes());
        aad
    }

    fn nonce(&self, explicit: &[u8]) -> aead::Nonce {
        let mut n = [0u8; 12];
        n[..4].copy_from_slice(&self.salt);
        n[4..].copy_from_slice(explicit);
        aead::Nonce::assume_unique_for_key(n)
    }

    fn advance(&mut self) -> Result<(), Tls12Error> {
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or(Tls12Error::SequenceExhausted)?;
        Ok(())
    }

    /// A whole TLSCiphertext record (header included) carrying `plaintext`
    /// (at most 2^14 bytes); the explicit nonce is the sequence number.
    pub fn seal(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Tls12Error> {
        if plaintext.len() > 1 << 14 {
            return Err(Tls12Error::BadLength(plaintext.len()));
        }
        let explicit = self.seq.to_be_bytes();
        let aad = self.aad(typ, version, plaintext.len());
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(self.nonce(&explicit), aead::Aad::from(aad), &mut body)
            .map_err(|_| Tls12Error::Crypto("seal"))?;
        let len = EXPLICIT_NONCE_LEN + body.len();
        let mut out = Vec::with_capacity(5 + len);
        out.push(typ.to_u8());
        out.extend_from_slice(&version.0.to_be_bytes());
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&explicit);
        out.extend_from_slice(&body);
        self.advance()?;
        Ok(out)
    }

    /// The plaintext of a TLSCiphertext `fragment` (explicit nonce, ciphertext,
    /// tag) received with this header.
    pub fn open(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<Vec<u8>, Tls12Error> {
        if fragment.len() < EXPLICIT_NONCE_LEN + TAG_LEN || fragment.len() > MAX_CIPHERTEXT {
            return Err(Tls12Error::BadLength(fragment.len()));
        }
        let (explicit, sealed) = fragment.split_at(EXPLICIT_NONCE_LEN);
        let aad = self.aad(typ, version, sealed.len() - TAG_LEN);
        let mut body = sealed.to_vec();
        let len = self
            .key
            .open_in_place(self.nonce(explicit), aead::Aad::from(aad), &mut body)
            .map_err(|_| Tls12Error::BadRecordMac)?
            .len();
        body.truncate(len);
        self.advance()?;
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The widely used P_SHA256 test vector (IETF TLS list, 2009).
    #[test]
    fn prf_matches_the_published_sha256_vector() {
        let secret = hex::decode("9bbe436ba940f017b17652849a71db35").unwrap();
        let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").unwrap();
        let out = prf(&secret, b"test label", &seed, 100);
        assert_eq!(hex::encode(&out[..16]), "e3f229ba727be17b8d122620557cd453");
        assert_eq!(out.len(), 100);
    }

    #[test]
    fn gcm_records_round_trip_with_sequence_numbers() {
        let kb = KeyBlock::derive(&[7; 48], &[1; 32], &[2; 32]);
        let mut tx = GcmState::new(&kb.client_key, &kb.client_salt).unwrap();
        let mut rx = GcmState::new(&kb.client_key, &kb.client_salt).unwrap();
        for msg in [&b"hello"[..], b"", b"again"] {
            let rec = tx
                .seal(ContentType::Handshake, ProtocolVersion::TLS1_2, msg)
                .unwrap();
            assert_eq!(&rec[5..13], &(tx.seq - 1).to_be_bytes());
            let plain = rx
                .open(ContentType::Handshake, ProtocolVersion::TLS1_2, &rec[5..])
                .unwrap();
            assert_eq!(plain, msg);
        }
        let rec = tx
            .seal(ContentType::Alert, ProtocolVersion::TLS1_2, b"xx")
            .unwrap();
        // Wrong content type in the AAD: the tag fails.
        assert_eq!(
            rx.open(ContentType::Handshake, ProtocolVersion::TLS1_2, &rec[5..]),
            Err(Tls12Error::BadRecordMac)
        );
        assert_eq!(
            rx.open(ContentType::Alert, ProtocolVersion::TLS1_2, &[0; 3]),
            Err(Tls12Error::BadLength(3))
        );
    }

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
