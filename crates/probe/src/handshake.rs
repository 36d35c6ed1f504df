//! A real TLS 1.2/1.3 handshake with rustls, instrumented to observe rather
//! than to judge: the certificate verifier records the chain and accepts it
//! (analysis judges it later, against several trust stores and clocks), and the
//! client-certificate resolver records the server's CertificateRequest.
//!
//! Handshake signatures are still verified for real, so a completed handshake
//! means the server holds the key of the certificate it sent.
//!
//! A resumption probe ([`resumption`]) handshakes twice, on two connections,
//! with one client configuration whose session store records whether the
//! first handshake left anything to resume with.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use model::{
    Bytes, CertificateRequestObservation, HandshakeError, HandshakeObservation, HandshakeSpec,
    Resume, ResumptionObservation, ServerFlight, Target,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, ResolvesClientCert, Resumption,
    Tls12ClientSessionValue, Tls12Resumption, Tls13ClientSessionValue,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, HandshakeKind, NamedGroup as RustlsGroup, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion};

use crate::tee::{Received, Tee};
use crate::{elapsed_ms, ProbeOptions};

/// What the instrumented callbacks saw during one handshake.
#[derive(Default)]
struct Recorded {
    chain: Vec<Bytes>,
    ocsp: Option<Bytes>,
    cert_request: Option<CertificateRequestObservation>,
    cert_sent: bool,
}

type Shared = Arc<Mutex<Recorded>>;

/// How long a resumption probe waits after its first TLS 1.3 handshake for
/// a ticket (servers send NewSessionTicket after the client's Finished).
const TICKET_WAIT: Duration = Duration::from_millis(1000);
/// How long to look for a ticket once the server has answered without one.
const LATE_TICKET_WAIT: Duration = Duration::from_millis(50);

/// Runs one handshake over `stream` and, when asked, `GET /` (or `HEAD /`)
/// after it on the same connection.
pub(crate) async fn handshake(
    stream: TcpStream,
    target: &Target,
    spec: &HandshakeSpec,
    options: &ProbeOptions,
) -> (Option<ServerFlight>, HandshakeObservation) {
    let recorded: Shared = Arc::default();
    let config = match client_config(spec, options, &recorded, None) {
        Ok(config) => Arc::new(config),
        Err(message) => return (None, failed(message)),
    };
    let (flight, observation, _) =
        one_handshake(stream, target, spec, options, &config, &recorded, None).await;
    (flight, observation)
}

/// Two handshakes on two connections sharing one session store: the first
/// as usual (its chain and flight are the record's), the second offering
/// the first one's session back ([`HandshakeObservation::resumption`]).
pub(crate) async fn resumption(
    stream: TcpStream,
    target: &Target,
    addresses: &[IpAddr],
    spec: &HandshakeSpec,
    options: &ProbeOptions,
) -> (Option<ServerFlight>, HandshakeObservation) {
    let recorded: Shared = Arc::default();
    let sessions = Arc::new(SessionLog::default());
    let config = match client_config(spec, options, &recorded, Some(sessions.clone())) {
        Ok(config) => Arc::new(config),
        Err(message) => return (None, failed(message)),
    };
    let (flight, mut first, _) = one_handshake(
        stream,
        target,
        spec,
        options,
        &config,
        &recorded,
        Some(&sessions),
    )
    .await;
    let mut resumption = ResumptionObservation {
        session_stored: sessions.stored(),
        ..Default::default()
    };
    if first.completed && resumption.session_stored {
        resumption.second_connection = true;
        let opened = crate::transport::open(target, addresses, options).await;
        let tcp = opened.tcp;
        match opened.stream {
            Some(stream) => {
                let (_, second, kind) =
                    one_handshake(stream, target, spec, options, &config, &recorded, None).await;
                resumption.completed = second.completed;
                resumption.resumed = second.completed && kind == Some(HandshakeKind::Resumed);
                resumption.version = second.version;
                resumption.error = second.error;
            }
            None => {
                resumption.error = Some(HandshakeError::Other {
                    message: format!("the second connection failed: {tcp:?}"),
                })
            }
        }
    }
    first.resumption = Some(resumption);
    (flight, first)
}

fn failed(message: String) -> HandshakeObservation {
    HandshakeObservation {
        error: Some(HandshakeError::Other { message }),
        ..Default::default()
    }
}

/// One handshake with a prepared configuration; also returns what kind of
/// handshake it was (full or resumed). With `sessions`, waits briefly after
/// the handshake until the server has handed out something to resume with.
async fn one_handshake(
    stream: TcpStream,
    target: &Target,
    spec: &HandshakeSpec,
    options: &ProbeOptions,
    config: &Arc<rustls::ClientConfig>,
    recorded: &Shared,
    sessions: Option<&SessionLog>,
) -> (
    Option<ServerFlight>,
    HandshakeObservation,
    Option<HandshakeKind>,
) {
    let received = Received::default();
    let mut observation = HandshakeObservation::default();
    let mut kind = None;
    let server_name = match server_name(spec.sni.as_deref(), target) {
        Ok(name) => name,
        Err(error) => {
            observation.error = Some(error);
            return (None, observation, None);
        }
    };

    // Where the received bytes stood when the handshake completed.
    let mut handshake_end = None;
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    let started = Instant::now();
    let connect = connector.connect(server_name, Tee::new(stream, received.clone()));
    let result = tokio::time::timeout(options.timeout, connect).await;

    match result {
        Ok(Ok(mut tls)) => {
            let (_, conn) = tls.get_ref();
            kind = conn.handshake_kind();
            observation.completed = true;
            observation.version = conn
                .protocol_version()
                .map(|v| ProtocolVersion(u16::from(v)));
            observation.cipher_suite = conn
                .negotiated_cipher_suite()
                .map(|s| CipherSuite(u16::from(s.suite())));
            observation.group = conn
                .negotiated_key_exchange_group()
                .map(|g| NamedGroup(u16::from(g.name())));
            observation.alpn = conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            handshake_end = Some(received.len());
            if let (true, Some(protocol)) = (spec.http_head, target.transport.starttls) {
                let exchange =
                    crate::transport::after_tls(&mut tls, protocol, target, options.timeout).await;
                // As for HTTP: an alert right after our Finished is the
                // server's judgement of the client certificate (TLS 1.3).
                if let Some(model::DialogueOutcome::Ended {
                    end: model::ConnectionEnd::Alert { description, .. },
                    ..
                }) = exchange.as_ref().map(|e| &e.outcome)
                {
                    observation.completed = false;
                    observation.error = Some(HandshakeError::AlertReceived {
                        description: *description,
                    });
                }
                observation.application = exchange;
            } else if spec.http_head {
                let host = crate::http::host_header(&target.host, target.port);
                let wait = spec
                    .http_timeout_ms
                    .map(Duration::from_millis)
                    .map_or(options.timeout, |t| t.min(options.timeout));
                let method = if spec.http_get { "GET" } else { "HEAD" };
                let http = if observation.alpn.as_deref() == Some("h2") {
                    crate::http2::request(&mut tls, &host, method, wait).await
                } else {
                    crate::http::request(&mut tls, &host, method, wait).await
                };
                // The server aborted with an alert right after our Finished:
                // in TLS 1.3 that is where it judges the client certificate,
                // so the handshake did not really complete.
                if let Some(model::ConnectionEnd::Alert { description, .. }) = http.end {
                    if http.status.is_none() {
                        observation.completed = false;
                        observation.error = Some(HandshakeError::AlertReceived { description });
                    }
                }
                observation.http = Some(http);
            }
            if let Some(sessions) = sessions {
                // Only a TLS 1.3 ticket comes after the handshake; a TLS 1.2
                // session ID or ticket came within it, and waiting for more
                // would hold a one-connection-at-a-time server (s_server)
                // for the whole wait while every other probe queues.
                if observation.version == Some(ProtocolVersion::TLS1_3) && !sessions.stored() {
                    // Servers send their tickets right after the handshake,
                    // before any answer: ask the application protocol one
                    // thing (HEAD /, or the STARTTLS protocol's first
                    // command) and once it has answered without a ticket,
                    // none is coming. Servers without TLS 1.3 tickets
                    // (PostgreSQL, Dovecot, nginx with tickets off) no
                    // longer hold the scan for the whole wait.
                    // The exchange ends as soon as a ticket is stored: a
                    // server may not answer at all (`openssl s_server -www`
                    // ignores HEAD), and a one-connection-at-a-time server
                    // serves nobody else meanwhile.
                    let wait = options.timeout.min(TICKET_WAIT);
                    let host = crate::http::host_header(&target.host, target.port);
                    let exchange = async {
                        match target.transport.starttls {
                            Some(protocol) => {
                                let _ =
                                    crate::transport::after_tls(&mut tls, protocol, target, wait)
                                        .await;
                            }
                            None => {
                                let _ = crate::http::request(&mut tls, &host, "HEAD", wait).await;
                            }
                        }
                    };
                    tokio::select! {
                        _ = exchange => {}
                        _ = sessions.notify.notified() => {}
                    }
                    if !sessions.stored() {
                        wait_for_session(&mut tls, sessions, LATE_TICKET_WAIT).await;
                    }
                }
                // close_notify: servers drop sessions of connections that
                // end in an error, and an abrupt close is one to OpenSSL.
                let _ = tokio::time::timeout(TICKET_WAIT, tls.shutdown()).await;
            }
        }
        Ok(Err(e)) => observation.error = Some(classify(&e)),
        Err(_) => {
            observation.error = Some(HandshakeError::Timeout {
                after_ms: elapsed_ms(started),
            })
        }
    }

    if let Ok(mut rec) = recorded.lock() {
        observation.chain = std::mem::take(&mut rec.chain);
        observation.ocsp_staple = rec.ocsp.take();
        observation.client_cert_request = rec.cert_request.take();
        observation.client_cert_sent = rec.cert_sent;
    }
    let bytes = received.take();
    if observation.version == Some(ProtocolVersion::TLS1_2) {
        if let (Some(http), Some(end)) = (observation.http.as_mut(), handshake_end) {
            http.renegotiation_requested = handshake_record_from(&bytes, end);
        }
    }
    let flight = crate::hello::parse_flight(&bytes, flight_end(&observation));
    // A reply that is not TLS at all is the most useful thing to know.
    if flight.end == model::FlightEnd::NotTls && !observation.completed {
        observation.error = Some(HandshakeError::NotTls);
    }
    (Some(flight), observation, kind)
}

/// The name rustls builds the connection with: the SNI, or with no SNI
/// wanted an IP name, which makes rustls omit the extension (RFC 6066 §3
/// forbids IP literals).
fn server_name(sni: Option<&str>, target: &Target) -> Result<ServerName<'static>, HandshakeError> {
    match sni {
        Some(name) => ServerName::try_from(name.to_string()).map_err(|e| HandshakeError::Other {
            message: format!("invalid server name: {e}"),
        }),
        None => Ok(ServerName::from(
            target
                .connect_to
                .or_else(|| target.host.parse().ok())
                .unwrap_or(IpAddr::from([0, 0, 0, 0])),
        )),
    }
}

/// A rustls TLS 1.2/1.3 connection over `stream` offering `sni`, for a probe
/// that needs the channel rather than a record of the handshake: the
/// certificate is accepted unexamined (signatures are still verified).
/// `received` keeps a copy of the server's bytes.
pub(crate) async fn channel<S>(
    stream: S,
    target: &Target,
    sni: Option<&str>,
    options: &ProbeOptions,
    received: &Received,
) -> Result<tokio_rustls::client::TlsStream<Tee<S>>, HandshakeError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let spec = HandshakeSpec {
        versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
        sni: sni.map(str::to_string),
        ..Default::default()
    };
    let config = client_config(&spec, options, &Shared::default(), None)
        .map_err(|message| HandshakeError::Other { message })?;
    let name = server_name(sni, target)?;
    let started = Instant::now();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let connect = connector.connect(name, Tee::new(stream, received.clone()));
    match tokio::time::timeout(options.timeout, connect).await {
        Ok(Ok(tls)) => Ok(tls),
        Ok(Err(e)) => Err(classify(&e)),
        Err(_) => Err(HandshakeError::Timeout {
            after_ms: elapsed_ms(started),
        }),
    }
}

/// Reads (and discards) what the server sends after the handshake until the
/// session store holds a session or ticket, the server closes, or `wait`
/// passes. TLS 1.2 sessions are stored during the handshake; TLS 1.3
/// tickets arrive afterwards and are processed only while reading.
async fn wait_for_session<S>(tls: &mut S, sessions: &SessionLog, wait: Duration)
where
    S: tokio::io::AsyncRead + Unpin,
{
    if sessions.stored() {
        return;
    }
    let mut buf = [0u8; 2048];
    let read = async {
        loop {
            tokio::select! {
                _ = sessions.notify.notified() => break,
                n = tls.read(&mut buf) => if !matches!(n, Ok(n) if n > 0) { break },
            }
            if sessions.stored() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(wait, read).await;
}

/// The client session store of a resumption probe: rustls's in-memory
/// cache, noting when the server handed out something to resume with.
#[derive(Debug)]
struct SessionLog {
    inner: ClientSessionMemoryCache,
    stored: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Default for SessionLog {
    fn default() -> Self {
        Self {
            inner: ClientSessionMemoryCache::new(4),
            stored: AtomicBool::new(false),
            notify: tokio::sync::Notify::new(),
        }
    }
}

impl SessionLog {
    fn stored(&self) -> bool {
        self.stored.load(Ordering::SeqCst)
    }

    fn mark(&self) {
        self.stored.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
}

impl ClientSessionStore for SessionLog {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: RustlsGroup) {
        self.inner.set_kx_hint(server_name, group)
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<RustlsGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.inner.set_tls12_session(server_name, value);
        self.mark();
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.inner.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name)
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.inner.insert_tls13_ticket(server_name, value);
        self.mark();
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        self.inner.take_tls13_ticket(server_name)
    }
}

/// True when a TLS record of type handshake (22) starts at or after `from`
/// in `bytes` (the server's byte stream from its first record): after a
/// TLS 1.2 handshake, that is a HelloRequest (RFC 5246 §7.4.1.1), encrypted.
fn handshake_record_from(bytes: &[u8], from: usize) -> bool {
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 5) {
        if header[0] == 22 && at >= from {
            return true;
        }
        at += 5 + usize::from(u16::from_be_bytes([header[3], header[4]]));
    }
    false
}

/// How the byte stream ended, as far as the handshake knows.
fn flight_end(observation: &HandshakeObservation) -> model::FlightEnd {
    match &observation.error {
        None => model::FlightEnd::Complete,
        Some(HandshakeError::Reset) => model::FlightEnd::Reset,
        Some(HandshakeError::Timeout { .. }) => model::FlightEnd::Timeout,
        Some(HandshakeError::AlertReceived { .. }) => model::FlightEnd::Alert,
        Some(_) => model::FlightEnd::Closed,
    }
}

/// Maps the error tokio-rustls returns to what happened on the wire.
pub(crate) fn classify(e: &std::io::Error) -> HandshakeError {
    use std::io::ErrorKind;
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(alert) => HandshakeError::AlertReceived {
                description: u8::from(*alert),
            },
            rustls::Error::InvalidMessage(_)
            | rustls::Error::InappropriateMessage { .. }
            | rustls::Error::InappropriateHandshakeMessage { .. }
            | rustls::Error::PeerMisbehaved(_)
            | rustls::Error::PeerIncompatible(_) => HandshakeError::Protocol {
                message: tls.to_string(),
            },
            other => HandshakeError::Other {
                message: other.to_string(),
            },
        };
    }
    match e.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            HandshakeError::Reset
        }
        ErrorKind::UnexpectedEof => HandshakeError::Closed,
        ErrorKind::TimedOut => HandshakeError::Timeout { after_ms: 0 },
        _ => HandshakeError::Other {
            message: e.to_string(),
        },
    }
}

fn client_config(
    spec: &HandshakeSpec,
    options: &ProbeOptions,
    recorded: &Shared,
    sessions: Option<Arc<SessionLog>>,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    if spec.versions.contains(&ProtocolVersion::TLS1_3) {
        versions.push(&rustls::version::TLS13);
    }
    if spec.versions.contains(&ProtocolVersion::TLS1_2) {
        versions.push(&rustls::version::TLS12);
    }
    if versions.is_empty() {
        return Err("rustls speaks only TLS 1.2 and 1.3".into());
    }
    let verifier = Arc::new(RecordingVerifier {
        provider: provider.clone(),
        recorded: recorded.clone(),
        key_type: spec.key_type.clone(),
    });
    let resolver = Arc::new(RecordingClientAuth {
        identity: options.client_identity.as_ref().and_then(|id| {
            let key = provider
                .key_provider
                .load_private_key(id.key.clone_key())
                .ok()?;
            Some(Arc::new(rustls::sign::CertifiedKey::new(
                id.chain.clone(),
                key,
            )))
        }),
        wanted: spec.client_cert,
        recorded: recorded.clone(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(resolver);
    config.alpn_protocols = spec.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    config.enable_sni = spec.sni.is_some();
    config.resumption = match (spec.resume, sessions) {
        (Some(mode), Some(sessions)) => Resumption::store(sessions).tls12_resumption(match mode {
            Resume::SessionId => Tls12Resumption::SessionIdOnly,
            Resume::Tickets => Tls12Resumption::SessionIdOrTickets,
        }),
        _ => Resumption::disabled(),
    };
    Ok(config)
}

/// The key type a signature scheme belongs to (`rsa`, `ecdsa`, `eddsa`).
fn scheme_key_type(scheme: SignatureScheme) -> &'static str {
    use SignatureScheme as S;
    match scheme {
        S::RSA_PKCS1_SHA1
        | S::RSA_PKCS1_SHA256
        | S::RSA_PKCS1_SHA384
        | S::RSA_PKCS1_SHA512
        | S::RSA_PSS_SHA256
        | S::RSA_PSS_SHA384
        | S::RSA_PSS_SHA512 => "rsa",
        S::ECDSA_SHA1_Legacy
        | S::ECDSA_NISTP256_SHA256
        | S::ECDSA_NISTP384_SHA384
        | S::ECDSA_NISTP521_SHA512 => "ecdsa",
        S::ED25519 | S::ED448 => "eddsa",
        _ => "other",
    }
}

/// Records the chain and accepts it; analysis judges it afterwards.
#[derive(Debug)]
struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    recorded: Shared,
    /// Offer only the signature schemes of this key type (rustls builds its
    /// signature_algorithms extension from [`Self::supported_verify_schemes`]).
    key_type: Option<String>,
}

impl std::fmt::Debug for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recorded({} certificates)", self.chain.len())
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut rec) = self.recorded.lock() {
            rec.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| Bytes(c.to_vec()))
                .collect();
            if !ocsp_response.is_empty() {
                rec.ocsp = Some(Bytes(ocsp_response.to_vec()));
            }
        }
        // Not a judgement: analysis verifies the recorded chain against every
        // trust store and clock it is given.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let all = self
            .provider
            .signature_verification_algorithms
            .supported_schemes();
        match self.key_type.as_deref() {
            Some(wanted) => all
                .into_iter()
                .filter(|s| scheme_key_type(*s) == wanted)
                .collect(),
            None => all,
        }
    }
}

/// Records the server's CertificateRequest; presents the user's certificate
/// when one was given and the probe wants it.
#[derive(Debug)]
struct RecordingClientAuth {
    identity: Option<Arc<rustls::sign::CertifiedKey>>,
    wanted: bool,
    recorded: Shared,
}

impl ResolvesClientCert for RecordingClientAuth {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let answer = if self.wanted {
            self.identity.clone()
        } else {
            None
        };
        if let Ok(mut rec) = self.recorded.lock() {
            rec.cert_request = Some(CertificateRequestObservation {
                ca_names: root_hint_subjects
                    .iter()
                    .map(|n| Bytes(n.to_vec()))
                    .collect(),
                signature_schemes: sigschemes
                    .iter()
                    .map(|s| wire::registry::SignatureScheme(u16::from(*s)))
                    .collect(),
            });
            rec.cert_sent = answer.is_some();
        }
        answer
    }

    fn has_certs(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::handshake_record_from;

    #[test]
    fn finds_a_handshake_record_after_the_mark_only() {
        // ServerHello-ish handshake record (3 bytes), CCS (1), then an
        // encrypted handshake record (HelloRequest) and application data.
        let mut bytes = vec![22, 3, 3, 0, 3, 1, 2, 3, 20, 3, 3, 0, 1, 1];
        let mark = bytes.len();
        bytes.extend([23, 3, 3, 0, 2, 9, 9]);
        assert!(!handshake_record_from(&bytes, mark));
        bytes.extend([22, 3, 3, 0, 2, 7, 7]);
        assert!(handshake_record_from(&bytes, mark));
        // A length running past the end, or a truncated header, stops the walk.
        assert!(!handshake_record_from(&[23, 3, 3, 0xff, 0xff, 22], 0));
        assert!(!handshake_record_from(&[23, 3], 0));
    }
}
