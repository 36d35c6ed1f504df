//! Scripted servers that behave on the wire as vulnerable implementations
//! did, so that every vulnerability check of `scan` can be shown to fire:
//!
//! * `legacy-vulnerable` — a server configured in the 2000s: SSL 2.0, SSL
//!   3.0 and TLS 1.0-1.2, RC4, 3DES, export RSA and AES-CBC suites (RSA key
//!   exchange), DEFLATE compression when offered, no renegotiation_info,
//!   TLS_FALLBACK_SCSV ignored.
//! * `implementation-bugs` — TLS 1.2 with RSA key exchange and the famous
//!   implementation bugs: it answers a heartbeat request with as many bytes as
//!   the request claims (Heartbleed), accepts a ChangeCipherSpec before the
//!   key exchange (CCS injection), alerts differently for bad and good
//!   PKCS#1 padding (ROBOT), and echoes 32 bytes of session ID to a short
//!   one sent with a session ticket (Ticketbleed).
//!
//! What they "leak" is their own dummy bytes, never anything of the process.
//! Like [`crate::scripted`], they never complete a handshake: there is no key
//! schedule here. Every read is bounded in bytes and time.

use crate::scripted::fatal_alert_record as alert_record;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wire::codec::Codec;
use wire::handshake::{
    encode_handshake, CertificateMessage, ClientHello, Extension, HandshakeType, ServerHello,
    ServerHelloDone,
};
use wire::record::{
    write_record, ContentType, HandshakeReassembler, HeartbeatMessage, RecordReader,
    HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE,
};
use wire::registry::{AlertDescription, CipherSuite, ExtensionType, ProtocolVersion};
use wire::sslv2::{Ssl2CipherSpec, Ssl2ServerHello};

use crate::pki::Chain;
use crate::LabError;

/// How long a client has to send its hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server waits for the client's next records.
const NEXT_WAIT: Duration = Duration::from_secs(5);
/// Most bytes read from one client.
const MAX_READ: usize = 64 * 1024;

/// What `implementation-bugs` "leaks": its own dummy memory, recognisable.
const DUMMY_MEMORY: &[u8] = b"LAB-DUMMY-MEMORY:nothing-secret-here;";

/// `legacy-vulnerable` suites in server order: RC4, 3DES, export RSA, AES-CBC.
const LEGACY_SUITES: &[u16] = &[0x0005, 0x0004, 0x000a, 0x0003, 0x0008, 0x002f, 0x0035];
/// `implementation-bugs` suites: RSA key exchange, AES-GCM then AES-CBC.
const RSA_SUITES: &[u16] = &[0x009c, 0x002f, 0x0035];
/// SSL 2.0 cipher kinds `legacy-vulnerable` speaks.
const SSL2_SPECS: &[Ssl2CipherSpec] = &[
    Ssl2CipherSpec::RC4_128_WITH_MD5,
    Ssl2CipherSpec::DES_192_EDE3_CBC_WITH_MD5,
    Ssl2CipherSpec::RC4_128_EXPORT40_WITH_MD5,
];

const HANDSHAKE_FAILURE: AlertDescription = AlertDescription(40);
const BAD_RECORD_MAC: AlertDescription = AlertDescription(20);
const UNEXPECTED_MESSAGE: AlertDescription = AlertDescription(10);
const DECODE_ERROR: AlertDescription = AlertDescription(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Legacy,
    Bugs,
}

/// One of the two servers, with its chain (and, for ROBOT, its RSA key).
pub(crate) struct Vulnerable {
    kind: Kind,
    certificates: Vec<Vec<u8>>,
    decrypt: Option<aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey>,
}

/// What the client sent first.
enum FirstMessage {
    Ssl2,
    Hello(ClientHello),
}

impl Vulnerable {
    /// `legacy-vulnerable` or `implementation-bugs`, serving `chain` (RSA).
    pub(crate) fn new(name: &str, chain: &Chain) -> Result<Self, LabError> {
        let kind = match name {
            "legacy-vulnerable" => Kind::Legacy,
            "implementation-bugs" => Kind::Bugs,
            other => {
                return Err(LabError::UnknownServer {
                    name: other.into(),
                    known: "legacy-vulnerable, implementation-bugs".into(),
                })
            }
        };
        let decrypt = if kind == Kind::Bugs {
            let key = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&chain.key_pkcs8).map_err(
                |e| LabError::Certificate {
                    what: "RSA decryption key for implementation-bugs",
                    detail: e.to_string(),
                },
            )?;
            Some(
                aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey::new(key).map_err(|e| {
                    LabError::Certificate {
                        what: "RSA decryption key for implementation-bugs",
                        detail: e.to_string(),
                    }
                })?,
            )
        } else {
            None
        };
        Ok(Self {
            kind,
            certificates: chain.certs.iter().map(|c| c.to_vec()).collect(),
            decrypt,
        })
    }

    /// Serves one connection.
    pub(crate) async fn serve(self: Arc<Self>, mut stream: TcpStream) {
        let mut conn = Reader::default();
        let first = tokio::time::timeout(HELLO_TIMEOUT, conn.first(&mut stream)).await;
        match first {
            Ok(Ok(FirstMessage::Ssl2)) if self.kind == Kind::Legacy => {
                let _ = stream.write_all(&self.ssl2_server_hello()).await;
                conn.drain(&mut stream).await;
            }
            Ok(Ok(FirstMessage::Hello(hello))) => self.tls(&mut stream, &mut conn, &hello).await,
            Ok(Err(Some(alert))) => {
                let _ = stream
                    .write_all(&alert_record(ProtocolVersion::TLS1_0, alert))
                    .await;
            }
            _ => {}
        }
        let _ = stream.shutdown().await;
    }

    fn ssl2_server_hello(&self) -> Vec<u8> {
        let mut connection_id = vec![0u8; 16];
        let _ = aws_lc_rs::rand::fill(&mut connection_id);
        let hello = Ssl2ServerHello {
            session_id_hit: 0,
            certificate_type: 1,
            version: ProtocolVersion::SSL2,
            certificate: self.certificates.first().cloned().unwrap_or_default(),
            cipher_specs: SSL2_SPECS.to_vec(),
            connection_id,
        };
        let mut body = Vec::new();
        hello.encode(&mut body);
        let mut out = ((body.len() as u16) | 0x8000).to_be_bytes().to_vec();
        out.extend(body);
        out
    }

    /// The version this server answers `hello` with, if any.
    fn version(&self, hello: &ClientHello) -> Option<ProtocolVersion> {
        // supported_versions lists TLS 1.3 and maybe older; neither server
        // speaks 1.3, so it answers with the legacy version (capped at 1.2).
        let offered = match hello.supported_versions() {
            Some(list) => list
                .iter()
                .copied()
                .filter(|v| *v <= ProtocolVersion::TLS1_2)
                .max()?,
            None => hello.legacy_version.min(ProtocolVersion::TLS1_2),
        };
        match self.kind {
            Kind::Legacy => (offered >= ProtocolVersion::SSL3).then_some(offered),
            Kind::Bugs => (offered == ProtocolVersion::TLS1_2).then_some(offered),
        }
    }

    async fn tls(&self, stream: &mut TcpStream, conn: &mut Reader, hello: &ClientHello) {
        let Some(version) = self.version(hello) else {
            let _ = stream
                .write_all(&alert_record(
                    ProtocolVersion::TLS1_0,
                    AlertDescription::PROTOCOL_VERSION,
                ))
                .await;
            return;
        };
        let ours = match self.kind {
            Kind::Legacy => LEGACY_SUITES,
            Kind::Bugs => RSA_SUITES,
        };
        let usable = |s: &u16| CipherSuite(*s).info().is_some_and(|i| i.usable_in(version));
        let Some(&suite) = ours
            .iter()
            .filter(|s| usable(s))
            .find(|s| hello.cipher_suites.contains(&CipherSuite(**s)))
        else {
            let _ = stream
                .write_all(&alert_record(version, HANDSHAKE_FAILURE))
                .await;
            return;
        };
        let ticket = match hello.extension(ExtensionType::SESSION_TICKET) {
            Some(Extension::SessionTicket(t)) => Some(t.clone()),
            _ => None,
        };
        if self.kind == Kind::Bugs {
            if let Some(ticket) = ticket.as_ref().filter(|t| !t.is_empty()) {
                if (1..32).contains(&hello.session_id.len()) {
                    let _ = ticket;
                    let _ = stream
                        .write_all(&ticketbleed(version, suite, &hello.session_id))
                        .await;
                    conn.drain(stream).await;
                    return;
                }
            }
        }
        let flight = self.flight(hello, version, suite, ticket.is_some());
        if stream.write_all(&flight).await.is_err() {
            return;
        }
        match self.kind {
            Kind::Legacy => conn.drain(stream).await,
            Kind::Bugs => self.after_flight(stream, conn, version).await,
        }
    }

    fn flight(
        &self,
        hello: &ClientHello,
        version: ProtocolVersion,
        suite: u16,
        client_tickets: bool,
    ) -> Vec<u8> {
        let mut random = [0u8; 32];
        let _ = aws_lc_rs::rand::fill(&mut random);
        let mut extensions = Vec::new();
        let mut compression = 0;
        match self.kind {
            // No renegotiation_info, whatever the client signals; DEFLATE
            // when offered (CRIME).
            Kind::Legacy => {
                if hello.compression_methods.contains(&1) {
                    compression = 1;
                }
            }
            Kind::Bugs => {
                if hello.extension(ExtensionType::RENEGOTIATION_INFO).is_some()
                    || hello.cipher_suites.contains(&CipherSuite(0x00ff))
                {
                    extensions.push(Extension::RenegotiationInfo(Vec::new()));
                }
                if hello.extension(ExtensionType(15)).is_some() {
                    extensions.push(Extension::Heartbeat(1));
                }
                if client_tickets {
                    extensions.push(Extension::SessionTicket(Vec::new()));
                }
            }
        }
        let server_hello = ServerHello {
            legacy_version: version,
            random,
            session_id: Vec::new(),
            cipher_suite: CipherSuite(suite),
            compression_method: compression,
            extensions,
        };
        let mut flight = server_hello.encode_handshake();
        let certificate = CertificateMessage::Tls12 {
            certificates: self.certificates.clone(),
        };
        flight.extend(encode_handshake(
            HandshakeType::Certificate,
            &certificate.get_encoding(),
        ));
        flight.extend(encode_handshake(
            HandshakeType::ServerHelloDone,
            &ServerHelloDone.get_encoding(),
        ));
        write_record(ContentType::Handshake, version, &flight)
    }

    /// `implementation-bugs` after its flight: heartbeats, an early CCS,
    /// the ClientKeyExchange.
    async fn after_flight(
        &self,
        stream: &mut TcpStream,
        conn: &mut Reader,
        version: ProtocolVersion,
    ) {
        let mut early_ccs = false;
        let mut key_exchange_done = false;
        let mut messages = HandshakeReassembler::new();
        loop {
            let record = match tokio::time::timeout(NEXT_WAIT, conn.record(stream)).await {
                Ok(Some(record)) => record,
                _ => return,
            };
            match record.content_type {
                ContentType::Heartbeat => {
                    let Ok(request) = HeartbeatMessage::read_bytes(&record.payload) else {
                        continue;
                    };
                    if request.typ != HEARTBEAT_REQUEST {
                        continue;
                    }
                    // Heartbleed: trust payload_length, copy from "memory"
                    // that starts with the payload and goes on with dummy bytes.
                    let mut memory = request.payload.clone();
                    while memory.len() < usize::from(request.payload_length) {
                        memory.extend_from_slice(DUMMY_MEMORY);
                    }
                    memory.truncate(usize::from(request.payload_length));
                    let response = HeartbeatMessage {
                        typ: HEARTBEAT_RESPONSE,
                        payload_length: request.payload_length,
                        payload: memory,
                        padding: vec![0; 16],
                    };
                    let bytes =
                        write_record(ContentType::Heartbeat, version, &response.get_encoding());
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                ContentType::ChangeCipherSpec => {
                    // CCS injection: taken before the key exchange, silently.
                    if !key_exchange_done {
                        early_ccs = true;
                    }
                }
                ContentType::Handshake if early_ccs || key_exchange_done => {
                    // "Decrypting" with keys the client cannot have: bad MAC.
                    let _ = stream
                        .write_all(&alert_record(version, BAD_RECORD_MAC))
                        .await;
                    return;
                }
                ContentType::Handshake => {
                    if messages.push(&record.payload).is_err() {
                        let _ = stream.write_all(&alert_record(version, DECODE_ERROR)).await;
                        return;
                    }
                    let Some(message) = messages.next_message() else {
                        continue;
                    };
                    if message.typ != HandshakeType::ClientKeyExchange {
                        let _ = stream
                            .write_all(&alert_record(version, UNEXPECTED_MESSAGE))
                            .await;
                        return;
                    }
                    if !self.padding_ok(&message.body) {
                        // ROBOT: bad padding is told apart at once.
                        let _ = stream
                            .write_all(&alert_record(version, HANDSHAKE_FAILURE))
                            .await;
                        return;
                    }
                    key_exchange_done = true;
                }
                _ => {
                    let _ = stream
                        .write_all(&alert_record(version, UNEXPECTED_MESSAGE))
                        .await;
                    return;
                }
            }
        }
    }

    /// Whether the ClientKeyExchange's RSA block has valid PKCS#1 v1.5 padding.
    fn padding_ok(&self, body: &[u8]) -> bool {
        let Some(key) = &self.decrypt else {
            return false;
        };
        let ciphertext = match body {
            [hi, lo, rest @ ..] if usize::from(u16::from_be_bytes([*hi, *lo])) == rest.len() => {
                rest
            }
            other => other,
        };
        let mut out = vec![0u8; key.min_output_size()];
        key.decrypt(ciphertext, &mut out).is_ok()
    }
}

/// Ticketbleed: a resumption ServerHello whose session ID is the client's
/// short one padded to 32 bytes with dummy memory, then ChangeCipherSpec and
/// a Finished the client cannot read.
fn ticketbleed(version: ProtocolVersion, suite: u16, session_id: &[u8]) -> Vec<u8> {
    let mut echoed = session_id.to_vec();
    echoed.extend(
        DUMMY_MEMORY
            .iter()
            .copied()
            .cycle()
            .take(32 - session_id.len()),
    );
    let mut random = [0u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut random);
    let hello = ServerHello {
        legacy_version: version,
        random,
        session_id: echoed,
        cipher_suite: CipherSuite(suite),
        compression_method: 0,
        extensions: vec![Extension::RenegotiationInfo(Vec::new())],
    };
    let mut out = write_record(ContentType::Handshake, version, &hello.encode_handshake());
    out.extend(write_record(ContentType::ChangeCipherSpec, version, &[1]));
    let mut finished = [0u8; 40];
    let _ = aws_lc_rs::rand::fill(&mut finished);
    out.extend(write_record(ContentType::Handshake, version, &finished));
    out
}

/// Bounded reading of the client's records.
#[derive(Default)]
struct Reader {
    records: RecordReader,
    read: usize,
}

impl Reader {
    async fn fill(&mut self, stream: &mut TcpStream) -> bool {
        let mut buf = [0u8; 4096];
        match stream.read(&mut buf).await {
            Ok(n) if n > 0 && self.read + n <= MAX_READ => {
                self.read += n;
                self.records.push(&buf[..n]).is_ok()
            }
            _ => false,
        }
    }

    /// The client's first message: an SSL 2.0 CLIENT-HELLO or a ClientHello.
    async fn first(
        &mut self,
        stream: &mut TcpStream,
    ) -> Result<FirstMessage, Option<AlertDescription>> {
        let mut messages = HandshakeReassembler::new();
        loop {
            if !self.fill(stream).await {
                return Err(None);
            }
            let pending = self.records.pending();
            if pending.first().is_some_and(|b| b & 0x80 != 0) {
                return match wire::sslv2::read_record(pending) {
                    Ok(Some((body, _))) if body.first() == Some(&wire::sslv2::MSG_CLIENT_HELLO) => {
                        Ok(FirstMessage::Ssl2)
                    }
                    Ok(None) => continue,
                    _ => Err(None),
                };
            }
            while let Some(record) = self.records.next_record().map_err(|_| None)? {
                if record.content_type != ContentType::Handshake {
                    return Err(Some(UNEXPECTED_MESSAGE));
                }
                messages
                    .push(&record.payload)
                    .map_err(|_| Some(DECODE_ERROR))?;
                if let Some(message) = messages.next_message() {
                    if message.typ != HandshakeType::ClientHello {
                        return Err(Some(UNEXPECTED_MESSAGE));
                    }
                    return ClientHello::read_bytes(&message.body)
                        .map(FirstMessage::Hello)
                        .map_err(|_| Some(DECODE_ERROR));
                }
            }
        }
    }

    async fn record(&mut self, stream: &mut TcpStream) -> Option<wire::record::Record> {
        loop {
            if let Some(record) = self.records.next_record().ok()? {
                return Some(record);
            }
            if !self.fill(stream).await {
                return None;
            }
        }
    }

    /// Reads (and ignores) what the client sends next, briefly.
    async fn drain(&mut self, stream: &mut TcpStream) {
        let wait = async { while self.fill(stream).await {} };
        let _ = tokio::time::timeout(Duration::from_secs(3), wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticketbleed_echo_is_32_bytes_starting_with_the_client_id() {
        let bytes = ticketbleed(ProtocolVersion::TLS1_2, 0x002f, &[0x5a]);
        let record = wire::record::Record::read(&mut wire::codec::Reader::new(&bytes)).unwrap();
        let sh = ServerHello::read_bytes(&record.payload[4..]).unwrap();
        assert_eq!(sh.session_id.len(), 32);
        assert_eq!(sh.session_id[0], 0x5a);
        assert_eq!(&sh.session_id[1..5], b"LAB-");
    }
}
