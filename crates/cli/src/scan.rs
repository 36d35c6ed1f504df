//! The scan engine loop: `analysis::scan` plans rounds, the probe layer runs
//! each round's connections concurrently (at most `max_connections` at a
//! time), and connections that failed (refused, reset or dropped before any
//! answer) are retried after a pause, in every round including the first,
//! and once more at the end when only later answers show that they failed. The whole
//! scan is bounded by a deadline: when it passes, the report is made from
//! what was observed so far and lists what is missing.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use analysis::scan::{self, ScanContext, ScanNext};
use model::{Observations, ProbeRecord, ScanReport, Target};
use probe::ProbeOptions;

/// Bound on rounds; a scan of a server with every suite of the registry
/// needs a few hundred at most. Guards against a planning bug.
const MAX_ROUNDS: usize = 1000;
/// Pauses before retrying connections that look rate-limited.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(2000)];

/// The shortest step timeout a round near the deadline gets.
const MIN_PROBE_TIMEOUT: Duration = Duration::from_millis(100);
/// How long past the deadline a round may take to hand in its answers.
const DEADLINE_GRACE: Duration = Duration::from_millis(500);

/// The default bound on a whole scan (`--deadline`).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// Everything one scan needs.
pub struct Scan {
    pub target: Target,
    pub context: ScanContext,
    pub probe: ProbeOptions,
    /// Bound on the whole scan; `None`: no bound.
    pub deadline: Option<Duration>,
}

/// Runs a scan and returns the report with the observations behind it.
pub async fn scan(job: &Scan) -> (ScanReport, Observations) {
    let started = Instant::now();
    let ends = job.deadline.map(|d| started + d);
    let left = || ends.map(|e| e.saturating_duration_since(Instant::now()));
    let mut obs = Observations::new(job.target.clone());
    obs.dns = Some(probe::resolve(&job.target, job.probe.timeout, job.probe.resolver).await);
    let mut notes: Vec<String> = Vec::new();
    let mut rounds = 0;
    // The real handshake (certificate chain under TLS 1.3, HTTP headers) and
    // the resumption probes feed no chain, and a port that does not speak
    // HTTP (or send tickets) makes them wait: they run beside the rounds
    // instead of holding each of them up.
    let mut background: Vec<tokio::task::JoinHandle<Vec<ProbeRecord>>> = Vec::new();
    let mut out_of_time = false;
    // Purposes tried once more at the end (see retry_in_hindsight).
    let mut retried_late: HashSet<String> = HashSet::new();
    let report = loop {
        if left().is_some_and(|l| l.is_zero()) {
            out_of_time = true;
            break scan::report(&obs, &job.context);
        }
        match scan::next(&obs, &job.context) {
            ScanNext::Probe(requests) if rounds < MAX_ROUNDS => {
                rounds += 1;
                // A probe that runs last runs alone: the probes beside the
                // rounds finish first, and the plan is made again from
                // their answers (which may call for more probes).
                if requests.iter().all(scan::runs_last) && !background.is_empty() {
                    obs.probes.extend(join_beside(&mut background, ends).await);
                    continue;
                }
                let (side, requests): (Vec<_>, Vec<_>) =
                    requests.into_iter().partition(scan::runs_beside);
                // Connections beside the rounds come out of the same budget.
                let beside = (job.probe.max_connections / 4).max(1);
                if !side.is_empty() {
                    let (target, snapshot, mut options) =
                        (job.target.clone(), obs.clone(), job.probe.clone());
                    options.max_connections = beside;
                    background.push(tokio::spawn(async move {
                        // Retried like the rounds; the failed attempts come
                        // back renamed so that they are counted.
                        let round = run_politely(&target, &snapshot, side, &options).await;
                        let mut records = round.records;
                        records.extend(round.failed_attempts);
                        records
                    }));
                }
                let mut options = job.probe.clone();
                if !background.iter().all(|b| b.is_finished()) {
                    options.max_connections = options.max_connections.saturating_sub(beside).max(1);
                }
                // Every wait of the round ends by the deadline (a probe cut
                // short records a timeout: unknown, never "no"); a round
                // still running a moment after it is dropped, and what came
                // before stands.
                if let Some(l) = left() {
                    options.timeout = options.timeout.min(l.max(MIN_PROBE_TIMEOUT));
                }
                let round = run_politely(&job.target, &obs, requests, &options);
                let round = match left() {
                    None => Some(round.await),
                    Some(l) => tokio::time::timeout(l + DEADLINE_GRACE, round).await.ok(),
                };
                if let Some(round) = round {
                    obs.probes.extend(round.failed_attempts);
                    obs.probes.extend(round.records);
                    if round.still_failing > 0 {
                        notes.push(format!(
                            "{} connection(s) failed (refused, or reset before any answer), even after pausing and retrying; what they would have shown is listed as unknown (try a lower --max-connections)",
                            round.still_failing
                        ));
                    }
                }
            }
            ScanNext::Probe(_) => {
                notes.push(format!("the scan stopped after {MAX_ROUNDS} rounds"));
                break scan::report(&obs, &job.context);
            }
            ScanNext::Done(report) if background.is_empty() => {
                let mut options = job.probe.clone();
                if let Some(l) = left() {
                    options.timeout = options.timeout.min(l.max(MIN_PROBE_TIMEOUT));
                }
                if left().is_some_and(|l| l < RETRY_PAUSES[0])
                    || !retry_in_hindsight(&job.target, &mut obs, &mut retried_late, &options).await
                {
                    break *report;
                }
            }
            ScanNext::Done(_) => obs.probes.extend(join_beside(&mut background, ends).await),
        }
    };
    for task in background.drain(..) {
        task.abort();
    }
    if out_of_time {
        let seconds = job.deadline.unwrap_or_default().as_secs_f64();
        notes.push(format!(
            "the scan stopped at its deadline of {seconds} s (--deadline); this is a partial report, and everything listed under `unknown` was not measured"
        ));
    }
    obs.notes.extend(notes);
    obs.deadline_passed = out_of_time;
    obs.elapsed_ms = Some(started.elapsed().as_millis().try_into().unwrap_or(u64::MAX));
    (judge_with(report, &obs), obs)
}

/// Waits for the probes running beside the rounds until the scan's
/// deadline `ends` (`None`: no deadline); a task still running then is
/// aborted and its probes stay unobserved (unknown).
async fn join_beside(
    background: &mut Vec<tokio::task::JoinHandle<Vec<ProbeRecord>>>,
    ends: Option<Instant>,
) -> Vec<ProbeRecord> {
    let mut records = Vec::new();
    for mut task in background.drain(..) {
        let left = ends.map(|e| e.saturating_duration_since(Instant::now()));
        let joined = match left {
            None => (&mut task).await.ok(),
            Some(l) => match tokio::time::timeout(l, &mut task).await {
                Ok(joined) => joined.ok(),
                Err(_) => {
                    task.abort();
                    None
                }
            },
        };
        records.extend(joined.into_iter().flatten());
    }
    records
}

/// The report of saved observations (`scan --replay`): the same judgement
/// as at the end of [`scan`], without the network (with the same `now`,
/// the same report, `elapsed_ms` the scan's).
pub fn judge(obs: &Observations, ctx: &ScanContext) -> ScanReport {
    judge_with(scan::report(obs, ctx), obs)
}

/// Adds the engine's notes, the grade and the client simulation.
fn judge_with(mut report: ScanReport, obs: &Observations) -> ScanReport {
    report.incomplete.extend(obs.notes.iter().cloned());
    report.elapsed_ms = obs.elapsed_ms.unwrap_or_default();
    // Last: the grade reads everything above, vulnerabilities included.
    analysis::grade::apply(&mut report);
    analysis::simulate::apply(&mut report);
    if obs.deadline_passed {
        report.grade_provisional = report.grade.is_some();
    }
    report
}

/// The answers of one round.
struct Round {
    /// One record per request, the last attempt's.
    records: Vec<ProbeRecord>,
    /// Earlier attempts that failed, renamed (`retried: ...`) so that the
    /// planner does not read them but the connection count stays honest.
    failed_attempts: Vec<ProbeRecord>,
    /// Requests whose last attempt failed too.
    still_failing: usize,
}

/// Runs one round; connections that failed (refused, reset or dropped
/// before any answer) are retried after a jittered pause, one at a time,
/// twice at most. `obs` is what was
/// observed before the round (it tells a dead server from a failing
/// connection).
async fn run_politely(
    target: &Target,
    obs: &Observations,
    requests: Vec<model::ProbeRequest>,
    options: &ProbeOptions,
) -> Round {
    let dns = obs.dns.clone().unwrap_or_default();
    let mut records = probe::run(target, &dns, requests, options).await;
    let mut failed_attempts = Vec::new();
    for (pass, pause) in RETRY_PAUSES.into_iter().enumerate() {
        // A close before any answer gets one more look even when it may be
        // this server's way of refusing (see scan::closed_before_any_answer).
        let suspect: Vec<usize> = (0..records.len())
            .filter(|&i| {
                scan::looks_rate_limited(&records[i], obs, &records)
                    || (pass == 0 && scan::closed_before_any_answer(&records[i]))
            })
            .collect();
        if suspect.is_empty() {
            break;
        }
        tokio::time::sleep(jittered(pause)).await;
        let retry: Vec<model::ProbeRequest> = suspect
            .iter()
            .map(|&i| records[i].request.clone())
            .collect();
        let again = probe::run(target, &dns, retry, &one_at_a_time(options)).await;
        for (&i, record) in suspect.iter().zip(again) {
            let failed = std::mem::replace(&mut records[i], record);
            failed_attempts.push(renamed_attempt(failed));
        }
    }
    let still_failing = records
        .iter()
        .filter(|r| scan::looks_rate_limited(r, obs, &records))
        .count();
    Round {
        records,
        failed_attempts,
        still_failing,
    }
}

/// Retries go one connection at a time: a server that dropped connections
/// is out of them or limiting this client.
fn one_at_a_time(options: &ProbeOptions) -> ProbeOptions {
    ProbeOptions {
        max_connections: 1,
        ..options.clone()
    }
}

const RETRIED: &str = "retried: ";

/// A failed attempt, renamed so that the planner does not read it but the
/// connection count stays honest.
fn renamed_attempt(failed: ProbeRecord) -> ProbeRecord {
    ProbeRecord {
        request: model::ProbeRequest {
            purpose: model::Purpose::Feature {
                name: format!("{RETRIED}{}", purpose_text(&failed.request.purpose)),
            },
            kind: failed.request.kind.clone(),
        },
        ..failed
    }
}

/// Probes that look dropped only in hindsight get one more try, one at a
/// time, when the plan is done: a close before any answer reads as this
/// server's refusal until a later probe shows that it refuses with an alert
/// (`analysis::scan::failure`), and by then its round is over. The plan is
/// made again from the new answers. Returns whether anything was retried.
async fn retry_in_hindsight(
    target: &Target,
    obs: &mut Observations,
    tried: &mut HashSet<String>,
    options: &ProbeOptions,
) -> bool {
    let suspects: Vec<usize> = (0..obs.probes.len())
        .filter(|&i| {
            let record = &obs.probes[i];
            let retry_of_earlier = matches!(
                &record.request.purpose,
                model::Purpose::Feature { name } if name.starts_with(RETRIED)
            );
            !retry_of_earlier
                && !tried.contains(&purpose_text(&record.request.purpose))
                && scan::looks_rate_limited(record, obs, &[])
        })
        .collect();
    if suspects.is_empty() {
        return false;
    }
    tokio::time::sleep(jittered(RETRY_PAUSES[0])).await;
    let requests: Vec<model::ProbeRequest> = suspects
        .iter()
        .map(|&i| obs.probes[i].request.clone())
        .collect();
    tried.extend(requests.iter().map(|r| purpose_text(&r.purpose)));
    let dns = obs.dns.clone().unwrap_or_default();
    let again = probe::run(target, &dns, requests, &one_at_a_time(options)).await;
    for (&i, record) in suspects.iter().zip(again) {
        let failed = std::mem::replace(&mut obs.probes[i], record);
        obs.probes.push(renamed_attempt(failed));
    }
    true
}

/// `pause` ± 25 %, so that scans dropped together by a busy server do not
/// all come back at the same instant.
fn jittered(pause: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // 0.75 .. 1.25
    let factor = 0.75 + f64::from(nanos % 1000) / 2000.0;
    pause.mul_f64(factor)
}

fn purpose_text(purpose: &model::Purpose) -> String {
    serde_json::to_string(purpose).unwrap_or_default()
}

/// Whether the scan reached the target at all: some protocol answered with
/// a ServerHello. When it did not (the name does not resolve, the port
/// refuses, the port speaks plain HTTP or something else), `scan` exits 1.
pub fn scanned(report: &ScanReport) -> bool {
    report.protocols.iter().any(|(_, p)| p.is_supported())
}

/// One `--fail-on` condition (comma-separated on the command line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// `grade<A`: the grade is worse than this letter (`T` and `M` count as
    /// worse than every letter, a missing grade too).
    GradeBelow(String),
    /// `vulnerable`: any check says `vulnerable` (observed; heuristics and
    /// untested checks do not count).
    Vulnerable,
    /// `expires<30d`: a presented leaf certificate expires within this many
    /// days of the scan's clock (or already has).
    ExpiresWithin(u32),
    /// `incomplete`: something the scan should have measured is unknown.
    Incomplete,
}

/// The grades from best to worst, as `--fail-on grade<X` compares them.
const GRADES: [&str; 11] = ["A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M", ""];

impl std::str::FromStr for FailOn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "vulnerable" {
            return Ok(Self::Vulnerable);
        }
        if s == "incomplete" {
            return Ok(Self::Incomplete);
        }
        if let Some(letter) = s.strip_prefix("grade<") {
            let letter = letter.trim().to_ascii_uppercase();
            if GRADES[..8].contains(&letter.as_str()) {
                return Ok(Self::GradeBelow(letter));
            }
            return Err(format!(
                "unknown grade {letter:?} (A+, A, A-, B, C, D, E, F)"
            ));
        }
        if let Some(days) = s.strip_prefix("expires<") {
            let days = days.trim().trim_end_matches('d');
            return days
                .parse()
                .map(Self::ExpiresWithin)
                .map_err(|_| format!("expires<N: N must be a number of days ({s:?})"));
        }
        Err(format!(
            "unknown --fail-on condition {s:?} (grade<A, vulnerable, expires<30d, incomplete)"
        ))
    }
}

/// The `--fail-on` conditions the report meets, each as a sentence.
pub fn failed_conditions(
    report: &ScanReport,
    conditions: &[FailOn],
    now: time::OffsetDateTime,
) -> Vec<String> {
    let mut out = Vec::new();
    for condition in conditions {
        match condition {
            FailOn::GradeBelow(letter) => {
                let grade = report.grade.clone().unwrap_or_default();
                let rank = |g: &str| GRADES.iter().position(|x| *x == g).unwrap_or(GRADES.len());
                if rank(&grade) > rank(letter) {
                    let shown = if grade.is_empty() { "none" } else { &grade };
                    out.push(format!("grade {shown} is below {letter}"));
                }
            }
            FailOn::Vulnerable => {
                let found = report.vulnerabilities.vulnerable();
                if !found.is_empty() {
                    out.push(format!("vulnerable: {}", found.join(", ")));
                }
            }
            FailOn::ExpiresWithin(days) => {
                let limit = now + time::Duration::days(i64::from(*days));
                for chain in &report.certificates {
                    let Some(leaf) = chain.certificates.first() else {
                        continue;
                    };
                    let Ok(not_after) = time::OffsetDateTime::parse(
                        &leaf.not_after,
                        &time::format_description::well_known::Rfc3339,
                    ) else {
                        continue;
                    };
                    if not_after < limit {
                        out.push(format!(
                            "the certificate {} expires {} (within {days} days)",
                            leaf.subject, leaf.not_after
                        ));
                    }
                }
            }
            FailOn::Incomplete => {
                if !report.unknown.is_empty() {
                    out.push(format!("unknown: {}", report.unknown.join(", ")));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_parses_the_documented_conditions() {
        assert_eq!("grade<A".parse(), Ok(FailOn::GradeBelow("A".into())));
        assert_eq!("vulnerable".parse(), Ok(FailOn::Vulnerable));
        assert_eq!("expires<30d".parse(), Ok(FailOn::ExpiresWithin(30)));
        assert_eq!("incomplete".parse(), Ok(FailOn::Incomplete));
        assert!("grade<Z".parse::<FailOn>().is_err());
        assert!("sometimes".parse::<FailOn>().is_err());
    }

    #[test]
    fn grade_below_compares_by_rank() {
        let mut report: ScanReport = serde_json::from_value(serde_json::json!({
            "schema_version": 2, "target": {"host": "h", "port": 1, "ip": null, "sni": null},
            "protocols": {
                "ssl2": {"supported": false, "evidence": "", "cipher_suites": [], "server_order": null, "groups": [], "group_server_order": null, "groups_measured_at": null},
                "ssl3": {"supported": false, "evidence": "", "cipher_suites": [], "server_order": null, "groups": [], "group_server_order": null, "groups_measured_at": null},
                "tls1_0": {"supported": false, "evidence": "", "cipher_suites": [], "server_order": null, "groups": [], "group_server_order": null, "groups_measured_at": null},
                "tls1_1": {"supported": false, "evidence": "", "cipher_suites": [], "server_order": null, "groups": [], "group_server_order": null, "groups_measured_at": null},
                "tls1_2": {"supported": true, "evidence": "", "cipher_suites": [], "server_order": null, "groups": [], "group_server_order": null, "groups_measured_at": null},
                "tls1_3": {"supported": null, "evidence": "", "cipher_suites": [], "server_order": null, "groups": [], "group_server_order": null, "groups_measured_at": null}
            },
            "signature_algorithms": [], "dh": null, "certificates": [], "features": {},
            "connections": 0, "elapsed_ms": 0, "incomplete": []
        }))
        .unwrap();
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let below_a = [FailOn::GradeBelow("A".into())];
        report.grade = Some("A+".into());
        assert!(failed_conditions(&report, &below_a, now).is_empty());
        report.grade = Some("B".into());
        assert_eq!(failed_conditions(&report, &below_a, now).len(), 1);
        report.grade = Some("T".into());
        assert_eq!(failed_conditions(&report, &below_a, now).len(), 1);
        assert!(scanned(&report));
    }
}
