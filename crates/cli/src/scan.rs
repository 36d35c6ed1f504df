//! The scan engine loop: `analysis::scan` plans rounds, the probe layer runs
//! each round's connections concurrently (at most `max_connections` at a
//! time), and connections that look rate-limited are retried after a pause.

use std::time::{Duration, Instant};

use analysis::scan::{self, ScanContext, ScanNext};
use model::{Observations, ProbeRecord, ScanReport, Target};
use probe::ProbeOptions;

/// Bound on rounds; a scan of a server with every suite of the registry
/// needs a few hundred at most. Guards against a planning bug.
const MAX_ROUNDS: usize = 1000;
/// Pauses before retrying connections that look rate-limited.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(2000)];

/// Everything one scan needs.
pub struct Scan {
    pub target: Target,
    pub context: ScanContext,
    pub probe: ProbeOptions,
}

/// Runs a scan and returns the report with the observations behind it.
pub async fn scan(job: &Scan) -> (ScanReport, Observations) {
    let started = Instant::now();
    let mut obs = Observations::new(job.target.clone());
    obs.dns = Some(probe::resolve(&job.target, job.probe.timeout, job.probe.resolver).await);
    let mut notes: Vec<String> = Vec::new();
    let mut rounds = 0;
    // The real handshake (certificate chain under TLS 1.3, HTTP headers) and
    // the resumption probes feed no chain, and a port that does not speak
    // HTTP (or send tickets) makes them wait: they run beside the rounds
    // instead of holding each of them up.
    let mut background: Vec<tokio::task::JoinHandle<Vec<ProbeRecord>>> = Vec::new();
    let mut report = loop {
        match scan::next(&obs, &job.context) {
            ScanNext::Probe(requests) if rounds < MAX_ROUNDS => {
                rounds += 1;
                let (side, requests): (Vec<_>, Vec<_>) =
                    requests.into_iter().partition(scan::runs_beside);
                // Connections beside the rounds come out of the same budget.
                let beside = (job.probe.max_connections / 4).max(1);
                if !side.is_empty() {
                    let (target, dns, mut options) = (
                        job.target.clone(),
                        obs.dns.clone().unwrap_or_default(),
                        job.probe.clone(),
                    );
                    options.max_connections = beside;
                    background.push(tokio::spawn(async move {
                        probe::run(&target, &dns, side, &options).await
                    }));
                }
                let mut options = job.probe.clone();
                if !background.iter().all(|b| b.is_finished()) {
                    options.max_connections = options.max_connections.saturating_sub(beside).max(1);
                }
                let records =
                    run_politely(&job.target, &mut obs, requests, &options, &mut notes).await;
                obs.probes.extend(records);
            }
            ScanNext::Probe(_) => {
                notes.push(format!("the scan stopped after {MAX_ROUNDS} rounds"));
                break scan::report(&obs, &job.context);
            }
            ScanNext::Done(report) if background.is_empty() => break *report,
            ScanNext::Done(_) => {
                for task in background.drain(..) {
                    if let Ok(records) = task.await {
                        obs.probes.extend(records);
                    }
                }
            }
        }
    };
    report.incomplete.extend(notes);
    report.elapsed_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
    // Last: the grade reads everything above, vulnerabilities included.
    analysis::grade::apply(&mut report);
    analysis::simulate::apply(&mut report);
    (report, obs)
}

/// Runs one round; connections that look rate-limited are retried after a
/// pause (the failed attempts stay in the observations, so the connection
/// count is honest).
async fn run_politely(
    target: &Target,
    obs: &mut Observations,
    requests: Vec<model::ProbeRequest>,
    options: &ProbeOptions,
    notes: &mut Vec<String>,
) -> Vec<ProbeRecord> {
    let dns = obs.dns.clone().unwrap_or_default();
    let mut records = probe::run(target, &dns, requests, options).await;
    for pause in RETRY_PAUSES {
        let suspect: Vec<usize> = (0..records.len())
            .filter(|&i| scan::looks_rate_limited(&records[i], obs))
            .collect();
        if suspect.is_empty() {
            return records;
        }
        tokio::time::sleep(pause).await;
        let retry: Vec<model::ProbeRequest> = suspect
            .iter()
            .map(|&i| records[i].request.clone())
            .collect();
        let again = probe::run(target, &dns, retry, options).await;
        for (&i, record) in suspect.iter().zip(again) {
            // Keep the failed attempt out of the planner's way but count it.
            let failed = std::mem::replace(&mut records[i], record);
            obs.probes.push(ProbeRecord {
                request: model::ProbeRequest {
                    purpose: model::Purpose::Feature {
                        name: format!("retried: {}", purpose_text(&failed.request.purpose)),
                    },
                    kind: failed.request.kind.clone(),
                },
                ..failed
            });
        }
    }
    let still = records
        .iter()
        .filter(|r| scan::looks_rate_limited(r, obs))
        .count();
    if still > 0 {
        notes.push(format!(
            "{still} connection(s) failed in a way that looks like rate limiting, even after pausing; results may be incomplete (try a lower --max-connections)"
        ));
    }
    records
}

fn purpose_text(purpose: &model::Purpose) -> String {
    serde_json::to_string(purpose).unwrap_or_default()
}
