//! `explain TEXT` on arbitrary bytes (as lossy UTF-8, as a log would be
//! read): never panics, and what it reports is bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let e = analysis::explain::explain(&text);
    assert!(e.recognised.len() <= 200);
    if let Some(host) = &e.host {
        assert!(host.len() <= 260 && !host.chars().any(char::is_control));
    }
});
