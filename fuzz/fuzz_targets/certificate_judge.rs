//! A server's certificate through `analysis`: x509 fields and the extensions
//! we decode (TLS feature / must-staple, SCTs, AIA, key identifiers), names,
//! the signature check, and the chain judge with it as chain and trust
//! anchor. Never panics; the judge's text stays bounded by the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let name = std::str::from_utf8(&data[..data.len().min(16)]).unwrap_or("localhost");
    let text = analysis::fuzzing::certificate(data, name);
    assert!(text <= 64 * 1024 + 64 * data.len(), "{text} bytes of text");
});
