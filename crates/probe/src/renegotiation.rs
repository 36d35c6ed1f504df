//! Client-initiated renegotiation: tlsdoctor's own minimal TLS 1.2 client
//! (ECDHE with AES-128-GCM, the crypto in [`wire::tls12`]) completes a
//! handshake, proves the channel by decrypting and verifying the server's
//! Finished, then sends a second ClientHello under encryption whose
//! renegotiation_info carries our verify_data (RFC 5746 §3.5), and records
//! the server's encrypted answer: a ServerHello, an alert, a close, silence.
//!
//! Records what happened and never judges. The probe authenticates nobody:
//! the certificate and the ServerKeyExchange signature are not verified,
//! because it only needs a working channel to the server, never to trust it,
//! and it never carries data. Every read is bounded in bytes and time, and
//! the probe stops at the server's first answer to the renegotiation hello.

use std::time::{Duration, Instant};

use model::{AlertObservation, FlightEnd, FollowUpObservation, HelloSpec, ServerFlight};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wire::codec::Codec;
use wire::handshake::{
    encode_handshake, ClientHelloBuilder, HandshakeType, KeyExchangeKind, ServerHello,
    ServerKeyExchange,
};
use wire::record::{write_record, ContentType, HandshakeReassembler, Record, RecordReader};
use wire::registry::ProtocolVersion;
use wire::tls12::protection::KeyPair;
use wire::tls12::suite::SuiteParams;
use wire::tls12::{self, prf, EcdheKey};

use crate::hello::FlightRecorder;

/// How long to wait for the answer to the renegotiation hello.
const RENEGOTIATION_WAIT: Duration = Duration::from_secs(3);
/// Never read more than this on the whole connection.
const MAX_BYTES: usize = 256 * 1024;
const V12: ProtocolVersion = ProtocolVersion::TLS1_2;

/// Runs the probe over `stream`; `spec` gives the SNI, suites, groups and
/// signature algorithms (suites and groups outside [`tls12::SUITES`] and
/// [`tls12::GROUPS`] are dropped).
pub(crate) async fn renegotiate(
    stream: TcpStream,
    spec: &HelloSpec,
    timeout: Duration,
) -> ServerFlight {
    let mut conn = Channel {
        stream,
        records: RecordReader::new(),
        deadline: Instant::now() + timeout,
        received: 0,
        recorder: Some(FlightRecorder::default()),
    };
    let mut f = FollowUpObservation::default();
    let mut flight = ServerFlight::default();
    if let Err(why) = run(&mut conn, spec, timeout, &mut f, &mut flight).await {
        if f.established.is_none() {
            f.established = Some(false);
        }
        f.skipped = Some(why);
    }
    if let Some(recorder) = conn.recorder.take() {
        flight = recorder.finish(f.end.clone());
    }
    flight.follow_up = Some(f);
    flight
}

/// A connection read record by record under one deadline.
pub(crate) struct Channel {
    pub(crate) stream: TcpStream,
    pub(crate) records: RecordReader,
    pub(crate) deadline: Instant,
    pub(crate) received: usize,
    /// Sees the plaintext first flight, until ServerHelloDone.
    pub(crate) recorder: Option<FlightRecorder>,
}

impl Channel {
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> Result<(), FlightEnd> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, self.stream.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(io_end(&e)),
            Err(_) => Err(FlightEnd::Timeout),
        }
    }

    /// The next record, or how the connection ended.
    pub(crate) async fn record(&mut self) -> Result<Record, FlightEnd> {
        let mut chunk = [0u8; 8192];
        loop {
            match self.records.next_record() {
                Ok(Some(r)) => return Ok(r),
                Ok(None) => {}
                Err(e) => return Err(malformed(e)),
            }
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(FlightEnd::Timeout);
            }
            let n = match tokio::time::timeout(remaining, self.stream.read(&mut chunk)).await {
                Err(_) => return Err(FlightEnd::Timeout),
                Ok(Ok(0)) => return Err(FlightEnd::Closed),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(io_end(&e)),
            };
            self.received += n;
            if self.received > MAX_BYTES {
                return Err(FlightEnd::Malformed {
                    message: format!("more than {MAX_BYTES} bytes from the server"),
                });
            }
            if let Some(r) = &mut self.recorder {
                r.push(&chunk[..n]);
            }
            self.records.push(&chunk[..n]).map_err(malformed)?;
        }
    }
}

fn malformed(e: impl std::fmt::Display) -> FlightEnd {
    FlightEnd::Malformed {
        message: e.to_string(),
    }
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

pub(crate) fn alert_of(payload: &[u8]) -> Option<AlertObservation> {
    match payload {
        [level, description, ..] => Some(AlertObservation {
            level: *level,
            description: *description,
        }),
        _ => None,
    }
}

fn alert_text(a: &AlertObservation) -> String {
    format!(
        "{} alert {}",
        if a.level == 2 { "fatal" } else { "warning" },
        wire::registry::AlertDescription(a.description).name()
    )
}

pub(crate) fn random32() -> Result<[u8; 32], String> {
    let mut r = [0u8; 32];
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    provider
        .secure_random
        .fill(&mut r)
        .map_err(|_| "no random bytes for the client random".to_string())?;
    Ok(r)
}

/// Which suites a hello offers: those our client can complete (the first
/// handshake), or every suite of the spec (the renegotiation hello, whose
/// answer is only recorded: a spec offering suites without a signed key
/// exchange first spares the server a signature).
#[derive(Clone, Copy)]
enum Offer {
    Completable,
    AsSpecified,
}

/// A TLS 1.2-only hello, without extended_master_secret so that the RFC 5246
/// master secret applies.
fn client_hello(
    spec: &HelloSpec,
    offer: Offer,
    random: [u8; 32],
    renegotiated_connection: &[u8],
) -> Vec<u8> {
    let mut suites: Vec<_> = spec
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| matches!(offer, Offer::AsSpecified) || tls12::SUITES.contains(s))
        .collect();
    if suites.is_empty() {
        suites = tls12::SUITES.to_vec();
    }
    let mut groups: Vec<_> = spec
        .groups
        .iter()
        .copied()
        .filter(|g| tls12::GROUPS.contains(g))
        .collect();
    if groups.is_empty() {
        groups = tls12::GROUPS.to_vec();
    }
    let mut builder = ClientHelloBuilder::new()
        .record_version(V12)
        .legacy_version(V12)
        .random(random)
        .cipher_suites(suites);
    if let Some(sni) = &spec.sni {
        builder = builder.server_name(sni);
    }
    builder = builder.supported_groups(&groups).ec_point_formats(&[0]);
    if !spec.signature_algorithms.is_empty() {
        builder = builder.signature_algorithms(&spec.signature_algorithms);
    }
    builder
        .renegotiation_info(renegotiated_connection)
        .build_handshake()
}

async fn run(
    conn: &mut Channel,
    spec: &HelloSpec,
    timeout: Duration,
    f: &mut FollowUpObservation,
    flight: &mut ServerFlight,
) -> Result<(), String> {
    // ---- ClientHello → ServerHello … ServerHelloDone
    let client_random = random32()?;
    let hello = client_hello(spec, Offer::Completable, client_random, &[]);
    let mut transcript = hello.clone();
    if let Err(end) = conn
        .send(&write_record(ContentType::Handshake, V12, &hello))
        .await
    {
        f.end = end;
        return Err("the ClientHello could not be sent".into());
    }
    let mut handshake = HandshakeReassembler::new();
    let mut server_hello: Option<ServerHello> = None;
    let mut ske: Option<ServerKeyExchange> = None;
    let mut certificate_requested = false;
    'flight: loop {
        let record = match conn.record().await {
            Ok(r) => r,
            Err(end) => {
                f.end = end.clone();
                return Err(format!("the first flight ended early ({end:?})").to_lowercase());
            }
        };
        match record.content_type {
            ContentType::Handshake => {
                handshake.push(&record.payload).map_err(|e| e.to_string())?;
                while let Some(msg) = handshake.next_message() {
                    transcript.extend(msg.get_encoding());
                    match msg.typ {
                        HandshakeType::ServerHello => {
                            let sh = ServerHello::read_bytes(&msg.body)
                                .map_err(|e| format!("unreadable ServerHello: {e}"))?;
                            if sh.selected_version() != V12 {
                                return Err(format!(
                                    "the server chose {} instead of TLS 1.2",
                                    sh.selected_version().name().unwrap_or("an unknown version")
                                ));
                            }
                            if !tls12::SUITES.contains(&sh.cipher_suite) {
                                return Err(format!(
                                    "the server chose {}, which the renegotiation client does not run",
                                    sh.cipher_suite.name()
                                ));
                            }
                            server_hello = Some(sh);
                        }
                        HandshakeType::ServerKeyExchange => {
                            let suite = server_hello.as_ref().map(|s| s.cipher_suite);
                            let kind = suite
                                .and_then(KeyExchangeKind::for_suite)
                                .ok_or("ServerKeyExchange before ServerHello")?;
                            // The signature over the parameters is not
                            // verified: the probe needs a working channel,
                            // not an authenticated one.
                            ske = Some(
                                ServerKeyExchange::read_bytes(&msg.body, kind, V12)
                                    .map_err(|e| format!("unreadable ServerKeyExchange: {e}"))?,
                            );
                        }
                        HandshakeType::CertificateRequest => certificate_requested = true,
                        HandshakeType::ServerHelloDone => break 'flight,
                        _ => {}
                    }
                }
            }
            ContentType::Alert => {
                let a = alert_of(&record.payload);
                f.end = FlightEnd::Alert;
                return Err(match a {
                    Some(a) => format!("the server refused the handshake ({})", alert_text(&a)),
                    None => "the server refused the handshake (short alert)".into(),
                });
            }
            other => {
                return Err(format!(
                    "unexpected record type {} in the first flight",
                    other.to_u8()
                ))
            }
        }
    }
    if let Some(recorder) = conn.recorder.take() {
        *flight = recorder.finish(FlightEnd::Complete);
    }
    let sh = server_hello.ok_or("ServerHelloDone without ServerHello")?;
    let Some(ServerKeyExchange::Ecdh { params, .. }) = ske else {
        return Err("no ECDHE ServerKeyExchange".into());
    };

    // ---- ClientKeyExchange, ChangeCipherSpec, Finished
    let key = EcdheKey::generate(params.group).map_err(|e| e.to_string())?;
    // RFC 8422 §5.7: struct { opaque point <1..2^8-1>; } ECPoint.
    let mut cke_body = vec![key.public().len() as u8];
    cke_body.extend_from_slice(key.public());
    let pre_master = key.agree(&params.point).map_err(|e| e.to_string())?;
    // Our suites are AES-128-GCM with SHA-256 (tls12::SUITES); the hello
    // offers no extended_master_secret (RFC 5246 §8.1 master secret).
    let params = SuiteParams::new(sh.cipher_suite, V12)?;
    let master = prf::master_secret(params.prf, &pre_master, &client_random, &sh.random, None);
    let key_block = prf::key_block(
        params.prf,
        &master,
        &client_random,
        &sh.random,
        params.key_block_len(),
    );
    let KeyPair {
        client: mut tx,
        server: mut rx,
    } = KeyPair::new(&params, &key_block).map_err(|e| e.to_string())?;
    // RFC 5246 §7.4.6: asked for a certificate, a client without one sends
    // an empty certificate_list (a server that insists then refuses).
    let mut bytes = Vec::new();
    if certificate_requested {
        let empty = encode_handshake(HandshakeType::Certificate, &[0, 0, 0]);
        transcript.extend_from_slice(&empty);
        bytes.extend(write_record(ContentType::Handshake, V12, &empty));
        f.sent.push("empty_certificate".into());
    }
    let cke = encode_handshake(HandshakeType::ClientKeyExchange, &cke_body);
    transcript.extend_from_slice(&cke);
    let client_verify = prf::verify_data(params.prf, &master, b"client finished", &transcript);
    let finished = encode_handshake(HandshakeType::Finished, &client_verify);
    transcript.extend_from_slice(&finished);
    bytes.extend(write_record(ContentType::Handshake, V12, &cke));
    bytes.extend(write_record(ContentType::ChangeCipherSpec, V12, &[1]));
    bytes.extend(
        tx.seal(ContentType::Handshake, V12, &finished)
            .map_err(|e| e.to_string())?,
    );
    f.sent
        .extend(["client_key_exchange", "change_cipher_spec", "finished"].map(String::from));
    if let Err(end) = conn.send(&bytes).await {
        f.end = end;
        return Err("the client Finished could not be sent".into());
    }

    // ---- the server's ChangeCipherSpec and encrypted Finished
    let mut changed = false;
    let mut handshake = HandshakeReassembler::new();
    loop {
        let record = match conn.record().await {
            Ok(r) => r,
            Err(end) => {
                f.end = end.clone();
                return Err(
                    format!("the server did not finish the handshake ({end:?})").to_lowercase()
                );
            }
        };
        f.bytes_received += record.payload.len() as u64 + 5;
        let payload = if changed {
            rx.open(record.content_type, V12, &record.payload)
                .map_err(|e| format!("the server's records do not decrypt: {e}"))?
        } else {
            record.payload
        };
        match record.content_type {
            ContentType::ChangeCipherSpec if !changed => changed = true,
            ContentType::Handshake => {
                handshake.push(&payload).map_err(|e| e.to_string())?;
                let mut done = false;
                while let Some(msg) = handshake.next_message() {
                    if msg.typ == HandshakeType::Finished && changed {
                        let expected =
                            prf::verify_data(params.prf, &master, b"server finished", &transcript);
                        if msg.body != expected {
                            return Err("the server's Finished does not verify".into());
                        }
                        done = true;
                    }
                    transcript.extend(msg.get_encoding());
                }
                if done {
                    break;
                }
            }
            ContentType::Alert => {
                let a = alert_of(&payload);
                f.alerts.extend(a.clone());
                f.end = FlightEnd::Alert;
                return Err(match a {
                    Some(a) => format!("the server refused our Finished ({})", alert_text(&a)),
                    None => "the server refused our Finished".into(),
                });
            }
            other => {
                return Err(format!(
                    "unexpected record type {} before the server's Finished",
                    other.to_u8()
                ))
            }
        }
    }
    f.established = Some(true);

    // ---- the renegotiation ClientHello, encrypted
    let renegotiation = client_hello(spec, Offer::AsSpecified, random32()?, &client_verify);
    let record = tx
        .seal(ContentType::Handshake, V12, &renegotiation)
        .map_err(|e| e.to_string())?;
    f.sent.push("renegotiation_client_hello".into());
    if let Err(end) = conn.send(&record).await {
        f.end = end;
        return Ok(());
    }
    conn.deadline = Instant::now() + RENEGOTIATION_WAIT.min(timeout);
    let mut handshake = HandshakeReassembler::new();
    f.end = loop {
        let record = match conn.record().await {
            Ok(r) => r,
            Err(end) => break end,
        };
        f.bytes_received += record.payload.len() as u64 + 5;
        let payload = match rx.open(record.content_type, V12, &record.payload) {
            Ok(p) => p,
            Err(e) => break malformed(format!("record type {}: {e}", record.content_type.to_u8())),
        };
        match record.content_type {
            ContentType::Alert => {
                let Some(a) = alert_of(&payload) else {
                    break malformed("short alert");
                };
                if f.alerts.len() < 16 {
                    f.alerts.push(a);
                }
                // Any alert is the server's answer: a refusal (warning
                // no_renegotiation), a fatal error, or close_notify.
                break FlightEnd::Alert;
            }
            ContentType::Handshake => {
                if handshake.push(&payload).is_err() {
                    break malformed("unreadable handshake message");
                }
                let mut hello = false;
                while let Some(msg) = handshake.next_message() {
                    if f.handshake_after.len() < 16 {
                        f.handshake_after.push(msg.typ.to_u8());
                    }
                    hello |= msg.typ == HandshakeType::ServerHello;
                }
                if hello {
                    break FlightEnd::Complete;
                }
            }
            other => {
                if f.records.len() < 16 {
                    f.records.push(format!(
                        "encrypted record type {} ({} bytes)",
                        other.to_u8(),
                        payload.len()
                    ));
                }
            }
        }
    };
    // Leave politely: a close_notify under the current keys.
    if let Ok(close) = tx.seal(ContentType::Alert, V12, &[1, 0]) {
        let _ =
            tokio::time::timeout(Duration::from_millis(200), conn.stream.write_all(&close)).await;
    }
    Ok(())
}
