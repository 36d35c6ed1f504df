//! Client simulation against real clients: for each server configuration
//! (`openssl s_server` variants and lab servers), scan it, predict what
//! curl, `openssl s_client` and Python would do, then run those clients and
//! compare: outcome, version and suite (and, for s_client, the group) when
//! the handshake works; the kind of failure when it does not.
//!
//! The clients run with verification on and the server's certificate (or
//! the lab CA) as their trust anchor, like the scan (`--ca-file`); s_client
//! gets `-verify_return_error` so it stops on a bad certificate as curl and
//! Python do.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use analysis::simulate::{self, Outcome, Prediction};
use common::clients::{
    codes_for_client_error, curl_args, error_lines, observe_curl, observe_python, observe_s_client,
    python_script, s_client_args, Observed,
};
use common::scan::scan_loopback;
use common::{openssl_self_signed, OPENSSL_P384, OPENSSL_RSA_2048};
use model::Code;

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
    // `timeout`: a server that never closes must not hold the test up.
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

/// The diagnosis codes a client's error text is consistent with.
fn codes_for(error: &str) -> Vec<Code> {
    codes_for_client_error(
        error,
        &[
            Code::CertUntrustedRoot,
            Code::CertChainIncomplete,
            Code::CertSelfSigned,
            Code::CertWeakKey,
            Code::CertWeakSignature,
            Code::CertNotYetValid,
        ],
    )
}

/// Compares; returns a description of the mismatch, if any.
fn compare(
    client: &str,
    server: &str,
    predicted: &Prediction,
    observed: &Observed,
) -> Option<String> {
    let head = format!("{server} / {client}");
    match (predicted.outcome, observed.ok) {
        (Outcome::Ok, true) => {
            if predicted.version != observed.version || predicted.cipher_suite != observed.suite {
                return Some(format!(
                    "{head}: predicted {:?} {:?}, the client got {:?} {:?}",
                    predicted.version, predicted.cipher_suite, observed.version, observed.suite
                ));
            }
            if observed.group.is_some() && predicted.group != observed.group {
                return Some(format!(
                    "{head}: predicted group {:?}, the client got {:?}",
                    predicted.group, observed.group
                ));
            }
            None
        }
        (Outcome::Failed, false) => {
            let code = predicted.code.expect("failed predictions carry a code");
            let fits = codes_for(&observed.error);
            (!fits.contains(&code)).then(|| {
                format!(
                    "{head}: predicted {code} ({}), the client's error fits {fits:?}: {}",
                    predicted.reason,
                    error_lines(&observed.error)
                )
            })
        }
        (Outcome::Ok, false) => Some(format!(
            "{head}: predicted ok ({}), the client failed: {}",
            predicted.reason,
            error_lines(&observed.error)
        )),
        (Outcome::Failed, true) => Some(format!(
            "{head}: predicted failure {:?} ({}), the client got {:?} {:?}",
            predicted.code, predicted.reason, observed.version, observed.suite
        )),
        // A complete scan of a healthy loopback server leaves nothing unknown.
        (Outcome::Unknown, _) => Some(format!(
            "{head}: predicted unknown ({}), the client {}",
            predicted.reason,
            if observed.ok { "connected" } else { "failed" }
        )),
    }
}

/// Predicts and runs the three clients; pushes every disagreement.
async fn check(
    server: &str,
    host: &str,
    port: u16,
    ca: &Path,
    failures: &mut Vec<String>,
    log: &mut Vec<String>,
) {
    let report = scan_loopback(host, port, &[ca]).await;
    for (profile, run) in [
        ("curl-7.88", curl as fn(u16, &Path) -> Observed),
        ("openssl-3.0", s_client),
        ("python-3.11", python),
    ] {
        let p = analysis::profiles::by_name(profile).expect("profile");
        let predicted = simulate::predict(&p, &report);
        let observed = run(port, ca);
        log.push(format!(
            "{server} / {profile}: predicted {} {:?} {:?} {:?} {:?}; observed ok={} {:?} {:?} {:?}",
            predicted.outcome.as_str(),
            predicted.version,
            predicted.cipher_suite,
            predicted.group,
            predicted.code,
            observed.ok,
            observed.version,
            observed.suite,
            observed.group
        ));
        // An honest abstention: the scan saw no certificate (a TLS 1.3-only
        // server on a curve rustls does not speak), so the TLS 1.3 signature
        // schemes, inferred from the leaf key, are unknown.
        let abstains = predicted.outcome == Outcome::Unknown && report.certificates.is_empty();
        if abstains {
            log.push(format!(
                "{server} / {profile}: unknown ({})",
                predicted.reason
            ));
            continue;
        }
        if let Some(m) = compare(profile, server, &predicted, &observed) {
            failures.push(m);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn predictions_match_curl_openssl_and_python_against_openssl_servers() {
    let dir = common::TempDir::new("clients-verify");
    let (rsa, rsa_key) = openssl_self_signed(&dir, "rsa", OPENSSL_RSA_2048, &[]);
    let (p384, p384_key) = openssl_self_signed(&dir, "p384", OPENSSL_P384, &[]);
    let configs: &[(&str, &[&str], bool)] = &[
        (
            "tls1.2 two suites, server order",
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
                "-serverpref",
            ],
            false,
        ),
        (
            "tls1.2 two suites, client order",
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
            ],
            false,
        ),
        (
            "tls1.3 one suite",
            &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
            false,
        ),
        (
            "tls1.0 only, SECLEVEL=0",
            &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
            false,
        ),
        (
            "tls1.0 only, RSA key exchange",
            &["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"],
            false,
        ),
        (
            "tls1.3 secp521r1 only",
            &["-tls1_3", "-groups", "secp521r1"],
            false,
        ),
        (
            "tls1.2 camellia only",
            &["-tls1_2", "-cipher", "CAMELLIA128-SHA"],
            false,
        ),
        (
            "tls1.2 P-384 only",
            &[
                "-tls1_2",
                "-groups",
                "secp384r1",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256",
                "-serverpref",
            ],
            false,
        ),
        ("ecdsa p-384 cert, defaults", &[], true),
        ("defaults", &[], false),
    ];
    let mut failures = Vec::new();
    let mut log = Vec::new();
    for (name, flags, ecdsa) in configs {
        let (c, k) = if *ecdsa {
            (&p384, &p384_key)
        } else {
            (&rsa, &rsa_key)
        };
        let mut flags = flags.to_vec();
        flags.push("-www");
        let server = common::openssl_server(c, k, &flags);
        check(name, "localhost", server.port, c, &mut failures, &mut log).await;
    }
    eprintln!("{}", log.join("\n"));
    assert!(
        failures.is_empty(),
        "{} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn predictions_match_real_clients_against_lab_servers() {
    // Not `tls10-only`: it is deliberately version-intolerant (it refuses any
    // hello whose highest version is not TLS 1.0), which a scan does not
    // measure; docs/clients.md lists that limitation.
    let names = [
        "good",
        "tls13-only",
        "expired",
        "wrong-host",
        "self-signed",
        "legacy-ciphers-only",
        "dh-1024",
    ];
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(names.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let mut failures = Vec::new();
    let mut log = Vec::new();
    for server in lab.servers() {
        check(
            server.name,
            &server.host,
            server.addr.port(),
            lab.ca_file(),
            &mut failures,
            &mut log,
        )
        .await;
    }
    eprintln!("{}", log.join("\n"));
    assert!(
        failures.is_empty(),
        "{} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
