//! The HTTP answer to an AIA caIssuers fetch (status line, headers, a body
//! plain or chunked): the body kept is never over the fetch bound.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let obs = probe::fuzzing::fetch_response(data);
    assert!(obs.body.0.len() <= probe::fuzzing::FETCH_MAX_BODY);
});
