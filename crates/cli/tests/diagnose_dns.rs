//! The dns step, against a DNS server the test runs on loopback (no outside
//! name is ever looked up): NXDOMAIN gives `dns_failed`; an A record pointing
//! at the lab lets the diagnosis go on.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use model::{Code, Step, StepStatus};

/// A one-question DNS responder: answers every query for `name` with an A
/// record for 127.0.0.1, and everything else with NXDOMAIN (RFC 1035 §4.1).
fn start_dns(name: &'static str) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    socket.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let addr = socket.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            if n < 12 {
                continue;
            }
            let query = &buf[..n];
            // The question: QNAME labels, then QTYPE and QCLASS.
            let mut pos = 12;
            let mut labels = Vec::new();
            while pos < n && query[pos] != 0 {
                let len = query[pos] as usize;
                labels.push(
                    String::from_utf8_lossy(&query[pos + 1..(pos + 1 + len).min(n)]).to_lowercase(),
                );
                pos += 1 + len;
            }
            let question_end = (pos + 5).min(n);
            let qtype = u16::from_be_bytes([query[pos + 1], query[pos + 2]]);
            let known = labels.join(".") == name;
            let mut reply = Vec::new();
            reply.extend_from_slice(&query[..2]); // ID
            let rcode = if known { 0 } else { 3 };
            reply.extend_from_slice(&[0x81, 0x80 | rcode]); // QR, RD, RA, RCODE
            let answers: u16 = if known && qtype == 1 { 1 } else { 0 };
            reply.extend_from_slice(&[0, 1]); // QDCOUNT
            reply.extend_from_slice(&answers.to_be_bytes()); // ANCOUNT
            reply.extend_from_slice(&[0, 0, 0, 0]); // NSCOUNT, ARCOUNT
            reply.extend_from_slice(&query[12..question_end]);
            if answers == 1 {
                reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
            }
            let _ = socket.send_to(&reply, peer);
        }
    });
    addr
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
