//! The engine loop, the one place where observation and judgement meet, for
//! every front end: a [`Planner`] (analysis's diagnose or scan plan) says
//! what to probe, the probe layer runs each round's connections concurrently
//! (at most `max_connections` at a time), and the planner judges. One retry
//! and pacing policy for all: connections that failed (refused, reset or
//! dropped before any answer) are retried after a pause, one at a time, in
//! every round including the first, and once more at the end when only
//! later answers show that they failed. An optional deadline bounds the
//! whole run: when it passes, the report is made from what was observed so
//! far (and says what is missing).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use analysis::{failure, Context, Next};
use model::{Observations, ProbeRecord, ProbeRequest, Report, Target};
use probe::ProbeOptions;

/// Pauses before retrying connections that look rate-limited.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(2000)];
/// The shortest step timeout a round near the deadline gets.
const MIN_PROBE_TIMEOUT: Duration = Duration::from_millis(100);
/// How long past the deadline a round may take to hand in its answers.
const DEADLINE_GRACE: Duration = Duration::from_millis(500);

/// One step of a plan.
pub enum Step<R> {
    /// Run these probes (concurrently) and ask again.
    Probe(Vec<ProbeRequest>),
    /// Enough is known.
    Done(R),
}

/// What the engine drives: analysis's plan for one front end. Pure; the
/// engine does the I/O.
pub trait Planner {
    type Report;
    /// The next round, or the report.
    fn next(&self, obs: &Observations) -> Step<Self::Report>;
    /// The report from what was observed, when the run stops early (the
    /// deadline, or the round bound).
    fn report(&self, obs: &Observations) -> Self::Report;
    /// Bound on rounds; guards against a planning bug looping forever.
    fn max_rounds(&self) -> usize;
    /// Probes that feed no chain and may wait on the server: they run beside
    /// the rounds instead of holding each of them up.
    fn runs_beside(&self, _request: &ProbeRequest) -> bool {
        false
    }
    /// A probe that must run last and alone.
    fn runs_last(&self, _request: &ProbeRequest) -> bool {
        false
    }
    /// The pauses before each retry of a failed connection (one retry per
    /// pause). What is retried is the same for every planner
    /// (`analysis::failure::looks_rate_limited`); how patient to be is not.
    fn retry_pauses(&self) -> &'static [Duration] {
        &RETRY_PAUSES
    }
}

/// Runs `planner` against `target` and returns its report with the
/// observations behind it (engine notes, whether the deadline passed and
/// the elapsed time are in the observations).
pub async fn run<P: Planner>(
    target: &Target,
    options: &ProbeOptions,
    deadline: Option<Duration>,
    planner: &P,
) -> (P::Report, Observations) {
    let started = Instant::now();
    let ends = deadline.map(|d| started + d);
    let left = || ends.map(|e| e.saturating_duration_since(Instant::now()));
    let mut obs = Observations::new(target.clone());
    obs.dns = Some(probe::resolve(target, options.timeout, options.resolver).await);
    let mut notes: Vec<String> = Vec::new();
    let mut rounds = 0;
    let mut background: Vec<tokio::task::JoinHandle<Vec<ProbeRecord>>> = Vec::new();
    let mut out_of_time = false;
    // Purposes tried once more at the end (see retry_in_hindsight).
    let mut retried_late: HashSet<String> = HashSet::new();
    let pauses = planner.retry_pauses();
    let report = loop {
        if left().is_some_and(|l| l.is_zero()) {
            out_of_time = true;
            break planner.report(&obs);
        }
        match planner.next(&obs) {
            Step::Probe(requests) if rounds < planner.max_rounds() => {
                rounds += 1;
                // A probe that runs last runs alone: the probes beside the
                // rounds finish first, and the plan is made again from
                // their answers (which may call for more probes).
                if requests.iter().all(|r| planner.runs_last(r)) && !background.is_empty() {
                    obs.probes.extend(join_beside(&mut background, ends).await);
                    continue;
                }
                let (side, requests): (Vec<_>, Vec<_>) =
                    requests.into_iter().partition(|r| planner.runs_beside(r));
                // Connections beside the rounds come out of the same budget.
                let beside = (options.max_connections / 4).max(1);
                if !side.is_empty() {
                    let (target, snapshot, mut side_options) =
                        (target.clone(), obs.clone(), options.clone());
                    side_options.max_connections = beside;
                    background.push(tokio::spawn(async move {
                        // Retried like the rounds; the failed attempts come
                        // back renamed so that they are counted.
                        let round =
                            run_politely(&target, &snapshot, side, &side_options, pauses).await;
                        let mut records = round.records;
                        records.extend(round.failed_attempts);
                        records
                    }));
                }
                let mut round_options = options.clone();
                if !background.iter().all(|b| b.is_finished()) {
                    round_options.max_connections =
                        round_options.max_connections.saturating_sub(beside).max(1);
                }
                // Every wait of the round ends by the deadline (a probe cut
                // short records a timeout: unknown, never "no"); a round
                // still running a moment after it is dropped, and what came
                // before stands.
                if let Some(l) = left() {
                    round_options.timeout = round_options.timeout.min(l.max(MIN_PROBE_TIMEOUT));
                }
                let round = run_politely(target, &obs, requests, &round_options, pauses);
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
            Step::Probe(_) => {
                notes.push(format!(
                    "the run stopped after {} rounds",
                    planner.max_rounds()
                ));
                break planner.report(&obs);
            }
            Step::Done(report) if background.is_empty() => {
                let mut late_options = options.clone();
                if let Some(l) = left() {
                    late_options.timeout = late_options.timeout.min(l.max(MIN_PROBE_TIMEOUT));
                }
                let Some(&first_pause) = pauses.first() else {
                    break report;
                };
                if left().is_some_and(|l| l < first_pause)
                    || !retry_in_hindsight(
                        target,
                        &mut obs,
                        &mut retried_late,
                        &late_options,
                        first_pause,
                    )
                    .await
                {
                    break report;
                }
            }
            Step::Done(_) => obs.probes.extend(join_beside(&mut background, ends).await),
        }
    };
    for task in background.drain(..) {
        task.abort();
    }
    if out_of_time {
        let seconds = deadline.unwrap_or_default().as_secs_f64();
        notes.push(format!(
            "the scan stopped at its deadline of {seconds} s (--deadline); this is a partial report, and everything listed under `unknown` was not measured"
        ));
    }
    obs.notes.extend(notes);
    obs.deadline_passed = out_of_time;
    obs.elapsed_ms = Some(started.elapsed().as_millis().try_into().unwrap_or(u64::MAX));
    (report, obs)
}

/// A diagnosis retries a failed connection once: a failure seen twice is
/// the diagnosis, and the user is waiting for it.
const DIAGNOSE_RETRY_PAUSES: [Duration; 1] = [Duration::from_millis(300)];

/// Everything one diagnosis needs.
pub struct Diagnose {
    pub target: Target,
    pub context: Context,
    pub probe: ProbeOptions,
}

/// Analysis's diagnose plan, for the engine.
struct DiagnosePlan<'a>(&'a Context);

impl Planner for DiagnosePlan<'_> {
    type Report = Report;

    fn next(&self, obs: &Observations) -> Step<Report> {
        match analysis::next(obs, self.0) {
            Next::Probe(requests) => Step::Probe(requests),
            Next::Done(report) => Step::Done(*report),
        }
    }

    fn report(&self, obs: &Observations) -> Report {
        analysis::judge(obs, self.0)
    }

    /// A diagnosis walks a dozen steps at most.
    fn max_rounds(&self) -> usize {
        12
    }

    fn retry_pauses(&self) -> &'static [Duration] {
        &DIAGNOSE_RETRY_PAUSES
    }
}

/// Runs a diagnosis and returns the report with the observations behind it.
pub async fn diagnose(job: &Diagnose) -> (Report, Observations) {
    diagnose_with(&job.target, &job.probe, &job.context).await
}

/// [`diagnose`] with borrowed parts: `batch` shares one context (its trust
/// stores) among all the diagnoses it runs at once.
pub async fn diagnose_with(
    target: &Target,
    probe: &ProbeOptions,
    context: &Context,
) -> (Report, Observations) {
    let (mut report, obs) = run(target, probe, None, &DiagnosePlan(context)).await;
    report.elapsed_ms = obs.elapsed_ms.unwrap_or_default();
    (report, obs)
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
    requests: Vec<ProbeRequest>,
    options: &ProbeOptions,
    pauses: &[Duration],
) -> Round {
    let dns = obs.dns.clone().unwrap_or_default();
    let mut records = probe::run(target, &dns, requests, options).await;
    let mut failed_attempts = Vec::new();
    for (pass, &pause) in pauses.iter().enumerate() {
        // A close before any answer gets one more look even when it may be
        // this server's way of refusing (see failure::closed_before_any_answer).
        let round = seen_in_round(&records, &failed_attempts);
        // Once closes are known to be this server's refusal, a close gets no
        // more looks.
        let look_again_at_closes =
            pass == 0 && !failure::refuses_by_closing(obs.probes.iter().chain(&round));
        let suspect: Vec<usize> = (0..records.len())
            .filter(|&i| {
                failure::looks_rate_limited(&records[i], obs, &round)
                    || (look_again_at_closes && failure::closed_before_any_answer(&records[i]))
            })
            .collect();
        if suspect.is_empty() {
            break;
        }
        tokio::time::sleep(jittered(pause)).await;
        let retry: Vec<ProbeRequest> = suspect
            .iter()
            .map(|&i| records[i].request.clone())
            .collect();
        let again = probe::run(target, &dns, retry, &one_at_a_time(options)).await;
        for (&i, record) in suspect.iter().zip(again) {
            let failed = std::mem::replace(&mut records[i], record);
            failed_attempts.push(renamed_attempt(failed));
        }
    }
    let round = seen_in_round(&records, &failed_attempts);
    let still_failing = records
        .iter()
        .filter(|r| failure::looks_rate_limited(r, obs, &round))
        .count();
    Round {
        records,
        failed_attempts,
        still_failing,
    }
}

/// Everything a round has seen so far, its failed attempts included: the
/// judgement of a close reads them as analysis will once they are in the
/// observations (a hello dropped on one connection and answered on another
/// shows a server that drops connections, `analysis::failure::failure`).
fn seen_in_round(records: &[ProbeRecord], failed_attempts: &[ProbeRecord]) -> Vec<ProbeRecord> {
    records.iter().chain(failed_attempts).cloned().collect()
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
        request: ProbeRequest {
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
/// (`analysis::failure::failure`), and by then its round is over. The plan is
/// made again from the new answers. Returns whether anything was retried.
async fn retry_in_hindsight(
    target: &Target,
    obs: &mut Observations,
    tried: &mut HashSet<String>,
    options: &ProbeOptions,
    pause: Duration,
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
                && failure::looks_rate_limited(record, obs, &[])
        })
        .collect();
    if suspects.is_empty() {
        return false;
    }
    tokio::time::sleep(jittered(pause)).await;
    let requests: Vec<ProbeRequest> = suspects
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
