//! Vulnerability checks against the lab's scripted servers that behave on the
//! wire as vulnerable implementations do (`legacy-vulnerable`,
//! `implementation-bugs`, `dh-1024`): every check the lab lists for a server
//! (`lab::expected_vulnerabilities`) must say `vulnerable`. The patched side
//! of each check is in `vulns_openssl.rs`.

mod common;

use common::scan::{run_scan, scan_job};
use model::{ScanReport, VulnId, VulnStatus, Vulnerabilities};

/// The checks that need a connection of their own.
const PROBED: [&str; 4] = ["heartbleed", "ccs_injection", "robot", "ticketbleed"];

async fn lab_scan(name: &str) -> ScanReport {
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(vec![name.to_string()]),
        ..Default::default()
    })
    .await
    .expect("the lab starts");
    let addr = lab.server(name).expect("started").addr;
    let mut job = scan_job("localhost", addr.port(), &[]);
    job.target.connect_to = Some(addr.ip());
    let report = run_scan(&job).await;
    lab.shutdown().await;
    report
}

/// Checks that rest on a heuristic: the most they can say is
/// `potentially_vulnerable` (no probe tells a constant-time CBC
/// implementation from a leaky one, or a client that splits records).
const HEURISTIC: [VulnId; 2] = [VulnId::Beast, VulnId::Lucky13];

fn assert_vulnerable(report: &ScanReport, names: &[VulnId]) {
    for name in names {
        let check = report.vulnerabilities.get(*name);
        let expected = if HEURISTIC.contains(name) {
            VulnStatus::PotentiallyVulnerable
        } else {
            VulnStatus::Vulnerable
        };
        assert_eq!(check.status, expected, "{name}: {}", check.evidence);
        assert!(!check.explanation.is_empty() && !check.fix.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_vulnerable_shows_every_configuration_finding() {
    let report = lab_scan("legacy-vulnerable").await;
    assert_vulnerable(&report, lab::expected_vulnerabilities("legacy-vulnerable"));
    let v = &report.vulnerabilities;
    common::scan::assert_evidence(&v.drown, "out of scope");
    assert!(v.freak.evidence.contains("TLS_RSA_EXPORT_WITH_RC4_40_MD5"));
    assert!(v.sweet32.evidence.contains("3DES"));
    // No implementation bug is claimed for a server that has none of them:
    // each probed check says not vulnerable or why it could not test.
    for name in PROBED {
        let check = v.get(VulnId::from_name(name).expect("a check name"));
        assert_ne!(
            check.status,
            VulnStatus::Vulnerable,
            "{name}: {}",
            check.evidence
        );
    }
    // The scripted server never answers a ClientKeyExchange: no replies to
    // compare is "not tested", never "not vulnerable".
    assert_eq!(
        v.robot.status,
        VulnStatus::NotTested,
        "{}",
        v.robot.evidence
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn implementation_bugs_shows_every_probed_finding() {
    let report = lab_scan("implementation-bugs").await;
    assert_vulnerable(
        &report,
        lab::expected_vulnerabilities("implementation-bugs"),
    );
    let v = &report.vulnerabilities;
    common::scan::assert_evidence(&v.heartbleed, "1008 bytes more");
    common::scan::assert_evidence(&v.robot, "wrong_first_bytes");
    common::scan::assert_evidence(&v.ticketbleed, "32-byte session ID");
    common::scan::assert_evidence(&v.ccs_injection, "bad_record_mac");
    // Configuration checks stay quiet: TLS 1.2 only, no weak suites.
    for name in [
        "poodle_ssl3",
        "beast",
        "sweet32",
        "freak",
        "logjam",
        "drown",
        "rc4",
        "insecure_renegotiation",
        "fallback_scsv",
    ] {
        let check = v.get(VulnId::from_name(name).expect("a check name"));
        assert_eq!(
            check.status,
            VulnStatus::NotVulnerable,
            "{name}: {}",
            check.evidence
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dh_1024_is_logjam_with_the_common_prime() {
    let report = lab_scan("dh-1024").await;
    assert_vulnerable(&report, lab::expected_vulnerabilities("dh-1024"));
    let v = &report.vulnerabilities;
    common::scan::assert_evidence(&v.logjam, "rfc2409_group2");
}

#[test]
fn every_check_has_a_lab_server_that_is_vulnerable_to_it() {
    let covered: Vec<VulnId> = lab::catalogue()
        .iter()
        .flat_map(|s| lab::expected_vulnerabilities(s.name).iter().copied())
        .collect();
    for name in VulnId::ALL {
        if name == VulnId::ClientRenegotiation {
            // Needs a real TLS 1.2 record layer on the server side; proven
            // vulnerable against openssl s_server -client_renegotiation and
            // gnutls-serv in vulns_renegotiation.rs.
            continue;
        }
        if name == VulnId::StartTlsInjection {
            // The lab speaks TLS from the first byte; a scripted STARTTLS
            // SMTP server plays the vulnerable one in starttls_injection.rs.
            continue;
        }
        assert!(
            covered.contains(&name),
            "no lab server is vulnerable to {name}"
        );
    }
}

#[test]
fn the_json_names_every_check_with_status_evidence_explanation_and_fix() {
    let json = serde_json::to_value(Vulnerabilities::default()).unwrap();
    for name in VulnId::ALL.map(VulnId::as_str) {
        let check = &json[name];
        assert_eq!(check["status"], "not_tested", "{name}");
        for field in ["evidence", "explanation", "fix"] {
            assert!(check[field].is_string(), "{name}.{field}");
        }
    }
}
