//! The TLS pseudo-random functions and handshake hashes: TLS 1.0/1.1
//! (RFC 2246 §5, RFC 4346 §5: `P_MD5(S1) XOR P_SHA-1(S2)`, handshake hash
//! `MD5 || SHA-1`) and TLS 1.2 (RFC 5246 §5: `P_<hash>` with the suite's
//! PRF hash, SHA-256 or SHA-384). Pure functions of bytes.

use aws_lc_rs::{digest, hmac};
use md5::{Digest, Md5};

/// Which PRF a negotiated version and suite use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrfHash {
    /// TLS 1.0 and 1.1: the MD5 and SHA-1 halves XORed.
    Md5Sha1,
    /// TLS 1.2 default (RFC 5246 §5).
    Sha256,
    /// TLS 1.2 suites named `..._SHA384` (RFC 5289 §3.2, RFC 5288 §3).
    Sha384,
}

/// HMAC with MD5 (RFC 2104), which aws-lc-rs does not offer.
fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..16].copy_from_slice(&Md5::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(k.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Md5::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn mac(alg: Option<hmac::Algorithm>, secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        None => hmac_md5(secret, parts).to_vec(),
        Some(alg) => {
            let mut ctx = hmac::Context::with_key(&hmac::Key::new(alg, secret));
            for p in parts {
                ctx.update(p);
            }
            ctx.sign().as_ref().to_vec()
        }
    }
}

/// RFC 5246 §5 `P_hash(secret, seed)` truncated to `len`; `None` is MD5.
fn p_hash(alg: Option<hmac::Algorithm>, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 48);
    // A(1) = HMAC(secret, seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = mac(alg, secret, &[seed]);
    while out.len() < len {
        out.extend_from_slice(&mac(alg, secret, &[&a, seed]));
        a = mac(alg, secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// `PRF(secret, label, seed)`, `len` bytes.
pub fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut label_seed = label.to_vec();
    label_seed.extend_from_slice(seed);
    match hash {
        PrfHash::Sha256 => p_hash(Some(hmac::HMAC_SHA256), secret, &label_seed, len),
        PrfHash::Sha384 => p_hash(Some(hmac::HMAC_SHA384), secret, &label_seed, len),
        PrfHash::Md5Sha1 => {
            // RFC 2246 §5: S1 and S2 are the two halves of the secret, the
            // middle byte shared when its length is odd.
            let half = secret.len().div_ceil(2);
            let s1 = &secret[..half];
            let s2 = &secret[secret.len() - half..];
            let md5 = p_hash(None, s1, &label_seed, len);
            let sha = p_hash(
                Some(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
                s2,
                &label_seed,
                len,
            );
            md5.iter().zip(sha).map(|(a, b)| a ^ b).collect()
        }
    }
}

/// The hash of the handshake messages so far, as Finished (RFC 5246
/// §7.4.9, RFC 2246 §7.4.9: `MD5(handshake_messages) + SHA-1(...)`) and the
/// extended master secret's `session_hash` (RFC 7627 §3) use it.
pub fn handshake_hash(hash: PrfHash, transcript: &[u8]) -> Vec<u8> {
    match hash {
        PrfHash::Sha256 => digest::digest(&digest::SHA256, transcript)
            .as_ref()
            .to_vec(),
        PrfHash::Sha384 => digest::digest(&digest::SHA384, transcript)
            .as_ref()
            .to_vec(),
        PrfHash::Md5Sha1 => {
            let mut out = Md5::digest(transcript).to_vec();
            out.extend_from_slice(
                digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, transcript).as_ref(),
            );
            out
        }
    }
}

/// RFC 5246 §8.1 `master_secret`, or with `session_hash` the RFC 7627 §4
/// extended master secret.
pub fn master_secret(
    hash: PrfHash,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    session_hash: Option<&[u8]>,
) -> [u8; 48] {
    let bytes = match session_hash {
        Some(h) => prf(hash, pre_master, b"extended master secret", h, 48),
        None => {
            let mut seed = client_random.to_vec();
            seed.extend_from_slice(server_random);
            prf(hash, pre_master, b"master secret", &seed, 48)
        }
    };
    let mut out = [0u8; 48];
    out.copy_from_slice(&bytes);
    out
}

/// RFC 5246 §7.4.9 `verify_data` (12 bytes): `label` is `client finished`
/// or `server finished`, `transcript` every handshake message before it.
pub fn verify_data(hash: PrfHash, master: &[u8; 48], label: &[u8], transcript: &[u8]) -> Vec<u8> {
    prf(hash, master, label, &handshake_hash(hash, transcript), 12)
}

/// RFC 5246 §6.3 `key_block = PRF(master_secret, "key expansion",
/// server_random + client_random)`, `len` bytes.
pub fn key_block(
    hash: PrfHash,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    len: usize,
) -> Vec<u8> {
    let mut seed = server_random.to_vec();
    seed.extend_from_slice(client_random);
    prf(hash, master, b"key expansion", &seed, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The P_SHA256 and P_SHA384 vectors published on the IETF TLS list
    /// (2009) and used by many implementations' tests.
    #[test]
    fn tls12_prf_matches_published_vectors() {
        let secret = hex::decode("9bbe436ba940f017b17652849a71db35").unwrap();
        let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").unwrap();
        let out = prf(PrfHash::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            hex::encode(&out),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
             87347b66"
        );
        let secret = hex::decode("b80b733d6ceefcdc71566ea48e5567df").unwrap();
        let seed = hex::decode("cd665cf6a8447dd6ff8b27555edb7465").unwrap();
        let out = prf(PrfHash::Sha384, &secret, b"test label", &seed, 148);
        assert_eq!(hex::encode(&out[..16]), "7b0c18e9ced410ed1804f2cfa34a336a");
    }

    /// RFC 2202 §2 test case 2 for HMAC-MD5.
    #[test]
    fn hmac_md5_matches_rfc2202() {
        let out = hmac_md5(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(hex::encode(out), "750c783e6ab0b503eaa86e310a5db738");
    }

    #[test]
    fn tls10_prf_xors_md5_and_sha1_halves() {
        // With a one-byte secret both halves are the same byte.
        let out = prf(PrfHash::Md5Sha1, &[7], b"l", b"s", 40);
        let md5 = p_hash(None, &[7], b"ls", 40);
        let sha = p_hash(Some(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY), &[7], b"ls", 40);
        let x: Vec<u8> = md5.iter().zip(&sha).map(|(a, b)| a ^ b).collect();
        assert_eq!(out, x);
        assert_eq!(handshake_hash(PrfHash::Md5Sha1, b"").len(), 36);
    }
}
