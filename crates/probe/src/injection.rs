//! The STARTTLS command-injection probe (CVE-2011-0411 and its kin). The
//! transport has already sent the upgrade command with a harmless command
//! line appended in the same write, as a man in the middle would, and read
//! the server's go-ahead ([`crate::transport::open_with`]); here: what the
//! server sent past its go-ahead in plaintext, a TLS handshake, and a
//! bounded wait for anything the server sends inside TLS without being
//! asked. A patched server discards the injected line; a vulnerable one
//! answers it.
//!
//! Records and never judges; sends nothing inside TLS.

use std::time::{Duration, Instant};

use model::{
    ConnectionEnd, FlightEnd, FollowUpObservation, HandshakeError, InjectionHandshake,
    InjectionObservation, ServerFlight, Target,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use wire::registry::{CipherSuite, ProtocolVersion};

use crate::tee::Received;
use crate::{elapsed_ms, ProbeOptions};

/// The longest wait inside TLS for an answer to the injected command. A
/// vulnerable server answers as soon as the handshake is done (its reply
/// was waiting in its buffer), one round trip after its last handshake
/// flight; a patched one stays silent, so the wait is the price of every
/// "not vulnerable": [`WAIT_ROUND_TRIPS`] handshakes' time, at least
/// [`MIN_INJECTION_WAIT`], at most this.
pub(crate) const INJECTION_WAIT: Duration = Duration::from_millis(1500);
pub(crate) const MIN_INJECTION_WAIT: Duration = Duration::from_millis(300);
const WAIT_ROUND_TRIPS: u32 = 8;
/// Never keep more than this of what the server sends unasked.
const MAX_READ: usize = 4096;
/// The most lines kept, and the most characters of each.
const MAX_LINES: usize = 16;
const MAX_CHARS: usize = 200;

/// A command the probe may inject: one short line of printable ASCII.
pub(crate) fn injectable(command: &str) -> bool {
    !command.is_empty()
        && command.len() <= 200
        && command.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Runs the probe over `stream`, whose STARTTLS dialogue (with `command`
/// injected) ended in a go-ahead; `past_go_ahead` is what the dialogue
/// read past the go-ahead.
pub(crate) async fn starttls_injection<S>(
    stream: S,
    past_go_ahead: &[u8],
    command: &str,
    sni: Option<&str>,
    target: &Target,
    options: &ProbeOptions,
) -> ServerFlight
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let received = Received::default();
    let mut injection = InjectionObservation {
        injected: command.to_string(),
        before_tls: lines(past_go_ahead),
        handshake: InjectionHandshake::Failed {
            error: HandshakeError::Other {
                message: "not attempted".into(),
            },
            first_bytes: Default::default(),
        },
        after_tls: Vec::new(),
        after_tls_bytes: 0,
        end: None,
        wait_ms: 0,
    };
    let mut flight = ServerFlight::default();
    let handshake_started = Instant::now();
    match crate::handshake::channel(stream, target, sni, options, &received).await {
        Ok(mut tls) => {
            let (_, conn) = tls.get_ref();
            injection.handshake = InjectionHandshake::Completed {
                version: conn
                    .protocol_version()
                    .map(|v| ProtocolVersion(u16::from(v))),
                cipher_suite: conn
                    .negotiated_cipher_suite()
                    .map(|s| CipherSuite(u16::from(s.suite()))),
            };
            let wait = (handshake_started.elapsed() * WAIT_ROUND_TRIPS)
                .clamp(MIN_INJECTION_WAIT, INJECTION_WAIT)
                .min(options.timeout);
            let (data, end) = read_unasked(&mut tls, wait).await;
            injection.after_tls = lines(&data);
            injection.after_tls_bytes = data.len() as u64;
            injection.end = Some(end);
            injection.wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            flight.end = FlightEnd::Complete;
        }
        Err(error) => {
            let bytes = received.take();
            flight.end = match &error {
                HandshakeError::Reset => FlightEnd::Reset,
                HandshakeError::Timeout { .. } => FlightEnd::Timeout,
                HandshakeError::AlertReceived { .. } => FlightEnd::Alert,
                _ if !bytes.is_empty() && !matches!(bytes[0], 0x14..=0x17) => FlightEnd::NotTls,
                _ => FlightEnd::Closed,
            };
            injection.handshake = InjectionHandshake::Failed {
                error,
                first_bytes: bytes[..bytes.len().min(64)].to_vec().into(),
            };
        }
    }
    flight.bytes_received = received.len() as u64 + past_go_ahead.len() as u64;
    flight.follow_up = Some(FollowUpObservation {
        sent: vec!["client_hello".into()],
        end: flight.end.clone(),
        injection: Some(injection),
        ..Default::default()
    });
    flight
}

/// Reads what the server sends inside TLS until `wait` passes, the server
/// closes, or [`MAX_READ`] bytes; sends nothing.
async fn read_unasked<S: AsyncRead + Unpin>(
    tls: &mut S,
    wait: Duration,
) -> (Vec<u8>, ConnectionEnd) {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + wait;
    let mut data = Vec::new();
    let mut chunk = [0u8; 2048];
    let end = loop {
        if data.len() >= MAX_READ {
            break ConnectionEnd::Timeout {
                after_ms: elapsed_ms(started),
            };
        }
        match tokio::time::timeout_at(deadline, tls.read(&mut chunk)).await {
            Err(_) => {
                break ConnectionEnd::Timeout {
                    after_ms: elapsed_ms(started),
                }
            }
            Ok(Ok(0)) => {
                break ConnectionEnd::CloseNotify {
                    after_ms: elapsed_ms(started),
                }
            }
            Ok(Ok(n)) => {
                let room = MAX_READ - data.len();
                data.extend_from_slice(&chunk[..n.min(room)]);
            }
            Ok(Err(e)) => {
                break crate::http::ended(&e, started).unwrap_or(ConnectionEnd::Reset {
                    after_ms: elapsed_ms(started),
                })
            }
        }
    };
    (data, end)
}

/// Bytes as printable lines (bounded; a last line without its end kept).
fn lines(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && *l != b"\r")
        .take(MAX_LINES)
        .map(|l| {
            crate::transport::printable(l)
                .chars()
                .take(MAX_CHARS)
                .collect()
        })
        .collect()
}

/// A probe that did not run, and why.
pub(crate) fn skipped(why: &str) -> ServerFlight {
    ServerFlight {
        follow_up: Some(FollowUpObservation {
            skipped: Some(why.to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use model::{DnsObservation, ProbeKind, ProbeRequest, Purpose, Sender, StartTls, VulnProbe};
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    use super::*;

    fn acceptor() -> tokio_rustls::TlsAcceptor {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            )
            .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }

    /// One SMTP session: greeting, EHLO, STARTTLS; what came in the same
    /// read after `STARTTLS` is answered inside TLS (`buffers`: as Postfix
    /// before 2.8.4 did) or dropped.
    async fn scripted(listener: TcpListener, buffers: bool) {
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(b"220 scripted ESMTP\r\n").await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        let rest = loop {
            let n = socket.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            if buf.starts_with(b"EHLO") && buf.ends_with(b"\r\n") {
                buf.clear();
                socket
                    .write_all(b"250-scripted\r\n250 STARTTLS\r\n")
                    .await
                    .unwrap();
            } else if let Some(rest) = buf.strip_prefix(b"STARTTLS\r\n") {
                break rest.to_vec();
            }
        };
        socket
            .write_all(b"220 2.0.0 Ready to start TLS\r\n")
            .await
            .unwrap();
        let mut tls = acceptor().accept(socket).await.unwrap();
        if buffers && rest == b"RSET\r\n" {
            tls.write_all(b"250 2.0.0 Ok\r\n").await.unwrap();
            tls.flush().await.unwrap();
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut chunk)).await;
    }

    /// The probe's record against the scripted server.
    async fn probe(buffers: bool) -> model::ProbeRecord {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(scripted(listener, buffers));
        let mut target = Target::new("localhost", port);
        target.transport.starttls = Some(StartTls::Smtp);
        let dns = DnsObservation {
            addresses: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        };
        let request = ProbeRequest {
            purpose: Purpose::Vulnerability {
                name: "starttls_injection".into(),
            },
            kind: ProbeKind::Vulnerability(VulnProbe::StartTlsInjection {
                command: "RSET".into(),
                sni: Some("localhost".into()),
            }),
        };
        let mut records = crate::run(&target, &dns, vec![request], &ProbeOptions::default()).await;
        server.abort();
        records.remove(0)
    }

    fn injection(record: &model::ProbeRecord) -> &InjectionObservation {
        record
            .flight
            .as_ref()
            .and_then(|f| f.follow_up.as_ref())
            .and_then(|f| f.injection.as_ref())
            .expect("an injection observation")
    }

    #[tokio::test]
    async fn the_injected_line_rides_with_starttls_and_its_answer_inside_tls_is_recorded() {
        let record = probe(true).await;
        let stage = &record.transport.as_ref().unwrap().stages[0];
        let sent: Vec<&str> = stage
            .lines
            .iter()
            .filter(|l| l.from == Sender::Client)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(sent, ["EHLO tlsdoctor.invalid", "STARTTLS", "RSET"]);
        let i = injection(&record);
        assert!(
            matches!(i.handshake, InjectionHandshake::Completed { .. }),
            "{i:?}"
        );
        assert!(i.before_tls.is_empty(), "{i:?}");
        assert_eq!(i.after_tls, ["250 2.0.0 Ok"]);
    }

    #[tokio::test]
    async fn a_patched_server_leaves_the_wait_silent() {
        let record = probe(false).await;
        let i = injection(&record);
        assert!(
            matches!(i.handshake, InjectionHandshake::Completed { .. }),
            "{i:?}"
        );
        assert!(i.after_tls.is_empty(), "{i:?}");
        assert_eq!(i.after_tls_bytes, 0);
        assert!(
            matches!(i.end, Some(ConnectionEnd::Timeout { .. })),
            "{i:?}"
        );
        // A loopback handshake takes milliseconds: the shortest wait.
        assert_eq!(i.wait_ms, MIN_INJECTION_WAIT.as_millis() as u64);
    }
}
