//! Entry points for the libFuzzer targets in `fuzz/` (not a stable API):
//! each feeds bytes from the outside world to one parser of this crate and
//! returns something the target can check a bound on.

use model::{FetchObservation, HttpObservation};

/// The HTTP/1.1 answer of the application step (`head`: the request was HEAD).
pub fn http_response(bytes: &[u8], head: bool) -> HttpObservation {
    crate::http::parse(bytes, head)
}

/// The HTTP answer to an AIA caIssuers fetch (status, headers, the body
/// whole or refused, chunked or not).
pub fn fetch_response(bytes: &[u8]) -> FetchObservation {
    let mut obs = FetchObservation::default();
    crate::fetch::parse_response(bytes, crate::fetch::MAX_BODY, &mut obs);
    obs
}

/// The bound an AIA body is kept to.
pub const FETCH_MAX_BODY: usize = crate::fetch::MAX_BODY;

/// A caIssuers URL as a certificate names it: `(host, port, path)`.
pub fn caissuers_url(url: &str) -> Result<(String, u16, String), String> {
    crate::fetch::parse_url(url)
}

/// A chunked body decoded to at most `max` bytes: the decoded length and
/// whether the last chunk was seen.
pub fn dechunk(bytes: &[u8], max: usize) -> (usize, bool) {
    let d = crate::chunked::dechunk(bytes, max);
    (d.data.len(), d.end == crate::chunked::ChunkedEnd::Last)
}

/// An HTTP/2 HPACK header block from the server (RFC 7541): the decoded
/// `(name, value)` pairs.
pub fn hpack_block(block: &[u8]) -> Vec<(String, Option<String>)> {
    crate::http2::decode_block(block)
}

/// A transport dialogue against a server that sends `bytes` and then
/// closes: the first byte picks the STARTTLS protocol (or, past the
/// protocols, an HTTP CONNECT or SOCKS5 proxy), the rest is the server's.
/// Returns the recorded stage (lines and outcome), which the target checks
/// for its bounds.
pub fn transport_dialogue(data: &[u8]) -> model::StageObservation {
    use tokio::io::AsyncWriteExt;
    let (choice, server_bytes) = data.split_first().unwrap_or((&0, &[]));
    let protocols = model::StartTls::ALL;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (mut client, mut server) = tokio::io::duplex(1 << 17);
        let bytes = server_bytes.to_vec();
        let feeder = tokio::spawn(async move {
            let _ = server.write_all(&bytes).await;
            let _ = server.shutdown().await;
        });
        let timeout = std::time::Duration::from_millis(50);
        let target = model::Target::new("fuzz.example", 25);
        let index = usize::from(*choice);
        let stage = if let Some(protocol) = protocols.get(index % (protocols.len() + 2)) {
            crate::transport::starttls::upgrade(
                &mut client,
                *protocol,
                &target,
                timeout,
                Vec::new(),
                None,
            )
            .await
            .0
        } else {
            let kind = if index % 2 == 0 {
                model::ProxyKind::HttpConnect
            } else {
                model::ProxyKind::Socks5
            };
            let proxy = model::Proxy {
                kind,
                host: "proxy.example".into(),
                port: 3128,
                username: Some("user".into()),
                password: Some("password".into()),
            };
            crate::transport::proxy::tunnel(&mut client, &proxy, &target, timeout)
                .await
                .0
        };
        feeder.abort();
        stage
    })
}
