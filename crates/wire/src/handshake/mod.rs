//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4): the ClientHello and its
//! builder, and parsers (with encoders) for every message a server sends
//! before the handshake is encrypted.
//!
//! Parsers here take the message *body* (after the 4-byte handshake header);
//! [`crate::record::HandshakeReassembler`] strips the header. They never panic
//! and keep unknown values (extensions, code points) as sent.

mod builder;
mod certificate;
mod certificate_request;
mod client_hello;
mod extension;
mod server_hello;
mod server_key_exchange;
mod simple;

pub use builder::ClientHelloBuilder;
pub use certificate::{CertificateEntry, CertificateMessage, MAX_CERTIFICATE_ENTRIES};
pub use certificate_request::{CertificateRequest, CertificateRequestForm};
pub use client_hello::ClientHello;
pub use extension::{
    CertificateStatusRequest, Extension, ExtensionContext, KeyShareEntry, ServerNameEntry,
};
pub use server_hello::{DowngradeSentinel, ServerHello, HRR_RANDOM};
pub use server_key_exchange::{
    DhParams, DigitallySigned, EcdhParams, KeyExchangeKind, RsaExportParams, ServerKeyExchange,
};
pub use simple::{CertificateStatus, NewSessionTicket, ServerHelloDone};

use crate::codec::{Codec, Context, DecodeError, Reader};

/// RFC 8446 §4 / RFC 5246 §7.4 `HandshakeType`. Unknown values are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HandshakeType {
    /// hello_request(0), TLS ≤ 1.2.
    HelloRequest,
    ClientHello,
    ServerHello,
    HelloVerifyRequest,
    NewSessionTicket,
    EndOfEarlyData,
    EncryptedExtensions,
    Certificate,
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    CertificateVerify,
    ClientKeyExchange,
    Finished,
    CertificateUrl,
    CertificateStatus,
    SupplementalData,
    KeyUpdate,
    CompressedCertificate,
    /// RFC 8446 §4.4.1 message_hash(254): only in transcripts, never on the wire.
    MessageHash,
    Unknown(u8),
}

impl HandshakeType {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::HelloRequest => 0,
            Self::ClientHello => 1,
            Self::ServerHello => 2,
            Self::HelloVerifyRequest => 3,
            Self::NewSessionTicket => 4,
            Self::EndOfEarlyData => 5,
            Self::EncryptedExtensions => 8,
            Self::Certificate => 11,
            Self::ServerKeyExchange => 12,
            Self::CertificateRequest => 13,
            Self::ServerHelloDone => 14,
            Self::CertificateVerify => 15,
            Self::ClientKeyExchange => 16,
            Self::Finished => 20,
            Self::CertificateUrl => 21,
            Self::CertificateStatus => 22,
            Self::SupplementalData => 23,
            Self::KeyUpdate => 24,
            Self::CompressedCertificate => 25,
            Self::MessageHash => 254,
            Self::Unknown(v) => v,
        }
    }
}

impl From<u8> for HandshakeType {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::HelloRequest,
            1 => Self::ClientHello,
            2 => Self::ServerHello,
            3 => Self::HelloVerifyRequest,
            4 => Self::NewSessionTicket,
            5 => Self::EndOfEarlyData,
            8 => Self::EncryptedExtensions,
            11 => Self::Certificate,
            12 => Self::ServerKeyExchange,
            13 => Self::CertificateRequest,
            14 => Self::ServerHelloDone,
            15 => Self::CertificateVerify,
            16 => Self::ClientKeyExchange,
            20 => Self::Finished,
            21 => Self::CertificateUrl,
            22 => Self::CertificateStatus,
            23 => Self::SupplementalData,
            24 => Self::KeyUpdate,
            25 => Self::CompressedCertificate,
            254 => Self::MessageHash,
            v => Self::Unknown(v),
        }
    }
}

impl Codec for HandshakeType {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.to_u8());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u8().context("HandshakeType").map(Self::from)
    }
}

/// Wraps a message body in the 4-byte handshake header (RFC 8446 §4).
pub fn encode_handshake(typ: HandshakeType, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    typ.encode(&mut out);
    crate::codec::encode_opaque(crate::codec::LenPrefix::U24, body, &mut out);
    out
}
