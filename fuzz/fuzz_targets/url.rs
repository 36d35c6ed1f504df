//! URL and target readers: a caIssuers URL as a certificate names it
//! (`http://host[:port]/path`, never userinfo, never a control character in
//! what is requested), and a target as a user types it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((host, _port, path)) = probe::fuzzing::caissuers_url(text) {
        assert!(!host.is_empty() && !host.contains('@'));
        assert!(!path.chars().any(|c| c.is_control() || c == ' '));
    }
    let _ = tlsdoctor::fuzzing::target(text);
});
