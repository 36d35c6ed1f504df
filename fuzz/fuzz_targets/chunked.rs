//! The chunked transfer coding (RFC 9112 §7.1) decoded under a bound taken
//! from the input: never more data than the bound or the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&bound, body)) = data.split_first() else {
        return;
    };
    let max = usize::from(bound) * 16;
    let (len, _) = probe::fuzzing::dechunk(body, max);
    assert!(len <= max && len <= body.len());
});
