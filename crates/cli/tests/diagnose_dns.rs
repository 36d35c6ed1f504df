//! The dns step, against a DNS server the test runs on loopback (no outside
//! name is ever looked up): NXDOMAIN gives `dns_failed`; an A record pointing
//! at the lab lets the diagnosis go on.

mod common;

use std::net::SocketAddr;

use model::{Code, Step, StepStatus};

/// The test's DNS server: `name` is 127.0.0.1, everything else NXDOMAIN.
fn start_dns(name: &'static str) -> SocketAddr {
    lab::start_dns(name, std::net::Ipv4Addr::LOCALHOST).expect("dns responder")
}

#[tokio::test]
async fn nxdomain_is_dns_failed() {
    let resolver = start_dns("known.test");
    let report = common::diagnose(443, None, |job| {
        job.target = model::Target::new("missing.test", 443);
        job.probe.resolver = Some(resolver);
    })
    .await;
    assert_eq!(report.primary_code(), Code::DnsFailed, "{report:#?}");
    assert_eq!(report.failed_step, Some(Step::Dns));
    assert_eq!(
        report.connections, 0,
        "no connection after a failed look-up"
    );
}

#[tokio::test]
async fn resolved_name_reaches_the_server() {
    let resolver = start_dns("localhost.test");
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(vec!["self-signed".into()]),
        ..Default::default()
    })
    .await
    .expect("lab");
    let port = lab.server("self-signed").unwrap().addr.port();
    let report = common::diagnose(port, None, |job| {
        job.target = model::Target::new("localhost.test", port);
        job.probe.resolver = Some(resolver);
    })
    .await;
    assert_eq!(report.steps[0].status, StepStatus::Ok, "{report:#?}");
    assert!(
        report.steps[0].detail.contains("127.0.0.1"),
        "{:?}",
        report.steps[0]
    );
    // The look-up worked; the self-signed certificate is what fails.
    assert_eq!(report.primary_code(), Code::CertSelfSigned, "{report:#?}");
    lab.shutdown().await;
}
