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

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use analysis::simulate::{self, Outcome, Prediction};
use model::{Code, ScanReport, Target};
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion};

/// What a real client did.
#[derive(Debug)]
struct Observed {
    ok: bool,
    version: Option<ProtocolVersion>,
    suite: Option<CipherSuite>,
    group: Option<NamedGroup>,
    /// The client's error text (for failures).
    error: String,
}

fn version_from(text: &str) -> Option<ProtocolVersion> {
    Some(match text.trim() {
        "TLSv1.3" => ProtocolVersion::TLS1_3,
        "TLSv1.2" => ProtocolVersion::TLS1_2,
        "TLSv1.1" => ProtocolVersion::TLS1_1,
        "TLSv1" | "TLSv1.0" => ProtocolVersion::TLS1_0,
        _ => return None,
    })
}

fn curl(port: u16, ca: &Path) -> Observed {
    let out = Command::new("curl")
        .args(["-sv", "-o", "/dev/null", "--max-time", "10", "--cacert"])
        .arg(ca)
        .arg(format!("https://localhost:{port}/"))
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    // "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384"
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("* SSL connection using "));
    let (version, suite) = match line.and_then(|l| l.split_once(" / ")) {
        Some((v, s)) => (version_from(v), CipherSuite::from_name(s.trim())),
        None => (None, None),
    };
    Observed {
        ok: out.status.success() && suite.is_some(),
        version,
        suite,
        group: None,
        error: err,
    }
}

fn s_client(port: u16, ca: &Path) -> Observed {
    // `timeout`: a server that never closes must not hold the test up.
    let out = Command::new("timeout")
        .args([
            "10",
            "openssl",
            "s_client",
            "-connect",
            &format!("localhost:{port}"),
        ])
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args(["-verify_return_error", "-CAfile"])
        .arg(ca)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim_start_matches([' ', ':']).trim().to_string())
    };
    // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" (for TLS ≤ 1.2 the
    // version there is the suite's, so "Protocol  :" wins when printed).
    let new_line = text
        .lines()
        .find_map(|l| l.strip_prefix("New, "))
        .and_then(|l| {
            let (v, c) = l.split_once(", Cipher is ")?;
            Some((v.trim().to_string(), c.trim().to_string()))
        });
    let version = field("Protocol")
        .and_then(|v| version_from(&v))
        .or_else(|| new_line.as_ref().and_then(|(v, _)| version_from(v)));
    let suite = new_line
        .map(|(_, c)| c)
        .filter(|c| c != "0000" && c != "(NONE)")
        .and_then(|c| CipherSuite::from_name(&c));
    // "Server Temp Key: X25519, 253 bits" / "ECDH, secp521r1, 521 bits"
    let group = field("Server Temp Key").and_then(|k| {
        let parts: Vec<&str> = k.split(',').map(str::trim).collect();
        match parts.as_slice() {
            ["ECDH", curve, ..] => NamedGroup::from_name(curve),
            ["DH", ..] => None,
            [name, ..] => NamedGroup::from_name(name),
            _ => None,
        }
    });
    let ok = out.status.success() && suite.is_some() && !text.contains("Cipher is (NONE)");
    Observed {
        ok,
        version: version.filter(|_| ok),
        suite: suite.filter(|_| ok),
        group: group.filter(|_| ok),
        error: text,
    }
}

fn python(port: u16, ca: &Path) -> Observed {
    let script = format!(
        "import ssl,socket\nc=ssl.create_default_context(cafile={ca:?})\ntry:\n  s=c.wrap_socket(socket.create_connection(('localhost',{port}),timeout=10),server_hostname='localhost')\n  print('OK',s.version(),s.cipher()[0])\nexcept Exception as e:\n  print('FAIL',e)\n",
        ca = ca.display().to_string()
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .expect("python3 is installed");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["OK", v, s, ..] => Observed {
            ok: true,
            version: version_from(v),
            suite: CipherSuite::from_name(s),
            group: None,
            error: String::new(),
        },
        _ => Observed {
            ok: false,
            version: None,
            suite: None,
            group: None,
            error: text,
        },
    }
}

/// The diagnosis codes a client's error text is consistent with.
fn codes_for(error: &str) -> Vec<Code> {
    let e = error.to_ascii_lowercase();
    if e.contains("dh key too small") {
        vec![Code::WeakDhGroup]
    } else if e.contains("legacy sigalg") || e.contains("no suitable signature") {
        vec![Code::SigalgMismatch]
    } else if e.contains("protocol version")
        || e.contains("unsupported protocol")
        || e.contains("no protocols available")
    {
        vec![Code::ProtocolMismatch]
    } else if e.contains("handshake failure")
        || e.contains("no shared cipher")
        || e.contains("no cipher")
    {
        vec![
            Code::CipherMismatch,
            Code::GroupMismatch,
            Code::SigalgMismatch,
        ]
    } else if e.contains("self-signed") || e.contains("self signed") {
        vec![Code::CertSelfSigned, Code::CertUntrustedRoot]
    } else if e.contains("hostname mismatch")
        || e.contains("doesn't match")
        || e.contains("no alternative certificate subject name")
    {
        vec![Code::CertHostnameMismatch]
    } else if e.contains("expired") {
        vec![Code::CertExpired]
    } else if e.contains("certificate") {
        vec![
            Code::CertUntrustedRoot,
            Code::CertChainIncomplete,
            Code::CertSelfSigned,
            Code::CertWeakKey,
            Code::CertWeakSignature,
            Code::CertNotYetValid,
        ]
    } else {
        Vec::new()
    }
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
                    observed
                        .error
                        .lines()
                        .filter(|l| l.contains("rror") || l.contains("alert") || l.contains("FAIL"))
                        .take(3)
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            })
        }
        (Outcome::Ok, false) => Some(format!(
            "{head}: predicted ok ({}), the client failed: {}",
            predicted.reason,
            observed
                .error
                .lines()
                .filter(|l| l.contains("rror") || l.contains("alert") || l.contains("FAIL"))
                .take(3)
                .collect::<Vec<_>>()
                .join(" | ")
        )),
        (Outcome::Failed, true) => Some(format!(
            "{head}: predicted failure {:?} ({}), the client got {:?} {:?}",
            predicted.code, predicted.reason, observed.version, observed.suite
        )),
    }
}

async fn scan(host: &str, port: u16, ca: &Path) -> ScanReport {
    let mut target = Target::new(host, port);
    target.connect_to = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let job = tlsdoctor::scan::Scan {
        target,
        context: analysis::scan::ScanContext {
            now: time::OffsetDateTime::now_utc(),
            trust: analysis::TrustStores {
                system: Vec::new(),
                ca_file: tlsdoctor::trust::load_certificates(ca).expect("CA file"),
            },
            client_identity: false,
        },
        probe: probe::ProbeOptions {
            timeout: Duration::from_secs(10),
            ..Default::default()
        },
    };
    tlsdoctor::scan::scan(&job).await.0
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
    let report = scan(host, port, ca).await;
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
        if let Some(m) = compare(profile, server, &predicted, &observed) {
            failures.push(m);
        }
    }
}

fn cert(dir: &common::TempDir, key: &str) -> (PathBuf, PathBuf) {
    let (cert, keyf) = (
        dir.path(&format!("{key}.crt")),
        dir.path(&format!("{key}.key")),
    );
    let newkey = match key {
        "rsa" => "rsa:2048".to_string(),
        "p384" => "ec".to_string(),
        other => other.to_string(),
    };
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req",
        "-x509",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-days",
        "2",
    ])
    .args([
        "-addext",
        "subjectAltName=DNS:localhost",
        "-newkey",
        &newkey,
    ]);
    if key == "p384" {
        cmd.args(["-pkeyopt", "ec_paramgen_curve:P-384"]);
    }
    let status = cmd
        .arg("-keyout")
        .arg(&keyf)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl req");
    assert!(status.success());
    (cert, keyf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn predictions_match_curl_openssl_and_python_against_openssl_servers() {
    let dir = common::TempDir::new("clients-verify");
    let (rsa, rsa_key) = cert(&dir, "rsa");
    let (p384, p384_key) = cert(&dir, "p384");
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
