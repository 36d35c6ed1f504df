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
