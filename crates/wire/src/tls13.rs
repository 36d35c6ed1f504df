//! Reading TLS 1.3 records of a capture with the secrets a client logged
//! (`SSLKEYLOGFILE`, the NSS key log format that curl, Firefox, Chrome,
//! Node's `--tls-keylog`, Python's `keylog_filename`, `openssl s_client
//! -keylogfile` and Wireshark share): the certificate, the certificate
//! request and the alerts that TLS 1.3 encrypts become readable, so a
//! capture can be judged like a TLS 1.2 one.
//!
//! RFC 8446 §7.1 (HKDF-Expand-Label), §7.3 (traffic keys), §5.2 (record
//! payload protection), §5.3 (per-record nonce). Only decryption; the key log
//! is untrusted input (bounded, malformed lines skipped).

use std::collections::HashMap;

use aws_lc_rs::{aead, hkdf};

use crate::registry::CipherSuite;

/// Lines of a key log read at most.
pub const MAX_KEYLOG_LINES: usize = 1_000_000;

/// The secrets logged for one connection, found by its ClientHello random.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    pub client_application: Option<Vec<u8>>,
    pub server_application: Option<Vec<u8>>,
}

/// A parsed key log: TLS 1.3 traffic secrets by client random.
#[derive(Clone, Debug, Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; 32], Secrets>,
}

impl KeyLog {
    /// Parses the NSS key log format: `LABEL <client_random hex> <secret hex>`
    /// per line; comments, other labels (TLS 1.2 `CLIENT_RANDOM`, early
    /// secrets) and malformed lines are skipped.
    pub fn parse(text: &str) -> Self {
        let mut log = Self::default();
        for line in text.lines().take(MAX_KEYLOG_LINES) {
            let mut parts = line.split_ascii_whitespace();
            let (Some(label), Some(random), Some(secret), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(random), Ok(secret)) = (hex::decode(random), hex::decode(secret)) else {
                continue;
            };
            let Ok(random) = <[u8; 32]>::try_from(random) else {
                continue;
            };
            // SHA-256 or SHA-384 secrets only.
            if secret.len() != 32 && secret.len() != 48 {
                continue;
            }
            let entry = log.by_random.entry(random).or_default();
            let slot = match label {
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.client_handshake,
                "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.server_handshake,
                "CLIENT_TRAFFIC_SECRET_0" => &mut entry.client_application,
                "SERVER_TRAFFIC_SECRET_0" => &mut entry.server_application,
                _ => continue,
            };
            *slot = Some(secret);
        }
        log.by_random.retain(|_, s| *s != Secrets::default());
        log
    }

    /// The secrets of the connection whose ClientHello carried `random`.
    pub fn secrets(&self, random: &[u8; 32]) -> Option<&Secrets> {
        self.by_random.get(random)
    }

    /// Connections with at least one secret.
    pub fn len(&self) -> usize {
        self.by_random.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }
}

/// `HKDF-Expand-Label(secret, label, "", length)` (RFC 8446 §7.1).
fn expand_label(
    hash: hkdf::Algorithm,
    secret: &[u8],
    label: &[u8],
    length: usize,
) -> Option<Vec<u8>> {
    struct Len(usize);
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let full_label_len = 6 + label.len();
    let mut info = Vec::with_capacity(4 + full_label_len);
    info.extend_from_slice(&u16::try_from(length).ok()?.to_be_bytes());
    info.push(u8::try_from(full_label_len).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0); // empty context
    let prk = hkdf::Prk::new_less_safe(hash, secret);
    let info = [info.as_slice()];
    let okm = prk.expand(&info, Len(length)).ok()?;
    let mut out = vec![0; length];
    okm.fill(&mut out).ok()?;
    Some(out)
}

/// Opens the records one side sent under one traffic secret, in order.
pub struct RecordOpener {
    key: aead::LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl RecordOpener {
    /// Keys for `suite` (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
    /// TLS_CHACHA20_POLY1305_SHA256) from a traffic secret; `None` for other
    /// suites (CCM) or a secret of the wrong length.
    pub fn new(suite: CipherSuite, secret: &[u8]) -> Option<Self> {
        let (hash, alg, hash_len): (hkdf::Algorithm, &'static aead::Algorithm, usize) =
            match suite.0 {
                0x1301 => (hkdf::HKDF_SHA256, &aead::AES_128_GCM, 32),
                0x1302 => (hkdf::HKDF_SHA384, &aead::AES_256_GCM, 48),
                0x1303 => (hkdf::HKDF_SHA256, &aead::CHACHA20_POLY1305, 32),
                _ => return None,
            };
        if secret.len() != hash_len {
            return None;
        }
        let key = expand_label(hash, secret, b"key", alg.key_len())?;
        let iv = expand_label(hash, secret, b"iv", 12)?;
        let key = aead::LessSafeKey::new(aead::UnboundKey::new(alg, &key).ok()?);
        Some(Self {
            key,
            iv: iv.try_into().ok()?,
            seq: 0,
        })
    }

    /// Opens one `application_data` record (5-byte header and body): its
    /// real content type and content (RFC 8446 §5.2, padding removed).
    /// `None` when it does not authenticate under these keys (a record of
    /// the next epoch, or not this connection's); the sequence number then
    /// stays where it was.
    pub fn open(&mut self, record: &[u8]) -> Option<(u8, Vec<u8>)> {
        let header: [u8; 5] = record.get(..5)?.try_into().ok()?;
        let mut body = record.get(5..)?.to_vec();
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        let nonce = aead::Nonce::assume_unique_for_key(nonce);
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(header), &mut body)
            .ok()?;
        let end = plain.iter().rposition(|&b| b != 0)?;
        let content_type = plain[end];
        let content = plain[..end].to_vec();
        self.seq += 1;
        Some((content_type, content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8448 §3 (simple 1-RTT handshake): the server handshake traffic
    /// secret and the key and IV derived from it.
    #[test]
    fn rfc8448_server_handshake_keys() {
        let secret =
            hex::decode("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
                .unwrap();
        let key = expand_label(hkdf::HKDF_SHA256, &secret, b"key", 16).unwrap();
        let iv = expand_label(hkdf::HKDF_SHA256, &secret, b"iv", 12).unwrap();
        assert_eq!(hex::encode(key), "3fce516009c21727d0f2e4e86ee403bc");
        assert_eq!(hex::encode(iv), "5d313eb2671276ee13000b30");
    }

    #[test]
    fn key_log_lines() {
        let random = "aa".repeat(32);
        let secret = "bb".repeat(32);
        let text = format!(
            "# comment\nSERVER_HANDSHAKE_TRAFFIC_SECRET {random} {secret}\nCLIENT_RANDOM {random} {}\ngarbage\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {random} zz\n",
            "cc".repeat(48)
        );
        let log = KeyLog::parse(&text);
        assert_eq!(log.len(), 1);
        let s = log.secrets(&[0xaa; 32]).unwrap();
        assert_eq!(s.server_handshake.as_deref(), Some(&[0xbb; 32][..]));
        assert_eq!(s.client_handshake, None);
    }

    #[test]
    fn records_that_do_not_authenticate_are_refused() {
        let mut opener = RecordOpener::new(CipherSuite(0x1301), &[7; 32]).unwrap();
        assert!(opener.open(&[23, 3, 3, 0, 20, 1, 2, 3]).is_none());
        assert!(opener.open(&[23, 3]).is_none());
        assert!(RecordOpener::new(CipherSuite(0x1304), &[7; 32]).is_none());
        assert!(RecordOpener::new(CipherSuite(0x1302), &[7; 32]).is_none());
    }
}
