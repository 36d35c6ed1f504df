//! Vulnerability probes that need more than one flight: a crafted hello,
//! the server's first flight, then one more message chosen so that a
//! vulnerable server answers differently from a patched one (Heartbleed, CCS
//! injection, ROBOT), and Ticketbleed's resumption with a short session ID.
//!
//! Records what happened and never judges. Every message sent is safe: an
//! over-long heartbeat claim of 1 KiB, a ChangeCipherSpec, RSA ciphertexts
//! under the server's own public key, a session ticket the server issued.
//! Nothing here is designed to crash a server. Every read is bounded in
//! bytes and time.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use model::{
    Bytes, FlightEnd, FollowUpObservation, HeartbeatObservation, HelloSpec, RsaPadding,
    ServerFlight, Target, VulnProbe,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wire::codec::Codec;
use wire::flight::ServerEvent;
use wire::handshake::{encode_handshake, HandshakeType, NewSessionTicket, ServerHello};
use wire::record::{write_record, ContentType, HeartbeatMessage};
use wire::registry::{CipherSuite, ExtensionType, KeyExchange, ProtocolVersion};
use wire::tls12::kx::{RsaPublicKey, MAX_EXPONENT_BITS, MAX_MODULUS_BITS};

use crate::hello::FlightRecorder;
use crate::ProbeOptions;

/// How long to wait for the server's reaction to a follow-up message: a
/// patched server that discards a message stays silent, so this is also the
/// price of every "no answer".
const FOLLOW_UP_WAIT: Duration = Duration::from_secs(2);
/// Never read more than this after the follow-up.
const MAX_FOLLOW_UP: usize = 64 * 1024;
/// Never read more than this for a first flight.
const MAX_FLIGHT: usize = 128 * 1024;

/// Runs one vulnerability probe over `stream` (Ticketbleed opens a second
/// connection to the same address); `past_go_ahead` is what a STARTTLS
/// dialogue read past the server's go-ahead.
pub(crate) async fn run(
    stream: TcpStream,
    past_go_ahead: &[u8],
    target: &Target,
    addresses: &[IpAddr],
    probe: &VulnProbe,
    options: &ProbeOptions,
) -> ServerFlight {
    match probe {
        VulnProbe::Heartbeat {
            hello,
            payload,
            payload_length,
        } => heartbeat(stream, hello, payload, *payload_length, options.timeout).await,
        VulnProbe::EarlyCcs { hello } => early_ccs(stream, hello, options.timeout).await,
        VulnProbe::RsaPadding { hello, padding } => {
            rsa_padding(stream, hello, *padding, options.timeout).await
        }
        VulnProbe::TicketEcho { hello, session_id } => {
            ticket_echo(stream, target, addresses, hello, session_id, options).await
        }
        VulnProbe::Renegotiate { hello } => {
            crate::renegotiation::renegotiate(stream, hello, options.timeout).await
        }
        VulnProbe::StartTlsInjection { command, sni } => {
            if !crate::injection::injectable(command) {
                return crate::injection::skipped(
                    "the command to inject is not one line of printable ASCII",
                );
            }
            crate::injection::starttls_injection(
                stream,
                past_go_ahead,
                command,
                sni.as_deref(),
                target,
                options,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------- connection

/// A connection after the server's first flight.
struct Conn {
    stream: TcpStream,
    /// Sees every byte the server sends, first flight and after.
    parser: wire::flight::ServerFlight,
    /// The model's view of the first flight.
    flight: ServerFlight,
    server_hello: Option<ServerHello>,
    certificates: Vec<Vec<u8>>,
    hello_done: bool,
    /// The server sent ChangeCipherSpec before any Certificate (resumption).
    resumed: bool,
    /// The connection is over (closed, reset, fatal alert, not TLS).
    over: bool,
    /// The last heartbeat message after the follow-up.
    last_heartbeat: Option<HeartbeatMessage>,
}

impl Conn {
    /// A connection whose hello could not even be sent.
    fn failed(stream: TcpStream, end: FlightEnd) -> Conn {
        Conn {
            stream,
            parser: wire::flight::ServerFlight::new(),
            flight: ServerFlight {
                end,
                ..Default::default()
            },
            server_hello: None,
            certificates: Vec::new(),
            hello_done: false,
            resumed: false,
            over: true,
            last_heartbeat: None,
        }
    }

    /// Sends `hello` and reads the first flight.
    async fn open(mut stream: TcpStream, hello: &[u8], timeout: Duration) -> Conn {
        let mut conn = Conn {
            parser: wire::flight::ServerFlight::new(),
            flight: ServerFlight::default(),
            server_hello: None,
            certificates: Vec::new(),
            hello_done: false,
            resumed: false,
            over: false,
            last_heartbeat: None,
            stream: {
                if let Err(e) = write(&mut stream, hello, timeout).await {
                    return Conn::failed(stream, io_end(&e));
                }
                stream
            },
        };
        let mut recorder = FlightRecorder::default();
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 8192];
        let mut received = 0usize;
        let end = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break FlightEnd::Timeout;
            }
            match tokio::time::timeout(remaining, conn.stream.read(&mut chunk)).await {
                Err(_) => break FlightEnd::Timeout,
                Ok(Ok(0)) => {
                    conn.over = true;
                    break FlightEnd::Closed;
                }
                Ok(Ok(n)) => {
                    received += n;
                    recorder.push(&chunk[..n]);
                    conn.parser.push(&chunk[..n]);
                    conn.first_flight_events();
                    if conn.parser.is_complete() || recorder.finished() {
                        break FlightEnd::Complete;
                    }
                    if received >= MAX_FLIGHT {
                        conn.over = true;
                        break FlightEnd::Malformed {
                            message: format!("{received} bytes without a complete first flight"),
                        };
                    }
                }
                Ok(Err(e)) => {
                    conn.over = true;
                    break io_end(&e);
                }
            }
        };
        conn.flight = recorder.finish(end);
        if matches!(
            conn.flight.end,
            FlightEnd::Alert | FlightEnd::NotTls | FlightEnd::Malformed { .. }
        ) {
            conn.over = true;
        }
        conn
    }

    fn first_flight_events(&mut self) {
        for event in self.parser.drain_events() {
            match event {
                ServerEvent::ServerHello(sh) => self.server_hello = Some(sh),
                ServerEvent::Certificate(c) => {
                    self.certificates = c.certificates().into_iter().map(|c| c.to_vec()).collect()
                }
                ServerEvent::ServerHelloDone => self.hello_done = true,
                ServerEvent::ChangeCipherSpec
                    if self.certificates.is_empty() && !self.hello_done =>
                {
                    self.resumed = true;
                }
                _ => {}
            }
        }
    }

    /// The negotiated version (the record version of what we send next).
    fn version(&self) -> ProtocolVersion {
        self.server_hello
            .as_ref()
            .map(|s| s.selected_version())
            .unwrap_or(ProtocolVersion::TLS1_2)
    }

    fn suite(&self) -> Option<CipherSuite> {
        self.server_hello.as_ref().map(|s| s.cipher_suite)
    }

    /// Sends `bytes` and records what the server does next, until a fatal
    /// alert, the end of the connection, `stop` says so, or the wait is over.
    async fn follow_up(
        &mut self,
        bytes: &[u8],
        what: &[&str],
        f: &mut FollowUpObservation,
        timeout: Duration,
        stop: impl Fn(&FollowUpObservation) -> bool,
    ) {
        f.sent.extend(what.iter().map(|s| s.to_string()));
        if let Err(e) = write(&mut self.stream, bytes, timeout).await {
            f.end = io_end(&e);
            self.over = true;
            return;
        }
        let deadline = Instant::now() + FOLLOW_UP_WAIT.min(timeout);
        let mut chunk = [0u8; 8192];
        f.end = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break FlightEnd::Timeout;
            }
            match tokio::time::timeout(remaining, self.stream.read(&mut chunk)).await {
                Err(_) => break FlightEnd::Timeout,
                Ok(Ok(0)) => {
                    self.over = true;
                    break FlightEnd::Closed;
                }
                Ok(Ok(n)) => {
                    f.bytes_received += n as u64;
                    self.parser.push(&chunk[..n]);
                    if self.follow_up_events(f) {
                        self.over = true;
                        break FlightEnd::Alert;
                    }
                    if stop(f) {
                        break FlightEnd::Complete;
                    }
                    if f.bytes_received as usize >= MAX_FOLLOW_UP {
                        self.over = true;
                        break FlightEnd::Malformed {
                            message: format!("{} bytes after the follow-up", f.bytes_received),
                        };
                    }
                }
                Ok(Err(e)) => {
                    self.over = true;
                    break io_end(&e);
                }
            }
        };
    }

    /// Records the events after a follow-up; true on a fatal alert.
    fn follow_up_events(&mut self, f: &mut FollowUpObservation) -> bool {
        let mut fatal = false;
        for event in self.parser.drain_events() {
            match event {
                ServerEvent::Alert(alert) => {
                    if f.alerts.len() < 16 {
                        f.alerts.push(model::AlertObservation {
                            level: alert.level.to_u8(),
                            description: alert.description.0,
                        });
                    }
                    fatal |= alert.is_fatal();
                }
                ServerEvent::Heartbeat(hb) => {
                    if f.heartbeats.len() < 4 {
                        f.heartbeats.push(HeartbeatObservation {
                            typ: hb.typ,
                            payload_length: hb.payload_length,
                            record_len: (hb.payload.len() + hb.padding.len()) as u32,
                            echoes_payload: false,
                        });
                    }
                    self.last_heartbeat = Some(hb);
                }
                other => {
                    if f.records.len() < 16 {
                        f.records.push(event_name(&other));
                    }
                }
            }
        }
        fatal
    }
}

fn event_name(event: &ServerEvent) -> String {
    match event {
        ServerEvent::ChangeCipherSpec => "change_cipher_spec".into(),
        ServerEvent::Encrypted {
            content_type, len, ..
        } => format!(
            "encrypted record type {} ({len} bytes)",
            content_type.to_u8()
        ),
        ServerEvent::Handshake { typ, .. } => format!("handshake message {typ:?}"),
        ServerEvent::Malformed(e) => format!("malformed: {e}"),
        other => format!("{other:?}").chars().take(60).collect(),
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8], timeout: Duration) -> std::io::Result<()> {
    tokio::time::timeout(timeout, stream.write_all(bytes))
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "write timed out",
            ))
        })
}

fn io_end(e: &std::io::Error) -> FlightEnd {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => FlightEnd::Reset,
        std::io::ErrorKind::TimedOut => FlightEnd::Timeout,
        _ => FlightEnd::Closed,
    }
}

fn random(buf: &mut [u8]) {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    if provider.secure_random.fill(buf).is_err() {
        // Not secret: the bytes only need to differ between runs.
        let seed = Instant::now().elapsed().subsec_nanos();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed as usize).wrapping_add(i * 131) as u8;
        }
    }
}

/// The first flight did not reach ServerHelloDone: why, for `skipped`.
fn no_done(conn: &Conn) -> String {
    if conn.server_hello.is_none() {
        "no ServerHello".into()
    } else if conn.resumed {
        "the server resumed a session".into()
    } else {
        format!(
            "the first flight ended without ServerHelloDone ({:?})",
            conn.flight.end
        )
    }
}

fn finish(mut conn: Conn, f: FollowUpObservation) -> ServerFlight {
    conn.flight.follow_up = Some(f);
    conn.flight
}

// ---------------------------------------------------------------- Heartbleed

async fn heartbeat(
    stream: TcpStream,
    spec: &HelloSpec,
    payload: &[u8],
    payload_length: u16,
    timeout: Duration,
) -> ServerFlight {
    let mut conn = Conn::open(stream, &crate::hello::build(spec), timeout).await;
    let mut f = FollowUpObservation::default();
    let negotiated = conn
        .server_hello
        .as_ref()
        .is_some_and(|sh| sh.extensions.iter().any(|e| e.typ() == ExtensionType(15)));
    if conn.server_hello.is_none() || conn.over {
        f.skipped = Some(no_done(&conn));
        return finish(conn, f);
    }
    if !negotiated {
        f.skipped = Some("the server did not negotiate the heartbeat extension".into());
        return finish(conn, f);
    }
    let request = HeartbeatMessage {
        typ: wire::record::HEARTBEAT_REQUEST,
        payload_length,
        payload: payload.to_vec(),
        padding: vec![0; 16],
    };
    let record = write_record(
        ContentType::Heartbeat,
        conn.version(),
        &request.get_encoding(),
    );
    conn.follow_up(&record, &["heartbeat_request"], &mut f, timeout, |f| {
        !f.heartbeats.is_empty()
    })
    .await;
    if let (Some(hb), Some(obs)) = (conn.last_heartbeat.take(), f.heartbeats.last_mut()) {
        obs.echoes_payload = hb.payload.starts_with(payload);
    }
    finish(conn, f)
}

// ---------------------------------------------------------------- CCS injection

async fn early_ccs(stream: TcpStream, spec: &HelloSpec, timeout: Duration) -> ServerFlight {
    let mut conn = Conn::open(stream, &crate::hello::build(spec), timeout).await;
    let mut f = FollowUpObservation::default();
    if !conn.hello_done || conn.over {
        f.skipped = Some(no_done(&conn));
        return finish(conn, f);
    }
    let version = conn.version();
    let ccs = write_record(ContentType::ChangeCipherSpec, version, &[1]);
    conn.follow_up(&ccs, &["change_cipher_spec"], &mut f, timeout, |_| false)
        .await;
    if conn.over || !f.alerts.is_empty() || f.end != FlightEnd::Timeout {
        return finish(conn, f);
    }
    // Silence: a server that took the CCS now decrypts with keys from an
    // empty master secret; 32 bytes of garbage show whether it tries.
    let mut garbage = [0u8; 32];
    random(&mut garbage);
    let record = write_record(ContentType::Handshake, version, &garbage);
    let mut second = FollowUpObservation::default();
    conn.follow_up(&record, &["handshake_record"], &mut second, timeout, |_| {
        false
    })
    .await;
    f.sent.extend(second.sent);
    f.alerts.extend(second.alerts);
    f.records.extend(second.records);
    f.bytes_received += second.bytes_received;
    f.end = second.end;
    finish(conn, f)
}

// ---------------------------------------------------------------- ROBOT

async fn rsa_padding(
    stream: TcpStream,
    spec: &HelloSpec,
    padding: RsaPadding,
    timeout: Duration,
) -> ServerFlight {
    let mut conn = Conn::open(stream, &crate::hello::build(spec), timeout).await;
    let mut f = FollowUpObservation::default();
    if !conn.hello_done || conn.over {
        f.skipped = Some(no_done(&conn));
        return finish(conn, f);
    }
    let rsa_kx = conn
        .suite()
        .and_then(|s| s.info())
        .is_some_and(|i| i.kx == KeyExchange::Rsa);
    if !rsa_kx {
        f.skipped = Some("the server chose a suite without RSA key exchange".into());
        return finish(conn, f);
    }
    // The key's size is checked before any arithmetic (wire's bounds).
    let key = match conn
        .certificates
        .first()
        .map(|c| RsaPublicKey::from_certificate(c))
    {
        Some(Ok(Some(key))) => key,
        Some(Err(too_large)) => {
            f.skipped = Some(format!(
                "key too large: {too_large} (tested up to {MAX_MODULUS_BITS}-bit moduli and {MAX_EXPONENT_BITS}-bit exponents)"
            ));
            return finish(conn, f);
        }
        _ => {
            f.skipped = Some("the leaf certificate has no RSA key".into());
            return finish(conn, f);
        }
    };
    let client_version = spec
        .versions
        .iter()
        .copied()
        .max()
        .unwrap_or(ProtocolVersion::TLS1_2);
    let block = pkcs1_block(key.len(), client_version, padding);
    // Bounded above, but still CPU work on the peer's numbers: off the
    // async runtime, under the deadline.
    let encryption = tokio::task::spawn_blocking(move || key.encrypt_raw(&block));
    let encrypted = match tokio::time::timeout(timeout, encryption).await {
        Ok(Ok(encrypted)) => encrypted,
        Ok(Err(_)) | Err(_) => {
            f.skipped = Some("the RSA encryption did not finish before the deadline".into());
            return finish(conn, f);
        }
    };
    let version = conn.version();
    // RFC 5246 §7.4.7.1: TLS carries the ciphertext with a 2-byte length,
    // SSL 3.0 without.
    let body = if version <= ProtocolVersion::SSL3 {
        encrypted
    } else {
        let mut body = (encrypted.len() as u16).to_be_bytes().to_vec();
        body.extend(encrypted);
        body
    };
    let mut bytes = write_record(
        ContentType::Handshake,
        version,
        &encode_handshake(HandshakeType::ClientKeyExchange, &body),
    );
    bytes.extend(write_record(ContentType::ChangeCipherSpec, version, &[1]));
    // A "Finished" under keys the server cannot share with us: garbage.
    let mut finished = [0u8; 64];
    random(&mut finished);
    bytes.extend(write_record(ContentType::Handshake, version, &finished));
    conn.follow_up(
        &bytes,
        &["client_key_exchange", "change_cipher_spec", "finished"],
        &mut f,
        timeout,
        |_| false,
    )
    .await;
    finish(conn, f)
}

/// A PKCS#1 v1.5 encryption block of `k` bytes carrying a 48-byte TLS
/// premaster secret, well-formed or malformed as `padding` says.
pub(crate) fn pkcs1_block(
    k: usize,
    client_version: ProtocolVersion,
    padding: RsaPadding,
) -> Vec<u8> {
    let mut block = vec![0u8; k];
    random(&mut block);
    for b in block.iter_mut() {
        if *b == 0 {
            *b = 0x42;
        }
    }
    block[0] = 0x00;
    block[1] = 0x02;
    let separator = k - 49;
    block[separator] = 0x00;
    let version = client_version.0.to_be_bytes();
    block[k - 48] = version[0];
    block[k - 47] = version[1];
    match padding {
        RsaPadding::Correct => {}
        RsaPadding::WrongFirstBytes => {
            block[0] = 0x41;
            block[1] = 0x17;
        }
        RsaPadding::ZeroInWrongPlace => {
            block[separator] = 0x11;
            block[k - 48 + 12] = 0x00;
        }
        RsaPadding::NoZeroSeparator => {
            block[separator] = 0x11;
        }
        RsaPadding::WrongVersion => {
            block[k - 48] = 0x02;
            block[k - 47] = 0x02;
        }
    }
    block
}

// ---------------------------------------------------------------- Ticketbleed

async fn ticket_echo(
    stream: TcpStream,
    target: &Target,
    addresses: &[IpAddr],
    spec: &HelloSpec,
    session_id: &[u8],
    options: &ProbeOptions,
) -> ServerFlight {
    let (ticket, suite, note) = match obtain_ticket(stream, spec, options.timeout).await {
        Ok((ticket, suite)) => (Some(ticket), suite, None),
        Err(why) => (None, None, Some(why)),
    };
    let from_server = ticket.is_some();
    let ticket = ticket.unwrap_or_else(|| {
        let mut made_up = vec![0u8; 128];
        random(&mut made_up);
        made_up
    });
    let hello = ticket_hello(spec, &ticket, session_id, suite);
    let opened = crate::transport::open(target, addresses, options).await;
    let (tcp, second) = (opened.tcp, opened.stream);
    let mut f = FollowUpObservation {
        ticket_from_server: Some(from_server),
        ticket_note: note,
        ..Default::default()
    };
    let Some(second) = second else {
        f.skipped = Some(format!("the second connection failed ({tcp:?})"));
        return ServerFlight {
            follow_up: Some(f),
            ..Default::default()
        };
    };
    f.sent.push("client_hello_with_ticket".into());
    let conn = Conn::open(second, &hello, options.timeout).await;
    if let Some(sh) = &conn.server_hello {
        f.session_id = Some(Bytes(sh.session_id.clone()));
        f.resumed = Some(conn.resumed);
    }
    f.end = conn.flight.end.clone();
    finish(conn, f)
}

/// A TLS ≤ 1.2 hello with the ticket and session ID, offering `first` (the
/// suite the ticket's session used) before the others.
fn ticket_hello(
    spec: &HelloSpec,
    ticket: &[u8],
    session_id: &[u8],
    first: Option<CipherSuite>,
) -> Vec<u8> {
    use wire::handshake::ClientHelloBuilder;
    let version = spec
        .versions
        .iter()
        .copied()
        .filter(|v| *v <= ProtocolVersion::TLS1_2)
        .max()
        .unwrap_or(ProtocolVersion::TLS1_2);
    let mut suites: Vec<CipherSuite> = first.into_iter().collect();
    suites.extend(
        spec.cipher_suites
            .iter()
            .copied()
            .filter(|s| Some(*s) != first),
    );
    let mut builder = ClientHelloBuilder::new()
        .record_version(ProtocolVersion::TLS1_0)
        .legacy_version(version)
        .session_id(session_id)
        .cipher_suites(suites);
    if let Some(sni) = &spec.sni {
        builder = builder.server_name(sni);
    }
    if !spec.groups.is_empty() {
        builder = builder
            .supported_groups(&spec.groups)
            .ec_point_formats(&[0]);
    }
    if version >= ProtocolVersion::TLS1_2 && !spec.signature_algorithms.is_empty() {
        builder = builder.signature_algorithms(&spec.signature_algorithms);
    }
    builder
        .renegotiation_info(&[])
        .extended_master_secret()
        .session_ticket(ticket)
        .padding_to(517)
        .build_record()
}

/// A TLS 1.2 handshake with rustls that asks for a session ticket; the
/// ticket is read from the plaintext NewSessionTicket (sent before the
/// server's ChangeCipherSpec). Returns the ticket and the suite.
async fn obtain_ticket(
    stream: TcpStream,
    spec: &HelloSpec,
    timeout: Duration,
) -> Result<(Vec<u8>, Option<CipherSuite>), String> {
    use rustls::pki_types::ServerName;
    if !spec.versions.contains(&ProtocolVersion::TLS1_2) {
        return Err(
            "tickets are obtained with rustls, which speaks TLS 1.2 but not older versions".into(),
        );
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    let mut config = config;
    config.enable_sni = spec.sni.is_some();
    let name = match &spec.sni {
        Some(sni) => ServerName::try_from(sni.clone()).map_err(|e| e.to_string())?,
        None => ServerName::from(IpAddr::from([127, 0, 0, 1])),
    };
    let received = crate::tee::Received::default();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let connect = connector.connect(name, crate::tee::Tee::new(stream, received.clone()));
    let mut tls = match tokio::time::timeout(timeout, connect).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return Err(format!("no TLS 1.2 handshake with rustls: {e}")),
        Err(_) => return Err("no TLS 1.2 handshake with rustls before the deadline".into()),
    };
    let suite = tls
        .get_ref()
        .1
        .negotiated_cipher_suite()
        .map(|s| CipherSuite(u16::from(s.suite())));
    let _ = tokio::time::timeout(Duration::from_millis(500), tls.shutdown()).await;
    let mut parser = wire::flight::ServerFlight::new();
    parser.push(&received.take());
    let ticket = parser.drain_events().into_iter().find_map(|e| match e {
        ServerEvent::NewSessionTicket(NewSessionTicket::Tls12 { ticket, .. }) => Some(ticket),
        _ => None,
    });
    match ticket {
        Some(t) if !t.is_empty() => Ok((t, suite)),
        _ => Err("the server sent no session ticket in a TLS 1.2 handshake".into()),
    }
}

/// Accepts every certificate: the ticket handshake judges nothing, it only
/// needs the server to finish. Signatures are still checked.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs1_blocks_have_the_documented_shape() {
        let k = 256;
        let v = ProtocolVersion::TLS1_2;
        let good = pkcs1_block(k, v, RsaPadding::Correct);
        assert_eq!(&good[..2], &[0, 2]);
        assert!(good[2..k - 49].iter().all(|b| *b != 0));
        assert_eq!(good[k - 49], 0);
        assert_eq!(&good[k - 48..k - 46], &[3, 3]);
        assert_eq!(
            &pkcs1_block(k, v, RsaPadding::WrongFirstBytes)[..2],
            &[0x41, 0x17]
        );
        let no_zero = pkcs1_block(k, v, RsaPadding::NoZeroSeparator);
        assert!(no_zero[2..k - 46].iter().all(|b| *b != 0));
        let moved = pkcs1_block(k, v, RsaPadding::ZeroInWrongPlace);
        assert_eq!(
            moved[2..].iter().position(|b| *b == 0),
            Some(k - 48 + 12 - 2)
        );
        assert_eq!(
            &pkcs1_block(k, v, RsaPadding::WrongVersion)[k - 48..k - 46],
            &[2, 2]
        );
    }
}
