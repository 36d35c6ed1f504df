//! RecordReader: arbitrary bytes in arbitrary chunks; every record re-encodes
//! to the bytes it came from.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::codec::Codec;
use wire::record::{Record, RecordReader};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).max(1);
    let mut rr = RecordReader::new();
    let mut consumed = Vec::new();
    for chunk in data.chunks(cut) {
        if rr.push(chunk).is_err() {
            return;
        }
        loop {
            match rr.next_record() {
                Ok(Some(r)) => {
                    let enc = r.get_encoding();
                    assert_eq!(Record::read_bytes(&enc).unwrap(), r);
                    consumed.extend(enc);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    assert!(data.starts_with(&consumed));
});
