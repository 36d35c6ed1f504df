//! Why a probe taught us nothing, and whether it is worth trying again.
//!
//! A failed connection, a reset or silence before the server answered, or a
//! close before any byte that is not how this server refuses, is never
//! evidence of "no": every judgement that reads probe records (the scan's
//! facts, the vulnerability checks, the engine's retry policy) asks
//! [`failure`] first. Pure; shared by `scan` and `vulns` so that neither
//! depends on the other for it.

use model::{FlightEnd, Observations, ProbeKind, ProbeRecord, Purpose, TcpOutcome};

/// Why a probe taught us nothing: its connection failed before the server
/// answered (refused, unreachable, timed out), or the server went silent or
/// reset the connection without an alert before it had said what the probe
/// asked, or closed it before any byte where that is not how this server
/// refuses (the bare-close rule below). `None` when the server answered: a
/// ServerHello, an alert, or its way of refusing. `obs` is everything the
/// scan saw. A failure is never evidence of "no".
pub fn failure(record: &ProbeRecord, obs: &Observations) -> Option<String> {
    failure_among(record, &obs.probes)
}

/// [`failure`], judged against `seen` (the scan's probes, and during a round
/// the round's own).
pub(crate) fn failure_among<'a>(
    record: &ProbeRecord,
    seen: impl IntoIterator<Item = &'a ProbeRecord> + Clone,
) -> Option<String> {
    if !record.tcp.is_connected() {
        return Some(tcp_text(&record.tcp));
    }
    if let Some(stage) = record.transport.as_ref().and_then(|t| t.failed_stage()) {
        return Some(transport_text(stage));
    }
    if let Some(hs) = &record.handshake {
        return match &hs.error {
            Some(model::HandshakeError::Reset) => {
                Some("the connection was reset during the handshake".into())
            }
            Some(model::HandshakeError::Timeout { .. }) => {
                Some("the handshake stalled until the timeout".into())
            }
            _ => None,
        };
    }
    let Some(flight) = &record.flight else {
        return Some("no reply was recorded".into());
    };
    if flight.alert().is_some() {
        return None;
    }
    let before = if flight.bytes_received == 0 {
        "before any answer"
    } else {
        "in the middle of the answer"
    };
    match flight.end {
        FlightEnd::Reset => Some(format!("connection reset {before}")),
        FlightEnd::Timeout => Some(format!("the server went silent {before} until the timeout")),
        FlightEnd::Closed if flight.bytes_received == 0 => bare_close_failure(record, seen),
        _ => None,
    }
}

/// A close (FIN) before any byte is how some servers refuse a hello they
/// will not serve, and also how a server out of connections (nginx past its
/// `worker_connections`) or limiting this client's rate drops a connection
/// it accepted. The rest of the scan tells which:
/// - no probe got a byte from the server: it dropped every connection, and
///   nothing says it would refuse this one: unknown;
/// - the server refused another hello of the same kind (suites, groups,
///   signature schemes: [`RefusalKind`]) with an alert: dropping this one is
///   not how it refuses: unknown (busy or rate limiting);
/// - the server dropped a hello (a close or reset before any byte) that it
///   answered on another connection (the engine's retries keep the failed
///   attempts): it drops connections, so a close says nothing about what
///   this hello asked: unknown. A server whose close is its refusal closes
///   the same hello every time;
/// - otherwise a refusal (`None`). Servers do refuse one kind with an alert
///   and another by closing (a rustls server without a common signature
///   scheme closes; the version refusals before it were alerts), so only the
///   same kind counts.
///
/// The engine tries every such close once more, one connection at a time,
/// so a busy server's drop rarely reaches this judgement.
fn bare_close_failure<'a>(
    record: &ProbeRecord,
    seen: impl IntoIterator<Item = &'a ProbeRecord> + Clone,
) -> Option<String> {
    let answered = |r: &ProbeRecord| {
        r.flight.as_ref().is_some_and(|f| {
            f.bytes_received > 0
                || f.server_hello.is_some()
                || f.ssl2.is_some()
                || f.end == FlightEnd::Alert
                || !f.alerts.is_empty()
        }) || r
            .handshake
            .as_ref()
            .is_some_and(|h| h.version.is_some() || !h.chain.is_empty())
    };
    if !seen.clone().into_iter().any(answered) {
        return Some(
            "closed before any answer, as every connection of the scan so far was (a connection limit, a busy server, or TLS refused to this client)"
                .into(),
        );
    }
    let kind = RefusalKind::of(record)?;
    let refused_with_alert = |r: &ProbeRecord| {
        RefusalKind::of(r) == Some(kind)
            && r.flight.as_ref().is_some_and(|f| {
                f.server_hello.is_none()
                    && (f.end == FlightEnd::Alert || f.alert().is_some_and(|a| a.level == 2))
            })
    };
    if seen.clone().into_iter().any(refused_with_alert) {
        return Some(format!(
            "closed before any answer, though this server refuses other {} offers with an alert (busy, a connection limit or rate limiting)",
            kind.as_str()
        ));
    }
    let answered_elsewhere = |dropped: &ProbeRecord| {
        seen.clone()
            .into_iter()
            .any(|r| answered(r) && r.request.kind == dropped.request.kind)
    };
    if seen
        .clone()
        .into_iter()
        .any(|r| dropped_before_any_answer(r) && answered_elsewhere(r))
    {
        return Some(
            "closed before any answer, though this server drops connections: it answered a hello on one connection that it dropped on another (busy, a connection limit or rate limiting)"
                .into(),
        );
    }
    None
}

/// A hello connection the server closed or reset before any byte.
fn dropped_before_any_answer(record: &ProbeRecord) -> bool {
    matches!(
        record.request.kind,
        ProbeKind::Hello(_) | ProbeKind::Ssl2 { .. } | ProbeKind::Vulnerability(_)
    ) && record.tcp.is_connected()
        && record.flight.as_ref().is_some_and(|f| {
            f.bytes_received == 0
                && matches!(f.end, FlightEnd::Closed | FlightEnd::Reset)
                && f.alert().is_none()
        })
}

/// What a crafted hello asks the server to choose from, for comparing how
/// the server refuses (the bare-close rule below).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefusalKind {
    /// Versions and suites.
    Suites,
    Groups,
    Signatures,
}

impl RefusalKind {
    fn of(record: &ProbeRecord) -> Option<Self> {
        if !matches!(record.request.kind, ProbeKind::Hello(_)) {
            return None;
        }
        Some(match record.request.purpose {
            Purpose::Version { .. }
            | Purpose::Suites { .. }
            | Purpose::SuitePart { .. }
            | Purpose::SuiteOrder { .. }
            | Purpose::SuiteOrderFull { .. }
            | Purpose::SuiteOrderRound { .. } => Self::Suites,
            Purpose::Groups | Purpose::ScanGroups { .. } | Purpose::GroupOrder { .. } => {
                Self::Groups
            }
            Purpose::SignatureAlgorithms
            | Purpose::ScanSignatures { .. }
            | Purpose::CertificateKind { .. } => Self::Signatures,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Suites => "version and suite",
            Self::Groups => "group",
            Self::Signatures => "signature scheme",
        }
    }
}

/// This server refuses by closing: at least two hellos it closed before any
/// answer were closed again when asked once more on a fresh connection, and
/// no hello it dropped was answered when asked again. Then one more look at
/// a close teaches nothing (each look costs the round a pause): Dovecot and
/// other servers that close without flushing their alert pay it on every
/// round otherwise.
pub fn refuses_by_closing<'a>(seen: impl IntoIterator<Item = &'a ProbeRecord> + Clone) -> bool {
    let closed: Vec<&ProbeRecord> = seen
        .clone()
        .into_iter()
        .filter(|r| closed_before_any_answer(r))
        .collect();
    // Distinct hellos closed at least twice (the first answer and the look again).
    let mut confirmed: Vec<&ProbeKind> = Vec::new();
    for record in &closed {
        let times = closed
            .iter()
            .filter(|other| other.request.kind == record.request.kind)
            .count();
        if times >= 2 && !confirmed.contains(&&record.request.kind) {
            confirmed.push(&record.request.kind);
        }
    }
    let answered_after_drop = seen.clone().into_iter().any(|dropped| {
        dropped_before_any_answer(dropped)
            && seen.clone().into_iter().any(|r| {
                r.request.kind == dropped.request.kind
                    && r.flight
                        .as_ref()
                        .is_some_and(|f| f.bytes_received > 0 || f.server_hello.is_some())
            })
    });
    confirmed.len() >= 2 && !answered_after_drop
}

/// A hello closed (FIN) before any byte: some servers' refusal, a busy
/// server's drop. Worth one more look whatever the rest of the scan says,
/// since a second sample is what tells the two apart when the scan has not
/// yet seen how this server refuses.
pub fn closed_before_any_answer(record: &ProbeRecord) -> bool {
    matches!(
        record.request.kind,
        ProbeKind::Hello(_) | ProbeKind::Ssl2 { .. } | ProbeKind::Vulnerability(_)
    ) && record.tcp.is_connected()
        && record.flight.as_ref().is_some_and(|f| {
            f.bytes_received == 0 && f.end == FlightEnd::Closed && f.alert().is_none()
        })
}

/// True when a failed probe is worth trying again: the TCP connection
/// itself failed although another one to the same server succeeded (earlier,
/// or in the same round: the first round gets the same retry as later ones),
/// or a crafted hello got a bare reset before any answer, or a close before
/// any answer that is not how this server refuses ([`failure`]). Silence
/// until the timeout is not retried (it would cost the whole timeout again).
pub fn looks_rate_limited(record: &ProbeRecord, obs: &Observations, round: &[ProbeRecord]) -> bool {
    let others_ok = obs.probes.iter().chain(round).any(|p| p.tcp.is_connected());
    match &record.tcp {
        TcpOutcome::Refused { .. } | TcpOutcome::Timeout { .. } | TcpOutcome::Error { .. } => {
            others_ok
        }
        TcpOutcome::Connected { .. } if record.transport.as_ref().is_some_and(|t| !t.ready()) => {
            transport_dropped(record) && others_ready(obs, round)
        }
        TcpOutcome::Connected { .. } => match &record.request.kind {
            ProbeKind::Hello(_) | ProbeKind::Ssl2 { .. } | ProbeKind::Vulnerability(_) => {
                record.flight.as_ref().is_some_and(|f| {
                    f.bytes_received == 0
                        && f.alert().is_none()
                        && match f.end {
                            FlightEnd::Reset => true,
                            // Not this server's way of refusing (see
                            // bare_close_failure): a busy server's drop.
                            FlightEnd::Closed => {
                                failure_among(record, obs.probes.iter().chain(round)).is_some()
                            }
                            _ => false,
                        }
                })
            }
            // A real handshake reset before the server's certificate.
            ProbeKind::Handshake(_) | ProbeKind::Finish(_) => {
                record.handshake.as_ref().is_some_and(|h| {
                    matches!(h.error, Some(model::HandshakeError::Reset)) && h.chain.is_empty()
                })
            }
            ProbeKind::FetchIssuer { .. }
            | ProbeKind::FetchOcsp { .. }
            | ProbeKind::FetchCrl { .. }
            | ProbeKind::LookupCaa { .. } => false,
        },
        _ => false,
    }
}

/// The dialogue ended by a close, a reset or a temporary refusal (SMTP,
/// FTP `421`): how busy servers shed connections.
fn transport_dropped(record: &ProbeRecord) -> bool {
    let Some(stage) = record.transport.as_ref().and_then(|t| t.failed_stage()) else {
        return false;
    };
    match &stage.outcome {
        model::DialogueOutcome::Ended { end, .. } => matches!(
            end,
            model::ConnectionEnd::Closed { .. } | model::ConnectionEnd::Reset { .. }
        ),
        model::DialogueOutcome::Declined { reply, .. } => reply.starts_with("421"),
        _ => false,
    }
}

/// Another connection's dialogues ended ready.
fn others_ready(obs: &Observations, round: &[ProbeRecord]) -> bool {
    obs.probes
        .iter()
        .chain(round)
        .any(|p| p.transport.as_ref().is_some_and(|t| t.ready()))
}

/// A failed proxy or STARTTLS dialogue in a few words.
pub(crate) fn transport_text(stage: &model::StageObservation) -> String {
    let what = match stage.stage {
        model::Stage::Proxy => "the proxy",
        _ => "the STARTTLS dialogue",
    };
    match &stage.outcome {
        model::DialogueOutcome::Declined { reply, .. } => {
            format!("{what} refused: {}", crate::text::sanitize(reply))
        }
        model::DialogueOutcome::NotOffered {
            capabilities,
            reply,
        } => format!(
            "{what}: not offered ({})",
            crate::text::sanitize(reply.as_deref().unwrap_or(capabilities))
        ),
        model::DialogueOutcome::Unexpected { reply, .. } => {
            format!(
                "{what}: unexpected answer ({})",
                crate::text::sanitize(reply)
            )
        }
        model::DialogueOutcome::Ended { waiting_for, .. } => {
            format!("{what} ended while waiting for {waiting_for}")
        }
        model::DialogueOutcome::Ready { .. } => format!("{what}: ready"),
    }
}

/// A failed or odd TCP outcome in a few words.
pub fn tcp_text(tcp: &TcpOutcome) -> String {
    match tcp {
        TcpOutcome::Connected { .. } => "connected".into(),
        TcpOutcome::Refused { .. } => "connection refused".into(),
        TcpOutcome::Timeout { .. } => "connection timed out".into(),
        TcpOutcome::Unreachable { message } | TcpOutcome::Error { message } => {
            crate::text::sanitize(message)
        }
        TcpOutcome::NotAttempted => "not attempted".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{HelloSpec, ProbeRequest, Purpose, ServerFlight};
    use wire::registry::CipherSuite;

    fn hello(suite: u16, closed: bool) -> ProbeRecord {
        ProbeRecord {
            request: ProbeRequest {
                purpose: Purpose::Feature { name: "x".into() },
                kind: ProbeKind::Hello(HelloSpec {
                    cipher_suites: vec![CipherSuite(suite)],
                    ..Default::default()
                }),
            },
            ip: None,
            tcp: TcpOutcome::Connected { elapsed_ms: 0 },
            transport: None,
            flight: Some(ServerFlight {
                end: if closed {
                    FlightEnd::Closed
                } else {
                    FlightEnd::Complete
                },
                bytes_received: if closed { 0 } else { 90 },
                ..Default::default()
            }),
            handshake: None,
            fetch: None,
            caa: None,
            elapsed_ms: 0,
        }
    }

    #[test]
    fn closes_confirmed_twice_are_this_servers_refusal() {
        let seen = [
            hello(1, true),
            hello(1, true),
            hello(2, true),
            hello(2, true),
        ];
        assert!(refuses_by_closing(&seen));
        // One confirmation is not enough.
        assert!(!refuses_by_closing(&seen[..3]));
        // A hello closed once and answered when asked again: a server
        // that drops connections, whose closes are worth another look.
        let dropping = [
            hello(1, true),
            hello(1, true),
            hello(2, true),
            hello(2, true),
            hello(3, true),
            hello(3, false),
        ];
        assert!(!refuses_by_closing(&dropping));
    }
}
