//! `tls12::kx::rsa_public_key` on arbitrary certificate bytes (the server's
//! leaf, which the RSA key exchange and ROBOT read): never panics, and what
//! it returns lies inside the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::tls12::kx::rsa_public_key;

fuzz_target!(|data: &[u8]| {
    if let Some((modulus, exponent)) = rsa_public_key(data) {
        let range = data.as_ptr_range();
        for part in [modulus, exponent] {
            assert!(part.is_empty() || range.contains(&part.as_ptr()));
        }
    }
});
