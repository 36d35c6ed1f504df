//! The `application` step against real servers that refuse only after the
//! TLS handshake: nginx with `ssl_verify_client`, Node's `https` with
//! `requestCert`/`rejectUnauthorized`, nginx answering 421. Each expected code
//! follows from how the server was configured, and where curl can tell,
//! curl's view is asserted too.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use common::servers::{apache, installed, nginx, nginx_listening, pki, Pki, Running};
use common::{free_port, wait_for_port};
use model::{Code, Report, Step, StepStatus, Verdict};

/// Node's `https.createServer` with `requestCert: true, rejectUnauthorized:
/// true`, trusting the client CA, up to `max_version`.
fn node(pki: &Pki, max_version: &str) -> Option<Running> {
    let program = installed("node", "--version")?;
    let port = free_port();
    let script = pki.dir.write(
        "server.js",
        "const https = require('https'); const fs = require('fs');\n\
         const [port, cert, key, ca, maxVersion] = process.argv.slice(2);\n\
         https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key), ca: fs.readFileSync(ca),\n\
           requestCert: true, rejectUnauthorized: true, maxVersion },\n\
           (req, res) => res.end('hello\\n')).listen(+port, '127.0.0.1');\n",
    );
    let mut child = Command::new(&program)
        .arg(&script)
        .arg(port.to_string())
        .arg(&pki.cert)
        .arg(&pki.key)
        .arg(&pki.client_ca)
        .arg(max_version)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts");
    wait_for_port(port, &mut child);
    Some(Running { port, child })
}

/// Diagnoses the server, presenting `identity` (certificate, key) when given.
async fn diagnose(port: u16, ca: &Path, identity: Option<&(PathBuf, PathBuf)>) -> Report {
    let identity = identity.map(|(cert, key)| {
        Arc::new(tlsdoctor::trust::load_identity(cert, key).expect("client identity"))
    });
    common::diagnose(port, Some(ca), |job| {
        job.context.client_identity = identity.is_some();
        job.probe.client_identity = identity;
    })
    .await
}

/// curl's exit code and body for `https://localhost:port/`.
fn curl(
    port: u16,
    ca: &Path,
    identity: Option<&(PathBuf, PathBuf)>,
    extra: &[&str],
) -> (i32, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "10", "--cacert"]).arg(ca);
    if let Some((cert, key)) = identity {
        cmd.arg("--cert").arg(cert).arg("--key").arg(key);
    }
    let out = cmd
        .args(extra)
        .arg(format!("https://localhost:{port}/"))
        .output()
        .expect("curl runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn step(report: &Report, step: Step) -> StepStatus {
    report
        .steps
        .iter()
        .find(|s| s.step == step)
        .map(|s| s.status)
        .expect("every step is reported")
}

const VERIFY_ON: &str = "    ssl_verify_client on;\n    location / { return 200 \"hello\\n\"; }";

#[tokio::test]
async fn nginx_verify_client_on_without_a_certificate_is_client_cert_required() {
    let pki = pki("nginx-on");
    let verify = format!(
        "    ssl_client_certificate {};\n{VERIFY_ON}",
        pki.client_ca.display()
    );
    let Some(server) = nginx(&pki, &verify) else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application));
    assert_eq!(step(&report, Step::Finished), StepStatus::Ok);
    let d = &report.diagnoses[0];
    assert_eq!(d.step, Step::Application);
    assert!(
        d.evidence[0].contains("400 Bad Request")
            && d.evidence[0].contains("No required SSL certificate was sent"),
        "{d:#?}"
    );
    assert!(d.evidence[1].contains("tlsdoctor app client CA"), "{d:#?}");
    assert!(d.fix[0].contains("--client-cert client.pem --client-key client.key"));
    // A healthy diagnose costs four connections; this one too.
    assert_eq!(report.connections, 4, "{report:#?}");
    // curl completes the handshake and gets the page saying so.
    let (code, body) = curl(server.port, &pki.ca, None, &[]);
    assert_eq!(code, 0);
    assert!(
        body.contains("No required SSL certificate was sent"),
        "{body}"
    );
}

#[tokio::test]
async fn nginx_verify_client_on_with_a_foreign_certificate_is_client_cert_rejected() {
    let pki = pki("nginx-foreign");
    let verify = format!(
        "    ssl_client_certificate {};\n{VERIFY_ON}",
        pki.client_ca.display()
    );
    let Some(server) = nginx(&pki, &verify) else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, Some(&pki.foreign)).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRejected,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application));
    assert!(report.diagnoses[0].evidence[0].contains("The SSL certificate error"));
    let (code, body) = curl(server.port, &pki.ca, Some(&pki.foreign), &[]);
    assert_eq!(code, 0);
    assert!(body.contains("The SSL certificate error"), "{body}");
}

#[tokio::test]
async fn nginx_verify_client_on_with_the_right_certificate_is_ok() {
    let pki = pki("nginx-right");
    let verify = format!(
        "    ssl_client_certificate {};\n{VERIFY_ON}",
        pki.client_ca.display()
    );
    let Some(server) = nginx(&pki, &verify) else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, Some(&pki.client)).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    assert_eq!(report.verdict, Verdict::Ok);
    assert_eq!(step(&report, Step::Application), StepStatus::Ok);
    assert_eq!(report.connections, 4);
    let (code, body) = curl(server.port, &pki.ca, Some(&pki.client), &[]);
    assert_eq!((code, body.as_str()), (0, "hello\n"));
}

#[tokio::test]
async fn nginx_verify_client_optional_without_a_certificate_is_ok_even_on_404() {
    let pki = pki("nginx-optional");
    let verify = format!(
        "    ssl_client_certificate {};\n    ssl_verify_client optional;\n    location / {{ return 404; }}",
        pki.client_ca.display()
    );
    let Some(server) = nginx(&pki, &verify) else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    let application = report
        .steps
        .iter()
        .find(|s| s.step == Step::Application)
        .unwrap();
    assert_eq!(application.status, StepStatus::Ok);
    assert!(application.detail.contains("404"), "{application:?}");
    assert_eq!(report.connections, 4);
}

#[tokio::test]
async fn nginx_answering_421_is_misdirected_request() {
    let pki = pki("nginx-421");
    let Some(server) = nginx(&pki, "    location / { return 421; }") else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::MisdirectedRequest,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application));
    assert!(report.diagnoses[0].evidence[0].contains("421"));
    let (code, _) = curl(
        server.port,
        &pki.ca,
        None,
        &["-o", "/dev/null", "-w", "%{http_code}"],
    );
    assert_eq!(code, 0);
}

#[tokio::test]
async fn node_tls13_without_a_certificate_alerts_certificate_required() {
    let pki = pki("node13-none");
    let Some(server) = node(&pki, "TLSv1.3") else {
        return;
    };
    // Node (OpenSSL) sends alert 116 certificate_required after the
    // client's Finished: the handshake did not really complete.
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::ClientCertificate));
    assert!(
        report.diagnoses[0].evidence[0].contains("certificate_required"),
        "{report:#?}"
    );
    // curl: the alert arrives when it reads the answer (exit 56).
    let (code, _) = curl(server.port, &pki.ca, None, &[]);
    assert_eq!(code, 56);
}

#[tokio::test]
async fn node_tls12_without_a_certificate_fails_the_handshake() {
    let pki = pki("node12-none");
    let Some(server) = node(&pki, "TLSv1.2") else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::ClientCertificate));
    // curl: handshake failure (exit 35).
    let (code, _) = curl(server.port, &pki.ca, None, &[]);
    assert_eq!(code, 35);
}

#[tokio::test]
async fn node_tls13_with_a_foreign_certificate_closes_after_the_handshake() {
    let pki = pki("node13-foreign");
    let Some(server) = node(&pki, "TLSv1.3") else {
        return;
    };
    // Node accepts the handshake, finds the certificate unauthorized and
    // destroys the socket: no alert, no answer.
    let report = diagnose(server.port, &pki.ca, Some(&pki.foreign)).await;
    assert_eq!(
        report.primary_code(),
        Code::ClosedAfterHandshake,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application));
    let d = &report.diagnoses[0];
    assert!(
        d.fix[0].starts_with("1. Client certificate rejected"),
        "{d:#?}"
    );
    assert_eq!(report.connections, 4);
    // curl: `Empty reply from server` (exit 52), or `Connection reset by
    // peer` (exit 56) when its request reaches the closed socket first.
    let (code, _) = curl(server.port, &pki.ca, Some(&pki.foreign), &[]);
    assert!(code == 52 || code == 56, "curl exit {code}");
}

#[tokio::test]
async fn node_with_the_right_certificate_is_ok() {
    let pki = pki("node-right");
    let Some(server) = node(&pki, "TLSv1.3") else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, Some(&pki.client)).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    assert_eq!(step(&report, Step::Application), StepStatus::Ok);
    let (code, body) = curl(server.port, &pki.ca, Some(&pki.client), &[]);
    assert_eq!((code, body.as_str()), (0, "hello\n"));
}

#[tokio::test]
async fn apache_verify_client_require_alerts_in_the_handshake() {
    let pki = pki("apache-require");
    let Some(server) = apache(&pki, "  SSLVerifyClient require") else {
        return;
    };
    // mod_ssl fails the handshake itself: alert certificate_required after
    // the client's Finished under TLS 1.3.
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::ClientCertificate));
    let report = diagnose(server.port, &pki.ca, Some(&pki.client)).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    assert_eq!(step(&report, Step::Application), StepStatus::Ok);
    // curl: the alert arrives when it reads the answer (exit 56).
    let (code, _) = curl(server.port, &pki.ca, None, &[]);
    assert_eq!(code, 56);
}

#[tokio::test]
async fn apache_verify_client_per_directory_refuses_over_http() {
    let pki = pki("apache-location");
    let vhost =
        "  SSLVerifyClient none\n  <Location />\n    SSLVerifyClient require\n  </Location>";
    let Some(server) = apache(&pki, vhost) else {
        return;
    };
    // The handshake asks for nothing; the request for `/` needs a
    // certificate, which TLS 1.3 can only ask for with post-handshake
    // authentication (rustls offers none): 403.
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application));
    let d = &report.diagnoses[0];
    assert!(d.evidence[0].contains("403"), "{d:#?}");
    assert!(
        d.evidence[0].contains("Post-Handshake Authentication"),
        "{d:#?}"
    );
}

/// HAProxy in the foreground (`-db`) terminating TLS with `bind_options`
/// and answering 200 itself, after `rules`.
fn haproxy(pki: &Pki, bind_options: &str, rules: &str) -> Option<Running> {
    let program = installed("haproxy", "-v")?;
    let port = free_port();
    let cert = std::fs::read_to_string(&pki.cert).expect("cert");
    let key = std::fs::read_to_string(&pki.key).expect("key");
    let combined = pki.dir.write("haproxy.pem", &format!("{cert}{key}"));
    let conf = pki.dir.write(
        "haproxy.cfg",
        &format!(
            "defaults\n  mode http\n  timeout client 5s\n  timeout connect 5s\n  timeout server 5s\nfrontend fe\n  bind 127.0.0.1:{port} ssl crt {} ca-file {} {bind_options}\n{rules}\n  http-request return status 200 content-type text/plain string \"hello\"\n",
            combined.display(),
            pki.client_ca.display(),
        ),
    );
    let mut child = Command::new(&program)
        .arg("-f")
        .arg(&conf)
        .arg("-db")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy starts");
    wait_for_port(port, &mut child);
    Some(Running { port, child })
}

#[tokio::test]
async fn haproxy_denying_requests_without_a_certificate_is_client_cert_required() {
    let pki = pki("haproxy-deny");
    let Some(server) = haproxy(
        &pki,
        "verify optional",
        "  http-request deny unless { ssl_c_used }",
    ) else {
        return;
    };
    // The handshake asks for a certificate and goes on without one; the
    // request is denied with a 403 that does not name the certificate.
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application));
    let d = &report.diagnoses[0];
    assert!(d.summary.contains("most likely"), "{d:#?}");
    assert!(d.evidence[0].contains("403 Forbidden"), "{d:#?}");
    let report = diagnose(server.port, &pki.ca, Some(&pki.client)).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    let (code, body) = curl(server.port, &pki.ca, None, &[]);
    assert_eq!(code, 0);
    assert!(body.contains("403 Forbidden"), "{body}");
}

#[tokio::test]
async fn a_service_that_does_not_speak_http_is_not_a_failure_and_costs_the_cap_only() {
    let pki = pki("s-server-plain");
    // `openssl s_server` without `-www` completes the handshake and never
    // answers the request.
    let server = common::openssl_server(&pki.cert, &pki.key, &[]);
    let started = std::time::Instant::now();
    let report = diagnose(server.port, &pki.ca, None).await;
    let took = started.elapsed();
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    let application = report
        .steps
        .iter()
        .find(|s| s.step == Step::Application)
        .unwrap();
    assert_eq!(application.status, StepStatus::NotTested, "{application:?}");
    assert!(
        application
            .detail
            .contains("no HTTP answer within 1500 ms to GET / HTTP/1.1 (Host: localhost:"),
        "{application:?}"
    );
    assert!(application.detail.contains("may not speak HTTP"));
    assert!(took < std::time::Duration::from_secs(4), "took {took:?}");
    assert_eq!(report.connections, 4);
}

#[tokio::test]
async fn a_server_that_answers_is_not_waited_for() {
    let pki = pki("s-server-www");
    let server = common::openssl_server(&pki.cert, &pki.key, &["-www"]);
    let started = std::time::Instant::now();
    let report = diagnose(server.port, &pki.ca, None).await;
    let took = started.elapsed();
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    assert_eq!(step(&report, Step::Application), StepStatus::Ok);
    // Well under the 1.5 s cap: the answer ends the step.
    assert!(
        took < std::time::Duration::from_millis(1200),
        "took {took:?}"
    );
}

#[tokio::test]
async fn the_refusal_behind_an_untrusted_certificate_is_the_next_hurdle() {
    let pki = pki("nginx-next");
    let verify = format!(
        "    ssl_client_certificate {};\n{VERIFY_ON}",
        pki.client_ca.display()
    );
    let Some(server) = nginx(&pki, &verify) else {
        return;
    };
    // Without the CA file the certificate step fails first; the HTTP
    // refusal seen on the same connection is what comes next.
    let report = common::diagnose(server.port, None, |_| {}).await;
    assert_eq!(report.failed_step, Some(Step::Certificate), "{report:#?}");
    let next = report
        .diagnoses
        .iter()
        .find(|d| d.code == Code::ClientCertRequired)
        .expect("the application refusal as a next hurdle");
    assert_eq!(next.step, Step::Application);
    assert_eq!(next.severity, model::Severity::Info);
}

#[tokio::test]
async fn apache_verify_client_per_directory_under_tls12_refuses_the_renegotiation() {
    let pki = pki("apache-reneg");
    let vhost = "  SSLProtocol -all +TLSv1.2\n  SSLVerifyClient none\n  <Location />\n    SSLVerifyClient require\n  </Location>";
    let Some(server) = apache(&pki, vhost) else {
        return;
    };
    // TLS 1.2: mod_ssl asks for the certificate with a renegotiation,
    // which rustls declines; Apache then refuses the request.
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application), "{report:#?}");
    assert!(
        report.diagnoses[0].evidence[0].contains("HelloRequest"),
        "{report:#?}"
    );
    // curl renegotiates, has no certificate to send, and the server ends
    // the connection (exit 56).
    let (code, _) = curl(server.port, &pki.ca, None, &[]);
    assert_eq!(code, 56);
}

#[tokio::test]
async fn nginx_over_http2_refuses_and_answers_the_same() {
    let pki = pki("nginx-h2");
    let verify = format!(
        "    ssl_client_certificate {};\n{VERIFY_ON}",
        pki.client_ca.display()
    );
    let Some(server) = nginx_listening(&pki, "ssl http2", &verify) else {
        return;
    };
    // The browser profile offers h2; nginx picks it, and the request goes
    // over HTTP/2.
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
    assert_eq!(report.failed_step, Some(Step::Application));
    let d = &report.diagnoses[0];
    assert!(d.evidence[0].contains("HTTP/2 400"), "{d:#?}");
    assert!(
        d.evidence[0].contains("No required SSL certificate was sent"),
        "{d:#?}"
    );
    let report = diagnose(server.port, &pki.ca, Some(&pki.client)).await;
    assert_eq!(report.primary_code(), Code::Ok, "{report:#?}");
    assert_eq!(
        report.negotiated.as_ref().and_then(|n| n.alpn.as_deref()),
        Some("h2")
    );
    let application = report
        .steps
        .iter()
        .find(|s| s.step == Step::Application)
        .unwrap();
    assert_eq!(application.status, StepStatus::Ok);
    assert!(application.detail.contains("HTTP/2 200"), "{application:?}");
    assert_eq!(report.connections, 4);
    // curl over HTTP/2 sees the same page.
    let (code, body) = curl(server.port, &pki.ca, None, &["--http2"]);
    assert_eq!(code, 0);
    assert!(
        body.contains("No required SSL certificate was sent"),
        "{body}"
    );
}

#[tokio::test]
async fn nginx_over_http2_answering_421() {
    let pki = pki("nginx-h2-421");
    let Some(server) = nginx_listening(&pki, "ssl http2", "    location / { return 421; }") else {
        return;
    };
    let report = diagnose(server.port, &pki.ca, None).await;
    assert_eq!(
        report.primary_code(),
        Code::MisdirectedRequest,
        "{report:#?}"
    );
}
