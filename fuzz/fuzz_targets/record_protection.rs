//! `tls12::protection::Protection::open` on arbitrary records for every
//! suite family the engine runs (CBC with implicit and explicit IV, GCM,
//! ChaCha20-Poly1305): a hostile server's encrypted records never panic the
//! decryption, padding or MAC checks, and what does open is bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::record::ContentType;
use wire::registry::{CipherSuite, ProtocolVersion};
use wire::tls12::protection::KeyPair;
use wire::tls12::suite::SuiteParams;

/// One suite per record-protection family, with the versions it runs at.
const SUITES: [(u16, u16); 6] = [
    (0x002f, 0x0301), // RSA AES-128-CBC-SHA, TLS 1.0: chained IV
    (0x002f, 0x0302), // the same, TLS 1.1: explicit IV
    (0xc027, 0x0303), // ECDHE-RSA AES-128-CBC-SHA256
    (0x009d, 0x0303), // RSA AES-256-GCM-SHA384
    (0xcca8, 0x0303), // ECDHE-RSA ChaCha20-Poly1305
    (0xc030, 0x0303), // ECDHE-RSA AES-256-GCM-SHA384
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let (suite, version) = SUITES[usize::from(sel) % SUITES.len()];
    let version = ProtocolVersion(version);
    let Ok(params) = SuiteParams::new(CipherSuite(suite), version) else {
        return;
    };
    let key_block = vec![0x5a; params.key_block_len()];
    let Ok(KeyPair { server: mut rx, .. }) = KeyPair::new(&params, &key_block) else {
        return;
    };
    // The input as a sequence of records: one length byte, then that many bytes.
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (fragment, tail) = tail.split_at(len);
        if let Ok(plain) = rx.open(ContentType::ApplicationData, version, fragment) {
            assert!(plain.len() <= fragment.len());
        }
        rest = tail;
    }
});
