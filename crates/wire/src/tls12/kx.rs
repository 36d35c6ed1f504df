//! Client key exchange for TLS 1.0–1.2: the premaster secret and the
//! `ClientKeyExchange` body (RFC 5246 §7.4.7) for DHE with the server's
//! group (modular exponentiation, bounded prime size) and RSA key transport
//! (PKCS#1 v1.5 encryption to the leaf's key, bounded modulus). ECDHE is
//! [`super::EcdheKey`]. Never verifies the certificate or the
//! ServerKeyExchange signature: that is the certificate step's job.

use num_bigint::BigUint;

use crate::handshake::DhParams;
use crate::registry::ProtocolVersion;

use super::Tls12Error;

/// Largest DH prime or RSA modulus the engine works with (bits): bigger is
/// a hostile server making the client spin. Real keys stop at 8192 bits
/// (OpenSSL and aws-lc refuse larger ones for the same reason: the cost of
/// an exponentiation grows with the cube of the size).
pub const MAX_MODULUS_BITS: u64 = 8192;
/// Largest RSA public exponent used (bits). Real keys use 65537 (17 bits);
/// an 8 KiB exponent turns one encryption into minutes of CPU.
pub const MAX_EXPONENT_BITS: u64 = 64;
/// Smallest RSA modulus that can carry a 48-byte premaster secret in a
/// PKCS#1 v1.5 block (RFC 8017 §7.2.1: k ≥ 48 + 11 bytes), rounded to 512 bits.
const MIN_MODULUS_BITS: u64 = 512;

/// An RSA public key from a certificate, its size checked before any
/// arithmetic: the one place the RSA key exchange and the ROBOT probe get
/// the numbers they encrypt to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// Modulus and exponent, big-endian, without leading zeros.
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RsaPublicKey {
    /// The leaf's RSA key: `Ok(None)` when it is not an RSA key (or does not
    /// parse, or is too small for a premaster secret); [`Tls12Error::TooLarge`]
    /// when the modulus or exponent is over the bounds.
    pub fn from_certificate(cert_der: &[u8]) -> Result<Option<Self>, Tls12Error> {
        let Some((n, e)) = rsa_public_key(cert_der) else {
            return Ok(None);
        };
        let (n_bits, e_bits) = (bit_length(n), bit_length(e));
        if n_bits > MAX_MODULUS_BITS {
            return Err(Tls12Error::TooLarge("RSA modulus", n_bits));
        }
        if e_bits > MAX_EXPONENT_BITS {
            return Err(Tls12Error::TooLarge("RSA public exponent", e_bits));
        }
        if n_bits < MIN_MODULUS_BITS || e.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self {
            n: n.to_vec(),
            e: e.to_vec(),
        }))
    }

    /// The modulus length in bytes (`k` of RFC 8017).
    pub fn len(&self) -> usize {
        self.n.len()
    }

    /// Never true for a key [`Self::from_certificate`] returns.
    pub fn is_empty(&self) -> bool {
        self.n.is_empty()
    }

    /// Textbook RSA, `block^e mod n`, left-padded to the modulus length: the
    /// padding is the caller's (a correct PKCS#1 v1.5 block for the key
    /// exchange, deliberately broken ones for ROBOT). Bounded by the key's
    /// checked size; run it off an async runtime.
    pub fn encrypt_raw(&self, block: &[u8]) -> Vec<u8> {
        let n = BigUint::from_bytes_be(&self.n);
        let c = BigUint::from_bytes_be(block)
            .modpow(&BigUint::from_bytes_be(&self.e), &n)
            .to_bytes_be();
        let mut out = vec![0u8; self.n.len().saturating_sub(c.len())];
        out.extend(c);
        out
    }
}

/// Bits in a big-endian number without leading zero bytes.
pub fn bit_length(bytes: &[u8]) -> u64 {
    match bytes.first() {
        Some(first) => bytes.len() as u64 * 8 - u64::from(first.leading_zeros()),
        None => 0,
    }
}

fn random(len: usize) -> Result<Vec<u8>, Tls12Error> {
    let mut out = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut out).map_err(|_| Tls12Error::Crypto("random"))?;
    Ok(out)
}

/// What the client sends and keeps after a key exchange.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientKx {
    /// The ClientKeyExchange body.
    pub message: Vec<u8>,
    pub pre_master: Vec<u8>,
}

impl std::fmt::Debug for ClientKx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ClientKx {{ message: {} bytes, .. }}",
            self.message.len()
        )
    }
}

/// RFC 5246 §7.4.7.2 / §8.1.2: DHE with the server's `ServerDHParams`.
/// `dh_Yc` is sent as `opaque dh_Yc<1..2^16-1>`; the premaster secret is the
/// shared value with leading zero bytes stripped.
pub fn dhe(params: &DhParams) -> Result<ClientKx, Tls12Error> {
    let p = BigUint::from_bytes_be(&params.p);
    let g = BigUint::from_bytes_be(&params.g);
    let ys = BigUint::from_bytes_be(&params.ys);
    let bits = p.bits();
    if bits > MAX_MODULUS_BITS {
        return Err(Tls12Error::TooLarge("DH prime", bits));
    }
    let two = BigUint::from(2u8);
    // p must be odd and large enough to mean anything; g and Ys in [2, p-2]
    // (RFC 7919 §5.1 checks), or the shared secret is predictable.
    if bits < 64 || !p.bit(0) {
        return Err(Tls12Error::BadPeerKey);
    }
    let p_minus_2 = &p - &two;
    if g < two || g > p_minus_2 || ys < two || ys > p_minus_2 {
        return Err(Tls12Error::BadPeerKey);
    }
    // A 512-bit private exponent: well above the security of any prime the
    // engine accepts, and cheap.
    let x = BigUint::from_bytes_be(&random(64)?);
    let yc = g.modpow(&x, &p).to_bytes_be();
    let z = ys.modpow(&x, &p).to_bytes_be();
    let mut message = Vec::with_capacity(2 + yc.len());
    message.extend_from_slice(&(yc.len() as u16).to_be_bytes());
    message.extend_from_slice(&yc);
    Ok(ClientKx {
        message,
        pre_master: z,
    })
}

/// RFC 5246 §7.4.7.1: a 48-byte premaster secret (`client_version` = the
/// version offered in the ClientHello, then 46 random bytes), PKCS#1 v1.5
/// (RFC 8017 §7.2.1) encrypted to the leaf certificate's RSA key. TLS 1.0
/// and later send it as `opaque<0..2^16-1>`.
pub fn rsa(leaf_der: &[u8], client_version: ProtocolVersion) -> Result<ClientKx, Tls12Error> {
    let key = RsaPublicKey::from_certificate(leaf_der)?.ok_or(Tls12Error::BadPeerKey)?;
    let k = key.len();
    let mut pre_master = client_version.0.to_be_bytes().to_vec();
    pre_master.extend(random(46)?);
    // EM = 0x00 || 0x02 || PS (non-zero random, at least 8) || 0x00 || M
    let ps_len = k - 3 - pre_master.len();
    let mut ps = Vec::with_capacity(ps_len);
    while ps.len() < ps_len {
        ps.extend(random(ps_len)?.into_iter().filter(|b| *b != 0));
    }
    ps.truncate(ps_len);
    let mut em = vec![0, 2];
    em.extend(ps);
    em.push(0);
    em.extend_from_slice(&pre_master);
    let mut message = Vec::with_capacity(2 + k);
    message.extend_from_slice(&(k as u16).to_be_bytes());
    message.extend(key.encrypt_raw(&em));
    Ok(ClientKx {
        message,
        pre_master,
    })
}

/// One DER TLV: (tag, contents, rest). Definite lengths only, bounded by
/// the input.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn strip_zeros(int: &[u8]) -> &[u8] {
    let start = int.iter().position(|b| *b != 0).unwrap_or(int.len());
    &int[start..]
}

/// The RSA modulus and exponent of an X.509 certificate (RFC 5280 §4.1:
/// `tbsCertificate.subjectPublicKeyInfo`, RFC 8017 §A.1.1 `RSAPublicKey`),
/// or `None` when it is not an RSA key or does not parse.
pub fn rsa_public_key(cert_der: &[u8]) -> Option<(&[u8], &[u8])> {
    const SEQUENCE: u8 = 0x30;
    let (SEQUENCE, cert, _) = tlv(cert_der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version (optional), serialNumber, signature, issuer, validity, subject.
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2;
    }
    for _ in 0..5 {
        rest = tlv(rest)?.2;
    }
    let (SEQUENCE, spki, _) = tlv(rest)? else {
        return None;
    };
    let (SEQUENCE, alg, rest) = tlv(spki)? else {
        return None;
    };
    // rsaEncryption 1.2.840.113549.1.1.1
    let (0x06, oid, _) = tlv(alg)? else {
        return None;
    };
    if oid != [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] {
        return None;
    }
    let (0x03, bits, _) = tlv(rest)? else {
        return None;
    };
    let (0, key) = bits.split_first()? else {
        return None;
    };
    let (SEQUENCE, key, _) = tlv(key)? else {
        return None;
    };
    let (0x02, n, rest) = tlv(key)? else {
        return None;
    };
    let (0x02, e, _) = tlv(rest)? else {
        return None;
    };
    Some((strip_zeros(n), strip_zeros(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dhe_agrees_with_the_servers_side() {
        // RFC 3526 §2 1536-bit MODP group, generator 2.
        let p = hex::decode(concat!(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
            "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
            "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
            "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
            "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
            "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
        ))
        .unwrap();
        let g = BigUint::from(2u8);
        let pn = BigUint::from_bytes_be(&p);
        let y = BigUint::from(0x1234_5678_9abc_u64);
        let ys = g.modpow(&y, &pn).to_bytes_be();
        let kx = dhe(&DhParams {
            p: p.clone(),
            g: vec![2],
            ys,
        })
        .unwrap();
        let yc = BigUint::from_bytes_be(&kx.message[2..]);
        assert_eq!(
            usize::from(u16::from_be_bytes([kx.message[0], kx.message[1]])),
            kx.message.len() - 2
        );
        assert_eq!(yc.modpow(&y, &pn).to_bytes_be(), kx.pre_master);
        // Degenerate public values are refused.
        for ys in [vec![1], p.clone(), vec![0]] {
            let params = DhParams {
                p: p.clone(),
                g: vec![2],
                ys,
            };
            assert_eq!(dhe(&params), Err(Tls12Error::BadPeerKey));
        }
        let huge = DhParams {
            p: vec![0xff; 1025],
            g: vec![2],
            ys: vec![2],
        };
        assert!(matches!(dhe(&huge), Err(Tls12Error::TooLarge(..))));
    }

    #[test]
    fn bit_lengths_and_textbook_rsa() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[1, 0, 1]), 17);
        assert_eq!(bit_length(&[0x80; 1024]), 8192);
        // 4^13 mod 497 = 445 (the classic modular exponentiation example).
        let key = RsaPublicKey {
            n: vec![0x01, 0xf1],
            e: vec![13],
        };
        assert_eq!(key.encrypt_raw(&[4]), vec![0x01, 0xbd]);
    }

    #[test]
    fn hostile_der_never_panics() {
        for bytes in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x02, 0x30, 0x00],
        ] {
            assert!(rsa_public_key(bytes).is_none());
        }
    }
}
