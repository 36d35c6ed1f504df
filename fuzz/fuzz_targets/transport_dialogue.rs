//! A proxy's or STARTTLS server's answers (any bytes, then a close) to
//! every dialogue: no panic, and the transcript stays bounded in lines and
//! characters per line.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let stage = probe::fuzzing::transport_dialogue(data);
    assert!(stage.lines.len() <= 64, "{}", stage.lines.len());
    for line in &stage.lines {
        assert!(line.text.chars().count() <= 1024, "{}", line.text.len());
    }
});
