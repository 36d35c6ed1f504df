//! `explain FILE.pcap`: one captured TLS connection judged. The server's
//! side goes through the same judge as `diagnose` (the captured ClientHello
//! is the client profile, the server's plaintext flight the probe's reply);
//! then what only a capture shows decides the rest: the client's alert, who
//! closed first, whether both Finished messages went by, the lengths of the
//! encrypted records that TLS 1.3 does not let us read.
//!
//! Observed or unknown: a capture that stops before the end, or a TLS 1.3
//! abort whose reason is encrypted, says so and ranks candidates with lower
//! weights instead of naming one cause.

use std::collections::BTreeMap;

use model::{AlertObservation, CaptureFacts, Code, Observations, Report, Severity, Step};
use serde::Serialize;
use time::OffsetDateTime;
use wire::handshake::ClientHello;
use wire::registry::ProtocolVersion;

use super::{numbers, ranked, Candidate, SCHEMA_VERSION};
use crate::{judge, ClientProfile, Context};

/// A TLS 1.3 alert record is 2 bytes of alert, 1 of content type and a
/// 16-byte AEAD tag (RFC 8446 §5.2); some stacks pad a little.
const ENCRYPTED_ALERT_LEN: std::ops::RangeInclusive<u16> = 19..=24;

/// How a captured connection went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The handshake completed (both Finished, or TLS 1.3 traffic after it).
    Completed,
    /// It failed, at `failed_step`.
    Failed,
    /// The capture does not show enough to tell.
    Unknown,
}

/// One captured connection, judged.
#[derive(Clone, Debug, Serialize)]
pub struct ConnectionExplanation {
    pub stream: u32,
    pub client: String,
    pub server: String,
    /// The name the client asked for (SNI), if it sent one.
    pub server_name: Option<String>,
    /// The version the server chose (`TLS 1.3`), when its ServerHello is in the capture.
    pub version: Option<String>,
    /// The cipher suite it chose (IANA name).
    pub cipher_suite: Option<String>,
    /// The key-exchange group: TLS 1.3's key share, or a TLS 1.2
    /// ServerKeyExchange's curve.
    pub group: Option<String>,
    pub outcome: Outcome,
    /// What happened, in one or two sentences.
    pub summary: String,
    pub failed_step: Option<Step>,
    /// Most likely first; empty when the handshake completed.
    pub candidates: Vec<Candidate>,
    /// The `diagnose` command that would confirm the first candidate live.
    pub confirm: String,
    /// The judge's report on the server's side, as `diagnose` gives it.
    pub report: Report,
    pub facts: CaptureFacts,
}

/// Every connection of one capture.
#[derive(Clone, Debug, Serialize)]
pub struct CaptureExplanation {
    pub schema_version: u32,
    pub connections: Vec<ConnectionExplanation>,
    /// Connections judged but left out of `connections` (see `--all`).
    pub omitted: usize,
    /// TCP streams in the capture that carried neither TLS nor a connection attempt.
    pub other_streams: u64,
    /// Streams forgotten to keep memory bounded (they may hold more TLS).
    pub evicted_streams: u64,
}

/// The context captured connections are judged in: the captured hello as
/// the client, and the capture's own time as "now" unless `--now` was given
/// (a certificate that expired after the capture was valid when it failed).
/// Adapted per connection in place: cloning a context copies the trust
/// stores, which made a capture of a million connections spend most of its
/// time in `memcpy`.
pub struct CaptureContext {
    ctx: Context,
    now: OffsetDateTime,
    client: ClientProfile,
}

impl CaptureContext {
    /// From the context of the command line (trust stores, `--now`, client).
    pub fn new(mut ctx: Context) -> Self {
        // Nothing here fetches: a capture is judged as it is.
        ctx.fetch_issuers = false;
        Self {
            now: ctx.now,
            client: ctx.client.clone(),
            ctx,
        }
    }

    /// The context for one connection.
    pub fn for_connection(
        &mut self,
        hello: Option<&ClientHello>,
        facts: &CaptureFacts,
    ) -> &Context {
        self.ctx.client = match hello {
            Some(hello) => ClientProfile::from_client_hello(hello),
            None => self.client.clone(),
        };
        self.ctx.now = self.now;
        if !self.ctx.now_overridden {
            let captured = facts
                .start_unix_ms
                .and_then(|ms| {
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
                })
                // A capture with zero timestamps (some tools write none) is not 1970.
                .filter(|t| t.year() >= 2000);
            if let Some(t) = captured {
                self.ctx.now = t;
            }
        }
        &self.ctx
    }
}

/// Judges one captured connection (`ctx` from [`CaptureContext::for_connection`]).
pub fn connection(
    obs: &Observations,
    facts: &CaptureFacts,
    ctx: &Context,
) -> ConnectionExplanation {
    let report = judge(obs, ctx);
    let flight = obs.probes.first().and_then(|p| p.flight.as_ref());
    let server_hello = flight.and_then(|f| f.server_hello.as_ref());
    let version = server_hello.map(|sh| sh.version);
    let mut scores: BTreeMap<Code, u32> = BTreeMap::new();
    let mut add = |code: Code, weight: u32| *scores.entry(code).or_default() += weight;
    // The judge's errors are observed facts about the server's side: they lead.
    let judged_errors: Vec<Code> = report
        .diagnoses
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect();
    let (outcome, summary) = if !facts.client_hello_seen {
        let (outcome, summary) = no_hello(facts, &report);
        if outcome == Outcome::Failed {
            // The judge's TCP step names it (tcp_refused, tcp_timeout).
            for (i, code) in judged_errors.iter().enumerate() {
                add(*code, 20u32.saturating_sub(2 * i as u32));
            }
        }
        (outcome, summary)
    } else if server_hello.is_none() {
        for (i, code) in judged_errors.iter().enumerate() {
            // Without the version and suite probes of `diagnose` the judge can
            // only say "the server sent an alert"; the alert's meaning decides.
            let weight = if *code == Code::ServerAlert { 3 } else { 20 };
            add(*code, weight - (2 * i as u32).min(weight - 1));
        }
        let alert = flight.and_then(|f| f.alert());
        if let Some((_, weights)) = alert.and_then(|a| numbers::alert_weights(a.description, false))
        {
            for (code, w) in weights {
                add(code, w);
            }
        }
        before_server_hello(facts, &report)
    } else if completed(facts, version) {
        let note = if judged_errors.is_empty() {
            String::new()
        } else {
            format!(
                " Judged with tlsdoctor's trust store it would fail ({}): the client trusts more (a private CA) or does not verify.",
                judged_errors.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        (
            Outcome::Completed,
            format!(
                "The handshake completed ({}).{note}",
                version
                    .map(|v| v.display_name())
                    .unwrap_or_else(|| "TLS".into())
            ),
        )
    } else {
        for (i, code) in judged_errors.iter().enumerate() {
            add(*code, 20u32.saturating_sub(2 * i as u32));
        }
        after_server_hello(facts, obs, version, &judged_errors, &mut add)
    };
    let candidates = if outcome == Outcome::Completed {
        Vec::new()
    } else {
        ranked(scores)
    };
    let failed_step = match outcome {
        Outcome::Failed => report
            .failed_step
            .or_else(|| step_of(candidates.first().map(|c| c.code))),
        _ => None,
    };
    let server_name = obs.target.as_ref().and_then(|t| t.sni.clone());
    let confirm = confirm(obs, candidates.first().map(|c| c.code));
    ConnectionExplanation {
        stream: facts.stream,
        client: facts.client.clone(),
        server: facts.server.clone(),
        server_name,
        version: version.map(|v| v.display_name()),
        cipher_suite: server_hello.map(|sh| sh.cipher_suite.name()),
        group: server_hello
            .and_then(|sh| sh.group)
            .or_else(|| {
                flight
                    .and_then(|f| f.key_exchange.as_ref())
                    .and_then(|k| k.group)
            })
            .map(|g| g.name()),
        outcome,
        summary,
        failed_step,
        candidates,
        confirm,
        report,
        facts: facts.clone(),
    }
}

/// Whether the capture shows a finished handshake.
fn completed(facts: &CaptureFacts, version: Option<ProtocolVersion>) -> bool {
    let fatal = |a: &Option<AlertObservation>| a.as_ref().is_some_and(|a| a.level == 2);
    if fatal(&facts.client_alert) || fatal(&facts.server_alert_after_client) {
        return false;
    }
    if version == Some(ProtocolVersion::TLS1_3) && facts.decrypted {
        // The key log opened the records: the client's Finished and a request.
        return facts.client_finished && facts.client_sent_application_data == Some(true);
    }
    if version == Some(ProtocolVersion::TLS1_3) {
        // The client's first encrypted record is its Finished (or a
        // Certificate), not an alert, and the server did not answer it
        // with an alert-sized record and a close.
        let client_went_on = facts
            .client_records_after_flight
            .first()
            .is_some_and(|len| !ENCRYPTED_ALERT_LEN.contains(len));
        client_went_on && !server_aborted_tls13(facts) && !client_quit_after_handshake(facts)
    } else {
        facts.client_finished && facts.server_finished && facts.client_encrypted_alerts == 0
    }
}

/// TLS 1.3: the client sent its Finished and at most one alert-sized record
/// (close_notify or an alert), not a byte of application data, and the
/// connection closed. A client that checks the certificate after the
/// handshake (curl checks the host name then) and refuses it does this; so
/// does a client that only tests the connection. The wire cannot tell them
/// apart, so this is reported as unknown with the candidates.
fn client_quit_after_handshake(facts: &CaptureFacts) -> bool {
    // Finished with SHA-384 (4 + 48 + 1 + 16 bytes) plus one padded alert.
    const FINISHED_AND_ALERT: u64 = 69 + 24;
    let finished_first = facts
        .client_records_after_flight
        .first()
        .is_some_and(|len| !ENCRYPTED_ALERT_LEN.contains(len));
    finished_first
        && facts.closed_first.is_some()
        && facts.client_application_bytes <= FINISHED_AND_ALERT
        && !server_aborted_tls13(facts)
}

/// TLS 1.3: the client's first encrypted record after the server's flight
/// is 25 bytes: an empty Certificate message (4-byte header, empty context,
/// empty list: 8 bytes, plus the content type and a 16-byte AEAD tag). A
/// client sends a Certificate only when the server asked for one: this one
/// had none to give.
fn empty_client_certificate_tls13(facts: &CaptureFacts) -> bool {
    facts.client_records_after_flight.first() == Some(&25)
}

/// TLS 1.3: after the client's encrypted flight the server sent one
/// alert-sized record and the connection closed (what servers do when a
/// required client certificate is missing or refused). When the client closed
/// first, its own close_notify could have drawn that record, so the empty
/// Certificate must show that the server had asked.
fn server_aborted_tls13(facts: &CaptureFacts) -> bool {
    let short_reply = facts
        .server_records_after_client
        .first()
        .is_some_and(|len| ENCRYPTED_ALERT_LEN.contains(len));
    let server_closed_first = facts
        .closed_first
        .as_deref()
        .is_some_and(|c| c.starts_with("server"));
    short_reply
        && facts.server_records_after_client.len() == 1
        && facts.closed_first.is_some()
        && (server_closed_first || empty_client_certificate_tls13(facts))
}

/// A client that got no answer to its SYN retries it after one second
/// (Linux, Windows, macOS): a capture shorter than that shows no give-up.
const SYN_RETRY_MS: u64 = 1000;

fn no_hello(facts: &CaptureFacts, report: &Report) -> (Outcome, String) {
    if facts.refused {
        return (
            Outcome::Failed,
            "The server refused the TCP connection (RST to the SYN): nothing listens on that port, or a firewall rejects it.".into(),
        );
    }
    if facts.syn_unanswered {
        if facts.duration_ms.is_some_and(|ms| ms >= SYN_RETRY_MS) && report.failed_step.is_some() {
            return (
                Outcome::Failed,
                "The SYN got no answer while the client kept trying: the host is down or a firewall drops the packets (or the capture missed the replies).".into(),
            );
        }
        return (
            Outcome::Unknown,
            "The capture ends before the SYN could be answered: capture longer to see whether the server answers.".into(),
        );
    }
    let why = if facts.mid_stream {
        "The capture began after this connection's handshake: only encrypted records are in it."
    } else {
        "The capture holds no ClientHello for this connection."
    };
    (Outcome::Unknown, why.into())
}

fn before_server_hello(facts: &CaptureFacts, report: &Report) -> (Outcome, String) {
    let open_at_end = facts.closed_first.is_none() && facts.ending != "closed";
    if open_at_end && report.primary_code() == Code::HandshakeTimeout {
        return (
            Outcome::Unknown,
            "The capture ends before the server answered the ClientHello: capture longer to see the server's reply.".into(),
        );
    }
    let first = report
        .diagnoses
        .iter()
        .find(|d| d.severity == Severity::Error)
        .map(|d| d.summary.clone())
        .unwrap_or_else(|| "The server did not answer the ClientHello with a ServerHello.".into());
    (Outcome::Failed, first)
}

fn after_server_hello(
    facts: &CaptureFacts,
    obs: &Observations,
    version: Option<ProtocolVersion>,
    judged_errors: &[Code],
    add: &mut impl FnMut(Code, u32),
) -> (Outcome, String) {
    let flight = obs.probes.first().and_then(|p| p.flight.as_ref());
    let asked_for_certificate = flight.is_some_and(|f| f.certificate_request.is_some());
    let tls13 = version == Some(ProtocolVersion::TLS1_3);
    let mut sentences = Vec::new();
    // The only finding is one the wire cannot tell from a success.
    let mut ambiguous = false;
    if let Some(alert) = &facts.client_alert {
        if let Some((name, weights)) = numbers::alert_weights(alert.description, true) {
            for (code, w) in weights {
                add(code, w);
            }
            sentences.push(format!(
                "The client refused the server's handshake with alert {name} ({}).",
                alert.description
            ));
        }
    }
    if let Some(alert) = &facts.server_alert_after_client {
        match facts.client_certificate {
            Some(false) | None if asked_for_certificate => {
                add(Code::ClientCertRequired, 16);
                sentences.push(format!(
                    "The server asked for a client certificate, the client sent none, and the server ended the handshake with alert {} ({}).",
                    wire::registry::AlertDescription(alert.description).name(),
                    alert.description
                ));
            }
            Some(true) => {
                add(Code::ClientCertRejected, 16);
                sentences.push(format!(
                    "The client sent a certificate and the server refused it with alert {} ({}).",
                    wire::registry::AlertDescription(alert.description).name(),
                    alert.description
                ));
            }
            _ => {
                if let Some((name, weights)) = numbers::alert_weights(alert.description, false) {
                    for (code, w) in weights {
                        add(code, w);
                    }
                    sentences.push(format!(
                        "The server ended the handshake after the client's second flight with alert {name} ({}).",
                        alert.description
                    ));
                }
            }
        }
    }
    if tls13 && !facts.decrypted && facts.client_alert.is_none() {
        let first = facts.client_records_after_flight.first();
        let client_aborted = first.is_none_or(|len| ENCRYPTED_ALERT_LEN.contains(len))
            && facts
                .closed_first
                .as_deref()
                .is_some_and(|c| c.starts_with("client"));
        if client_aborted {
            // The certificate is encrypted: rank what a client refuses most.
            for (code, w) in [
                (Code::CertUntrustedRoot, 6),
                (Code::CertSelfSigned, 5),
                (Code::CertHostnameMismatch, 5),
                (Code::CertExpired, 4),
                (Code::CertChainIncomplete, 4),
            ] {
                add(code, w);
            }
            sentences.push(format!(
                "The client aborted {} after the server's encrypted flight{}: in TLS 1.3 that is a client refusing the server's certificate (or its signature). TLS 1.3 encrypts the certificate, so the capture cannot show which check failed; the confirm command shows it.",
                if first.is_some() { "with an encrypted alert" } else { "without a word" },
                facts
                    .client_close_after_ms
                    .map(|ms| format!(" ({ms} ms later)"))
                    .unwrap_or_default()
            ));
        } else if client_quit_after_handshake(facts) {
            for (code, w) in [
                (Code::CertHostnameMismatch, 6),
                (Code::CertUntrustedRoot, 4),
                (Code::CertSelfSigned, 3),
                (Code::CertExpired, 3),
            ] {
                add(code, w);
            }
            sentences.push(
                "The client finished the handshake and the connection closed without a byte of application data: either the client refused the server's certificate after the handshake (curl checks the host name then), or it only tested the connection. TLS 1.3 encrypts the certificate, so the capture cannot tell; the confirm command shows the certificate.".into(),
            );
            ambiguous = true;
        } else if server_aborted_tls13(facts) && empty_client_certificate_tls13(facts) {
            add(Code::ClientCertRequired, 9);
            sentences.push(
                "The server asked for a client certificate (the client answered with an empty Certificate message, 25 bytes encrypted), then answered the client's flight with an alert-sized record and closed: a required client certificate was missing.".into(),
            );
        } else if server_aborted_tls13(facts) {
            add(Code::ClientCertRequired, 7);
            add(Code::ClientCertRejected, 6);
            sentences.push(
                "The server answered the client's encrypted flight with an alert-sized record and closed: in TLS 1.3 that is most often a required client certificate that was missing or refused (the CertificateRequest is encrypted, so the capture cannot show it).".into(),
            );
        }
    }
    let opened_quiet_finish = facts.decrypted
        && facts.client_finished
        && facts.client_sent_application_data == Some(false);
    if opened_quiet_finish && sentences.is_empty() && judged_errors.is_empty() {
        sentences.push(
            "The handshake completed (the key log shows both Finished messages), but the client sent no request before the connection closed: it refused something after the handshake, or only tested the connection.".into(),
        );
        ambiguous = true;
    }
    if facts.client_encrypted_alerts > 0 && !tls13 && sentences.is_empty() {
        add(Code::HandshakeReset, 3);
        sentences.push("The client sent an encrypted alert after its Finished.".into());
    }
    if sentences.is_empty() && judged_errors.is_empty() {
        let how = match facts.closed_first.as_deref() {
            Some("server_rst") => "the server reset the connection",
            Some("server_fin") => "the server closed the connection",
            Some("client_rst") => "the client reset the connection",
            Some("client_fin") => "the client closed the connection",
            _ => "",
        };
        if how.is_empty() {
            return (
                Outcome::Unknown,
                "The capture ends during the handshake: capture until the connection closes to see how it ended.".into(),
            );
        }
        add(Code::HandshakeReset, 6);
        sentences.push(format!(
            "After the ServerHello {how} without an alert before the handshake finished."
        ));
    }
    if sentences.is_empty() {
        sentences.push(
            "The server's flight itself fails the checks every client makes (see the diagnoses)."
                .into(),
        );
    }
    let outcome = if ambiguous && sentences.len() == 1 && judged_errors.is_empty() {
        Outcome::Unknown
    } else {
        Outcome::Failed
    };
    (outcome, sentences.join(" "))
}

/// The step a code belongs to, when the judge's walk did not fail.
fn step_of(code: Option<Code>) -> Option<Step> {
    Some(match code? {
        Code::ClientCertRequired | Code::ClientCertRejected => Step::ClientCertificate,
        Code::HandshakeReset => Step::Finished,
        c if c.as_str().starts_with("cert_") => Step::Certificate,
        _ => Step::ServerHello,
    })
}

/// `tlsdoctor diagnose NAME:PORT --connect-to IP`, so the live check reaches
/// the server the capture shows under the name the client asked for.
fn confirm(obs: &Observations, first: Option<Code>) -> String {
    let Some(target) = &obs.target else {
        return "tlsdoctor diagnose HOST".into();
    };
    let mut command = format!("tlsdoctor diagnose {}", target.display());
    if let (Some(_), Some(ip)) = (&target.sni, target.connect_to) {
        command.push_str(&format!(" --connect-to {ip}"));
    }
    if matches!(
        first,
        Some(Code::ClientCertRequired | Code::ClientCertRejected)
    ) {
        command.push_str(" --client-cert client.pem --client-key client.key");
    }
    command
}

impl CaptureExplanation {
    /// Judged connections, failures first is up to the caller; this only wraps.
    pub fn new(
        connections: Vec<ConnectionExplanation>,
        omitted: usize,
        other_streams: u64,
        evicted_streams: u64,
    ) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            connections,
            omitted,
            other_streams,
            evicted_streams,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{
        FlightEnd, HelloSpec, ProbeKind, ProbeRecord, ProbeRequest, Purpose, ServerFlight, Target,
        TcpOutcome,
    };

    fn ctx() -> Context {
        Context {
            now: OffsetDateTime::now_utc(),
            now_overridden: false,
            client: crate::profiles::default_profile(),
            trust: crate::TrustStores::default(),
            client_identity: false,
            fetch_issuers: false,
        }
    }

    /// Observations as `probe::capture` records them: the captured hello's
    /// probe with the server's plaintext flight.
    fn observed(flight: ServerFlight) -> Observations {
        let mut target = Target::new("app.example", 443);
        target.connect_to = Some("192.0.2.7".parse().unwrap());
        let mut obs = Observations::new(target);
        obs.probes.push(ProbeRecord {
            request: ProbeRequest {
                purpose: Purpose::ClientHello,
                kind: ProbeKind::Hello(HelloSpec::default()),
            },
            ip: Some("192.0.2.7".parse().unwrap()),
            tcp: TcpOutcome::Connected { elapsed_ms: 1 },
            transport: None,
            flight: Some(flight),
            handshake: None,
            fetch: None,
            caa: None,
            elapsed_ms: 30,
        });
        obs
    }

    fn tls13_flight() -> ServerFlight {
        ServerFlight {
            server_hello: Some(crate::fixtures::server_hello(
                ProtocolVersion::TLS1_3,
                0x1301,
            )),
            encrypted_records: 1,
            end: FlightEnd::Complete,
            ..ServerFlight::default()
        }
    }

    fn facts(closed_first: &str) -> CaptureFacts {
        CaptureFacts {
            client_hello_seen: true,
            closed_first: Some(closed_first.into()),
            ending: "closed".into(),
            ..CaptureFacts::default()
        }
    }

    #[test]
    fn a_tls13_client_that_closes_after_its_finished_is_unknown_with_the_certificate_ranked() {
        // curl against a certificate for another name: Finished (53 bytes),
        // close_notify-sized record, FIN; no request.
        let f = CaptureFacts {
            client_records_after_flight: vec![53],
            client_application_bytes: 53 + 19,
            ..facts("client_fin")
        };
        let e = connection(&observed(tls13_flight()), &f, &ctx());
        assert_eq!(
            e.outcome,
            Outcome::Unknown,
            "{} {:?}",
            e.summary,
            e.report.diagnoses
        );
        assert_eq!(e.candidates[0].code, Code::CertHostnameMismatch);
        // The same with the server's ticket between the Finished and the
        // alert, and the server closing first.
        let f = CaptureFacts {
            client_records_after_flight: vec![69, 19],
            client_application_bytes: 88,
            server_records_after_client: vec![179],
            ..facts("server_fin")
        };
        let e = connection(&observed(tls13_flight()), &f, &ctx());
        assert_eq!(e.outcome, Outcome::Unknown);
        assert_eq!(e.candidates[0].code, Code::CertHostnameMismatch);
        assert_eq!(
            e.confirm,
            "tlsdoctor diagnose app.example:443 --connect-to 192.0.2.7"
        );
    }

    #[test]
    fn a_tls13_server_that_answers_the_clients_flight_with_an_alert_wants_a_certificate() {
        let f = CaptureFacts {
            client_records_after_flight: vec![53],
            client_application_bytes: 53,
            server_records_after_client: vec![19],
            ..facts("server_fin")
        };
        let e = connection(&observed(tls13_flight()), &f, &ctx());
        assert_eq!(e.outcome, Outcome::Failed);
        assert_eq!(e.candidates[0].code, Code::ClientCertRequired);
        assert!(e
            .confirm
            .ends_with("--client-cert client.pem --client-key client.key"));
    }

    #[test]
    fn an_empty_tls13_client_certificate_then_an_alert_is_a_missing_client_certificate() {
        // openssl s_client without a certificate against a server that
        // requires one: empty Certificate (25) + Finished (69), the server's
        // alert (19), and the client's FIN racing the server's.
        let f = CaptureFacts {
            client_records_after_flight: vec![25],
            client_application_bytes: 94,
            server_records_after_client: vec![19],
            ..facts("client_fin")
        };
        let e = connection(&observed(tls13_flight()), &f, &ctx());
        assert_eq!(e.outcome, Outcome::Failed);
        assert_eq!(e.candidates[0].code, Code::ClientCertRequired);
    }

    #[test]
    fn traffic_after_the_finished_is_a_completed_handshake() {
        let f = CaptureFacts {
            client_records_after_flight: vec![53],
            client_application_bytes: 53 + 400,
            server_records_after_client: vec![250, 250, 3000],
            server_application_bytes: 3500,
            ..facts("client_fin")
        };
        let e = connection(&observed(tls13_flight()), &f, &ctx());
        assert_eq!(e.outcome, Outcome::Completed);
        assert!(e.candidates.is_empty());
    }

    #[test]
    fn a_server_alert_before_the_server_hello_is_read_for_its_meaning() {
        let flight = ServerFlight {
            alerts: vec![AlertObservation {
                level: 2,
                description: 70,
            }],
            end: FlightEnd::Alert,
            ..ServerFlight::default()
        };
        let e = connection(&observed(flight), &facts("server_fin"), &ctx());
        assert_eq!(e.outcome, Outcome::Failed);
        assert_eq!(e.candidates[0].code, Code::ProtocolMismatch);
    }

    #[test]
    fn an_unanswered_syn_is_a_timeout_only_once_the_client_retried() {
        let mut obs = observed(ServerFlight::default());
        obs.probes[0].tcp = TcpOutcome::Timeout { after_ms: 3000 };
        obs.probes[0].flight = None;
        let mut f = CaptureFacts {
            syn_unanswered: true,
            duration_ms: Some(3000),
            ending: "capture_ended".into(),
            ..CaptureFacts::default()
        };
        let e = connection(&obs, &f, &ctx());
        assert_eq!(e.outcome, Outcome::Failed);
        assert_eq!(e.candidates[0].code, Code::TcpTimeout);
        f.duration_ms = Some(0);
        let e = connection(&obs, &f, &ctx());
        assert_eq!(e.outcome, Outcome::Unknown);
    }

    #[test]
    fn a_capture_that_stops_before_the_reply_is_unknown() {
        let flight = ServerFlight {
            end: FlightEnd::Timeout,
            ..ServerFlight::default()
        };
        let f = CaptureFacts {
            client_hello_seen: true,
            ending: "capture_ended".into(),
            ..CaptureFacts::default()
        };
        let e = connection(&observed(flight), &f, &ctx());
        assert_eq!(e.outcome, Outcome::Unknown);
    }
}
