//! ServerFlight: arbitrary server bytes in arbitrary chunks never panic and
//! never buffer without bound.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::flight::ServerFlight;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).max(1);
    let mut f = ServerFlight::new();
    for chunk in data.chunks(cut) {
        f.push(chunk);
        while f.next_event().is_some() {}
    }
    let _ = (
        f.is_complete(),
        f.negotiated_version(),
        f.encrypted_records(),
    );
});
