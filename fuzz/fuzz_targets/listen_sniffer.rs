//! `listen`'s sniffer of a client's first flight (TLS ClientHello over any
//! number of records, SSLv2 CLIENT-HELLO, not TLS), fed in pieces whose
//! sizes come from the input's first bytes. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (cuts, bytes) = data.split_at(data.len().min(4));
    tlsdoctor::fuzzing::listen_sniffer(bytes, cuts, 16 * 1024);
});
