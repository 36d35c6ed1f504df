//! Known vulnerabilities of a scanned server, as pure functions: [`plan`]
//! asks for the few probes that need a connection of their own (Heartbleed,
//! CCS injection, ROBOT, Ticketbleed, client renegotiation, STARTTLS
//! command injection), [`assess`]
//! judges every check from those probes and from the scan report
//! (protocols, suites, features, DH).
//!
//! A check that could not run is `not_tested` with the reason, never
//! `not_vulnerable`; "not accepted" is inferred only from complete lists
//! (every protocol's support known, no enumeration interrupted), heuristics
//! (LUCKY13, BEAST) are `potentially_vulnerable`, and ROBOT calls an oracle
//! only when the difference repeats in [`ROBOT_SAMPLES`] samples. Never does I/O, and never plans a probe designed to
//! crash a server: each one asks a question a vulnerable server answers
//! differently from a patched one.

// One file per check: its id, judgement, text, grade cap and the probes it
// needs, in one `CHECK` entry; [`CHECKS`] lists them in report order.
mod beast;
mod ccs_injection;
mod client_renegotiation;
mod crime;
mod drown;
mod fallback_scsv;
mod freak;
mod heartbleed;
mod insecure_renegotiation;
mod logjam;
mod lucky13;
mod poodle;
mod rc4;
mod robot;
mod starttls_injection;
mod sweet32;
mod ticketbleed;

pub use heartbleed::{HEARTBEAT_CLAIMED, HEARTBEAT_PAYLOAD};
pub use robot::ROBOT_SAMPLES;
pub use starttls_injection::injected_command;
pub use ticketbleed::TICKETBLEED_SESSION_ID;

use model::{
    FollowUpObservation, HelloSpec, Observations, ProbeKind, ProbeRecord, ProbeRequest, Purpose,
    RsaPadding, ScanReport, ServerFlight, Target, VulnBasis, VulnCheck, VulnId, VulnProbe,
    VulnStatus, Vulnerabilities,
};
use wire::registry::{
    AlertDescription, CipherSuite, CipherSuiteInfo, Encryption, KeyExchange, Mode, ProtocolVersion,
};

use crate::offers;

/// Every protocol's stable name, and the ones below TLS 1.3 (SSL 2.0 has
/// its own cipher specs, read separately).
const ALL_NAMES: &[&str] = &["ssl2", "ssl3", "tls1_0", "tls1_1", "tls1_2", "tls1_3"];
const LEGACY_NAMES: &[&str] = &["ssl3", "tls1_0", "tls1_1", "tls1_2"];

/// The TLS ≤ 1.2 versions, newest first.
const LEGACY: [ProtocolVersion; 4] = [
    ProtocolVersion::TLS1_2,
    ProtocolVersion::TLS1_1,
    ProtocolVersion::TLS1_0,
    ProtocolVersion::SSL3,
];

fn purpose(name: &str) -> Purpose {
    Purpose::Vulnerability { name: name.into() }
}

/// The newest TLS ≤ 1.2 version in `speaks`.
fn best_legacy(speaks: &[ProtocolVersion]) -> Option<ProtocolVersion> {
    LEGACY.into_iter().find(|v| speaks.contains(v))
}

/// Every suite usable at `version` that `keep` selects.
fn suites_where(
    version: ProtocolVersion,
    keep: impl Fn(&CipherSuiteInfo) -> bool,
) -> Vec<CipherSuite> {
    offers::suites(version)
        .into_iter()
        .filter(|s| s.info().is_some_and(&keep))
        .collect()
}

fn vuln_request(name: &str, probe: VulnProbe) -> ProbeRequest {
    ProbeRequest {
        purpose: purpose(name),
        kind: ProbeKind::Vulnerability(probe),
    }
}

/// One check: everything the scan needs to know about it, in the check's
/// own file.
pub struct Check {
    pub id: VulnId,
    /// What the vulnerability is and what an attacker sees (one paragraph;
    /// docs/vulnerabilities.md has the long form).
    pub explanation: &'static str,
    /// How to fix it (configuration lines for nginx, Apache, HAProxy).
    pub fix: &'static str,
    /// The grade a `vulnerable` verdict caps the server at, if any.
    pub grade_cap: Option<GradeCapRule>,
    judge: fn(&Accepted<'_>) -> VulnCheck,
    /// The probes of its own the check needs, if any.
    plan: Plan,
}

/// When a check plans probes of its own, and from what.
enum Plan {
    None,
    /// Once the server is seen to speak a TLS ≤ 1.2 version: probes that
    /// start with a crafted hello at that version.
    Legacy(fn(&Planning<'_>) -> Vec<ProbeRequest>),
    /// Once the server is seen to speak any TLS version (1.3 only
    /// included): probes whose handshake is rustls's.
    AnyVersion(fn(&Observations, &Target) -> Vec<ProbeRequest>),
}

/// A grade cap: `grade` at most, because of `what`.
pub struct GradeCapRule {
    pub grade: &'static str,
    pub what: &'static str,
}

/// Every check, in report order ([`VulnId::ALL`]).
pub const CHECKS: [&Check; 17] = [
    &heartbleed::CHECK,
    &ccs_injection::CHECK,
    &robot::CHECK,
    &poodle::CHECK,
    &beast::CHECK,
    &sweet32::CHECK,
    &freak::CHECK,
    &logjam::CHECK,
    &drown::CHECK,
    &crime::CHECK,
    &ticketbleed::CHECK,
    &insecure_renegotiation::CHECK,
    &client_renegotiation::CHECK,
    &fallback_scsv::CHECK,
    &rc4::CHECK,
    &lucky13::CHECK,
    &starttls_injection::CHECK,
];

/// The check `id`.
pub fn check_of(id: VulnId) -> &'static Check {
    CHECKS
        .into_iter()
        .find(|c| c.id == id)
        .expect("CHECKS lists every VulnId (tested)")
}

/// What a check's planner sees: the observations so far, the target, the
/// versions the server was seen to speak, and the newest TLS ≤ 1.2 one with
/// its suites.
struct Planning<'a> {
    obs: &'a Observations,
    target: &'a Target,
    speaks: &'a [ProtocolVersion],
    version: ProtocolVersion,
    /// Every suite usable at `version`, cheapest for the server first
    /// ([`offers::cheap_first`]): the probes that offer it ask about
    /// heartbeat, ChangeCipherSpec and tickets, not the key exchange.
    all: Vec<CipherSuite>,
}

impl Planning<'_> {
    /// The probe named `name` has not run yet.
    fn todo(&self, name: &str) -> bool {
        !self.obs.has(&purpose(name))
    }

    /// The probe `name`, when it has not run yet.
    fn once(&self, name: &str, probe: impl FnOnce() -> VulnProbe) -> Vec<ProbeRequest> {
        if self.todo(name) {
            vec![vuln_request(name, probe())]
        } else {
            Vec::new()
        }
    }
}

/// The vulnerability probes still to run, given what the scan has seen
/// (`speaks`: the versions the scan observed the server to speak). Empty
/// until the first round has shown a version the server speaks; the probes
/// built on a crafted hello wait for a TLS ≤ 1.2 one.
pub fn plan(obs: &Observations, target: &Target, speaks: &[ProtocolVersion]) -> Vec<ProbeRequest> {
    if speaks.is_empty() {
        return Vec::new();
    }
    // Checks whose probes need only a server that speaks TLS at all.
    let any_version = CHECKS.iter().filter_map(|c| match c.plan {
        Plan::AnyVersion(plan) => Some(plan(obs, target)),
        _ => None,
    });
    let Some(version) = best_legacy(speaks) else {
        return any_version.flatten().collect();
    };
    let planning = Planning {
        obs,
        target,
        speaks,
        version,
        all: offers::cheap_first(offers::suites(version)),
    };
    CHECKS
        .iter()
        .filter_map(|c| match c.plan {
            Plan::Legacy(plan) => Some(plan(&planning)),
            _ => None,
        })
        .chain(any_version)
        .flatten()
        .collect()
}

fn follow_up(record: &ProbeRecord) -> Option<&FollowUpObservation> {
    record.flight.as_ref()?.follow_up.as_ref()
}

// ---------------------------------------------------------------- judgement

fn check(status: VulnStatus, basis: Option<VulnBasis>, evidence: impl Into<String>) -> VulnCheck {
    VulnCheck {
        status,
        basis,
        evidence: evidence.into(),
        ..Default::default()
    }
}

/// Observed: a probe's answer or an accepted suite shows it.
fn vulnerable(evidence: impl Into<String>) -> VulnCheck {
    check(VulnStatus::Vulnerable, Some(VulnBasis::Observed), evidence)
}

/// Observed: a probe's answer shows the server is not affected.
fn safe(evidence: impl Into<String>) -> VulnCheck {
    check(
        VulnStatus::NotVulnerable,
        Some(VulnBasis::Observed),
        evidence,
    )
}

/// Inferred: a complete enumeration does not hold what the check needs.
fn inferred(evidence: impl Into<String>) -> VulnCheck {
    check(
        VulnStatus::NotVulnerable,
        Some(VulnBasis::Inferred),
        evidence,
    )
}

/// A heuristic: `evidence` says what it rests on, `settled_by` what would
/// settle it.
fn potentially(evidence: impl Into<String>, settled_by: impl Into<String>) -> VulnCheck {
    VulnCheck {
        settled_by: Some(settled_by.into()),
        ..check(
            VulnStatus::PotentiallyVulnerable,
            Some(VulnBasis::Heuristic),
            evidence,
        )
    }
}

fn untested(evidence: impl Into<String>) -> VulnCheck {
    check(VulnStatus::NotTested, None, evidence)
}

/// What a check judges from: the observations, and what the scan report
/// says the server accepts, flattened.
struct Accepted<'a> {
    obs: &'a Observations,
    report: &'a ScanReport,
    /// `(protocol, suite name, registry entry)` for every TLS/SSL 3 suite.
    suites: Vec<(&'static str, &'a str, Option<&'static CipherSuiteInfo>)>,
    /// SSL 2.0 cipher spec names.
    ssl2: Vec<&'a str>,
    /// At least one protocol answered with a ServerHello.
    reached: bool,
    /// TLS ≤ 1.2 (or SSL) is spoken (observed).
    legacy: bool,
    /// TLS 1.3 is spoken and every older version was refused (observed).
    only_tls13: bool,
}

impl<'a> Accepted<'a> {
    fn new(obs: &'a Observations, report: &'a ScanReport) -> Self {
        let mut suites = Vec::new();
        for (name, p) in report.protocols.iter().filter(|(n, _)| *n != "ssl2") {
            for suite in &p.cipher_suites {
                let info = CipherSuite::from_name(suite).and_then(|s| s.info());
                suites.push((name, suite.as_str(), info));
            }
        }
        let ssl2 = report
            .protocols
            .ssl2
            .cipher_suites
            .iter()
            .map(String::as_str)
            .collect();
        let reached = report.protocols.iter().any(|(_, p)| p.is_supported());
        let legacy = report
            .protocols
            .iter()
            .any(|(n, p)| n != "tls1_3" && p.is_supported());
        let only_tls13 = report.protocols.tls1_3.is_supported()
            && report
                .protocols
                .iter()
                .all(|(n, p)| n == "tls1_3" || p.is_refused());
        Self {
            obs,
            report,
            suites,
            ssl2,
            reached,
            legacy,
            only_tls13,
        }
    }

    /// Why the suite lists of `protocols` may miss something: a protocol
    /// whose support is unknown, or an interrupted enumeration. `None` when
    /// each of them was refused or enumerated completely, so the absence of
    /// a suite from the lists is a fact.
    fn gaps(&self, protocols: &[&str]) -> Option<String> {
        let gaps: Vec<String> = self
            .report
            .protocols
            .iter()
            .filter(|(n, _)| protocols.contains(n))
            .filter_map(|(n, p)| {
                if p.is_unknown() {
                    Some(format!("{n} support is unknown ({})", p.evidence))
                } else {
                    p.cipher_suites_interrupted
                        .as_ref()
                        .map(|why| format!("the {n} suite enumeration was interrupted ({why})"))
                }
            })
            .collect();
        (!gaps.is_empty()).then(|| gaps.join("; "))
    }

    /// "None of these is accepted" as a verdict: inferred when the lists of
    /// `protocols` are complete, else not tested with the gap.
    fn none_accepted(&self, protocols: &[&str], evidence: impl Into<String>) -> VulnCheck {
        let evidence = evidence.into();
        match self.gaps(protocols) {
            None => inferred(evidence),
            Some(gap) => untested(format!(
                "none seen so far, but the scan is incomplete: {gap}"
            )),
        }
    }

    /// Why "the server speaks only TLS 1.3" cannot be concluded, as a
    /// verdict; `Some` safe verdict when it can.
    fn tls13_only(&self, why_safe: &str) -> VulnCheck {
        if self.only_tls13 {
            return safe(why_safe.to_string());
        }
        match self.gaps(&["ssl3", "tls1_0", "tls1_1", "tls1_2"]) {
            Some(gap) => untested(format!(
                "no TLS ≤ 1.2 ServerHello was seen, but the scan is incomplete: {gap}"
            )),
            None => untested("no TLS ≤ 1.2 ServerHello was seen"),
        }
    }

    /// Suites (with their protocol) the predicate selects, as `proto: NAME`.
    fn matching(&self, keep: impl Fn(&str, &CipherSuiteInfo) -> bool) -> Vec<String> {
        self.suites
            .iter()
            .filter(|(p, _, i)| i.is_some_and(|i| keep(p, i)))
            .map(|(p, s, _)| format!("{p}: {s}"))
            .collect()
    }

    fn supported(&self, protocol: &str) -> bool {
        self.report
            .protocol(protocol)
            .is_some_and(|p| p.is_supported())
    }

    /// Why a protocol-based check cannot say anything, if it cannot.
    fn unreachable(&self) -> Option<VulnCheck> {
        (!self.reached).then(|| {
            untested("the server completed no TLS or SSL hello at any version, so nothing could be checked")
        })
    }
}

/// Lists at most a few items, saying how many more there are.
fn list(items: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// Judges every check from the scan's observations and its report.
pub fn assess(obs: &Observations, report: &ScanReport) -> Vulnerabilities {
    let acc = Accepted::new(obs, report);
    let mut v = Vulnerabilities::default();
    for check in CHECKS {
        let mut verdict = (check.judge)(&acc);
        verdict.evidence = crate::text::sanitize(&verdict.evidence);
        verdict.explanation = check.explanation.to_string();
        verdict.fix = check.fix.to_string();
        *v.get_mut(check.id) = verdict;
    }
    v
}

/// The probe of a check that needs its own connection, or why there is none.
fn probe_of<'a>(
    obs: &'a Observations,
    acc: &Accepted<'_>,
    name: &str,
) -> Result<(&'a ProbeRecord, &'a ServerFlight), VulnCheck> {
    if let Some(c) = acc.unreachable() {
        return Err(c);
    }
    if !acc.legacy {
        return Err(
            acc.tls13_only("the server speaks only TLS 1.3, which this bug does not affect")
        );
    }
    let Some(record) = obs.probe(&purpose(name)) else {
        return Err(untested("the probe did not run"));
    };
    if !record.tcp.is_connected() {
        return Err(untested(format!(
            "the probe's connection failed ({})",
            crate::failure::tcp_text(&record.tcp)
        )));
    }
    let Some(flight) = record.flight.as_ref() else {
        return Err(untested("the probe recorded no reply"));
    };
    Ok((record, flight))
}

fn alert_name(description: u8) -> String {
    AlertDescription(description).name()
}

/// The first flight ended without a usable ServerHello: why, in a few words.
fn no_hello(flight: &ServerFlight) -> String {
    match flight.alert() {
        Some(a) => format!("alert {}", alert_name(a.description)),
        None => format!("{:?}", flight.end).to_lowercase(),
    }
}

/// How the server reacted after a follow-up: alerts, other records, the end.
fn reaction(f: &FollowUpObservation) -> String {
    let mut parts: Vec<String> = f
        .alerts
        .iter()
        .map(|a| {
            format!(
                "{} alert {}",
                if a.level == 2 { "fatal" } else { "warning" },
                alert_name(a.description)
            )
        })
        .collect();
    parts.extend(f.records.iter().cloned());
    let end = match &f.end {
        model::FlightEnd::Closed => "then closed".to_string(),
        model::FlightEnd::Reset => "then reset".to_string(),
        model::FlightEnd::Timeout => "then silence until the deadline".to_string(),
        model::FlightEnd::Alert | model::FlightEnd::Complete => String::new(),
        other => format!("then {other:?}").to_lowercase(),
    };
    if parts.is_empty() {
        parts.push("nothing".into());
    }
    if !end.is_empty() {
        parts.push(end);
    }
    parts.join(", ")
}

fn is_cbc(i: &CipherSuiteInfo) -> bool {
    i.mode == Mode::Cbc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::ScanContext;
    use model::DnsObservation;

    fn observations() -> Observations {
        let mut obs = Observations::new(Target::new("example.com", 443));
        obs.dns = Some(DnsObservation {
            addresses: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        });
        obs
    }

    fn ctx() -> ScanContext {
        ScanContext {
            now: time::OffsetDateTime::UNIX_EPOCH,
            trust: crate::TrustStores {
                system: Vec::new(),
                ca_file: Vec::new(),
            },
            client_identity: false,
        }
    }

    #[test]
    fn nothing_observed_is_never_not_vulnerable() {
        let report = crate::scan::report(&observations(), &ctx());
        for (name, check) in report.vulnerabilities.iter() {
            assert_eq!(
                check.status,
                VulnStatus::NotTested,
                "{name}: {}",
                check.evidence
            );
            assert!(!check.evidence.is_empty(), "{name}");
            assert!(
                !check.explanation.is_empty() && !check.fix.is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn nothing_is_planned_before_a_version_is_known() {
        assert!(plan(&observations(), &Target::new("example.com", 443), &[]).is_empty());
    }

    /// A TLS 1.2 server with one RSA key exchange suite, and ROBOT samples:
    /// per sample, per variant (in [`RsaPadding::ALL`] order), the alert
    /// description the server answered the ClientKeyExchange with.
    fn robot_case(samples: &[[u8; 5]]) -> (Observations, ScanReport) {
        use model::{AlertObservation, ProbeRecord, ServerFlight, TcpOutcome};
        let mut obs = observations();
        let target = Target::new("example.com", 443);
        let hello_at_tls12 = crate::fixtures::server_hello(ProtocolVersion::TLS1_2, 0x009c);
        // The version probe that showed TLS 1.2 (planning starts from it).
        obs.probes.push(ProbeRecord {
            request: ProbeRequest {
                purpose: Purpose::Version {
                    version: ProtocolVersion::TLS1_2,
                },
                kind: ProbeKind::Hello(offers::hello(
                    &target,
                    ProtocolVersion::TLS1_2,
                    vec![CipherSuite(0x009c)],
                )),
            },
            ip: None,
            tcp: TcpOutcome::Connected { elapsed_ms: 0 },
            transport: None,
            flight: Some(ServerFlight {
                server_hello: Some(hello_at_tls12.clone()),
                end: model::FlightEnd::Complete,
                ..Default::default()
            }),
            handshake: None,
            fetch: None,
            caa: None,
            elapsed_ms: 0,
        });
        for (i, sample) in samples.iter().enumerate() {
            for (padding, alert) in RsaPadding::ALL.iter().zip(sample) {
                let n = u8::try_from(i + 1).unwrap();
                let request = robot::robot_request(
                    &target,
                    ProtocolVersion::TLS1_2,
                    &[CipherSuite(0x009c)],
                    *padding,
                    n,
                );
                obs.probes.push(ProbeRecord {
                    request,
                    ip: None,
                    tcp: TcpOutcome::Connected { elapsed_ms: 0 },
                    transport: None,
                    flight: Some(ServerFlight {
                        server_hello: Some(hello_at_tls12.clone()),
                        end: model::FlightEnd::Complete,
                        follow_up: Some(FollowUpObservation {
                            sent: vec!["client_key_exchange".into()],
                            alerts: vec![AlertObservation {
                                level: 2,
                                description: *alert,
                            }],
                            end: model::FlightEnd::Closed,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    handshake: None,
                    fetch: None,
                    caa: None,
                    elapsed_ms: 0,
                });
            }
        }
        let protocols = model::Protocols {
            tls1_2: crate::fixtures::protocol(&["TLS_RSA_WITH_AES_128_GCM_SHA256"], None, &[]),
            ..Default::default()
        };
        let report =
            crate::fixtures::scan_report(protocols, crate::fixtures::chain("rsa", 2048, true));
        (obs, report)
    }

    #[test]
    fn robot_repeats_differing_variants_before_it_calls_an_oracle() {
        let oracle = [20, 40, 40, 40, 40];
        // One sample that differs: the repeats are planned, no verdict yet.
        let (obs, report) = robot_case(&[oracle]);
        let planned = plan(
            &obs,
            &Target::new("example.com", 443),
            &[ProtocolVersion::TLS1_2],
        );
        let repeats = planned
            .iter()
            .filter(|r| matches!(&r.purpose, Purpose::Vulnerability { name } if name.starts_with("robot:") && name.ends_with(":2")))
            .count();
        assert_eq!(repeats, 5);
        let robot = assess(&obs, &report).robot;
        assert_eq!(robot.status, VulnStatus::NotTested, "{}", robot.evidence);
        // The same difference three times: an oracle.
        let (obs, report) = robot_case(&[oracle, oracle, oracle]);
        let robot = assess(&obs, &report).robot;
        assert_eq!(robot.status, VulnStatus::Vulnerable, "{}", robot.evidence);
        assert_eq!(robot.basis, Some(VulnBasis::Observed));
        // A difference that does not repeat is noise.
        let (obs, report) = robot_case(&[oracle, [40; 5], oracle]);
        let robot = assess(&obs, &report).robot;
        assert_eq!(robot.status, VulnStatus::NotTested, "{}", robot.evidence);
        assert!(robot.evidence.contains("not consistent"));
        // No difference: one sample is enough, and nothing more is planned.
        let (obs, report) = robot_case(&[[40; 5]]);
        assert!(plan(
            &obs,
            &Target::new("example.com", 443),
            &[ProtocolVersion::TLS1_2]
        )
        .iter()
        .all(
            |r| !matches!(&r.purpose, Purpose::Vulnerability { name } if name.starts_with("robot:"))
        ));
        assert_eq!(
            assess(&obs, &report).robot.status,
            VulnStatus::NotVulnerable
        );
    }

    #[test]
    fn heuristics_are_potentially_vulnerable_with_what_would_settle_them() {
        let protocols = model::Protocols {
            tls1_0: crate::fixtures::protocol(
                &["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"],
                None,
                &["x25519"],
            ),
            tls1_2: crate::fixtures::protocol(
                &["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"],
                None,
                &["x25519"],
            ),
            ..Default::default()
        };
        let report =
            crate::fixtures::scan_report(protocols, crate::fixtures::chain("rsa", 2048, true));
        let v = assess(&observations(), &report);
        for check in [&v.lucky13, &v.beast] {
            assert_eq!(
                check.status,
                VulnStatus::PotentiallyVulnerable,
                "{}",
                check.evidence
            );
            assert_eq!(check.basis, Some(VulnBasis::Heuristic));
            assert!(check.settled_by.is_some());
        }
    }

    #[test]
    fn every_check_is_listed_once_in_report_order_with_its_text() {
        let ids: Vec<VulnId> = CHECKS.iter().map(|c| c.id).collect();
        assert_eq!(ids, VulnId::ALL);
        for check in CHECKS {
            assert!(
                check.explanation.len() > 80 && !check.fix.is_empty(),
                "{}",
                check.id
            );
        }
    }

    /// docs/vulnerabilities.md has a section for every check, under its
    /// stable name.
    #[test]
    fn every_check_is_documented() {
        let docs = include_str!("../../../../docs/vulnerabilities.md");
        for id in VulnId::ALL {
            assert!(
                docs.contains(&format!("### {id}")),
                "docs lack a section `{id}`"
            );
        }
    }
}
