//! The listener's certificates, generated at start with rcgen: a private CA
//! ("tlsdoctor listen CA", written to `ca.pem` so users can `curl --cacert`),
//! and two leaves it signs for localhost, 127.0.0.1, ::1 and the bound
//! address: ECDSA P-256 and RSA 2048, so that clients offering only
//! ECDHE_RSA (or only ECDHE_ECDSA) TLS 1.2 suites can complete too.
//!
//! Nothing is checked in and nothing has fixed dates; this module writes
//! only `ca.pem` into the directory it is given.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// A leaf chain (leaf, CA) and its key.
pub(crate) struct Leaf {
    pub(crate) certs: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

/// What the listener serves.
pub(crate) struct ListenPki {
    pub(crate) ca_pem: String,
    pub(crate) ca_file: PathBuf,
    pub(crate) ecdsa: Leaf,
    pub(crate) rsa: Leaf,
    /// The names every leaf is valid for.
    pub(crate) names: Vec<String>,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "tlsdoctor listen");
    dn.push(DnType::CommonName, cn);
    dn
}

/// The names the leaves cover: loopback, plus `bind` when it is a specific address.
pub(crate) fn names_for(bind: IpAddr) -> Vec<String> {
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if !bind.is_unspecified() && !names.contains(&bind.to_string()) {
        names.push(bind.to_string());
    }
    names
}

/// Generates the CA and leaves and writes `dir/ca.pem`. Slow (RSA key
/// generation): call it from a blocking thread.
pub(crate) fn generate(dir: &Path, bind: IpAddr) -> Result<ListenPki> {
    let now = OffsetDateTime::now_utc();
    let rsa_key = std::thread::spawn(|| KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256));

    let mut ca = CertificateParams::default();
    ca.distinguished_name = dn("tlsdoctor listen CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = now - Duration::days(1);
    ca.not_after = now + Duration::days(30);
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).context("CA key")?;
    let ca = CertifiedIssuer::self_signed(ca, ca_key).context("CA certificate")?;

    let names = names_for(bind);
    let leaf = |key: KeyPair, rsa: bool| -> Result<Leaf> {
        let mut p = CertificateParams::new(names.clone()).context("leaf names")?;
        p.distinguished_name = dn("localhost");
        p.key_usages = if rsa {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ]
        } else {
            vec![KeyUsagePurpose::DigitalSignature]
        };
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.not_before = now - Duration::days(1);
        p.not_after = now + Duration::days(30);
        p.use_authority_key_identifier_extension = true;
        let cert = p.signed_by(&key, &ca).context("leaf certificate")?;
        Ok(Leaf {
            certs: vec![cert.der().clone(), ca.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    };
    let ecdsa = leaf(
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).context("ECDSA key")?,
        false,
    )?;
    let rsa_key = rsa_key
        .join()
        .map_err(|_| anyhow::anyhow!("RSA key generation panicked"))?
        .context("RSA 2048 key")?;
    let rsa = leaf(rsa_key, true)?;

    let ca_pem = ca.pem();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca_pem)
        .with_context(|| format!("cannot write {}", ca_file.display()))?;
    Ok(ListenPki {
        ca_pem,
        ca_file,
        ecdsa,
        rsa,
        names,
    })
}
