//! `scan`: everything a server will and will not negotiate, as pure
//! functions. [`plan`] gives the next round of probes from what has been
//! observed so far (none: the scan is complete); [`report`] turns the
//! observations into a [`ScanReport`]. Never does I/O.
//!
//! The plan is a set of independent *chains* that advance in lock-step, one
//! connection per chain per round, so a round runs all its probes at once:
//!
//! * round 1: one hello per protocol (SSL 2.0 … TLS 1.3) offering every suite
//!   the registry knows for it, and one real handshake (TLS 1.3 chain, HTTP
//!   headers). Each hello is also the first step of that protocol's suite
//!   enumeration.
//! * then per supported protocol: offer everything not yet accepted, remove
//!   what the server picks, until it refuses (accepted + 1 connections). One
//!   hello with the whole list reversed, sent alongside the second step, says
//!   whether the server enforces its own order; when it does, the pick order
//!   of the enumeration *is* the server's order, since each offer held every
//!   remaining accepted suite.
//! * alongside: the same offer-and-remove for groups (TLS 1.3 through
//!   HelloRetryRequest with no key share: no signature, cheap; the TLS 1.3
//!   suite steps do the same once the server has shown it answers so), for
//!   ECDHE curves and signature schemes at the best TLS ≤ 1.2, one hello
//!   each for the default certificate (no SNI), extensions, encrypt-then-
//!   MAC, and TLS_FALLBACK_SCSV (offering the suites cheapest for the server
//!   first, see [`offers::cheap_first`]), and one for DHE parameters only
//!   when an interrupted enumeration did not show them.
//! * ALPN: offer-and-remove over [`model::ALPN_CANDIDATES`] (accepted + 1
//!   connections; one for a server that ignores ALPN), crafted hellos at the
//!   best TLS ≤ 1.2, real TLS 1.3 handshakes when only TLS 1.3 is spoken
//!   (its ALPN answer is encrypted).
//! * beside the rounds, from the first: two resumption probes of two
//!   connections each (TLS 1.2 session ID; tickets at the best of TLS
//!   1.3/1.2), see [`runs_beside`].
//! * last, when TLS 1.3 is spoken: one real handshake offering only the
//!   signature schemes of the key type the first handshake did *not* show
//!   (`rsa` or `ecdsa`), to find a second certificate (TLS 1.3 chooses the
//!   certificate by signature_algorithms and encrypts it). At TLS ≤ 1.2 the
//!   suite enumeration already shows every certificate, since the suite
//!   names the key type.
//!
//! A probe whose connection failed (see [`failure`]: refused, timed out,
//! reset or silent before the answer) is never read as a refusal: it ends
//! its chain as *interrupted*, so a protocol's support is `None` (unknown)
//! and a list says why it is incomplete. The engine retries such probes
//! ([`looks_rate_limited`](crate::failure::looks_rate_limited)) before the planner reads them.
//!
//! Servers that choke on a large hello (no answer at all to the full offer)
//! are enumerated in chunks of [`CHUNK`] suites; their order is then
//! recovered by offering the remaining accepted suites until one is left.

mod caa;
mod dh_primes;
mod report;

use model::{
    FlightEnd, HandshakeSpec, HelloSpec, Observations, ProbeKind, ProbeRecord, ProbeRequest,
    Purpose, Resume, ScanReport, Target, ALPN_CANDIDATES,
};
use time::OffsetDateTime;
use wire::registry::{
    Auth, CipherSuite, KeyExchange, Mode, NamedGroup, ProtocolVersion, SignatureScheme,
};

use crate::certs::TrustStores;
use crate::failure::failure;
use crate::offers;

pub use report::{report, unknown_facts, well_known_prime};

/// Suites per hello for servers that do not answer the full offer.
pub const CHUNK: usize = 64;

/// The ALPN protocols offered to learn the server's choice.
pub const ALPN: [&str; 2] = ["h2", "http/1.1"];

/// How long the scan waits for an HTTP reply after its handshake: a port
/// that speaks HTTP answers at once, and one that does not should not hold
/// the scan up.
pub const HTTP_TIMEOUT_MS: u64 = 2000;

/// What a scan knows besides the observations.
#[derive(Clone, Debug)]
pub struct ScanContext {
    /// The time certificates are judged at.
    pub now: OffsetDateTime,
    pub trust: TrustStores,
    /// The user gave a client certificate (the handshake presents it when asked).
    pub client_identity: bool,
}

/// The whole judgement of a scan's observations: the report, then
/// [`complete`]. The same for a live scan and a replayed one.
pub fn judge(obs: &Observations, ctx: &ScanContext) -> ScanReport {
    complete(report(obs, ctx), obs)
}

/// Adds to a scan's report what rests on all of it: the engine's notes and
/// elapsed time (from the observations), the grade, and the client
/// simulation.
pub fn complete(mut report: ScanReport, obs: &Observations) -> ScanReport {
    report.incomplete.extend(obs.notes.iter().cloned());
    report.elapsed_ms = obs.elapsed_ms.unwrap_or_default();
    // Last: the grade reads everything above, vulnerabilities included.
    crate::grade::apply(&mut report);
    crate::simulate::apply(&mut report);
    if obs.deadline_passed {
        report.grade_provisional = report.grade.is_some();
    }
    report
}

/// The protocols a TLS hello can probe (SSL 2.0 has its own hello).
const TLS_VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::SSL3,
    ProtocolVersion::TLS1_0,
    ProtocolVersion::TLS1_1,
    ProtocolVersion::TLS1_2,
    ProtocolVersion::TLS1_3,
];

/// The next round's probes (empty: the scan is complete). Reads nothing of
/// `ctx.trust`: a caller may fill the trust stores in only for [`report`].
pub fn plan(obs: &Observations, ctx: &ScanContext) -> Vec<ProbeRequest> {
    let (Some(target), Some(dns)) = (obs.target.as_ref(), obs.dns.as_ref()) else {
        return Vec::new();
    };
    if dns.addresses.is_empty() {
        return Vec::new();
    }
    let ssl2 = Purpose::Version {
        version: ProtocolVersion::SSL2,
    };
    if !obs.has(&ssl2) {
        return first_round(target, ctx);
    }
    // Nothing listens, or every first-round connection failed: stop.
    if !obs.probes.iter().any(|p| p.tcp.is_connected()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for version in TLS_VERSIONS {
        out.extend(suite_requests(obs, target, version));
    }
    let best12 = best_legacy_version(obs);
    if supports(obs, ProtocolVersion::TLS1_3) {
        out.extend(group_requests(obs, target, ProtocolVersion::TLS1_3));
    }
    if let Some(v) = best12 {
        if v >= ProtocolVersion::TLS1_0 {
            out.extend(group_requests(obs, target, v));
        }
        if v == ProtocolVersion::TLS1_2 {
            out.extend(signature_request(obs, target));
        }
        out.extend(single_requests(obs, target, v));
    }
    out.extend(no_sni_request(obs, target, best12, ctx));
    out.extend(fallback_request(obs, target));
    out.extend(alpn_request(obs, target, best12));
    out.extend(certificate_kind_request(obs, target, ctx));
    // Known vulnerabilities that need connections of their own (crate::vulns).
    let speaks: Vec<ProtocolVersion> = TLS_VERSIONS
        .iter()
        .copied()
        .filter(|v| supports(obs, *v))
        .collect();
    out.extend(crate::vulns::plan(obs, target, &speaks));
    // A probe that makes a one-connection-at-a-time server stall waits
    // until it is the only one left (see [`runs_last`]).
    if out.iter().any(|r| !runs_last(r)) {
        out.retain(|r| !runs_last(r));
    }
    out
}

/// Requests that run last and alone, after every other probe (the engine
/// also lets the probes beside the rounds finish first): the client
/// renegotiation probe. `openssl s_server -www`, refusing (or accepting) a
/// renegotiation ClientHello, returns a retry from its read and sleeps a
/// whole second before it reads again, serving no other connection
/// meanwhile; its answer (the no_renegotiation alert) comes before the
/// sleep, so run last the probe costs the scan nothing.
pub fn runs_last(request: &ProbeRequest) -> bool {
    matches!(&request.purpose, Purpose::Vulnerability { name } if name == "client_renegotiation")
}

fn first_round(target: &Target, ctx: &ScanContext) -> Vec<ProbeRequest> {
    let mut out: Vec<ProbeRequest> = caa::request(target).into_iter().collect();
    out.push(ProbeRequest {
        purpose: Purpose::Version {
            version: ProtocolVersion::SSL2,
        },
        kind: ProbeKind::Ssl2 {
            cipher_specs: wire::sslv2::Ssl2CipherSpec::ALL
                .iter()
                .map(|c| c.0)
                .collect(),
        },
    });
    for version in TLS_VERSIONS {
        out.push(ProbeRequest {
            purpose: Purpose::Version { version },
            kind: ProbeKind::Hello(offers::hello(target, version, offers::suites(version))),
        });
    }
    // The TLS 1.3 group enumeration's first step, before TLS 1.3 support
    // is known (a refusal costs a server that lacks it nothing): once it
    // has drawn a HelloRetryRequest, the TLS 1.3 suite steps of the next
    // round carry no key share either ([`suite_hello`]), and the server
    // signs nothing for them.
    out.push(request(
        groups_purpose(ProtocolVersion::TLS1_3)(0),
        group_hello(
            target,
            ProtocolVersion::TLS1_3,
            offers::groups(ProtocolVersion::TLS1_3),
        ),
    ));
    out.push(ProbeRequest {
        purpose: Purpose::Handshake,
        kind: ProbeKind::Handshake(HandshakeSpec {
            versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            sni: target.sni.clone(),
            alpn: crate::plan::alpn_for(target, &ALPN.map(String::from)),
            client_cert: ctx.client_identity,
            http_head: true,
            http_get: true,
            http_timeout_ms: Some(HTTP_TIMEOUT_MS),
            ..Default::default()
        }),
    });
    for (name, versions, resume) in [
        (
            RESUME_SESSION_ID,
            vec![ProtocolVersion::TLS1_2],
            Resume::SessionId,
        ),
        (
            RESUME_TICKETS,
            vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            Resume::Tickets,
        ),
    ] {
        out.push(ProbeRequest {
            purpose: Purpose::Feature { name: name.into() },
            kind: ProbeKind::Handshake(HandshakeSpec {
                versions,
                sni: target.sni.clone(),
                client_cert: ctx.client_identity,
                resume: Some(resume),
                ..Default::default()
            }),
        });
    }
    out
}

/// The resumption probes' purposes (`Purpose::Feature` names).
pub const RESUME_SESSION_ID: &str = "resumption_session_id";
pub const RESUME_TICKETS: &str = "resumption_tickets";

/// Requests whose answers no later plan step reads (the first real
/// handshake, the resumption probes): the engine may run them beside the
/// rounds instead of holding each round up. They are planned once, in the
/// first round.
pub fn runs_beside(request: &ProbeRequest) -> bool {
    match &request.purpose {
        Purpose::Handshake => true,
        Purpose::Feature { name } => name == RESUME_SESSION_ID || name == RESUME_TICKETS,
        _ => false,
    }
}

// ---------------------------------------------------------------- offers

fn request(purpose: Purpose, spec: HelloSpec) -> ProbeRequest {
    ProbeRequest {
        purpose,
        kind: ProbeKind::Hello(spec),
    }
}

fn offered_suites(record: &ProbeRecord) -> &[CipherSuite] {
    hello_of(record).map_or(&[], |h| &h.cipher_suites)
}

// ---------------------------------------------------------------- reading

/// The suite the server chose at `version` in this probe, if it did.
pub(crate) fn picked_suite(record: &ProbeRecord, version: ProtocolVersion) -> Option<CipherSuite> {
    let flight = record.flight.as_ref()?;
    if let Some(sh) = &flight.server_hello {
        return (sh.version == version).then_some(sh.cipher_suite);
    }
    if version == ProtocolVersion::TLS1_3 {
        return flight.hello_retry_suite;
    }
    None
}

/// The group the server chose in this probe (HelloRetryRequest, TLS 1.3
/// key_share, or the ServerKeyExchange curve).
fn picked_group(record: &ProbeRecord) -> Option<NamedGroup> {
    let flight = record.flight.as_ref()?;
    flight
        .hello_retry_group
        .or_else(|| flight.server_hello.as_ref().and_then(|sh| sh.group))
        .or_else(|| flight.key_exchange.as_ref().and_then(|k| k.group))
}

fn picked_signature(record: &ProbeRecord) -> Option<SignatureScheme> {
    record
        .flight
        .as_ref()?
        .key_exchange
        .as_ref()?
        .signature_scheme
}

/// The server answered with nothing at all: no bytes, then a close, a reset
/// or silence. Large hellos do that to some servers.
fn choked(record: &ProbeRecord) -> bool {
    record.tcp.is_connected()
        && record.flight.as_ref().is_some_and(|f| {
            f.bytes_received == 0
                && matches!(
                    f.end,
                    FlightEnd::Closed | FlightEnd::Reset | FlightEnd::Timeout
                )
        })
}

/// A chain of offer-and-remove probes: what the server picked, in order.
#[derive(Debug, Default)]
pub(crate) struct Chain<T> {
    pub(crate) picks: Vec<T>,
    /// Probes of the chain that have run.
    pub(crate) rounds: u16,
    /// The chain is over (a refusal, a pick that was not new, or a failed
    /// connection).
    pub(crate) ended: bool,
    /// It ended on a pick that was not new or not offered: the server is
    /// inconsistent, and the list may be incomplete.
    pub(crate) anomaly: bool,
    /// It ended on a connection that failed (see [`failure`]): the list is
    /// incomplete, and the reason is this.
    pub(crate) interrupted: Option<String>,
}

fn walk<T: PartialEq + Copy>(
    obs: &Observations,
    purpose: impl Fn(u16) -> Purpose,
    pick: impl Fn(&ProbeRecord) -> Option<T>,
) -> Chain<T> {
    walk_offers(obs, purpose, pick, |_, _| true)
}

/// [`walk`], where a pick the probe did not offer (`offered` says) is an
/// anomaly like a pick seen before.
fn walk_offers<T: PartialEq + Copy>(
    obs: &Observations,
    purpose: impl Fn(u16) -> Purpose,
    pick: impl Fn(&ProbeRecord) -> Option<T>,
    offered: impl Fn(&ProbeRecord, &T) -> bool,
) -> Chain<T> {
    let mut chain = Chain {
        picks: Vec::new(),
        rounds: 0,
        ended: false,
        anomaly: false,
        interrupted: None,
    };
    while let Some(record) = obs.probe(&purpose(chain.rounds)) {
        chain.rounds += 1;
        match pick(record) {
            Some(t) if !chain.picks.contains(&t) && offered(record, &t) => chain.picks.push(t),
            Some(_) => {
                chain.ended = true;
                chain.anomaly = true;
                break;
            }
            None => {
                chain.ended = true;
                chain.interrupted = failure(record, obs);
                break;
            }
        }
    }
    chain
}

/// Suite enumeration at one version.
#[derive(Debug, Default)]
pub(crate) struct SuiteScan {
    /// Accepted suites in the order the server picked them.
    pub(crate) accepted: Vec<CipherSuite>,
    /// The full offer had no answer: enumerated in chunks.
    pub(crate) chunked: bool,
    /// Suites offered in chunks that the server refused.
    pub(crate) excluded: Vec<CipherSuite>,
    pub(crate) done: bool,
    pub(crate) anomaly: bool,
    /// The enumeration stopped on a failed connection (see [`failure`]).
    pub(crate) interrupted: Option<String>,
    pub(crate) rounds: u16,
    /// The parts enumerated side by side once the server was seen to follow
    /// the client's order ([`PARTS`]); empty before that.
    pub(crate) parts: Vec<(u8, Chain<CipherSuite>)>,
    /// What the single chain had accepted when the parts began.
    pub(crate) before_parts: Vec<CipherSuite>,
}

/// How many parts a client-order server's remaining suites are split into:
/// the rounds of the enumeration fall from one per accepted suite to about
/// one per accepted suite in the largest part, at the cost of one more
/// refusal per part.
pub const PARTS: u8 = 6;

fn part_purpose(version: ProtocolVersion, part: u8) -> impl Fn(u16) -> Purpose {
    move |round| Purpose::SuitePart {
        version,
        part,
        round,
    }
}

/// The suites of part `part`: every `PARTS`-th suite of the list without
/// those the single chain had accepted when the parts began (`before`), so
/// suites next to each other in the registry, often accepted together, land
/// in different parts.
fn part_suites(version: ProtocolVersion, part: u8, before: &[CipherSuite]) -> Vec<CipherSuite> {
    offers::suites(version)
        .into_iter()
        .filter(|s| !before.contains(s))
        .enumerate()
        .filter(|(i, _)| i % usize::from(PARTS) == usize::from(part))
        .map(|(_, s)| s)
        .collect()
}

/// What part `part` has left to offer.
fn part_offer(
    version: ProtocolVersion,
    part: u8,
    before: &[CipherSuite],
    chain: &Chain<CipherSuite>,
) -> Vec<CipherSuite> {
    part_suites(version, part, before)
        .into_iter()
        .filter(|s| !chain.picks.contains(s))
        .collect()
}

fn suites_purpose(version: ProtocolVersion) -> impl Fn(u16) -> Purpose {
    move |r| {
        if r == 0 {
            Purpose::Version { version }
        } else {
            Purpose::Suites { version, round: r }
        }
    }
}

pub(crate) fn suite_scan(obs: &Observations, version: ProtocolVersion) -> SuiteScan {
    let Some(first) = obs.probe(&Purpose::Version { version }) else {
        return SuiteScan::default();
    };
    let offered_pick =
        |r: &ProbeRecord| picked_suite(r, version).filter(|s| offered_suites(r).contains(s));
    let chunked = version <= ProtocolVersion::TLS1_2
        && match obs.probe(&Purpose::Suites { version, round: 1 }) {
            // Once the second hello ran, what it offered says how the
            // enumeration went, whatever the first hello's record says
            // now: the engine may replace a dropped first hello with a
            // later answer (retry_in_hindsight) after its chunks ran, and
            // a chunk read as a step of the single chain would end the
            // list at its first refused chunk.
            Some(second) => !continues_single_chain(first, second, version),
            None => choked(first),
        };
    if !chunked {
        let chain = walk(obs, suites_purpose(version), offered_pick);
        let parts: Vec<(u8, Chain<CipherSuite>)> = (0..PARTS)
            .filter(|p| obs.has(&part_purpose(version, *p)(0)))
            .map(|p| (p, walk(obs, part_purpose(version, p), offered_pick)))
            .collect();
        if parts.is_empty() {
            return SuiteScan {
                accepted: chain.picks,
                chunked: false,
                excluded: Vec::new(),
                done: chain.ended,
                anomaly: chain.anomaly,
                interrupted: chain.interrupted,
                rounds: chain.rounds,
                parts,
                before_parts: Vec::new(),
            };
        }
        // Side by side: the single chain stopped where the parts began.
        let mut accepted = chain.picks.clone();
        for (_, part) in &parts {
            accepted.extend(part.picks.iter().filter(|s| !chain.picks.contains(s)));
        }
        let done = parts
            .iter()
            .all(|(p, part)| part.ended || part_offer(version, *p, &chain.picks, part).is_empty());
        return SuiteScan {
            accepted,
            chunked: false,
            excluded: Vec::new(),
            done: done || parts.iter().any(|(_, c)| c.interrupted.is_some()),
            anomaly: chain.anomaly || parts.iter().any(|(_, c)| c.anomaly),
            interrupted: parts.iter().find_map(|(_, c)| c.interrupted.clone()),
            rounds: chain.rounds,
            parts,
            before_parts: chain.picks,
        };
    }
    // Chunked: rounds 1.. each offer up to CHUNK suites not yet decided.
    let mut scan = SuiteScan {
        chunked: true,
        rounds: 1,
        ..Default::default()
    };
    let mut round = 1;
    while let Some(record) = obs.probe(&Purpose::Suites { version, round }) {
        scan.rounds += 1;
        round += 1;
        match picked_suite(record, version) {
            Some(s) if offered_suites(record).contains(&s) && !scan.accepted.contains(&s) => {
                scan.accepted.push(s)
            }
            Some(_) => {
                scan.anomaly = true;
                scan.done = true;
                return scan;
            }
            None if failure(record, obs).is_some() => {
                // A failed connection says nothing about these suites.
                scan.interrupted = failure(record, obs);
                scan.done = true;
                return scan;
            }
            // Refused: none of these suites (the version is off only when
            // every chunk is refused).
            None => scan.excluded.extend_from_slice(offered_suites(record)),
        }
    }
    scan.done = remaining_chunk(&scan, version).is_empty();
    scan
}

/// Whether `second` (a suite enumeration's round 1) was planned as the
/// single chain's next step: the first hello's offer without the suite the
/// server picked from it. Otherwise it was a chunk (the first hello got no
/// answer when the plan was made).
fn continues_single_chain(
    first: &ProbeRecord,
    second: &ProbeRecord,
    version: ProtocolVersion,
) -> bool {
    let Some(pick) = picked_suite(first, version).filter(|s| offered_suites(first).contains(s))
    else {
        return false;
    };
    offered_suites(second)
        .iter()
        .eq(offered_suites(first).iter().filter(|s| **s != pick))
}

fn remaining_chunk(scan: &SuiteScan, version: ProtocolVersion) -> Vec<CipherSuite> {
    offers::suites(version)
        .into_iter()
        .filter(|s| !scan.accepted.contains(s) && !scan.excluded.contains(s))
        .take(if scan.chunked { CHUNK } else { usize::MAX })
        .collect()
}

/// Whether the server speaks `version`: `Some(true)` on a ServerHello,
/// `Some(false)` when it refused, `None` (with the reason) when every probe
/// that would have shown it failed or none ran.
pub(crate) fn support(
    obs: &Observations,
    version: ProtocolVersion,
) -> (Option<bool>, Option<String>) {
    let Some(first) = obs.probe(&Purpose::Version { version }) else {
        return (None, Some("not tested".into()));
    };
    if version == ProtocolVersion::SSL2 {
        return match first.flight.as_ref().and_then(|f| f.ssl2.as_ref()) {
            Some(hello) => (Some(!hello.cipher_specs.is_empty()), None),
            None => match failure(first, obs) {
                Some(why) => (None, Some(why)),
                None => (Some(false), None),
            },
        };
    }
    let scan = suite_scan(obs, version);
    if !scan.accepted.is_empty() {
        return (Some(true), None);
    }
    match scan.interrupted {
        Some(why) => (None, Some(why)),
        // Chunked, and the first chunk not yet answered.
        None if !scan.done => (None, Some("the enumeration did not finish".into())),
        None => (Some(false), None),
    }
}

/// Whether the server speaks `version` (observed).
pub(crate) fn supports(obs: &Observations, version: ProtocolVersion) -> bool {
    if version == ProtocolVersion::SSL2 {
        return obs
            .probe(&Purpose::Version { version })
            .and_then(|p| p.flight.as_ref())
            .and_then(|f| f.ssl2.as_ref())
            .is_some_and(|s| !s.cipher_specs.is_empty());
    }
    !suite_scan(obs, version).accepted.is_empty()
}

/// The newest version below TLS 1.3 the server speaks.
fn best_legacy_version(obs: &Observations) -> Option<ProtocolVersion> {
    TLS_VERSIONS[..4]
        .iter()
        .rev()
        .copied()
        .find(|v| supports(obs, *v))
}

/// What the server picked from the reversed offer.
pub(crate) fn order_pick(obs: &Observations, version: ProtocolVersion) -> Option<CipherSuite> {
    picked_suite(obs.probe(&Purpose::SuiteOrder { version })?, version)
}

/// Whether the server enforces its own suite order (None: fewer than two
/// suites, or not measured).
pub(crate) fn server_order(obs: &Observations, version: ProtocolVersion) -> Option<bool> {
    let scan = suite_scan(obs, version);
    if scan.accepted.len() < 2 {
        return None;
    }
    let pick = order_pick(obs, version)?;
    if scan.chunked {
        return Some(pick == *recovered_order(obs, version).picks.first()?);
    }
    let first = scan.accepted[0];
    if pick != first {
        return Some(false);
    }
    // The order hello offered DHE last: a client-order server that accepts
    // one other suite picks that one, its first pick too.
    if !scan.done && non_dhe(&scan.accepted) <= 1 {
        return None;
    }
    if !order_inconclusive(&scan) {
        return Some(true);
    }
    let full = obs.probe(&Purpose::SuiteOrderFull { version })?;
    Some(picked_suite(full, version)? == first)
}

fn is_dhe(suite: &CipherSuite) -> bool {
    suite.info().is_some_and(|i| i.kx == KeyExchange::Dhe)
}

fn non_dhe(suites: &[CipherSuite]) -> usize {
    suites.iter().filter(|s| !is_dhe(s)).count()
}

/// The hello that tells server from client order: the whole list reversed,
/// so a client-order server picks the last suite it accepts where a
/// server-order server picks its favourite again, but with the DHE suites
/// moved to the end. Reversed as they are, they would come first, and a
/// client-order server would answer with a DHE key and a signature, the
/// costliest answer there is; this way it picks a suite from the other end
/// of the list, usually one with RSA key transport (no signature). When the
/// server accepts a single suite besides DHE ones that pick would be its
/// first pick as well, and [`order_inconclusive`] asks again with the plain
/// reversal.
fn order_offer(version: ProtocolVersion) -> Vec<CipherSuite> {
    let mut reversed = offers::suites(version);
    reversed.reverse();
    let (dhe, rest): (Vec<CipherSuite>, Vec<CipherSuite>) = reversed.into_iter().partition(is_dhe);
    rest.into_iter().chain(dhe).collect()
}

/// Whether the order hello cannot tell the orders apart: a finished
/// enumeration with exactly one accepted suite besides DHE ones (and at
/// least one of those).
fn order_inconclusive(scan: &SuiteScan) -> bool {
    scan.done && non_dhe(&scan.accepted) == 1 && scan.accepted.len() >= 2
}

/// The server's order recovered after chunked enumeration.
pub(crate) fn recovered_order(obs: &Observations, version: ProtocolVersion) -> Chain<CipherSuite> {
    walk(
        obs,
        |r| Purpose::SuiteOrderRound {
            version,
            round: r + 1,
        },
        |rec| picked_suite(rec, version),
    )
}

// ---------------------------------------------------------------- planning

/// Whether to split the rest of a suite enumeration into parts now: the
/// server follows the client's order (so the pick order teaches nothing and
/// the parts lose nothing), the single chain is still going, and enough is
/// left to split.
fn split_now(obs: &Observations, version: ProtocolVersion, scan: &SuiteScan) -> bool {
    !scan.chunked
        && scan.parts.is_empty()
        && version <= ProtocolVersion::TLS1_2
        && server_order(obs, version) == Some(false)
        && remaining_chunk(scan, version).len() > 2 * usize::from(PARTS)
}

/// The hello of a suite enumeration step after the first. At TLS 1.3, once
/// the server has answered a hello without key shares with a
/// HelloRetryRequest (the group enumeration's first step does that), the
/// steps offer no key share either: the HelloRetryRequest names the chosen
/// suite (RFC 8446 §4.1.4) before the server computes a share or signs
/// anything, where a ServerHello costs it both. Until then, and below TLS
/// 1.3, the usual hello.
fn suite_hello(
    obs: &Observations,
    target: &Target,
    version: ProtocolVersion,
    offer: Vec<CipherSuite>,
) -> HelloSpec {
    let hello = offers::hello(target, version, offer);
    if version != ProtocolVersion::TLS1_3 || !retries_without_share(obs) {
        return hello;
    }
    HelloSpec {
        key_shares: Vec::new(),
        ..hello
    }
}

/// Whether the server has answered a TLS 1.3 hello that carried no key
/// share with a HelloRetryRequest.
fn retries_without_share(obs: &Observations) -> bool {
    obs.probes.iter().any(|p| {
        matches!(&p.request.kind, ProbeKind::Hello(h) if h.key_shares.is_empty())
            && p.flight
                .as_ref()
                .is_some_and(|f| f.hello_retry_suite.is_some())
    })
}

fn suite_requests(
    obs: &Observations,
    target: &Target,
    version: ProtocolVersion,
) -> Vec<ProbeRequest> {
    let scan = suite_scan(obs, version);
    let mut out = Vec::new();
    if !scan.done && !scan.parts.is_empty() {
        for (p, part) in &scan.parts {
            let offer = part_offer(version, *p, &scan.before_parts, part);
            if !part.ended && !offer.is_empty() {
                out.push(request(
                    part_purpose(version, *p)(part.rounds),
                    offers::hello(target, version, offer),
                ));
            }
        }
    } else if !scan.done && split_now(obs, version, &scan) {
        // The server follows the client's order (seen alongside the second
        // step): the rest is enumerated in parts, side by side.
        for p in 0..PARTS {
            let offer = part_suites(version, p, &scan.accepted);
            if !offer.is_empty() {
                out.push(request(
                    part_purpose(version, p)(0),
                    offers::hello(target, version, offer),
                ));
            }
        }
    } else if !scan.done {
        let offer = remaining_chunk(&scan, version);
        if !offer.is_empty() {
            out.push(request(
                Purpose::Suites {
                    version,
                    round: scan.rounds,
                },
                suite_hello(obs, target, version, offer),
            ));
        }
    }
    let order = Purpose::SuiteOrder { version };
    if !scan.chunked && scan.accepted.len() == 1 && !scan.done && !obs.has(&order) {
        // Alongside the second step: the list reversed (DHE last). A
        // client-order server now picks the last suite it accepts, a
        // server-order server its favourite again.
        out.push(request(
            order.clone(),
            suite_hello(obs, target, version, order_offer(version)),
        ));
    }
    let full = Purpose::SuiteOrderFull { version };
    if !scan.chunked
        && order_inconclusive(&scan)
        && order_pick(obs, version) == scan.accepted.first().copied()
        && !obs.has(&full)
    {
        let mut reversed = offers::suites(version);
        reversed.reverse();
        out.push(request(full, suite_hello(obs, target, version, reversed)));
    }
    if scan.chunked && scan.done && scan.accepted.len() >= 2 {
        // The accepted set reversed, and (first step of the order recovery)
        // forwards: a client-order server picks different ends, a
        // server-order server its favourite twice.
        if !obs.has(&order) {
            let mut reversed = scan.accepted.clone();
            reversed.reverse();
            out.push(request(order, offers::hello(target, version, reversed)));
        }
        let chain = recovered_order(obs, version);
        let left: Vec<CipherSuite> = scan
            .accepted
            .iter()
            .copied()
            .filter(|s| !chain.picks.contains(s))
            .collect();
        let go_on = chain.rounds == 0 || server_order(obs, version) == Some(true);
        if go_on && !chain.ended && left.len() >= 2 {
            out.push(request(
                Purpose::SuiteOrderRound {
                    version,
                    round: chain.rounds + 1,
                },
                offers::hello(target, version, left),
            ));
        }
    }
    out
}

fn groups_purpose(version: ProtocolVersion) -> impl Fn(u16) -> Purpose {
    move |r| Purpose::ScanGroups {
        version,
        round: r + 1,
    }
}

/// The steps of the group enumeration at `version`. Below TLS 1.3, when
/// the version hello got an ECDHE suite, that answer is the first step: it
/// offered every curve (and every signature scheme), so the curve it names
/// is the one a first group hello would have drawn, and the server need
/// not sign another. Otherwise the group hellos are all the steps.
fn group_steps(obs: &Observations, version: ProtocolVersion) -> impl Fn(u16) -> Purpose {
    let seeded = version < ProtocolVersion::TLS1_3
        && obs
            .probe(&Purpose::Version { version })
            .and_then(picked_group)
            .is_some();
    move |r| match (seeded, r) {
        (true, 0) => Purpose::Version { version },
        (true, r) => Purpose::ScanGroups { version, round: r },
        (false, r) => groups_purpose(version)(r),
    }
}

pub(crate) fn group_chain(obs: &Observations, version: ProtocolVersion) -> Chain<NamedGroup> {
    walk_offers(
        obs,
        group_steps(obs, version),
        picked_group,
        |record, group| hello_of(record).is_none_or(|h| h.groups.contains(group)),
    )
}

/// The hello a probe sent, if it was a crafted hello.
fn hello_of(record: &ProbeRecord) -> Option<&HelloSpec> {
    match &record.request.kind {
        ProbeKind::Hello(spec) => Some(spec),
        _ => None,
    }
}

/// The records of a chain's steps, in order, as far as they go.
fn chain_records<'a>(
    obs: &'a Observations,
    purpose: impl Fn(u16) -> Purpose + 'a,
) -> impl Iterator<Item = &'a ProbeRecord> + 'a {
    (0..).map_while(move |r| obs.probe(&purpose(r)))
}

/// The groups seen accepted at `version`: the group enumeration's picks,
/// then, at TLS 1.2, the curves the signature enumeration's hellos showed
/// (each of its ServerKeyExchanges names a curve as well as a signature;
/// see [`signature_request`]).
pub(crate) fn known_groups(obs: &Observations, version: ProtocolVersion) -> Vec<NamedGroup> {
    let mut known = group_chain(obs, version).picks;
    if version == ProtocolVersion::TLS1_2 {
        for group in chain_records(obs, signatures_purpose).filter_map(picked_group) {
            if !known.contains(&group) {
                known.push(group);
            }
        }
    }
    known
}

/// The signature schemes seen accepted at TLS 1.2, in the order they were
/// learnt: the TLS 1.2 group enumeration's first hello (every scheme), then
/// round by round the signature enumeration's pick and the group
/// enumeration's. For a server that picks by its own preference this is
/// that preference: every hello after the first still holds every scheme
/// or every unseen one, so it names its favourite among them.
pub(crate) fn known_signatures(obs: &Observations) -> Vec<SignatureScheme> {
    let signatures = signature_chain(obs).picks;
    let from_groups: Vec<Option<SignatureScheme>> =
        chain_records(obs, group_steps(obs, ProtocolVersion::TLS1_2))
            .map(picked_signature)
            .collect();
    let mut known = Vec::new();
    let learnt = from_groups.first().copied().flatten().into_iter().chain(
        (0..signatures.len().max(from_groups.len())).flat_map(|round| {
            [
                signatures.get(round).copied(),
                from_groups.get(round + 1).copied().flatten(),
            ]
            .into_iter()
            .flatten()
        }),
    );
    for scheme in learnt {
        if !known.contains(&scheme) {
            known.push(scheme);
        }
    }
    known
}

/// Whether the server is seen taking the client's first acceptable
/// signature scheme: a TLS 1.2 group hello after the first (every scheme,
/// the unseen ones first) got a scheme other than the one the first got,
/// which a server picking by its own preference would have named again.
pub(crate) fn signatures_in_client_order(obs: &Observations) -> bool {
    let mut picks =
        chain_records(obs, group_steps(obs, ProtocolVersion::TLS1_2)).map(picked_signature);
    let Some(Some(first)) = picks.next() else {
        return false;
    };
    picks.flatten().any(|s| s != first)
}

/// `all` with what is `known` moved to the end and the rest reversed: the
/// other enumeration's list in a hello that enumerates one thing. It still
/// holds every value (a refusal is about the enumerated list alone), but a
/// server that takes the client's first acceptable value now names one
/// neither enumeration has seen (the other one offers the rest forwards).
fn unknown_first_reversed<T: PartialEq + Copy>(all: Vec<T>, known: &[T]) -> Vec<T> {
    let mut out: Vec<T> = all
        .iter()
        .rev()
        .filter(|v| !known.contains(v))
        .copied()
        .collect();
    out.extend(known.iter().filter(|v| all.contains(v)));
    out
}

/// What the group enumeration has left to offer at `version`.
fn group_offer(obs: &Observations, version: ProtocolVersion) -> Vec<NamedGroup> {
    let known = known_groups(obs, version);
    offers::groups(version)
        .into_iter()
        .filter(|g| !known.contains(g))
        .collect()
}

/// Whether the group enumeration at `version` is over: refused, or nothing
/// is left to offer.
pub(crate) fn groups_complete(obs: &Observations, version: ProtocolVersion) -> bool {
    group_chain(obs, version).ended || group_offer(obs, version).is_empty()
}

/// A hello that makes the server name a group: TLS 1.3 with no key share
/// (the server answers with a HelloRetryRequest naming its choice, before
/// any signature), or TLS ≤ 1.2 with only ECDHE suites (the curve is in the
/// ServerKeyExchange).
fn group_hello(target: &Target, version: ProtocolVersion, groups: Vec<NamedGroup>) -> HelloSpec {
    if version == ProtocolVersion::TLS1_3 {
        HelloSpec {
            versions: vec![version],
            cipher_suites: offers::suites(version),
            groups,
            key_shares: Vec::new(),
            signature_algorithms: offers::signature_schemes(),
            sni: target.sni.clone(),
            modern_extensions: true,
            ..Default::default()
        }
    } else {
        let suites = offers::suites(version)
            .into_iter()
            .filter(|s| s.info().is_some_and(|i| i.kx == KeyExchange::Ecdhe))
            .collect();
        HelloSpec {
            groups,
            ..offers::hello(target, version, suites)
        }
    }
}

fn group_requests(
    obs: &Observations,
    target: &Target,
    version: ProtocolVersion,
) -> Vec<ProbeRequest> {
    let chain = group_chain(obs, version);
    let mut out = Vec::new();
    if !chain.ended {
        let offer = group_offer(obs, version);
        if !offer.is_empty() {
            let mut hello = group_hello(target, version, offer);
            if version == ProtocolVersion::TLS1_2 && chain.rounds > 0 {
                hello.signature_algorithms =
                    unknown_first_reversed(offers::signature_schemes(), &known_signatures(obs));
            }
            out.push(request(group_steps(obs, version)(chain.rounds), hello));
        }
    }
    let order = Purpose::GroupOrder { version };
    if version == ProtocolVersion::TLS1_2 {
        // The signature enumeration's first hello tells the order (see
        // `group_order_record`); asked separately only when it could not.
        let told = obs
            .probe(&signatures_purpose(0))
            .map(|r| picked_group(r).is_some());
        if told == Some(false) && chain.picks.len() >= 2 && !obs.has(&order) {
            let mut reversed = offers::groups(version);
            reversed.reverse();
            out.push(request(order, group_hello(target, version, reversed)));
        }
    } else if chain.picks.len() == 1 && !chain.ended && !obs.has(&order) {
        let mut reversed = offers::groups(version);
        reversed.reverse();
        out.push(request(order, group_hello(target, version, reversed)));
    }
    out
}

/// The hello that shows whether the server picks groups by its own
/// preference at `version`: the group order hello (every group reversed),
/// or at TLS 1.2 the signature enumeration's first hello. That one starts
/// once the group enumeration has its first pick, and offers the other
/// groups reversed, then that pick ([`unknown_first_reversed`]): a server
/// that follows the client's order names another group (when it accepts
/// two), one that enforces its own names its favourite, the first pick,
/// again. It costs the server one signature fewer than a hello of its own.
fn group_order_record(obs: &Observations, version: ProtocolVersion) -> Option<&ProbeRecord> {
    obs.probe(&Purpose::GroupOrder { version }).or_else(|| {
        if version != ProtocolVersion::TLS1_2 {
            return None;
        }
        obs.probe(&signatures_purpose(0))
            .filter(|r| picked_group(r).is_some())
    })
}

/// Whether the server picks groups by its own preference.
pub(crate) fn group_server_order(obs: &Observations, version: ProtocolVersion) -> Option<bool> {
    let chain = group_chain(obs, version);
    if chain.picks.len() < 2 {
        return None;
    }
    let pick = picked_group(group_order_record(obs, version)?)?;
    Some(pick == chain.picks[0])
}

fn signatures_purpose(r: u16) -> Purpose {
    Purpose::ScanSignatures { round: r + 1 }
}

pub(crate) fn signature_chain(obs: &Observations) -> Chain<SignatureScheme> {
    walk_offers(
        obs,
        signatures_purpose,
        picked_signature,
        |record, scheme| hello_of(record).is_none_or(|h| h.signature_algorithms.contains(scheme)),
    )
}

/// What the signature enumeration has left to offer.
fn signature_offer(obs: &Observations) -> Vec<SignatureScheme> {
    let known = known_signatures(obs);
    offers::signature_schemes()
        .into_iter()
        .filter(|s| !known.contains(s))
        .collect()
}

/// Whether the signature enumeration is over: refused, or nothing is left
/// to offer.
pub(crate) fn signatures_complete(obs: &Observations) -> bool {
    signature_chain(obs).ended || signature_offer(obs).is_empty()
}

/// Suites whose ServerKeyExchange carries the server's signature.
fn signed_kx_suites(version: ProtocolVersion) -> Vec<CipherSuite> {
    offers::suites(version)
        .into_iter()
        .filter(|s| {
            s.info().is_some_and(|i| {
                matches!(i.kx, KeyExchange::Ecdhe | KeyExchange::Dhe)
                    && matches!(i.auth, Auth::Rsa | Auth::Ecdsa | Auth::Dss)
            })
        })
        .collect()
}

/// The next step of the signature enumeration at TLS 1.2. It shares what it
/// learns with the group enumeration: both hellos hold the other's whole
/// list, but in an order that makes a server taking the client's first
/// acceptable value name one not seen yet ([`unknown_first_reversed`]), so
/// each ServerKeyExchange (one signature each, the costly part for the
/// server) can teach a new group and a new scheme at once. It starts one
/// round after the group enumeration, whose first hello (every scheme)
/// already names a scheme.
fn signature_request(obs: &Observations, target: &Target) -> Option<ProbeRequest> {
    let chain = signature_chain(obs);
    if chain.ended {
        return None;
    }
    let version = ProtocolVersion::TLS1_2;
    let groups = group_chain(obs, version);
    if groups.rounds == 0 && !groups.ended {
        return None;
    }
    let offer = signature_offer(obs);
    if offer.is_empty() {
        return None;
    }
    Some(request(
        signatures_purpose(chain.rounds),
        HelloSpec {
            signature_algorithms: offer,
            groups: unknown_first_reversed(offers::groups(version), &known_groups(obs, version)),
            ..offers::hello(target, version, signed_kx_suites(version))
        },
    ))
}

/// The probe's ServerKeyExchange, when it carried DHE parameters.
pub(crate) fn dhe_key_exchange(record: &ProbeRecord) -> Option<&model::KeyExchangeObservation> {
    let kx = record.flight.as_ref()?.key_exchange.as_ref()?;
    (kx.kind == "dhe").then_some(kx)
}

/// Whether the DHE parameters need a hello of their own: the suite
/// enumeration records the ServerKeyExchange of every DHE suite it picks, so
/// once it has finished without interruption it has either shown the
/// parameters or shown that no DHE suite is accepted. Only an interrupted
/// enumeration leaves them to the dedicated probe.
fn dh_params_unseen(obs: &Observations, version: ProtocolVersion) -> bool {
    let dhe_seen = obs.probes.iter().any(|p| dhe_key_exchange(p).is_some());
    let scan = suite_scan(obs, version);
    !dhe_seen && scan.done && (scan.interrupted.is_some() || scan.anomaly)
}

/// One-off hellos at the best TLS ≤ 1.2 version: DHE parameters, the
/// extensions probe, and encrypt-then-MAC with CBC suites only.
fn single_requests(
    obs: &Observations,
    target: &Target,
    version: ProtocolVersion,
) -> Vec<ProbeRequest> {
    let mut out = Vec::new();
    let suites_where =
        |keep: &dyn Fn(&wire::registry::CipherSuiteInfo) -> bool| -> Vec<CipherSuite> {
            offers::suites(version)
                .into_iter()
                .filter(|s| s.info().is_some_and(keep))
                .collect()
        };
    if !obs.has(&Purpose::DhParams) && dh_params_unseen(obs, version) {
        let dhe = suites_where(&|i| i.kx == KeyExchange::Dhe);
        if !dhe.is_empty() {
            out.push(request(
                Purpose::DhParams,
                offers::hello(target, version, dhe),
            ));
        }
    }
    if version >= ProtocolVersion::TLS1_0 {
        let extensions = Purpose::Feature {
            name: "extensions".into(),
        };
        if !obs.has(&extensions) {
            out.push(request(
                extensions,
                HelloSpec {
                    alpn: crate::plan::alpn_for(target, &ALPN.map(String::from)),
                    heartbeat: true,
                    compression_methods: vec![1, 0],
                    ..offers::hello(
                        target,
                        version,
                        offers::cheap_first(offers::suites(version)),
                    )
                },
            ));
        }
        let etm = Purpose::Feature {
            name: "encrypt_then_mac".into(),
        };
        if !obs.has(&etm) {
            let cbc = suites_where(&|i| i.mode == Mode::Cbc);
            out.push(request(
                etm,
                HelloSpec {
                    encrypt_then_mac: true,
                    ..offers::hello(target, version, offers::cheap_first(cbc))
                },
            ));
        }
    }
    out
}

/// The default certificate: the same hello without SNI.
fn no_sni_request(
    obs: &Observations,
    target: &Target,
    best12: Option<ProtocolVersion>,
    ctx: &ScanContext,
) -> Option<ProbeRequest> {
    target.sni.as_ref()?;
    if obs.has(&Purpose::NoSni) {
        return None;
    }
    if let Some(version) = best12.filter(|v| *v >= ProtocolVersion::SSL3) {
        return Some(request(
            Purpose::NoSni,
            HelloSpec {
                sni: None,
                ..offers::hello(
                    target,
                    version,
                    offers::cheap_first(offers::suites(version)),
                )
            },
        ));
    }
    if supports(obs, ProtocolVersion::TLS1_3) {
        // TLS 1.3 encrypts the certificate: a real handshake reads it.
        return Some(ProbeRequest {
            purpose: Purpose::NoSni,
            kind: ProbeKind::Handshake(HandshakeSpec {
                versions: vec![ProtocolVersion::TLS1_3],
                sni: None,
                alpn: Vec::new(),
                client_cert: ctx.client_identity,
                http_head: false,
                http_get: false,
                http_timeout_ms: None,
                ..Default::default()
            }),
        });
    }
    None
}

fn alpn_purpose(round: u16) -> Purpose {
    Purpose::Feature {
        name: format!("alpn:{}", round + 1),
    }
}

fn offered_alpn(record: &ProbeRecord) -> &[String] {
    match &record.request.kind {
        ProbeKind::Hello(spec) => &spec.alpn,
        ProbeKind::Handshake(spec) => &spec.alpn,
        _ => &[],
    }
}

/// ALPN offer-and-remove: each pick is an index into [`ALPN_CANDIDATES`].
/// A probe where the server selected nothing (or something not offered, or
/// refused) ends the chain.
pub(crate) fn alpn_chain(obs: &Observations) -> Chain<usize> {
    walk(obs, alpn_purpose, |record| {
        let chosen = record
            .flight
            .as_ref()
            .and_then(|f| f.server_hello.as_ref())
            .and_then(|sh| sh.alpn.as_ref())
            .or_else(|| record.handshake.as_ref().and_then(|h| h.alpn.as_ref()))?;
        if !offered_alpn(record).contains(chosen) {
            return None;
        }
        ALPN_CANDIDATES.iter().position(|c| c == chosen)
    })
}

/// The next ALPN probe: the candidates not yet picked, in a crafted hello at
/// the best TLS ≤ 1.2 (ALPN is in the ServerHello), or a real TLS 1.3
/// handshake when the server speaks nothing older (ALPN is encrypted there).
fn alpn_request(
    obs: &Observations,
    target: &Target,
    best12: Option<ProtocolVersion>,
) -> Option<ProbeRequest> {
    let chain = alpn_chain(obs);
    // Nothing to learn after STARTTLS: the protocol is fixed by the dialogue.
    if chain.ended || target.transport.starttls.is_some() {
        return None;
    }
    let offer: Vec<String> = ALPN_CANDIDATES
        .iter()
        .enumerate()
        .filter(|(i, _)| !chain.picks.contains(i))
        .map(|(_, c)| c.to_string())
        .collect();
    if offer.is_empty() {
        return None;
    }
    let purpose = alpn_purpose(chain.rounds);
    if let Some(version) = best12.filter(|v| *v >= ProtocolVersion::TLS1_0) {
        return Some(request(
            purpose,
            HelloSpec {
                alpn: offer,
                ..offers::hello(
                    target,
                    version,
                    offers::cheap_first(offers::suites(version)),
                )
            },
        ));
    }
    supports(obs, ProtocolVersion::TLS1_3).then(|| ProbeRequest {
        purpose,
        kind: ProbeKind::Handshake(HandshakeSpec {
            versions: vec![ProtocolVersion::TLS1_3],
            sni: target.sni.clone(),
            alpn: offer,
            ..Default::default()
        }),
    })
}

/// The key type of a chain's leaf (`rsa`, `ecdsa`, `ed25519`, ...).
fn leaf_key_type(chain: &[model::Bytes]) -> Option<String> {
    let info = crate::certs::parse(chain.first()?)?;
    Some(match info.key.algorithm.as_str() {
        "EC" => "ecdsa".into(),
        other => other.to_ascii_lowercase(),
    })
}

/// After the first real handshake: when it ran at TLS 1.3, one more
/// offering only the signature schemes of the other key type (`rsa` ↔
/// `ecdsa`), so a server with both keys shows its second certificate.
fn certificate_kind_request(
    obs: &Observations,
    target: &Target,
    ctx: &ScanContext,
) -> Option<ProbeRequest> {
    let handshake = obs.probe(&Purpose::Handshake)?.handshake.as_ref()?;
    if !handshake.completed || handshake.version != Some(ProtocolVersion::TLS1_3) {
        return None;
    }
    let other = match leaf_key_type(&handshake.chain)?.as_str() {
        "rsa" => "ecdsa",
        _ => "rsa",
    };
    let purpose = Purpose::CertificateKind { kind: other.into() };
    if obs.has(&purpose) {
        return None;
    }
    Some(ProbeRequest {
        purpose,
        kind: ProbeKind::Handshake(HandshakeSpec {
            versions: vec![ProtocolVersion::TLS1_3],
            sni: target.sni.clone(),
            client_cert: ctx.client_identity,
            key_type: Some(other.into()),
            ..Default::default()
        }),
    })
}

/// A hello at the second-newest version with TLS_FALLBACK_SCSV: a server
/// that knows RFC 7507 answers inappropriate_fallback.
fn fallback_request(obs: &Observations, target: &Target) -> Option<ProbeRequest> {
    let purpose = Purpose::Feature {
        name: "fallback_scsv".into(),
    };
    if obs.has(&purpose) {
        return None;
    }
    let version = fallback_version(obs)?;
    Some(request(
        purpose,
        HelloSpec {
            fallback_scsv: true,
            ..offers::hello(
                target,
                version,
                offers::cheap_first(offers::suites(version)),
            )
        },
    ))
}

/// The version a fallback hello is sent at: the second-newest supported.
pub(crate) fn fallback_version(obs: &Observations) -> Option<ProtocolVersion> {
    let supported: Vec<ProtocolVersion> = TLS_VERSIONS
        .iter()
        .copied()
        .filter(|v| supports(obs, *v))
        .collect();
    (supported.len() >= 2).then(|| supported[supported.len() - 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::looks_rate_limited;
    use model::{DnsObservation, ServerFlight, TcpOutcome};

    fn ctx() -> ScanContext {
        ScanContext {
            now: OffsetDateTime::UNIX_EPOCH,
            trust: TrustStores {
                system: Vec::new(),
                ca_file: Vec::new(),
            },
            client_identity: false,
        }
    }

    fn observations() -> Observations {
        let mut obs = Observations::new(Target::new("example.com", 443));
        obs.dns = Some(DnsObservation {
            addresses: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        });
        obs
    }

    /// Answers every request as a server that accepts exactly `suites` at
    /// TLS 1.2, in its own order when `server_order`, and nothing else.
    fn answer(req: ProbeRequest, suites: &[u16], server_order: bool) -> ProbeRecord {
        let mut flight = ServerFlight {
            end: FlightEnd::Alert,
            ..Default::default()
        };
        if let ProbeKind::Hello(spec) = &req.kind {
            if spec.versions == [ProtocolVersion::TLS1_2] {
                let offered = |s: &u16| spec.cipher_suites.contains(&CipherSuite(*s));
                let pick = if server_order {
                    suites.iter().find(|s| offered(s)).copied()
                } else {
                    spec.cipher_suites
                        .iter()
                        .map(|s| s.0)
                        .find(|s| suites.contains(s))
                };
                if let Some(pick) = pick {
                    flight.end = FlightEnd::Complete;
                    flight.server_hello =
                        Some(crate::fixtures::server_hello(ProtocolVersion::TLS1_2, pick));
                }
            }
        }
        ProbeRecord {
            request: req,
            ip: Some("127.0.0.1".parse().unwrap()),
            tcp: TcpOutcome::Connected { elapsed_ms: 0 },
            transport: None,
            flight: Some(flight),
            handshake: None,
            fetch: None,
            caa: None,
            elapsed_ms: 0,
        }
    }

    /// Plans and answers rounds until the plan is empty, as the engine
    /// does; returns the report and the number of rounds.
    fn scan_until_done(
        obs: &mut Observations,
        mut answer: impl FnMut(ProbeRequest) -> ProbeRecord,
    ) -> (ScanReport, usize) {
        for rounds in 0..100 {
            let requests = plan(obs, &ctx());
            if requests.is_empty() {
                return (report(obs, &ctx()), rounds);
            }
            for r in requests {
                let record = answer(r);
                obs.probes.push(record);
            }
        }
        panic!("the plan did not finish");
    }

    fn run(suites: &[u16], server_order: bool) -> ScanReport {
        let mut obs = observations();
        scan_until_done(&mut obs, |r| answer(r, suites, server_order)).0
    }

    #[test]
    fn server_order_is_recovered_with_accepted_plus_one_connections() {
        let order = [0xc030, 0x009c, 0xc02f];
        let report = run(&order, true);
        let tls12 = &report.protocols.tls1_2;
        let names: Vec<String> = order.iter().map(|c| CipherSuite(*c).name()).collect();
        assert_eq!(tls12.cipher_suites, names);
        assert_eq!(tls12.server_order, Some(true));
        assert!(!report.protocols.tls1_3.is_supported());
        let chain = report
            .protocols
            .iter()
            .filter(|(_, p)| p.is_supported())
            .count();
        assert_eq!(chain, 1);
    }

    /// A client-order server's suites are enumerated in parts side by side:
    /// the list is whole, and the rounds do not grow with it.
    #[test]
    fn client_order_enumeration_runs_in_parts() {
        let accepted: Vec<u16> = offers::suites(ProtocolVersion::TLS1_2)
            .iter()
            .map(|s| s.0)
            .filter(|c| CipherSuite(*c).info().is_some_and(|i| i.auth != Auth::Anon))
            .take(30)
            .collect();
        let mut obs = observations();
        let (report, rounds) = scan_until_done(&mut obs, |r| answer(r, &accepted, false));
        let tls12 = &report.protocols.tls1_2;
        let mut got: Vec<u16> = tls12
            .cipher_suites
            .iter()
            .filter_map(|n| CipherSuite::from_name(n))
            .map(|s| s.0)
            .collect();
        got.sort();
        let mut want = accepted.clone();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(tls12.server_order, Some(false));
        assert!(tls12.cipher_suites_interrupted.is_none());
        assert!(
            obs.probes
                .iter()
                .any(|r| matches!(r.request.purpose, Purpose::SuitePart { .. })),
            "split into parts"
        );
        // One chain of 30 picks would need 31 rounds; the parts need about
        // 30 / PARTS + the two rounds before the split.
        assert!(rounds < 20, "{rounds} rounds");
    }

    #[test]
    fn client_order_is_detected() {
        let report = run(&[0xc030, 0x009c, 0xc02f], false);
        assert_eq!(report.protocols.tls1_2.server_order, Some(false));
        assert_eq!(report.protocols.tls1_2.cipher_suites.len(), 3);
    }

    /// Like [`run`], with the connection of every request `fails` selects
    /// failing the way `how` says.
    fn run_failing(
        suites: &[u16],
        fails: impl Fn(&ProbeRequest) -> bool,
        how: impl Fn(&mut ProbeRecord),
    ) -> (ScanReport, Observations) {
        let mut obs = observations();
        let (report, _) = scan_until_done(&mut obs, |r| {
            let failing = fails(&r);
            let mut record = answer(r, suites, true);
            if failing {
                how(&mut record);
            }
            record
        });
        (report, obs)
    }

    fn refused(record: &mut ProbeRecord) {
        record.tcp = TcpOutcome::Refused {
            message: "connection refused".into(),
        };
        record.flight = None;
    }

    fn reset_before_any_answer(record: &mut ProbeRecord) {
        record.flight = Some(ServerFlight {
            end: FlightEnd::Reset,
            ..Default::default()
        });
    }

    #[test]
    fn a_refused_connection_is_unknown_support_never_not_supported() {
        let (report, _) = run_failing(
            &[0xc030, 0x009c],
            |r| {
                matches!(
                    r.purpose,
                    Purpose::Version {
                        version: ProtocolVersion::SSL3 | ProtocolVersion::TLS1_1
                    }
                )
            },
            refused,
        );
        let p = &report.protocols;
        assert_eq!(p.ssl3.supported, None, "{}", p.ssl3.evidence);
        assert_eq!(p.tls1_1.supported, None);
        assert!(p.ssl3.evidence.contains("connection refused"));
        assert_eq!(p.tls1_0.supported, Some(false), "an alert is an answer");
        assert_eq!(p.tls1_2.supported, Some(true));
        assert!(report
            .unknown
            .contains(&"protocols.ssl3.supported".to_string()));
        // The checks built on protocol support cannot say "no".
        let v = &report.vulnerabilities;
        assert_eq!(v.poodle_ssl3.status, model::VulnStatus::NotTested);
        for check in [&v.sweet32, &v.rc4, &v.freak, &v.beast, &v.lucky13] {
            assert_ne!(
                check.status,
                model::VulnStatus::NotVulnerable,
                "{}",
                check.evidence
            );
        }
    }

    #[test]
    fn a_reset_in_the_middle_of_an_enumeration_interrupts_the_list() {
        let (report, _) = run_failing(
            &[0xc030, 0x009c, 0xc02f],
            |r| {
                matches!(
                    r.purpose,
                    Purpose::Suites {
                        version: ProtocolVersion::TLS1_2,
                        round: 2
                    }
                )
            },
            reset_before_any_answer,
        );
        let tls12 = &report.protocols.tls1_2;
        assert_eq!(tls12.supported, Some(true));
        assert_eq!(tls12.cipher_suites.len(), 2, "{:?}", tls12.cipher_suites);
        assert!(tls12
            .cipher_suites_interrupted
            .as_deref()
            .is_some_and(|w| w.contains("reset before any answer")));
        assert!(report
            .unknown
            .contains(&"protocols.tls1_2.cipher_suites".to_string()));
        assert_ne!(
            report.vulnerabilities.sweet32.status,
            model::VulnStatus::NotVulnerable
        );
    }

    fn closed_before_any_answer(record: &mut ProbeRecord) {
        record.flight = Some(ServerFlight {
            end: FlightEnd::Closed,
            ..Default::default()
        });
    }

    fn is_tls12_hello(r: &ProbeRequest) -> bool {
        matches!(
            &r.kind,
            ProbeKind::Hello(spec) if spec.versions == [ProtocolVersion::TLS1_2]
        )
    }

    /// nginx past its worker_connections accepts and closes at once. It
    /// refuses other versions with an alert, so a close before any byte is
    /// not its refusal: TLS 1.2 is unknown, never "not supported", and the
    /// engine retries such a close.
    #[test]
    fn a_busy_servers_close_is_unknown_when_it_refuses_with_alerts() {
        let (report, obs) =
            run_failing(&[0xc030, 0x009c], is_tls12_hello, closed_before_any_answer);
        let tls12 = &report.protocols.tls1_2;
        assert_eq!(tls12.supported, None, "{}", tls12.evidence);
        assert!(
            tls12
                .evidence
                .contains("refuses other version and suite offers with an alert"),
            "{}",
            tls12.evidence
        );
        assert_eq!(report.protocols.tls1_1.supported, Some(false));
        assert!(report
            .unknown
            .contains(&"protocols.tls1_2.supported".to_string()));
        let closed = obs
            .probes
            .iter()
            .find(|r| {
                r.request.purpose
                    == Purpose::Version {
                        version: ProtocolVersion::TLS1_2,
                    }
            })
            .unwrap();
        assert!(looks_rate_limited(closed, &obs, &[]));

        // Only the first hello dropped (the server was busy for a moment):
        // the smaller offers that follow are answered and the list is whole.
        let (report, _) = run_failing(
            &[0xc030, 0x009c],
            |r| {
                r.purpose
                    == Purpose::Version {
                        version: ProtocolVersion::TLS1_2,
                    }
            },
            closed_before_any_answer,
        );
        assert_eq!(
            report.protocols.tls1_2.supported,
            Some(true),
            "{}",
            report.protocols.tls1_2.evidence
        );
        assert_eq!(report.protocols.tls1_2.cipher_suites.len(), 2);
    }

    /// A server that refuses by closing (no alert ever) and answers the
    /// hellos it serves: its close is a refusal.
    #[test]
    fn a_close_is_a_refusal_from_a_server_that_never_sends_alerts() {
        let (report, obs) = run_failing(
            &[0xc030, 0x009c],
            |r| {
                !matches!(&r.kind, ProbeKind::Hello(spec) if spec.versions == [ProtocolVersion::TLS1_2]
                    && spec.cipher_suites.iter().any(|s| [0xc030, 0x009c].contains(&s.0)))
            },
            closed_before_any_answer,
        );
        let p = &report.protocols;
        assert_eq!(p.tls1_2.supported, Some(true));
        assert_eq!(p.tls1_1.supported, Some(false), "{}", p.tls1_1.evidence);
        assert_eq!(p.tls1_3.supported, Some(false));
        assert_eq!(p.tls1_2.cipher_suites.len(), 2);
        assert!(p.tls1_2.cipher_suites_interrupted.is_none());
        let closed = obs
            .probes
            .iter()
            .find(|r| {
                r.request.purpose
                    == Purpose::Version {
                        version: ProtocolVersion::TLS1_1,
                    }
            })
            .unwrap();
        assert!(!looks_rate_limited(closed, &obs, &[]));
    }

    /// What the engine does to a probe it tries again (engine.rs,
    /// `renamed_attempt`): the failed attempt stays in the observations
    /// under a purpose no chain reads.
    fn renamed(failed: &ProbeRecord) -> ProbeRecord {
        let mut record = failed.clone();
        record.request.purpose = Purpose::Feature {
            name: format!(
                "retried: {}",
                serde_json::to_string(&failed.request.purpose).unwrap()
            ),
        };
        record
    }

    /// The CI failure of `scan_concurrent`: the first TLS 1.2 hello was
    /// dropped by a busy server (a close before any byte, still failing
    /// after the retries of its round), so the plan enumerated TLS 1.2 in
    /// chunks. When the plan was done the engine tried the dropped hello
    /// once more (`retry_in_hindsight`), it got a ServerHello, and its
    /// record replaced the failed one. The chunks stay chunks: the first
    /// chunk's refusal (none of its 64 suites) is not the single chain's
    /// refusal, and the list is whole.
    #[test]
    fn a_first_hello_answered_only_in_hindsight_keeps_its_chunks() {
        let suites = [0xc030, 0x009c, 0xc02f];
        let first = Purpose::Version {
            version: ProtocolVersion::TLS1_2,
        };
        let (report, mut obs) =
            run_failing(&suites, |r| r.purpose == first, closed_before_any_answer);
        assert_eq!(report.protocols.tls1_2.cipher_suites.len(), 3);
        let chunk = obs
            .probe(&Purpose::Suites {
                version: ProtocolVersion::TLS1_2,
                round: 1,
            })
            .expect("enumerated in chunks");
        assert!(offered_suites(chunk).len() <= CHUNK);
        // retry_in_hindsight: the answer replaces the failed record in
        // place, the failed attempt is kept renamed, and the plan is made
        // again.
        let i = obs
            .probes
            .iter()
            .position(|r| r.request.purpose == first)
            .unwrap();
        let answered = answer(obs.probes[i].request.clone(), &suites, true);
        let failed = std::mem::replace(&mut obs.probes[i], answered);
        obs.probes.push(renamed(&failed));
        let (report, _) = scan_until_done(&mut obs, |r| answer(r, &suites, true));
        let tls12 = &report.protocols.tls1_2;
        assert_eq!(tls12.supported, Some(true));
        let mut got: Vec<u16> = tls12
            .cipher_suites
            .iter()
            .filter_map(|n| CipherSuite::from_name(n))
            .map(|s| s.0)
            .collect();
        got.sort();
        let mut want = suites.to_vec();
        want.sort();
        assert_eq!(
            got, want,
            "interrupted: {:?}",
            tls12.cipher_suites_interrupted
        );
        assert_eq!(tls12.server_order, Some(true));
    }

    /// The other silently short list of `scan_concurrent`: a group hello
    /// closed before any byte (after a reset) ended the group enumeration
    /// as the server's refusal, because the server had not yet refused a
    /// group offer with an alert. But this server was seen dropping hellos
    /// it answers when asked again: its bare close is no refusal.
    #[test]
    fn a_close_is_no_refusal_from_a_server_seen_dropping_hellos_it_answers() {
        let suites = [0xc030, 0x009c];
        let (_, mut obs) = run_failing(&suites, |_| false, |_| {});
        let version = ProtocolVersion::TLS1_2;
        let groups1 = Purpose::ScanGroups { version, round: 1 };
        let i = obs
            .probes
            .iter()
            .position(|r| r.request.purpose == groups1)
            .expect("a group enumeration at TLS 1.2");
        let flight = obs.probes[i].flight.as_mut().unwrap();
        flight.key_exchange = Some(model::KeyExchangeObservation {
            kind: "ecdhe".into(),
            group: Some(NamedGroup(23)),
            dh_prime_bits: None,
            dh_prime: None,
            dh_generator: None,
            signature_scheme: None,
        });
        assert_eq!(group_chain(&obs, version).picks, [NamedGroup(23)]);
        // The next group hello: reset, then closed when tried again.
        let mut second = obs.probes[i].clone();
        second.request.purpose = Purpose::ScanGroups { version, round: 2 };
        let mut reset = second.clone();
        reset_before_any_answer(&mut reset);
        closed_before_any_answer(&mut second);
        // The first TLS 1.2 hello was dropped once and answered when tried
        // again (the engine's retry).
        let first = obs.probe(&Purpose::Version { version }).unwrap().clone();
        let mut dropped = renamed(&first);
        closed_before_any_answer(&mut dropped);
        obs.probes.push(dropped);
        obs.probes.push(renamed(&reset));
        obs.probes.push(second.clone());

        assert!(failure(&second, &obs).is_some());
        assert!(looks_rate_limited(&second, &obs, &[]));
        let chain = group_chain(&obs, version);
        assert!(chain.interrupted.is_some(), "{chain:?}");
        let report = report(&obs, &ctx());
        assert!(
            report.protocols.tls1_2.groups_interrupted.is_some(),
            "{:?}",
            report.protocols.tls1_2.groups
        );
        assert!(report
            .unknown
            .contains(&"protocols.tls1_2.groups".to_string()));
    }

    /// Every connection closed before a byte: nothing is known.
    #[test]
    fn a_server_that_drops_every_connection_is_unknown_throughout() {
        let (report, _) = run_failing(&[0xc030], |_| true, closed_before_any_answer);
        for (name, p) in report.protocols.iter() {
            assert_eq!(p.supported, None, "{name}: {}", p.evidence);
        }
    }

    /// The order hello offers DHE last, so a client-order server answers it
    /// without a DHE key; one that accepts a single other suite is asked
    /// again with the plain reversal, and both orders are still told apart.
    #[test]
    fn the_order_hello_spares_dhe_and_still_tells_the_orders_apart() {
        let many = [0xc02f, 0x009c, 0x002f, 0x009e, 0x0033];
        let one_besides_dhe = [0xc02f, 0x009e, 0x009f];
        for (suites, server_order) in [
            (&many[..], false),
            (&many[..], true),
            (&one_besides_dhe[..], false),
            (&one_besides_dhe[..], true),
        ] {
            let mut obs = observations();
            let (report, _) = scan_until_done(&mut obs, |r| answer(r, suites, server_order));
            let tls12 = &report.protocols.tls1_2;
            assert_eq!(tls12.server_order, Some(server_order), "{suites:x?}");
            assert_eq!(tls12.cipher_suites.len(), suites.len());
            let order_pick = order_pick(&obs, ProtocolVersion::TLS1_2).unwrap();
            let full = obs.has(&Purpose::SuiteOrderFull {
                version: ProtocolVersion::TLS1_2,
            });
            if suites.len() == many.len() {
                assert!(!full);
                if !server_order {
                    assert!(!is_dhe(&order_pick), "{order_pick}");
                }
            } else {
                assert_eq!(full, order_pick == CipherSuite(0xc02f));
            }
        }
    }

    /// Answers as a TLS 1.2 server with one ECDHE suite that takes the
    /// client's first acceptable group and signature scheme.
    fn answer_groups_and_signatures(
        req: ProbeRequest,
        groups: &[u16],
        groups_in_server_order: bool,
        schemes: &[u16],
    ) -> ProbeRecord {
        let suite = CipherSuite(0xc02f);
        let mut record = answer(req, &[suite.0], false);
        let ProbeKind::Hello(spec) = &record.request.kind else {
            return record;
        };
        let group = if groups_in_server_order {
            groups
                .iter()
                .map(|g| NamedGroup(*g))
                .find(|g| spec.groups.contains(g))
        } else {
            spec.groups.iter().find(|g| groups.contains(&g.0)).copied()
        };
        let scheme = spec
            .signature_algorithms
            .iter()
            .find(|s| schemes.contains(&s.0))
            .copied();
        let flight = record.flight.as_mut().unwrap();
        if flight.server_hello.is_some() {
            match (group, scheme) {
                (Some(group), Some(scheme)) => {
                    flight.key_exchange = Some(model::KeyExchangeObservation {
                        kind: "ecdhe".into(),
                        group: Some(group),
                        dh_prime_bits: None,
                        dh_prime: None,
                        dh_generator: None,
                        signature_scheme: Some(scheme),
                    });
                }
                _ => {
                    flight.server_hello = None;
                    flight.end = FlightEnd::Alert;
                }
            }
        }
        record
    }

    /// The group and signature enumerations at TLS 1.2 share what each
    /// ServerKeyExchange shows: the lists are whole, in offer order, and
    /// take fewer signed answers than one enumeration after the other.
    #[test]
    fn group_and_signature_enumerations_share_their_answers() {
        for server_order in [false, true] {
            group_and_signature_enumerations(server_order);
        }
    }

    fn group_and_signature_enumerations(groups_in_server_order: bool) {
        let groups = [29, 23, 24];
        let schemes = [0x0804, 0x0805, 0x0401, 0x0501, 0x0201];
        let mut obs = observations();
        let (report, _) = scan_until_done(&mut obs, |r| {
            answer_groups_and_signatures(r, &groups, groups_in_server_order, &schemes)
        });
        let tls12 = &report.protocols.tls1_2;
        // The signature enumeration's first hello told the order.
        assert_eq!(tls12.group_server_order, Some(groups_in_server_order));
        assert!(!obs.has(&Purpose::GroupOrder {
            version: ProtocolVersion::TLS1_2
        }));
        if groups_in_server_order {
            let names: Vec<String> = groups.iter().map(|g| NamedGroup(*g).name()).collect();
            assert_eq!(tls12.groups, names);
        }
        let names = |codes: &[u16], order: Vec<u16>| -> Vec<String> {
            order
                .into_iter()
                .filter(|c| codes.contains(c))
                .map(|c| NamedGroup(c).name())
                .collect()
        };
        let group_order: Vec<u16> = offers::groups(ProtocolVersion::TLS1_2)
            .iter()
            .map(|g| g.0)
            .collect();
        if !groups_in_server_order {
            assert_eq!(tls12.groups, names(&groups, group_order));
        }
        assert_eq!(tls12.groups_interrupted, None);
        let scheme_names: Vec<String> = offers::signature_schemes()
            .into_iter()
            .filter(|s| schemes.contains(&s.0))
            .map(|s| s.name())
            .collect();
        assert_eq!(report.signature_algorithms, scheme_names);
        assert_eq!(report.signature_algorithms_interrupted, None);
        let enumerating = obs
            .probes
            .iter()
            .filter(|p| {
                matches!(
                    p.request.purpose,
                    Purpose::ScanGroups {
                        version: ProtocolVersion::TLS1_2,
                        ..
                    } | Purpose::ScanSignatures { .. }
                )
            })
            .count();
        // One after the other: 3 + 1 and 5 + 1 hellos.
        assert!(enumerating <= 9, "{enumerating} hellos");
    }

    #[test]
    fn a_complete_scan_infers_absence() {
        let report = run(&[0xc030, 0x009c], true);
        assert!(report
            .protocols
            .iter()
            .all(|(_, p)| p.supported.is_some() && p.cipher_suites_interrupted.is_none()));
        let sweet32 = &report.vulnerabilities.sweet32;
        assert_eq!(sweet32.status, model::VulnStatus::NotVulnerable);
        assert_eq!(sweet32.basis, Some(model::VulnBasis::Inferred));
    }

    #[test]
    fn failed_connections_are_retried_in_the_first_round_too() {
        let obs = observations();
        let ok = answer(
            ProbeRequest {
                purpose: Purpose::Handshake,
                kind: ProbeKind::Hello(HelloSpec::default()),
            },
            &[],
            true,
        );
        let mut failed = ok.clone();
        refused(&mut failed);
        // Nothing observed before this round: the round's own successes count.
        assert!(looks_rate_limited(
            &failed,
            &obs,
            &[ok.clone(), failed.clone()]
        ));
        assert!(!looks_rate_limited(
            &failed,
            &obs,
            std::slice::from_ref(&failed)
        ));
        let mut reset = ok.clone();
        reset_before_any_answer(&mut reset);
        assert!(looks_rate_limited(&reset, &obs, &[]));
        assert!(!looks_rate_limited(&ok, &obs, &[]));
    }

    #[test]
    fn well_known_primes_are_named() {
        let (name, _, hex) = dh_primes::WELL_KNOWN
            .iter()
            .find(|(n, _, _)| *n == "ffdhe2048")
            .unwrap();
        let bytes = ::hex::decode(hex).unwrap();
        assert_eq!(well_known_prime(&bytes).as_deref(), Some(*name));
        let mut other = bytes.clone();
        other[100] ^= 1;
        assert_eq!(well_known_prime(&other), None);
    }
}
