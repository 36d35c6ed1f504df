//! ClientHello: parse → encode → parse equality; extensions keep their bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::codec::Codec;
use wire::handshake::ClientHello;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = ClientHello::read_bytes(data) {
        let enc = h.get_encoding();
        let again = ClientHello::read_bytes(&enc).expect("re-encoding parses");
        assert_eq!(again, h);
        assert_eq!(again.get_encoding(), enc);
        let _ = (
            h.server_name(),
            h.alpn(),
            h.key_share_groups(),
            h.max_version(),
        );
    }
    let _ = ClientHello::read_handshake(data);
});
