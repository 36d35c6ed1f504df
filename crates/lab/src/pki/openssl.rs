//! The second route for what rcgen will not make, through the `openssl`
//! command line at run time: a SHA-1 signature, a 1024-bit RSA key and a
//! signed OCSP response.
//!
//! rcgen still decides every field (names, dates relative to now, backdated
//! like real CAs do, extensions): for `sha1`, `openssl x509 -CA -preserve_dates`
//! has the intermediate sign a self-signed rcgen leaf again with
//! ecdsa-with-SHA1; for
//! `weak-key`, `openssl genpkey` makes the key and rcgen certifies its public
//! half; for `revoked`, `openssl ocsp` acting as the intermediate's OCSP
//! responder answers for the rcgen leaf from an `index.txt` that marks it
//! revoked. Every file lives in the lab directory. Never used for anything a
//! client is meant to trust as healthy.

use std::path::Path;
use std::process::Command;

use time::OffsetDateTime;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::LabError;

fn read_err(step: &str, detail: impl ToString) -> LabError {
    LabError::Openssl {
        step: step.into(),
        detail: detail.to_string(),
    }
}

fn run(step: &str, cmd: &mut Command) -> Result<(), LabError> {
    let out = cmd
        .output()
        .map_err(|e| read_err(step, format!("cannot run openssl: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(read_err(step, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Has the CA in `ca`/`ca_key` sign the self-signed `leaf_pem` again with
/// SHA-1, keeping its subject, key, dates and extensions, with a fresh serial.
pub(super) fn resign_with_sha1(
    dir: &Path,
    leaf_pem: &str,
    ca: &Path,
    ca_key: &Path,
) -> Result<CertificateDer<'static>, LabError> {
    let input = dir.join("sha1-input.pem");
    let output = dir.join("sha1.pem");
    super::write(&input, leaf_pem)?;
    let serial: String = super::random_serial()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    run(
        "re-sign the leaf with SHA-1",
        Command::new("openssl")
            .args(["x509", "-sha1", "-preserve_dates", "-in"])
            .arg(&input)
            .arg("-CA")
            .arg(ca)
            .arg("-CAkey")
            .arg(ca_key)
            .arg("-set_serial")
            .arg(format!("0x{serial}"))
            .arg("-out")
            .arg(&output),
    )?;
    CertificateDer::from_pem_file(&output).map_err(|e| read_err("read the SHA-1 certificate", e))
}

/// A fresh 1024-bit RSA key: (SubjectPublicKeyInfo PEM, PKCS#8 DER).
pub(super) fn rsa_1024_key(dir: &Path) -> Result<(String, Vec<u8>), LabError> {
    let key = dir.join("rsa1024-key.pem");
    let public = dir.join("rsa1024-pub.pem");
    run(
        "generate a 1024-bit RSA key",
        Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
                "-out",
            ])
            .arg(&key),
    )?;
    run(
        "extract the RSA public key",
        Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&key)
            .arg("-out")
            .arg(&public),
    )?;
    let public_pem =
        std::fs::read_to_string(&public).map_err(|e| read_err("read the RSA public key", e))?;
    let pkcs8 =
        match PrivateKeyDer::from_pem_file(&key).map_err(|e| read_err("read the RSA key", e))? {
            PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
            _ => return Err(read_err("read the RSA key", "not a PKCS#8 key")),
        };
    Ok((public_pem, pkcs8))
}

/// What `openssl ocsp` is told about the revoked leaf.
pub(super) struct Revocation<'a> {
    pub(super) leaf_pem: &'a str,
    /// Uppercase hex, no leading zero byte (index.txt's spelling).
    pub(super) serial_hex: &'a str,
    pub(super) not_after: OffsetDateTime,
    pub(super) revoked_at: OffsetDateTime,
    /// A CRLReason name as `openssl ca` writes it (`keyCompromise`).
    pub(super) reason: &'a str,
}

/// `openssl ca` database time: `YYMMDDHHMMSSZ` (UTC).
fn index_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year().rem_euclid(100),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A DER OCSP response, signed by the CA in `ca`/`ca_key` (the leaf's
/// issuer) for 7 days, that says the leaf is revoked. The responder reads
/// the status from an `openssl ca` index.txt with one line:
/// `R <notAfter> <revoked>,<reason> <serial> unknown <subject>` (tab-separated).
pub(super) fn revoked_ocsp_response(
    dir: &Path,
    revocation: &Revocation<'_>,
    ca: &Path,
    ca_key: &Path,
) -> Result<Vec<u8>, LabError> {
    let leaf = dir.join("revoked.pem");
    let index = dir.join("revoked-index.txt");
    let response = dir.join("revoked-ocsp.der");
    super::write(&leaf, revocation.leaf_pem)?;
    super::write(
        &index,
        &format!(
            "R\t{}\t{},{}\t{}\tunknown\t/O=tlsdoctor lab/CN=localhost\n",
            index_time(revocation.not_after),
            index_time(revocation.revoked_at),
            revocation.reason,
            revocation.serial_hex
        ),
    )?;
    run(
        "sign the OCSP response for the revoked leaf",
        Command::new("openssl")
            .args(["ocsp", "-index"])
            .arg(&index)
            .arg("-rsigner")
            .arg(ca)
            .arg("-rkey")
            .arg(ca_key)
            .arg("-CA")
            .arg(ca)
            .arg("-issuer")
            .arg(ca)
            .arg("-cert")
            .arg(&leaf)
            .args(["-no_nonce", "-ndays", "7", "-respout"])
            .arg(&response),
    )?;
    std::fs::read(&response).map_err(|e| read_err("read the OCSP response", e))
}
