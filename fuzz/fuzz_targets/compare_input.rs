//! `compare --client-hello FILE`: the reader that tells hex, a
//! `listen --json-log` line, a pcap/pcapng and a raw hello apart, with and
//! without `--stream`. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tlsdoctor::fuzzing::compare_input(data, None);
    let _ = tlsdoctor::fuzzing::compare_input(data, Some(1));
});
