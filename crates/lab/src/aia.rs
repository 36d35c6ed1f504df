//! The lab CA's web server: serves the intermediate certificate at the URL
//! every lab leaf names in Authority Information Access (caIssuers), the way
//! public CAs publish theirs. A client that fetches missing intermediates
//! (browsers, `tlsdoctor diagnose`) can complete `incomplete-chain` from it.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::serve::accept_loop;

/// The path of the intermediate, as in the leaves' URL.
pub(crate) const PATH: &str = "/intermediate.crt";

/// Serves `intermediate_der` at [`PATH`] until aborted.
pub(crate) async fn serve(listener: TcpListener, intermediate_der: Vec<u8>) {
    let der = Arc::new(intermediate_der);
    accept_loop(listener, move |stream| answer(stream, der.clone())).await;
}

async fn answer(mut stream: TcpStream, der: Arc<Vec<u8>>) {
    let mut request = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let read = async {
        while request.len() < 4096 && !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&chunk[..n]),
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .is_err()
    {
        return;
    }
    let wanted = format!("GET {PATH} ");
    let reply = if request.starts_with(wanted.as_bytes()) {
        let mut reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            der.len()
        )
        .into_bytes();
        reply.extend_from_slice(&der);
        reply
    } else {
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}
