//! `analysis` OCSP staple reader (RFC 6960): the response parsed, then
//! matched to a leaf and an issuer cut from the same input (all three
//! hostile). Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (a, rest) = data.split_at(data.len() / 2);
    let (b, c) = rest.split_at(rest.len() / 2);
    analysis::fuzzing::ocsp(data, b, c);
    analysis::fuzzing::ocsp(a, b, c);
});
