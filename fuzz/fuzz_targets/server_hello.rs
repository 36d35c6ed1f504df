//! ServerHello / HelloRetryRequest: parse → encode → parse equality.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::codec::Codec;
use wire::handshake::ServerHello;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = ServerHello::read_bytes(data) {
        let again = ServerHello::read_bytes(&h.get_encoding()).expect("re-encoding parses");
        assert_eq!(again, h);
        let _ = (
            h.selected_version(),
            h.key_share_group(),
            h.downgrade_sentinel(),
        );
    }
});
