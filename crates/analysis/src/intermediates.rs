//! The publicly trusted intermediate CA certificates shipped with tlsdoctor
//! (`data/intermediates/int-bundle.crt`, from cloudflare/cfssl_trust; see the
//! README there), so a server that leaves out a public intermediate is
//! recognised offline, without fetching AIA caIssuers — as Firefox's
//! intermediate preloading does. Parsed once, on first use.

use std::sync::OnceLock;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::certs::{self, CertInfo};

/// Where the list comes from, for the output.
pub const LIST_NAME: &str = "cfssl_trust int-bundle.crt (1,263 publicly trusted intermediates)";
/// The list's date.
pub const LIST_DATE: &str = "2026-05-17";

const BUNDLE: &[u8] = include_bytes!("../data/intermediates/int-bundle.crt");

/// One shipped intermediate.
#[derive(Debug)]
pub struct Intermediate {
    pub der: Vec<u8>,
    pub info: CertInfo,
}

/// Every certificate of the bundle that parses.
pub fn all() -> &'static [Intermediate] {
    static LIST: OnceLock<Vec<Intermediate>> = OnceLock::new();
    LIST.get_or_init(|| parse_bundle(BUNDLE))
}

fn parse_bundle(pem: &[u8]) -> Vec<Intermediate> {
    CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .filter_map(|der| {
            let info = certs::parse(&der)?;
            Some(Intermediate {
                der: der.to_vec(),
                info,
            })
        })
        .collect()
}

/// The shipped intermediates that may have issued `cert`: same name as its
/// issuer and, when both carry key identifiers, the same key. When a
/// candidate's key verifies `cert_der`'s signature it comes first.
pub fn issuers_of(cert: &CertInfo, cert_der: &[u8]) -> Vec<&'static Intermediate> {
    let mut found: Vec<(bool, &'static Intermediate)> = all()
        .iter()
        .filter(|i| {
            certs::may_have_issued(cert, &i.info.subject_der, i.info.subject_key_id.as_deref())
        })
        .map(|i| {
            let verified = certs::spki_der(&i.der)
                .and_then(|spki| certs::signed_by(cert_der, &spki))
                .unwrap_or(false);
            (verified, i)
        })
        .collect();
    found.sort_by_key(|(verified, _)| !verified);
    found.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_parses() {
        // Every certificate of the shipped list parses; a few old (v1)
        // ones carry no basicConstraints.
        assert_eq!(all().len(), 1263);
        assert!(all().iter().filter(|i| i.info.is_ca).count() > 1200);
    }
}
