//! `explain FILE.pcap --keylog FILE`: the key log is user-supplied text;
//! parsing it and deriving record keys from what it holds never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let log = wire::tls13::KeyLog::parse(&String::from_utf8_lossy(data));
    let random = data.get(..32).and_then(|r| <[u8; 32]>::try_from(r).ok());
    if let Some(secrets) = random.and_then(|r| log.secrets(&r)) {
        for suite in [0x1301, 0x1302, 0x1303, 0x1304] {
            for secret in [&secrets.server_handshake, &secrets.client_handshake] {
                if let Some(secret) = secret {
                    if let Some(mut opener) =
                        wire::tls13::RecordOpener::new(wire::registry::CipherSuite(suite), secret)
                    {
                        let _ = opener.open(data);
                    }
                }
            }
        }
    }
});
