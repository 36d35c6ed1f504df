//! One worker: lease targets from the store, run each through the same
//! engine as `diagnose` / `scan` (bounded in all, per host, and paced per
//! host), write each result back while the lease holds, renew leases while
//! working, and wait for other workers' leases until the run is done.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use analysis::fleet::{self, Status, TargetFacts};
use anyhow::Result;
use probe::ProbeOptions;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::store::{self, Claimed, NewResult, Run, Store};
use super::{Output, Progress};
use crate::args::Depth;

/// What every target of a run is judged with (shared by all tasks).
pub(super) struct Settings {
    pub depth: Depth,
    pub probe: ProbeOptions,
    /// Per scan (`--deadline`).
    pub deadline: Option<Duration>,
    pub trust: analysis::TrustStores,
    pub fetch: bool,
    pub concurrency: usize,
    pub per_host: usize,
    /// Minimum gap between two target starts on one host (`--per-host-rate`).
    pub per_host_gap: Duration,
    pub lease: Duration,
    pub shard: Option<(u64, u64)>,
}

/// The judgement context, refreshed once a minute so that a run lasting
/// days judges certificates by the day it sees them.
struct Contexts {
    diagnose: Arc<analysis::Context>,
    scan: Arc<analysis::scan::ScanContext>,
    made: Instant,
}

fn contexts(settings: &Settings) -> Contexts {
    let now = time::OffsetDateTime::now_utc();
    Contexts {
        diagnose: Arc::new(analysis::Context {
            now,
            now_overridden: false,
            client: analysis::profiles::default_profile(),
            trust: settings.trust.clone(),
            client_identity: false,
            fetch_issuers: settings.fetch,
        }),
        scan: Arc::new(analysis::scan::ScanContext {
            now,
            trust: settings.trust.clone(),
            client_identity: false,
        }),
        made: Instant::now(),
    }
}

/// Per-host limits: a semaphore for concurrency and a pacing clock. A host
/// that refuses or drops connections (as rate limiters do) gets a longer
/// gap, which shrinks again as its targets succeed.
#[derive(Default)]
struct Hosts {
    slots: HashMap<String, Arc<Semaphore>>,
    next_start: HashMap<String, Instant>,
    extra_gap: HashMap<String, Duration>,
}

const MAX_EXTRA_GAP: Duration = Duration::from_secs(5);

impl Hosts {
    fn slot(&mut self, host: &str, per_host: usize) -> Arc<Semaphore> {
        self.slots
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(per_host)))
            .clone()
    }

    /// When this host's next target may start; books the slot after it.
    fn book_start(&mut self, host: &str, gap: Duration) -> Instant {
        let now = Instant::now();
        let gap = gap + self.extra_gap.get(host).copied().unwrap_or_default();
        let at = self.next_start.get(host).copied().unwrap_or(now).max(now);
        if !gap.is_zero() {
            self.next_start.insert(host.to_string(), at + gap);
        }
        at
    }

    fn observe(&mut self, host: &str, facts: &TargetFacts) {
        let gap = self.extra_gap.entry(host.to_string()).or_default();
        *gap = if fleet::pushed_back(facts) {
            (*gap * 2).max(Duration::from_millis(50)).min(MAX_EXTRA_GAP)
        } else {
            *gap * 9 / 10
        };
    }
}

/// This worker's identity in lease rows: host, process, a nonce (a
/// restarted container may get the same process id).
pub(super) fn owner_id() -> String {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
        ^ u64::from(std::process::id()).rotate_left(32);
    format!("{}/{}/{:016x}", hostname(), std::process::id(), nonce)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether a lease owner is a process of this machine that is gone (so its
/// targets can be taken at once): same host name, and its process id no
/// longer runs — or is ours, under another nonce.
pub(super) fn is_dead_local(owner: &str, me: &str) -> bool {
    let mut parts = owner.splitn(3, '/');
    let (Some(host), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if host != hostname() || owner == me {
        return false;
    }
    if pid == std::process::id().to_string() {
        return true;
    }
    !std::path::Path::new("/proc").join(pid).exists()
}

/// Works on one run until every target of this shard has a result.
pub(super) async fn work(
    store: &Store,
    run: &Run,
    settings: Arc<Settings>,
    owner: &str,
    output: &mut Output,
    progress: &Progress,
) -> Result<()> {
    let global = Arc::new(Semaphore::new(settings.concurrency));
    let hosts = Arc::new(Mutex::new(Hosts::default()));
    let mut current = contexts(&settings);
    let mut tasks: JoinSet<(NewResult, String)> = JoinSet::new();
    let mut last_renewal = Instant::now();
    loop {
        if last_renewal.elapsed() >= settings.lease / 3 {
            store.renew(owner, settings.lease).await?;
            last_renewal = Instant::now();
        }
        if current.made.elapsed() > Duration::from_secs(60) {
            current = contexts(&settings);
        }
        let free = settings.concurrency.saturating_sub(tasks.len());
        let claimed = if free > 0 {
            store
                .claim(&run.id, owner, settings.lease, free as i64, settings.shard)
                .await?
        } else {
            Vec::new()
        };
        for target in claimed {
            tasks.spawn(run_target(
                target,
                settings.clone(),
                current.diagnose.clone(),
                current.scan.clone(),
                global.clone(),
                hosts.clone(),
            ));
        }
        if tasks.is_empty() {
            let counts = store.counts(&run.id, settings.shard).await?;
            progress.set(counts);
            if counts.done >= counts.total {
                store.finish_if_done(&run.id).await?;
                return Ok(());
            }
            // Other workers hold the rest: wait for them to finish or for
            // their leases to expire (then this worker takes them over).
            let wait = match store.next_expiry(&run.id, settings.shard).await? {
                Some(at) => Duration::from_millis((at - store::now_ms()).clamp(50, 1000) as u64),
                None => Duration::from_millis(200),
            };
            tokio::time::sleep(wait).await;
            continue;
        }
        // Wait for a result, but wake up to renew leases in time.
        let renew_in = (settings.lease / 3).saturating_sub(last_renewal.elapsed());
        let joined = tokio::select! {
            joined = tasks.join_next() => joined,
            _ = tokio::time::sleep(renew_in.max(Duration::from_millis(10))) => None,
        };
        let Some(joined) = joined else { continue };
        let (result, host) = match joined {
            Ok(done) => done,
            Err(e) if e.is_panic() => anyhow::bail!("a target's task panicked: {e}"),
            Err(_) => continue,
        };
        hosts.lock().expect("hosts").observe(&host, &result.facts);
        if store.complete(owner, &result).await? {
            let line = super::result_line(
                &result.run_id,
                result.seq,
                &result.spec,
                &result.facts,
                &result.report,
            );
            output.write(&line)?;
            progress.finished(result.facts.status);
        }
    }
}

/// Runs one target through the engine; a target that cannot be parsed
/// (written by another version into a shared store) is a failed result.
async fn run_target(
    claimed: Claimed,
    settings: Arc<Settings>,
    diagnose: Arc<analysis::Context>,
    scan: Arc<analysis::scan::ScanContext>,
    global: Arc<Semaphore>,
    hosts: Arc<Mutex<Hosts>>,
) -> (NewResult, String) {
    let started = Instant::now();
    let target = match super::targets::target(&claimed.spec) {
        Ok(t) => t,
        Err(why) => {
            let report = serde_json::json!({ "error": format!("not a target: {why}") }).to_string();
            return (
                NewResult {
                    run_id: claimed.run_id,
                    seq: claimed.seq,
                    spec: claimed.spec,
                    finished_ms: store::now_ms(),
                    elapsed_ms: 0,
                    facts: TargetFacts {
                        status: Some(Status::Failed),
                        code: Some("invalid_target".into()),
                        ..Default::default()
                    },
                    report,
                    observations: "{}".into(),
                },
                String::new(),
            );
        }
    };
    let host = super::targets::host_key(&target);
    let _global = global.acquire_owned().await;
    let slot = hosts.lock().expect("hosts").slot(&host, settings.per_host);
    let _host = slot.acquire_owned().await;
    let start_at = hosts
        .lock()
        .expect("hosts")
        .book_start(&host, settings.per_host_gap);
    tokio::time::sleep_until(start_at.into()).await;
    let (report, observations, facts) = match settings.depth {
        Depth::Diagnose => {
            let (report, obs) =
                crate::engine::diagnose_with(&target, &settings.probe, &diagnose).await;
            let facts = fleet::diagnosis_facts(&report, &obs);
            (
                serde_json::to_string(&report),
                serde_json::to_string(&obs),
                facts,
            )
        }
        Depth::Scan => {
            let (report, obs) =
                crate::scan::scan_with(&target, &settings.probe, settings.deadline, &scan).await;
            let facts = fleet::scan_facts(&report, &obs);
            (
                serde_json::to_string(&report),
                serde_json::to_string(&obs),
                facts,
            )
        }
    };
    (
        NewResult {
            run_id: claimed.run_id,
            seq: claimed.seq,
            spec: claimed.spec,
            finished_ms: store::now_ms(),
            elapsed_ms: started.elapsed().as_millis() as i64,
            facts,
            report: report
                .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string()),
            observations: observations.unwrap_or_else(|_| "{}".into()),
        },
        host,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_owners_are_gone_processes_of_this_host() {
        let me = owner_id();
        assert!(!is_dead_local(&me, &me));
        let host = hostname();
        // Our own process id under another nonce: a restarted container.
        assert!(is_dead_local(
            &format!("{host}/{}/00", std::process::id()),
            &me
        ));
        // A process id that cannot exist.
        assert!(is_dead_local(&format!("{host}/4294967295/00"), &me));
        // Another machine's worker is judged by its lease only.
        assert!(!is_dead_local("elsewhere.example/1/00", &me));
        assert!(!is_dead_local("garbage", &me));
    }

    #[test]
    fn refusals_widen_a_hosts_gap_and_success_narrows_it() {
        let mut hosts = Hosts::default();
        let failed = TargetFacts {
            status: Some(Status::Failed),
            code: Some("tcp_refused".into()),
            ..Default::default()
        };
        hosts.observe("h", &failed);
        hosts.observe("h", &failed);
        assert_eq!(hosts.extra_gap["h"], Duration::from_millis(100));
        hosts.observe(
            "h",
            &TargetFacts {
                status: Some(Status::Ok),
                ..Default::default()
            },
        );
        assert_eq!(hosts.extra_gap["h"], Duration::from_millis(90));
        let first = hosts.book_start("h", Duration::ZERO);
        let second = hosts.book_start("h", Duration::ZERO);
        assert!(second >= first + Duration::from_millis(90));
    }
}
