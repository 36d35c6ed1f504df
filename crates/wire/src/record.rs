//! The TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2.1): record framing, a
//! sans-IO incremental record reader, handshake-message reassembly across
//! records, and the heartbeat message (RFC 6520).
//!
//! Nothing here does I/O; callers push the bytes they read. Every buffer is
//! bounded: a record or handshake length above the configured maximum is a
//! typed error naming the length, never an allocation.

use std::collections::VecDeque;

use crate::codec::{Codec, Context, DecodeError, Reader};
use crate::handshake::HandshakeType;
use crate::registry::ProtocolVersion;

/// RFC 8446 §5.1: the record length "MUST NOT exceed 2^14 bytes" of plaintext.
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;
/// RFC 5246 §6.2.3: `opaque fragment[TLSCiphertext.length]` of at most 2^14+2048 bytes.
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
/// RFC 8446 §5.1: `ContentType type; ProtocolVersion legacy_record_version; uint16 length;`
pub const RECORD_HEADER_LEN: usize = 5;

/// RFC 8446 §5.1: `enum { invalid(0), change_cipher_spec(20), alert(21),
/// handshake(22), application_data(23), heartbeat(24), (255) } ContentType;`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ContentType {
    ChangeCipherSpec,
    Alert,
    Handshake,
    ApplicationData,
    /// RFC 6520 §2.
    Heartbeat,
    /// Any other value, kept as sent.
    Unknown(u8),
}

impl ContentType {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::ChangeCipherSpec => 20,
            Self::Alert => 21,
            Self::Handshake => 22,
            Self::ApplicationData => 23,
            Self::Heartbeat => 24,
            Self::Unknown(v) => v,
        }
    }

    /// True for the five content types defined by an RFC.
    pub fn is_known(self) -> bool {
        !matches!(self, Self::Unknown(_))
    }
}

impl From<u8> for ContentType {
    fn from(v: u8) -> Self {
        match v {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            24 => Self::Heartbeat,
            v => Self::Unknown(v),
        }
    }
}

impl From<ContentType> for u8 {
    fn from(c: ContentType) -> u8 {
        c.to_u8()
    }
}

impl Codec for ContentType {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.to_u8());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u8().context("ContentType").map(Self::from)
    }
}

/// One record.
///
/// RFC 8446 §5.1:
/// ```text
/// struct {
///     ContentType type;
///     ProtocolVersion legacy_record_version;
///     uint16 length;
///     opaque fragment[TLSPlaintext.length];
/// } TLSPlaintext;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub content_type: ContentType,
    pub version: ProtocolVersion,
    pub payload: Vec<u8>,
}

impl Codec for Record {
    /// Writes one record; a payload above 65535 bytes gets a truncated length
    /// (use [`write_record`] to split properly).
    fn encode(&self, out: &mut Vec<u8>) {
        self.content_type.encode(out);
        self.version.encode(out);
        out.extend_from_slice(&(self.payload.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.payload);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let content_type = ContentType::read(r)?;
        let version = ProtocolVersion::read(r).context("legacy_record_version")?;
        let mut frag = r.sub(2).context("TLSPlaintext.fragment")?;
        Ok(Self {
            content_type,
            version,
            payload: frag.rest().to_vec(),
        })
    }
}

/// Frames `payload` as records of `content_type`, splitting it into fragments
/// of at most 2^14 bytes (RFC 8446 §5.1). An empty payload gives one empty record.
pub fn write_record(
    content_type: ContentType,
    version: ProtocolVersion,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + RECORD_HEADER_LEN);
    let mut chunks = payload.chunks(MAX_PLAINTEXT_LEN).peekable();
    if chunks.peek().is_none() {
        out.push(content_type.to_u8());
        version.encode(&mut out);
        out.extend_from_slice(&[0, 0]);
        return out;
    }
    for chunk in chunks {
        out.push(content_type.to_u8());
        version.encode(&mut out);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// Errors of the record layer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A record header declared a length above the limit (2^14+2048 by default).
    #[error("record length {len} exceeds the maximum {max} (content type {content_type}, version 0x{version:04x})")]
    RecordTooLong {
        len: usize,
        max: usize,
        content_type: u8,
        version: u16,
    },
    /// More bytes were pushed than the reader buffers without being drained.
    #[error(
        "{buffered} bytes buffered exceeds the limit of {max}; drain records before pushing more"
    )]
    BufferFull { buffered: usize, max: usize },
    /// A handshake message header declared a length above the limit.
    #[error("handshake message {typ:?} declares length {len}, above the maximum {max}")]
    HandshakeTooLong {
        typ: HandshakeType,
        len: usize,
        max: usize,
    },
}

/// Sans-IO incremental record reader: push bytes as they arrive, pull complete
/// records. After an error the reader stays failed and repeats the error.
#[derive(Debug)]
pub struct RecordReader {
    buf: Vec<u8>,
    start: usize,
    max_record_len: usize,
    max_buffered: usize,
    error: Option<RecordError>,
}

impl Default for RecordReader {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordReader {
    /// Default limit on bytes buffered and not yet returned as records.
    pub const DEFAULT_MAX_BUFFERED: usize = 256 * 1024;

    /// A reader with the RFC limit of 2^14+2048 bytes per record.
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_record_len: MAX_RECORD_LEN,
            max_buffered: Self::DEFAULT_MAX_BUFFERED,
            error: None,
        }
    }

    /// Changes the per-record length limit (at most 65535 is meaningful).
    pub fn with_max_record_len(mut self, max: usize) -> Self {
        self.max_record_len = max;
        self
    }

    /// Changes the limit on buffered bytes (at least one maximal record is kept).
    pub fn with_max_buffered(mut self, max: usize) -> Self {
        self.max_buffered = max.max(RECORD_HEADER_LEN + self.max_record_len);
        self
    }

    /// Appends received bytes. Fails when the bytes not yet drained as records
    /// would exceed the buffer limit; nothing is appended then.
    pub fn push(&mut self, data: &[u8]) -> Result<(), RecordError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let buffered = self.buffered() + data.len();
        if buffered > self.max_buffered {
            return Err(RecordError::BufferFull {
                buffered,
                max: self.max_buffered,
            });
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// Bytes pushed but not yet returned as records.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The buffered bytes not yet returned as records.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The next complete record, `Ok(None)` when more bytes are needed.
    pub fn next_record(&mut self) -> Result<Option<Record>, RecordError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let pending = &self.buf[self.start..];
        if pending.len() < RECORD_HEADER_LEN {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([pending[3], pending[4]]));
        if len > self.max_record_len {
            let e = RecordError::RecordTooLong {
                len,
                max: self.max_record_len,
                content_type: pending[0],
                version: u16::from_be_bytes([pending[1], pending[2]]),
            };
            self.error = Some(e.clone());
            return Err(e);
        }
        if pending.len() < RECORD_HEADER_LEN + len {
            return Ok(None);
        }
        let record = Record {
            content_type: ContentType::from(pending[0]),
            version: ProtocolVersion(u16::from_be_bytes([pending[1], pending[2]])),
            payload: pending[RECORD_HEADER_LEN..RECORD_HEADER_LEN + len].to_vec(),
        };
        self.start += RECORD_HEADER_LEN + len;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Ok(Some(record))
    }
}

/// One complete handshake message.
///
/// RFC 8446 §4:
/// ```text
/// struct {
///     HandshakeType msg_type;    /* handshake type */
///     uint24 length;             /* remaining bytes in message */
///     select (Handshake.msg_type) { ... };
/// } Handshake;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    pub typ: HandshakeType,
    pub body: Vec<u8>,
}

impl Codec for HandshakeMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        crate::codec::encode_opaque(crate::codec::LenPrefix::U24, &self.body, out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = HandshakeType::read(r)?;
        let body = crate::codec::read_opaque(crate::codec::LenPrefix::U24, r, "Handshake.body")?;
        Ok(Self { typ, body })
    }
}

/// Joins handshake-record payloads into complete handshake messages: a message
/// may span several records and one record may hold several messages.
#[derive(Debug)]
pub struct HandshakeReassembler {
    buf: Vec<u8>,
    max_message_len: usize,
    messages: VecDeque<HandshakeMessage>,
    error: Option<RecordError>,
}

impl Default for HandshakeReassembler {
    fn default() -> Self {
        Self::new()
    }
}

impl HandshakeReassembler {
    /// Default limit on one handshake message body (64 KiB).
    pub const DEFAULT_MAX_MESSAGE_LEN: usize = 64 * 1024;
    /// A limit large enough for long certificate chains.
    pub const LARGE_MAX_MESSAGE_LEN: usize = 256 * 1024;

    /// A reassembler with the 64 KiB default limit.
    pub fn new() -> Self {
        Self::with_max_message_len(Self::DEFAULT_MAX_MESSAGE_LEN)
    }

    /// A reassembler rejecting declared message lengths above `max`.
    pub fn with_max_message_len(max: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_message_len: max,
            messages: VecDeque::new(),
            error: None,
        }
    }

    /// Adds the payload of one handshake record. Complete messages become
    /// available from [`next_message`](Self::next_message). A declared length
    /// above the limit fails immediately, before its body arrives.
    pub fn push(&mut self, payload: &[u8]) -> Result<(), RecordError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.buf.extend_from_slice(payload);
        let mut at = 0;
        loop {
            let rest = &self.buf[at..];
            if rest.len() < 4 {
                break;
            }
            let typ = HandshakeType::from(rest[0]);
            let len = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) as usize;
            if len > self.max_message_len {
                let e = RecordError::HandshakeTooLong {
                    typ,
                    len,
                    max: self.max_message_len,
                };
                self.error = Some(e.clone());
                self.buf.clear();
                return Err(e);
            }
            if rest.len() < 4 + len {
                break;
            }
            self.messages.push_back(HandshakeMessage {
                typ,
                body: rest[4..4 + len].to_vec(),
            });
            at += 4 + len;
        }
        self.buf.drain(..at);
        Ok(())
    }

    /// The next complete message, if any.
    pub fn next_message(&mut self) -> Option<HandshakeMessage> {
        self.messages.pop_front()
    }

    /// True when part of a message is buffered (a message continues in a later record).
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Number of buffered bytes of an incomplete message.
    pub fn partial_len(&self) -> usize {
        self.buf.len()
    }
}

/// RFC 6520 §4: `enum { heartbeat_request(1), heartbeat_response(2), (255) } HeartbeatMessageType;`
pub const HEARTBEAT_REQUEST: u8 = 1;
/// RFC 6520 §4: heartbeat_response(2).
pub const HEARTBEAT_RESPONSE: u8 = 2;

/// A heartbeat message, kept exactly as sent so that a payload_length larger
/// than the payload (Heartbleed, CVE-2014-0160) is visible.
///
/// RFC 6520 §4:
/// ```text
/// struct {
///    HeartbeatMessageType type;
///    uint16 payload_length;
///    opaque payload[HeartbeatMessage.payload_length];
///    opaque padding[padding_length];
/// } HeartbeatMessage;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatMessage {
    pub typ: u8,
    /// The declared `payload_length`, which may exceed the bytes present.
    pub payload_length: u16,
    /// The payload bytes present (at most `payload_length`).
    pub payload: Vec<u8>,
    /// Bytes after the payload (RFC 6520: at least 16 bytes of random padding).
    pub padding: Vec<u8>,
}

impl HeartbeatMessage {
    /// A request with an honest length and 16 bytes of zero padding.
    pub fn request(payload: &[u8]) -> Self {
        Self {
            typ: HEARTBEAT_REQUEST,
            payload_length: payload.len().min(usize::from(u16::MAX)) as u16,
            payload: payload.to_vec(),
            padding: vec![0; 16],
        }
    }

    /// True when `payload_length` claims more than the bytes present.
    pub fn overstates_length(&self) -> bool {
        usize::from(self.payload_length) > self.payload.len()
    }
}

impl Codec for HeartbeatMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.typ);
        out.extend_from_slice(&self.payload_length.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(&self.padding);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let typ = r.u8().context("HeartbeatMessage.type")?;
        let payload_length = r.u16().context("HeartbeatMessage.payload_length")?;
        let n = usize::from(payload_length).min(r.left());
        let payload = r.take(n)?.to_vec();
        let padding = r.rest().to_vec();
        Ok(Self {
            typ,
            payload_length,
            payload,
            padding,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_splits_and_joins() {
        let mut bytes = write_record(ContentType::Handshake, ProtocolVersion(0x0303), &[1, 2, 3]);
        bytes.extend(write_record(
            ContentType::Alert,
            ProtocolVersion(0x0303),
            &[2, 40],
        ));
        let mut rr = RecordReader::new();
        for b in &bytes {
            rr.push(std::slice::from_ref(b)).unwrap();
        }
        let a = rr.next_record().unwrap().unwrap();
        assert_eq!(a.content_type, ContentType::Handshake);
        assert_eq!(a.payload, [1, 2, 3]);
        let b = rr.next_record().unwrap().unwrap();
        assert_eq!(b.content_type, ContentType::Alert);
        assert!(rr.next_record().unwrap().is_none());
    }

    #[test]
    fn rejects_16mib_style_length() {
        let mut rr = RecordReader::new();
        rr.push(&[22, 3, 3, 0xff, 0xff]).unwrap();
        assert_eq!(
            rr.next_record(),
            Err(RecordError::RecordTooLong {
                len: 65535,
                max: MAX_RECORD_LEN,
                content_type: 22,
                version: 0x0303
            })
        );
    }

    #[test]
    fn write_record_splits() {
        let payload = vec![7u8; MAX_PLAINTEXT_LEN + 10];
        let bytes = write_record(
            ContentType::ApplicationData,
            ProtocolVersion(0x0303),
            &payload,
        );
        assert_eq!(bytes.len(), payload.len() + 10);
        let mut rr = RecordReader::new();
        rr.push(&bytes).unwrap();
        assert_eq!(
            rr.next_record().unwrap().unwrap().payload.len(),
            MAX_PLAINTEXT_LEN
        );
        assert_eq!(rr.next_record().unwrap().unwrap().payload.len(), 10);
    }

    #[test]
    fn reassembler_spans_and_packs() {
        let mut h = HandshakeReassembler::new();
        h.push(&[2, 0, 0, 3, 1]).unwrap();
        assert!(h.next_message().is_none());
        h.push(&[2, 3, 14, 0, 0, 0]).unwrap();
        let m = h.next_message().unwrap();
        assert_eq!(m.typ, HandshakeType::ServerHello);
        assert_eq!(m.body, [1, 2, 3]);
        assert_eq!(
            h.next_message().unwrap().typ,
            HandshakeType::ServerHelloDone
        );
        assert!(!h.has_partial());
        let mut h = HandshakeReassembler::new();
        assert!(matches!(
            h.push(&[11, 0x01, 0, 1]),
            Err(RecordError::HandshakeTooLong { len: 65537, .. })
        ));
    }

    #[test]
    fn heartbeat_keeps_overstated_length() {
        let hb = HeartbeatMessage::read_bytes(&[1, 0x40, 0, 1, 2]).unwrap();
        assert!(hb.overstates_length());
        assert_eq!(hb.payload, [1, 2]);
        assert_eq!(hb.get_encoding(), [1, 0x40, 0, 1, 2]);
    }
}
