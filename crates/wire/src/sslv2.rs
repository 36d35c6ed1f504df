//! SSL 2.0 (draft-hickman-netscape-ssl-00, 1995): just enough to ask a server
//! whether it still speaks SSLv2 — build a CLIENT-HELLO and parse the
//! SERVER-HELLO or ERROR it answers with. Everything is bounded by the 2-byte
//! record length (at most 32767 bytes).

use crate::codec::{Context, DecodeError, Reader};
use crate::registry::ProtocolVersion;

/// SSL 2.0 message type codes.
pub const MSG_ERROR: u8 = 0;
/// MSG-CLIENT-HELLO.
pub const MSG_CLIENT_HELLO: u8 = 1;
/// MSG-SERVER-HELLO.
pub const MSG_SERVER_HELLO: u8 = 4;

/// Largest body of a record with a 2-byte header (15-bit length).
pub const MAX_RECORD_LEN_2: usize = 0x7fff;

/// An SSL 2.0 CIPHER-KIND: three bytes on the wire. A TLS suite sent in a
/// v2-format hello is `0x00XXYY`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Ssl2CipherSpec(pub u32);

impl Ssl2CipherSpec {
    pub const RC4_128_WITH_MD5: Self = Self(0x010080);
    pub const RC4_128_EXPORT40_WITH_MD5: Self = Self(0x020080);
    pub const RC2_128_CBC_WITH_MD5: Self = Self(0x030080);
    pub const RC2_128_CBC_EXPORT40_WITH_MD5: Self = Self(0x040080);
    pub const IDEA_128_CBC_WITH_MD5: Self = Self(0x050080);
    pub const DES_64_CBC_WITH_MD5: Self = Self(0x060040);
    pub const DES_192_EDE3_CBC_WITH_MD5: Self = Self(0x0700c0);

    /// The seven SSL 2.0 cipher kinds.
    pub const ALL: [Self; 7] = [
        Self::RC4_128_WITH_MD5,
        Self::RC4_128_EXPORT40_WITH_MD5,
        Self::RC2_128_CBC_WITH_MD5,
        Self::RC2_128_CBC_EXPORT40_WITH_MD5,
        Self::IDEA_128_CBC_WITH_MD5,
        Self::DES_64_CBC_WITH_MD5,
        Self::DES_192_EDE3_CBC_WITH_MD5,
    ];

    /// The draft's name (`SSL_CK_RC4_128_WITH_MD5`), or hex.
    pub fn name(self) -> String {
        let n = match self {
            Self::RC4_128_WITH_MD5 => "SSL_CK_RC4_128_WITH_MD5",
            Self::RC4_128_EXPORT40_WITH_MD5 => "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
            Self::RC2_128_CBC_WITH_MD5 => "SSL_CK_RC2_128_CBC_WITH_MD5",
            Self::RC2_128_CBC_EXPORT40_WITH_MD5 => "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
            Self::IDEA_128_CBC_WITH_MD5 => "SSL_CK_IDEA_128_CBC_WITH_MD5",
            Self::DES_64_CBC_WITH_MD5 => "SSL_CK_DES_64_CBC_WITH_MD5",
            Self::DES_192_EDE3_CBC_WITH_MD5 => "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
            Self(v) => return format!("0x{v:06x}"),
        };
        n.to_string()
    }

    /// True for the export (40-bit) kinds.
    pub fn is_export(self) -> bool {
        matches!(
            self,
            Self::RC4_128_EXPORT40_WITH_MD5 | Self::RC2_128_CBC_EXPORT40_WITH_MD5
        )
    }

    fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes()[1..]);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let b = r.take(3).context("CIPHER-SPECS-DATA")?;
        Ok(Self(u32::from_be_bytes([0, b[0], b[1], b[2]])))
    }
}

fn read_specs(data: &[u8]) -> Result<Vec<Ssl2CipherSpec>, DecodeError> {
    if data.len() % 3 != 0 {
        return Err(DecodeError::Misaligned {
            what: "CIPHER-SPECS-DATA",
            len: data.len(),
            elem: 3,
        });
    }
    let mut r = Reader::new(data);
    let mut out = Vec::with_capacity(data.len() / 3);
    while !r.is_empty() {
        out.push(Ssl2CipherSpec::read(&mut r)?);
    }
    Ok(out)
}

/// CLIENT-HELLO:
/// ```text
/// char MSG-CLIENT-HELLO
/// char CLIENT-VERSION-MSB, CLIENT-VERSION-LSB
/// char CIPHER-SPECS-LENGTH-MSB, -LSB
/// char SESSION-ID-LENGTH-MSB, -LSB
/// char CHALLENGE-LENGTH-MSB, -LSB
/// char CIPHER-SPECS-DATA[(MSB<<8)|LSB]
/// char SESSION-ID-DATA[(MSB<<8)|LSB]
/// char CHALLENGE-DATA[(MSB<<8)|LSB]
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssl2ClientHello {
    /// 0x0002 for SSL 2.0; a TLS version for a v2-format TLS hello.
    pub version: ProtocolVersion,
    pub cipher_specs: Vec<Ssl2CipherSpec>,
    pub session_id: Vec<u8>,
    /// 16..32 bytes.
    pub challenge: Vec<u8>,
}

impl Ssl2ClientHello {
    /// An SSL 2.0 hello offering `specs` with a fresh 16-byte challenge.
    pub fn new(specs: &[Ssl2CipherSpec]) -> Self {
        let mut challenge = vec![0u8; 16];
        crate::keyshare::random_bytes(&mut challenge);
        Self {
            version: ProtocolVersion(0x0002),
            cipher_specs: specs.to_vec(),
            session_id: Vec::new(),
            challenge,
        }
    }

    /// An SSL 2.0 hello offering all seven SSL 2.0 cipher kinds.
    pub fn all_ciphers() -> Self {
        Self::new(&Ssl2CipherSpec::ALL)
    }

    /// The message (without record header).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(MSG_CLIENT_HELLO);
        out.extend_from_slice(&self.version.0.to_be_bytes());
        out.extend_from_slice(&((self.cipher_specs.len() * 3) as u16).to_be_bytes());
        out.extend_from_slice(&(self.session_id.len() as u16).to_be_bytes());
        out.extend_from_slice(&(self.challenge.len() as u16).to_be_bytes());
        for s in &self.cipher_specs {
            s.encode(out);
        }
        out.extend_from_slice(&self.session_id);
        out.extend_from_slice(&self.challenge);
    }

    /// Reads a message (starting with MSG-CLIENT-HELLO).
    pub fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u8().context("MSG-CLIENT-HELLO")?;
        if typ != MSG_CLIENT_HELLO {
            return Err(DecodeError::InvalidValue {
                what: "MSG-CLIENT-HELLO",
                value: typ.into(),
            });
        }
        let version = ProtocolVersion(r.u16().context("CLIENT-VERSION")?);
        let specs_len = usize::from(r.u16().context("CIPHER-SPECS-LENGTH")?);
        let sid_len = usize::from(r.u16().context("SESSION-ID-LENGTH")?);
        let chal_len = usize::from(r.u16().context("CHALLENGE-LENGTH")?);
        let cipher_specs = read_specs(r.take(specs_len).context("CIPHER-SPECS-DATA")?)?;
        let session_id = r.take(sid_len).context("SESSION-ID-DATA")?.to_vec();
        let challenge = r.take(chal_len).context("CHALLENGE-DATA")?.to_vec();
        Ok(Self {
            version,
            cipher_specs,
            session_id,
            challenge,
        })
    }

    /// The bytes to send: the message in a record with a 2-byte header.
    pub fn build_record(&self) -> Vec<u8> {
        let mut body = Vec::new();
        self.encode(&mut body);
        encode_record(&body)
    }
}

/// SERVER-HELLO:
/// ```text
/// char MSG-SERVER-HELLO
/// char SESSION-ID-HIT
/// char CERTIFICATE-TYPE
/// char SERVER-VERSION-MSB, SERVER-VERSION-LSB
/// char CERTIFICATE-LENGTH-MSB, -LSB
/// char CIPHER-SPECS-LENGTH-MSB, -LSB
/// char CONNECTION-ID-LENGTH-MSB, -LSB
/// char CERTIFICATE-DATA[MSB<<8|LSB]
/// char CIPHER-SPECS-DATA[MSB<<8|LSB]
/// char CONNECTION-ID-DATA[MSB<<8|LSB]
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssl2ServerHello {
    pub session_id_hit: u8,
    /// SSL_CT_X509_CERTIFICATE = 1.
    pub certificate_type: u8,
    pub version: ProtocolVersion,
    /// The DER certificate.
    pub certificate: Vec<u8>,
    pub cipher_specs: Vec<Ssl2CipherSpec>,
    pub connection_id: Vec<u8>,
}

impl Ssl2ServerHello {
    /// The message (without record header).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(MSG_SERVER_HELLO);
        out.push(self.session_id_hit);
        out.push(self.certificate_type);
        out.extend_from_slice(&self.version.0.to_be_bytes());
        out.extend_from_slice(&(self.certificate.len() as u16).to_be_bytes());
        out.extend_from_slice(&((self.cipher_specs.len() * 3) as u16).to_be_bytes());
        out.extend_from_slice(&(self.connection_id.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.certificate);
        for s in &self.cipher_specs {
            s.encode(out);
        }
        out.extend_from_slice(&self.connection_id);
    }

    /// Reads a message (starting with MSG-SERVER-HELLO).
    pub fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u8().context("MSG-SERVER-HELLO")?;
        if typ != MSG_SERVER_HELLO {
            return Err(DecodeError::InvalidValue {
                what: "MSG-SERVER-HELLO",
                value: typ.into(),
            });
        }
        let session_id_hit = r.u8().context("SESSION-ID-HIT")?;
        let certificate_type = r.u8().context("CERTIFICATE-TYPE")?;
        let version = ProtocolVersion(r.u16().context("SERVER-VERSION")?);
        let cert_len = usize::from(r.u16().context("CERTIFICATE-LENGTH")?);
        let specs_len = usize::from(r.u16().context("CIPHER-SPECS-LENGTH")?);
        let cid_len = usize::from(r.u16().context("CONNECTION-ID-LENGTH")?);
        let certificate = r.take(cert_len).context("CERTIFICATE-DATA")?.to_vec();
        let cipher_specs = read_specs(r.take(specs_len).context("CIPHER-SPECS-DATA")?)?;
        let connection_id = r.take(cid_len).context("CONNECTION-ID-DATA")?.to_vec();
        Ok(Self {
            session_id_hit,
            certificate_type,
            version,
            certificate,
            cipher_specs,
            connection_id,
        })
    }

    /// Parses a message that must fill `bytes`.
    pub fn read_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.expect_empty("SERVER-HELLO")?;
        Ok(v)
    }
}

/// A plaintext SSL 2.0 message from a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ssl2Message {
    ServerHello(Ssl2ServerHello),
    /// MSG-ERROR with its ERROR-CODE (1 NO-CIPHER-ERROR, 2 NO-CERTIFICATE-ERROR,
    /// 4 BAD-CERTIFICATE-ERROR, 6 UNSUPPORTED-CERTIFICATE-TYPE-ERROR).
    Error(u16),
}

impl Ssl2Message {
    /// Parses a record body.
    pub fn read_bytes(body: &[u8]) -> Result<Self, DecodeError> {
        match body.first() {
            Some(&MSG_SERVER_HELLO) => Ssl2ServerHello::read_bytes(body).map(Self::ServerHello),
            Some(&MSG_ERROR) => {
                let mut r = Reader::new(&body[1..]);
                let code = r.u16().context("ERROR-CODE")?;
                Ok(Self::Error(code))
            }
            Some(&t) => Err(DecodeError::InvalidValue {
                what: "SSLv2 message type",
                value: t.into(),
            }),
            None => Err(DecodeError::Truncated {
                what: "SSLv2 message",
                needed: 1,
                available: 0,
            }),
        }
    }
}

/// Frames a message in a record with a 2-byte header (bodies above 32767 bytes
/// are truncated to that length).
pub fn encode_record(body: &[u8]) -> Vec<u8> {
    let body = &body[..body.len().min(MAX_RECORD_LEN_2)];
    let mut out = Vec::with_capacity(body.len() + 2);
    out.extend_from_slice(&((body.len() as u16) | 0x8000).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Splits one SSL 2.0 record off the front of `bytes`: `Ok(Some((body,
/// consumed)))` when complete, `Ok(None)` when more bytes are needed. A 3-byte
/// header (high bit clear) has a padding count, whose bytes are dropped.
pub fn read_record(bytes: &[u8]) -> Result<Option<(&[u8], usize)>, DecodeError> {
    if bytes.len() < 2 {
        return Ok(None);
    }
    let (len, header, padding) = if bytes[0] & 0x80 != 0 {
        (
            usize::from(u16::from_be_bytes([bytes[0] & 0x7f, bytes[1]])),
            2,
            0,
        )
    } else {
        if bytes.len() < 3 {
            return Ok(None);
        }
        (
            usize::from(u16::from_be_bytes([bytes[0] & 0x3f, bytes[1]])),
            3,
            usize::from(bytes[2]),
        )
    };
    if padding > len {
        return Err(DecodeError::InvalidValue {
            what: "SSLv2 PADDING",
            value: padding as u64,
        });
    }
    if bytes.len() < header + len {
        return Ok(None);
    }
    Ok(Some((&bytes[header..header + len - padding], header + len)))
}

/// True when `bytes` start like an SSL 2.0 SERVER-HELLO or ERROR record
/// (2-byte header then message type 4 or 0). Needs 3 bytes.
pub fn looks_like_ssl2_reply(bytes: &[u8]) -> bool {
    matches!(bytes, [h, _, t, ..] if h & 0x80 != 0 && (*t == MSG_SERVER_HELLO || *t == MSG_ERROR))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_layout() {
        let mut h = Ssl2ClientHello::new(&[Ssl2CipherSpec::RC4_128_WITH_MD5]);
        h.challenge = vec![7; 16];
        let rec = h.build_record();
        assert_eq!(&rec[..2], &[0x80, 9 + 3 + 16]);
        assert_eq!(&rec[2..5], &[1, 0, 2]);
        assert_eq!(&rec[11..14], &[1, 0, 0x80]);
        let (body, used) = read_record(&rec).unwrap().unwrap();
        assert_eq!(used, rec.len());
        assert_eq!(Ssl2ClientHello::read(&mut Reader::new(body)).unwrap(), h);
    }

    #[test]
    fn server_hello_round_trip() {
        let sh = Ssl2ServerHello {
            session_id_hit: 0,
            certificate_type: 1,
            version: ProtocolVersion(2),
            certificate: vec![0x30, 0x03, 1, 2, 3],
            cipher_specs: vec![Ssl2CipherSpec::DES_192_EDE3_CBC_WITH_MD5],
            connection_id: vec![9; 16],
        };
        let mut body = Vec::new();
        sh.encode(&mut body);
        assert_eq!(
            Ssl2Message::read_bytes(&body).unwrap(),
            Ssl2Message::ServerHello(sh)
        );
        assert!(looks_like_ssl2_reply(&encode_record(&body)));
    }
}
