//! Loading trust anchors and client identities from files and the system.

use std::path::Path;

use anyhow::{bail, Context as _, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Reads every certificate in a PEM file (a regular file of at most
/// [`crate::input::MAX_FILE`] bytes).
pub fn load_certificates(path: &Path) -> Result<Vec<Vec<u8>>> {
    let text = crate::input::read_bounded(path, crate::input::MAX_FILE)?;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&text)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a valid PEM certificate file", path.display()))?;
    if certs.is_empty() {
        bail!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(certs)
}

/// Reads a client certificate chain and its private key.
pub fn load_identity(cert: &Path, key: &Path) -> Result<probe::ClientIdentity> {
    let chain = load_certificates(cert)?
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let text = crate::input::read_bounded(key, crate::input::MAX_FILE)?;
    let key = PrivateKeyDer::from_pem_slice(&text)
        .with_context(|| format!("{} holds no usable PEM private key", key.display()))?;
    Ok(probe::ClientIdentity { chain, key })
}

/// This machine's trust store; empty (with a note on stderr) when unreadable.
pub fn system_roots() -> Vec<Vec<u8>> {
    let result = rustls_native_certs::load_native_certs();
    result.certs.into_iter().map(|c| c.to_vec()).collect()
}
