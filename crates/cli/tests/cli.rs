//! The real `tlsdoctor` binary: exit codes, JSON on stdout, and terminal
//! output that never carries control characters from the network.

mod common;

use std::process::{Command, Output};

use common::{leaf, openssl_server, TempDir};

fn tlsdoctor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsdoctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("tlsdoctor runs")
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(tlsdoctor(&["diagnose"]).status.code(), Some(2));
    assert_eq!(
        tlsdoctor(&["diagnose", "host:notaport"]).status.code(),
        Some(2)
    );
    assert_eq!(
        tlsdoctor(&["diagnose", "localhost", "--now", "yesterday"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        tlsdoctor(&["diagnose", "localhost", "--client", "netscape"])
            .status
            .code(),
        Some(2)
    );
}

/// Runs tlsdoctor, killing it after `limit`; returns the exit code (None:
/// killed) and stderr.
fn tlsdoctor_within(args: &[&str], limit: std::time::Duration) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsdoctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tlsdoctor runs");
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (code, stderr)
}

#[test]
fn devices_fifos_and_oversized_files_are_refused_at_once() {
    let dir = TempDir::new("inputs");
    let fifo = dir.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let fifo = fifo.to_str().unwrap().to_string();
    let big = dir.path("big.pem");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(17 * 1024 * 1024)
        .unwrap();
    let big = big.to_str().unwrap().to_string();
    // Nothing listens on port 1 of loopback: no test reaches the network.
    let target = "127.0.0.1:1";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["diagnose", target, "--ca-file", "/dev/zero"],
            "not a regular file",
        ),
        (
            vec!["diagnose", target, "--ca-file", "/dev/urandom"],
            "not a regular file",
        ),
        (
            vec!["diagnose", target, "--ca-file", &fifo],
            "not a regular file",
        ),
        (
            vec!["scan", target, "--ca-file", &big],
            "over the limit of 16 MiB",
        ),
        (
            vec!["diagnose", "--replay", "/dev/zero"],
            "not a regular file",
        ),
        (
            vec![
                "diagnose",
                target,
                "--client-cert",
                "/dev/zero",
                "--client-key",
                "/dev/zero",
            ],
            "not a regular file",
        ),
        (
            vec!["compare", target, "--client-hello", "/dev/zero"],
            "not a regular file",
        ),
        (
            vec!["compare", target, "--client-hello", &fifo],
            "not a regular file",
        ),
        (
            vec!["compare", target, "--client-hello", dir.0.to_str().unwrap()],
            "directory",
        ),
    ];
    for (args, message) in cases {
        let started = std::time::Instant::now();
        let (code, stderr) = tlsdoctor_within(&args, std::time::Duration::from_secs(20));
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{args:?} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn json_report_and_exit_codes_follow_the_verdict() {
    let dir = TempDir::new("cli");
    let ca = common::root("cli test root");
    let ca_file = dir.write("ca.pem", &ca.pem());
    let (cert, key) = leaf(&["localhost"], -1, 365, Some(&ca));
    let (cert, key) = (dir.write("cert.pem", &cert), dir.write("key.pem", &key));
    let server = openssl_server(&cert, &key, &["-tls1_3"]);
    let target = format!("localhost:{}", server.port);
    let ok = tlsdoctor(&[
        "diagnose",
        &target,
        "--connect-to",
        "127.0.0.1",
        "--ca-file",
        ca_file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&ok.stdout).expect("stdout is one JSON document");
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["verdict"], "ok");
    assert_eq!(report["target"]["sni"], "localhost");
    assert_eq!(report["steps"].as_array().unwrap().len(), 8);
    assert_eq!(report["steps"][7]["step"], "application");

    // Without the CA the same server is untrusted: exit 1.
    let failed = tlsdoctor(&["diagnose", &target, "--connect-to", "127.0.0.1", "--json"]);
    assert_eq!(failed.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(report["verdict"], "failed");
    assert_eq!(report["failed_step"], "certificate");
    assert_eq!(report["diagnoses"][0]["code"], "cert_untrusted_root");
}

#[test]
fn terminal_output_strips_escape_sequences_from_certificates() {
    let dir = TempDir::new("escape");
    // A hostile certificate: its name carries a terminal escape and a newline.
    let (cert, key) = leaf(
        &["evil\u{1b}[2J\u{1b}]0;pwned\u{7}\nname.example"],
        -1,
        30,
        None,
    );
    let (cert, key) = (dir.write("cert.pem", &cert), dir.write("key.pem", &key));
    let server = openssl_server(&cert, &key, &[]);
    let out = tlsdoctor(&[
        "diagnose",
        &format!("localhost:{}", server.port),
        "--connect-to",
        "127.0.0.1",
        "--color",
        "always",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cert_self_signed"), "{text}");
    // Our own colour codes are ESC [ digits m; nothing else may appear.
    for (i, _) in text.match_indices('\u{1b}') {
        let rest = &text[i + 1..];
        let ok = rest.starts_with('[')
            && rest[1..]
                .chars()
                .take_while(|c| *c != 'm')
                .all(|c| c.is_ascii_digit() || c == ';');
        assert!(
            ok,
            "a raw escape sequence reached the terminal: {:?}",
            &text[i..(i + 12).min(text.len())]
        );
    }
    assert!(!text.contains('\u{7}'), "BEL reached the terminal");
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    let bash = tlsdoctor(&["completions", "bash"]);
    assert!(String::from_utf8_lossy(&bash.stdout).contains("diagnose"));
    let man = tlsdoctor(&["man"]);
    assert!(String::from_utf8_lossy(&man.stdout).contains(".TH tlsdoctor"));
}
