//! STARTTLS and proxies against servers nobody here wrote, configured the
//! way operators do (`tests/recipes/`): PostgreSQL, Exim (SMTP), Dovecot
//! (IMAP, POP3), slapd (LDAP), tinyproxy (HTTP CONNECT) and Dante (SOCKS5).
//! For each protocol: a healthy server, one that refuses or does not offer
//! STARTTLS, and a certificate fault behind STARTTLS; for each proxy: an open
//! tunnel, missing credentials, a refusal. The expected code is what the
//! server was configured to do, not what tlsdoctor printed before.

mod common;

use std::process::Command;

use common::recipes::{start, tls_server, Recipe};
use common::servers::pki;
use common::{leaf, root, TempDir};
use serde_json::Value;

/// `tlsdoctor diagnose ARGS --json`, parsed.
fn diagnose(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsdoctor"))
        .arg("diagnose")
        .args(args)
        .arg("--json")
        .args(if args.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "10"][..]
        })
        .env("NO_COLOR", "1")
        .output()
        .expect("tlsdoctor runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The first diagnosis code, the failed step, and the transport step's status.
fn outcome(report: &Value) -> (String, String, String) {
    let code = report["diagnoses"][0]["code"]
        .as_str()
        .unwrap_or("ok")
        .to_string();
    let failed = report["failed_step"].as_str().unwrap_or("").to_string();
    let transport = report["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["step"] == "transport"))
        .and_then(|s| s["status"].as_str())
        .unwrap_or("absent")
        .to_string();
    (code, failed, transport)
}

/// No error: a healthy server may still get warnings (Exim and slapd, with
/// GnuTLS, accept TLS 1.0 and 1.1 by default).
fn assert_healthy(name: &str, report: &Value) {
    assert_ne!(
        report["verdict"],
        "failed",
        "{name}: {:?}\n{report:#}",
        outcome(report)
    );
    for diagnosis in report["diagnoses"].as_array().into_iter().flatten() {
        assert_ne!(diagnosis["severity"], "error", "{name}: {report:#}");
    }
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["step"] == name))
        .unwrap_or_else(|| panic!("no {name} step in {report:#}"))
}

/// The three cases of one STARTTLS protocol: healthy (verdict ok, the
/// protocol answered inside TLS), not offered, expired certificate behind
/// STARTTLS.
fn three_cases(
    name: &str,
    program: &str,
    protocol: &str,
    port_of: impl Fn(&Recipe) -> u16,
    refused_code: &str,
) {
    let pki = pki(&format!("starttls-{name}"));
    let ca = pki.ca.to_str().unwrap();
    let Some(healthy) = tls_server(name, program, &pki.cert, &pki.key, "tls") else {
        return;
    };
    let target = format!("localhost:{}", port_of(&healthy));
    let report = diagnose(&[&target, "--starttls", protocol, "--ca-file", ca]);
    assert_healthy(name, &report);
    assert_eq!(step(&report, "transport")["status"], "ok", "{report:#}");
    assert_eq!(step(&report, "application")["status"], "ok", "{report:#}");
    drop(healthy);

    let Some(plain) = tls_server(name, program, &pki.cert, &pki.key, "notls") else {
        return;
    };
    let target = format!("localhost:{}", port_of(&plain));
    let report = diagnose(&[&target, "--starttls", protocol, "--ca-file", ca]);
    assert_eq!(
        outcome(&report),
        (refused_code.into(), "transport".into(), "failed".into()),
        "{name} without TLS: {report:#}"
    );
    let evidence = report["diagnoses"][0]["evidence"].to_string();
    assert!(evidence.contains("S: "), "the server's words: {evidence}");
    drop(plain);

    let expired_ca = root("tlsdoctor starttls expired root");
    let (cert, key) = leaf(&["localhost"], -30, -2, Some(&expired_ca));
    let dir = TempDir::new("starttls-expired");
    let (cert, key) = (dir.write("cert.pem", &cert), dir.write("key.pem", &key));
    let ca_file = dir.write("ca.pem", &expired_ca.pem());
    let Some(expired) = tls_server(name, program, &cert, &key, "tls") else {
        return;
    };
    let target = format!("localhost:{}", port_of(&expired));
    let report = diagnose(&[
        &target,
        "--starttls",
        protocol,
        "--ca-file",
        ca_file.to_str().unwrap(),
    ]);
    assert_eq!(
        outcome(&report),
        ("cert_expired".into(), "certificate".into(), "ok".into()),
        "{name} expired certificate: {report:#}"
    );
}

#[test]
fn postgresql() {
    three_cases(
        "postgres",
        "pg_lsclusters",
        "postgres",
        |r| r.port,
        "starttls_unsupported",
    );
}

#[test]
fn exim_smtp() {
    three_cases("smtp", "exim4", "smtp", |r| r.port, "starttls_unsupported");
}

#[test]
fn dovecot_imap() {
    three_cases(
        "dovecot",
        "dovecot",
        "imap",
        |r| r.port,
        "starttls_unsupported",
    );
}

#[test]
fn dovecot_pop3() {
    three_cases(
        "dovecot",
        "dovecot",
        "pop3",
        |r| r.port2,
        "starttls_unsupported",
    );
}

#[test]
fn slapd_ldap() {
    three_cases("slapd", "slapd", "ldap", |r| r.port, "starttls_unsupported");
}

/// Exim offers STARTTLS but cannot read its key: `454`, a refusal.
#[test]
fn exim_that_cannot_read_its_key_refuses_starttls() {
    let pki = pki("starttls-badkey");
    let Some(server) = tls_server("smtp", "exim4", &pki.cert, &pki.key, "badkey") else {
        return;
    };
    let report = diagnose(&[
        &format!("smtp://localhost:{}", server.port),
        "--ca-file",
        pki.ca.to_str().unwrap(),
    ]);
    assert_eq!(
        outcome(&report),
        (
            "starttls_refused".into(),
            "transport".into(),
            "failed".into()
        ),
        "{report:#}"
    );
    assert!(report["diagnoses"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("454"));
}

/// `--starttls smtp` against a port that speaks TLS from the first byte:
/// the TLS alert it answers with names the mistake.
#[test]
fn starttls_against_an_implicit_tls_port_says_so() {
    let pki = pki("starttls-implicit");
    let server = common::openssl_server(&pki.cert, &pki.key, &[]);
    let report = diagnose(&[
        &format!("localhost:{}", server.port),
        "--starttls",
        "smtp",
        "--timeout",
        "2",
    ]);
    let (code, failed, _) = outcome(&report);
    assert_eq!(
        (code.as_str(), failed.as_str()),
        ("starttls_failed", "transport")
    );
    let fix = report["diagnoses"][0]["fix"].to_string();
    assert!(fix.contains("--starttls none"), "{fix}");
}

/// A TLS server behind tinyproxy and Dante: the tunnel opens, and the
/// certificate is judged as without a proxy.
#[test]
fn proxies_tunnel_and_their_refusals_are_named() {
    let pki = pki("proxies");
    let backend = common::openssl_server(&pki.cert, &pki.key, &["-www"]);
    let target = format!("localhost:{}", backend.port);
    let ca = pki.ca.to_str().unwrap();
    let closed = common::free_port();
    let closed_target = format!("localhost:{closed}");

    if let Some(open) = start("tinyproxy", "tinyproxy", &["open"]) {
        let proxy = format!("http://127.0.0.1:{}", open.port);
        let report = diagnose(&[&target, "--proxy", &proxy, "--ca-file", ca]);
        assert_eq!(report["verdict"], "ok", "{report:#}");
        assert!(step(&report, "tcp")["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("proxy 127.0.0.1:{}", open.port)));
        let report = diagnose(&[&closed_target, "--proxy", &proxy, "--ca-file", ca]);
        assert_eq!(outcome(&report).0, "proxy_refused", "{report:#}");
    }
    if let Some(auth) = start("tinyproxy", "tinyproxy", &["auth"]) {
        let proxy = format!("http://127.0.0.1:{}", auth.port);
        let report = diagnose(&[&target, "--proxy", &proxy, "--ca-file", ca]);
        assert_eq!(outcome(&report).0, "proxy_auth_required", "{report:#}");
        let with_user = format!("http://user:pass@127.0.0.1:{}", auth.port);
        let report = diagnose(&[&target, "--proxy", &with_user, "--ca-file", ca]);
        assert_eq!(report["verdict"], "ok", "{report:#}");
        // The password never reaches the report.
        assert!(!report.to_string().contains("pass@"), "{report:#}");
    }
    if let Some(restricted) = start("tinyproxy", "tinyproxy", &["restricted"]) {
        // Only ports 443 and 563 may be tunnelled.
        let proxy = format!("http://127.0.0.1:{}", restricted.port);
        let report = diagnose(&[&target, "--proxy", &proxy, "--ca-file", ca]);
        assert_eq!(outcome(&report).0, "proxy_refused", "{report:#}");
        assert!(report["diagnoses"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("403"));
    }
    if let Some(socks) = start("dante", "danted", &["open"]) {
        let proxy = format!("socks5://127.0.0.1:{}", socks.port);
        let report = diagnose(&[&target, "--proxy", &proxy, "--ca-file", ca]);
        assert_eq!(report["verdict"], "ok", "{report:#}");
        let report = diagnose(&[&closed_target, "--proxy", &proxy, "--ca-file", ca]);
        assert_eq!(outcome(&report).0, "proxy_refused", "{report:#}");
        assert!(report["diagnoses"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("could not reach"));
    }
    if let Some(socks) = start("dante", "danted", &["auth"]) {
        let proxy = format!("socks5://127.0.0.1:{}", socks.port);
        let report = diagnose(&[&target, "--proxy", &proxy, "--ca-file", ca]);
        assert_eq!(outcome(&report).0, "proxy_auth_required", "{report:#}");
        let with_user = format!("socks5://tlsdiag-socks:socks-pass@127.0.0.1:{}", socks.port);
        let report = diagnose(&[&target, "--proxy", &with_user, "--ca-file", ca]);
        assert_eq!(report["verdict"], "ok", "{report:#}");
    }
}

/// STARTTLS through a proxy: both stages in one transport step.
#[test]
fn starttls_through_a_proxy() {
    let pki = pki("starttls-proxy");
    let Some(mail) = tls_server("smtp", "exim4", &pki.cert, &pki.key, "tls") else {
        return;
    };
    let Some(socks) = start("dante", "danted", &["open"]) else {
        return;
    };
    let report = diagnose(&[
        &format!("smtp://localhost:{}", mail.port),
        "--proxy",
        &format!("socks5://127.0.0.1:{}", socks.port),
        "--ca-file",
        pki.ca.to_str().unwrap(),
    ]);
    assert_healthy("smtp through socks5", &report);
    let detail = step(&report, "transport")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("opened a tunnel") && detail.contains("SMTP STARTTLS accepted"),
        "{detail}"
    );
}

/// A scan over LDAP StartTLS (sslscan cannot do slapd 2.5, see
/// scan_vs_sslscan.rs) lists what GnuTLS's default priority accepts: slapd
/// (built with GnuTLS, `TLSCipherSuite` unset) and gnutls-serv with the same
/// certificate, scanned without STARTTLS, give the same lists.
#[tokio::test(flavor = "multi_thread")]
async fn an_ldap_scan_lists_what_gnutls_accepts() {
    use common::scan::{run_scan, scan_job};
    let pki = pki("starttls-ldap-scan");
    let Some(slapd) = tls_server("slapd", "slapd", &pki.cert, &pki.key, "tls") else {
        return;
    };
    let Some(gnutls) = common::gnutls_server(&pki.cert, &pki.key, &[]) else {
        return;
    };
    let mut job = scan_job("localhost", slapd.port, &[&pki.ca]);
    job.target.transport.starttls = Some(model::StartTls::Ldap);
    let over_ldap = run_scan(&job).await;
    let direct = run_scan(&scan_job("localhost", gnutls.port, &[&pki.ca])).await;
    for (name, protocol) in over_ldap.protocols.iter() {
        let other = direct.protocol(name).expect("same protocols");
        assert_eq!(protocol.supported, other.supported, "{name}");
        assert!(protocol.cipher_suites_interrupted.is_none(), "{name}");
        let mut ours = protocol.cipher_suites.clone();
        let mut theirs = other.cipher_suites.clone();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{name}: slapd over StartTLS vs gnutls-serv");
    }
    assert!(over_ldap.protocol("tls1_3").and_then(|p| p.supported) == Some(true));
}
