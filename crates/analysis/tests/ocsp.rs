//! The OCSP staple parser against responses that `openssl ocsp` (a responder
//! nobody here wrote) signs in the test, from an `index.txt` in `openssl ca`
//! format: revoked, good, unknown, signed by the issuer or by a delegated
//! responder, and tampered with. Plus: no input makes the parser panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use analysis::ocsp::{self, CertStatus, Match, ResponseStatus, RevocationReason, SignatureCheck};
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tlsdoctor-ocsp-{tag}-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn der_of(dir: &Path, pem: &str) -> Vec<u8> {
    openssl(
        dir,
        &["x509", "-in", pem, "-outform", "DER", "-out", "tmp.der"],
    );
    std::fs::read(dir.join("tmp.der")).expect("DER")
}

/// A P-256 CA (`ca.pem`, `ca.key`) and a leaf it issued (`leaf.pem`) with
/// serial 0x1234ABCD, plus a second leaf (`other.pem`, serial 0x0999).
fn pki(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-subj",
                "/O=tlsdoctor tests/CN=ocsp test CA",
                "-days",
                "30",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    for (name, serial, ext) in [
        ("leaf", "0x1234ABCD", None),
        ("other", "0x0999", None),
        ("responder", "0x0777", Some("extendedKeyUsage=OCSPSigning")),
    ] {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        openssl(
            dir,
            &[
                &["req", "-new"][..],
                &ec,
                &[
                    "-subj",
                    &format!("/CN={name}"),
                    "-keyout",
                    &key,
                    "-out",
                    &csr,
                ],
            ]
            .concat(),
        );
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            serial,
            "-days",
            "20",
            "-out",
            &pem,
        ];
        if let Some(ext) = ext {
            std::fs::write(dir.join("ext.cnf"), ext).expect("ext");
            args.extend(["-extfile", "ext.cnf"]);
        }
        openssl(dir, &args);
    }
}

/// Signs a response about `cert` from `index` (lines of `openssl ca`'s
/// index.txt) with `signer`/`signer_key`; returns the DER response.
fn respond(dir: &Path, index: &str, cert: &str, signer: &str, signer_key: &str) -> Vec<u8> {
    std::fs::write(dir.join("index.txt"), index).expect("index");
    openssl(
        dir,
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            signer,
            "-rkey",
            signer_key,
            "-CA",
            "ca.pem",
            "-issuer",
            "ca.pem",
            "-cert",
            cert,
            "-no_nonce",
            "-respout",
            "resp.der",
            "-ndays",
            "7",
        ],
    );
    std::fs::read(dir.join("resp.der")).expect("response")
}

const REVOKED: &str =
    "R\t300101000000Z\t250101000000Z,keyCompromise\t1234ABCD\tunknown\t/CN=leaf\n";
const GOOD: &str = "V\t300101000000Z\t\t1234ABCD\tunknown\t/CN=leaf\n";

#[test]
fn revoked_response_from_openssl() {
    let dir = TempDir::new("revoked");
    pki(&dir.0);
    let before = OffsetDateTime::now_utc() - Duration::minutes(1);
    let der = respond(&dir.0, REVOKED, "leaf.pem", "ca.pem", "ca.key");

    let parsed = ocsp::parse(&der).expect("parses");
    assert_eq!(parsed.status, ResponseStatus::Successful);
    let basic = parsed.basic.expect("basic response");
    assert!(basic.produced_at >= before, "{basic:?}");
    assert_eq!(basic.responses.len(), 1);
    let single = &basic.responses[0];
    assert_eq!(single.cert_id.serial, [0x12, 0x34, 0xab, 0xcd]);
    assert_eq!(single.cert_id.issuer_name_hash.len(), 20, "SHA-1 CertID");
    assert_eq!(
        single.status,
        CertStatus::Revoked {
            time: datetime!(2025-01-01 00:00:00 UTC),
            reason: Some(RevocationReason::KEY_COMPROMISE),
        }
    );
    assert_eq!(
        single.next_update,
        Some(single.this_update + Duration::days(7))
    );

    let leaf = der_of(&dir.0, "leaf.pem");
    let ca = der_of(&dir.0, "ca.pem");
    let staple = ocsp::check(&der, &leaf, Some(&ca)).expect("checks");
    assert_eq!(staple.serial_hex, "1234ABCD");
    assert!(matches!(
        staple.single().map(|s| s.status),
        Some(CertStatus::Revoked { .. })
    ));
    assert!(
        matches!(&staple.signature, SignatureCheck::Verified { signer } if signer.contains("ocsp test CA")),
        "{:?}",
        staple.signature
    );
    assert!(!staple.is_stale(OffsetDateTime::now_utc()));
    assert!(staple.is_stale(OffsetDateTime::now_utc() + Duration::days(8)));

    // Without the issuer: matched by serial and issuer name, signature unchecked.
    let alone = ocsp::check(&der, &leaf, None).expect("checks");
    assert!(alone.single().is_some());
    assert!(matches!(alone.signature, SignatureCheck::NotChecked { .. }));

    // About another certificate of the same CA: not an answer about this one.
    let other = der_of(&dir.0, "other.pem");
    let mismatch = ocsp::check(&der, &other, Some(&ca)).expect("checks");
    assert_eq!(mismatch.answer, Some(Match::OtherCertificate));
}

#[test]
fn good_and_unknown_responses_from_openssl() {
    let dir = TempDir::new("good");
    pki(&dir.0);
    let leaf = der_of(&dir.0, "leaf.pem");
    let ca = der_of(&dir.0, "ca.pem");

    let der = respond(&dir.0, GOOD, "leaf.pem", "ca.pem", "ca.key");
    let staple = ocsp::check(&der, &leaf, Some(&ca)).expect("checks");
    assert_eq!(staple.single().map(|s| s.status), Some(CertStatus::Good));
    assert!(matches!(staple.signature, SignatureCheck::Verified { .. }));

    // `other.pem` is not in the index: the responder answers unknown.
    let der = respond(&dir.0, GOOD, "other.pem", "ca.pem", "ca.key");
    let other = der_of(&dir.0, "other.pem");
    let staple = ocsp::check(&der, &other, Some(&ca)).expect("checks");
    assert_eq!(staple.single().map(|s| s.status), Some(CertStatus::Unknown));
}

#[test]
fn delegated_responder_signature_verifies() {
    let dir = TempDir::new("delegated");
    pki(&dir.0);
    let leaf = der_of(&dir.0, "leaf.pem");
    let ca = der_of(&dir.0, "ca.pem");
    let der = respond(
        &dir.0,
        REVOKED,
        "leaf.pem",
        "responder.pem",
        "responder.key",
    );
    let staple = ocsp::check(&der, &leaf, Some(&ca)).expect("checks");
    assert!(
        matches!(&staple.signature, SignatureCheck::Verified { signer } if signer.contains("delegated")),
        "{:?}",
        staple.signature
    );

    // A responder certificate without id-kp-OCSPSigning is not authorised.
    let der = respond(&dir.0, REVOKED, "leaf.pem", "other.pem", "other.key");
    let staple = ocsp::check(&der, &leaf, Some(&ca)).expect("checks");
    assert_eq!(staple.signature, SignatureCheck::Invalid);
}

#[test]
fn tampered_response_fails_the_signature_check() {
    let dir = TempDir::new("tampered");
    pki(&dir.0);
    let leaf = der_of(&dir.0, "leaf.pem");
    let ca = der_of(&dir.0, "ca.pem");
    let mut der = respond(&dir.0, REVOKED, "leaf.pem", "ca.pem", "ca.key");
    // Turn the revocation reason keyCompromise (1) into superseded (4):
    // [0] { ENUMERATED 1 } = a0 03 0a 01 01.
    let at = der
        .windows(5)
        .position(|w| w == [0xa0, 0x03, 0x0a, 0x01, 0x01])
        .expect("revocationReason in the DER");
    der[at + 4] = 4;
    let staple = ocsp::check(&der, &leaf, Some(&ca)).expect("still parses");
    assert!(matches!(
        staple.single().map(|s| s.status),
        Some(CertStatus::Revoked {
            reason: Some(RevocationReason(4)),
            ..
        })
    ));
    assert_eq!(staple.signature, SignatureCheck::Invalid);
}

#[test]
fn every_truncation_and_byte_flip_of_a_real_response_is_handled() {
    let dir = TempDir::new("mutate");
    pki(&dir.0);
    let leaf = der_of(&dir.0, "leaf.pem");
    let ca = der_of(&dir.0, "ca.pem");
    let der = respond(&dir.0, REVOKED, "leaf.pem", "ca.pem", "ca.key");
    for len in 0..der.len() {
        assert!(ocsp::parse(&der[..len]).is_err(), "truncated to {len}");
    }
    for i in 0..der.len() {
        for value in [0x00, 0x7f, 0x80, 0xff, der[i] ^ 0x01] {
            let mut bytes = der.clone();
            bytes[i] = value;
            let _ = ocsp::check(&bytes, &leaf, Some(&ca));
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = ocsp::parse(&bytes);
        let _ = ocsp::check(&bytes, &bytes, Some(&bytes));
    }

    #[test]
    fn der_shaped_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        // An OCSPResponse header with a successful status and responseBytes,
        // then arbitrary contents, so the fuzzing reaches the inner parsers.
        let mut bytes = vec![0x30, 0x82, 0, 0, 0x0a, 0x01, 0x00, 0xa0, 0x82, 0, 0];
        let inner = body.len();
        bytes[9] = (inner >> 8) as u8;
        bytes[10] = inner as u8;
        bytes.extend_from_slice(&body);
        let outer = bytes.len() - 4;
        bytes[2] = (outer >> 8) as u8;
        bytes[3] = outer as u8;
        let _ = ocsp::parse(&bytes);
    }
}

/// Observations of one completed handshake that presented `chain` and
/// stapled `staple`, with no HTTP Date header.
fn stapled_handshake(chain: Vec<Vec<u8>>, staple: Vec<u8>) -> model::Observations {
    use model::*;
    let mut obs = Observations::new(Target::new("leaf", 443));
    obs.probes.push(ProbeRecord {
        request: ProbeRequest {
            purpose: Purpose::Handshake,
            kind: ProbeKind::Handshake(HandshakeSpec {
                versions: Vec::new(),
                sni: Some("leaf".into()),
                alpn: Vec::new(),
                client_cert: false,
                http_head: true,
                http_get: false,
                http_timeout_ms: None,
                ..Default::default()
            }),
        },
        ip: Some([127, 0, 0, 1].into()),
        tcp: TcpOutcome::Connected { elapsed_ms: 1 },
        transport: None,
        flight: None,
        handshake: Some(HandshakeObservation {
            completed: true,
            chain: chain.into_iter().map(Bytes).collect(),
            ocsp_staple: Some(Bytes(staple)),
            ..Default::default()
        }),
        fetch: None,
        caa: None,
        elapsed_ms: 1,
    });
    obs
}

fn context(now: OffsetDateTime, ca: &[u8]) -> analysis::Context {
    analysis::Context {
        now,
        now_overridden: true,
        client: analysis::profiles::default_profile(),
        trust: analysis::TrustStores {
            system: Vec::new(),
            ca_file: vec![ca.to_vec()],
        },
        client_identity: false,
        fetch_issuers: false,
    }
}

#[test]
fn judged_offline_revoked_good_stale_and_a_wrong_clock() {
    use model::{Code, Severity};
    let dir = TempDir::new("judge");
    pki(&dir.0);
    let leaf = der_of(&dir.0, "leaf.pem");
    let ca = der_of(&dir.0, "ca.pem");
    let now = OffsetDateTime::now_utc();

    // Revoked: the primary diagnosis, with the evidence and the fix. The
    // issuer is not in the chain; its certificate comes from --ca-file.
    let revoked = respond(&dir.0, REVOKED, "leaf.pem", "ca.pem", "ca.key");
    let report = analysis::judge(
        &stapled_handshake(vec![leaf.clone()], revoked),
        &context(now, &ca),
    );
    let d = &report.diagnoses[0];
    assert_eq!(d.code, Code::CertRevoked, "{report:#?}");
    assert_eq!(d.severity, Severity::Error);
    let evidence = d.evidence.join("\n");
    for expected in [
        "serial number 1234ABCD",
        "2025-01-01T00:00:00Z",
        "keyCompromise",
        "produced at",
        "OCSP signature verified",
    ] {
        assert!(evidence.contains(expected), "{expected}: {evidence}");
    }
    assert!(
        d.fix.iter().any(|f| f.contains("NEW private key")),
        "{d:#?}"
    );

    // Good: no diagnosis of its own; the step's detail says so.
    let good = respond(&dir.0, GOOD, "leaf.pem", "ca.pem", "ca.key");
    let obs = stapled_handshake(vec![leaf.clone(), ca.clone()], good);
    let report = analysis::judge(&obs, &context(now, &ca));
    assert!(
        !report
            .diagnoses
            .iter()
            .any(|d| matches!(d.code, Code::CertRevoked | Code::OcspStapleStale)),
        "{report:#?}"
    );
    let step = report
        .steps
        .iter()
        .find(|s| s.step == model::Step::Certificate)
        .expect("certificate step");
    assert!(
        step.detail.contains("OCSP staple: good (thisUpdate"),
        "{step:?}"
    );

    // Eight days later the 7-day staple is stale while the leaf is valid.
    let report = analysis::judge(&obs, &context(now + Duration::days(8), &ca));
    assert!(
        report
            .diagnoses
            .iter()
            .any(|d| d.code == Code::OcspStapleStale && d.severity == Severity::Warning),
        "{report:#?}"
    );

    // A year ahead the leaf looks expired, but the staple (valid at the
    // server, no HTTP Date) dates the server's clock: the client is wrong.
    let report = analysis::judge(&obs, &context(now + Duration::days(365), &ca));
    assert_eq!(report.primary_code(), Code::ClientClockWrong, "{report:#?}");
    assert!(
        report.diagnoses[0]
            .evidence
            .iter()
            .any(|e| e.contains("OCSP staple producedAt")),
        "{:#?}",
        report.diagnoses[0]
    );
    assert!(!report
        .diagnoses
        .iter()
        .any(|d| d.code == Code::OcspStapleStale));
}
