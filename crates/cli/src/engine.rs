//! The engine loop: the one place where observation and judgement meet.
//! Analysis says what to probe, the probe layer runs it, analysis judges.

use std::time::Instant;

use analysis::{Context, Next};
use model::{Observations, Report, Target};
use probe::ProbeOptions;

/// A diagnosis never needs more rounds than this; the bound only guards
/// against a planning bug looping forever.
const MAX_ROUNDS: usize = 12;

/// Everything one diagnosis needs.
pub struct Diagnose {
    pub target: Target,
    pub context: Context,
    pub probe: ProbeOptions,
}

/// Runs a diagnosis and returns the report with the observations behind it.
pub async fn diagnose(job: &Diagnose) -> (Report, Observations) {
    let started = Instant::now();
    let mut obs = Observations::new(job.target.clone());
    let dns = probe::resolve(&job.target, job.probe.timeout, job.probe.resolver).await;
    obs.dns = Some(dns);
    let mut rounds = 0;
    let mut report = loop {
        match analysis::next(&obs, &job.context) {
            Next::Probe(requests) if rounds < MAX_ROUNDS => {
                rounds += 1;
                let dns = obs.dns.clone().unwrap_or_default();
                let records = probe::run(&job.target, &dns, requests, &job.probe).await;
                obs.probes.extend(records);
            }
            Next::Probe(_) => break analysis::judge(&obs, &job.context),
            Next::Done(report) => break *report,
        }
    };
    report.elapsed_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
    (report, obs)
}
