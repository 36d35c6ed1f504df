//! Scanning a server on 127.0.0.1 the way `tlsdoctor scan` does.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use model::{ScanReport, Target};

/// A scan of `host:port` connecting to 127.0.0.1, trusting the certificates
/// in `ca_files` (none: no CA file), with a 10 s probe timeout.
pub fn scan_job(host: &str, port: u16, ca_files: &[&Path]) -> tlsdoctor::scan::Scan {
    let mut target = Target::new(host, port);
    target.connect_to = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let ca_file = ca_files
        .iter()
        .flat_map(|p| tlsdoctor::trust::load_certificates(p).expect("CA file"))
        .collect();
    tlsdoctor::scan::Scan {
        target,
        context: analysis::scan::ScanContext {
            now: time::OffsetDateTime::now_utc(),
            trust: analysis::TrustStores {
                system: Vec::new(),
                ca_file,
            },
            client_identity: false,
        },
        probe: probe::ProbeOptions {
            timeout: Duration::from_secs(10),
            ..Default::default()
        },
        // Tests run on a busy machine: a generous bound that still ends a
        // scan of a stalling server.
        deadline: Some(Duration::from_secs(300)),
        system_roots: None,
    }
}

/// Runs the scan job and returns its report.
pub async fn run_scan(job: &tlsdoctor::scan::Scan) -> ScanReport {
    tlsdoctor::scan::scan(job).await.0
}

/// Scans `host:port` at 127.0.0.1 (see [`scan_job`]).
pub async fn scan_loopback(host: &str, port: u16, ca_files: &[&Path]) -> ScanReport {
    run_scan(&scan_job(host, port, ca_files)).await
}

/// The protocol versions the scan found supported ("tls1_2", ...).
pub fn supported_protocols(report: &ScanReport) -> Vec<&'static str> {
    report
        .protocols
        .iter()
        .filter(|(_, p)| p.is_supported())
        .map(|(n, _)| n)
        .collect()
}

/// The names, sorted.
pub fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// Asserts that a vulnerability check's evidence mentions `needle` (what the
/// server really answered), printing the evidence when it does not.
pub fn assert_evidence(check: &model::VulnCheck, needle: &str) {
    assert!(
        check.evidence.contains(needle),
        "expected {needle:?} in: {}",
        check.evidence
    );
}
