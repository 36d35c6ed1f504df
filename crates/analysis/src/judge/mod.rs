//! From observations to a report: walk the handshake's steps in order, judge
//! each from what was seen, and stop at the first step that failed.

use std::net::IpAddr;

use model::{
    Code, Diagnosis, FlightEnd, HandshakeError, HandshakeObservation, Negotiated, Observations,
    ProbeRecord, Purpose, Report, ServerFlight, Severity, Step, StepReport, StepStatus,
    TargetReport, TcpOutcome, Verdict,
};
use time::OffsetDateTime;
use wire::registry::{AlertDescription, CipherSuite, NamedGroup, ProtocolVersion};

use crate::certs::{self, CertInfo, PathResult, Store};
use crate::ocsp::{
    self, CertStatus, Match, OcspError, ResponseStatus, RevocationReason, SignatureCheck, Staple,
};
use crate::text::{printable_prefix, sanitize};
use crate::{fixes, interception, Context};

// One module per step of the walk; shared helpers stay here.
mod certificate;
mod client_certificate;
mod dns;
mod finished;
mod server_hello;
mod tcp;

pub(crate) use tcp::failed_connection_code;
mod transport;
mod warnings;

use certificate::*;
use client_certificate::*;
use dns::*;
use finished::*;
use server_hello::*;
use tcp::*;
pub(crate) use transport::transcript;
use transport::*;
use warnings::*;

/// Certificates expiring within this many days get a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;
/// A clock difference above this is worth blaming.
const CLOCK_SKEW_SECONDS: i64 = 600;

/// Collects steps and diagnoses while walking the handshake.
struct Walk<'a> {
    obs: &'a Observations,
    ctx: &'a Context,
    steps: Vec<StepReport>,
    diagnoses: Vec<Diagnosis>,
}

impl Walk<'_> {
    fn step(&mut self, step: Step, status: StepStatus, detail: impl Into<String>) {
        self.steps.push(StepReport {
            step,
            status,
            detail: detail.into(),
        });
    }

    fn diagnose(
        &mut self,
        code: Code,
        severity: Severity,
        step: Step,
        summary: impl Into<String>,
        evidence: Vec<String>,
        fix: Vec<String>,
    ) {
        self.diagnoses.push(Diagnosis {
            code,
            severity,
            step,
            summary: summary.into(),
            evidence,
            fix,
        });
    }

    fn failed(&self) -> bool {
        self.steps.iter().any(|s| s.status == StepStatus::Failed)
    }
}

pub(crate) fn report(obs: &Observations, ctx: &Context) -> Report {
    let mut walk = Walk {
        obs,
        ctx,
        steps: Vec::new(),
        diagnoses: Vec::new(),
    };
    let main = obs
        .probe(&Purpose::ClientHello)
        .or_else(|| obs.probe(&Purpose::Handshake));
    let handshake = obs.probe(&Purpose::Handshake);

    dns_step(&mut walk);
    if !walk.failed() {
        tcp_step(&mut walk, main);
    }
    if !walk.failed() {
        transport_step(&mut walk, main);
    }
    if !walk.failed() {
        server_hello_step(&mut walk, main);
    }
    if !walk.failed() {
        certificate_step(&mut walk, main, handshake);
    }
    // The connection that carried the client's own handshake past the
    // ServerHello: rustls's, or tlsdoctor's own engine's when rustls cannot
    // negotiate what the server chose. Its ending says what the server did
    // about the client certificate.
    let source = crate::finish::source(obs, ctx, main, handshake);
    let carrier = match &source {
        crate::finish::Source::Record { record, .. } => *record,
        _ => None,
    };
    if !walk.failed() {
        client_certificate_step(&mut walk, main, carrier);
    }
    if !walk.failed() {
        match source {
            crate::finish::Source::Record { record, note } => {
                finished_step(&mut walk, record);
                if let Some(step) = walk.steps.iter_mut().find(|s| s.step == Step::Finished) {
                    if let Some(note) = note {
                        step.detail = format!("{}; {note}", step.detail);
                    }
                }
            }
            crate::finish::Source::NotTested(why) => {
                walk.step(Step::Finished, StepStatus::NotTested, why);
            }
            crate::finish::Source::ClientRefuses {
                code,
                summary,
                evidence,
                fix,
            } => {
                walk.step(Step::Finished, StepStatus::Failed, summary.clone());
                walk.diagnose(
                    code,
                    Severity::Error,
                    Step::Finished,
                    summary,
                    evidence,
                    fix,
                );
            }
        }
    }
    if !walk.failed() {
        let (step, diagnoses) = crate::application::judge(obs.target.as_ref(), main, handshake);
        walk.steps.push(step);
        walk.diagnoses.extend(diagnoses);
    }
    protocol_warnings(&mut walk);
    next_hurdles(&mut walk, main, carrier);
    let failed_at = walk.steps.iter().find(|s| s.status == StepStatus::Failed);
    if failed_at.map(|s| s.step) == Some(Step::Certificate) {
        let next = crate::application::next_hurdles(obs.target.as_ref(), main, handshake);
        walk.diagnoses.extend(next);
    }
    let plain = obs.target.as_ref().is_none_or(|t| t.transport.is_plain());
    for step in Step::ALL {
        if step == Step::Transport && plain {
            continue;
        }
        if !walk.steps.iter().any(|s| s.step == step) {
            walk.step(
                step,
                StepStatus::NotReached,
                "not reached: an earlier step failed",
            );
        }
    }

    // Primary first: errors before warnings before notes, in step order.
    walk.diagnoses
        .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.step.cmp(&b.step)));
    let verdict = match walk.diagnoses.first().map(|d| d.severity) {
        Some(Severity::Error) => Verdict::Failed,
        Some(Severity::Warning) => Verdict::Warning,
        _ => Verdict::Ok,
    };
    let failed_step = walk
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .map(|s| s.step);
    let target = obs.target.clone();
    Report {
        schema_version: model::SCHEMA_VERSION,
        target: TargetReport {
            host: target.as_ref().map(|t| t.host.clone()).unwrap_or_default(),
            port: target.as_ref().map(|t| t.port).unwrap_or(0),
            ip: main.and_then(|p| p.ip),
            sni: target.as_ref().and_then(|t| t.sni.clone()),
            transport: target.as_ref().and_then(|t| t.transport.describe()),
        },
        client: ctx.client.name.to_string(),
        verdict,
        failed_step,
        steps: walk.steps,
        negotiated: negotiated(main, handshake),
        diagnoses: walk.diagnoses,
        connections: obs.connections(),
        elapsed_ms: obs.probes.iter().map(|p| p.elapsed_ms).max().unwrap_or(0),
    }
}

fn versions_text(versions: &[ProtocolVersion]) -> String {
    versions
        .iter()
        .map(|v| v.display_name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn suites_text(suites: &[CipherSuite], limit: usize) -> String {
    let mut names: Vec<String> = suites
        .iter()
        .take(limit)
        .map(|s| s.name().to_string())
        .collect();
    if suites.len() > limit {
        names.push(format!("and {} more", suites.len() - limit));
    }
    names.join(", ")
}

fn groups_text(groups: &[NamedGroup]) -> String {
    groups
        .iter()
        .map(|g| g.name().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn alert_text(description: u8) -> (String, String) {
    let alert = AlertDescription(description);
    (alert.name().to_string(), alert.meaning().to_string())
}

pub(crate) fn accepted_versions(obs: &Observations) -> Vec<ProtocolVersion> {
    let mut versions: Vec<ProtocolVersion> = obs
        .probes
        .iter()
        .filter_map(|p| match &p.request.purpose {
            Purpose::Version { version } => {
                let flight = p.flight.as_ref()?;
                let accepted = flight
                    .server_hello
                    .as_ref()
                    .is_some_and(|sh| sh.version == *version)
                    || (flight.hello_retry_group.is_some() && *version == ProtocolVersion::TLS1_3);
                accepted.then_some(*version)
            }
            _ => None,
        })
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

/// The newest version the server accepted.
pub(crate) fn best_accepted_version(obs: &Observations) -> Option<ProtocolVersion> {
    accepted_versions(obs).into_iter().max()
}

/// The suites the server chose at `version` across the version and suite probes.
pub(crate) fn accepted_suites(obs: &Observations, version: ProtocolVersion) -> Vec<CipherSuite> {
    let mut suites = Vec::new();
    for p in &obs.probes {
        let relevant = match &p.request.purpose {
            Purpose::Version { version: v } | Purpose::Suites { version: v, .. } => *v == version,
            _ => false,
        };
        if let Some(sh) = p.flight.as_ref().and_then(|f| f.server_hello.as_ref()) {
            if relevant && sh.version == version && !suites.contains(&sh.cipher_suite) {
                suites.push(sh.cipher_suite);
            }
        }
    }
    suites
}

fn version_flight(obs: &Observations, version: ProtocolVersion) -> Option<&ServerFlight> {
    obs.probe(&Purpose::Version { version })
        .and_then(|p| p.flight.as_ref())
}

fn refused_versions(obs: &Observations) -> Vec<ProtocolVersion> {
    let accepted = accepted_versions(obs);
    ProtocolVersion::ALL
        .iter()
        .copied()
        .filter(|v| obs.has(&Purpose::Version { version: *v }) && !accepted.contains(v))
        .collect()
}

/// What the chosen client negotiates: the server's answer to the client's
/// own hello (version, suite, group), not the second handshake's, which
/// offers its engine's suites. ALPN is encrypted under TLS 1.3, so it comes
/// from the full handshake (which offers the same protocols) when the hello
/// did not show it.
fn negotiated(main: Option<&ProbeRecord>, handshake: Option<&ProbeRecord>) -> Option<Negotiated> {
    let full = handshake
        .and_then(|p| p.handshake.as_ref())
        .filter(|h| h.completed);
    let flight = main.and_then(|m| m.flight.as_ref());
    if let Some(sh) = flight.and_then(|f| f.server_hello.as_ref()) {
        let group = sh.group.or_else(|| {
            flight
                .and_then(|f| f.key_exchange.as_ref())
                .and_then(|k| k.group)
        });
        return Some(Negotiated {
            version: sh.version.to_string(),
            cipher_suite: sh.cipher_suite.name().to_string(),
            group: group.map(|g| g.name().to_string()),
            alpn: sh
                .alpn
                .clone()
                .or_else(|| full.and_then(|h| h.alpn.clone())),
        });
    }
    let h = full?;
    Some(Negotiated {
        version: h.version.map(|v| v.to_string()).unwrap_or_default(),
        cipher_suite: h
            .cipher_suite
            .map(|s| s.name().to_string())
            .unwrap_or_default(),
        group: h.group.map(|g| g.name().to_string()),
        alpn: h.alpn.clone(),
    })
}

/// Parses an HTTP `Date` (RFC 9110 §5.6.7 IMF-fixdate).
fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| t.assume_utc())
}

fn date(t: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&format).unwrap_or_else(|_| t.to_string())
}

fn days_between(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    (to - from).whole_days()
}

/// `host:port` of the target (IPv6 bracketed), for command lines in fixes.
fn target_text(obs: &Observations) -> String {
    fixes::target_arg(obs.target.as_ref())
}

/// A DER distinguished name as text, when it parses.
pub(crate) fn dn_text(der: &[u8]) -> Option<String> {
    use x509_parser::prelude::FromDer;
    let (_, name) = x509_parser::x509::X509Name::from_der(der).ok()?;
    Some(sanitize(&name.to_string()))
}
