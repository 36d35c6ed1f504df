//! CertificateRequest (TLS 1.0, 1.2, 1.3 forms): parse → encode → parse equality.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::handshake::{CertificateRequest, CertificateRequestForm};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let form = match sel % 3 {
        0 => CertificateRequestForm::Tls10,
        1 => CertificateRequestForm::Tls12,
        _ => CertificateRequestForm::Tls13,
    };
    if let Ok(m) = CertificateRequest::read_bytes(data, form) {
        assert_eq!(
            CertificateRequest::read_bytes(&m.get_encoding(), form).unwrap(),
            m
        );
        let _ = (m.signature_algorithms(), m.certificate_authorities());
    }
});
