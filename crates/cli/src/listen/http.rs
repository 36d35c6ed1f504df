//! The listener's tiny HTTP/1.x side: read one request head (bounded in bytes
//! and time), learn the User-Agent and whether the client wants HTML, answer
//! once and close. No keep-alive, no request bodies, no routing beyond
//! `/favicon.ico`.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Most bytes of request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Longest User-Agent kept.
const MAX_USER_AGENT: usize = 512;

/// What the client asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) path: String,
    pub(crate) user_agent: Option<String>,
    /// `Accept` names `text/html`.
    pub(crate) wants_html: bool,
}

/// Reads one request head; `None` when the client sent none in time.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Option<Request> {
    let read = async {
        let mut head = Vec::with_capacity(1024);
        let mut buf = [0u8; 2048];
        loop {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
            if head.len() >= MAX_HEAD || head.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        (!head.is_empty()).then_some(head)
    };
    let head = tokio::time::timeout(limit, read).await.ok()??;
    Some(parse_head(&head))
}

/// Parses a request head leniently: unknown or broken lines are skipped.
pub(crate) fn parse_head(head: &[u8]) -> Request {
    let text = String::from_utf8_lossy(&head[..head.len().min(MAX_HEAD)]);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .chars()
        .take(256)
        .collect();
    let mut request = Request {
        path,
        ..Request::default()
    };
    for line in lines {
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("user-agent") {
            request.user_agent = Some(value.chars().take(MAX_USER_AGENT).collect());
        } else if name.eq_ignore_ascii_case("accept") {
            request.wants_html |= value.to_ascii_lowercase().contains("text/html");
        }
    }
    request
}

/// Writes one response and closes the write side.
pub(crate) async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: &str,
    content_type: &str,
    body: &[u8],
    limit: Duration,
) {
    // The page shows what a client sent (names, ALPN values): even escaped,
    // it gets no scripts, no loads, no framing, and no type sniffing.
    let csp = if content_type.starts_with("text/html") {
        "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nServer: tlsdoctor-listen\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n{csp}Connection: close\r\n\r\n",
        body.len()
    );
    // One write: head and body in as few TLS records and TCP segments as fit.
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    let write = async {
        stream.write_all(&response).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(limit, write).await;
}

/// True when the first bytes look like a plain-HTTP request.
pub(crate) fn looks_like_http(bytes: &[u8]) -> bool {
    const METHODS: [&[u8]; 7] = [
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"OPTIONS ",
        b"DELETE ",
        b"CONNECT ",
    ];
    METHODS.iter().any(|m| bytes.starts_with(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_agent_and_accept() {
        let r = parse_head(b"GET /x HTTP/1.1\r\nHost: a\r\nuser-agent:  curl/8.0 \r\nAccept: text/html,*/*\r\n\r\n");
        assert_eq!(r.path, "/x");
        assert_eq!(r.user_agent.as_deref(), Some("curl/8.0"));
        assert!(r.wants_html);
        let r = parse_head(b"\xff\xfe garbage");
        assert_eq!(r.user_agent, None);
        assert!(!r.wants_html);
    }

    #[tokio::test]
    async fn responses_carry_nosniff_and_the_page_a_csp() {
        use tokio::io::AsyncReadExt;
        for (content_type, csp) in [
            ("text/html; charset=utf-8", true),
            ("application/json", false),
        ] {
            let (mut client, mut server) = tokio::io::duplex(4096);
            respond(
                &mut server,
                "200 OK",
                content_type,
                b"body",
                Duration::from_secs(1),
            )
            .await;
            drop(server);
            let mut out = String::new();
            client.read_to_string(&mut out).await.unwrap();
            assert!(
                out.contains("\r\nX-Content-Type-Options: nosniff\r\n"),
                "{out}"
            );
            assert_eq!(
                out.contains("\r\nContent-Security-Policy: default-src 'none';"),
                csp,
                "{out}"
            );
            assert!(out.ends_with("\r\n\r\nbody"), "{out}");
        }
    }
}
