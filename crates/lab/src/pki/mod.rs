//! The lab's certificates, generated at run time relative to the current clock.
//!
//! Nothing here has fixed dates and nothing is checked in: every lab start makes
//! a fresh private root ("tlsdoctor lab root CA"), an intermediate and one leaf
//! per certificate fault, plus a client CA with a client certificate and a
//! client certificate from a foreign CA. Keys are ECDSA P-256 (fast) except the
//! RSA 2048 leaf that RSA key exchange needs. What rcgen cannot make (a SHA-1
//! signature, a 1024-bit RSA key, a signed OCSP response) comes from the
//! `openssl` command line; see
//! [`openssl`]. Server leaves are valid from a day ago (as real CAs backdate),
//! so a client whose clock lags a little still sees the intended fault only.
//!
//! This module must never write outside the lab directory it is given, and it
//! only generates what the chosen servers need.

mod openssl;

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SerialNumber, SubjectPublicKeyInfo,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use crate::LabError;

/// A certificate chain as a server sends it (leaf first, unless the fault is
/// the order) and the leaf's private key (PKCS#8 DER).
#[derive(Clone)]
pub(crate) struct Chain {
    pub(crate) certs: Vec<CertificateDer<'static>>,
    pub(crate) key_pkcs8: Vec<u8>,
}

impl Chain {
    pub(crate) fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()))
    }
}

/// Which certificate sets to generate (the RSA and `openssl` ones cost time).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Needs {
    /// The RSA 2048 leaf for the scripted RSA / DHE_RSA servers.
    pub(crate) rsa: bool,
    /// The SHA-1 signed leaf (`openssl` route).
    pub(crate) sha1: bool,
    /// The RSA 1024 leaf (`openssl` route).
    pub(crate) weak_key: bool,
    /// The revoked leaf and its OCSP response (`openssl` route).
    pub(crate) revoked: bool,
}

/// Everything the servers and the user need, generated for one lab run.
pub(crate) struct Pki {
    /// PEM of the lab root, the file users pass as `--ca-file` / `--cacert`.
    pub(crate) root_pem: String,
    pub(crate) root_der: CertificateDer<'static>,
    pub(crate) client_ca_der: CertificateDer<'static>,
    /// Leaf for localhost, 127.0.0.1 and ::1, then the intermediate.
    pub(crate) good: Chain,
    pub(crate) expired: Chain,
    pub(crate) not_yet_valid: Chain,
    pub(crate) wrong_host: Chain,
    pub(crate) self_signed: Chain,
    /// Leaf issued by a second root that is not in the CA file, then that root.
    pub(crate) untrusted_root: Chain,
    /// The good leaf alone, without the intermediate that issued it.
    pub(crate) incomplete: Chain,
    /// Leaf issued by the issuing CA, then the intermediate, then the issuing
    /// CA (the issuer of the leaf comes last instead of second).
    pub(crate) wrong_order: Chain,
    /// Leaf issued by the "mitmproxy" CA of the interceptor.
    pub(crate) interceptor: Chain,
    pub(crate) rsa: Option<Chain>,
    pub(crate) sha1: Option<Chain>,
    pub(crate) weak_key: Option<Chain>,
    /// A leaf marked revoked (keyCompromise) and the DER OCSP response,
    /// signed by the intermediate, that says so.
    pub(crate) revoked: Option<(Chain, Vec<u8>)>,
}

/// Paths of the files written into the lab directory.
pub(crate) struct Files {
    pub(crate) ca_file: PathBuf,
    pub(crate) client_cert: PathBuf,
    pub(crate) client_key: PathBuf,
    pub(crate) foreign_client_cert: PathBuf,
    pub(crate) foreign_client_key: PathBuf,
}

type Issuer = CertifiedIssuer<'static, KeyPair>;

fn rcgen_err(what: &'static str) -> impl FnOnce(rcgen::Error) -> LabError {
    move |source| LabError::Certificate {
        what,
        detail: source.to_string(),
    }
}

fn name(cn: &str, org: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org);
    dn.push(DnType::CommonName, cn);
    dn
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    // A failure of the system RNG leaves a zero serial; rcgen still works.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes[0] &= 0x7f; // positive INTEGER
    bytes[0] |= 0x01; // and no leading zero byte to strip
    SerialNumber::from_slice(&bytes)
}

fn ca_params(cn: &str, org: &str, path_len: Option<u8>, now: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn, org);
    p.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(365);
    p.serial_number = Some(random_serial());
    p.use_authority_key_identifier_extension = path_len.is_some();
    p
}

/// Parameters of a TLS server leaf valid from `not_before` to `not_after`.
fn server_params(
    ca_issuers_url: &str,
    sans: &[&str],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    rsa: bool,
) -> Result<CertificateParams, LabError> {
    let mut p = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .map_err(rcgen_err("server certificate names"))?;
    p.distinguished_name = name(sans[0], "tlsdoctor lab");
    p.key_usages = if rsa {
        vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ]
    } else {
        vec![KeyUsagePurpose::DigitalSignature]
    };
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = not_before;
    p.not_after = not_after;
    p.serial_number = Some(random_serial());
    p.use_authority_key_identifier_extension = true;
    p.custom_extensions = vec![ca_issuers_extension(ca_issuers_url)];
    Ok(p)
}

/// RFC 5280 §4.2.2.1 Authority Information Access with one caIssuers URI, as
/// public CAs put in every leaf: it is how clients (and tlsdoctor) tell a
/// missing intermediate from a private root.
fn ca_issuers_extension(url: &str) -> rcgen::CustomExtension {
    // AccessDescription ::= SEQUENCE { accessMethod id-ad-caIssuers,
    //                                  accessLocation [6] IA5String }
    let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut location = vec![0x86, url.len() as u8];
    location.extend_from_slice(url.as_bytes());
    let mut description = vec![0x30, (method.len() + location.len()) as u8];
    description.extend_from_slice(&method);
    description.extend_from_slice(&location);
    let mut syntax = vec![0x30, description.len() as u8];
    syntax.extend_from_slice(&description);
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], syntax)
}

fn client_params(cn: &str, now: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn, "tlsdoctor lab");
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(90);
    p.serial_number = Some(random_serial());
    p.use_authority_key_identifier_extension = true;
    p
}

fn ecdsa_key() -> Result<KeyPair, LabError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rcgen_err("ECDSA key"))
}

fn new_ca(
    cn: &str,
    org: &str,
    path_len: Option<u8>,
    parent: Option<&Issuer>,
    now: OffsetDateTime,
) -> Result<Issuer, LabError> {
    let params = ca_params(cn, org, path_len, now);
    let key = ecdsa_key()?;
    match parent {
        None => CertifiedIssuer::self_signed(params, key),
        Some(parent) => CertifiedIssuer::signed_by(params, key, parent),
    }
    .map_err(rcgen_err("CA certificate"))
}

/// Issues a leaf for `params` with a fresh key; returns (leaf DER, key PKCS#8).
fn issue(
    params: &CertificateParams,
    key: KeyPair,
    issuer: &Issuer,
) -> Result<(CertificateDer<'static>, Vec<u8>), LabError> {
    let cert = params
        .signed_by(&key, issuer)
        .map_err(rcgen_err("leaf certificate"))?;
    Ok((cert.der().clone(), key.serialize_der()))
}

/// The names every "right" leaf is valid for.
pub(crate) const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

impl Pki {
    /// Generates the lab's certificates and writes the user-facing files
    /// (root CA, client certificates and keys) into `dir`.
    /// `ca_issuers_url` goes into every leaf's Authority Information Access:
    /// the lab serves the intermediate there (see `aia.rs`).
    pub(crate) fn generate(
        dir: &Path,
        needs: Needs,
        ca_issuers_url: &str,
    ) -> Result<(Pki, Files), LabError> {
        let now = OffsetDateTime::now_utc();
        let valid_from = now - Duration::days(1);
        let valid_to = now + Duration::days(90);

        // The RSA key takes the longest; make it while the rest is generated.
        let rsa_key = needs.rsa.then(|| {
            std::thread::spawn(|| {
                KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(rcgen_err("RSA 2048 key"))
            })
        });

        // So does `openssl genpkey` for the 1024-bit key.
        let weak_key_job = needs.weak_key.then(|| {
            let dir = dir.to_path_buf();
            std::thread::spawn(move || openssl::rsa_1024_key(&dir))
        });

        let org = "tlsdoctor lab";
        let root = new_ca("tlsdoctor lab root CA", org, None, None, now)?;
        let inter = new_ca(
            "tlsdoctor lab intermediate CA",
            org,
            Some(1),
            Some(&root),
            now,
        )?;
        let issuing = new_ca("tlsdoctor lab issuing CA", org, Some(0), Some(&inter), now)?;
        let other_root = new_ca(
            "tlsdoctor lab other root CA",
            "tlsdoctor other lab",
            None,
            None,
            now,
        )?;
        let mitm = new_ca("mitmproxy", "mitmproxy", None, None, now)?;
        let client_ca = new_ca("tlsdoctor lab client CA", org, None, None, now)?;
        let foreign_ca = new_ca(
            "tlsdoctor other client CA",
            "tlsdoctor other lab",
            None,
            None,
            now,
        )?;

        let with_inter = |(leaf, key): (CertificateDer<'static>, Vec<u8>)| Chain {
            certs: vec![leaf, inter.der().clone()],
            key_pkcs8: key,
        };
        let local = |from, to| server_params(ca_issuers_url, &LOCAL_NAMES, from, to, false);

        // The intermediate as files, for the `openssl` route.
        let (ca, ca_key) = (
            dir.join("intermediate.pem"),
            dir.join("intermediate-key.pem"),
        );
        if needs.sha1 || needs.revoked {
            write(&ca, &inter.pem())?;
            write(&ca_key, &inter.key().serialize_pem())?;
        }

        // Revoked: an rcgen leaf the intermediate issued, and an OCSP
        // response from `openssl ocsp` (as the intermediate) saying it is revoked.
        let revoked_job = if needs.revoked {
            let params = local(valid_from, valid_to)?;
            let serial = serial_hex(params.serial_number.as_ref());
            let (leaf, key) = issue(&params, ecdsa_key()?, &inter)?;
            let (dir, ca, ca_key) = (dir.to_path_buf(), ca.clone(), ca_key.clone());
            let leaf_pem = pem("CERTIFICATE", &leaf);
            let job = std::thread::spawn(move || {
                openssl::revoked_ocsp_response(
                    &dir,
                    &openssl::Revocation {
                        leaf_pem: &leaf_pem,
                        serial_hex: &serial,
                        not_after: valid_to,
                        revoked_at: now - Duration::hours(1),
                        reason: "keyCompromise",
                    },
                    &ca,
                    &ca_key,
                )
            });
            Some((job, with_inter((leaf, key))))
        } else {
            None
        };

        // SHA-1: an rcgen leaf, re-signed by `openssl` with SHA-1 by the intermediate.
        let sha1_job = if needs.sha1 {
            let (ca, ca_key) = (ca.clone(), ca_key.clone());
            // `openssl x509 -CA` insists on a self-signed input; without an
            // authority key identifier, which would name the wrong key.
            let key = ecdsa_key()?;
            let mut params = local(valid_from, valid_to)?;
            params.use_authority_key_identifier_extension = false;
            let leaf = params
                .self_signed(&key)
                .map_err(rcgen_err("leaf certificate"))?;
            let (dir, leaf_pem) = (dir.to_path_buf(), leaf.pem());
            let job = std::thread::spawn(move || {
                openssl::resign_with_sha1(&dir, &leaf_pem, &ca, &ca_key)
            });
            Some((job, key.serialize_der()))
        } else {
            None
        };

        let good = with_inter(issue(&local(valid_from, valid_to)?, ecdsa_key()?, &inter)?);
        let expired = with_inter(issue(
            &local(now - Duration::days(120), now - Duration::days(30))?,
            ecdsa_key()?,
            &inter,
        )?);
        let not_yet_valid = with_inter(issue(
            &local(now + Duration::days(30), now + Duration::days(120))?,
            ecdsa_key()?,
            &inter,
        )?);
        let wrong_host = with_inter(issue(
            &server_params(
                ca_issuers_url,
                &["wrong.example"],
                valid_from,
                valid_to,
                false,
            )?,
            ecdsa_key()?,
            &inter,
        )?);
        let self_signed = {
            let key = ecdsa_key()?;
            let cert = local(valid_from, valid_to)?
                .self_signed(&key)
                .map_err(rcgen_err("self-signed certificate"))?;
            Chain {
                certs: vec![cert.der().clone()],
                key_pkcs8: key.serialize_der(),
            }
        };
        let untrusted_root = {
            let (leaf, key) = issue(&local(valid_from, valid_to)?, ecdsa_key()?, &other_root)?;
            Chain {
                certs: vec![leaf, other_root.der().clone()],
                key_pkcs8: key,
            }
        };
        let incomplete = Chain {
            certs: vec![good.certs[0].clone()],
            key_pkcs8: good.key_pkcs8.clone(),
        };
        let wrong_order = {
            let (leaf, key) = issue(&local(valid_from, valid_to)?, ecdsa_key()?, &issuing)?;
            Chain {
                certs: vec![leaf, inter.der().clone(), issuing.der().clone()],
                key_pkcs8: key,
            }
        };
        let interceptor = {
            let (leaf, key) = issue(&local(valid_from, valid_to)?, ecdsa_key()?, &mitm)?;
            Chain {
                certs: vec![leaf],
                key_pkcs8: key,
            }
        };

        let client = issue(
            &client_params("tlsdoctor lab client", now),
            ecdsa_key()?,
            &client_ca,
        )?;
        let foreign = issue(
            &client_params("tlsdoctor other client", now),
            ecdsa_key()?,
            &foreign_ca,
        )?;

        let rsa = match rsa_key {
            Some(handle) => {
                let key = handle.join().map_err(|_| LabError::Certificate {
                    what: "RSA 2048 key",
                    detail: "key generation thread panicked".into(),
                })??;
                Some(with_inter(issue(
                    &server_params(ca_issuers_url, &LOCAL_NAMES, valid_from, valid_to, true)?,
                    key,
                    &inter,
                )?))
            }
            None => None,
        };

        let sha1 = match sha1_job {
            Some((job, key_pkcs8)) => Some(Chain {
                certs: vec![join(job)?, inter.der().clone()],
                key_pkcs8,
            }),
            None => None,
        };
        let weak_key = match weak_key_job {
            Some(job) => {
                let (public_pem, key_pkcs8) = join(job)?;
                let public = SubjectPublicKeyInfo::from_pem(&public_pem)
                    .map_err(rcgen_err("RSA 1024 public key"))?;
                let cert = server_params(ca_issuers_url, &LOCAL_NAMES, valid_from, valid_to, true)?
                    .signed_by(&public, &inter)
                    .map_err(rcgen_err("RSA 1024 leaf"))?;
                Some(Chain {
                    certs: vec![cert.der().clone(), inter.der().clone()],
                    key_pkcs8,
                })
            }
            None => None,
        };

        let revoked = match revoked_job {
            Some((job, chain)) => Some((chain, join(job)?)),
            None => None,
        };

        let files = Files {
            ca_file: dir.join("ca.pem"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client-key.pem"),
            foreign_client_cert: dir.join("foreign-client.pem"),
            foreign_client_key: dir.join("foreign-client-key.pem"),
        };
        let root_pem = root.pem();
        write(&files.ca_file, &root_pem)?;
        write(&files.client_cert, &pem("CERTIFICATE", &client.0))?;
        write(&files.client_key, &pem("PRIVATE KEY", &client.1))?;
        write(&files.foreign_client_cert, &pem("CERTIFICATE", &foreign.0))?;
        write(&files.foreign_client_key, &pem("PRIVATE KEY", &foreign.1))?;

        let pki = Pki {
            root_pem,
            root_der: root.der().clone(),
            client_ca_der: client_ca.der().clone(),
            good,
            expired,
            not_yet_valid,
            wrong_host,
            self_signed,
            untrusted_root,
            incomplete,
            wrong_order,
            interceptor,
            rsa,
            sha1,
            weak_key,
            revoked,
        };
        Ok((pki, files))
    }
}

/// A serial number in uppercase hex, as `openssl ca`'s index.txt writes it
/// ([`random_serial`] makes serials without a leading zero byte).
fn serial_hex(serial: Option<&SerialNumber>) -> String {
    serial
        .map(|s| s.to_bytes().iter().map(|b| format!("{b:02X}")).collect())
        .unwrap_or_default()
}

/// Waits for an `openssl` job.
fn join<T>(job: std::thread::JoinHandle<Result<T, LabError>>) -> Result<T, LabError> {
    job.join().map_err(|_| LabError::Openssl {
        step: "run openssl".into(),
        detail: "worker thread panicked".into(),
    })?
}

fn write(path: &Path, contents: &str) -> Result<(), LabError> {
    std::fs::write(path, contents).map_err(|source| LabError::Io {
        what: format!("write {}", path.display()),
        source,
    })
}

/// PEM-encodes one DER object (RFC 7468, 64 columns).
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                b64.push(char::from(ALPHABET[(v >> (18 - 6 * i)) as usize & 63]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn pem_round_trips() {
        for len in 0..10 {
            let der: Vec<u8> = (0..len * 7).map(|i| (i * 37 % 251) as u8).collect();
            let text = pem("CERTIFICATE", &der);
            let back = CertificateDer::from_pem_slice(text.as_bytes()).unwrap();
            assert_eq!(back.as_ref(), der.as_slice());
        }
    }
}
