//! HandshakeReassembler: arbitrary payloads in arbitrary records; every
//! message parses back from its encoding.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::codec::Codec;
use wire::record::{HandshakeMessage, HandshakeReassembler};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).max(1);
    let mut h = HandshakeReassembler::with_max_message_len(4096);
    for chunk in data.chunks(cut) {
        if h.push(chunk).is_err() {
            return;
        }
        while let Some(m) = h.next_message() {
            assert_eq!(HandshakeMessage::read_bytes(&m.get_encoding()).unwrap(), m);
        }
    }
});
