use model::{ProtocolReport, Protocols, TrustReport};

use super::*;

fn proto(suites: &[&str], server_order: Option<bool>, groups: &[&str]) -> ProtocolReport {
    ProtocolReport {
        group_server_order: Some(true),
        ..crate::fixtures::protocol(suites, server_order, groups)
    }
}

/// The shared test scan: an RSA 2048 chain the CA file trusts, signed with
/// SHA-256, and RSA signature schemes.
fn report(protocols: Protocols) -> ScanReport {
    let mut report =
        crate::fixtures::scan_report(protocols, crate::fixtures::chain("rsa", 2048, true));
    report.signature_algorithms = vec!["rsa_pss_rsae_sha256".into(), "rsa_pkcs1_sha256".into()];
    report.certificates[0].certificates[0].signature_algorithm = "sha256WithRSAEncryption".into();
    report
}

fn profile(name: &str) -> ClientProfile {
    profiles::by_name(name).unwrap()
}

const GCM128: &str = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
const GCM256: &str = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";

#[test]
fn server_order_wins_when_enforced() {
    let mut protocols = Protocols {
        tls1_2: proto(&[GCM256, GCM128], Some(true), &["secp256r1", "x25519"]),
        ..Default::default()
    };
    let p = predict(&profile("browser"), &report(protocols.clone()));
    assert_eq!(p.outcome, Outcome::Ok, "{}", p.reason);
    assert_eq!(p.cipher_suite.unwrap().name(), GCM256);
    assert_eq!(p.group.unwrap().name(), "secp256r1");
    protocols.tls1_2.server_order = Some(false);
    protocols.tls1_2.group_server_order = Some(false);
    let p = predict(&profile("browser"), &report(protocols));
    // The browser profile lists AES-128-GCM first and X25519MLKEM768, x25519 first.
    assert_eq!(p.cipher_suite.unwrap().name(), GCM128);
    assert_eq!(p.group.unwrap().name(), "x25519");
}

#[test]
fn failures_name_the_step() {
    let tls10 = Protocols {
        tls1_0: proto(&["TLS_RSA_WITH_AES_128_CBC_SHA"], None, &[]),
        ..Default::default()
    };
    let p = predict(&profile("browser"), &report(tls10));
    assert_eq!(p.code, Some(Code::ProtocolMismatch));

    let odd_suite = Protocols {
        tls1_2: proto(&["TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"], None, &[]),
        ..Default::default()
    };
    let p = predict(&profile("browser"), &report(odd_suite));
    assert_eq!(p.code, Some(Code::CipherMismatch));
    assert_eq!(p.version, Some(ProtocolVersion::TLS1_2));

    let p521 = Protocols {
        tls1_3: proto(&["TLS_AES_128_GCM_SHA256"], None, &["secp521r1"]),
        ..Default::default()
    };
    let p = predict(&profile("browser"), &report(p521));
    assert_eq!(p.code, Some(Code::GroupMismatch));
}

#[test]
fn tls12_ecdhe_without_a_common_curve_falls_back_to_the_next_suite() {
    let protocols = Protocols {
        tls1_2: proto(
            &[GCM128, "TLS_RSA_WITH_AES_128_GCM_SHA256"],
            Some(true),
            &["secp521r1"],
        ),
        ..Default::default()
    };
    let p = predict(&profile("browser"), &report(protocols));
    assert_eq!(p.outcome, Outcome::Ok);
    assert_eq!(
        p.cipher_suite.unwrap().name(),
        "TLS_RSA_WITH_AES_128_GCM_SHA256"
    );
    assert_eq!(p.group, None);
}

#[test]
fn certificate_checks_follow_negotiation() {
    let protocols = Protocols {
        tls1_3: proto(&["TLS_AES_128_GCM_SHA256"], None, &["x25519"]),
        ..Default::default()
    };
    let mut r = report(protocols);
    r.certificates[0].hostname_match = false;
    let p = predict(&profile("browser"), &r);
    assert_eq!(p.code, Some(Code::CertHostnameMismatch));
    assert_eq!(p.cipher_suite.unwrap().name(), "TLS_AES_128_GCM_SHA256");
    r.certificates[0].trust[0] = TrustReport {
        store: "mozilla".into(),
        trusted: false,
        result: "expired".into(),
    };
    assert_eq!(
        predict(&profile("browser"), &r).code,
        Some(Code::CertExpired)
    );
}

#[test]
fn every_simulated_profile_gets_a_row() {
    let protocols = Protocols {
        tls1_2: proto(&[GCM128], None, &["x25519", "secp256r1"]),
        tls1_3: proto(&["TLS_AES_128_GCM_SHA256"], None, &["x25519", "secp256r1"]),
        ..Default::default()
    };
    let rows = simulate(&report(protocols));
    assert_eq!(rows.len(), profiles::simulated().len());
}

#[test]
fn failures_carry_the_missing_overlap_and_a_fix_for_each_side() {
    let tls12 = Protocols {
        tls1_2: proto(&[GCM128], None, &["x25519"]),
        ..Default::default()
    };
    let mut tls13_only = profile("browser");
    tls13_only.versions = vec![ProtocolVersion::TLS1_3];
    let p = predict(&tls13_only, &report(tls12.clone()));
    assert_eq!(p.code, Some(Code::ProtocolMismatch));
    let m = p.missing.as_ref().unwrap();
    assert_eq!(
        (m.what.as_str(), &m.client[..]),
        ("versions", &["tls1_3".to_string()][..])
    );
    assert_eq!(m.server, ["tls1_2"]);
    // The server is behind here: its fix comes first.
    assert!(p.fix[0].starts_with("Server:"), "{:?}", p.fix);
    assert!(p.fix.iter().any(|l| l.starts_with("Client:")));

    let c = p.to_compatibility("localhost:443");
    assert_eq!(c.outcome, "failed");
    assert_eq!(c.missing, p.missing);

    let p = predict(&profile("browser"), &report(tls12));
    assert_eq!(p.outcome, Outcome::Ok);
    assert!(p.missing.is_none() && p.fix.is_empty());
}

#[test]
fn unmeasured_lists_are_unknown_never_ok() {
    // ECDHE needs a group, and the scan saw none.
    let no_groups = Protocols {
        tls1_2: proto(&[GCM128], Some(true), &[]),
        ..Default::default()
    };
    let p = predict(&profile("browser"), &report(no_groups));
    assert_eq!(p.outcome, Outcome::Unknown, "{}", p.reason);
    // No signature scheme measured for a signed key exchange.
    let protocols = Protocols {
        tls1_2: proto(&[GCM128], Some(true), &["x25519"]),
        ..Default::default()
    };
    let mut r = report(protocols.clone());
    r.signature_algorithms.clear();
    let p = predict(&profile("browser"), &r);
    assert_eq!(p.outcome, Outcome::Unknown, "{}", p.reason);
    // A version the client prefers whose support is unknown.
    let mut r = report(protocols);
    r.protocols.tls1_3.supported = None;
    let p = predict(&profile("browser"), &r);
    assert_eq!(p.outcome, Outcome::Unknown, "{}", p.reason);
}

#[test]
fn a_required_client_certificate_fails_clients_without_one() {
    let protocols = Protocols {
        tls1_2: proto(&[GCM128], Some(true), &["x25519"]),
        ..Default::default()
    };
    let mut r = report(protocols);
    assert_eq!(predict(&profile("browser"), &r).outcome, Outcome::Ok);
    r.client_certificate = Some(model::ClientCertificateReport {
        required: Some(true),
        evidence: "CertificateRequest at tls1_2".into(),
        ..Default::default()
    });
    let p = predict(&profile("browser"), &r);
    assert_eq!(p.outcome, Outcome::Failed);
    assert_eq!(p.code, Some(Code::ClientCertRequired));
    assert!(!p.fix.is_empty());
    r.client_certificate.as_mut().unwrap().required = Some(false);
    assert_eq!(predict(&profile("browser"), &r).outcome, Outcome::Ok);
    r.client_certificate.as_mut().unwrap().required = None;
    assert_eq!(predict(&profile("browser"), &r).outcome, Outcome::Unknown);
}

/// A publicly trusted chain as the scan records it: trusted by Mozilla's
/// current store, and per platform snapshot as given.
fn public_chain(report: &mut ScanReport, platforms: &[(&str, bool)]) {
    let chain = &mut report.certificates[0];
    chain.trust = vec![TrustReport {
        store: "mozilla".into(),
        trusted: true,
        result: "trusted".into(),
    }];
    chain.trust.extend(platforms.iter().map(|(store, trusted)| {
        TrustReport {
            store: (*store).into(),
            trusted: *trusted,
            result: if *trusted {
                "trusted"
            } else {
                "unknown_issuer"
            }
            .into(),
        }
    }));
    chain.verdict = None;
}

#[test]
fn platform_snapshots_judge_their_clients() {
    let protocols = Protocols {
        tls1_2: proto(&[GCM128], None, &["x25519", "secp256r1"]),
        tls1_3: proto(&["TLS_AES_128_GCM_SHA256"], None, &["x25519", "secp256r1"]),
        ..Default::default()
    };
    // A root newer than 2017 (ISRG Root X1 and the like): Mozilla's current
    // store has it, no 2017 snapshot does.
    let mut r = report(protocols.clone());
    public_chain(
        &mut r,
        &[
            ("macos-2017", false),
            ("windows-2017", false),
            ("android-4.4", false),
        ],
    );
    // Android 4.4 never gets new roots: its snapshot decides.
    let p = predict(&profile("android-4.4"), &r);
    assert_eq!(p.outcome, Outcome::Failed, "{}", p.reason);
    assert_eq!(p.code, Some(Code::CertUntrustedRoot));
    let roots = p.roots.unwrap();
    assert!(
        roots.contains("Android 4.4") && roots.contains("2017-03-21"),
        "{roots}"
    );
    // Safari's platform has added roots since: Mozilla's stands in, said so.
    let p = predict(&profile("safari-17"), &r);
    assert_eq!(p.outcome, Outcome::Ok, "{}", p.reason);
    let roots = p.roots.unwrap();
    assert!(roots.contains("standing in for macOS's"), "{roots}");

    // A root only Windows has (Microsoft's program is wider than
    // Mozilla's): Edge connects, Chrome and Firefox do not.
    let mut r = report(protocols);
    public_chain(&mut r, &[("windows-2017", true), ("android-4.4", false)]);
    r.certificates[0].trust[0].trusted = false;
    r.certificates[0].trust[0].result = "unknown_issuer".into();
    r.certificates[0].verdict = Some(Code::CertUntrustedRoot);
    let p = predict(&profile("edge-131"), &r);
    assert_eq!(p.outcome, Outcome::Ok, "{}", p.reason);
    assert!(p.roots.unwrap().contains("Windows"));
    let p = predict(&profile("firefox-128"), &r);
    assert_eq!(p.code, Some(Code::CertUntrustedRoot));
    assert_eq!(p.roots.as_deref(), Some("Mozilla's current root store"));
    // Java has no shipped store: the stand-in is named.
    let p = predict(&profile("java-17"), &r);
    assert!(
        p.roots.unwrap().contains("standing in for the java store"),
        "{}",
        p.reason
    );
}
