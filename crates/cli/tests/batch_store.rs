//! `batch` against real servers (nginx, `openssl s_server`) with the store in
//! SQLite and in a real PostgreSQL (Debian's, started on loopback as an
//! unprivileged cluster by `tests/recipes/postgres.sh`):
//!
//! - killed with SIGKILL at random points and restarted with the same
//!   command, it finishes the list; the store and `--out` hold each target's
//!   result exactly once;
//! - two and four `batch --worker` processes share one PostgreSQL queue
//!   without a duplicate;
//! - a worker that stops (SIGSTOP) loses its targets when its lease expires,
//!   another worker finishes them, and the stopped one, continued, writes
//!   nothing twice.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::recipes::{start, Recipe};
use common::servers::{nginx, pki, Pki};
use common::{free_port, openssl_server, Server};
use serde_json::Value;

fn tlsdoctor() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tlsdoctor"));
    command.env("NO_COLOR", "1");
    command
}

/// The servers the list points at, and the list: `count` targets spread
/// over nginx, two s_servers and a closed port.
struct Fleet {
    pki: Pki,
    _servers: (common::servers::Running, Server, Server),
    list: std::path::PathBuf,
    /// target line → expected status
    expected: Vec<(String, &'static str)>,
}

fn fleet(tag: &str, count: usize) -> Option<Fleet> {
    let pki = pki(tag);
    let nginx = nginx(&pki, "    location / { return 200 \"ok\\n\"; }")?;
    let s1 = openssl_server(&pki.cert, &pki.key, &["-www"]);
    let s2 = openssl_server(&pki.cert, &pki.key, &["-www", "-tls1_2"]);
    let closed = free_port();
    let mut expected = Vec::new();
    let mut text = String::from("# fleet test list\n\n");
    for i in 0..count {
        let (port, status) = match i % 7 {
            0 => (closed, "failed"),
            1..=3 => (nginx.port, "ok"),
            4..=5 => (s1.port, "ok"),
            _ => (s2.port, "ok"),
        };
        // Each line its own target; the @IP form keeps DNS out of it.
        let line = format!("localhost:{port}@127.0.0.1");
        text.push_str(&format!("{line}   # target {i}\n"));
        expected.push((line, status));
    }
    let list = pki.dir.write("list.txt", &text);
    Some(Fleet {
        pki,
        _servers: (nginx, s1, s2),
        list,
        expected,
    })
}

fn batch_args(fleet: &Fleet, db: &str) -> Vec<String> {
    vec![
        "batch".into(),
        "--db".into(),
        db.into(),
        "--ca-file".into(),
        fleet.pki.ca.display().to_string(),
        "--per-host".into(),
        "8".into(),
        "--concurrency".into(),
        "6".into(),
        "--timeout".into(),
        "5".into(),
        "--no-fetch".into(),
    ]
}

/// The JSON lines of a file: seq → line, panicking on a duplicate.
fn lines(path: &Path, seen: &mut BTreeMap<i64, Value>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for line in text.lines() {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}: not a JSON line ({e}): {line}", path.display()));
        let seq = value["seq"].as_i64().expect("seq");
        if let Some(old) = seen.insert(seq, value) {
            panic!("result {seq} written twice ({}): {old}", path.display());
        }
    }
}

fn check_complete(fleet: &Fleet, seen: &BTreeMap<i64, Value>) {
    assert_eq!(
        seen.len(),
        fleet.expected.len(),
        "every target has one result"
    );
    for (seq, (line, status)) in fleet.expected.iter().enumerate() {
        let got = &seen[&(seq as i64)];
        assert_eq!(got["target"], *line, "result {seq}");
        assert_eq!(got["status"], *status, "result {seq}: {got}");
        if *status == "failed" {
            assert_eq!(got["code"], "tcp_refused", "result {seq}");
        }
    }
}

/// `report --format json` of the newest run.
fn report(db: &str) -> Value {
    let out = tlsdoctor()
        .args(["report", "--db", db, "--format", "json"])
        .output()
        .expect("tlsdoctor runs");
    assert!(
        out.status.success(),
        "report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("report JSON")
}

/// A small random generator (no dependency): the kill points differ per
/// run and the seed is printed, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn sqlite_run_killed_at_random_points_finishes_with_each_result_once() {
    let Some(fleet) = fleet("batch-sqlite", 140) else {
        return;
    };
    let db = fleet.pki.dir.path("fleet.db").display().to_string();
    let out = fleet.pki.dir.path("out.jsonl");
    let seed = std::env::var("TLSDOCTOR_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64 * 7919);
    eprintln!("kill seed {seed} (TLSDOCTOR_TEST_SEED)");
    let mut random = Lcg(seed);
    let mut killed_mid_run = 0;
    for round in 0..8 {
        let mut child = tlsdoctor()
            .args(batch_args(&fleet, &db))
            .arg(&fleet.list)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("batch starts");
        std::thread::sleep(Duration::from_millis(20 + random.below(250)));
        if child.try_wait().expect("wait").is_none() {
            killed_mid_run += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().ok();
        eprintln!("round {round}: killed");
    }
    // The same command once more, to the end.
    let status = tlsdoctor()
        .args(batch_args(&fleet, &db))
        .arg(&fleet.list)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .status()
        .expect("batch runs");
    assert!(status.success(), "the final batch: {status}");
    assert!(
        killed_mid_run >= 2,
        "the kills should land mid-run ({killed_mid_run} did)"
    );
    let mut seen = BTreeMap::new();
    lines(&out, &mut seen);
    check_complete(&fleet, &seen);
    let summary = report(&db);
    assert_eq!(summary["summary"]["results"], 140, "{summary:#}");
    assert_eq!(summary["summary"]["statuses"]["failed"], 20, "{summary:#}");
    assert!(summary["run"]["finished"].is_string(), "{summary:#}");

    // The same command after the run finished: a new run (the next
    // generation), and the report compares it with the first.
    let status = tlsdoctor()
        .args(batch_args(&fleet, &db))
        .arg(&fleet.list)
        .arg("--quiet")
        .status()
        .expect("batch runs");
    assert!(status.success());
    let summary = report(&db);
    assert!(
        summary["run"]["id"].as_str().unwrap().ends_with("-2"),
        "{summary:#}"
    );
    assert_eq!(
        summary["summary"]["changes"],
        serde_json::json!([]),
        "nothing changed"
    );

    // Stored observations judge again to the same facts.
    let out = tlsdoctor()
        .args(["rejudge", "--db", &db])
        .output()
        .expect("rejudge runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("280 results in 2 runs"), "{stderr}");
    assert!(stderr.contains("; 0 changed"), "{stderr}");
}

/// A throw-away PostgreSQL cluster on loopback and its URL.
fn postgres(fleet: &Fleet) -> Option<(Recipe, String)> {
    let recipe = start(
        "postgres",
        "pg_lsclusters",
        &[
            fleet.pki.cert.to_str().expect("utf-8"),
            fleet.pki.key.to_str().expect("utf-8"),
            "notls",
        ],
    )?;
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", recipe.port);
    Some((recipe, url))
}

fn worker(fleet: &Fleet, url: &str, out: &Path, lease: &str, extra: &[&str]) -> Child {
    tlsdoctor()
        .args(batch_args(fleet, url))
        .args(extra)
        .args(["--worker", "--lease", lease, "--quiet", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("worker starts")
}

fn enqueue(fleet: &Fleet, url: &str) {
    let out = tlsdoctor()
        .args(batch_args(fleet, url))
        .arg(&fleet.list)
        .arg("--enqueue-only")
        .output()
        .expect("batch runs");
    assert!(
        out.status.success(),
        "enqueue: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wait_all(children: Vec<Child>, limit: Duration) {
    let deadline = Instant::now() + limit;
    for mut child in children {
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    use std::io::Read;
                    pipe.read_to_string(&mut stderr).ok();
                }
                assert!(status.success(), "worker: {status}: {stderr}");
                break;
            }
            if Instant::now() > deadline {
                child.kill().ok();
                panic!("a worker did not finish in {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn postgres_workers_share_one_queue_without_duplicates() {
    let Some(fleet) = fleet("batch-pg-workers", 210) else {
        return;
    };
    let Some((_pg, url)) = postgres(&fleet) else {
        return;
    };
    for workers in [2, 4] {
        enqueue(&fleet, &url);
        let outs: Vec<_> = (0..workers)
            .map(|i| fleet.pki.dir.path(&format!("w{workers}-{i}.jsonl")))
            .collect();
        let children = outs
            .iter()
            .map(|o| worker(&fleet, &url, o, "60", &[]))
            .collect();
        wait_all(children, Duration::from_secs(120));
        let mut seen = BTreeMap::new();
        for out in &outs {
            lines(out, &mut seen);
        }
        check_complete(&fleet, &seen);
        let summary = report(&url);
        assert_eq!(summary["summary"]["results"], 210, "{summary:#}");
        assert!(summary["run"]["finished"].is_string(), "{summary:#}");
    }
    // Static shards: three processes started at once with the same list
    // share one run (the next generation) and split it.
    let outs: Vec<_> = (0..3)
        .map(|i| fleet.pki.dir.path(&format!("shard-{i}.jsonl")))
        .collect();
    let children = outs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            tlsdoctor()
                .args(batch_args(&fleet, &url))
                .arg(&fleet.list)
                .args(["--shard", &format!("{i}/3"), "--quiet", "--out"])
                .arg(out)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("shard starts")
        })
        .collect();
    wait_all(children, Duration::from_secs(120));
    let mut seen = BTreeMap::new();
    for (i, out) in outs.iter().enumerate() {
        let mut mine = BTreeMap::new();
        lines(out, &mut mine);
        assert!(
            mine.keys().all(|seq| seq % 3 == i as i64),
            "shard {i} took another's target"
        );
        for (seq, line) in mine {
            assert!(seen.insert(seq, line).is_none());
        }
    }
    check_complete(&fleet, &seen);
    let summary = report(&url);
    assert!(
        summary["run"]["id"].as_str().unwrap().ends_with("-3"),
        "{summary:#}"
    );
    assert!(summary["run"]["finished"].is_string(), "{summary:#}");
}

#[test]
fn scan_depth_stores_grades_and_reports_them() {
    let Some(fleet) = fleet("batch-scan", 7) else {
        return;
    };
    let db = fleet.pki.dir.path("scan.db").display().to_string();
    let out = tlsdoctor()
        .args(batch_args(&fleet, &db))
        .arg(&fleet.list)
        .args(["--depth", "scan"])
        .output()
        .expect("batch runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = BTreeMap::new();
    let path = fleet
        .pki
        .dir
        .write("scan.jsonl", &String::from_utf8_lossy(&out.stdout));
    lines(&path, &mut seen);
    check_complete(&fleet, &seen);
    for (seq, line) in &seen {
        if line["status"] == "ok" {
            assert!(
                line["grade"].is_string(),
                "result {seq} has no grade: {line}"
            );
            assert!(
                line["report"]["protocols"].is_object(),
                "result {seq}: a scan report"
            );
        } else {
            assert!(
                line["grade"].is_null(),
                "an unreachable target is not graded: {line}"
            );
        }
    }
    let summary = report(&db);
    let graded: u64 = summary["summary"]["grades"]
        .as_object()
        .expect("grades")
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(graded, 6, "{summary:#}");
}

#[test]
fn postgres_lease_expiry_returns_a_stopped_workers_targets() {
    let Some(fleet) = fleet("batch-pg-lease", 140) else {
        return;
    };
    let Some((_pg, url)) = postgres(&fleet) else {
        return;
    };
    enqueue(&fleet, &url);
    let out_a = fleet.pki.dir.path("a.jsonl");
    let out_b = fleet.pki.dir.path("b.jsonl");
    // A is paced (20 targets a second) so that it is stopped mid-run.
    let a = worker(&fleet, &url, &out_a, "2", &["--per-host-rate", "20"]);
    // Let A take its first targets, then stop it where it stands: alive
    // (so no one may call it dead), holding leases it cannot renew.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&out_a)
        .unwrap_or_default()
        .lines()
        .count()
        < 3
    {
        assert!(Instant::now() < deadline, "worker A wrote nothing");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = a.id().to_string();
    assert!(Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    let stopped_at = Instant::now();
    let b = worker(&fleet, &url, &out_b, "2", &[]);
    wait_all(vec![b], Duration::from_secs(120));
    assert!(
        stopped_at.elapsed() >= Duration::from_millis(1500),
        "B finished before A's leases could expire: A held none?"
    );
    // A continues: its stale work must not be written again.
    assert!(Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap()
        .success());
    wait_all(vec![a], Duration::from_secs(60));
    let mut seen = BTreeMap::new();
    lines(&out_a, &mut seen);
    lines(&out_b, &mut seen);
    check_complete(&fleet, &seen);
}
