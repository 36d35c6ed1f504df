//! Fleet judgement for `batch` and `report`: the few facts a fleet view
//! needs from one target's report (status, code, grade, certificate expiry),
//! and the summary of a whole run (expiring certificates, grade
//! distribution, failing targets by code, what changed since the previous
//! run). Pure: the store reads rows, this module judges them, the CLI
//! renders.

use std::collections::BTreeMap;

use model::{Code, Observations, Report, ScanReport, Verdict};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How one target ended, as a fleet counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Handshake (or scan) completed with nothing to fix.
    Ok,
    /// Completed, with something to fix (a diagnosis of warning severity,
    /// or a scanned server whose certificate a client would refuse).
    Warning,
    /// The handshake failed, or the scan could not reach TLS at all.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "ok" => Some(Status::Ok),
            "warning" => Some(Status::Warning),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

/// The facts a fleet view keeps of one target's result (stored as columns
/// next to the whole report and observations).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetFacts {
    pub status: Option<Status>,
    /// The primary diagnosis (diagnose), or the chain's verdict (scan);
    /// `None` when there is nothing to fix.
    pub code: Option<String>,
    /// The scan's letter grade (scans only).
    pub grade: Option<String>,
    /// The leaf certificate's notAfter.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    /// SHA-256 of the leaf certificate (upper-case hex), to tell a renewed
    /// certificate from the same one.
    pub leaf_sha256: Option<String>,
    pub issuer: Option<String>,
}

/// The facts of a `diagnose` result. The leaf is the first chain a
/// handshake or a hello probe saw.
pub fn diagnosis_facts(report: &Report, obs: &Observations) -> TargetFacts {
    let status = match report.verdict {
        Verdict::Ok => Status::Ok,
        Verdict::Warning => Status::Warning,
        Verdict::Failed => Status::Failed,
    };
    let code = report
        .diagnoses
        .first()
        .map(|d| d.code.as_str().to_string());
    let leaf = obs.probes.iter().find_map(|p| {
        p.handshake
            .as_ref()
            .and_then(|h| h.chain.first())
            .or_else(|| p.flight.as_ref().and_then(|f| f.certificates.first()))
    });
    let info = leaf.and_then(|der| crate::certs::parse(der));
    TargetFacts {
        status: Some(status),
        code,
        grade: None,
        not_after: info.as_ref().map(|i| i.not_after),
        leaf_sha256: info.as_ref().map(|i| i.sha256_fingerprint.clone()),
        issuer: info.map(|i| i.issuer),
    }
}

/// The facts of a `scan` result: failed when no hello got a ServerHello
/// (with the connection's failure as the code: `dns_failed`,
/// `tcp_refused`, `tcp_timeout`, else `not_tls`), warning when the first
/// chain has a verdict (a client would refuse it).
pub fn scan_facts(report: &ScanReport, obs: &Observations) -> TargetFacts {
    let scanned = report
        .protocols
        .iter()
        .any(|(_, p)| p.supported == Some(true));
    let chain = report.certificates.first();
    let code = match chain.and_then(|c| c.verdict) {
        Some(code) => Some(code.as_str().to_string()),
        None if !scanned => Some(unreached_code(obs).to_string()),
        None => None,
    };
    let status = if !scanned {
        Status::Failed
    } else if code.is_some() {
        Status::Warning
    } else {
        Status::Ok
    };
    let leaf = chain.and_then(|c| c.certificates.first());
    TargetFacts {
        status: Some(status),
        code,
        grade: report.grade.clone(),
        not_after: leaf.and_then(|l| {
            OffsetDateTime::parse(&l.not_after, &time::format_description::well_known::Rfc3339).ok()
        }),
        leaf_sha256: leaf.map(|l| l.sha256_fingerprint.clone()),
        issuer: leaf.map(|l| l.issuer.clone()),
    }
}

/// A run as the store keeps it (what `report` shows above the summary).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    pub id: String,
    /// `diagnose` or `scan`.
    pub depth: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// `None` while targets are still pending.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished: Option<OffsetDateTime>,
    /// The run the changes are measured against.
    pub previous: Option<String>,
}

/// Whether a result says its host pushed back: it refused the connection,
/// let it time out, or reset or stalled the handshake. `batch` then leaves
/// more time between that host's targets.
pub fn pushed_back(facts: &TargetFacts) -> bool {
    const PUSHING_BACK: [Code; 4] = [
        Code::TcpRefused,
        Code::TcpTimeout,
        Code::HandshakeReset,
        Code::HandshakeTimeout,
    ];
    facts.status == Some(Status::Failed)
        && facts
            .code
            .as_deref()
            .is_some_and(|c| PUSHING_BACK.iter().any(|k| k.as_str() == c))
}

/// Why a scan reached no TLS server, in the codes `diagnose` gives for the
/// same outcomes (its DNS step, and its TCP step's
/// [`failed_connection_code`](crate::judge::failed_connection_code)).
fn unreached_code(obs: &Observations) -> &'static str {
    use model::TcpOutcome;
    if obs
        .dns
        .as_ref()
        .is_some_and(|d| d.error.is_some() && d.addresses.is_empty())
    {
        return Code::DnsFailed.as_str();
    }
    if obs
        .probes
        .iter()
        .any(|p| matches!(p.tcp, TcpOutcome::Connected { .. }))
    {
        // Connected, yet no ServerHello anywhere: not a TLS port (or a
        // STARTTLS / proxy dialogue that failed, which the report notes).
        return Code::NotTls.as_str();
    }
    match obs.probes.first().map(|p| &p.tcp) {
        // No address to connect to.
        Some(TcpOutcome::NotAttempted) => Code::DnsFailed.as_str(),
        Some(tcp) => crate::judge::failed_connection_code(tcp)
            .unwrap_or(Code::NotTls)
            .as_str(),
        None => Code::NotTls.as_str(),
    }
}

/// One stored result, as the summary reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultRow {
    /// The target as the list gave it.
    pub target: String,
    pub facts: TargetFacts,
}

/// A certificate that expires within the window (or already has).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expiring {
    pub target: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Negative when it has expired.
    pub days_left: i64,
    pub issuer: Option<String>,
}

/// Targets that share a diagnosis code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CodeGroup {
    pub code: String,
    pub targets: Vec<String>,
}

/// What is different about one target since the previous run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub target: String,
    /// `new`, `gone`, `status`, `code`, `grade` or `certificate`.
    pub what: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A run judged as a whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FleetSummary {
    /// Results in this run (the targets that have one).
    pub results: usize,
    /// Targets in the run's list (results + still pending).
    pub targets: usize,
    /// `ok` / `warning` / `failed` → count.
    pub statuses: BTreeMap<String, usize>,
    /// Letter grade → count (scans); `none` for scans without a grade.
    pub grades: BTreeMap<String, usize>,
    /// Non-ok codes, the most frequent first.
    pub by_code: Vec<CodeGroup>,
    /// Certificates that expire within the window, soonest first.
    pub expiring: Vec<Expiring>,
    /// The window `expiring` used, in days.
    pub expiring_within_days: i64,
    /// Changes since the previous run (`None` when there is none).
    pub changes: Option<Vec<Change>>,
    /// Every known notAfter (for the expiry chart), soonest first.
    #[serde(skip)]
    pub expiry_dates: Vec<OffsetDateTime>,
}

/// Judges a run's results: `previous` is the run before it (same target
/// list), for the changes.
pub fn summarize(
    rows: &[ResultRow],
    targets: usize,
    previous: Option<&[ResultRow]>,
    now: OffsetDateTime,
    within_days: i64,
) -> FleetSummary {
    let mut summary = FleetSummary {
        results: rows.len(),
        targets,
        expiring_within_days: within_days,
        ..Default::default()
    };
    let mut by_code: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        let f = &row.facts;
        if let Some(status) = f.status {
            *summary.statuses.entry(status.as_str().into()).or_default() += 1;
        }
        if let Some(grade) = &f.grade {
            *summary.grades.entry(grade.clone()).or_default() += 1;
        }
        if let Some(code) = &f.code {
            by_code
                .entry(code.clone())
                .or_default()
                .push(row.target.clone());
        }
        if let Some(not_after) = f.not_after {
            summary.expiry_dates.push(not_after);
            let days_left = (not_after - now).whole_days();
            if not_after - now < time::Duration::days(within_days) {
                summary.expiring.push(Expiring {
                    target: row.target.clone(),
                    not_after,
                    days_left,
                    issuer: f.issuer.clone(),
                });
            }
        }
    }
    summary.expiry_dates.sort();
    summary
        .expiring
        .sort_by(|a, b| a.not_after.cmp(&b.not_after).then(a.target.cmp(&b.target)));
    summary.by_code = by_code
        .into_iter()
        .map(|(code, targets)| CodeGroup { code, targets })
        .collect();
    summary.by_code.sort_by(|a, b| {
        b.targets
            .len()
            .cmp(&a.targets.len())
            .then(a.code.cmp(&b.code))
    });
    summary.changes = previous.map(|previous| changes(previous, rows));
    summary
}

/// Per target (by its text in the list): what differs between two runs.
pub fn changes(before: &[ResultRow], after: &[ResultRow]) -> Vec<Change> {
    let old: BTreeMap<&str, &TargetFacts> = before
        .iter()
        .map(|r| (r.target.as_str(), &r.facts))
        .collect();
    let new: BTreeMap<&str, &TargetFacts> = after
        .iter()
        .map(|r| (r.target.as_str(), &r.facts))
        .collect();
    let mut out = Vec::new();
    let change = |target: &str, what, before: Option<String>, after: Option<String>| Change {
        target: target.to_string(),
        what,
        before,
        after,
    };
    for (target, now) in &new {
        let Some(was) = old.get(target) else {
            out.push(change(
                target,
                "new",
                None,
                now.status.map(|s| s.as_str().into()),
            ));
            continue;
        };
        if was.status != now.status {
            out.push(change(
                target,
                "status",
                was.status.map(|s| s.as_str().into()),
                now.status.map(|s| s.as_str().into()),
            ));
        }
        if was.code != now.code {
            out.push(change(target, "code", was.code.clone(), now.code.clone()));
        }
        if was.grade != now.grade {
            out.push(change(
                target,
                "grade",
                was.grade.clone(),
                now.grade.clone(),
            ));
        }
        if was.leaf_sha256.is_some()
            && now.leaf_sha256.is_some()
            && was.leaf_sha256 != now.leaf_sha256
        {
            let date = |f: &TargetFacts| f.not_after.map(|d| d.date().to_string());
            out.push(change(target, "certificate", date(was), date(now)));
        }
    }
    for (target, was) in &old {
        if !new.contains_key(target) {
            out.push(change(
                target,
                "gone",
                was.status.map(|s| s.as_str().into()),
                None,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn row(
        target: &str,
        status: Status,
        code: Option<&str>,
        grade: Option<&str>,
        days: Option<i64>,
        leaf: &str,
    ) -> ResultRow {
        ResultRow {
            target: target.into(),
            facts: TargetFacts {
                status: Some(status),
                code: code.map(Into::into),
                grade: grade.map(Into::into),
                not_after: days.map(|d| datetime!(2026-12-01 0:00 UTC) + time::Duration::days(d)),
                leaf_sha256: Some(leaf.into()),
                issuer: Some("CN=Test CA".into()),
            },
        }
    }

    /// Observations as a scan records them: one SSLv2 version probe with
    /// this TCP outcome (recorded from `scan` against a closed port).
    fn probe_with(tcp: serde_json::Value, dns_error: bool) -> Observations {
        serde_json::from_value(serde_json::json!({
            "target": null,
            "dns": {"skipped": false, "addresses": if dns_error { serde_json::json!([]) } else { serde_json::json!(["127.0.0.1"]) },
                    "error": if dns_error { serde_json::json!("no such host") } else { serde_json::Value::Null }, "elapsed_ms": 0},
            "probes": if dns_error { serde_json::json!([]) } else { serde_json::json!([{
                "request": {"purpose": "version", "version": 2, "kind": {"type": "ssl2", "cipher_specs": [65664]}},
                "ip": "127.0.0.1", "tcp": tcp, "flight": null, "handshake": null, "elapsed_ms": 0}]) },
        }))
        .expect("recorded observations")
    }

    #[test]
    fn refusals_and_stalls_are_pushing_back() {
        let failed = |code: &str| row("x:443", Status::Failed, Some(code), None, None, "1").facts;
        assert!(pushed_back(&failed("tcp_refused")));
        assert!(pushed_back(&failed("handshake_timeout")));
        assert!(!pushed_back(&failed("cert_expired")));
        let warned = row(
            "x:443",
            Status::Warning,
            Some("tcp_timeout"),
            None,
            None,
            "1",
        )
        .facts;
        assert!(!pushed_back(&warned));
    }

    #[test]
    fn an_unreached_scan_names_the_connections_failure() {
        let empty = crate::fixtures::scan_report(
            model::Protocols::default(),
            crate::fixtures::chain("RSA", 2048, true),
        );
        let facts = |obs: &Observations| scan_facts(&empty, obs);
        let refused = probe_with(
            serde_json::json!({"outcome": "refused", "message": "Connection refused (os error 111)"}),
            false,
        );
        assert_eq!(facts(&refused).status, Some(Status::Failed));
        assert_eq!(facts(&refused).code.as_deref(), Some("tcp_refused"));
        let timeout = probe_with(
            serde_json::json!({"outcome": "timeout", "after_ms": 5000}),
            false,
        );
        assert_eq!(facts(&timeout).code.as_deref(), Some("tcp_timeout"));
        let plain = probe_with(
            serde_json::json!({"outcome": "connected", "elapsed_ms": 0}),
            false,
        );
        assert_eq!(facts(&plain).code.as_deref(), Some("not_tls"));
        let dns = probe_with(serde_json::Value::Null, true);
        assert_eq!(facts(&dns).code.as_deref(), Some("dns_failed"));
    }

    #[test]
    fn summary_counts_groups_and_windows() {
        let now = datetime!(2026-12-01 0:00 UTC);
        let rows = vec![
            row("a:443", Status::Ok, None, Some("A"), Some(90), "1"),
            row(
                "b:443",
                Status::Warning,
                Some("cert_expired"),
                Some("T"),
                Some(-3),
                "2",
            ),
            row(
                "c:443",
                Status::Failed,
                Some("tcp_refused"),
                None,
                None,
                "3",
            ),
            row(
                "d:443",
                Status::Warning,
                Some("cert_expired"),
                Some("T"),
                Some(-1),
                "4",
            ),
            row("e:443", Status::Ok, None, Some("A"), Some(20), "5"),
        ];
        let s = summarize(&rows, 6, None, now, 30);
        assert_eq!(s.results, 5);
        assert_eq!(s.statuses["ok"], 2);
        assert_eq!(s.statuses["failed"], 1);
        assert_eq!(s.grades["A"], 2);
        assert_eq!(s.grades["T"], 2);
        assert_eq!(s.by_code[0].code, "cert_expired");
        assert_eq!(s.by_code[0].targets, vec!["b:443", "d:443"]);
        let expiring: Vec<(&str, i64)> = s
            .expiring
            .iter()
            .map(|e| (e.target.as_str(), e.days_left))
            .collect();
        assert_eq!(expiring, vec![("b:443", -3), ("d:443", -1), ("e:443", 20)]);
        assert!(s.changes.is_none());
    }

    #[test]
    fn changes_name_what_moved() {
        let before = vec![
            row("a:443", Status::Ok, None, Some("A"), Some(10), "1"),
            row("b:443", Status::Ok, None, Some("A"), Some(10), "2"),
            row("gone:443", Status::Ok, None, None, None, "9"),
        ];
        let after = vec![
            row("a:443", Status::Ok, None, Some("A"), Some(100), "1b"),
            row(
                "b:443",
                Status::Failed,
                Some("tcp_timeout"),
                None,
                None,
                "2",
            ),
            row("new:443", Status::Ok, None, None, None, "7"),
        ];
        let got: Vec<(String, &str)> = changes(&before, &after)
            .into_iter()
            .map(|c| (c.target, c.what))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a:443".to_string(), "certificate"),
                ("b:443".to_string(), "status"),
                ("b:443".to_string(), "code"),
                ("b:443".to_string(), "grade"),
                ("new:443".to_string(), "new"),
                ("gone:443".to_string(), "gone"),
            ]
        );
    }
}
