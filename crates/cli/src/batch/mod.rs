//! `batch`, `report` and `rejudge`: a fleet of endpoints through the one
//! engine, with the store ([`store`]) as queue, record and coordinator.
//!
//! `batch LIST` turns the list into a run (the same list and depth resume
//! the newest unfinished run: a run killed at any point is finished by the
//! same command, each result stored once), then works on it; `batch
//! --worker` processes on other machines work on every unfinished run of a
//! PostgreSQL store. Results go to the store with their raw observations,
//! so `rejudge` can apply newer rules, and as JSON lines to stdout/`--out`.

pub mod store;
pub mod targets;
mod worker;

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use analysis::fleet::{self, Status, TargetFacts};
use anyhow::{bail, Context as _, Result};
use sha2::{Digest, Sha256};

use crate::args::{BatchArgs, Depth, RejudgeArgs, ReportArgs, ReportFormat};
use crate::render::Style;
use store::{Counts, Run, Store};

/// Stored with each judgement: results judged by older rules can be found
/// and judged again (`rejudge`).
pub const JUDGED_WITH: &str = concat!("tlsdoctor ", env!("CARGO_PKG_VERSION"));

/// The most targets one list may hold (a bound on what is read into
/// memory; split larger inventories into several runs).
const MAX_TARGETS: usize = 5_000_000;

/// One result as a JSON line: the fleet facts, then the whole report.
pub fn result_line(
    run_id: &str,
    seq: i64,
    spec: &str,
    facts: &TargetFacts,
    report: &str,
) -> String {
    /// The fields before the report, in this order.
    #[derive(serde::Serialize)]
    struct Head<'a> {
        run: &'a str,
        seq: i64,
        target: &'a str,
        status: Option<&'static str>,
        code: Option<&'a str>,
        grade: Option<&'a str>,
        not_after: Option<String>,
    }
    let head = serde_json::to_string(&Head {
        run: run_id,
        seq,
        target: spec,
        status: facts.status.map(|s| s.as_str()),
        code: facts.code.as_deref(),
        grade: facts.grade.as_deref(),
        not_after: facts.not_after.and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
    })
    .unwrap_or_else(|_| "{}".into());
    // The stored report is JSON we wrote; splice it in without re-parsing.
    let report = if report.trim_start().starts_with('{') {
        report
    } else {
        "null"
    };
    format!("{},\"report\":{}}}", &head[..head.len() - 1], report)
}

/// Where result lines go: standard output (unless `--quiet`) and `--out`.
pub struct Output {
    stdout: bool,
    file: Option<std::io::BufWriter<std::fs::File>>,
    last_flush: Instant,
}

impl Output {
    fn write(&mut self, line: &str) -> Result<()> {
        if self.stdout {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}")?;
        }
        if let Some(file) = &mut self.file {
            writeln!(file, "{line}")?;
            if self.last_flush.elapsed() > Duration::from_secs(1) {
                file.flush()?;
                self.last_flush = Instant::now();
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(file) = &mut self.file {
            file.flush()?;
        }
        Ok(())
    }
}

/// Progress on stderr: a bar on a terminal, a plain line every ten
/// seconds otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    done: AtomicU64,
    failed: AtomicU64,
    total: AtomicU64,
    started: Instant,
    session_done: AtomicU64,
    last_line: Mutex<Instant>,
    label: String,
}

impl Progress {
    fn new(label: String, counts: Counts, quiet_terminal: bool) -> Progress {
        let bar = (std::io::stderr().is_terminal() && !quiet_terminal).then(|| {
            let bar = indicatif::ProgressBar::new(counts.total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} {msg} {per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(label.clone());
            bar.set_position(counts.done as u64);
            bar
        });
        Progress {
            bar,
            done: AtomicU64::new(counts.done as u64),
            failed: AtomicU64::new(0),
            total: AtomicU64::new(counts.total as u64),
            started: Instant::now(),
            session_done: AtomicU64::new(0),
            last_line: Mutex::new(Instant::now()),
            label,
        }
    }

    fn set(&self, counts: Counts) {
        self.done.store(counts.done as u64, Ordering::Relaxed);
        self.total.store(counts.total as u64, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_length(counts.total as u64);
            bar.set_position(counts.done as u64);
        }
    }

    fn finished(&self, status: Option<Status>) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.session_done.fetch_add(1, Ordering::Relaxed);
        if status == Some(Status::Failed) {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{} failed", self.failed.load(Ordering::Relaxed)));
            return;
        }
        let mut last = self.last_line.lock().expect("progress");
        if last.elapsed() >= Duration::from_secs(10) {
            *last = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    fn line(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        let rate = self.session_done.load(Ordering::Relaxed) as f64
            / self.started.elapsed().as_secs_f64().max(0.001);
        let eta = if rate > 0.0 {
            format!(", ETA {:.0} s", total.saturating_sub(done) as f64 / rate)
        } else {
            String::new()
        };
        format!(
            "{}: {done}/{total} done, {} failed, {rate:.1}/s{eta}",
            self.label,
            self.failed.load(Ordering::Relaxed)
        )
    }

    fn end(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{}", self.line());
    }
}

/// The list, read and checked: (targets, refused lines with why).
fn read_list(source: &str) -> Result<(Vec<String>, Vec<String>)> {
    let reader: Box<dyn BufRead> = if source == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(source).with_context(|| format!("cannot read {source}"))?;
        Box::new(std::io::BufReader::new(file))
    };
    let mut specs = Vec::new();
    let mut refused = Vec::new();
    for (number, line) in reader.split(b'\n').enumerate() {
        let line = line.with_context(|| format!("cannot read {source}"))?;
        let line = String::from_utf8_lossy(&line);
        match targets::parse_line(&line) {
            None => {}
            Some(Ok(spec)) => specs.push(spec),
            Some(Err(why)) => refused.push(format!(
                "line {}: {}: {why}",
                number + 1,
                crate::render::clean(&line.chars().take(80).collect::<String>())
            )),
        }
        if specs.len() > MAX_TARGETS {
            bail!("{source} has more than {MAX_TARGETS} targets: split it into several runs");
        }
    }
    Ok((specs, refused))
}

/// The options that shape a result; part of the run's key, so another
/// depth or trust store starts another run.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunOptions {
    depth: String,
    timeout: f64,
    deadline: f64,
    ca_file: Option<String>,
    resolver: Option<String>,
    no_fetch: bool,
}

fn run_key(options: &str, specs: &[String]) -> String {
    let mut hash = Sha256::new();
    hash.update(options.as_bytes());
    for spec in specs {
        hash.update(b"\n");
        hash.update(spec.as_bytes());
    }
    hex::encode(hash.finalize())
}

fn settings(args: &BatchArgs) -> Result<worker::Settings> {
    let ca_file = match &args.ca_file {
        Some(path) => crate::trust::load_certificates(path)?,
        None => Vec::new(),
    };
    if !(args.per_host_rate >= 0.0 && args.per_host_rate.is_finite()) {
        bail!("--per-host-rate must be 0 (no limit) or a positive number of targets per second");
    }
    Ok(worker::Settings {
        depth: args.depth,
        probe: probe::ProbeOptions {
            timeout: crate::args::timeout(args.timeout)?,
            resolver: args.resolver,
            ..Default::default()
        },
        deadline: Some(crate::args::timeout(args.deadline)?),
        trust: analysis::TrustStores {
            system: crate::trust::system_roots(),
            ca_file,
        },
        fetch: !args.no_fetch,
        concurrency: args.concurrency as usize,
        per_host: args.per_host as usize,
        per_host_gap: if args.per_host_rate > 0.0 {
            Duration::from_secs_f64(1.0 / args.per_host_rate)
        } else {
            Duration::ZERO
        },
        lease: Duration::from_secs_f64(args.lease.clamp(2.0, 86_400.0)),
        shard: args.shard,
    })
}

/// `batch`.
pub async fn batch(args: BatchArgs) -> Result<ExitCode> {
    let store = Store::open(&args.db, args.concurrency.min(16)).await?;
    let owner = worker::owner_id();
    let released = store
        .release_dead(|o| worker::is_dead_local(o, &owner))
        .await?;
    if released > 0 {
        eprintln!(
            "batch: {released} targets of a stopped process on this machine are back in the queue"
        );
    }
    let settings = Arc::new(settings(&args)?);
    if args.worker {
        return work_everything(&store, settings, &owner, &args).await;
    }
    let source = args.targets.as_deref().unwrap_or("-");
    let (specs, refused) = read_list(source)?;
    for line in &refused {
        eprintln!("batch: skipped {line}");
    }
    if specs.is_empty() {
        bail!("{source} names no target (one HOST[:PORT], URL or HOST:PORT@IP per line)");
    }
    let options = serde_json::to_string(&RunOptions {
        depth: args.depth.as_str().to_string(),
        timeout: args.timeout,
        deadline: args.deadline,
        ca_file: args.ca_file.as_ref().map(|p| p.display().to_string()),
        resolver: args.resolver.map(|r| r.to_string()),
        no_fetch: args.no_fetch,
    })?;
    let key = run_key(&options, &specs);
    let (run, resumed) = store
        .run_for(&key, args.depth.as_str(), &options, specs.len() as i64)
        .await?;
    store.add_targets(&run, &specs).await?;
    drop(specs);
    let counts = store.counts(&run.id, args.shard).await?;
    if resumed {
        eprintln!(
            "batch: resuming run {}: {} of {} targets already have a result",
            run.id, counts.done, counts.total
        );
    } else {
        eprintln!("batch: run {} with {} targets", run.id, counts.total);
    }
    if args.enqueue_only {
        eprintln!("batch: queued; `tlsdoctor batch --worker --db ...` processes work on it");
        return Ok(ExitCode::SUCCESS);
    }
    let mut output = open_output(&args, &store, &run, resumed).await?;
    let progress = Progress::new(format!("run {}", run.id), counts, args.quiet);
    worker::work(&store, &run, settings, &owner, &mut output, &progress).await?;
    output.flush()?;
    progress.end();
    store.close().await;
    Ok(if refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `batch --worker`: every unfinished run, oldest first, until none is left.
async fn work_everything(
    store: &Store,
    settings: Arc<worker::Settings>,
    owner: &str,
    args: &BatchArgs,
) -> Result<ExitCode> {
    let mut output = Output {
        stdout: !args.quiet,
        file: match &args.out {
            Some(path) => Some(std::io::BufWriter::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            )),
            None => None,
        },
        last_flush: Instant::now(),
    };
    loop {
        let runs = store.unfinished_runs().await?;
        let Some(run) = runs.into_iter().next() else {
            eprintln!("batch: no unfinished run left in the store");
            return Ok(ExitCode::SUCCESS);
        };
        let counts = store.counts(&run.id, args.shard).await?;
        let progress = Progress::new(format!("run {}", run.id), counts, args.quiet);
        worker::work(store, &run, settings.clone(), owner, &mut output, &progress).await?;
        output.flush()?;
        progress.end();
        // With a shard, this worker's part may be done while the run is
        // not: do not spin on it.
        if args.shard.is_some() && !store.finish_if_done(&run.id).await? {
            return Ok(ExitCode::SUCCESS);
        }
    }
}

/// `--out`: a resumed run's file is rewritten from the store (so it holds
/// every stored result once, whatever the kill cut off); then appended to.
async fn open_output(args: &BatchArgs, store: &Store, run: &Run, resumed: bool) -> Result<Output> {
    let file = match &args.out {
        None => None,
        Some(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
            if resumed {
                for line in store.result_lines(&run.id, args.shard).await? {
                    writeln!(file, "{line}")?;
                }
                file.flush()?;
            }
            Some(file)
        }
    };
    Ok(Output {
        stdout: !args.quiet,
        file,
        last_flush: Instant::now(),
    })
}

/// `report`.
pub async fn report(args: ReportArgs, style: Style) -> Result<ExitCode> {
    let store = open_existing(&args.db).await?;
    let run = match &args.run {
        Some(id) => store
            .run(id)
            .await?
            .with_context(|| format!("no run {id:?} in {}", store::redact(&args.db)))?,
        None => store
            .newest_run()
            .await?
            .with_context(|| format!("{} holds no run yet", store::redact(&args.db)))?,
    };
    let previous = store.previous_run(&run).await?;
    let rows = store.result_rows(&run.id).await?;
    let previous_rows = match &previous {
        Some(p) => Some(store.result_rows(&p.id).await?),
        None => None,
    };
    let now = time::OffsetDateTime::now_utc();
    let summary = fleet::summarize(
        &rows,
        run.targets_total as usize,
        previous_rows.as_deref(),
        now,
        args.expiring,
    );
    let info = run.info(previous.map(|p| p.id));
    let text = match args.format {
        ReportFormat::Table => crate::render::fleet::table(&info, &summary, now, style),
        ReportFormat::Json => crate::render::fleet::json(&info, &summary),
        ReportFormat::Csv => crate::render::fleet::csv(&rows, now),
        ReportFormat::Html => crate::render::fleet::html(&info, &summary, &rows, now),
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `rejudge`: every stored result judged again from its observations with
/// this version's rules, as of the time it was observed.
pub async fn rejudge(args: RejudgeArgs) -> Result<ExitCode> {
    let store = open_existing(&args.db).await?;
    let runs = match &args.run {
        Some(id) => vec![store
            .run(id)
            .await?
            .with_context(|| format!("no run {id:?} in {}", store::redact(&args.db)))?],
        None => store.all_runs().await?,
    };
    let system = crate::trust::system_roots();
    let given = match &args.ca_file {
        Some(path) => Some(crate::trust::load_certificates(path)?),
        None => None,
    };
    let (mut judged, mut changed, mut unreadable) = (0u64, 0u64, 0u64);
    for run in &runs {
        let options: Option<RunOptions> = serde_json::from_str(&run.options).ok();
        let fetch = !options.as_ref().is_some_and(|o| o.no_fetch);
        // The run's own --ca-file, unless one is given now.
        let ca_file = match (&given, options.as_ref().and_then(|o| o.ca_file.as_ref())) {
            (Some(certs), _) => certs.clone(),
            (None, Some(path)) => crate::trust::load_certificates(std::path::Path::new(path))
                .with_context(|| {
                    format!(
                        "run {} was made with --ca-file {path}; give it again with --ca-file",
                        run.id
                    )
                })?,
            (None, None) => Vec::new(),
        };
        let trust = analysis::TrustStores {
            system: system.clone(),
            ca_file,
        };
        for stored in store.observations(&run.id).await? {
            let Ok(obs) = serde_json::from_str::<model::Observations>(&stored.observations) else {
                unreadable += 1;
                continue;
            };
            let now = store::from_ms(stored.finished_ms);
            let (facts, report) = if run.depth == Depth::Scan.as_str() {
                let context = analysis::scan::ScanContext {
                    now,
                    trust: trust.clone(),
                    client_identity: false,
                };
                let report = crate::scan::judge(&obs, &context);
                (
                    fleet::scan_facts(&report, &obs),
                    serde_json::to_string(&report)?,
                )
            } else {
                let context = analysis::Context {
                    now,
                    now_overridden: true,
                    client: analysis::profiles::default_profile(),
                    trust: trust.clone(),
                    client_identity: false,
                    fetch_issuers: fetch,
                };
                let report = analysis::judge(&obs, &context);
                (
                    fleet::diagnosis_facts(&report, &obs),
                    serde_json::to_string(&report)?,
                )
            };
            if stored.facts != facts {
                changed += 1;
            }
            store
                .update_judgement(&run.id, stored.seq, &facts, &report)
                .await?;
            judged += 1;
        }
    }
    eprintln!(
        "rejudge: {judged} results in {} runs judged with {JUDGED_WITH}; {changed} changed status, code, grade or expiry{}",
        runs.len(),
        if unreadable > 0 {
            format!("; {unreadable} had no readable observations")
        } else {
            String::new()
        }
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A store that must already exist (`report`, `rejudge`): a typo in a path
/// should not create an empty store and report nothing.
async fn open_existing(db: &str) -> Result<Store> {
    let is_url = db.starts_with("postgres://") || db.starts_with("postgresql://");
    if !is_url && !std::path::Path::new(db.strip_prefix("sqlite://").unwrap_or(db)).exists() {
        bail!("{db} does not exist (run `tlsdoctor batch LIST --db {db}` first)");
    }
    Store::open(db, 2).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_are_json_with_the_report_inside() {
        let facts = TargetFacts {
            status: Some(Status::Failed),
            code: Some("tcp_refused".into()),
            ..Default::default()
        };
        let line = result_line(
            "abc-1",
            7,
            "example.com:443",
            &facts,
            "{\"verdict\":\"failed\"}",
        );
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["seq"], 7);
        assert_eq!(value["code"], "tcp_refused");
        assert_eq!(value["report"]["verdict"], "failed");
        let line = result_line("abc-1", 7, "x", &facts, "not json");
        assert!(serde_json::from_str::<serde_json::Value>(&line).unwrap()["report"].is_null());
    }

    #[test]
    fn the_key_follows_options_and_list() {
        let list = vec!["a".to_string(), "b".to_string()];
        assert_eq!(run_key("o", &list), run_key("o", &list));
        assert_ne!(run_key("o", &list), run_key("p", &list));
        assert_ne!(run_key("o", &list), run_key("o", &list[..1]));
    }
}
