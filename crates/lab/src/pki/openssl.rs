//! The second route for certificates rcgen will not make: a leaf signed with
//! SHA-1 and a leaf with a 1024-bit RSA key, made by the `openssl` command line
//! at run time from the intermediate CA that rcgen generated.
//!
//! Every file lives in the lab directory; each job runs on its own thread so
//! the lab start does not wait for the processes one after another.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{ecdsa_key, Chain, Needs};
use crate::LabError;

/// Extensions of both leaves, in `openssl x509 -extfile` syntax.
const SERVER_EXTENSIONS: &str = "\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

type Job = JoinHandle<Result<Chain, LabError>>;

/// The running `openssl` jobs.
pub(super) struct Jobs {
    sha1: Option<Job>,
    weak_key: Option<Job>,
}

/// Writes the intermediate and its key into `dir` and starts the jobs `needs` asks for.
pub(super) fn start(
    dir: &Path,
    inter_pem: &str,
    inter_key_pem: &str,
    needs: Needs,
) -> Result<Jobs, LabError> {
    let ca = dir.join("intermediate.pem");
    let ca_key = dir.join("intermediate-key.pem");
    let ext = dir.join("server-ext.cnf");
    super::write(&ca, inter_pem)?;
    super::write(&ca_key, inter_key_pem)?;
    super::write(&ext, SERVER_EXTENSIONS)?;
    let signer = Signer {
        dir: dir.to_path_buf(),
        ca,
        ca_key,
        ext,
    };

    let sha1 = if needs.sha1 {
        // An ECDSA P-256 key made here; the certificate's signature is ecdsa-with-SHA1.
        let key_pem = ecdsa_key()?.serialize_pem();
        let key_path = dir.join("sha1-key.pem");
        super::write(&key_path, &key_pem)?;
        let s = signer.clone();
        Some(std::thread::spawn(move || {
            s.leaf("sha1", &key_path, "-sha1")
        }))
    } else {
        None
    };
    let weak_key = if needs.weak_key {
        let s = signer.clone();
        Some(std::thread::spawn(move || {
            let key_path = s.dir.join("rsa1024-key.pem");
            s.run(
                "generate the 1024-bit RSA key",
                Command::new("openssl")
                    .args([
                        "genpkey",
                        "-algorithm",
                        "RSA",
                        "-pkeyopt",
                        "rsa_keygen_bits:1024",
                        "-out",
                    ])
                    .arg(&key_path),
            )?;
            s.leaf("rsa1024", &key_path, "-sha256")
        }))
    } else {
        None
    };
    Ok(Jobs { sha1, weak_key })
}

impl Jobs {
    /// Waits for the jobs: (SHA-1 leaf, RSA 1024 leaf), each without the intermediate.
    pub(super) fn finish(self) -> Result<(Option<Chain>, Option<Chain>), LabError> {
        let join = |job: Option<Job>| -> Result<Option<Chain>, LabError> {
            match job {
                None => Ok(None),
                Some(job) => job
                    .join()
                    .map_err(|_| LabError::Openssl {
                        step: "run openssl".into(),
                        detail: "worker thread panicked".into(),
                    })?
                    .map(Some),
            }
        };
        let sha1 = join(self.sha1);
        let weak = join(self.weak_key);
        Ok((sha1?, weak?))
    }
}

#[derive(Clone)]
struct Signer {
    dir: PathBuf,
    ca: PathBuf,
    ca_key: PathBuf,
    ext: PathBuf,
}

impl Signer {
    /// Makes a CSR for `key_path` and has the intermediate sign it with `digest`.
    fn leaf(&self, stem: &str, key_path: &Path, digest: &str) -> Result<Chain, LabError> {
        let csr = self.dir.join(format!("{stem}.csr"));
        let cert = self.dir.join(format!("{stem}.pem"));
        self.run(
            "make a certificate request",
            Command::new("openssl")
                .args([
                    "req",
                    "-new",
                    "-subj",
                    "/O=tlsdoctor lab/CN=localhost",
                    "-key",
                ])
                .arg(key_path)
                .arg("-out")
                .arg(&csr),
        )?;
        let mut serial = [0u8; 16];
        let _ = aws_lc_rs::rand::fill(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x01;
        let serial: String = serial.iter().map(|b| format!("{b:02X}")).collect();
        self.run(
            "sign the certificate",
            Command::new("openssl")
                .args(["x509", "-req", digest, "-days", "90", "-set_serial"])
                .arg(format!("0x{serial}"))
                .arg("-in")
                .arg(&csr)
                .arg("-CA")
                .arg(&self.ca)
                .arg("-CAkey")
                .arg(&self.ca_key)
                .arg("-extfile")
                .arg(&self.ext)
                .arg("-out")
                .arg(&cert),
        )?;
        let read_err = |what: &str, detail: String| LabError::Openssl {
            step: format!("read the {what} openssl wrote for {stem}"),
            detail,
        };
        let cert_der = CertificateDer::from_pem_file(&cert)
            .map_err(|e| read_err("certificate", e.to_string()))?;
        let key =
            PrivateKeyDer::from_pem_file(key_path).map_err(|e| read_err("key", e.to_string()))?;
        let key_pkcs8 = match key {
            PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
            _ => return Err(read_err("key", "not a PKCS#8 key".into())),
        };
        Ok(Chain {
            certs: vec![cert_der],
            key_pkcs8,
        })
    }

    fn run(&self, step: &str, cmd: &mut Command) -> Result<(), LabError> {
        let out = cmd.output().map_err(|e| LabError::Openssl {
            step: step.into(),
            detail: format!("cannot run openssl: {e}"),
        })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(LabError::Openssl {
                step: step.into(),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }
}
