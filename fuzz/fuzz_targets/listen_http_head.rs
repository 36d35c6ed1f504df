//! `listen`'s HTTP request-head parser (the path and User-Agent it shows on
//! its page): never panics, and what it keeps is bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (path, agent) = tlsdoctor::fuzzing::listen_http_head(data);
    assert!(path <= 256 && agent <= 16 * 1024);
});
