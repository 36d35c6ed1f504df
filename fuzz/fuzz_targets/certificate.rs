//! Certificate (TLS 1.2 and 1.3 forms): parse → encode → parse equality.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::handshake::CertificateMessage;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let tls13 = sel & 1 == 1;
    if let Ok(m) = CertificateMessage::read_bytes(data, tls13) {
        assert_eq!(
            CertificateMessage::read_bytes(&m.get_encoding(), tls13).unwrap(),
            m
        );
    }
});
