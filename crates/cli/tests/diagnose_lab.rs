//! `diagnose` over the lab: every server yields the code the lab says it must,
//! and the client-side options change the answer the way they should.

mod common;

use std::sync::Arc;

use model::Code;

async fn lab(only: &[&str]) -> lab::Lab {
    lab::Lab::start(lab::LabConfig {
        only: Some(only.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    })
    .await
    .expect("lab starts")
}

#[tokio::test]
async fn every_lab_server_gets_its_expected_code() {
    let lab = lab::Lab::start(lab::LabConfig::default())
        .await
        .expect("lab starts");
    let mut failures = Vec::new();
    let mut tasks = Vec::new();
    for server in lab.servers() {
        let (name, expect, port, ca) = (
            server.name,
            server.expect,
            server.addr.port(),
            lab.ca_file().to_path_buf(),
        );
        let host = server.host.clone();
        tasks.push(tokio::spawn(async move {
            let report = common::diagnose(port, Some(&ca), |job| {
                job.target = model::Target::new(host, port);
                job.target.connect_to = Some([127, 0, 0, 1].into());
                job.probe.timeout = std::time::Duration::from_secs(2);
            })
            .await;
            (name, expect, report)
        }));
    }
    for task in tasks {
        let (name, expect, report) = task.await.expect("task");
        if report.primary_code().as_str() != expect {
            failures.push(format!(
                "{name}: expected {expect}, got {} ({:?})",
                report.primary_code(),
                report.diagnoses.first().map(|d| &d.summary)
            ));
        }
        // A failing server needs at most about 12 connections, and the
        // engine tries a failed one once more (a reset server: every one).
        assert!(
            report.connections <= 26,
            "{name} used {} connections",
            report.connections
        );
    }
    lab.shutdown().await;
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn client_certificate_from_the_right_ca_is_accepted_and_a_foreign_one_rejected() {
    let lab = lab(&["client-cert-required"]).await;
    let server = lab.server("client-cert-required").unwrap();
    for (cert, key, expected) in [
        (lab.client_cert(), lab.client_key(), Code::Ok),
        (
            lab.foreign_client_cert(),
            lab.foreign_client_key(),
            Code::ClientCertRejected,
        ),
    ] {
        let identity = Arc::new(tlsdoctor::trust::load_identity(cert, key).expect("identity"));
        let report = common::diagnose(server.addr.port(), Some(lab.ca_file()), |job| {
            job.context.client_identity = true;
            job.probe.client_identity = Some(identity);
        })
        .await;
        assert_eq!(report.primary_code(), expected, "{report:#?}");
    }
    lab.shutdown().await;
}

#[tokio::test]
async fn a_clock_two_decades_ahead_is_the_clients_fault() {
    let lab = lab(&["good"]).await;
    let server = lab.server("good").unwrap();
    let report = common::diagnose(server.addr.port(), Some(lab.ca_file()), |job| {
        job.context.now = time::OffsetDateTime::now_utc() + time::Duration::days(365 * 20);
        job.context.now_overridden = true;
    })
    .await;
    assert_eq!(report.primary_code(), Code::ClientClockWrong, "{report:#?}");
    lab.shutdown().await;
}

#[tokio::test]
async fn sni_required_server_works_with_sni_and_fails_without() {
    let lab = lab(&["sni-required"]).await;
    let port = lab.server("sni-required").unwrap().addr.port();
    let with = common::diagnose(port, Some(lab.ca_file()), |_| {}).await;
    assert_eq!(with.primary_code(), Code::Ok, "{with:#?}");
    let without = common::diagnose(port, Some(lab.ca_file()), |job| job.target.sni = None).await;
    assert_eq!(without.primary_code(), Code::SniRequired, "{without:#?}");
    lab.shutdown().await;
}

#[tokio::test]
async fn ipv6_target() {
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(vec!["good".into()]),
        ip: "::1".parse().unwrap(),
        ..Default::default()
    })
    .await
    .expect("lab on ::1");
    let port = lab.server("good").unwrap().addr.port();
    let target = tlsdoctor::target::parse_target(&format!("[::1]:{port}")).unwrap();
    let report = common::diagnose(port, Some(lab.ca_file()), |job| job.target = target).await;
    // The lab certificate names ::1, and no SNI is sent to an IP literal.
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    assert_eq!(report.target.ip, Some("::1".parse().unwrap()));
    lab.shutdown().await;
}

#[tokio::test]
async fn missing_intermediate_is_fetched_and_proven() {
    let lab = lab(&["incomplete-chain", "untrusted-root"]).await;
    let port = lab.server("incomplete-chain").unwrap().addr.port();
    let report = common::diagnose(port, Some(lab.ca_file()), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::CertChainIncomplete,
        "{report:#?}"
    );
    let evidence = report.diagnoses[0].evidence.join("\n");
    assert!(
        evidence.contains("the chain is trusted by the --ca-file roots"),
        "{evidence}"
    );
    assert!(
        report.connections <= 5,
        "one fetch on top of the first round: {}",
        report.connections
    );

    // Without fetching, the published URL alone still points at the fix.
    let report = common::diagnose(port, Some(lab.ca_file()), |job| {
        job.context.fetch_issuers = false
    })
    .await;
    assert_eq!(
        report.primary_code(),
        Code::CertChainIncomplete,
        "{report:#?}"
    );
    assert!(report.diagnoses[0]
        .evidence
        .iter()
        .any(|e| e.contains("published at http://")));

    // A chain that ends in an unknown root is not "incomplete".
    let port = lab.server("untrusted-root").unwrap().addr.port();
    let report = common::diagnose(port, Some(lab.ca_file()), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::CertUntrustedRoot,
        "{report:#?}"
    );
    lab.shutdown().await;
}
