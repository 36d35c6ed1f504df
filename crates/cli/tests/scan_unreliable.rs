//! Scans of servers whose connections fail: a loopback TCP proxy (written
//! here, tokio) in front of `openssl s_server` that resets some connections
//! before any answer, or forwards the server's first record (the
//! ServerHello) and then stalls. A failed connection is never evidence of
//! "no": every status the scan gives must agree with a scan of the same
//! server without the proxy, and what it could not observe must be listed
//! under `unknown`, never read as `not_vulnerable` or "not supported".
//!
//! Also: a server that requires a client certificate (`s_server -Verify 1`)
//! is reported as such and fails the simulated clients with
//! `client_cert_required`; `scan` exits 1 when nothing could be scanned.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::scan::{run_scan, scan_job, scan_loopback, sorted};
use common::{openssl_self_signed, openssl_server, TempDir, OPENSSL_RSA_2048};
use model::{ScanReport, VulnStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to the connections it accepts.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Every Nth connection (1-based) is reset at once (RST, no byte).
    ResetEvery(usize),
    /// Every connection after the first N is reset at once.
    ResetAfter(usize),
    /// The server's first TLS record (ServerHello, or an alert) is
    /// forwarded, then nothing more: the connection stays open and silent.
    StallAfterFirstRecord,
}

/// A proxy on 127.0.0.1 in front of `upstream`; returns its port. The task
/// ends with the test's runtime.
async fn proxy(upstream: u16, fault: Fault) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            let reset = match fault {
                Fault::ResetEvery(every) => n.is_multiple_of(every),
                Fault::ResetAfter(first) => n > first,
                Fault::StallAfterFirstRecord => false,
            };
            if reset {
                let _ = client.set_zero_linger();
                drop(client);
                continue;
            }
            tokio::spawn(relay(client, upstream, fault));
        }
    });
    port
}

async fn relay(mut client: TcpStream, upstream: u16, fault: Fault) {
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        return;
    };
    if !matches!(fault, Fault::StallAfterFirstRecord) {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        return;
    }
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, sw) = server.into_split();
    // Client → server until the first record has gone back; after that the
    // upstream connection is closed (s_server serves one connection at a
    // time; holding it would stall every other probe behind this one) and
    // the client's bytes are dropped until it gives up.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let up = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        let mut sw = Some(sw);
        loop {
            tokio::select! {
                _ = &mut stopped, if sw.is_some() => sw = None,
                read = cr.read(&mut buf) => match read {
                    Ok(n) if n > 0 => {
                        if let Some(w) = sw.as_mut() {
                            let _ = w.write_all(&buf[..n]).await;
                        }
                    }
                    _ => return,
                },
            }
        }
    });
    // Forward exactly one record: 5-byte header, then its length.
    let mut header = [0u8; 5];
    if sr.read_exact(&mut header).await.is_ok() {
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let mut body = vec![0u8; len];
        if sr.read_exact(&mut body).await.is_ok() {
            let _ = cw.write_all(&header).await;
            let _ = cw.write_all(&body).await;
        }
    }
    let _ = stop.send(());
    drop(sr);
    // Silence: the client's side stays open until the client closes it.
    let _ = up.await;
    drop(cw);
}

/// An RSA-2048 self-signed certificate for localhost: (dir, cert, key).
fn rsa_cert() -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new("unreliable");
    let (cert, key) = openssl_self_signed(&dir, "localhost", OPENSSL_RSA_2048, &[]);
    (dir, cert, key)
}

/// Every status of `seen` (through a faulty path) is either what `truth`
/// (the same server, directly) says, or listed as unknown; nothing that
/// needs an observation of absence is claimed without one.
fn assert_honest(seen: &ScanReport, truth: &ScanReport) {
    let unknown = |path: &str| seen.unknown.iter().any(|u| u == path);
    let any_protocol_unknown = seen.protocols.iter().any(|(_, p)| p.is_unknown());
    for ((name, p), (_, t)) in seen.protocols.iter().zip(truth.protocols.iter()) {
        assert!(t.supported.is_some(), "{name}: the direct scan must know");
        match p.supported {
            Some(s) => assert_eq!(
                Some(s),
                t.supported,
                "{name}: said {s} ({}), the server says {:?}",
                p.evidence,
                t.supported
            ),
            None => {
                assert!(unknown(&format!("protocols.{name}.supported")), "{name}");
                assert!(p.evidence.starts_with("unknown"), "{name}: {}", p.evidence);
            }
        }
        if p.is_supported() {
            let (s, t) = (
                sorted(p.cipher_suites.clone()),
                sorted(t.cipher_suites.clone()),
            );
            if p.cipher_suites_interrupted.is_none() {
                assert_eq!(s, t, "{name}: a complete list must be the whole list");
            } else {
                assert!(unknown(&format!("protocols.{name}.cipher_suites")));
                assert!(s.iter().all(|x| t.contains(x)), "{name}: {s:?} ⊄ {t:?}");
            }
            if p.groups_interrupted.is_some() {
                assert!(unknown(&format!("protocols.{name}.groups")));
            }
        }
    }
    for (name, check) in seen.vulnerabilities.iter() {
        let truth_status = truth.vulnerabilities.get(name).status;
        match check.status {
            VulnStatus::NotVulnerable | VulnStatus::Vulnerable => {
                assert_eq!(
                    check.status,
                    truth_status,
                    "{name}: {} (the direct scan: {})",
                    check.evidence,
                    truth.vulnerabilities.get(name).evidence
                );
                assert!(check.basis.is_some(), "{name}");
            }
            VulnStatus::NotTested => {
                assert!(unknown(&format!("vulnerabilities.{name}")), "{name}")
            }
            VulnStatus::PotentiallyVulnerable => {}
        }
    }
    // The checks built on protocol support and complete suite lists.
    let v = &seen.vulnerabilities;
    if seen.protocols.ssl3.is_unknown() {
        assert_eq!(
            v.poodle_ssl3.status,
            VulnStatus::NotTested,
            "{}",
            v.poodle_ssl3.evidence
        );
    }
    if seen.protocols.ssl2.is_unknown() {
        assert_eq!(
            v.drown.status,
            VulnStatus::NotTested,
            "{}",
            v.drown.evidence
        );
    }
    // Export RSA suites exist only in SSL 3.0 to TLS 1.2: an unknown TLS 1.3
    // (or SSL 2.0) leaves FREAK's inference sound.
    let legacy_unknown = seen
        .protocols
        .iter()
        .any(|(n, p)| ["ssl3", "tls1_0", "tls1_1", "tls1_2"].contains(&n) && p.is_unknown());
    if legacy_unknown {
        assert_ne!(
            v.freak.status,
            VulnStatus::NotVulnerable,
            "{}",
            v.freak.evidence
        );
    }
    if any_protocol_unknown {
        for check in [&v.sweet32, &v.rc4] {
            assert_ne!(
                check.status,
                VulnStatus::NotVulnerable,
                "{}",
                check.evidence
            );
        }
        assert!(
            seen.grade.is_none() || seen.grade_provisional,
            "{:?}",
            seen.incomplete
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fourth_connection_reset() {
    let (_dir, cert, key) = rsa_cert();
    let server = openssl_server(&cert, &key, &["-www"]);
    let truth = scan_loopback("localhost", server.port, &[]).await;
    assert!(
        truth
            .unknown
            .iter()
            .all(|u| u.starts_with("vulnerabilities.")),
        "{:?}",
        truth.unknown
    );
    let port = proxy(server.port, Fault::ResetEvery(4)).await;
    let seen = scan_loopback("localhost", port, &[]).await;
    assert_honest(&seen, &truth);
    // Retries (the first round's too) recover what a reset hid.
    for (name, p) in seen.protocols.iter() {
        assert!(
            !p.is_unknown(),
            "{name}: {} ({:?})",
            p.evidence,
            seen.incomplete
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn everything_after_the_fourth_connection_reset() {
    let (_dir, cert, key) = rsa_cert();
    let server = openssl_server(&cert, &key, &["-www"]);
    let truth = scan_loopback("localhost", server.port, &[]).await;
    let port = proxy(server.port, Fault::ResetAfter(4)).await;
    let seen = scan_loopback("localhost", port, &[]).await;
    assert_honest(&seen, &truth);
    assert!(
        seen.protocols.iter().any(|(_, p)| p.is_unknown()),
        "{:#?}",
        seen.protocols
    );
    assert!(!seen.unknown.is_empty());
    assert!(
        seen.incomplete
            .iter()
            .any(|n| n.contains("support is unknown")),
        "{:?}",
        seen.incomplete
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stalls_after_the_server_hello() {
    let (_dir, cert, key) = rsa_cert();
    // Few suites: every probe waits for the timeout, so rounds are slow.
    let args = [
        "-www",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA256",
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256",
    ];
    let server = openssl_server(&cert, &key, &args);
    let truth = scan_loopback("localhost", server.port, &[]).await;
    let port = proxy(server.port, Fault::StallAfterFirstRecord).await;
    let mut job = scan_job("localhost", port, &[]);
    job.probe.timeout = Duration::from_secs(1);
    job.deadline = Some(Duration::from_secs(90));
    let started = Instant::now();
    let seen = run_scan(&job).await;
    assert!(started.elapsed() < Duration::from_secs(100));
    assert_honest(&seen, &truth);
    // The ServerHello is an observation: versions and suites are known,
    // unless (s_server serves one connection at a time, and every stalled
    // one holds it for the probe timeout) the probe itself timed out in the
    // queue; then the report says unknown (checked by assert_honest).
    for p in [&seen.protocols.tls1_2, &seen.protocols.tls1_3] {
        assert!(p.is_supported() || p.is_unknown(), "{p:#?}");
    }
    let tls12 = &seen.protocols.tls1_2;
    if tls12.is_supported() && tls12.cipher_suites_interrupted.is_none() {
        assert_eq!(
            sorted(tls12.cipher_suites.clone()),
            sorted(truth.protocols.tls1_2.cipher_suites.clone())
        );
    }
    // What comes after it is not: the curve (ServerKeyExchange), the
    // signature schemes, and every check that needs the rest of the flight.
    if tls12.is_supported() {
        assert!(tls12.groups_interrupted.is_some(), "{tls12:#?}");
        assert!(seen.signature_algorithms_interrupted.is_some());
    }
    let v = &seen.vulnerabilities;
    for (name, check) in [
        ("ccs_injection", &v.ccs_injection),
        ("robot", &v.robot),
        ("client_renegotiation", &v.client_renegotiation),
        ("ticketbleed", &v.ticketbleed),
    ] {
        assert_eq!(
            check.status,
            VulnStatus::NotTested,
            "{name}: {}",
            check.evidence
        );
    }
    assert!(seen.grade_provisional, "{:?}", seen.incomplete);
    // No TLS 1.2 client is `ok` on a curve the scan never saw (TLS 1.3
    // groups come from HelloRetryRequests, which are first records).
    for c in &seen.clients {
        if c.outcome == "ok" && c.version.as_deref() == Some("tls1_2") {
            assert_eq!(c.group, None, "{c:?}");
        }
    }
    assert!(
        seen.clients.iter().any(|c| c.outcome == "unknown"),
        "{:#?}",
        seen.clients
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_client_certificate_is_reported_and_fails_clients_without_one() {
    let (_dir, cert, key) = rsa_cert();
    let ca = cert.to_str().unwrap();
    let server = openssl_server(&cert, &key, &["-www", "-Verify", "1", "-CAfile", ca]);
    let report = scan_loopback("localhost", server.port, &[cert.as_path()]).await;
    let cr = report
        .client_certificate
        .as_ref()
        .expect("the CertificateRequest is reported");
    assert_eq!(cr.required, Some(true), "{}", cr.evidence);
    assert!(
        cr.ca_names.iter().any(|n| n.contains("CN=localhost")),
        "{:?}",
        cr.ca_names
    );
    assert!(!cr.signature_algorithms.is_empty());
    assert!(!report.clients.is_empty());
    for c in &report.clients {
        assert_ne!(c.outcome, "ok", "{c:?}");
        if c.cipher_suite.is_some() {
            assert_eq!(c.code.as_deref(), Some("client_cert_required"), "{c:?}");
        }
    }
    assert!(report
        .clients
        .iter()
        .any(|c| c.code.as_deref() == Some("client_cert_required")));
    // The same server without -Verify asks for nothing.
    let plain = openssl_server(&cert, &key, &["-www"]);
    let report = scan_loopback("localhost", plain.port, &[cert.as_path()]).await;
    assert_eq!(report.client_certificate, None);
}

fn tlsdoctor(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tlsdoctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("tlsdoctor runs")
}

#[test]
fn scan_exits_1_when_nothing_could_be_scanned() {
    // A port nobody listens on.
    let closed = common::free_port();
    let out = tlsdoctor(&["scan", &format!("127.0.0.1:{closed}"), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["schema_version"], 2);
    // Plain HTTP.
    let dir = TempDir::new("plain-http");
    let http = common::http_server(&dir.0);
    let out = tlsdoctor(&["scan", &format!("127.0.0.1:{}", http.port)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn fail_on_and_deadline() {
    let (_dir, cert, key) = rsa_cert();
    let server = openssl_server(&cert, &key, &["-www"]);
    let target = format!("localhost:{}", server.port);
    let connect = ["--connect-to", "127.0.0.1"];
    // Self-signed: grade T, below A; but nothing vulnerable.
    let mut args = vec!["scan", target.as_str(), "--fail-on", "vulnerable"];
    args.extend(connect);
    assert_eq!(tlsdoctor(&args).status.code(), Some(0));
    let mut args = vec!["scan", target.as_str(), "--fail-on", "grade<A"];
    args.extend(connect);
    let out = tlsdoctor(&args);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("grade T"));
    // A deadline too short for a whole scan: a partial report, which says so.
    let mut args = vec!["scan", target.as_str(), "--deadline", "0.3", "--json"];
    args.extend(connect);
    let out = tlsdoctor(&args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let notes = report["incomplete"].to_string();
    assert!(notes.contains("deadline"), "{notes}");
    assert!(!report["unknown"].as_array().unwrap().is_empty());
}
