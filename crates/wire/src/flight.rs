//! The server's first flight, parsed sans-IO: a probe pushes whatever bytes the
//! server sent and pulls [`ServerEvent`]s, until [`ServerFlight::is_complete`]
//! says there is nothing more worth reading.
//!
//! This module recognises a peer that does not speak TLS at all (an HTTP or SSH
//! banner), SSL 2.0 replies, plaintext TLS messages up to ServerHelloDone, and
//! stops parsing at encryption (TLS 1.3 after ServerHello, TLS ≤ 1.2 after
//! ChangeCipherSpec), where records are only counted. It never does I/O and
//! never judges what it sees.

use std::collections::VecDeque;

use crate::alert::Alert;
use crate::codec::{Codec, DecodeError, Reader};
use crate::handshake::{
    CertificateMessage, CertificateRequest, CertificateRequestForm, CertificateStatus,
    HandshakeType, KeyExchangeKind, NewSessionTicket, ServerHello, ServerHelloDone,
    ServerKeyExchange,
};
use crate::record::{
    ContentType, HandshakeReassembler, HeartbeatMessage, Record, RecordError, RecordReader,
};
use crate::registry::{CipherSuite, ProtocolVersion};
use crate::sslv2::{self, Ssl2Message, Ssl2ServerHello};

/// How many first bytes `NotTls` keeps.
pub const NOT_TLS_KEEP: usize = 64;

/// Why part of the flight could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlightError {
    /// The record layer failed (oversized record or handshake message); terminal.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// One handshake message did not parse; later messages are still read.
    #[error("malformed {typ:?} message: {error}")]
    Handshake {
        typ: HandshakeType,
        error: DecodeError,
    },
    /// An alert record was not a whole number of 2-byte alerts.
    #[error("malformed alert record: {0}")]
    Alert(DecodeError),
    /// A heartbeat record did not parse.
    #[error("malformed heartbeat record: {0}")]
    Heartbeat(DecodeError),
    /// An SSL 2.0 reply did not parse; terminal.
    #[error("malformed SSLv2 reply: {0}")]
    Ssl2(DecodeError),
}

/// Something the server sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    ServerHello(ServerHello),
    /// A ServerHello with the HelloRetryRequest random (RFC 8446 §4.1.3).
    HelloRetryRequest(ServerHello),
    Certificate(CertificateMessage),
    ServerKeyExchange(ServerKeyExchange),
    CertificateRequest(CertificateRequest),
    ServerHelloDone,
    CertificateStatus(CertificateStatus),
    NewSessionTicket(NewSessionTicket),
    Alert(Alert),
    ChangeCipherSpec,
    /// A record sent under encryption (not parsed). `count` is this record's
    /// 1-based number among encrypted records.
    Encrypted {
        content_type: ContentType,
        len: usize,
        count: usize,
    },
    Heartbeat(HeartbeatMessage),
    /// Another plaintext handshake message (HelloRequest, EncryptedExtensions
    /// sent in clear, ...), kept raw.
    Handshake {
        typ: HandshakeType,
        body: Vec<u8>,
    },
    /// A record of an unknown content type.
    UnknownRecord {
        content_type: u8,
        version: ProtocolVersion,
        len: usize,
    },
    /// An SSL 2.0 SERVER-HELLO.
    Ssl2ServerHello(Ssl2ServerHello),
    /// An SSL 2.0 ERROR message with its code.
    Ssl2Error(u16),
    /// The peer's first bytes are not a TLS or SSL 2.0 record (up to 64 bytes
    /// kept, e.g. `HTTP/1.1 400`, `SSH-2.0-`). Terminal.
    NotTls {
        first_bytes: Vec<u8>,
    },
    /// Bytes that could not be parsed (see [`FlightError`] for which are terminal).
    Malformed(FlightError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Detect,
    Tls,
    Ssl2,
    Stopped,
}

/// Sans-IO parser of a server's reply to a ClientHello.
#[derive(Debug)]
pub struct ServerFlight {
    mode: Mode,
    detect: Vec<u8>,
    records: RecordReader,
    handshake: HandshakeReassembler,
    ssl2_buf: Vec<u8>,
    events: VecDeque<ServerEvent>,
    version: Option<ProtocolVersion>,
    suite: Option<CipherSuite>,
    encrypted: bool,
    encrypted_count: usize,
    complete: bool,
    bytes_seen: usize,
    record_versions: Vec<ProtocolVersion>,
}

impl Default for ServerFlight {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerFlight {
    /// A parser accepting handshake messages up to 256 KiB (long chains).
    pub fn new() -> Self {
        Self::with_max_handshake_len(HandshakeReassembler::LARGE_MAX_MESSAGE_LEN)
    }

    /// A parser rejecting handshake messages longer than `max`.
    pub fn with_max_handshake_len(max: usize) -> Self {
        Self {
            mode: Mode::Detect,
            detect: Vec::new(),
            records: RecordReader::new().with_max_buffered(max + 2 * 16_384 + 4096),
            handshake: HandshakeReassembler::with_max_message_len(max),
            ssl2_buf: Vec::new(),
            events: VecDeque::new(),
            version: None,
            suite: None,
            encrypted: false,
            encrypted_count: 0,
            complete: false,
            bytes_seen: 0,
            record_versions: Vec::new(),
        }
    }

    /// Feeds bytes received from the server. Events become available from
    /// [`next_event`](Self::next_event).
    pub fn push(&mut self, data: &[u8]) {
        self.bytes_seen = self.bytes_seen.saturating_add(data.len());
        match self.mode {
            Mode::Stopped => {}
            Mode::Detect => {
                self.detect.extend_from_slice(data);
                self.detect_protocol();
            }
            Mode::Tls => self.push_tls(data),
            Mode::Ssl2 => self.push_ssl2(data),
        }
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Drains all pending events.
    pub fn drain_events(&mut self) -> Vec<ServerEvent> {
        self.events.drain(..).collect()
    }

    /// True when the probe can stop reading: ServerHelloDone, a
    /// HelloRetryRequest, the first encrypted record, a fatal alert, an SSL 2.0
    /// reply, a non-TLS peer, or a terminal parse error.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The version chosen by the ServerHello, once seen.
    pub fn negotiated_version(&self) -> Option<ProtocolVersion> {
        self.version
    }

    /// The suite chosen by the ServerHello, once seen.
    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.suite
    }

    /// Encrypted records seen so far.
    pub fn encrypted_records(&self) -> usize {
        self.encrypted_count
    }

    /// Total bytes pushed.
    pub fn bytes_seen(&self) -> usize {
        self.bytes_seen
    }

    /// The `legacy_record_version` of each TLS record, in order.
    pub fn record_versions(&self) -> &[ProtocolVersion] {
        &self.record_versions
    }

    fn stop(&mut self, event: ServerEvent) {
        self.events.push_back(event);
        self.mode = Mode::Stopped;
        self.complete = true;
    }

    fn detect_protocol(&mut self) {
        let b = std::mem::take(&mut self.detect);
        let tls = match b.as_slice() {
            [] => None,
            [t] if (20..=24).contains(t) => None,
            [t, 3, ..] if (20..=24).contains(t) => Some(Mode::Tls),
            [h, ..] if h & 0x80 != 0 => match b.as_slice() {
                [_] | [_, _] => None,
                _ if sslv2::looks_like_ssl2_reply(&b) => Some(Mode::Ssl2),
                _ => Some(Mode::Stopped),
            },
            _ => Some(Mode::Stopped),
        };
        match tls {
            None => self.detect = b,
            Some(Mode::Tls) => {
                self.mode = Mode::Tls;
                self.push_tls(&b);
            }
            Some(Mode::Ssl2) => {
                self.mode = Mode::Ssl2;
                self.push_ssl2(&b);
            }
            Some(_) => self.stop(ServerEvent::NotTls {
                first_bytes: b[..b.len().min(NOT_TLS_KEEP)].to_vec(),
            }),
        }
    }

    fn push_ssl2(&mut self, data: &[u8]) {
        let room = (sslv2::MAX_RECORD_LEN_2 + 3).saturating_sub(self.ssl2_buf.len());
        self.ssl2_buf
            .extend_from_slice(&data[..data.len().min(room)]);
        match sslv2::read_record(&self.ssl2_buf) {
            Ok(None) => {}
            Ok(Some((body, _))) => {
                let event = match Ssl2Message::read_bytes(body) {
                    Ok(Ssl2Message::ServerHello(sh)) => ServerEvent::Ssl2ServerHello(sh),
                    Ok(Ssl2Message::Error(code)) => ServerEvent::Ssl2Error(code),
                    Err(e) => ServerEvent::Malformed(FlightError::Ssl2(e)),
                };
                self.stop(event);
            }
            Err(e) => self.stop(ServerEvent::Malformed(FlightError::Ssl2(e))),
        }
    }

    fn push_tls(&mut self, data: &[u8]) {
        if let Err(e) = self.records.push(data) {
            self.stop(ServerEvent::Malformed(e.into()));
            return;
        }
        loop {
            match self.records.next_record() {
                Ok(Some(record)) => {
                    self.on_record(record);
                    if self.mode == Mode::Stopped {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    self.stop(ServerEvent::Malformed(e.into()));
                    return;
                }
            }
        }
    }

    fn on_record(&mut self, record: Record) {
        self.record_versions.push(record.version);
        let is_plain_alert = record.content_type == ContentType::Alert && record.payload.len() == 2;
        if self.encrypted
            && !matches!(record.content_type, ContentType::ChangeCipherSpec)
            && !is_plain_alert
        {
            self.encrypted_count += 1;
            self.complete = true;
            self.events.push_back(ServerEvent::Encrypted {
                content_type: record.content_type,
                len: record.payload.len(),
                count: self.encrypted_count,
            });
            return;
        }
        match record.content_type {
            ContentType::Handshake => {
                if let Err(e) = self.handshake.push(&record.payload) {
                    self.stop(ServerEvent::Malformed(e.into()));
                    return;
                }
                while let Some(msg) = self.handshake.next_message() {
                    self.on_handshake(msg.typ, msg.body);
                }
            }
            ContentType::Alert => {
                let mut r = Reader::new(&record.payload);
                while !r.is_empty() {
                    match Alert::read(&mut r) {
                        Ok(alert) => {
                            if alert.is_fatal() || alert.is_close_notify() {
                                self.complete = true;
                            }
                            self.events.push_back(ServerEvent::Alert(alert));
                        }
                        Err(e) => {
                            self.events
                                .push_back(ServerEvent::Malformed(FlightError::Alert(e)));
                            break;
                        }
                    }
                }
            }
            ContentType::ChangeCipherSpec => {
                self.events.push_back(ServerEvent::ChangeCipherSpec);
                if self.version != Some(ProtocolVersion(0x0304)) {
                    self.encrypted = true;
                }
            }
            ContentType::ApplicationData => {
                self.encrypted_count += 1;
                self.complete = true;
                self.events.push_back(ServerEvent::Encrypted {
                    content_type: record.content_type,
                    len: record.payload.len(),
                    count: self.encrypted_count,
                });
            }
            ContentType::Heartbeat => {
                let event = match HeartbeatMessage::read_bytes(&record.payload) {
                    Ok(hb) => ServerEvent::Heartbeat(hb),
                    Err(e) => ServerEvent::Malformed(FlightError::Heartbeat(e)),
                };
                self.events.push_back(event);
            }
            ContentType::Unknown(t) => self.events.push_back(ServerEvent::UnknownRecord {
                content_type: t,
                version: record.version,
                len: record.payload.len(),
            }),
        }
    }

    fn on_handshake(&mut self, typ: HandshakeType, body: Vec<u8>) {
        let version = self.version.unwrap_or(ProtocolVersion(0x0303));
        let tls13 = version == ProtocolVersion(0x0304);
        let parsed: Result<ServerEvent, DecodeError> = match typ {
            HandshakeType::ServerHello => ServerHello::read_bytes(&body).map(|sh| {
                if sh.is_hello_retry_request() {
                    self.complete = true;
                    ServerEvent::HelloRetryRequest(sh)
                } else {
                    let v = sh.selected_version();
                    self.version = Some(v);
                    self.suite = Some(sh.cipher_suite);
                    if v == ProtocolVersion(0x0304) {
                        self.encrypted = true;
                    }
                    ServerEvent::ServerHello(sh)
                }
            }),
            HandshakeType::Certificate => {
                CertificateMessage::read_bytes(&body, tls13).map(ServerEvent::Certificate)
            }
            HandshakeType::ServerKeyExchange => {
                match self.suite.and_then(KeyExchangeKind::for_suite) {
                    Some(kind) => ServerKeyExchange::read_bytes(&body, kind, version)
                        .map(ServerEvent::ServerKeyExchange),
                    None => Ok(ServerEvent::ServerKeyExchange(ServerKeyExchange::Unknown(
                        body.clone(),
                    ))),
                }
            }
            HandshakeType::CertificateRequest => {
                let form = if tls13 {
                    CertificateRequestForm::Tls13
                } else if version.0 >= 0x0303 {
                    CertificateRequestForm::Tls12
                } else {
                    CertificateRequestForm::Tls10
                };
                CertificateRequest::read_bytes(&body, form).map(ServerEvent::CertificateRequest)
            }
            HandshakeType::ServerHelloDone => ServerHelloDone::read_bytes(&body).map(|_| {
                self.complete = true;
                ServerEvent::ServerHelloDone
            }),
            HandshakeType::CertificateStatus => {
                CertificateStatus::read_bytes(&body).map(ServerEvent::CertificateStatus)
            }
            HandshakeType::NewSessionTicket => {
                NewSessionTicket::read_bytes(&body, tls13).map(ServerEvent::NewSessionTicket)
            }
            _ => Ok(ServerEvent::Handshake {
                typ,
                body: body.clone(),
            }),
        };
        let event = parsed.unwrap_or_else(|error| {
            if typ == HandshakeType::ServerHelloDone {
                self.complete = true;
            }
            ServerEvent::Malformed(FlightError::Handshake { typ, error })
        });
        self.events.push_back(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::write_record;

    #[test]
    fn ssl2_detection_waits_for_three_bytes() {
        let mut f = ServerFlight::new();
        f.push(&[0x80]);
        assert!(f.next_event().is_none());
        f.push(&[0x03]);
        assert!(f.next_event().is_none());
        f.push(&[0x00, 0x00, 0x01]);
        assert_eq!(f.next_event(), Some(ServerEvent::Ssl2Error(1)));
        assert!(f.is_complete());
    }

    #[test]
    fn http_banner_is_not_tls() {
        let mut f = ServerFlight::new();
        f.push(b"HTTP/1.1 400 Bad Request\r\n");
        assert!(f.is_complete());
        match f.next_event() {
            Some(ServerEvent::NotTls { first_bytes }) => {
                assert!(first_bytes.starts_with(b"HTTP/1.1 400"))
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn alert_byte_by_byte() {
        let bytes = write_record(ContentType::Alert, ProtocolVersion(0x0303), &[2, 40]);
        let mut f = ServerFlight::new();
        for b in &bytes {
            f.push(std::slice::from_ref(b));
        }
        assert!(f.is_complete());
        let Some(ServerEvent::Alert(a)) = f.next_event() else {
            panic!()
        };
        assert_eq!(a.description.0, 40);
    }

    #[test]
    fn huge_record_is_malformed() {
        let mut f = ServerFlight::new();
        f.push(&[22, 3, 3, 0xff, 0xff, 0]);
        assert!(f.is_complete());
        assert!(matches!(
            f.next_event(),
            Some(ServerEvent::Malformed(FlightError::Record(
                RecordError::RecordTooLong { len: 65535, .. }
            )))
        ));
    }
}
