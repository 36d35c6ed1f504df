//! Ctrl-C (SIGINT) ends every command cleanly: "interrupted" on stderr,
//! exit 130, and the temporary directories that `lab` and `demo` create
//! (they hold private keys) are gone afterwards.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tlsdoctor"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tlsdoctor runs")
}

/// Sends SIGINT (as Ctrl-C does) and waits at most 10 s for the exit;
/// returns the exit code and stderr.
fn interrupt(mut child: Child) -> (Option<i32>, String) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 10 s after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (code, stderr)
}

/// The lab directories of process `pid` in the temp dir.
fn lab_dirs(pid: u32) -> Vec<PathBuf> {
    let prefix = format!("tlsdoctor-lab-{pid}-");
    std::fs::read_dir(std::env::temp_dir())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ctrl_c_stops_the_lab_and_removes_its_keys() {
    let mut child = start(&["lab", "--only", "good", "--json"]);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("the lab description");
    let lab: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let dir = PathBuf::from(lab["ca_file"].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    assert!(dir.is_dir());
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn ctrl_c_during_demo_removes_the_lab_directory() {
    let child = start(&["demo", "--only", "good,expired,silent", "--timeout", "5"]);
    let started = Instant::now();
    let dirs = loop {
        let dirs = lab_dirs(child.id());
        if !dirs.is_empty() {
            break dirs;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no lab directory"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Let the lab start its servers and the diagnoses begin.
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id();
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    for dir in dirs {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
    assert!(lab_dirs(pid).is_empty());
}

#[test]
fn ctrl_c_ends_a_diagnosis_waiting_on_a_silent_server() {
    // Accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let target = format!("127.0.0.1:{port}");
    let child = start(&["diagnose", &target, "--timeout", "60"]);
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let (code, stderr) = interrupt(child);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(silent);
}
