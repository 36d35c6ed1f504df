//! Known vulnerabilities of a scanned server, as pure functions: [`plan`]
//! asks for the few probes that need a connection of their own (Heartbleed,
//! CCS injection, ROBOT, Ticketbleed, client renegotiation), [`assess`]
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

mod text;

use model::{
    FollowUpObservation, HelloSpec, Observations, ProbeKind, ProbeRecord, ProbeRequest, Purpose,
    RsaPadding, ScanReport, ServerFlight, Target, VulnBasis, VulnCheck, VulnProbe, VulnStatus,
    Vulnerabilities,
};
use wire::registry::{
    AlertDescription, CipherSuite, CipherSuiteInfo, Encryption, KeyExchange, Mode, ProtocolVersion,
};

use crate::scan::{group_list, supports};

/// The heartbeat payload we send (16 bytes, ours, recognisable).
pub const HEARTBEAT_PAYLOAD: &[u8; 16] = b"tlsdoctor-hb-req";
/// The payload_length we claim: more than we send, little enough that a
/// vulnerable server's answer fits in one record and leaks only a little.
pub const HEARTBEAT_CLAIMED: u16 = 1024;
/// The one-byte session ID of the Ticketbleed hello.
pub const TICKETBLEED_SESSION_ID: [u8; 1] = [0x5a];

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

fn robot_name(padding: RsaPadding) -> String {
    format!("robot:{}", padding.as_str())
}

/// How many times each ROBOT variant is sent when the first samples differ:
/// an oracle answers the same way every time, a network hiccup does not.
pub const ROBOT_SAMPLES: u8 = 3;

/// The purpose name of sample `n` (1-based; the first keeps the plain name).
fn robot_sample_name(padding: RsaPadding, n: u8) -> String {
    if n <= 1 {
        robot_name(padding)
    } else {
        format!("robot:{}:{n}", padding.as_str())
    }
}

/// The server's reaction to each variant in sample `n`, when all five ran
/// to the end (connected, ClientKeyExchange sent).
fn robot_sample(obs: &Observations, n: u8) -> Option<Vec<String>> {
    RsaPadding::ALL
        .iter()
        .map(|p| {
            let record = obs.probe(&purpose(&robot_sample_name(*p, n)))?;
            if crate::scan::failure(record, obs).is_some() && follow_up(record).is_none() {
                return None;
            }
            let f = follow_up(record).filter(|f| f.skipped.is_none())?;
            Some(reaction(f))
        })
        .collect()
}

/// The newest TLS ≤ 1.2 version the server speaks.
fn best_legacy(obs: &Observations) -> Option<ProtocolVersion> {
    LEGACY.into_iter().find(|v| supports(obs, *v))
}

/// A hello at exactly `version` offering `suites`, with the extensions a
/// current client sends.
fn hello(target: &Target, version: ProtocolVersion, suites: Vec<CipherSuite>) -> HelloSpec {
    HelloSpec {
        versions: vec![version],
        cipher_suites: suites,
        groups: if version >= ProtocolVersion::TLS1_0 {
            group_list(version)
        } else {
            Vec::new()
        },
        signature_algorithms: crate::plan::all_signature_schemes(),
        sni: target.sni.clone(),
        modern_extensions: true,
        ..Default::default()
    }
}

/// Every suite usable at `version` that `keep` selects.
fn suites_where(
    version: ProtocolVersion,
    keep: impl Fn(&CipherSuiteInfo) -> bool,
) -> Vec<CipherSuite> {
    crate::scan::suite_list(version)
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

/// The vulnerability probes still to run, given what the scan has seen.
/// Empty until the first round has shown which versions the server speaks.
pub fn plan(obs: &Observations, target: &Target) -> Vec<ProbeRequest> {
    let Some(version) = best_legacy(obs) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let all = crate::scan::suite_list(version);
    let todo = |name: &str| !obs.has(&purpose(name));
    if todo("heartbleed") {
        out.push(vuln_request(
            "heartbleed",
            VulnProbe::Heartbeat {
                hello: HelloSpec {
                    heartbeat: true,
                    ..hello(target, version, all.clone())
                },
                payload: HEARTBEAT_PAYLOAD.to_vec(),
                payload_length: HEARTBEAT_CLAIMED,
            },
        ));
    }
    if todo("ccs_injection") {
        out.push(vuln_request(
            "ccs_injection",
            VulnProbe::EarlyCcs {
                hello: hello(target, version, all.clone()),
            },
        ));
    }
    if todo("ticketbleed") {
        out.push(vuln_request(
            "ticketbleed",
            VulnProbe::TicketEcho {
                hello: HelloSpec {
                    modern_extensions: false,
                    ..hello(target, version, all)
                },
                session_id: TICKETBLEED_SESSION_ID.to_vec(),
            },
        ));
    }
    // Client renegotiation: tlsdoctor's own TLS 1.2 client runs only
    // ECDHE with AES-128-GCM over x25519 or secp256r1.
    if todo("client_renegotiation") && supports(obs, ProtocolVersion::TLS1_2) {
        out.push(vuln_request(
            "client_renegotiation",
            VulnProbe::Renegotiate {
                hello: HelloSpec {
                    groups: wire::tls12::GROUPS.to_vec(),
                    modern_extensions: false,
                    ..hello(
                        target,
                        ProtocolVersion::TLS1_2,
                        wire::tls12::SUITES.to_vec(),
                    )
                },
            },
        ));
    }
    // ROBOT: the valid block first; the four malformed ones only when the
    // server took an RSA key exchange suite and our ClientKeyExchange.
    let rsa = suites_where(version, |i| i.kx == KeyExchange::Rsa && !i.export);
    let correct = robot_name(RsaPadding::Correct);
    match obs.probe(&purpose(&correct)) {
        None if !rsa.is_empty() => {
            out.push(robot_request(target, version, &rsa, RsaPadding::Correct, 1))
        }
        Some(record) if follow_up(record).is_some_and(|f| !f.sent.is_empty()) => {
            for padding in &RsaPadding::ALL[1..] {
                if todo(&robot_name(*padding)) {
                    out.push(robot_request(target, version, &rsa, *padding, 1));
                }
            }
            // The first samples differ: repeat every variant before calling
            // it an oracle.
            let differ = robot_sample(obs, 1).is_some_and(|r| r.iter().any(|x| *x != r[0]));
            if differ {
                for n in 2..=ROBOT_SAMPLES {
                    for padding in RsaPadding::ALL {
                        if todo(&robot_sample_name(padding, n)) {
                            out.push(robot_request(target, version, &rsa, padding, n));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

fn robot_request(
    target: &Target,
    version: ProtocolVersion,
    rsa: &[CipherSuite],
    padding: RsaPadding,
    sample: u8,
) -> ProbeRequest {
    vuln_request(
        &robot_sample_name(padding, sample),
        VulnProbe::RsaPadding {
            hello: hello(target, version, rsa.to_vec()),
            padding,
        },
    )
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

/// What the scan report says the server accepts, flattened.
struct Accepted<'a> {
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
    fn new(report: &'a ScanReport) -> Self {
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
    let acc = Accepted::new(report);
    let mut v = Vulnerabilities {
        heartbleed: heartbleed(obs, &acc),
        ccs_injection: ccs_injection(obs, &acc),
        robot: robot(obs, &acc),
        poodle_ssl3: poodle(&acc),
        beast: beast(&acc),
        sweet32: sweet32(&acc),
        freak: freak(&acc),
        logjam: logjam(&acc),
        drown: drown(&acc),
        crime: crime(&acc),
        ticketbleed: ticketbleed(obs, &acc),
        insecure_renegotiation: insecure_renegotiation(&acc),
        client_renegotiation: client_renegotiation(obs, &acc),
        fallback_scsv: fallback_scsv(obs, &acc),
        rc4: rc4(&acc),
        lucky13: lucky13(&acc),
    };
    for name in Vulnerabilities::NAMES {
        if let Some(c) = v.get_mut(name) {
            c.evidence = crate::text::sanitize(&c.evidence);
            let (explanation, fix) = text::about(name);
            c.explanation = explanation.to_string();
            c.fix = fix.to_string();
        }
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
            tcp_text(record)
        )));
    }
    let Some(flight) = record.flight.as_ref() else {
        return Err(untested("the probe recorded no reply"));
    };
    Ok((record, flight))
}

fn tcp_text(record: &ProbeRecord) -> String {
    use model::TcpOutcome;
    match &record.tcp {
        TcpOutcome::Connected { .. } => "connected".into(),
        TcpOutcome::Refused { .. } => "connection refused".into(),
        TcpOutcome::Timeout { .. } => "connection timed out".into(),
        TcpOutcome::Unreachable { message } | TcpOutcome::Error { message } => message.clone(),
        TcpOutcome::NotAttempted => "not attempted".into(),
    }
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

fn heartbleed(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    let (_, flight) = match probe_of(obs, acc, "heartbleed") {
        Ok(p) => p,
        Err(c) => return c,
    };
    let Some(sh) = &flight.server_hello else {
        return untested(format!(
            "no ServerHello to the heartbeat hello ({})",
            no_hello(flight)
        ));
    };
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing after the first flight");
    };
    if let Some(why) = &f.skipped {
        if !sh.extensions.contains(&wire::registry::ExtensionType(15)) {
            return safe(
                "the ServerHello does not echo the heartbeat extension (RFC 6520): the server does not process heartbeat messages",
            );
        }
        return untested(format!("the heartbeat request was not sent: {why}"));
    }
    let sent = HEARTBEAT_PAYLOAD.len();
    if let Some(hb) = f
        .heartbeats
        .iter()
        .find(|h| usize::from(h.payload_length) > sent && h.record_len as usize > sent + 3)
    {
        let returned = (hb.record_len as usize).min(usize::from(hb.payload_length));
        return vulnerable(format!(
            "heartbeat request with {sent} bytes of payload claiming {HEARTBEAT_CLAIMED}: the server answered with a {} byte payload ({} bytes more than we sent, from its memory)",
            returned,
            returned.saturating_sub(sent)
        ));
    }
    if f.heartbeats.iter().any(|h| h.echoes_payload) {
        return safe(format!(
            "the server negotiated heartbeat and answered the over-long request with only the {sent} bytes we sent"
        ));
    }
    safe(format!(
        "the server negotiated heartbeat; a request claiming {HEARTBEAT_CLAIMED} bytes with {sent} sent was not answered with more than we sent ({})",
        reaction(f)
    ))
}

fn ccs_injection(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    let (_, flight) = match probe_of(obs, acc, "ccs_injection") {
        Ok(p) => p,
        Err(c) => return c,
    };
    if flight.server_hello.is_none() {
        return untested(format!("no ServerHello ({})", no_hello(flight)));
    }
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing after the first flight");
    };
    if let Some(why) = &f.skipped {
        return untested(format!("the early ChangeCipherSpec was not sent: {why}"));
    }
    // bad_record_mac / decryption_failed: the server switched to keys made
    // from the (empty) master secret the early CCS gave it.
    let decrypt_failed = f.alerts.iter().any(|a| matches!(a.description, 20 | 21));
    if decrypt_failed {
        return vulnerable(format!(
            "ChangeCipherSpec sent right after ServerHelloDone was accepted: the server then failed to decrypt with keys from an empty master secret ({})",
            reaction(f)
        ));
    }
    let after_ccs_only = f.sent.len() == 1;
    if after_ccs_only {
        return safe(format!(
            "ChangeCipherSpec sent right after ServerHelloDone was refused: {}",
            reaction(f)
        ));
    }
    if f.alerts.is_empty() {
        return untested(format!(
            "the server neither refused the early ChangeCipherSpec nor showed that it took it: {}",
            reaction(f)
        ));
    }
    safe(format!(
        "the server stayed silent after the early ChangeCipherSpec but refused the next record with an alert, as a patched server does: {}",
        reaction(f)
    ))
}

fn robot(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let rsa = acc.matching(|_, i| i.kx == KeyExchange::Rsa);
    if !acc.legacy {
        return acc.tls13_only("the server speaks only TLS 1.3, which has no RSA key exchange");
    }
    let name = robot_name(RsaPadding::Correct);
    let first = match probe_of(obs, acc, &name) {
        Ok(p) => p,
        Err(c) if rsa.is_empty() && c.status == VulnStatus::NotTested => {
            return acc.none_accepted(LEGACY_NAMES, "the server accepts no RSA key exchange suite");
        }
        Err(c) => return c,
    };
    let Some(f) = first.1.follow_up.as_ref() else {
        return untested("the probe recorded nothing after the first flight");
    };
    if let Some(why) = &f.skipped {
        if first.1.server_hello.is_none()
            && rsa.is_empty()
            && crate::scan::failure(first.0, obs).is_none()
        {
            return safe(format!(
                "the server refused every RSA key exchange suite ({})",
                no_hello(first.1)
            ));
        }
        return untested(format!("no ClientKeyExchange could be sent: {why}"));
    }
    let mut replies: Vec<(RsaPadding, String)> = Vec::new();
    for padding in RsaPadding::ALL {
        let record = match probe_of(obs, acc, &robot_name(padding)) {
            Ok(p) => p,
            Err(c) => {
                return untested(format!(
                    "the {} variant did not run to the end: {}",
                    padding.as_str(),
                    c.evidence
                ))
            }
        };
        match record.1.follow_up.as_ref() {
            Some(f) if f.skipped.is_none() => replies.push((padding, reaction(f))),
            Some(f) => {
                return untested(format!(
                    "the {} variant was not sent: {}",
                    padding.as_str(),
                    f.skipped.clone().unwrap_or_default()
                ))
            }
            None => return untested("a variant recorded nothing after the first flight"),
        }
    }
    let suite = first
        .1
        .server_hello
        .as_ref()
        .map(|s| s.cipher_suite.name())
        .unwrap_or_default();
    let same = replies.iter().all(|(_, r)| *r == replies[0].1);
    let silent = |p: &RsaPadding| {
        obs.probe(&purpose(&robot_name(*p)))
            .and_then(follow_up)
            .is_some_and(|f| {
                f.alerts.is_empty() && f.bytes_received == 0 && f.end == model::FlightEnd::Timeout
            })
    };
    if same && RsaPadding::ALL.iter().all(silent) {
        return untested(format!(
            "with {suite}, the server reacted to none of the five ClientKeyExchange variants before the deadline: no replies to compare"
        ));
    }
    if same {
        return safe(format!(
            "with {suite}, all five ClientKeyExchange variants (valid and malformed PKCS#1 padding) got the same reply: {}",
            replies[0].1
        ));
    }
    let detail: Vec<String> = replies
        .iter()
        .map(|(p, r)| format!("{} → {r}", p.as_str()))
        .collect();
    // One sample can differ by accident (a reset, a timeout): the
    // difference must repeat in every sample.
    for n in 2..=ROBOT_SAMPLES {
        let Some(again) = robot_sample(obs, n) else {
            return untested(format!(
                "with {suite}, the first samples differed ({}), but repeat sample {n} of {ROBOT_SAMPLES} did not run to the end",
                detail.join("; ")
            ));
        };
        let first: Vec<&String> = replies.iter().map(|(_, r)| r).collect();
        if again.iter().collect::<Vec<_>>() != first {
            return untested(format!(
                "with {suite}, the replies were not consistent across samples (first: {}; sample {n}: {}): network noise, not a proven oracle",
                detail.join("; "),
                again.join("; ")
            ));
        }
    }
    vulnerable(format!(
        "with {suite}, the server answers RSA ClientKeyExchange messages differently depending on the PKCS#1 padding, the same way in each of {ROBOT_SAMPLES} samples (a Bleichenbacher oracle): {}",
        detail.join("; ")
    ))
}

fn is_cbc(i: &CipherSuiteInfo) -> bool {
    i.mode == Mode::Cbc
}

fn poodle(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let ssl3 = &acc.report.protocols.ssl3;
    if ssl3.is_unknown() {
        return untested(format!("SSL 3.0 support is unknown ({})", ssl3.evidence));
    }
    if ssl3.is_refused() {
        return safe(format!("SSL 3.0 is not supported ({})", ssl3.evidence));
    }
    let cbc = acc.matching(|p, i| p == "ssl3" && is_cbc(i));
    if cbc.is_empty() {
        return acc.none_accepted(
            &["ssl3"],
            "SSL 3.0 is supported, but with no CBC suite (see rc4)",
        );
    }
    vulnerable(format!(
        "SSL 3.0 is supported with CBC suites: {}",
        list(&cbc)
    ))
}

fn beast(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let cbc = acc.matching(|p, i| matches!(p, "ssl3" | "tls1_0") && is_cbc(i));
    if !cbc.is_empty() {
        return potentially(
            format!(
                "heuristic: CBC suites at SSL 3.0/TLS 1.0, where the IV of each record is predictable: {}. The attack needs a client that does not split records (1/n-1); every current browser and TLS library does, so only old or unusual clients are exposed",
                list(&cbc)
            ),
            "no server-side probe can: the exposure depends on the clients. It is settled for good by turning off TLS 1.0 and SSL 3.0 (or their CBC suites), after which this check reads not_vulnerable",
        );
    }
    if acc.supported("tls1_0") || acc.supported("ssl3") {
        return acc.none_accepted(
            &["ssl3", "tls1_0"],
            "TLS 1.0/SSL 3.0 are supported, but with no CBC suite",
        );
    }
    acc.none_accepted(
        &["ssl3", "tls1_0"],
        "neither SSL 3.0 nor TLS 1.0 is supported",
    )
}

fn sweet32(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let mut found = acc.matching(|_, i| {
        matches!(
            i.enc,
            Encryption::TripleDes
                | Encryption::Des
                | Encryption::Idea
                | Encryption::Rc2
                | Encryption::Magma
                | Encryption::Gost
        )
    });
    found.extend(
        acc.ssl2
            .iter()
            .filter(|s| s.contains("DES") || s.contains("RC2") || s.contains("IDEA"))
            .map(|s| format!("ssl2: {s}")),
    );
    if found.is_empty() {
        return acc.none_accepted(
            ALL_NAMES,
            "no suite with a 64-bit block cipher (3DES, DES, IDEA, RC2) is accepted",
        );
    }
    vulnerable(format!(
        "suites with a 64-bit block cipher are accepted: {}",
        list(&found)
    ))
}

fn freak(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let found = acc.matching(|_, i| i.export && i.kx == KeyExchange::Rsa);
    if found.is_empty() {
        return acc.none_accepted(LEGACY_NAMES, "no export RSA suite is accepted");
    }
    vulnerable(format!("export RSA suites are accepted: {}", list(&found)))
}

fn logjam(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let export = acc.matching(|_, i| i.export && i.kx == KeyExchange::Dhe);
    if !export.is_empty() {
        return vulnerable(format!(
            "export DHE suites (512-bit groups) are accepted: {}",
            list(&export)
        ));
    }
    let dhe = acc.matching(|_, i| i.kx == KeyExchange::Dhe);
    let Some(dh) = &acc.report.dh else {
        if dhe.is_empty() {
            return acc.none_accepted(LEGACY_NAMES, "no DHE suite is accepted");
        }
        return untested(format!(
            "DHE suites are accepted ({}) but the DH parameters were not measured",
            list(&dhe)
        ));
    };
    if dh.prime_bits < 1024 {
        return vulnerable(format!(
            "DHE with a {}-bit prime (under 1024 bits)",
            dh.prime_bits
        ));
    }
    if dh.prime_bits <= 1024 {
        if let Some(name) = &dh.well_known {
            return vulnerable(format!(
                "DHE with the common 1024-bit prime {name}, shared by many servers (precomputation breaks it for all of them)"
            ));
        }
        // The prime is observed; "no export DHE suite" needs complete lists.
        return acc.none_accepted(
            LEGACY_NAMES,
            "DHE with a custom 1024-bit prime: not a common prime, but weak (prefer 2048 bits or more); no export DHE suite",
        );
    }
    acc.none_accepted(
        LEGACY_NAMES,
        format!(
            "DHE with a {}-bit prime{}; no export DHE suite",
            dh.prime_bits,
            dh.well_known
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
    )
}

const DROWN_SCOPE: &str = "the same certificate or RSA key used by another server that speaks SSLv2 also exposes this one; that cross-server check is out of scope";

fn drown(acc: &Accepted<'_>) -> VulnCheck {
    let ssl2 = &acc.report.protocols.ssl2;
    if ssl2.is_supported() {
        return vulnerable(format!(
            "SSL 2.0 is supported ({}); {DROWN_SCOPE}",
            list(&acc.ssl2.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ));
    }
    if ssl2.evidence == "not tested" || ssl2.evidence.is_empty() {
        return untested("SSL 2.0 was not tested");
    }
    if ssl2.is_unknown() {
        return untested(format!("SSL 2.0 support is unknown ({})", ssl2.evidence));
    }
    if let Some(c) = acc.unreachable() {
        return c;
    }
    safe(format!(
        "SSL 2.0 is not supported on this port ({}); {DROWN_SCOPE}",
        ssl2.evidence
    ))
}

fn crime(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    match acc.report.features.compression {
        Some(true) => vulnerable("the server accepted DEFLATE compression in the ServerHello"),
        Some(false) => safe("offered DEFLATE compression; the server chose none (null)"),
        None if !acc.legacy => {
            acc.tls13_only("the server speaks only TLS 1.3, which has no compression")
        }
        None => untested("the compression probe got no ServerHello"),
    }
}

fn ticketbleed(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    let (_, flight) = match probe_of(obs, acc, "ticketbleed") {
        Ok(p) => p,
        Err(c) => return c,
    };
    let tickets = acc.report.features.session_tickets;
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing");
    };
    let from_server = f.ticket_from_server == Some(true);
    let note = f
        .ticket_note
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let ticket = if from_server {
        "the server's own session ticket".to_string()
    } else {
        format!("a made-up session ticket{note}")
    };
    let sent = TICKETBLEED_SESSION_ID.len();
    let Some(sid) = &f.session_id else {
        if flight.server_hello.is_none() {
            return untested(format!(
                "no ServerHello to the hello with {ticket} ({})",
                no_hello(flight)
            ));
        }
        return untested("the ServerHello was not recorded");
    };
    let resumed = f.resumed == Some(true);
    let echoes_ours = sid.0.starts_with(&TICKETBLEED_SESSION_ID);
    if resumed && sid.0.len() > sent && echoes_ours {
        return vulnerable(format!(
            "sent {ticket} with a {sent}-byte session ID: the server resumed and echoed a {}-byte session ID, {} bytes of it from its memory",
            sid.0.len(),
            sid.0.len() - sent
        ));
    }
    if resumed {
        return safe(format!(
            "sent {ticket} with a {sent}-byte session ID: the server resumed and echoed exactly {} byte(s)",
            sid.0.len()
        ));
    }
    if tickets == Some(false) {
        return safe("the server does not announce session tickets (TLS ≤ 1.2), so the ticket resumption path that leaks is never taken");
    }
    untested(format!(
        "sent {ticket} with a {sent}-byte session ID; the server did not resume (full handshake, {}-byte session ID), so the echo that leaks was not exercised",
        sid.0.len()
    ))
}

fn insecure_renegotiation(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    match acc.report.features.secure_renegotiation {
        Some(true) => safe("the ServerHello carries renegotiation_info (RFC 5746 secure renegotiation)"),
        Some(false) => vulnerable("the ServerHello has no renegotiation_info although the hello offered it (and the SCSV): RFC 5746 secure renegotiation is not supported; if the server renegotiates at all, an attacker can splice a prefix into a client's session"),
        None if !acc.legacy => acc.tls13_only("the server speaks only TLS 1.3, which has no renegotiation"),
        None => untested("no TLS ≤ 1.2 ServerHello to read renegotiation_info from"),
    }
}

fn client_renegotiation(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    if !acc.legacy {
        return acc.tls13_only("the server speaks only TLS 1.3, which has no renegotiation");
    }
    if !acc.supported("tls1_2") {
        return untested("the renegotiation test needs TLS 1.2 (tlsdoctor's own client speaks only TLS 1.2 with ECDHE and AES-128-GCM) and the server does not speak it. Check by hand: `openssl s_client -connect HOST:PORT -tls1_1`, then type R");
    }
    let (_, flight) = match probe_of(obs, acc, "client_renegotiation") {
        Ok(p) => p,
        Err(c) => return c,
    };
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing");
    };
    if let Some(why) = &f.skipped {
        return untested(format!(
            "no TLS 1.2 channel to renegotiate in (tlsdoctor's client offers only ECDHE with AES-128-GCM over x25519 or secp256r1): {why}"
        ));
    }
    if f.established != Some(true) || !f.sent.iter().any(|s| s == "renegotiation_client_hello") {
        return untested(format!(
            "the renegotiation ClientHello was not sent: {}",
            reaction(f)
        ));
    }
    const DONE: &str = "after a complete TLS 1.2 handshake (the server's Finished verified), a ClientHello with renegotiation_info under encryption";
    if f.handshake_after.contains(&2) {
        return vulnerable(format!(
            "{DONE} was answered with a ServerHello: the server accepts client-initiated renegotiation"
        ));
    }
    let refusal = f.alerts.iter().any(|a| {
        a.level == 2
            || a.description == 100 // no_renegotiation
            || a.description == 0
    });
    if refusal || matches!(f.end, model::FlightEnd::Closed) {
        return safe(format!("{DONE} was refused: {}", reaction(f)));
    }
    untested(format!(
        "{DONE} got neither a ServerHello nor a refusal: {}",
        reaction(f)
    ))
}

fn fallback_scsv(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let supported: Vec<&str> = acc
        .report
        .protocols
        .iter()
        .filter(|(n, p)| *n != "ssl2" && p.is_supported())
        .map(|(n, _)| n)
        .collect();
    match acc.report.features.fallback_scsv {
        Some(true) => safe("a hello below the newest version with TLS_FALLBACK_SCSV got alert inappropriate_fallback (RFC 7507)"),
        Some(false) => vulnerable(format!(
            "a hello below the newest version with TLS_FALLBACK_SCSV was answered with a ServerHello instead of inappropriate_fallback (versions: {})",
            supported.join(", ")
        )),
        None if supported.len() < 2 => match acc.gaps(&ALL_NAMES[1..]) {
            Some(gap) => untested(format!(
                "one protocol version was seen ({}), but the scan is incomplete: {gap}",
                supported.join(", ")
            )),
            None => safe(format!(
                "the server speaks one protocol version only ({}): there is nothing to fall back to",
                supported.join(", ")
            )),
        },
        None => {
            let got = obs
                .probe(&Purpose::Feature {
                    name: "fallback_scsv".into(),
                })
                .and_then(|p| p.flight.as_ref())
                .map(no_hello)
                .unwrap_or_else(|| "the probe did not run".into());
            untested(format!("the fallback hello got neither a ServerHello nor inappropriate_fallback ({got})"))
        }
    }
}

fn rc4(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let mut found = acc.matching(|_, i| i.enc == Encryption::Rc4);
    found.extend(
        acc.ssl2
            .iter()
            .filter(|s| s.contains("RC4"))
            .map(|s| format!("ssl2: {s}")),
    );
    if found.is_empty() {
        return acc.none_accepted(ALL_NAMES, "no RC4 suite is accepted");
    }
    vulnerable(format!("RC4 suites are accepted: {}", list(&found)))
}

fn lucky13(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let cbc = acc.matching(|_, i| is_cbc(i));
    if cbc.is_empty() {
        return acc.none_accepted(
            LEGACY_NAMES,
            "no CBC suite is accepted (LUCKY13 needs CBC with MAC-then-encrypt)",
        );
    }
    let etm = match acc.report.features.encrypt_then_mac {
        Some(true) => "; the server negotiates encrypt-then-MAC, which removes the oracle for clients that offer it",
        _ => "",
    };
    potentially(
        format!(
            "heuristic, not a timing measurement: CBC suites are accepted ({}); current OpenSSL, GnuTLS, BoringSSL, NSS and SChannel decrypt CBC in constant time and are not affected, only an unpatched implementation is{etm}",
            list(&cbc)
        ),
        "the server's TLS library and version (patched since 2013: OpenSSL 1.0.1e, GnuTLS 3.1.7, NSS 3.14.3), or a statistical timing measurement from a host next to the server; removing the CBC suites settles it for good",
    )
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
        assert!(plan(&observations(), &Target::new("example.com", 443)).is_empty());
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
                kind: ProbeKind::Hello(hello(
                    &target,
                    ProtocolVersion::TLS1_2,
                    vec![CipherSuite(0x009c)],
                )),
            },
            ip: None,
            tcp: TcpOutcome::Connected { elapsed_ms: 0 },
            flight: Some(ServerFlight {
                server_hello: Some(hello_at_tls12.clone()),
                end: model::FlightEnd::Complete,
                ..Default::default()
            }),
            handshake: None,
            fetch: None,
            elapsed_ms: 0,
        });
        for (i, sample) in samples.iter().enumerate() {
            for (padding, alert) in RsaPadding::ALL.iter().zip(sample) {
                let n = u8::try_from(i + 1).unwrap();
                let request = robot_request(
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
        let planned = plan(&obs, &Target::new("example.com", 443));
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
        assert!(plan(&obs, &Target::new("example.com", 443)).iter().all(
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
    fn every_check_has_a_text() {
        for name in Vulnerabilities::NAMES {
            let (explanation, fix) = text::about(name);
            assert!(explanation.len() > 80 && !fix.is_empty(), "{name}");
        }
    }
}
