//! Servers whose fault is below or around TLS: a port that speaks plain HTTP,
//! random bytes, silence, a reset, an oversized record, a ServerHello that
//! drips in one byte a second, and a storm of alerts.
//!
//! Each one is bounded in time and in bytes: none sends more than about 70 kB
//! or keeps a connection longer than a minute, so no client test can hang on
//! them and no client is flooded.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a server waits for the client's first bytes.
const FIRST_BYTES_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `silent` holds a connection open.
const SILENT_FOR: Duration = Duration::from_secs(30);
/// Most bytes `slow-drip` sends, one per [`DRIP_INTERVAL`].
const DRIP_BYTES: usize = 60;
const DRIP_INTERVAL: Duration = Duration::from_secs(1);
/// Warning alerts `alert-storm` sends before its fatal one.
const STORM_ALERTS: usize = 10_000;

/// Reads whatever the client sends first (at most 16 KiB), with a timeout.
/// Empty when nothing came.
async fn read_first(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 16 * 1024];
    match tokio::time::timeout(FIRST_BYTES_TIMEOUT, stream.read(&mut buf)).await {
        Ok(Ok(n)) => {
            buf.truncate(n);
            buf
        }
        _ => Vec::new(),
    }
}

/// Reads and discards input until EOF or `limit`, so the peer sees an
/// orderly close instead of a reset caused by unread data.
async fn drain_for(stream: &mut TcpStream, limit: Duration) {
    let drain = async {
        let mut buf = [0u8; 4096];
        let mut total = 0usize;
        while let Ok(n) = stream.read(&mut buf).await {
            total += n;
            if n == 0 || total > 1 << 20 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(limit, drain).await;
}

async fn close(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    drain_for(&mut stream, Duration::from_secs(2)).await;
}

/// `not-tls`: a plain HTTP server that answers anything with 400.
pub(crate) async fn not_tls(mut stream: TcpStream) {
    if read_first(&mut stream).await.is_empty() {
        return;
    }
    let body = "This port speaks plain HTTP, not TLS.\n";
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\nDate: {}\r\nServer: tlsdoctor-lab\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        crate::http::imf_fixdate(time::OffsetDateTime::now_utc()),
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    close(stream).await;
}

/// The 512 bytes `garbage` sends: random, but the first byte is never a TLS
/// content type (20..=24) nor has the high bit an SSLv2 record header has, so
/// the noise never happens to parse as a record header.
pub(crate) fn garbage_bytes() -> Vec<u8> {
    let mut bytes = vec![0u8; 512];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes[0] &= 0x0f;
    if bytes[1] == 0x03 {
        bytes[1] = 0x33;
    }
    bytes
}

/// `garbage`: sends 512 random bytes as soon as the client connects, closes.
pub(crate) async fn garbage(mut stream: TcpStream) {
    let _ = stream.write_all(&garbage_bytes()).await;
    close(stream).await;
}

/// `silent`: accepts and never sends; closes after [`SILENT_FOR`].
pub(crate) async fn silent(mut stream: TcpStream) {
    drain_for(&mut stream, SILENT_FOR).await;
    let _ = stream.shutdown().await;
}

/// `reset`: reads the ClientHello, then aborts the connection with a TCP RST.
pub(crate) async fn reset(mut stream: TcpStream) {
    let _ = read_first(&mut stream).await;
    // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// What `huge-record` sends: a handshake record header whose length 0xFFFF
/// exceeds the 2^14 + 2048 any TLS record may have, then a ServerHello
/// handshake header declaring a 16 MiB body, and nothing more.
pub(crate) const HUGE_RECORD: [u8; 9] = [
    0x16, 0x03, 0x03, 0xff, 0xff, // record: handshake, TLS 1.2, length 65535
    0x02, 0xff, 0xff, 0xff, // handshake: server_hello, length 16 MiB - 1
];

/// `huge-record`: answers the ClientHello with [`HUGE_RECORD`] and stalls.
pub(crate) async fn huge_record(mut stream: TcpStream) {
    if read_first(&mut stream).await.is_empty() {
        return;
    }
    let _ = stream.write_all(&HUGE_RECORD).await;
    drain_for(&mut stream, Duration::from_secs(20)).await;
}

/// `slow-drip`: answers the ClientHello with `server_hello` (a complete
/// ServerHello record) one byte per second, at most [`DRIP_BYTES`], then closes.
pub(crate) async fn slow_drip(mut stream: TcpStream, server_hello: Vec<u8>) {
    if read_first(&mut stream).await.is_empty() {
        return;
    }
    for byte in server_hello.iter().take(DRIP_BYTES) {
        if stream.write_all(std::slice::from_ref(byte)).await.is_err() {
            return;
        }
        tokio::time::sleep(DRIP_INTERVAL).await;
    }
    let _ = stream.shutdown().await;
}

/// What `alert-storm` sends: [`STORM_ALERTS`] warning `user_canceled` (90)
/// alerts, then a fatal `internal_error` (80), each in its own TLS 1.2 record.
pub(crate) fn alert_storm_bytes() -> Vec<u8> {
    let warning = [0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 90];
    let fatal = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 80];
    let mut out = Vec::with_capacity((STORM_ALERTS + 1) * 7);
    for _ in 0..STORM_ALERTS {
        out.extend_from_slice(&warning);
    }
    out.extend_from_slice(&fatal);
    out
}

/// `alert-storm`: answers the ClientHello with [`alert_storm_bytes`], closes.
pub(crate) async fn alert_storm(mut stream: TcpStream) {
    if read_first(&mut stream).await.is_empty() {
        return;
    }
    let bytes = alert_storm_bytes();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.write_all(&bytes)).await;
    close(stream).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_starts_like_a_record() {
        for _ in 0..100 {
            let g = garbage_bytes();
            assert_eq!(g.len(), 512);
            assert!(g[0] < 0x14);
            assert_ne!(g[1], 0x03);
        }
    }

    #[test]
    fn alert_storm_is_bounded_and_ends_fatal() {
        let b = alert_storm_bytes();
        assert_eq!(b.len(), 7 * 10_001);
        assert_eq!(&b[b.len() - 2..], &[2, 80]);
    }
}
