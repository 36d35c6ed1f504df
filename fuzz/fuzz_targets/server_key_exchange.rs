//! ServerKeyExchange for every key-exchange kind and version: parse → encode
//! → parse equality.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::handshake::{KeyExchangeKind, ServerKeyExchange};
use wire::registry::ProtocolVersion;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let kind = match sel % 5 {
        0 => KeyExchangeKind::Dhe,
        1 => KeyExchangeKind::DhAnon,
        2 => KeyExchangeKind::Ecdhe,
        3 => KeyExchangeKind::EcdhAnon,
        _ => KeyExchangeKind::RsaExport,
    };
    let version = ProtocolVersion(if sel & 0x80 != 0 { 0x0303 } else { 0x0301 });
    if let Ok(m) = ServerKeyExchange::read_bytes(data, kind, version) {
        assert_eq!(
            ServerKeyExchange::read_bytes(&m.get_encoding(), kind, version).unwrap(),
            m
        );
        let _ = (m.dh_prime_bits(), m.group(), m.signature_scheme());
    }
});
