//! Capture files are user-supplied (`compare --client-hello FILE`): the pcap /
//! pcapng reader and the JA3/JA4 of every hello it finds must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::handshake::ClientHello;

fuzz_target!(|data: &[u8]| {
    if let Ok(hellos) = wire::pcap::client_hellos(data) {
        for captured in hellos {
            if let Ok(hello) = ClientHello::read_handshake(&captured.message) {
                let _ = wire::ja3::ja3(&hello);
                let _ = wire::ja4::ja4(&hello);
            }
        }
    }
});
