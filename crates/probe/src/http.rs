//! `HEAD /` over an established TLS connection, to read the server's clock
//! (`Date`), its HSTS policy and its other security headers. Bounded: 16
//! KiB of headers, one deadline.

use std::time::Duration;

use model::HttpObservation;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const MAX_HEADERS: usize = 16 * 1024;

/// Sends `HEAD /` and reads the headers. An I/O error is returned as such, so
/// the caller can tell a TLS alert the server sent after the handshake (a
/// TLS 1.3 server rejects a client certificate only then) from an HTTP problem.
/// `method` is `HEAD` or `GET` (only the headers are read either way).
pub(crate) async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    method: &str,
    timeout: Duration,
) -> Result<HttpObservation, std::io::Error> {
    match tokio::time::timeout(timeout, exchange(stream, host, method)).await {
        Ok(Ok(bytes)) => Ok(parse(&bytes)),
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(HttpObservation {
            error: Some(format!("no HTTP reply within {} ms", timeout.as_millis())),
            ..Default::default()
        }),
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    method: &str,
) -> std::io::Result<Vec<u8>> {
    let host: String = host.chars().filter(|c| c.is_ascii_graphic()).collect();
    let request = format!(
        "{method} / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsdoctor\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while buf.len() < MAX_HEADERS {
        let n = match stream.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => n,
            // A server that closes without close_notify still sent its headers.
            Err(e) if !buf.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    buf.truncate(MAX_HEADERS);
    Ok(buf)
}

/// Picks the few headers analysis uses. Values are kept as text; control
/// characters are dropped because they came from the network.
fn parse(bytes: &[u8]) -> HttpObservation {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    let mut obs = HttpObservation {
        status_line: lines.next().map(clean).filter(|s| !s.is_empty()),
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
    if obs.status_line.is_none() {
        obs.error = Some("empty HTTP reply".into());
    }
    obs
}

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(512).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_date_and_hsts() {
        let obs = parse(b"HTTP/1.1 200 OK\r\nDate: Tue, 03 Nov 2026 10:00:00 GMT\r\nStrict-Transport-Security: max-age=63072000\r\n\r\n");
        assert_eq!(obs.status_line.as_deref(), Some("HTTP/1.1 200 OK"));
        assert_eq!(obs.date.as_deref(), Some("Tue, 03 Nov 2026 10:00:00 GMT"));
        assert_eq!(
            obs.strict_transport_security.as_deref(),
            Some("max-age=63072000")
        );
    }

    #[test]
    fn reads_security_headers() {
        let obs = parse(b"HTTP/1.1 200 OK\r\ncontent-security-policy: default-src 'self'\r\nX-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nPermissions-Policy: camera=()\r\nExpect-CT: max-age=0\r\nPublic-Key-Pins: pin-sha256=\"x\"; max-age=1\r\n\r\nX-Frame-Options: SAMEORIGIN\r\n");
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
        let obs = parse(b"HTTP/1.1 200 OK\r\nServer: evil\x1b[31m\r\n\r\n");
        assert_eq!(obs.server.as_deref(), Some("evil[31m"));
    }
}
