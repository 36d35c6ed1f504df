//! The application step for https: `GET /` (or `HEAD /`) over the
//! established TLS connection, to read the server's first answer: its status,
//! the first bytes of its body (nginx names a client-certificate refusal only
//! there), its clock (`Date`), its security headers, and how the connection
//! ended when the server closed it instead of answering.
//!
//! Bounded: 16 KiB of headers, 4 KiB of (de-chunked) body, one deadline for
//! the whole exchange. Nothing here waits once the answer is complete.

use std::time::{Duration, Instant};

use model::{ConnectionEnd, HandshakeError, HttpObservation};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;

const MAX_HEADERS: usize = 16 * 1024;
/// The most body bytes kept (after de-chunking).
pub(crate) const MAX_BODY: usize = 4 * 1024;
/// The most bytes read in all: headers, body and chunk framing.
const MAX_READ: usize = MAX_HEADERS + 2 * MAX_BODY;

/// The `Host` header value for `host` and `port` (RFC 9110 §7.2): an IPv6
/// literal in brackets (without a zone), the port only when it is not the
/// https default 443. Characters that cannot appear in a header are dropped.
pub(crate) fn host_header(host: &str, port: u16) -> String {
    let host: String = host.chars().filter(|c| c.is_ascii_graphic()).collect();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = host.split('%').next().unwrap_or(host);
    let host = if address.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{address}]")
    } else {
        host.to_string()
    };
    if port == 443 {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// Sends `method /` with `host` (a [`host_header`] value) and reads the answer
/// until it is complete, the connection ends, [`MAX_READ`] bytes arrived or
/// `timeout` passed. Never fails: what went wrong is in
/// [`HttpObservation::end`] and [`HttpObservation::error`].
pub(crate) async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    method: &str,
    timeout: Duration,
) -> HttpObservation {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    // A deadline that passed is reported as the deadline itself.
    let cap_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    let request = format!(
        "{method} / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsdoctor\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    let head = method == "HEAD";
    let mut buf = Vec::with_capacity(4096);
    let mut first_byte_ms = None;
    let mut end = None;
    let mut io_error = None;

    let write = async {
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await
    };
    let written = tokio::time::timeout_at(deadline, write).await;
    let mut chunk = [0u8; 4096];
    match written {
        Err(_) => end = Some(ConnectionEnd::Timeout { after_ms: cap_ms }),
        Ok(Err(e)) => {
            // A TLS 1.3 alert may wait in the receive buffer: it says more
            // than the failed write.
            let alert = match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
                Ok(Err(read)) => match ended(&read, started) {
                    Ok(alert @ ConnectionEnd::Alert { .. }) => Some(alert),
                    _ => None,
                },
                _ => None,
            };
            end = Some(match alert {
                Some(alert) => alert,
                None => ended(&e, started).unwrap_or(ConnectionEnd::Reset {
                    after_ms: elapsed_ms(started),
                }),
            });
        }
        Ok(Ok(())) => loop {
            if buf.len() >= MAX_READ || answer_complete(&buf, head) {
                break;
            }
            let room = (MAX_READ - buf.len()).min(chunk.len());
            match tokio::time::timeout_at(deadline, stream.read(&mut chunk[..room])).await {
                Err(_) => {
                    end = Some(ConnectionEnd::Timeout { after_ms: cap_ms });
                    break;
                }
                Ok(Ok(0)) => {
                    end = Some(ConnectionEnd::CloseNotify {
                        after_ms: elapsed_ms(started),
                    });
                    break;
                }
                Ok(Ok(n)) => {
                    first_byte_ms.get_or_insert_with(|| elapsed_ms(started));
                    buf.extend_from_slice(&chunk[..n]);
                }
                Ok(Err(e)) => {
                    match ended(&e, started) {
                        Ok(how) => end = Some(how),
                        Err(message) => io_error = Some(message),
                    }
                    break;
                }
            }
        },
    }

    let mut obs = parse(&buf, head);
    obs.request = Some(format!("{method} / HTTP/1.1 (Host: {host})"));
    obs.elapsed_ms = Some(first_byte_ms.unwrap_or_else(|| elapsed_ms(started)));
    if buf.is_empty() {
        obs.error = Some(match (&end, io_error) {
            (_, Some(message)) => message,
            (Some(ConnectionEnd::Timeout { .. }), None) => {
                format!("no HTTP reply within {} ms", timeout.as_millis())
            }
            (Some(_), None) => "the connection ended before any HTTP reply".into(),
            (None, None) => "empty HTTP reply".into(),
        });
    } else if let Some(message) = io_error {
        obs.error = Some(message);
    }
    obs.end = end;
    obs
}

/// How the connection ended, from the error a read or write returned; `Err`
/// with the message when the error is none of the endings.
pub(crate) fn ended(e: &std::io::Error, started: Instant) -> Result<ConnectionEnd, String> {
    let after_ms = elapsed_ms(started);
    match crate::handshake::classify(e) {
        HandshakeError::AlertReceived { description } => Ok(ConnectionEnd::Alert {
            description,
            after_ms,
        }),
        HandshakeError::Closed => Ok(ConnectionEnd::Closed { after_ms }),
        HandshakeError::Reset => Ok(ConnectionEnd::Reset { after_ms }),
        HandshakeError::Timeout { .. } => Ok(ConnectionEnd::Timeout { after_ms }),
        other => Err(match other {
            HandshakeError::Protocol { message } | HandshakeError::Other { message } => message,
            other => format!("{other:?}"),
        }),
    }
}

/// The end of the header block (index after `\r\n\r\n`), if it arrived.
fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// How the body is delimited (RFC 9112 §6.3), from the header block.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    None,
    Chunked,
    Length(usize),
    UntilClose,
}

fn framing(headers: &str, status: Option<u16>, head: bool) -> Framing {
    if head || matches!(status, Some(100..=199 | 204 | 304)) {
        return Framing::None;
    }
    let mut length = None;
    for line in headers.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
            return Framing::Chunked;
        }
        if name == "content-length" {
            length = value.trim().parse::<usize>().ok();
        }
    }
    length.map_or(Framing::UntilClose, Framing::Length)
}

/// True when the answer in `buf` is complete as far as tlsdoctor reads it.
fn answer_complete(buf: &[u8], head: bool) -> bool {
    let Some(end) = header_end(buf) else {
        return buf.len() >= MAX_HEADERS;
    };
    let headers = String::from_utf8_lossy(&buf[..end]);
    let body = &buf[end..];
    match framing(&headers, status_code(&headers), head) {
        Framing::None => true,
        Framing::Length(n) => body.len() >= n.min(MAX_BODY),
        Framing::Chunked => {
            let (decoded, last) = dechunk(body);
            last || decoded.len() >= MAX_BODY
        }
        Framing::UntilClose => body.len() >= MAX_BODY,
    }
}

/// Decodes as much of a chunked body as `bytes` holds, up to
/// [`MAX_BODY`] bytes; true when the last chunk was seen.
fn dechunk(bytes: &[u8]) -> (Vec<u8>, bool) {
    let decoded = crate::chunked::dechunk(bytes, MAX_BODY);
    let last = decoded.end == crate::chunked::ChunkedEnd::Last;
    (decoded.data, last)
}

/// The status code of a status line `HTTP/1.1 400 Bad Request`.
fn status_code(headers: &str) -> Option<u16> {
    let line = headers.split("\r\n").next()?;
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
}

/// Picks the status, the headers analysis uses and the body. Values are
/// kept as text; control characters are dropped because they came from the
/// network.
pub(crate) fn parse(bytes: &[u8], head: bool) -> HttpObservation {
    let split = header_end(bytes).unwrap_or(bytes.len().min(MAX_HEADERS));
    let text = String::from_utf8_lossy(&bytes[..split]);
    let mut lines = text.split("\r\n");
    let mut obs = HttpObservation {
        status_line: lines.next().map(clean).filter(|s| !s.is_empty()),
        status: status_code(&text),
        ..Default::default()
    };
    for line in lines {
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = clean(value.trim());
        match name.trim().to_ascii_lowercase().as_str() {
            "date" => obs.date = Some(value),
            "server" => obs.server = Some(value),
            "strict-transport-security" => obs.strict_transport_security = Some(value),
            "content-security-policy" => obs.content_security_policy = Some(value),
            "x-frame-options" => obs.x_frame_options = Some(value),
            "x-content-type-options" => obs.x_content_type_options = Some(value),
            "referrer-policy" => obs.referrer_policy = Some(value),
            "permissions-policy" => obs.permissions_policy = Some(value),
            "expect-ct" => obs.expect_ct = Some(value),
            "public-key-pins" => obs.public_key_pins = Some(value),
            "public-key-pins-report-only" => obs.public_key_pins_report_only = Some(value),
            _ => {}
        }
    }
    if header_end(bytes).is_some() {
        let raw = &bytes[split..];
        let body = match framing(&text, obs.status, head) {
            Framing::None => Vec::new(),
            Framing::Chunked => dechunk(raw).0,
            Framing::Length(n) => raw[..raw.len().min(n).min(MAX_BODY)].to_vec(),
            Framing::UntilClose => raw[..raw.len().min(MAX_BODY)].to_vec(),
        };
        let body = clean_body(&body);
        obs.body = (!body.is_empty()).then_some(body);
    }
    if obs.status_line.is_none() {
        obs.error = Some("empty HTTP reply".into());
    }
    obs
}

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(512).collect()
}

/// The body as one line of text: control characters (newlines included)
/// become spaces, runs of spaces one.
pub(crate) fn clean_body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_date_and_hsts() {
        let obs = parse(b"HTTP/1.1 200 OK\r\nDate: Tue, 03 Nov 2026 10:00:00 GMT\r\nStrict-Transport-Security: max-age=63072000\r\n\r\n", false);
        assert_eq!(obs.status_line.as_deref(), Some("HTTP/1.1 200 OK"));
        assert_eq!(obs.status, Some(200));
        assert_eq!(obs.date.as_deref(), Some("Tue, 03 Nov 2026 10:00:00 GMT"));
        assert_eq!(
            obs.strict_transport_security.as_deref(),
            Some("max-age=63072000")
        );
    }

    #[test]
    fn reads_security_headers() {
        let obs = parse(b"HTTP/1.1 200 OK\r\ncontent-security-policy: default-src 'self'\r\nX-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nPermissions-Policy: camera=()\r\nExpect-CT: max-age=0\r\nPublic-Key-Pins: pin-sha256=\"x\"; max-age=1\r\n\r\nX-Frame-Options: SAMEORIGIN\r\n", false);
        assert_eq!(
            obs.content_security_policy.as_deref(),
            Some("default-src 'self'")
        );
        assert_eq!(obs.x_frame_options.as_deref(), Some("DENY"), "body ignored");
        assert_eq!(obs.x_content_type_options.as_deref(), Some("nosniff"));
        assert_eq!(obs.referrer_policy.as_deref(), Some("no-referrer"));
        assert_eq!(obs.permissions_policy.as_deref(), Some("camera=()"));
        assert_eq!(obs.expect_ct.as_deref(), Some("max-age=0"));
        assert_eq!(
            obs.public_key_pins.as_deref(),
            Some("pin-sha256=\"x\"; max-age=1")
        );
        assert_eq!(obs.public_key_pins_report_only, None);
    }

    #[test]
    fn strips_control_characters() {
        let obs = parse(
            b"HTTP/1.1 200 OK\r\nServer: evil\x1b[31m\r\nContent-Length: 9\r\n\r\na\x1b[2Jb\r\nc",
            false,
        );
        assert_eq!(obs.server.as_deref(), Some("evil[31m"));
        assert_eq!(obs.body.as_deref(), Some("a [2Jb c"));
    }

    /// nginx 1.22 with `ssl_verify_client on` and no client certificate.
    fn nginx_400() -> Vec<u8> {
        let body = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
        format!("HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nDate: Thu, 03 Dec 2026 07:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn reads_the_body_nginx_names_the_refusal_in() {
        assert!(answer_complete(&nginx_400(), false));
        let obs = parse(&nginx_400(), false);
        assert_eq!(obs.status, Some(400));
        let body = obs.body.expect("body");
        assert!(
            body.contains("<center>No required SSL certificate was sent</center>"),
            "{body}"
        );
        assert!(!body.contains('\n'));
    }

    #[test]
    fn a_head_answer_has_no_body() {
        let head = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 246\r\n\r\n";
        assert!(answer_complete(head, true));
        assert!(!answer_complete(head, false), "GET waits for the body");
        assert_eq!(parse(head, true).body, None);
    }

    #[test]
    fn decodes_a_chunked_body_bounded() {
        let answer = b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        assert!(answer_complete(answer, false));
        assert_eq!(parse(answer, false).body.as_deref(), Some("hello world"));
        // Incomplete: not done, and what is there is kept.
        let partial = b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
        assert!(!answer_complete(partial, false));
        assert_eq!(parse(partial, false).body.as_deref(), Some("hel"));
        // A chunk claiming more than usize is no chunk; a huge one is cut.
        assert_eq!(dechunk(b"fffffffffffffffffffff\r\nabc").0, b"");
        let (big, last) = dechunk(format!("ffffff\r\n{}", "x".repeat(5000)).as_bytes());
        assert_eq!((big.len(), last), (MAX_BODY, false));
    }

    #[test]
    fn a_close_delimited_body_is_read_to_the_bound() {
        let mut answer = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
        assert!(!answer_complete(&answer, false));
        answer.extend(std::iter::repeat_n(b'a', MAX_BODY + 10));
        assert!(answer_complete(&answer, false));
        assert_eq!(parse(&answer, false).body.map(|b| b.len()), Some(MAX_BODY));
    }

    #[test]
    fn a_status_line_that_is_not_http_has_no_status() {
        assert_eq!(status_code("SSH-2.0-OpenSSH_9.2\r\n"), None);
        assert_eq!(status_code("HTTP/1.1 4000 x"), None);
        assert_eq!(status_code("HTTP/1.1 421 Misdirected Request"), Some(421));
    }

    #[test]
    fn host_header_brackets_ipv6_and_names_other_ports() {
        assert_eq!(host_header("example.com", 443), "example.com");
        assert_eq!(host_header("example.com", 8443), "example.com:8443");
        assert_eq!(host_header("::1", 443), "[::1]");
        assert_eq!(host_header("::1", 8443), "[::1]:8443");
        assert_eq!(host_header("[2001:db8::1]", 4433), "[2001:db8::1]:4433");
        assert_eq!(host_header("fe80::1%eth0", 443), "[fe80::1]");
        assert_eq!(host_header("127.0.0.1", 8443), "127.0.0.1:8443");
        assert_eq!(host_header("evil\r\nX: y", 443), "evilX:y");
    }

    #[tokio::test]
    async fn a_server_that_closes_without_answering() {
        let (mut client, server) = tokio::io::duplex(4096);
        drop(server);
        let obs = request(&mut client, "localhost", "GET", Duration::from_secs(1)).await;
        assert!(obs.end.is_some(), "{obs:?}");
        assert!(obs.status.is_none());
        assert!(obs.error.is_some());
    }

    #[tokio::test]
    async fn a_server_that_never_answers_costs_the_cap_only() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        let started = Instant::now();
        let obs = request(&mut client, "localhost", "GET", Duration::from_millis(200)).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(obs.end, Some(ConnectionEnd::Timeout { after_ms: 200 }));
        assert_eq!(obs.error.as_deref(), Some("no HTTP reply within 200 ms"));
        let mut sent = [0u8; 64];
        let n = server.read(&mut sent).await.unwrap();
        assert!(sent[..n].starts_with(b"GET / HTTP/1.1\r\nHost: localhost\r\n"));
    }

    #[tokio::test]
    async fn a_complete_answer_is_not_waited_past() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let mut sink = [0u8; 512];
            let _ = server.read(&mut sink).await;
            server.write_all(&nginx_400()).await.unwrap();
            // Keep the connection open: the client must not wait for a close.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let started = Instant::now();
        let obs = request(&mut client, "localhost", "GET", Duration::from_secs(3)).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(obs.status, Some(400));
        assert_eq!(obs.end, None);
    }
}
