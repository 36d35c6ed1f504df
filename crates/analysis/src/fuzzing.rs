//! Entry points for the libFuzzer targets in `fuzz/` (not a stable API):
//! each feeds bytes from the outside world to one parser or judge of this
//! crate.

use time::OffsetDateTime;

use crate::certs::TrustStores;

/// A certificate from a server, parsed and judged: its fields, the names it
/// is valid for, and the chain judge over it alone and as its own issuer.
/// Returns the number of characters of text the judge produced (bounded by
/// the input: checked by the target).
pub fn certificate(der: &[u8], name: &str) -> usize {
    let info = crate::certs::parse(der);
    let described = info.as_ref().map(|i| format!("{i:?}").len()).unwrap_or(0);
    let _ = crate::certs::valid_for_name(der, name);
    let _ = crate::certs::spki_der(der);
    if let Some(spki) = crate::certs::spki_der(der) {
        let _ = crate::certs::signed_by(der, &spki);
    }
    let trust = TrustStores {
        system: Vec::new(),
        ca_file: vec![der.to_vec()],
    };
    let verdict = crate::chain::judge_chain(
        &[der.to_vec(), der.to_vec()],
        &trust,
        OffsetDateTime::UNIX_EPOCH,
    );
    described + format!("{verdict:?}").len()
}

/// A stapled OCSP response (RFC 6960), parsed and matched to a leaf and an
/// issuer (also arbitrary bytes).
pub fn ocsp(staple: &[u8], leaf: &[u8], issuer: &[u8]) {
    let _ = crate::ocsp::parse(staple);
    if let Ok(s) = crate::ocsp::check(staple, leaf, Some(issuer)) {
        let _ = s.single();
        let _ = s.is_stale(OffsetDateTime::UNIX_EPOCH);
    }
    let _ = crate::ocsp::check(staple, leaf, None);
}

/// The body an AIA caIssuers URL answered with (DER or PEM; PKCS#7 is not
/// read): the certificate it holds, if any.
pub fn aia_body(body: &[u8]) -> Option<Vec<u8>> {
    crate::issuers::decode(body)
}

/// DER elements read one after another until one is not well-formed; the
/// number read, and the integer-sequence reader on the same bytes.
pub fn der_elements(mut input: &[u8]) -> usize {
    let mut count = 0;
    while let Some(e) = crate::der::element(input) {
        assert!(e.whole.len() <= input.len() && e.value.len() < e.whole.len().max(1));
        count += 1;
        if e.rest.len() >= input.len() {
            break;
        }
        input = e.rest;
    }
    let _ = crate::der::integer_sequence(input);
    count
}
