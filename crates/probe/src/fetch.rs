//! Fetching a CA certificate named by Authority Information Access
//! (RFC 5280 §4.2.2.1 caIssuers), as browsers do when a server forgets its
//! intermediate. Only `http://` (caIssuers URLs are plain HTTP by design, the
//! content is signed), one GET, no redirects, 64 KiB at most, one deadline.
//! Every address goes through the outbound-request policy
//! ([`crate::outbound`]) first, and the connection goes to the checked
//! address, never to a second look-up.

use std::net::IpAddr;

use crate::chunked::ChunkedEnd;
use model::{Bytes, FetchObservation, Target, TcpOutcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::ProbeOptions;

/// A CA certificate is a few KiB; a PKCS#7 bundle a little more.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// `http://host[:port]/path` split into its parts.
pub(crate) fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// caIssuers URLs are fetched".to_string())?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("bad IPv6 literal in URL")?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| "bad port in URL")?,
            None => 80,
        };
        (host.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| "bad port in URL")?),
            None => (authority.to_string(), 80),
        }
    };
    if host.is_empty() || host.contains('@') || path.chars().any(|c| c.is_control() || c == ' ') {
        return Err("malformed URL".into());
    }
    Ok((host, port, path.to_string()))
}

/// The biggest CRL read (large CAs publish several MiB; those are partitioned
/// and the leaf's distribution point names its part).
pub(crate) const MAX_CRL: usize = 4 * 1024 * 1024;

/// What to ask the CA's server.
pub(crate) enum Ask<'a> {
    /// `GET`, keeping at most this many body bytes.
    Get { max_body: usize },
    /// `POST` an OCSP request.
    Ocsp { request: &'a [u8] },
}

/// Fetches the caIssuers `url` for a target at `target` (its addresses,
/// for the outbound policy); returns the address used, the TCP outcome and
/// what came back.
pub(crate) async fn issuer(
    url: &str,
    target: &[IpAddr],
    options: &ProbeOptions,
) -> (Option<IpAddr>, TcpOutcome, FetchObservation) {
    fetch(url, Ask::Get { max_body: MAX_BODY }, target, options).await
}

/// One bounded HTTP exchange with a CA's server (caIssuers, OCSP, CRL),
/// under the outbound-request policy.
pub(crate) async fn fetch(
    url: &str,
    ask: Ask<'_>,
    target: &[IpAddr],
    options: &ProbeOptions,
) -> (Option<IpAddr>, TcpOutcome, FetchObservation) {
    let mut obs = FetchObservation {
        url: url.to_string(),
        ..Default::default()
    };
    let (host, port, path) = match parse_url(url) {
        Ok(parts) => parts,
        Err(e) => {
            obs.error = Some(e);
            return (None, TcpOutcome::NotAttempted, obs);
        }
    };
    let dns = crate::resolve(
        &Target::new(host.clone(), port),
        options.timeout,
        options.resolver,
    )
    .await;
    if let Some(error) = dns.error.filter(|_| dns.addresses.is_empty()) {
        obs.error = Some(format!("cannot resolve {host}: {error}"));
        return (None, TcpOutcome::NotAttempted, obs);
    }
    let (allowed, refused) =
        crate::outbound::filter(&dns.addresses, target, options.allow_private_fetch);
    if !refused.is_empty() {
        obs.refused = Some(refused.join("; "));
    }
    if allowed.is_empty() {
        obs.error = Some(format!(
            "not fetched, outbound-request policy: {}",
            obs.refused.clone().unwrap_or_default()
        ));
        return (None, TcpOutcome::NotAttempted, obs);
    }
    // The checked addresses, not the name: nothing is resolved again.
    let (ip, tcp, stream) = crate::connect::connect(&allowed, port, options.timeout).await;
    let Some(mut stream) = stream else {
        obs.error = Some(format!("cannot connect to {host}:{port}"));
        return (ip, tcp, obs);
    };
    let host = host_header(&host, port);
    let (request, max_body) = match ask {
        Ask::Get { max_body } => (
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsdoctor\r\nAccept: */*\r\nConnection: close\r\n\r\n").into_bytes(),
            max_body,
        ),
        Ask::Ocsp { request: body } => {
            let mut request = format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsdoctor\r\nContent-Type: application/ocsp-request\r\nAccept: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            request.extend_from_slice(body);
            (request, MAX_BODY)
        }
    };
    let max_response = 2 * max_body + 8192;
    let exchange = async {
        stream.write_all(&request).await?;
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 || buf.len() >= max_response {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            // A server that keeps the connection open (OpenSSL's OCSP
            // responder) has answered once Content-Length bytes are in.
            if complete(&buf) {
                break;
            }
        }
        Ok::<_, std::io::Error>(buf)
    };
    match tokio::time::timeout(options.timeout, exchange).await {
        Ok(Ok(bytes)) => parse_response(&bytes, max_body, &mut obs),
        Ok(Err(e)) => obs.error = Some(e.to_string()),
        Err(_) => {
            obs.error = Some(format!(
                "no answer within {} ms",
                options.timeout.as_millis()
            ))
        }
    }
    (ip, tcp, obs)
}

/// The response is whole: its headers and a body of the Content-Length
/// they announce (without one, only the close says so).
fn complete(buf: &[u8]) -> bool {
    let Some(split) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..split]);
    let length = head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    length.is_some_and(|n| buf.len() - (split + 4) >= n)
}

/// The Host header (RFC 9110 §7.2): an IPv6 literal in brackets, the port
/// when it is not 80.
fn host_header(host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    if port == 80 {
        host
    } else {
        format!("{host}:{port}")
    }
}

pub(crate) fn parse_response(bytes: &[u8], max_body: usize, obs: &mut FetchObservation) {
    let Some(split) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        obs.error = Some("no complete HTTP response".into());
        return;
    };
    let head = String::from_utf8_lossy(&bytes[..split]);
    let clean = |s: &str| {
        s.chars()
            .filter(|c| !c.is_control())
            .take(256)
            .collect::<String>()
    };
    let mut lines = head.split("\r\n");
    obs.status_line = lines.next().map(clean);
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-type") {
                obs.content_type = Some(clean(value.trim()));
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            }
        }
    }
    let body = &bytes[split + 4..];
    let body = if chunked {
        // The body is a certificate: only a whole one is of use.
        let decoded = crate::chunked::dechunk(body, max_body);
        let problem = match decoded.end {
            ChunkedEnd::Last => None,
            ChunkedEnd::Short => Some("a chunked body cut short".to_string()),
            ChunkedEnd::TooLong => Some(format!("a chunked body over {max_body} bytes")),
            ChunkedEnd::Malformed(why) => Some(why.to_string()),
        };
        if let Some(e) = problem {
            obs.error = Some(format!("HTTP body: {e}"));
            return;
        }
        decoded.data
    } else {
        if body.len() > max_body {
            obs.error = Some(format!("HTTP body: more than {max_body} bytes"));
            return;
        }
        body.to_vec()
    };
    obs.body = Bytes(body);
    let ok = obs
        .status_line
        .as_deref()
        .is_some_and(|s| s.split_whitespace().nth(1) == Some("200"));
    if !ok {
        obs.error = Some(format!(
            "HTTP answer: {}",
            obs.status_line.clone().unwrap_or_default()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any text a certificate names as caIssuers: no panic, and what is
        /// fetched has a host, no userinfo and no control characters.
        #[test]
        fn any_url_text_parses_safely(url in "(http://)?[ -~\\x00-\\x1f\\u{80}-\\u{10ffff}]{0,80}") {
            if let Ok((host, _port, path)) = parse_url(&url) {
                proptest::prop_assert!(!host.is_empty() && !host.contains('@'));
                proptest::prop_assert!(!path.chars().any(|c| c.is_control() || c == ' '));
            }
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://ca.example/i.crt").unwrap(),
            ("ca.example".into(), 80, "/i.crt".into())
        );
        assert_eq!(
            parse_url("http://127.0.0.1:8080/x").unwrap(),
            ("127.0.0.1".into(), 8080, "/x".into())
        );
        assert_eq!(
            parse_url("http://[::1]:81/").unwrap(),
            ("::1".into(), 81, "/".into())
        );
        assert!(parse_url("https://ca.example/").is_err());
        assert!(parse_url("ldap://x/").is_err());
        assert!(parse_url("http://u@h/").is_err());
    }

    #[test]
    fn host_headers() {
        assert_eq!(host_header("ca.example", 80), "ca.example");
        assert_eq!(host_header("ca.example", 8080), "ca.example:8080");
        assert_eq!(host_header("::1", 80), "[::1]");
        assert_eq!(host_header("2001:db8::1", 81), "[2001:db8::1]:81");
    }

    #[test]
    fn chunked_bodies() {
        // Only a whole chunked body is a certificate.
        for cut in [&b"3\r\nabc\r\n"[..], b"ffff\r\nab"] {
            let mut body = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            body.extend_from_slice(cut);
            let mut obs = FetchObservation::default();
            parse_response(&body, MAX_BODY, &mut obs);
            assert!(
                obs.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("HTTP body")),
                "{obs:?}"
            );
        }
        let mut obs = FetchObservation::default();
        parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\x30\x00\r\n0\r\n\r\n",
            MAX_BODY,
            &mut obs,
        );
        assert_eq!(obs.body.0, b"\x30\x00");
        assert!(obs.error.is_none());
    }

    #[test]
    fn responses() {
        let mut obs = FetchObservation::default();
        parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\n\r\n\x30\x03\x02\x01\x01",
            MAX_BODY,
            &mut obs,
        );
        assert_eq!(obs.body.0, b"\x30\x03\x02\x01\x01");
        assert_eq!(obs.content_type.as_deref(), Some("application/pkix-cert"));
        assert!(obs.error.is_none());
        let mut obs = FetchObservation::default();
        parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n", MAX_BODY, &mut obs);
        assert!(obs.error.unwrap().contains("404"));
    }
}
