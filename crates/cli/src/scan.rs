//! `scan`: `analysis::scan` plans the rounds and the engine
//! ([`crate::engine`]) runs them, with its one retry policy and the scan's
//! deadline; then the grade and the client simulation are applied to the
//! report, the same way for a live scan and a replayed one. Also `--fail-on`.

use std::sync::OnceLock;
use std::time::Duration;

use analysis::scan::{self, ScanContext};
use model::{Observations, ProbeRequest, ScanReport, Target};
use probe::ProbeOptions;

use crate::engine::{Planner, Step};
use crate::trust::SystemRootsLoader;

/// The default bound on a whole scan (`--deadline`).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// Everything one scan needs.
pub struct Scan {
    pub target: Target,
    pub context: ScanContext,
    pub probe: ProbeOptions,
    /// Bound on the whole scan; `None`: no bound.
    pub deadline: Option<Duration>,
    /// This machine's roots being read while the scan runs, to be put in
    /// `context.trust.system` for the report; `None`: they are there.
    pub system_roots: Option<SystemRootsLoader>,
}

/// Analysis's scan plan, for the engine. Planning never reads the trust
/// stores, so the report alone waits for roots still being read.
struct ScanPlan<'a> {
    context: &'a ScanContext,
    system_roots: Option<&'a SystemRootsLoader>,
    with_roots: OnceLock<ScanContext>,
}

impl ScanPlan<'_> {
    /// The context the report is made with.
    fn judging(&self) -> &ScanContext {
        let Some(roots) = self.system_roots else {
            return self.context;
        };
        self.with_roots.get_or_init(|| {
            let mut context = self.context.clone();
            context.trust.system = roots.get().to_vec();
            context
        })
    }
}

impl Planner for ScanPlan<'_> {
    type Report = ScanReport;

    fn next(&self, obs: &Observations) -> Step<ScanReport> {
        let requests = scan::plan(obs, self.context);
        if requests.is_empty() {
            Step::Done(scan::report(obs, self.judging()))
        } else {
            Step::Probe(requests)
        }
    }

    fn report(&self, obs: &Observations) -> ScanReport {
        scan::report(obs, self.judging())
    }

    /// A scan of a server with every suite of the registry needs a few
    /// hundred rounds at most.
    fn max_rounds(&self) -> usize {
        1000
    }

    fn runs_beside(&self, request: &ProbeRequest) -> bool {
        scan::runs_beside(request)
    }

    fn runs_last(&self, request: &ProbeRequest) -> bool {
        scan::runs_last(request)
    }
}

/// Runs a scan and returns the report with the observations behind it.
pub async fn scan(job: &Scan) -> (ScanReport, Observations) {
    let plan = ScanPlan {
        context: &job.context,
        system_roots: job.system_roots.as_ref(),
        with_roots: OnceLock::new(),
    };
    let (report, obs) = crate::engine::run(&job.target, &job.probe, job.deadline, &plan).await;
    (scan::complete(report, &obs), obs)
}

/// [`scan`] with borrowed parts, for `batch` (one context for all scans).
pub async fn scan_with(
    target: &Target,
    probe: &ProbeOptions,
    deadline: Option<Duration>,
    context: &ScanContext,
) -> (ScanReport, Observations) {
    let plan = ScanPlan {
        context,
        system_roots: None,
        with_roots: OnceLock::new(),
    };
    let (report, obs) = crate::engine::run(target, probe, deadline, &plan).await;
    (scan::complete(report, &obs), obs)
}

/// The report of saved observations (`scan --replay`): the same judgement
/// as at the end of [`scan`], without the network (with the same `now`,
/// the same report, `elapsed_ms` the scan's).
pub fn judge(obs: &Observations, ctx: &ScanContext) -> ScanReport {
    scan::judge(obs, ctx)
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
                let found: Vec<&str> = report
                    .vulnerabilities
                    .vulnerable()
                    .into_iter()
                    .map(model::VulnId::as_str)
                    .collect();
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
