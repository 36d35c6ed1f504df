//! Real clients agree with the lab: `openssl s_client` and `curl`, which nobody
//! here wrote, report each server's fault in their own words.
//!
//! Every client runs under `timeout`, with stdin closed, against servers of an
//! in-process lab on loopback. The expected texts are OpenSSL 3.x / curl 7.8x+
//! wording; where versions differ the test accepts each known variant.

use std::process::{Command, Output, Stdio};

use lab::{Lab, LabConfig};

async fn lab(names: &[&str]) -> Lab {
    Lab::start(LabConfig {
        only: Some(names.iter().map(|s| s.to_string()).collect()),
        ..LabConfig::default()
    })
    .await
    .expect("lab starts")
}

/// What a client run printed and how it ended.
struct Run {
    text: String,
    status: Option<i32>,
}

impl Run {
    fn has(&self, needle: &str) -> bool {
        self.text.to_lowercase().contains(&needle.to_lowercase())
    }

    #[track_caller]
    fn expect_any(&self, needles: &[&str]) {
        assert!(
            needles.iter().any(|n| self.has(n)),
            "expected one of {needles:?} in client output (exit {:?}):\n{}",
            self.status,
            self.text
        );
    }

    #[track_caller]
    fn expect_none(&self, needles: &[&str]) {
        for n in needles {
            assert!(
                !self.has(n),
                "did not expect {n:?} in client output:\n{}",
                self.text
            );
        }
    }
}

/// Runs `program args...` under `timeout SECONDS` with stdin closed.
async fn run(seconds: u32, program: &str, args: Vec<String>) -> Run {
    let program = program.to_string();
    let out: Output = tokio::task::spawn_blocking(move || {
        Command::new("timeout")
            .arg(seconds.to_string())
            .arg(&program)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    })
    .await
    .expect("client thread");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Run {
        text,
        status: out.status.code(),
    }
}

/// `openssl s_client` against `server` with the lab CA, strict verification
/// and host name checks for `localhost` (SNI too, unless `extra` has
/// `-noservername`), plus `extra` arguments.
async fn s_client(lab: &Lab, server: &str, extra: &[&str]) -> Run {
    let info = lab.server(server).expect("server started");
    let mut args: Vec<String> = vec![
        "s_client".into(),
        "-connect".into(),
        info.addr.to_string(),
        "-CAfile".into(),
        lab.ca_file().display().to_string(),
        "-verify_return_error".into(),
        "-verify_hostname".into(),
        "localhost".into(),
    ];
    if !extra.contains(&"-noservername") {
        args.extend(["-servername".to_string(), "localhost".into()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    run(10, "openssl", args).await
}

const OK: &str = "Verify return code: 0 (ok)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_and_tls13_only_verify() {
    let lab = lab(&["good", "tls13-only"]).await;
    let good = s_client(&lab, "good", &[]).await;
    good.expect_any(&[OK]);
    assert_eq!(good.status, Some(0), "{}", good.text);
    s_client(&lab, "good", &["-tls1_2"]).await.expect_any(&[OK]);

    let t13 = s_client(&lab, "tls13-only", &[]).await;
    t13.expect_any(&[OK]);
    t13.expect_any(&["TLSv1.3"]);
    s_client(&lab, "tls13-only", &["-tls1_2"])
        .await
        .expect_any(&["alert protocol version", "unsupported protocol"]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_time_and_name_faults() {
    let lab = lab(&["expired", "not-yet-valid", "wrong-host", "self-signed"]).await;
    s_client(&lab, "expired", &[])
        .await
        .expect_any(&["certificate has expired"]);
    s_client(&lab, "not-yet-valid", &[])
        .await
        .expect_any(&["certificate is not yet valid"]);
    s_client(&lab, "wrong-host", &[])
        .await
        .expect_any(&["Hostname mismatch"]);
    s_client(&lab, "self-signed", &[])
        .await
        .expect_any(&["self-signed certificate", "self signed certificate"]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_faults() {
    let lab = lab(&["untrusted-root", "incomplete-chain", "wrong-order", "sha1"]).await;
    // The chain ends in a self-signed root that is not in the CA file.
    let untrusted = s_client(&lab, "untrusted-root", &[]).await;
    untrusted.expect_any(&[
        "self-signed certificate in certificate chain",
        "self signed certificate in certificate chain",
    ]);
    untrusted.expect_any(&["tlsdoctor lab other root CA"]);

    s_client(&lab, "incomplete-chain", &[])
        .await
        .expect_any(&["unable to get local issuer certificate"]);

    // OpenSSL sorts the chain itself and accepts it; the order is visible in
    // the chain it prints: the leaf's issuer is at depth 2, not 1.
    let order = s_client(&lab, "wrong-order", &[]).await;
    order.expect_any(&[OK]);
    let depth1 = order.text.find(" 1 s:").expect("depth 1 printed");
    let depth2 = order.text.find(" 2 s:").expect("depth 2 printed");
    assert!(
        order.text[depth1..depth2].contains("intermediate CA"),
        "{}",
        order.text
    );
    assert!(
        order.text[depth2..].contains("issuing CA"),
        "{}",
        order.text
    );

    s_client(&lab, "sha1", &[])
        .await
        .expect_any(&["CA signature digest algorithm too weak", "ca md too weak"]);
    // At security level 0 OpenSSL still accepts SHA-1: the chain is otherwise fine.
    s_client(&lab, "sha1", &["-cipher", "DEFAULT:@SECLEVEL=0"])
        .await
        .expect_any(&[OK]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_certificate_is_stapled_as_revoked() {
    let lab = lab(&["revoked"]).await;
    // `s_client` does not act on the staple (the chain itself verifies), but
    // with -status it prints the stapled response, under TLS 1.3 and 1.2.
    for version in ["-tls1_3", "-tls1_2"] {
        let run = s_client(&lab, "revoked", &["-status", version]).await;
        run.expect_any(&["OCSP Response Status: successful"]);
        run.expect_any(&["Cert Status: revoked"]);
        run.expect_any(&["Revocation Reason: keyCompromise"]);
        run.expect_any(&["Responder Id: O = tlsdoctor lab, CN = tlsdoctor lab intermediate CA"]);
        run.expect_any(&[OK]);
    }
    // Without -status no staple is asked for, and none is printed.
    s_client(&lab, "revoked", &[])
        .await
        .expect_none(&["Cert Status"]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_required() {
    let lab = lab(&["client-cert-required"]).await;
    // Under TLS 1.2 the refusal is part of the handshake; under TLS 1.3 it
    // follows the client's Finished, and s_client may exit before reading it.
    let without = s_client(&lab, "client-cert-required", &["-tls1_2"]).await;
    without.expect_any(&["certificate required", "handshake failure"]);
    without.expect_any(&["tlsdoctor lab client CA"]); // the CertificateRequest names it

    let cert = lab.client_cert().display().to_string();
    let key = lab.client_key().display().to_string();
    let with = s_client(
        &lab,
        "client-cert-required",
        &["-cert", &cert, "-key", &key],
    )
    .await;
    with.expect_any(&[OK]);
    with.expect_none(&["alert"]);
    assert_eq!(with.status, Some(0), "{}", with.text);

    let cert = lab.foreign_client_cert().display().to_string();
    let key = lab.foreign_client_key().display().to_string();
    s_client(
        &lab,
        "client-cert-required",
        &["-tls1_2", "-cert", &cert, "-key", &key],
    )
    .await
    .expect_any(&["alert unknown ca", "alert bad certificate"]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_required() {
    let lab = lab(&["sni-required"]).await;
    // The host to diagnose is the IP address: no SNI is sent for it.
    let info = lab.server("sni-required").unwrap();
    assert_eq!(info.host, info.addr.ip().to_string());
    s_client(&lab, "sni-required", &["-noservername"])
        .await
        .expect_any(&["unrecognized name"]);
    s_client(&lab, "sni-required", &[]).await.expect_any(&[OK]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interceptor() {
    let lab = lab(&["interceptor"]).await;
    let run = s_client(&lab, "interceptor", &[]).await;
    run.expect_any(&["unable to get local issuer certificate"]);
    run.expect_any(&["O = mitmproxy, CN = mitmproxy"]);

    // Without verification the proxy relays to `good`, which answers.
    let port = lab.server("interceptor").unwrap().addr.port();
    let curl = run_curl(&lab, &["-k", &format!("https://localhost:{port}/")]).await;
    curl.expect_any(&["tlsdoctor lab: good"]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_servers() {
    let lab = lab(&["tls10-only", "legacy-ciphers-only", "dh-1024", "weak-key"]).await;
    s_client(&lab, "tls10-only", &[])
        .await
        .expect_any(&["alert protocol version", "unsupported protocol"]);
    s_client(
        &lab,
        "tls10-only",
        &["-tls1", "-cipher", "ALL:@SECLEVEL=0", "-msg"],
    )
    .await
    .expect_any(&["ServerHello"]);

    // OpenSSL's default offer (like a browser's) has none of 3DES / RC4.
    s_client(&lab, "legacy-ciphers-only", &[])
        .await
        .expect_any(&["alert handshake failure"]);
    // Many OpenSSL 3 builds (Debian's among them) have no 3DES left at all.
    let has_3des = run(
        5,
        "openssl",
        vec!["ciphers".into(), "DES-CBC3-SHA:@SECLEVEL=0".into()],
    )
    .await
    .status
        == Some(0);
    if has_3des {
        let des = s_client(
            &lab,
            "legacy-ciphers-only",
            &["-cipher", "DES-CBC3-SHA:@SECLEVEL=0", "-msg"],
        )
        .await;
        des.expect_any(&["ServerHelloDone"]);
    }

    s_client(&lab, "dh-1024", &["-cipher", "ECDHE+AESGCM"])
        .await
        .expect_any(&["alert handshake failure"]);
    s_client(&lab, "dh-1024", &["-cipher", "DHE:@SECLEVEL=2"])
        .await
        .expect_any(&["dh key too small"]);

    s_client(&lab, "weak-key", &["-cipher", "DEFAULT:@SECLEVEL=2"])
        .await
        .expect_any(&["EE certificate key too weak", "ee key too small"]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_transports() {
    let lab = lab(&[
        "not-tls",
        "garbage",
        "reset",
        "huge-record",
        "alert-storm",
        "silent",
        "slow-drip",
    ])
    .await;
    s_client(&lab, "not-tls", &[])
        .await
        .expect_any(&["wrong version number", "packet length too long"]);
    let garbage = s_client(&lab, "garbage", &[]).await;
    garbage.expect_any(&[
        "wrong version number",
        "packet length too long",
        "record layer failure",
    ]);
    s_client(&lab, "reset", &[])
        .await
        .expect_any(&["errno=104", "connection reset"]);
    s_client(&lab, "huge-record", &[])
        .await
        .expect_any(&["packet length too long", "record length too long"]);
    s_client(&lab, "alert-storm", &[])
        .await
        .expect_any(&["too many warn alerts"]);

    // Nothing completes: `timeout` has to stop s_client (exit 124).
    for server in ["silent", "slow-drip"] {
        let info = lab.server(server).unwrap();
        let args = [
            "s_client",
            "-connect",
            &info.addr.to_string(),
            "-servername",
            "localhost",
        ];
        let run = run(3, "openssl", args.iter().map(|s| s.to_string()).collect()).await;
        assert_eq!(run.status, Some(124), "{server}: {}", run.text);
    }
    lab.shutdown().await;
}

async fn run_curl(lab: &Lab, args: &[&str]) -> Run {
    let mut all = vec!["-sS".to_string(), "--max-time".into(), "10".into()];
    all.extend(["--cacert".to_string(), lab.ca_file().display().to_string()]);
    all.extend(args.iter().map(|s| s.to_string()));
    run(15, "curl", all).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_agrees() {
    let lab = lab(&["good", "expired", "client-cert-required"]).await;
    let url = |name: &str| {
        format!(
            "https://localhost:{}/",
            lab.server(name).unwrap().addr.port()
        )
    };

    let good = run_curl(&lab, &["-i", &url("good")]).await;
    assert_eq!(good.status, Some(0), "{}", good.text);
    good.expect_any(&["HTTP/1.1 200 OK"]);
    good.expect_any(&["\r\ndate: "]);
    good.expect_any(&["tlsdoctor lab: good"]);

    let expired = run_curl(&lab, &[&url("expired")]).await;
    assert_eq!(expired.status, Some(60), "{}", expired.text);
    expired.expect_any(&["certificate has expired"]);

    let cert = lab.client_cert().display().to_string();
    let key = lab.client_key().display().to_string();
    let with = run_curl(
        &lab,
        &["--cert", &cert, "--key", &key, &url("client-cert-required")],
    )
    .await;
    with.expect_any(&["tlsdoctor lab: client-cert-required"]);
    lab.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_sees_the_refusals_after_the_handshake() {
    let lab = lab(&["http-cert-required", "closed-after-handshake"]).await;
    let url = |name: &str| {
        format!(
            "https://localhost:{}/",
            lab.server(name).unwrap().addr.port()
        )
    };

    // The handshake completes without a client certificate; the answer refuses.
    let without = run_curl(&lab, &["-i", &url("http-cert-required")]).await;
    assert_eq!(without.status, Some(0), "{}", without.text);
    without.expect_any(&["HTTP/1.1 400 Bad Request"]);
    without.expect_any(&["No required SSL certificate was sent"]);
    let cert = lab.client_cert().display().to_string();
    let key = lab.client_key().display().to_string();
    let with = run_curl(
        &lab,
        &["--cert", &cert, "--key", &key, &url("http-cert-required")],
    )
    .await;
    assert_eq!(with.status, Some(0), "{}", with.text);
    with.expect_any(&["tlsdoctor lab: http-cert-required"]);

    for extra in [&[][..], &["--tls-max", "1.2"][..]] {
        let mut args = extra.to_vec();
        let target = url("closed-after-handshake");
        args.push(&target);
        let closed = run_curl(&lab, &args).await;
        // 52 `Empty reply from server`, or 56 `Connection reset by peer`
        // when the request reached the socket before it closed.
        assert!(
            matches!(closed.status, Some(52 | 56)),
            "{extra:?}: {}",
            closed.text
        );
        closed.expect_any(&["Empty reply from server", "Connection reset by peer"]);
    }
    lab.shutdown().await;
}
