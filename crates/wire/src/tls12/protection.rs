//! Record protection for one direction of a TLS 1.0–1.2 connection after
//! ChangeCipherSpec (RFC 5246 §6.2.3): AES-CBC with HMAC, MAC-then-encrypt
//! (explicit per-record IV from TLS 1.1, RFC 4346 §6.2.3.2; the previous
//! record's last block in TLS 1.0, RFC 2246 §6.2.3.2), AES-GCM (RFC 5288 §3)
//! and ChaCha20-Poly1305 (RFC 7905 §2). Sans-IO: records in, records out.

use aws_lc_rs::cipher::{
    DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128,
    AES_256,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::{aead, hmac};

use crate::record::ContentType;
use crate::registry::ProtocolVersion;

use super::suite::{Bulk, MacHash, SuiteParams};
use super::Tls12Error;

/// RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes.
const MAX_CIPHERTEXT: usize = (1 << 14) + 2048;
const MAX_PLAINTEXT: usize = 1 << 14;
const BLOCK: usize = 16;
const TAG_LEN: usize = 16;

/// Which way a [`Protection`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Seal,
    Open,
}

// Two of these exist per connection: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Cipher {
    Cbc {
        seal: Option<Box<EncryptingKey>>,
        open: Option<Box<DecryptingKey>>,
        mac: hmac::Key,
        mac_len: usize,
        /// TLS 1.0: the IV of the next record (chained); later versions
        /// send a fresh IV in each record.
        chained_iv: Option<[u8; BLOCK]>,
    },
    Aead {
        key: aead::LessSafeKey,
        /// GCM: 4-byte salt + 8-byte explicit nonce in the record;
        /// ChaCha20: 12-byte IV XOR the sequence number, nothing explicit.
        iv: Vec<u8>,
        explicit: bool,
    },
}

/// One direction's record protection and sequence number.
pub struct Protection {
    cipher: Cipher,
    seq: u64,
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Protection {{ seq: {} }}", self.seq)
    }
}

/// The client's and the server's protection from one key_block.
pub struct KeyPair {
    pub client: Protection,
    pub server: Protection,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair { .. }")
    }
}

fn crypto(what: &'static str) -> impl Fn(aws_lc_rs::error::Unspecified) -> Tls12Error {
    move |_| Tls12Error::Crypto(what)
}

impl KeyPair {
    /// RFC 5246 §6.3: splits `key_block` (at least
    /// [`SuiteParams::key_block_len`] bytes) into client_write_MAC_key,
    /// server_write_MAC_key, client_write_key, server_write_key,
    /// client_write_IV, server_write_IV. `client_seals` says which side we are:
    /// true for a client (it seals with the client keys).
    pub fn new(params: &SuiteParams, key_block: &[u8]) -> Result<Self, Tls12Error> {
        if key_block.len() < params.key_block_len() {
            return Err(Tls12Error::BadLength(key_block.len()));
        }
        let (mac_len, key_len, iv_len) = match params.bulk {
            Bulk::AesCbc { key_len, mac } => (mac.output_len(), key_len, BLOCK),
            Bulk::AesGcm { key_len } => (0, key_len, 4),
            Bulk::ChaCha20Poly1305 => (0, 32, 12),
        };
        let mut kb = key_block;
        let mut take = |n: usize| {
            let (a, b) = kb.split_at(n);
            kb = b;
            a
        };
        let (cm, sm) = (take(mac_len), take(mac_len));
        let (ck, sk) = (take(key_len), take(key_len));
        let (civ, siv) = (take(iv_len), take(iv_len));
        Ok(Self {
            client: Protection::new(params, Direction::Seal, cm, ck, civ)?,
            server: Protection::new(params, Direction::Open, sm, sk, siv)?,
        })
    }
}

impl Protection {
    /// One direction from its MAC key, write key and IV.
    pub fn new(
        params: &SuiteParams,
        direction: Direction,
        mac_key: &[u8],
        key: &[u8],
        iv: &[u8],
    ) -> Result<Self, Tls12Error> {
        let cipher = match params.bulk {
            Bulk::AesCbc { mac, .. } => {
                let alg = if key.len() == 16 { &AES_128 } else { &AES_256 };
                let unbound = || UnboundCipherKey::new(alg, key).map_err(crypto("AES key"));
                let (seal, open) = match direction {
                    Direction::Seal => (
                        Some(Box::new(
                            EncryptingKey::cbc(unbound()?).map_err(crypto("CBC"))?,
                        )),
                        None,
                    ),
                    Direction::Open => (
                        None,
                        Some(Box::new(
                            DecryptingKey::cbc(unbound()?).map_err(crypto("CBC"))?,
                        )),
                    ),
                };
                let hmac_alg = match mac {
                    MacHash::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                    MacHash::Sha256 => hmac::HMAC_SHA256,
                    MacHash::Sha384 => hmac::HMAC_SHA384,
                };
                let chained_iv = (params.version < ProtocolVersion::TLS1_1)
                    .then(|| iv.try_into().map_err(|_| Tls12Error::BadLength(iv.len())))
                    .transpose()?;
                Cipher::Cbc {
                    seal,
                    open,
                    mac: hmac::Key::new(hmac_alg, mac_key),
                    mac_len: mac.output_len(),
                    chained_iv,
                }
            }
            Bulk::AesGcm { .. } | Bulk::ChaCha20Poly1305 => {
                let (alg, explicit) = match params.bulk {
                    Bulk::AesGcm { key_len: 16 } => (&aead::AES_128_GCM, true),
                    Bulk::AesGcm { .. } => (&aead::AES_256_GCM, true),
                    _ => (&aead::CHACHA20_POLY1305, false),
                };
                let unbound = aead::UnboundKey::new(alg, key).map_err(crypto("AEAD key"))?;
                Cipher::Aead {
                    key: aead::LessSafeKey::new(unbound),
                    iv: iv.to_vec(),
                    explicit,
                }
            }
        };
        Ok(Self { cipher, seq: 0 })
    }

    /// `seq_num + TLSCompressed.type + TLSCompressed.version + TLSCompressed.length`
    /// (RFC 5246 §6.2.3.1 MAC input, §6.2.3.3 additional_data).
    fn header(&self, typ: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
        let mut h = [0u8; 13];
        h[..8].copy_from_slice(&self.seq.to_be_bytes());
        h[8] = typ.to_u8();
        h[9..11].copy_from_slice(&version.0.to_be_bytes());
        h[11..].copy_from_slice(&(len as u16).to_be_bytes());
        h
    }

    fn nonce(iv: &[u8], explicit: bool, seq: u64, record_nonce: &[u8]) -> aead::Nonce {
        let mut n = [0u8; 12];
        if explicit {
            n[..4].copy_from_slice(&iv[..4]);
            n[4..].copy_from_slice(record_nonce);
        } else {
            n.copy_from_slice(&iv[..12]);
            for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
                *b ^= s;
            }
        }
        aead::Nonce::assume_unique_for_key(n)
    }

    fn advance(&mut self) -> Result<(), Tls12Error> {
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or(Tls12Error::SequenceExhausted)?;
        Ok(())
    }

    /// A whole TLSCiphertext record (header included) carrying `plaintext`.
    pub fn seal(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Tls12Error> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(Tls12Error::BadLength(plaintext.len()));
        }
        let header = self.header(typ, version, plaintext.len());
        let fragment = match &mut self.cipher {
            Cipher::Cbc {
                seal: Some(key),
                mac,
                chained_iv,
                ..
            } => {
                let mut ctx = hmac::Context::with_key(mac);
                ctx.update(&header);
                ctx.update(plaintext);
                let mut data = plaintext.to_vec();
                data.extend_from_slice(ctx.sign().as_ref());
                // RFC 5246 §6.2.3.2: padding_length + 1 bytes, each padding_length.
                let pad = BLOCK - (data.len() % BLOCK);
                data.extend(std::iter::repeat_n((pad - 1) as u8, pad));
                let iv: [u8; BLOCK] = match chained_iv {
                    Some(iv) => *iv,
                    None => {
                        let mut iv = [0u8; BLOCK];
                        aws_lc_rs::rand::fill(&mut iv).map_err(crypto("random IV"))?;
                        iv
                    }
                };
                key.less_safe_encrypt(&mut data, EncryptionContext::Iv128(FixedLength::from(iv)))
                    .map_err(crypto("CBC encrypt"))?;
                let mut out = Vec::with_capacity(BLOCK + data.len());
                match chained_iv {
                    Some(next) => next.copy_from_slice(&data[data.len() - BLOCK..]),
                    None => out.extend_from_slice(&iv),
                }
                out.extend(data);
                out
            }
            Cipher::Cbc { seal: None, .. } => return Err(Tls12Error::Crypto("not a sealing key")),
            Cipher::Aead { key, iv, explicit } => {
                let explicit_nonce = self.seq.to_be_bytes();
                let nonce = Self::nonce(iv, *explicit, self.seq, &explicit_nonce);
                let mut body = plaintext.to_vec();
                key.seal_in_place_append_tag(nonce, aead::Aad::from(header), &mut body)
                    .map_err(crypto("seal"))?;
                let mut out = Vec::with_capacity(8 + body.len());
                if *explicit {
                    out.extend_from_slice(&explicit_nonce);
                }
                out.extend(body);
                out
            }
        };
        let mut out = Vec::with_capacity(5 + fragment.len());
        out.push(typ.to_u8());
        out.extend_from_slice(&version.0.to_be_bytes());
        out.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        out.extend(fragment);
        self.advance()?;
        Ok(out)
    }

    /// The plaintext of a TLSCiphertext `fragment` received with this
    /// record type and version.
    pub fn open(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
    ) -> Result<Vec<u8>, Tls12Error> {
        if fragment.len() > MAX_CIPHERTEXT {
            return Err(Tls12Error::BadLength(fragment.len()));
        }
        let seq = self.seq;
        let plain = match &mut self.cipher {
            Cipher::Cbc {
                open: Some(key),
                mac,
                mac_len,
                chained_iv,
                ..
            } => {
                let (iv, data) = match chained_iv {
                    Some(iv) => (*iv, fragment),
                    None if fragment.len() >= BLOCK => {
                        let (iv, data) = fragment.split_at(BLOCK);
                        (
                            iv.try_into()
                                .map_err(|_| Tls12Error::BadLength(fragment.len()))?,
                            data,
                        )
                    }
                    None => return Err(Tls12Error::BadLength(fragment.len())),
                };
                if data.is_empty() || data.len() % BLOCK != 0 || data.len() < *mac_len + 1 {
                    return Err(Tls12Error::BadLength(fragment.len()));
                }
                let mut buf = data.to_vec();
                if let Some(next) = chained_iv {
                    next.copy_from_slice(&data[data.len() - BLOCK..]);
                }
                key.decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
                    .map_err(crypto("CBC decrypt"))?;
                let pad = *buf.last().ok_or(Tls12Error::BadRecordMac)? as usize;
                if pad + 1 + *mac_len > buf.len()
                    || buf[buf.len() - 1 - pad..]
                        .iter()
                        .any(|b| *b as usize != pad)
                {
                    return Err(Tls12Error::BadRecordMac);
                }
                buf.truncate(buf.len() - 1 - pad);
                let text_len = buf.len() - *mac_len;
                let header = {
                    let mut h = [0u8; 13];
                    h[..8].copy_from_slice(&seq.to_be_bytes());
                    h[8] = typ.to_u8();
                    h[9..11].copy_from_slice(&version.0.to_be_bytes());
                    h[11..].copy_from_slice(&(text_len as u16).to_be_bytes());
                    h
                };
                let mut ctx = hmac::Context::with_key(mac);
                ctx.update(&header);
                ctx.update(&buf[..text_len]);
                let expected = ctx.sign();
                if expected.as_ref() != &buf[text_len..] {
                    return Err(Tls12Error::BadRecordMac);
                }
                buf.truncate(text_len);
                buf
            }
            Cipher::Cbc { open: None, .. } => return Err(Tls12Error::Crypto("not an opening key")),
            Cipher::Aead { key, iv, explicit } => {
                let nonce_len = if *explicit { 8 } else { 0 };
                if fragment.len() < nonce_len + TAG_LEN {
                    return Err(Tls12Error::BadLength(fragment.len()));
                }
                let (record_nonce, sealed) = fragment.split_at(nonce_len);
                let nonce = Self::nonce(iv, *explicit, seq, record_nonce);
                let mut h = [0u8; 13];
                h[..8].copy_from_slice(&seq.to_be_bytes());
                h[8] = typ.to_u8();
                h[9..11].copy_from_slice(&version.0.to_be_bytes());
                h[11..].copy_from_slice(&((sealed.len() - TAG_LEN) as u16).to_be_bytes());
                let mut body = sealed.to_vec();
                let len = key
                    .open_in_place(nonce, aead::Aad::from(h), &mut body)
                    .map_err(|_| Tls12Error::BadRecordMac)?
                    .len();
                body.truncate(len);
                body
            }
        };
        self.advance()?;
        Ok(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::CipherSuite;

    fn pair(suite: u16, version: ProtocolVersion) -> (Protection, Protection) {
        let params = SuiteParams::new(CipherSuite(suite), version).unwrap();
        let kb: Vec<u8> = (0..params.key_block_len()).map(|i| i as u8).collect();
        let a = KeyPair::new(&params, &kb).unwrap();
        // The same client keys, but opening: what the server does.
        let mut kb2 = kb.clone();
        let half = kb.len() / 2;
        // Swap halves of each pair so "server" keys are the client's.
        let (ml, kl, il) = match params.bulk {
            Bulk::AesCbc { key_len, mac } => (mac.output_len(), key_len, 16),
            Bulk::AesGcm { key_len } => (0, key_len, 4),
            Bulk::ChaCha20Poly1305 => (0, 32, 12),
        };
        let _ = half;
        let mut off = 0;
        for n in [ml, kl, il] {
            kb2[off + n..off + 2 * n].copy_from_slice(&kb[off..off + n]);
            off += 2 * n;
        }
        (a.client, KeyPair::new(&params, &kb2).unwrap().server)
    }

    #[test]
    fn every_protection_round_trips_and_detects_tampering() {
        for (suite, version) in [
            (0x002f, ProtocolVersion::TLS1_0),
            (0x0035, ProtocolVersion::TLS1_1),
            (0xc027, ProtocolVersion::TLS1_2),
            (0xc028, ProtocolVersion::TLS1_2),
            (0x009c, ProtocolVersion::TLS1_2),
            (0x009d, ProtocolVersion::TLS1_2),
            (0xcca8, ProtocolVersion::TLS1_2),
        ] {
            let (mut tx, mut rx) = pair(suite, version);
            for msg in [&b"hello"[..], b"", &[9u8; 100][..], b"again"] {
                let rec = tx.seal(ContentType::Handshake, version, msg).unwrap();
                assert_eq!(
                    usize::from(u16::from_be_bytes([rec[3], rec[4]])),
                    rec.len() - 5
                );
                let plain = rx.open(ContentType::Handshake, version, &rec[5..]).unwrap();
                assert_eq!(plain, msg, "{suite:04x}");
            }
            let mut rec = tx.seal(ContentType::Alert, version, b"xx").unwrap();
            let last = rec.len() - 1;
            rec[last] ^= 1;
            assert!(
                rx.open(ContentType::Alert, version, &rec[5..]).is_err(),
                "{suite:04x}"
            );
            assert!(rx.open(ContentType::Alert, version, &[0; 3]).is_err());
        }
    }

    /// RFC 7905 / RFC 8439 §2.8.2 AEAD vector run through our nonce
    /// construction: with seq 0 the nonce is the IV itself.
    #[test]
    fn chacha_nonce_is_iv_xor_sequence() {
        let iv = [
            0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
        ];
        let n = Protection::nonce(&iv, false, 0, &[]);
        assert_eq!(n.as_ref(), &iv);
        let n = Protection::nonce(&iv, false, 1, &[]);
        assert_eq!(n.as_ref()[11], 0x46);
    }
}
