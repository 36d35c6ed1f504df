//! A server's HTTP/2 HPACK header block (RFC 7541: integers, literal and
//! Huffman strings, the static table): never panics, and never decodes
//! more headers than the block has bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let headers = probe::fuzzing::hpack_block(data);
    assert!(headers.len() <= data.len());
});
