//! The body an AIA caIssuers URL answered with (DER, PEM; PKCS#7 refused):
//! the certificate found is never larger than the body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(der) = analysis::fuzzing::aia_body(data) {
        assert!(der.len() <= data.len());
    }
});
