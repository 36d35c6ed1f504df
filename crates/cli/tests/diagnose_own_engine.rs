//! `diagnose --client PROFILE` against `openssl s_server` configurations
//! that rustls cannot finish (DHE, RSA key exchange, CBC, DHE with
//! ChaCha20, ECDSA with CBC) and ones no modern client accepts (TLS 1.0
//! only): the prediction for curl, `openssl s_client`, Python and Node must
//! equal what the real client does. `finished` is `ok` exactly when the
//! real client connects; otherwise a step fails (never `ok`, and a
//! handshake the engines cannot run is `not_tested`, never `failed`).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::clients::{
    curl_args, observe_curl, observe_python, observe_s_client, python_script, s_client_args,
    Observed,
};
use common::{openssl_self_signed, TempDir, OPENSSL_P384, OPENSSL_RSA_2048};
use model::{Step, StepStatus};

fn curl(port: u16, ca: &Path) -> Observed {
    let out = Command::new("curl")
        .args(curl_args(port, ca))
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed");
    observe_curl(
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn s_client(port: u16, ca: &Path) -> Observed {
    let out = Command::new("timeout")
        .args(["10", "openssl"])
        .args(s_client_args(port, ca))
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    observe_s_client(out.status.success(), text)
}

fn python(port: u16, ca: &Path) -> Observed {
    let out = Command::new("python3")
        .arg("-c")
        .arg(python_script(port, ca))
        .stdin(Stdio::null())
        .output()
        .expect("python3 is installed");
    observe_python(&String::from_utf8_lossy(&out.stdout))
}

/// Node's `tls.connect` with the default settings, trusting `ca`.
fn node(port: u16, ca: &Path) -> Option<Observed> {
    let script = format!(
        "const tls=require('tls'),fs=require('fs');const s=tls.connect({{host:'127.0.0.1',port:{port},servername:'localhost',ca:fs.readFileSync({ca:?})}},()=>{{console.log('OK',s.getProtocol(),s.getCipher().standardName);s.destroy();}});s.setTimeout(10000,()=>{{console.log('FAIL timeout');s.destroy();}});s.on('error',e=>console.log('FAIL',e.message));",
        ca = ca.display().to_string()
    );
    match Command::new("node")
        .arg("-e")
        .arg(script)
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => Some(observe_python(&String::from_utf8_lossy(&out.stdout))),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "node must be installed in CI"
            );
            eprintln!("skipped node: not installed");
            None
        }
    }
}

/// Diagnoses the server as `profile` and checks the prediction against
/// what `observed` (the real client) did.
async fn check(name: &str, port: u16, ca: &Path, profile: &str, observed: &Observed) {
    let client = analysis::profiles::by_name(profile).expect("profile exists");
    let report = common::diagnose(port, Some(ca), |job| job.context.client = client).await;
    let status = |step: Step| {
        report
            .steps
            .iter()
            .find(|s| s.step == step)
            .map(|s| (s.status, s.detail.clone()))
    };
    let finished = status(Step::Finished);
    let detail = format!(
        "{name} as {profile}: real client {observed:?}; steps {:#?}",
        report.steps
    );
    if observed.ok {
        assert_eq!(
            finished.as_ref().map(|f| f.0),
            Some(StepStatus::Ok),
            "{detail}"
        );
        assert!(report.failed_step.is_none(), "{detail}");
    } else {
        assert!(report.failed_step.is_some(), "{detail}");
        assert_ne!(
            finished.as_ref().map(|f| f.0),
            Some(StepStatus::Ok),
            "{detail}"
        );
    }
}

/// Runs the four clients and the four predictions; returns which real
/// clients connected (curl, s_client, python, node if installed).
async fn against(name: &str, key: &[&str], server_args: &[&str]) -> Vec<bool> {
    let dir = TempDir::new(&format!("own-engine-{name}"));
    // Not a CA certificate: its own trust anchor, as every client here takes it.
    let (cert, key) = openssl_self_signed(
        &dir,
        "server",
        key,
        &["basicConstraints=critical,CA:FALSE".to_string()],
    );
    let server = common::openssl_server(&cert, &key, &[&["-www"], server_args].concat());
    let port = server.port;
    let mut connected = Vec::new();
    for (profile, observed) in [
        ("curl-7.88", Some(curl(port, &cert))),
        ("openssl-3.0", Some(s_client(port, &cert))),
        ("python-3.11", Some(python(port, &cert))),
        ("node-20", node(port, &cert)),
    ] {
        if let Some(observed) = observed {
            check(name, port, &cert, profile, &observed).await;
            connected.push(observed.ok);
        }
    }
    connected
}

/// Which of curl, s_client, python, node connected: pins the case so it
/// keeps testing the engine (a connection), not only a refusal. Python's
/// default context offers no RSA key exchange, no SHA-1 CBC and no DHE
/// with ChaCha20.
fn assert_connected(connected: &[bool], expected: [bool; 4]) {
    assert_eq!(connected, &expected[..connected.len()]);
}

#[tokio::test]
async fn dhe_only_tls12() {
    assert_connected(
        &against(
            "dhe",
            OPENSSL_RSA_2048,
            &["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"],
        )
        .await,
        [true; 4],
    );
}

#[tokio::test]
async fn cbc_only_tls12() {
    assert_connected(
        &against(
            "cbc",
            OPENSSL_RSA_2048,
            &["-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-SHA"],
        )
        .await,
        [true, true, false, true],
    );
}

#[tokio::test]
async fn rsa_key_exchange_only_tls12() {
    assert_connected(
        &against(
            "rsa-kx",
            OPENSSL_RSA_2048,
            &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
        )
        .await,
        [true, true, false, true],
    );
}

#[tokio::test]
async fn dhe_chacha20_tls12() {
    assert_connected(
        &against(
            "dhe-chacha",
            OPENSSL_RSA_2048,
            &["-tls1_2", "-cipher", "DHE-RSA-CHACHA20-POLY1305"],
        )
        .await,
        [true, true, false, true],
    );
}

#[tokio::test]
async fn tls10_only() {
    let connected = against(
        "tls10",
        OPENSSL_RSA_2048,
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    )
    .await;
    assert!(connected.iter().all(|ok| !*ok), "{connected:?}");
}

#[tokio::test]
async fn ecdsa_certificate() {
    assert_connected(&against("ecdsa", OPENSSL_P384, &[]).await, [true; 4]);
}

#[tokio::test]
async fn ecdsa_certificate_cbc_only() {
    assert_connected(
        &against(
            "ecdsa-cbc",
            OPENSSL_P384,
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA",
            ],
        )
        .await,
        [true; 4],
    );
}

#[tokio::test]
async fn ecdsa_certificate_rsa_suites_only() {
    let connected = against(
        "ecdsa-rsa-suites",
        OPENSSL_P384,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        ],
    )
    .await;
    assert!(connected.iter().all(|ok| !*ok), "{connected:?}");
}

/// The engine itself, family by family: as `openssl-1.0.2` (TLS 1.0-1.2,
/// accepts legacy signatures) against servers that allow exactly one
/// version and suite, `finished` is `ok` and says our engine finished it.
/// Covers TLS 1.0 implicit-IV CBC, TLS 1.1 explicit IV, RSA/DHE/ECDHE key
/// exchange, SHA-256/SHA-384 PRFs and HMAC-SHA-1/SHA-256/SHA-384, GCM and
/// a Camellia server (not implemented: `not_tested`, never `failed`).
#[tokio::test]
async fn engine_finishes_each_family() {
    let dir = TempDir::new("own-engine-families");
    let (cert, key) = openssl_self_signed(
        &dir,
        "server",
        OPENSSL_RSA_2048,
        &["basicConstraints=critical,CA:FALSE".to_string()],
    );
    for (version, cipher, expected) in [
        ("-tls1", "AES128-SHA", StepStatus::Ok),
        ("-tls1", "ECDHE-RSA-AES256-SHA", StepStatus::Ok),
        ("-tls1_1", "DHE-RSA-AES128-SHA", StepStatus::Ok),
        ("-tls1_2", "AES256-SHA256", StepStatus::Ok),
        ("-tls1_2", "ECDHE-RSA-AES256-SHA384", StepStatus::Ok),
        ("-tls1_2", "DHE-RSA-AES256-GCM-SHA384", StepStatus::Ok),
        ("-tls1_2", "AES256-GCM-SHA384", StepStatus::Ok),
        ("-tls1_2", "CAMELLIA128-SHA", StepStatus::NotTested),
    ] {
        let cipher_arg = format!("{cipher}:@SECLEVEL=0");
        let server =
            common::openssl_server(&cert, &key, &["-www", version, "-cipher", &cipher_arg]);
        let client = analysis::profiles::by_name("openssl-1.0.2").expect("profile");
        let report =
            common::diagnose(server.port, Some(&cert), |job| job.context.client = client).await;
        let finished = report
            .steps
            .iter()
            .find(|s| s.step == Step::Finished)
            .expect("finished step");
        assert_eq!(
            finished.status, expected,
            "{version} {cipher}: {:#?}",
            report.steps
        );
        if expected == StepStatus::Ok {
            assert!(
                finished.detail.contains("own TLS 1.0-1.2 engine"),
                "{version} {cipher}: {}",
                finished.detail
            );
        }
    }
}
