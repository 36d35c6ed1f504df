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

/// How long to wait inside TLS for an answer to the injected command. A
/// vulnerable server answers as soon as the handshake is done (its reply
/// was waiting in its buffer); a patched one stays silent, so this is also
/// the price of every "not vulnerable".
pub(crate) const INJECTION_WAIT: Duration = Duration::from_millis(1500);
/// Never keep more than this of what the server sends unasked.
const MAX_READ: usize = 4096;
/// The most lines kept, and the most characters of each.
const MAX_LINES: usize = 16;
const MAX_CHARS: usize = 200;

/// A command the probe may inject: one short line of printable ASCII.
pub(crate) fn injectable(command: &str) -> bool {
    !command.is_empty() && command.len() <= 200 && command.bytes().all(|b| (0x20..0x7f).contains(&b))
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
            let wait = INJECTION_WAIT.min(options.timeout);
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
async fn read_unasked<S: AsyncRead + Unpin>(tls: &mut S, wait: Duration) -> (Vec<u8>, ConnectionEnd) {
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
