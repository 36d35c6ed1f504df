//! Converts the shipped platform root stores (`data/roots/*.pem`) to DER at
//! build time: a scan judges trust against all nine, and decoding 2.5 MB of
//! base64 on every run was a third of the judging time on a small server.
//! Each output file is a sequence of (4-byte big-endian length, DER).

use std::path::PathBuf;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

const STORES: &[&str] = &[
    "osx",
    "ios",
    "windows",
    "ubuntu",
    "froyo",
    "gingerbread",
    "honeycomb",
    "ics",
    "kitkat",
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for store in STORES {
        let path = format!("data/roots/{store}.pem");
        println!("cargo:rerun-if-changed={path}");
        let pem = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut blob = Vec::with_capacity(pem.len());
        for der in CertificateDer::pem_slice_iter(&pem) {
            let der = der.unwrap_or_else(|e| panic!("{path}: {e:?}"));
            let len = u32::try_from(der.len()).expect("a certificate is under 4 GiB");
            blob.extend_from_slice(&len.to_be_bytes());
            blob.extend_from_slice(der.as_ref());
        }
        std::fs::write(out.join(format!("{store}.der")), blob).expect("OUT_DIR is writable");
    }
}
