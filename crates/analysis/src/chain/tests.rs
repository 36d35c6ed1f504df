//! The judge on chains made here with rcgen, at a chosen `now`.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::*;

fn ca(cn: &str, from: OffsetDateTime, to: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = from;
    p.not_after = to;
    p.use_authority_key_identifier_extension = true;
    p
}

fn leaf(from: OffsetDateTime, to: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "localhost");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = from;
    p.not_after = to;
    p.use_authority_key_identifier_extension = true;
    p
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

struct Pki {
    now: OffsetDateTime,
    root: CertifiedIssuer<'static, KeyPair>,
    inter: CertifiedIssuer<'static, KeyPair>,
}

fn pki() -> Pki {
    let now = OffsetDateTime::now_utc();
    let root = CertifiedIssuer::self_signed(
        ca("judge test root", now - days(3650), now + days(3650)),
        KeyPair::generate().unwrap(),
    )
    .unwrap();
    let inter = CertifiedIssuer::signed_by(
        ca(
            "judge test intermediate",
            now - days(1000),
            now + days(1000),
        ),
        KeyPair::generate().unwrap(),
        &root,
    )
    .unwrap();
    Pki { now, root, inter }
}

fn der(c: &rustls_pki_types::CertificateDer<'_>) -> Vec<u8> {
    c.to_vec()
}

fn ca_file(roots: &[&rustls_pki_types::CertificateDer<'_>]) -> TrustStores {
    TrustStores {
        system: Vec::new(),
        ca_file: roots.iter().map(|c| c.to_vec()).collect(),
    }
}

#[test]
fn healthy_chain_is_trusted_by_the_given_root() {
    let p = pki();
    let key = KeyPair::generate().unwrap();
    let l = leaf(p.now - days(10), p.now + days(80))
        .signed_by(&key, &p.inter)
        .unwrap();
    let v = judge_chain(
        &[der(l.der()), der(p.inter.der())],
        &ca_file(&[p.root.der()]),
        p.now,
    );
    assert_eq!(v.code(), None, "{v:?}");
    assert_eq!(v.trusted_by(), &[Store::CaFile]);
}

/// Class 3a: an expired leaf sent with its intermediate re-issued (same name
/// and key) after the leaf expired is `cert_expired` and nothing else.
#[test]
fn expired_leaf_with_reissued_intermediate_is_only_expired() {
    let p = pki();
    let inter_key = KeyPair::generate().unwrap();
    let inter_key_der = inter_key.serialize_der();
    let old = CertifiedIssuer::signed_by(
        ca(
            "judge test intermediate",
            p.now - days(1000),
            p.now - days(200),
        ),
        inter_key,
        &p.root,
    )
    .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let l = leaf(p.now - days(400), p.now - days(300))
        .signed_by(&leaf_key, &old)
        .unwrap();
    // Re-issued with the same key, valid only from after the leaf expired.
    let inter_key = KeyPair::try_from(inter_key_der.as_slice()).unwrap();
    let reissued = ca(
        "judge test intermediate",
        p.now - days(100),
        p.now + days(500),
    )
    .signed_by(&inter_key, &p.root)
    .unwrap();
    let chain = [der(l.der()), der(reissued.der())];
    let v = judge_chain(&chain, &ca_file(&[p.root.der()]), p.now);
    assert_eq!(v.leaf_time, Some(Code::CertExpired));
    assert_eq!(v.trust_code(), None, "{v:?}");
    assert_eq!(v.code(), Some(Code::CertExpired));
}

/// Class 3b: the leaf alone, no AIA, the private root given: the missing
/// link is an intermediate.
#[test]
fn missing_intermediate_under_a_given_root_is_incomplete() {
    let p = pki();
    let key = KeyPair::generate().unwrap();
    let l = leaf(p.now - days(10), p.now + days(80))
        .signed_by(&key, &p.inter)
        .unwrap();
    let v = judge_chain(&[der(l.der())], &ca_file(&[p.root.der()]), p.now);
    assert_eq!(v.code(), Some(Code::CertChainIncomplete), "{v:?}");
    assert!(matches!(
        v.trust,
        Trust::Incomplete {
            known_from: MissingFrom::NotAGivenRoot,
            ..
        }
    ));
    // Without roots nothing tells a root from an intermediate.
    let v = judge_chain(&[der(l.der())], &TrustStores::default(), p.now);
    assert_eq!(v.code(), Some(Code::CertUntrustedRoot), "{v:?}");
}

#[test]
fn self_signed_and_untrusted_root() {
    let p = pki();
    let v = judge_chain(&[der(p.root.der())], &TrustStores::default(), p.now);
    assert_eq!(v.code(), Some(Code::CertSelfSigned));
    let key = KeyPair::generate().unwrap();
    let l = leaf(p.now - days(10), p.now + days(80))
        .signed_by(&key, &p.inter)
        .unwrap();
    let v = judge_chain(
        &[der(l.der()), der(p.inter.der()), der(p.root.der())],
        &TrustStores::default(),
        p.now,
    );
    assert_eq!(v.code(), Some(Code::CertUntrustedRoot));
    assert!(matches!(v.trust, Trust::UntrustedRoot { .. }));
}

/// A leaf claiming a shipped public intermediate as its issuer (its name and
/// key identifier; signed by another key, so the signature cannot verify):
/// recognised offline as a missing public intermediate.
#[test]
fn missing_public_intermediate_is_found_in_the_shipped_list() {
    // rcgen re-encodes the issuer name: take the first bundle certificate
    // whose name survives that byte for byte.
    let now = OffsetDateTime::now_utc();
    let l = intermediates::all()
        .iter()
        .filter(|i| i.info.subject_key_id.is_some() && !i.info.self_issued)
        .find_map(|public| {
            let impostor =
                Issuer::from_ca_cert_der(&public.der.clone().into(), KeyPair::generate().ok()?)
                    .ok()?;
            let key = KeyPair::generate().ok()?;
            let l = leaf(now - days(10), now + days(80))
                .signed_by(&key, &impostor)
                .ok()?;
            let info = certs::parse(l.der())?;
            (info.issuer_der == public.info.subject_der
                && info.authority_key_id == public.info.subject_key_id)
                .then_some(l)
        })
        .expect("a bundle certificate rcgen can name as an issuer");
    let v = judge_chain(&[der(l.der())], &TrustStores::default(), now);
    assert_eq!(v.code(), Some(Code::CertChainIncomplete), "{v:?}");
    assert!(matches!(
        &v.trust,
        Trust::Incomplete {
            known_from: MissingFrom::PublicList {
                signature_checked: false,
                ..
            },
            ..
        }
    ));
    assert!(v
        .evidence
        .iter()
        .any(|e| e.contains(intermediates::LIST_DATE)));
}
