//! Loading trust anchors and client identities from files and the system.

use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

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

/// The one-file bundles distributions keep their trust store in, first
/// found wins: Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE, and the BSDs.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// This machine's trust store; empty when unreadable.
///
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` are honoured as OpenSSL honours them.
/// Otherwise the distribution's one-file bundle is read: the same roots as
/// the hashed directory beside it, without opening its few hundred files
/// (that took a third of a scan's judging time on a small server).
pub fn system_roots() -> Vec<Vec<u8>> {
    let env_set = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if !env_set {
        for bundle in SYSTEM_BUNDLES {
            let Ok(text) = crate::input::read_bounded(Path::new(bundle), crate::input::MAX_FILE)
            else {
                continue;
            };
            let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&text)
                .filter_map(|c| c.ok().map(|c| c.to_vec()))
                .collect();
            if !certs.is_empty() {
                return certs;
            }
        }
    }
    let result = rustls_native_certs::load_native_certs();
    result.certs.into_iter().map(|c| c.to_vec()).collect()
}

/// This machine's roots ([`system_roots`]), read on a thread of their own
/// so that a scan's first rounds need not wait: only its report reads them,
/// and reading them takes milliseconds (a few hundred files when
/// `SSL_CERT_DIR` is set), a tenth of a small server's whole scan.
pub struct SystemRootsLoader {
    reading: Mutex<Option<JoinHandle<Vec<Vec<u8>>>>>,
    roots: OnceLock<Vec<Vec<u8>>>,
}

impl SystemRootsLoader {
    /// Starts reading.
    pub fn start() -> Self {
        SystemRootsLoader {
            reading: Mutex::new(Some(std::thread::spawn(system_roots))),
            roots: OnceLock::new(),
        }
    }

    /// The roots, waiting for the read to finish the first time (a read
    /// that panicked gives none, as an unreadable store does).
    pub fn get(&self) -> &[Vec<u8>] {
        self.roots.get_or_init(|| {
            let handle = self.reading.lock().ok().and_then(|mut h| h.take());
            handle.and_then(|h| h.join().ok()).unwrap_or_default()
        })
    }
}
