//! The tiny HTTP/1.1 responder behind every healthy-enough TLS server: it reads
//! one request head (bounded in bytes and time) and answers `200 OK` with a
//! `Date:` header (RFC 7231 IMF-fixdate of the real clock, which the diagnoser
//! reads to learn the server's time) and a short body, then closes.
//!
//! It is no web server: no keep-alive, no request body, no routing.

use std::time::Duration;

use time::macros::format_description;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Most bytes of request head read before answering anyway.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client has to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `now` as an RFC 7231 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn imf_fixdate(now: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    now.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| String::from("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// Reads one request head from `stream` and answers it; returns when the
/// answer is written (or the client went away or took too long).
pub(crate) async fn answer<S>(stream: &mut S, server: &str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let body = format!("tlsdoctor lab: {server}\n");
    respond(stream, "200 OK", "text/plain; charset=utf-8", &body).await;
}

/// nginx's answer under `ssl_verify_client on` to a client that sent no
/// certificate: `400 Bad Request`, the reason only in the body.
const NO_CLIENT_CERTIFICATE: &str = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>tlsdoctor-lab</center>\r\n</body>\r\n</html>\r\n";

/// Reads one request head and answers as nginx does under
/// `ssl_verify_client on` when the client sent no certificate.
pub(crate) async fn refuse_no_client_certificate<S>(stream: &mut S)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    respond(
        stream,
        "400 Bad Request",
        "text/html",
        NO_CLIENT_CERTIFICATE,
    )
    .await;
}

/// Reads one request head, then writes `status` with a `Date:` header and
/// `body`, and closes.
async fn respond<S>(stream: &mut S, status: &str, content_type: &str, body: &str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let got_request = tokio::time::timeout(REQUEST_TIMEOUT, read_head(stream))
        .await
        .unwrap_or(false);
    if !got_request {
        return;
    }
    let response = format!(
        "HTTP/1.1 {status}\r\nDate: {}\r\nServer: tlsdoctor-lab\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        imf_fixdate(OffsetDateTime::now_utc()),
        body.len(),
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.flush().await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(REQUEST_TIMEOUT, write).await;
}

/// True when a complete head (`\r\n\r\n`, or a bare `\n\n`) or at least
/// some bytes before EOF / the size limit arrived.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> bool {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(n) => n,
            Err(_) => return false,
        };
        if n == 0 {
            return !head.is_empty();
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() >= MAX_HEAD
            || head.windows(4).any(|w| w == b"\r\n\r\n")
            || head.windows(2).any(|w| w == b"\n\n")
        {
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imf_fixdate_matches_rfc_7231_example() {
        let t = OffsetDateTime::from_unix_timestamp(784111777).unwrap();
        assert_eq!(imf_fixdate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    /// Sends `GET /` to a server task on an in-memory stream and returns
    /// everything it answered.
    async fn get<F, Fut>(serve: F) -> String
    where
        F: FnOnce(tokio::io::DuplexStream) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (mut client, server) = tokio::io::duplex(4096);
        let task = tokio::spawn(serve(server));
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        client.read_to_string(&mut out).await.unwrap();
        task.await.unwrap();
        out
    }

    #[tokio::test]
    async fn answers_a_request_with_date() {
        let out = get(|mut server| async move { answer(&mut server, "good").await }).await;
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains("\r\nDate: "), "{out}");
        assert!(out.ends_with("tlsdoctor lab: good\n"), "{out}");
    }

    #[tokio::test]
    async fn refuses_like_nginx_without_a_client_certificate() {
        let out =
            get(|mut server| async move { refuse_no_client_certificate(&mut server).await }).await;
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
        assert!(out.contains("<center>No required SSL certificate was sent</center>"));
    }
}
