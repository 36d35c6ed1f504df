//! `compare` against real clients: each client (curl, `openssl s_client`
//! with explicit `-tls1_x` / `-cipher` / `-ciphersuites` / `-groups`, Python's
//! `ssl`) first connects to an in-process `listen`, which records its hello;
//! that record is written to a file (hex of the handshake message, or a
//! `--json-log` line) and read back the way `compare --client-hello` reads
//! it. Then, for each differently configured `openssl s_server` (and a lab
//! server), the prediction of `compare` for that hello must equal what the
//! real client did against the server: connects with the same version and
//! suite (and, for s_client, group), or fails in a way that fits the code.
//!
//! Every client runs under `timeout 10`, verifying against the server's
//! certificate (s_client with `-verify_return_error`), like `--ca-file`.
//! Loopback only.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::clients::{
    codes_for_client_error, curl_args, error_lines, observe_curl, observe_python, observe_s_client,
    python_script, s_client_args, Observed,
};
use common::scan::scan_job;
use common::{openssl_self_signed, OPENSSL_RSA_2048};
use model::{ClientHelloRecord, Code, Compatibility};
use tlsdoctor::compare::{self, Server};
use tlsdoctor::listen::{ListenConfig, Listener};
use wire::registry::ProtocolVersion;

/// The probe timeout of the scans `compare` judges against (shorter than
/// the shared scan's 10 s).
const SCAN_TIMEOUT: Duration = Duration::from_secs(3);

/// A real client and what it is told to offer.
#[derive(Clone, Copy)]
enum Client {
    Curl,
    Python,
    Openssl(&'static [&'static str]),
}

const CLIENTS: &[(&str, Client)] = &[
    ("curl", Client::Curl),
    ("python", Client::Python),
    ("s_client defaults", Client::Openssl(&[])),
    (
        "s_client -tls1_2 ECDHE-RSA-AES128-GCM-SHA256",
        Client::Openssl(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]),
    ),
    (
        "s_client -tls1_3 CHACHA20",
        Client::Openssl(&["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]),
    ),
    (
        "s_client -groups X25519",
        Client::Openssl(&["-groups", "X25519"]),
    ),
    (
        "s_client -tls1_2 AES256-SHA",
        Client::Openssl(&["-tls1_2", "-cipher", "AES256-SHA"]),
    ),
    (
        "s_client -tls1 SECLEVEL=0",
        Client::Openssl(&["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
    ),
];

fn command(client: Client, port: u16, ca: &Path) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.arg("10");
    match client {
        Client::Curl => {
            cmd.arg("curl").args(curl_args(port, ca));
        }
        Client::Python => {
            cmd.args(["python3", "-c", &python_script(port, ca)]);
        }
        Client::Openssl(args) => {
            cmd.arg("openssl").args(s_client_args(port, ca)).args(args);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn run(cmd: Command) -> Output {
    let mut cmd = cmd;
    tokio::task::spawn_blocking(move || cmd.output().expect("client runs"))
        .await
        .expect("client thread")
}

fn observe(client: Client, out: &Output) -> Observed {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    match client {
        Client::Curl => observe_curl(out.status.success(), stderr),
        Client::Python => {
            let observed = observe_python(&stdout);
            if observed.ok {
                observed
            } else {
                Observed {
                    error: format!("{stdout}\n{stderr}"),
                    ..observed
                }
            }
        }
        Client::Openssl(_) => observe_s_client(out.status.success(), format!("{stdout}\n{stderr}")),
    }
}

/// The diagnosis codes a client's error text is consistent with. Two
/// servers' habits widen it: an OpenSSL 3 server answers a TLS 1.0 hello with
/// `internal_error` when TLS 1.0 is in its version range but unusable at its
/// security level (no SHA-1 signatures), and rustls (the lab) answers a hello
/// with no common version with `handshake_failure`.
fn codes_for(error: &str, rustls: bool) -> Vec<Code> {
    let e = error.to_ascii_lowercase();
    if e.contains("alert internal error") {
        vec![Code::ProtocolMismatch]
    } else if e.contains("handshake failure") && rustls {
        vec![
            Code::ProtocolMismatch,
            Code::CipherMismatch,
            Code::GroupMismatch,
            Code::SigalgMismatch,
        ]
    } else {
        codes_for_client_error(
            error,
            &[
                Code::CertUntrustedRoot,
                Code::CertChainIncomplete,
                Code::CertSelfSigned,
            ],
        )
    }
}

/// `None` when the prediction fits what the client did.
fn disagreement(
    head: &str,
    predicted: &Compatibility,
    observed: &Observed,
    rustls: bool,
) -> Option<String> {
    let name = |v: Option<ProtocolVersion>| v.and_then(|v| v.name()).map(str::to_string);
    match (predicted.is_ok(), observed.ok) {
        (true, true) => {
            let got_version = name(observed.version);
            let got_suite = observed.suite.map(|s| s.name());
            if predicted.version != got_version || predicted.cipher_suite != got_suite {
                return Some(format!(
                    "{head}: predicted {:?} {:?}, the client got {got_version:?} {got_suite:?}",
                    predicted.version, predicted.cipher_suite
                ));
            }
            let got_group = observed.group.map(|g| g.name());
            (got_group.is_some() && predicted.group != got_group).then(|| {
                format!(
                    "{head}: predicted group {:?}, the client got {got_group:?}",
                    predicted.group
                )
            })
        }
        (false, false) => {
            let code = predicted.code.expect("a failed prediction has a code");
            let fits = codes_for(&observed.error, rustls);
            (!fits.contains(&code)).then(|| {
                format!(
                    "{head}: predicted {code} ({}), the client's error fits {fits:?}: {}",
                    predicted.summary,
                    error_lines(&observed.error)
                )
            })
        }
        (true, false) => Some(format!(
            "{head}: predicted ok ({}), the client failed: {}",
            predicted.summary,
            error_lines(&observed.error)
        )),
        (false, true) => Some(format!(
            "{head}: predicted {:?} ({}), the client got {:?} {:?}",
            predicted.code, predicted.summary, observed.version, observed.suite
        )),
    }
}

async fn start_listener(against: Option<Arc<Server>>) -> Listener {
    Listener::start(ListenConfig {
        hello_timeout: Duration::from_secs(5),
        handshake_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        against,
        ..ListenConfig::default()
    })
    .await
    .expect("listener starts")
}

async fn next(listener: &mut Listener) -> ClientHelloRecord {
    tokio::time::timeout(Duration::from_secs(30), listener.next_record())
        .await
        .expect("a record within 30 s")
        .expect("listener running")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Records every client's hello with `listen` and writes it to a file,
/// alternately as hex and as a `--json-log` line. Returns the files.
async fn record_hellos(dir: &common::TempDir, ca: &Path) -> Vec<PathBuf> {
    let mut listener = start_listener(None).await;
    let port = listener.local_addr().port();
    let mut files = Vec::new();
    for (i, (name, client)) in CLIENTS.iter().enumerate() {
        let _ = run(command(*client, port, ca)).await;
        let record = next(&mut listener).await;
        let hello = record
            .hello
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no hello recorded: {record:?}"));
        let path = if i % 2 == 0 {
            dir.write(&format!("client{i}.hex"), &format!("{}\n", hex(hello)))
        } else {
            let line = serde_json::to_string(&record).expect("record serializes");
            dir.write(&format!("client{i}.jsonl"), &format!("{line}\n"))
        };
        files.push(path);
    }
    listener.shutdown().await;
    files
}

/// Judges every recorded client against one server and runs it there.
async fn check(
    server_name: &str,
    port: u16,
    ca: &Path,
    hellos: &[PathBuf],
    failures: &mut Vec<String>,
    log: &mut Vec<String>,
) {
    let mut job = scan_job("localhost", port, &[ca]);
    job.probe.timeout = SCAN_TIMEOUT;
    let server = compare::scan_server(&job)
        .await
        .unwrap_or_else(|e| panic!("{server_name}: {e:#}"));
    for ((client_name, client), file) in CLIENTS.iter().zip(hellos) {
        let captured = compare::read_client_hello_file(file, None)
            .unwrap_or_else(|e| panic!("{}: {e:#}", file.display()));
        let predicted = compare::judge(&captured.profile(), &server);
        let out = run(command(*client, port, ca)).await;
        let observed = observe(*client, &out);
        log.push(format!(
            "{server_name} / {client_name}: predicted {} {:?} {:?} {:?} {:?}; observed ok={} {:?} {:?} {:?}",
            predicted.outcome,
            predicted.version,
            predicted.cipher_suite,
            predicted.group,
            predicted.code,
            observed.ok,
            observed.version,
            observed.suite,
            observed.group
        ));
        if !predicted.is_ok() {
            assert!(
                !predicted.fix.is_empty(),
                "{server_name} / {client_name}: a failure carries a fix: {predicted:?}"
            );
        }
        if let Some(m) = disagreement(
            &format!("{server_name} / {client_name}"),
            &predicted,
            &observed,
            server_name.starts_with("lab "),
        ) {
            failures.push(m);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn compare_predicts_what_real_clients_do() {
    let dir = common::TempDir::new("compare-clients");
    let (rsa, rsa_key) = openssl_self_signed(&dir, "rsa", OPENSSL_RSA_2048, &[]);
    let hellos = record_hellos(&dir, &rsa).await;

    let servers: &[(&str, &[&str])] = &[
        ("defaults", &[]),
        (
            "tls1.2 AES-256-GCM then AES-128-GCM, server order",
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
                "-serverpref",
            ],
        ),
        (
            "tls1.3 only, AES-256-GCM",
            &["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
        ),
        (
            "tls1.2 RSA key exchange, CBC only",
            &["-tls1_2", "-cipher", "AES128-SHA:AES256-SHA"],
        ),
        ("P-384 only", &["-groups", "secp384r1"]),
        (
            "tls1.2 ChaCha20 only",
            &["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"],
        ),
    ];
    let mut failures = Vec::new();
    let mut log = Vec::new();
    for (name, flags) in servers {
        let mut flags = flags.to_vec();
        flags.push("-www");
        let server = common::openssl_server(&rsa, &rsa_key, &flags);
        check(name, server.port, &rsa, &hellos, &mut failures, &mut log).await;
    }

    // A lab server whose certificate has expired: the failure is after
    // negotiation, in the client's certificate check.
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(vec!["expired".into()]),
        ..Default::default()
    })
    .await
    .expect("lab starts");
    for server in lab.servers() {
        check(
            &format!("lab {}", server.name),
            server.addr.port(),
            lab.ca_file(),
            &hellos,
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
    // The matrix covers success and several kinds of failure.
    for code in [
        "protocol_mismatch",
        "cipher_mismatch",
        "group_mismatch",
        "cert_expired",
    ] {
        assert!(
            log.iter()
                .any(|l| l.contains(&format!("Some({})", camel(code)))),
            "no client was predicted to fail with {code}:\n{}",
            log.join("\n")
        );
    }
    assert!(log.iter().any(|l| l.contains("predicted ok")));
}

/// `protocol_mismatch` → `ProtocolMismatch` (the Debug form in the log).
fn camel(code: &str) -> String {
    code.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn tlsdoctor(args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("60")
        .arg(env!("CARGO_BIN_EXE_tlsdoctor"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("tlsdoctor runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_compare_command_reads_hex_logs_and_pcaps() {
    let dir = common::TempDir::new("compare-command");
    let (rsa, rsa_key) = openssl_self_signed(&dir, "rsa", OPENSSL_RSA_2048, &[]);
    let tls12 = common::openssl_server(&rsa, &rsa_key, &["-tls1_2", "-www"]);
    let target = format!("localhost:{}", tls12.port);
    let ca = rsa.display().to_string();

    // A TLS 1.3-only s_client, recorded by listen: hex and log forms.
    let mut listener = start_listener(None).await;
    let port = listener.local_addr().port();
    let _ = run(command(Client::Openssl(&["-tls1_3"]), port, &rsa)).await;
    let record = next(&mut listener).await;
    let _ = run(command(Client::Openssl(&["-tls1_2"]), port, &rsa)).await;
    let record12 = next(&mut listener).await;
    listener.shutdown().await;
    let hex_file = dir.write(
        "tls13.hex",
        &format!("{}\n", hex(record.hello.as_ref().unwrap())),
    );
    let log_file = dir.write(
        "clients.jsonl",
        &format!(
            "{}\n{}\n",
            serde_json::to_string(&record).unwrap(),
            serde_json::to_string(&record12).unwrap()
        ),
    );
    let common_args = ["--connect-to", "127.0.0.1", "--ca-file", &ca, "--json"];

    let hex_path = hex_file.display().to_string();
    let mut args = vec!["compare", "--client-hello", &hex_path, &target];
    args.extend(common_args);
    let out = tlsdoctor(&args);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["outcome"], "failed", "{json}");
    assert_eq!(json["code"], "protocol_mismatch", "{json}");
    assert_eq!(json["missing"]["what"], "versions", "{json}");
    assert_eq!(json["missing"]["client"], serde_json::json!(["tls1_3"]));
    assert_eq!(json["missing"]["server"], serde_json::json!(["tls1_2"]));
    assert!(
        json["fix"].as_array().is_some_and(|f| f
            .iter()
            .any(|l| l.as_str().is_some_and(|l| l.starts_with("Server:")))),
        "{json}"
    );

    // The second record of the log (--stream 1) is the TLS 1.2 client.
    let log_path = log_file.display().to_string();
    let mut args = vec![
        "compare",
        "--client-hello",
        &log_path,
        "--stream",
        "1",
        &target,
    ];
    args.extend(common_args);
    let out = tlsdoctor(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["outcome"], "ok", "{json}");
    assert_eq!(json["version"], "tls1_2", "{json}");
    assert!(json["cipher_suite"].as_str().is_some(), "{json}");

    // A profile, in the terminal.
    let out = tlsdoctor(&[
        "compare",
        "--client",
        "tls12-only",
        &target,
        "--connect-to",
        "127.0.0.1",
        "--ca-file",
        &ca,
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("would connect"), "{text}");

    // A pcap (a browser's hello captured elsewhere).
    let pcap = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ja4/tls12.pcap"
    ));
    if pcap.is_file() {
        let pcap_path = pcap.display().to_string();
        let mut args = vec!["compare", "--client-hello", &pcap_path, &target];
        args.extend(common_args);
        let out = tlsdoctor(&args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(
            json["client"].as_str().unwrap().contains("pcap stream 0"),
            "{json}"
        );
        assert!(json["outcome"] == "ok" || json["outcome"] == "failed");
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing",
            pcap.display()
        );
    }

    // Usage errors exit 2.
    let out = tlsdoctor(&["compare", &target]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let garbage = dir.write("garbage.hex", "not a hello");
    let out = tlsdoctor(&[
        "compare",
        "--client-hello",
        &garbage.display().to_string(),
        &target,
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn listen_against_explains_why_a_tls13_only_client_cannot_connect() {
    let dir = common::TempDir::new("listen-against");
    let (rsa, rsa_key) = openssl_self_signed(&dir, "rsa", OPENSSL_RSA_2048, &[]);
    let tls12 = common::openssl_server(&rsa, &rsa_key, &["-tls1_2", "-www"]);
    let mut job = scan_job("localhost", tls12.port, &[&rsa]);
    job.probe.timeout = SCAN_TIMEOUT;
    let server = compare::scan_server(&job).await.expect("scan");
    let mut listener = start_listener(Some(Arc::new(server))).await;
    let port = listener.local_addr().port();

    let _ = run(command(Client::Openssl(&["-tls1_3"]), port, &rsa)).await;
    let record = next(&mut listener).await;
    let against = record.against.as_ref().expect("an against verdict");
    assert_eq!(against.code, Some(Code::ProtocolMismatch), "{against:?}");
    assert_eq!(against.server, format!("localhost:{}", tls12.port));
    let missing = against.missing.as_ref().expect("the missing overlap");
    assert_eq!(
        (
            missing.what.as_str(),
            &missing.client[..],
            &missing.server[..]
        ),
        (
            "versions",
            &["tls1_3".to_string()][..],
            &["tls1_2".to_string()][..]
        )
    );
    assert!(against.fix.iter().any(|l| l.starts_with("Server:")));
    assert!(against.fix.iter().any(|l| l.starts_with("Client:")));
    // The JSON record carries it; the terminal summary says it.
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["against"]["code"], "protocol_mismatch");
    let text =
        tlsdoctor::listen::page::terminal(&record, tlsdoctor::render::Style { color: false });
    assert!(
        text.contains("would not connect") && text.contains("protocol_mismatch"),
        "{text}"
    );
    assert!(tlsdoctor::listen::page::html(&record).contains("id=\"against\""));

    // A client that can connect gets `ok` with what it would negotiate.
    let _ = run(command(Client::Curl, port, &rsa)).await;
    let record = next(&mut listener).await;
    let against = record.against.as_ref().expect("an against verdict");
    assert!(against.is_ok(), "{against:?}");
    assert_eq!(against.version.as_deref(), Some("tls1_2"));
    listener.shutdown().await;
}
