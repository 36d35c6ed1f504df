//! Entry points for the libFuzzer targets in `fuzz/` (not a stable API):
//! each feeds bytes from the outside world to one reader of this crate.

use crate::listen::{http, sniff};

/// `listen`'s sniffer of a client's first flight, fed in pieces of the
/// given sizes (cycled): returns whether it reached a verdict.
pub fn listen_sniffer(bytes: &[u8], cuts: &[u8], max_len: usize) -> bool {
    let mut sniffer = sniff::HelloSniffer::new(max_len);
    let mut rest = bytes;
    let mut sizes = cuts.iter().cycle();
    while !rest.is_empty() {
        let n = usize::from(*sizes.next().unwrap_or(&255)).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        if !matches!(sniffer.push(piece), sniff::Sniffed::NeedMore) {
            return true;
        }
    }
    false
}

/// `listen`'s HTTP request-head parser: the path and the User-Agent it
/// kept, in characters (bounded by the parser).
pub fn listen_http_head(head: &[u8]) -> (usize, usize) {
    let _ = http::looks_like_http(head);
    let r = http::parse_head(head);
    (
        r.path.chars().count(),
        r.user_agent.as_deref().map_or(0, |u| u.chars().count()),
    )
}

/// `compare --client-hello`'s reader: hex, a `listen --json-log` line, a
/// pcap or pcapng, a raw hello; with or without `--stream`.
pub fn compare_input(bytes: &[u8], stream: Option<u32>) -> bool {
    crate::compare::read_client_hello(bytes, stream).is_ok()
}

/// A target as the user types it (`host`, `host:port`, a URL, `[::1]:443`).
pub fn target(text: &str) -> bool {
    crate::target::parse_target(text).is_ok()
}
