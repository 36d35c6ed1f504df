//! SSL 2.0 records and SERVER-HELLO: parse → encode → parse equality.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::codec::Reader;
use wire::sslv2::{self, Ssl2ClientHello, Ssl2Message};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((body, used))) = sslv2::read_record(data) {
        assert!(used <= data.len() && body.len() <= used);
        if let Ok(Ssl2Message::ServerHello(sh)) = Ssl2Message::read_bytes(body) {
            let mut enc = Vec::new();
            sh.encode(&mut enc);
            assert_eq!(
                Ssl2Message::read_bytes(&enc).unwrap(),
                Ssl2Message::ServerHello(sh)
            );
        }
    }
    if let Ok(ch) = Ssl2ClientHello::read(&mut Reader::new(data)) {
        let mut enc = Vec::new();
        ch.encode(&mut enc);
        assert_eq!(Ssl2ClientHello::read(&mut Reader::new(&enc)).unwrap(), ch);
    }
});
