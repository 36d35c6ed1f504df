//! One crafted ClientHello and the server's first flight: the probe that works
//! for every version and suite, because it completes no handshake.

use std::time::{Duration, Instant};

use model::{
    AlertObservation, Bytes, CertificateRequestObservation, FlightEnd, HelloSpec,
    KeyExchangeObservation, ServerFlight, ServerHelloObservation,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Never read more than this from one server for one hello: a first flight
/// with a long chain is ~20 KiB; more is a hostile or broken peer.
const MAX_FLIGHT: usize = 128 * 1024;

/// Sends the hello and reads until the flight is complete, an alert, close,
/// or the deadline.
pub(crate) async fn exchange(
    stream: TcpStream,
    spec: &HelloSpec,
    timeout: Duration,
) -> ServerFlight {
    send_and_read(stream, &build(spec), timeout).await
}

/// Sends an SSL 2.0 CLIENT-HELLO offering `cipher_specs` and reads the reply.
pub(crate) async fn exchange_ssl2(
    stream: TcpStream,
    cipher_specs: &[u32],
    timeout: Duration,
) -> ServerFlight {
    use wire::sslv2::{Ssl2CipherSpec, Ssl2ClientHello};
    let specs: Vec<Ssl2CipherSpec> = cipher_specs.iter().map(|&c| Ssl2CipherSpec(c)).collect();
    send_and_read(
        stream,
        &Ssl2ClientHello::new(&specs).build_record(),
        timeout,
    )
    .await
}

async fn send_and_read(mut stream: TcpStream, hello: &[u8], timeout: Duration) -> ServerFlight {
    let deadline = Instant::now() + timeout;
    if let Err(e) = tokio::time::timeout(timeout, stream.write_all(hello))
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "write timed out",
            ))
        })
    {
        return ServerFlight {
            end: io_end(&e),
            ..Default::default()
        };
    }
    let mut recorder = FlightRecorder::default();
    let mut received = 0usize;
    let mut chunk = [0u8; 8192];
    let end = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break FlightEnd::Timeout;
        }
        match tokio::time::timeout(remaining, stream.read(&mut chunk)).await {
            Err(_) => break FlightEnd::Timeout,
            Ok(Ok(0)) => break FlightEnd::Closed,
            Ok(Ok(n)) => {
                received += n;
                recorder.push(&chunk[..n]);
                if recorder.finished() {
                    // The recorder knows how the flight ended.
                    break FlightEnd::Complete;
                }
                if received >= MAX_FLIGHT {
                    break FlightEnd::Malformed {
                        message: format!(
                            "the server sent {received} bytes without finishing its first flight"
                        ),
                    };
                }
            }
            Ok(Err(e)) => break io_end(&e),
        }
    };
    recorder.finish(end)
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

/// Builds the ClientHello record for a spec.
pub(crate) fn build(spec: &HelloSpec) -> Vec<u8> {
    use wire::handshake::ClientHelloBuilder;
    use wire::registry::ProtocolVersion;

    let highest = spec
        .versions
        .iter()
        .copied()
        .max()
        .unwrap_or(ProtocolVersion::TLS1_2);
    let tls13 = spec.versions.contains(&ProtocolVersion::TLS1_3);
    let legacy = if tls13 {
        ProtocolVersion::TLS1_2
    } else {
        highest
    };
    // Record version: TLS 1.0 for TLS 1.0+ hellos (what browsers send, and
    // what old servers tolerate); SSL 3.0 for an SSL 3.0 hello.
    let record = if highest <= ProtocolVersion::SSL3 {
        ProtocolVersion::SSL3
    } else {
        ProtocolVersion::TLS1_0
    };
    let mut builder = ClientHelloBuilder::new()
        .record_version(record)
        .legacy_version(legacy)
        .cipher_suites(spec.cipher_suites.iter().copied());
    if spec.fallback_scsv {
        builder = builder.fallback_scsv();
    }
    if !spec.compression_methods.is_empty() {
        builder = builder.compression_methods(&spec.compression_methods);
    }
    if highest <= ProtocolVersion::SSL3 {
        // SSL 3.0 has no extensions (RFC 6101); the SCSV signals renegotiation support.
        return builder.renegotiation_scsv().build_record();
    }
    if let Some(sni) = &spec.sni {
        builder = builder.server_name(sni);
    }
    if tls13 {
        let mut versions = spec.versions.clone();
        versions.sort_by(|a, b| b.cmp(a));
        builder = builder
            .supported_versions(&versions)
            .key_share(&spec.key_shares)
            .psk_key_exchange_modes(&[1]);
    }
    if !spec.groups.is_empty() {
        builder = builder
            .supported_groups(&spec.groups)
            .ec_point_formats(&[0]);
    }
    if !spec.signature_algorithms.is_empty() && highest >= ProtocolVersion::TLS1_2 {
        builder = builder.signature_algorithms(&spec.signature_algorithms);
    }
    if !spec.alpn.is_empty() {
        let alpn: Vec<&str> = spec.alpn.iter().map(String::as_str).collect();
        builder = builder.alpn(&alpn);
    }
    if spec.modern_extensions {
        builder = builder
            .renegotiation_info(&[])
            .extended_master_secret()
            .session_ticket(&[])
            .status_request()
            .signed_certificate_timestamp();
    }
    if spec.encrypt_then_mac {
        builder = builder.encrypt_then_mac();
    }
    if spec.heartbeat {
        builder = builder.heartbeat(1);
    }
    // Some servers (F5 and others) hang on hellos of 256-511 bytes; pad past them.
    builder.padding_to(517).build_record()
}

/// Parses what the server sent. `end` is how the stream ended when the parse
/// itself does not find an end (a complete flight, an alert, garbage).
pub(crate) fn parse_flight(bytes: &[u8], end: FlightEnd) -> ServerFlight {
    let mut recorder = FlightRecorder::default();
    recorder.push(bytes);
    recorder.finish(end)
}

/// At most this many alerts are kept; a server flooding warnings (the lab's
/// alert-storm) is recorded by count, not by an ever-growing list.
const MAX_ALERTS: usize = 16;

/// Turns the server's bytes into a [`ServerFlight`] as they arrive: each byte
/// is parsed once, however the server slices its reply (one byte per read is
/// a hostile server's favourite).
#[derive(Default)]
pub(crate) struct FlightRecorder {
    parser: wire::flight::ServerFlight,
    flight: ServerFlight,
    terminal: Option<FlightEnd>,
}

impl FlightRecorder {
    /// Feeds more bytes from the server.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        use wire::flight::ServerEvent;

        let first = &mut self.flight.first_bytes.0;
        let room = 64usize.saturating_sub(first.len());
        first.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.flight.bytes_received += bytes.len() as u64;
        self.parser.push(bytes);
        let flight = &mut self.flight;
        let terminal = &mut self.terminal;
        for event in self.parser.drain_events() {
            match event {
                ServerEvent::ServerHello(sh) => flight.server_hello = Some(server_hello(&sh)),
                ServerEvent::HelloRetryRequest(hrr) => {
                    flight.hello_retry_group = hrr.key_share_group();
                    flight.hello_retry_suite = Some(hrr.cipher_suite);
                }
                ServerEvent::Ssl2ServerHello(sh) => {
                    flight.ssl2 = Some(model::Ssl2ServerHelloObservation {
                        version: sh.version,
                        cipher_specs: sh.cipher_specs.iter().map(|c| c.0).collect(),
                        certificate: (!sh.certificate.is_empty())
                            .then(|| Bytes(sh.certificate.clone())),
                    });
                }
                ServerEvent::Certificate(certs) => {
                    flight.certificates =
                        certs.certificates().into_iter().map(Bytes::from).collect();
                }
                ServerEvent::ServerKeyExchange(ske) => {
                    flight.key_exchange = Some(key_exchange(&ske));
                }
                ServerEvent::CertificateRequest(req) => {
                    flight.certificate_request = Some(certificate_request(&req));
                }
                ServerEvent::CertificateStatus(status) => {
                    flight.ocsp_staple = Some(Bytes(status.response))
                }
                ServerEvent::Alert(alert) => {
                    let level = alert.level.to_u8();
                    if flight.alerts.len() < MAX_ALERTS || level != 1 {
                        flight.alerts.push(AlertObservation {
                            level,
                            description: alert.description.0,
                        });
                    }
                    if level != 1 {
                        terminal.get_or_insert(FlightEnd::Alert);
                    }
                }
                ServerEvent::Encrypted { .. } => flight.encrypted_records += 1,
                ServerEvent::NotTls { .. } => {
                    terminal.get_or_insert(FlightEnd::NotTls);
                }
                ServerEvent::Malformed(error) if is_terminal(&error) => {
                    terminal.get_or_insert(FlightEnd::Malformed {
                        message: error.to_string(),
                    });
                }
                _ => {}
            }
        }
    }

    /// True once nothing more is worth reading: a complete flight, a fatal
    /// alert, or a reply that is not (valid) TLS.
    pub(crate) fn finished(&self) -> bool {
        self.terminal.is_some() || self.parser.is_complete()
    }

    /// The observation, with `end` as the ending when the bytes show none.
    pub(crate) fn finish(mut self, end: FlightEnd) -> ServerFlight {
        self.flight.end = match self.terminal {
            Some(terminal) => terminal,
            None if self.parser.is_complete() => FlightEnd::Complete,
            None => end,
        };
        self.flight
    }
}

/// What a CertificateRequest asks for (any TLS version's form).
pub(crate) fn certificate_request(
    req: &wire::handshake::CertificateRequest,
) -> CertificateRequestObservation {
    CertificateRequestObservation {
        ca_names: req
            .certificate_authorities()
            .iter()
            .map(|n| Bytes(n.clone()))
            .collect(),
        signature_schemes: req
            .signature_algorithms()
            .map(<[_]>::to_vec)
            .unwrap_or_default(),
    }
}

fn key_exchange(ske: &wire::handshake::ServerKeyExchange) -> KeyExchangeObservation {
    use wire::handshake::ServerKeyExchange as Ske;
    let dh = match ske {
        Ske::Dh { params, .. } => Some(params),
        _ => None,
    };
    let kind = match ske {
        Ske::Dh { .. } => "dhe",
        Ske::Ecdh { .. } => "ecdhe",
        Ske::RsaExport { .. } => "rsa_export",
        _ => "unknown",
    };
    KeyExchangeObservation {
        kind: kind.into(),
        group: ske.group(),
        dh_prime_bits: ske.dh_prime_bits().map(|b| b as u32),
        dh_prime: dh.map(|p| Bytes(p.p.clone())),
        dh_generator: dh.map(|p| Bytes(p.g.clone())),
        signature_scheme: ske.signature_scheme(),
    }
}

/// Errors that end the flight's observation: the record layer, SSLv2, and
/// a ServerHello or Certificate that does not parse (including one with more
/// than [`wire::handshake::MAX_CERTIFICATE_ENTRIES`] entries, whose count the
/// message gives).
fn is_terminal(error: &wire::flight::FlightError) -> bool {
    use wire::handshake::HandshakeType;
    matches!(
        error,
        wire::flight::FlightError::Record(_) | wire::flight::FlightError::Ssl2(_)
    ) || matches!(error, wire::flight::FlightError::Handshake { typ, .. }
        if *typ == HandshakeType::ServerHello || *typ == HandshakeType::Certificate)
}

fn server_hello(sh: &wire::handshake::ServerHello) -> ServerHelloObservation {
    use wire::handshake::DowngradeSentinel;
    ServerHelloObservation {
        version: sh.selected_version(),
        cipher_suite: sh.cipher_suite,
        group: sh.key_share_group(),
        extensions: sh.extensions.iter().map(|e| e.typ()).collect(),
        alpn: sh.alpn().map(|p| {
            String::from_utf8_lossy(p)
                .chars()
                .filter(|c| !c.is_control())
                .collect()
        }),
        downgrade_sentinel: sh.downgrade_sentinel().map(|s| match s {
            DowngradeSentinel::Tls12 => "tls1_2".to_string(),
            DowngradeSentinel::Tls11OrBelow => "tls1_1_or_below".to_string(),
        }),
        compression: sh.compression_method,
        session_id_len: sh.session_id.len() as u8,
    }
}
