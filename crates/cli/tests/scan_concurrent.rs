//! 64 scans at once against one busy nginx (one worker, 64 worker
//! connections, so many connections are refused or queued): every report
//! lists exactly the suites and groups that a lone scan lists, or says that
//! the list was interrupted (or the protocol is unknown). Never a silently
//! short list.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::scan::{run_scan, scan_job};
use common::{free_port, leaf, root, wait_for_port, TempDir};
use model::ScanReport;

struct Running {
    port: u16,
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_program() -> Option<PathBuf> {
    let found = [PathBuf::from("nginx"), Path::new("/usr/sbin").join("nginx")]
        .into_iter()
        .find(|path| {
            Command::new(path)
                .arg("-v")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "nginx must be installed in CI"
        );
        eprintln!("skipped: nginx is not installed");
    }
    found
}

/// nginx in the foreground (one process), TLS 1.2 only, with every suite
/// OpenSSL has for its ECDSA certificate (about twenty).
fn nginx(dir: &TempDir) -> Option<Running> {
    let program = nginx_program()?;
    let ca = root("tlsdoctor concurrency test root");
    let (cert, key) = leaf(&["localhost"], -1, 30, Some(&ca));
    let cert = dir.write("cert.pem", &cert);
    let key = dir.write("key.pem", &key);
    let port = free_port();
    let prefix = dir.0.join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).expect("nginx prefix");
    let temp = |name: &str| prefix.join(name).display().to_string();
    let conf = format!(
        "master_process off;\nworker_processes 1;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {}; proxy_temp_path {}; fastcgi_temp_path {}; uwsgi_temp_path {}; scgi_temp_path {};\n  server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name localhost;\n    ssl_certificate {};\n    ssl_certificate_key {};\n    ssl_protocols TLSv1.2;\n    ssl_ciphers ALL:@SECLEVEL=0;\n  }}\n}}\n",
        temp("body"),
        temp("proxy"),
        temp("fastcgi"),
        temp("uwsgi"),
        temp("scgi"),
        cert.display(),
        key.display(),
    );
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("write nginx.conf");
    let mut child = Command::new(&program)
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf_path)
        .arg("-g")
        .arg(format!(
            "daemon off; pid {}; error_log stderr;",
            prefix.join("nginx.pid").display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    wait_for_port(port, &mut child);
    Some(Running { port, child })
}

/// A protocol's (suites, groups) when measured completely, or why not.
type Measured = Result<(Vec<String>, Vec<String>), String>;

/// Per protocol: what was measured.
fn lists(report: &ScanReport) -> Vec<(&'static str, Measured)> {
    report
        .protocols
        .iter()
        .map(|(name, p)| {
            let measured = match (
                p.supported,
                &p.cipher_suites_interrupted,
                &p.groups_interrupted,
            ) {
                (None, ..) => Err(format!("support unknown: {}", p.evidence)),
                (_, Some(why), _) | (_, _, Some(why)) => Err(why.clone()),
                (Some(_), None, None) => {
                    let mut suites = p.cipher_suites.clone();
                    suites.sort();
                    let mut groups = p.groups.clone();
                    groups.sort();
                    Ok((suites, groups))
                }
            };
            (name, measured)
        })
        .collect()
}

// A busy nginx accepts and closes at once: the scan retries such a close
// one connection at a time, and reads one as a refusal only from a server
// that never refuses with an alert and was not seen dropping a hello it
// answers (analysis::failure::failure).
#[tokio::test(flavor = "multi_thread")]
async fn sixty_four_concurrent_scans_list_what_one_lists_or_say_why_not() {
    let dir = TempDir::new("concurrent");
    let Some(server) = nginx(&dir) else { return };
    let lone = run_scan(&scan_job("localhost", server.port, &[])).await;
    let expected = lists(&lone);
    let tls12 = lone.protocol("tls1_2").expect("tls1_2");
    assert!(
        tls12.cipher_suites.len() >= 10,
        "a lone scan lists {:?}",
        tls12.cipher_suites
    );
    assert!(
        expected.iter().all(|(_, l)| l.is_ok()),
        "a lone scan is complete: {expected:?}"
    );

    let mut scans = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let job = scan_job("localhost", server.port, &[]);
        scans.spawn(async move { run_scan(&job).await });
    }
    let (mut same, mut said) = (0, Vec::new());
    while let Some(report) = scans.join_next().await {
        let report = report.expect("scan task");
        for ((name, want), (_, got)) in expected.iter().zip(lists(&report)) {
            match got {
                Ok(got) => assert_eq!(
                    &got,
                    want.as_ref().expect("complete"),
                    "{name}: a concurrent scan lists something else without saying so: {:?} (unknown {:?}, incomplete {:?})",
                    report.protocol(name).map(|p| (p.supported, &p.evidence)),
                    report.unknown,
                    report.incomplete
                ),
                Err(why) => {
                    assert!(!why.is_empty());
                    assert!(
                        !report.unknown.is_empty() || !report.incomplete.is_empty(),
                        "{name} interrupted ({why}) but the report lists nothing as unknown"
                    );
                    said.push(format!("{name}: {why}"));
                    continue;
                }
            }
        }
        same += 1;
    }
    eprintln!(
        "64 concurrent scans: {same} reports checked, {} lists said interrupted/unknown: {said:#?}",
        said.len()
    );
}
