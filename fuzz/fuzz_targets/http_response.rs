//! The HTTP/1.1 answer of the application step (GET and HEAD): the kept
//! body stays within the 4 KiB bound, headers within theirs. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for head in [false, true] {
        let obs = probe::fuzzing::http_response(data, head);
        assert!(obs.body.as_deref().map_or(0, str::len) <= 4 * 4096);
        if head {
            assert!(obs.body.is_none());
        }
    }
});
