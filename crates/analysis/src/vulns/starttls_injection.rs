//! STARTTLS command injection (CVE-2011-0411: Postfix before 2.8.4, and the
//! same bug in many SMTP, IMAP, POP3 and FTP servers).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry), and the probe it needs; the verdict helpers
//! are in `mod.rs`. The probe appends a harmless command to the upgrade
//! command in the same write; a server that keeps it in its input buffer
//! across the switch to TLS answers it inside TLS, unasked.

use model::{
    DialogueOutcome, InjectionHandshake, InjectionObservation, Sender, Stage, StageObservation,
    StartTls,
};

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::StartTlsInjection,
    explanation: "STARTTLS command injection (CVE-2011-0411 and its kin): a server that reads the commands sent in the same packet as STARTTLS (or STLS, AUTH TLS) and executes them after the TLS handshake treats plaintext a man in the middle appended as if the client had sent it inside TLS. The attacker cannot read the session, but can act in it: inject a MAIL FROM/RCPT TO before the client's own, or make the client take the answer to an injected command for the answer to its own (IMAP, POP3). Only connections upgraded with STARTTLS are affected; TLS from the first byte is not.",
    fix: "Upgrade the server: Postfix 2.8.4 / 2.7.5 / 2.6.12 / 2.5.14 or later (CVE-2011-0411), Exim, Dovecot, Cyrus, Courier, qmail-smtpd patches of 2011, Pure-FTPd 1.0.30+, ProFTPD 1.3.3e+; any server must discard its input buffer when it starts TLS. Where clients can, prefer implicit TLS (ports 465, 993, 995: RFC 8314), which has no plaintext phase.",
    // SSL Labs does not grade it and the TLS itself is sound: a finding, no cap.
    grade_cap: None,
    judge,
    plan: Plan::AnyVersion(plan),
};

/// The probe's name (its purpose), and its repeat's.
const NAME: &str = "starttls_injection";
const REPEAT: &str = "starttls_injection:2";

/// The token tlsdoctor's injected ManageSieve `NOOP` carries; a server
/// echoes it in its answer (RFC 5804 §2.13: `OK (TAG "...")`).
const SIEVE_TAG: &str = "tlsdoctor-injected";

/// The IMAP tag of the injected command.
const IMAP_TAG: &str = "inj";

/// The harmless command injected after `protocol`'s upgrade command, or why
/// the check does not test that protocol.
pub fn injected_command(protocol: StartTls) -> Result<&'static str, &'static str> {
    match protocol {
        // RFC 5321 §4.1.1.5: RSET clears a transaction; there is none yet.
        StartTls::Smtp | StartTls::Lmtp => Ok("RSET"),
        StartTls::Imap => Ok("inj NOOP"),
        // POP3 knows NOOP only in the TRANSACTION state: `-ERR` is an answer too.
        StartTls::Pop3 | StartTls::Ftp => Ok("NOOP"),
        // RFC 3977 has no NOOP; DATE (§7.1) changes nothing.
        StartTls::Nntp => Ok("DATE"),
        StartTls::Sieve => Ok("NOOP \"tlsdoctor-injected\""),
        StartTls::Irc => Err("an IRC server sends notices on its own after TLS, so a line it sends unasked does not show that an injected command was answered"),
        StartTls::Xmpp | StartTls::XmppServer => Err("XMPP restarts its XML stream after TLS, and an injected stanza is not tested"),
        StartTls::Ldap => Err("LDAP's StartTLS is a binary request; injecting an LDAP message after it is not tested"),
        StartTls::Postgres => Err("PostgreSQL's SSLRequest is binary; injection after it (CVE-2021-23214, fixed in 14.1, 13.5, 12.9, 11.14, 10.19, 9.6.24) is not tested"),
        StartTls::Mysql => Err("MySQL's SSL Request is binary; injection after it is not tested"),
    }
}

/// One probe, when the target upgrades with a line-based STARTTLS; a
/// second one when the first's handshake ended without a word (see
/// [`closed_in_handshake`]).
fn plan(obs: &Observations, target: &Target) -> Vec<ProbeRequest> {
    let Some(protocol) = target.transport.starttls else {
        return Vec::new();
    };
    let Ok(command) = injected_command(protocol) else {
        return Vec::new();
    };
    let name = match obs.probe(&purpose(NAME)) {
        None => NAME,
        Some(first) if closed_in_handshake(protocol, first).is_some() => REPEAT,
        Some(_) => return Vec::new(),
    };
    if obs.has(&purpose(name)) {
        return Vec::new();
    }
    vec![vuln_request(
        name,
        VulnProbe::StartTlsInjection {
            command: command.to_string(),
            sni: target.sni.clone(),
        },
    )]
}

/// What the probe recorded after the server's go-ahead, if it got one.
fn injection_of(record: &ProbeRecord) -> Option<&InjectionObservation> {
    let ready = record
        .transport
        .as_ref()
        .and_then(|t| t.stage(Stage::StartTls))
        .is_some_and(|s| matches!(s.outcome, DialogueOutcome::Ready { .. }));
    if !ready {
        return None;
    }
    record
        .flight
        .as_ref()?
        .follow_up
        .as_ref()?
        .injection
        .as_ref()
}

/// The server gave its go-ahead, answered nothing in plaintext, and ended
/// the TLS handshake (closed, reset, or an alert): how, in a few words.
/// Dovecot 2.3 does this: it hands the injected bytes to its TLS layer,
/// whose handshake then fails. Once could be chance, so the probe repeats.
fn closed_in_handshake(protocol: StartTls, record: &ProbeRecord) -> Option<String> {
    let injection = injection_of(record)?;
    let InjectionHandshake::Failed { error, first_bytes } = &injection.handshake else {
        return None;
    };
    let quiet = answer(protocol, &injection.before_tls).is_none()
        && (first_bytes.is_empty() || matches!(first_bytes[0], 0x15 | 0x16));
    let ended = matches!(
        error,
        model::HandshakeError::Closed
            | model::HandshakeError::Reset
            | model::HandshakeError::AlertReceived { .. }
    );
    (quiet && ended).then(|| handshake_error(error))
}

/// A line that answers the injected command of `protocol` (as opposed to
/// anything else a server might send).
fn answers(protocol: StartTls, line: &str) -> bool {
    let upper = line.trim_start().to_ascii_uppercase();
    match protocol {
        StartTls::Smtp | StartTls::Lmtp | StartTls::Ftp | StartTls::Nntp => {
            let b = upper.as_bytes();
            b.len() >= 3
                && b[..3].iter().all(u8::is_ascii_digit)
                && matches!(b.get(3), None | Some(b' ') | Some(b'-'))
        }
        StartTls::Imap => upper.starts_with(&format!("{} ", IMAP_TAG.to_ascii_uppercase())),
        StartTls::Pop3 => upper.starts_with("+OK") || upper.starts_with("-ERR"),
        // The capability list a server re-sends after TLS (RFC 5804 §2.2)
        // ends with one `OK`; see [`sieve_answered`] for the count.
        StartTls::Sieve => line.contains(SIEVE_TAG) || upper.starts_with("NO"),
        _ => false,
    }
}

/// ManageSieve: the lines after TLS answer the injected `NOOP` when one
/// carries its tag, is a `NO`, or when more than the capability list's
/// one `OK` came.
fn sieve_answered(lines: &[String]) -> Option<&String> {
    if let Some(line) = lines.iter().find(|l| answers(StartTls::Sieve, l)) {
        return Some(line);
    }
    let mut responses = lines.iter().filter(|l| {
        let upper = l.trim_start().to_ascii_uppercase();
        upper.starts_with("OK") || upper.starts_with("BYE")
    });
    responses.nth(1)
}

/// The first of `lines` that answers the injected command.
fn answer(protocol: StartTls, lines: &[String]) -> Option<&String> {
    if protocol == StartTls::Sieve {
        return sieve_answered(lines);
    }
    lines.iter().find(|l| answers(protocol, l))
}

/// Lines sent inside TLS that a patched server may send unasked: the
/// capability list a ManageSieve server re-sends.
fn expected_after_tls(protocol: StartTls, lines: &[String]) -> bool {
    protocol == StartTls::Sieve
        && lines.iter().all(|l| {
            let upper = l.trim_start().to_ascii_uppercase();
            l.starts_with('"') || upper.starts_with("OK")
        })
}

fn quote(line: &str) -> String {
    let line: String = line.chars().take(80).collect();
    format!("`{line}`")
}

/// Some other connection of the scan went through the STARTTLS dialogue to
/// the go-ahead (so the server does upgrade when nothing rides along).
fn upgrade_works_alone(obs: &Observations) -> bool {
    obs.probes.iter().any(|p| {
        p.request.purpose != purpose(NAME)
            && p.request.purpose != purpose(REPEAT)
            && p.transport
                .as_ref()
                .and_then(|t| t.stage(Stage::StartTls))
                .is_some_and(|s| matches!(s.outcome, DialogueOutcome::Ready { .. }))
    })
}

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let obs = acc.obs;
    let Some(target) = obs.target.as_ref() else {
        return untested("no target was recorded");
    };
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let Some(protocol) = target.transport.starttls else {
        return safe("the server speaks TLS from its first byte: there is no plaintext phase to inject commands into");
    };
    let command = match injected_command(protocol) {
        Ok(command) => command,
        Err(why) => return untested(why),
    };
    let Some(first) = obs.probe(&purpose(NAME)) else {
        return untested("the probe did not run");
    };
    let Some(how) = closed_in_handshake(protocol, first) else {
        return verdict(obs, protocol, command, first);
    };
    let Some(second) = obs.probe(&purpose(REPEAT)) else {
        return untested(format!(
            "after the go-ahead the TLS handshake failed ({how}); the repeat did not run"
        ));
    };
    if closed_in_handshake(protocol, second).is_none() {
        return verdict(obs, protocol, command, second);
    }
    if !upgrade_works_alone(obs) {
        return untested(format!(
            "after the go-ahead the TLS handshake failed twice ({how}), and no plain upgrade was seen to work"
        ));
    }
    safe(format!(
        "twice, with `{command}` in the same packet as the upgrade, the server gave its go-ahead, then ended the TLS handshake ({how}) without a word; it completes it otherwise"
    ))
}

/// The verdict one probe's record gives.
fn verdict(
    obs: &Observations,
    protocol: StartTls,
    command: &str,
    record: &ProbeRecord,
) -> VulnCheck {
    if !record.tcp.is_connected() {
        return untested(format!(
            "the probe's connection failed ({})",
            crate::failure::tcp_text(&record.tcp)
        ));
    }
    let Some(stage) = record
        .transport
        .as_ref()
        .and_then(|t| t.stage(Stage::StartTls))
    else {
        return untested("the probe's connection did not reach the STARTTLS dialogue");
    };
    let sent = stage
        .lines
        .iter()
        .any(|l| l.from == Sender::Client && l.text == command);
    if !matches!(stage.outcome, DialogueOutcome::Ready { .. }) {
        return refused(obs, stage, command, sent);
    }
    let Some(injection) = injection_of(record) else {
        return untested("the probe recorded nothing after the server's go-ahead");
    };
    after_go_ahead(protocol, command, injection)
}

/// The STARTTLS dialogue did not end in a go-ahead.
fn refused(obs: &Observations, stage: &StageObservation, command: &str, sent: bool) -> VulnCheck {
    if !sent {
        return untested(format!(
            "the STARTTLS dialogue ended before the upgrade command ({})",
            crate::failure::transport_text(stage)
        ));
    }
    let reply = match &stage.outcome {
        DialogueOutcome::Declined { reply, .. } => Some(reply.clone()),
        DialogueOutcome::NotOffered { reply, .. } => reply.clone(),
        _ => None,
    };
    match reply {
        // The server's own words refused the upgrade with a command riding
        // along, while it upgrades when nothing does: it does not let the
        // command through.
        Some(reply) if upgrade_works_alone(obs) => safe(format!(
            "with `{command}` in the same packet as the upgrade command, the server refused the upgrade ({}), though it upgrades without it",
            quote(&reply)
        )),
        _ => untested(format!(
            "the upgrade command with `{command}` appended got no go-ahead ({})",
            crate::failure::transport_text(stage)
        )),
    }
}

fn handshake_error(error: &model::HandshakeError) -> String {
    use model::HandshakeError as E;
    match error {
        E::AlertReceived { description } => format!("alert {}", alert_name(*description)),
        E::Closed => "the server closed the connection".into(),
        E::Reset => "the connection was reset".into(),
        E::Timeout { .. } => "no answer before the deadline".into(),
        E::NotTls => "the answer was not TLS".into(),
        E::Protocol { message } | E::Other { message } => message.clone(),
        E::Unsupported { what } => format!("unsupported: {what}"),
    }
}

fn after_go_ahead(protocol: StartTls, command: &str, i: &InjectionObservation) -> VulnCheck {
    // Answered before TLS: the server read past its upgrade command, but
    // ran the command in plaintext, where a man in the middle could send it
    // anyway; what CVE-2011-0411 is about, carrying it into the TLS
    // session, is not shown.
    let settle = "the server's version against CVE-2011-0411's fixes: it reads input past its upgrade command (RFC 3207 §4.2 asks it to discard that), but whether it carries such input into the TLS session is not shown";
    if let Some(line) = answer(protocol, &i.before_tls) {
        return potentially(
            format!(
                "after its go-ahead and before TLS the server answered `{command}`, sent in the same packet as the upgrade: {}",
                quote(line)
            ),
            settle,
        );
    }
    let version = match &i.handshake {
        InjectionHandshake::Failed { error, first_bytes } => {
            let text = String::from_utf8_lossy(first_bytes);
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            if let Some(line) = answer(protocol, &lines) {
                return potentially(
                    format!(
                        "the server answered `{command}`, sent in the same packet as the upgrade, in plaintext where its ServerHello belonged: {}",
                        quote(line)
                    ),
                    settle,
                );
            }
            return untested(format!(
                "the TLS handshake after the go-ahead failed ({})",
                handshake_error(error)
            ));
        }
        InjectionHandshake::Completed { version, .. } => version.and_then(|v| v.name()),
    };
    let tls = version.unwrap_or("TLS");
    if let Some(line) = answer(protocol, &i.after_tls) {
        return vulnerable(format!(
            "{tls} handshake done, tlsdoctor sent nothing, and the server answered `{command}`, sent in plaintext with the upgrade: {}",
            quote(line)
        ));
    }
    if !i.after_tls.is_empty() && !expected_after_tls(protocol, &i.after_tls) {
        return potentially(
            format!(
                "after the {tls} handshake the server sent, unasked, what does not answer `{command}`: {}",
                quote(&i.after_tls[0])
            ),
            format!("a look at the server's log for `{command}` executed after STARTTLS, or its version against CVE-2011-0411's fixes"),
        );
    }
    let end = match &i.end {
        Some(model::ConnectionEnd::Timeout { .. }) | None => {
            format!("stayed silent for {} ms", i.wait_ms)
        }
        Some(model::ConnectionEnd::Alert { description, .. }) => {
            format!("sent alert {} and closed", alert_name(*description))
        }
        Some(_) => "closed the connection".to_string(),
    };
    safe(format!(
        "`{command}` sent in the same packet as the upgrade went unanswered: after the {tls} handshake the server {end}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{
        Bytes, ConnectionEnd, DialogueLine, FollowUpObservation, HandshakeError, TcpOutcome,
        TransportObservation,
    };

    fn target(protocol: Option<StartTls>) -> Target {
        let mut target = Target::new("mail.example", 25);
        target.transport.starttls = protocol;
        target
    }

    fn stage(lines: &[(Sender, &str)], outcome: DialogueOutcome) -> TransportObservation {
        TransportObservation {
            stages: vec![StageObservation {
                stage: Stage::StartTls,
                lines: lines
                    .iter()
                    .map(|(from, text)| DialogueLine {
                        from: *from,
                        text: text.to_string(),
                    })
                    .collect(),
                outcome,
                elapsed_ms: 3,
            }],
        }
    }

    const READY: DialogueOutcome = DialogueOutcome::Ready { advertised: true };

    fn smtp_dialogue(answer: &str, outcome: DialogueOutcome) -> TransportObservation {
        stage(
            &[
                (Sender::Server, "220 mx ESMTP"),
                (Sender::Client, "EHLO tlsdoctor.invalid"),
                (Sender::Server, "250-mx"),
                (Sender::Server, "250 STARTTLS"),
                (Sender::Client, "STARTTLS"),
                (Sender::Client, "RSET"),
                (Sender::Server, answer),
            ],
            outcome,
        )
    }

    fn record(
        purpose: Purpose,
        transport: TransportObservation,
        injection: Option<InjectionObservation>,
    ) -> ProbeRecord {
        ProbeRecord {
            request: ProbeRequest {
                purpose,
                kind: ProbeKind::Vulnerability(VulnProbe::StartTlsInjection {
                    command: "RSET".into(),
                    sni: None,
                }),
            },
            ip: None,
            tcp: TcpOutcome::Connected { elapsed_ms: 1 },
            transport: Some(transport),
            flight: injection.map(|i| ServerFlight {
                follow_up: Some(FollowUpObservation {
                    injection: Some(i),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            handshake: None,
            fetch: None,
            caa: None,
            elapsed_ms: 5,
        }
    }

    fn completed() -> InjectionHandshake {
        InjectionHandshake::Completed {
            version: Some(ProtocolVersion::TLS1_3),
            cipher_suite: None,
        }
    }

    fn injection(
        before: &[&str],
        handshake: InjectionHandshake,
        after: &[&str],
        end: Option<ConnectionEnd>,
    ) -> InjectionObservation {
        InjectionObservation {
            injected: "RSET".into(),
            before_tls: before.iter().map(|s| s.to_string()).collect(),
            handshake,
            after_tls: after.iter().map(|s| s.to_string()).collect(),
            after_tls_bytes: after.iter().map(|s| s.len() as u64 + 2).sum(),
            end,
            wait_ms: 1500,
        }
    }

    /// The verdict on a STARTTLS target (`protocol`) whose scan saw TLS 1.3
    /// and whose injection probe recorded `probe`; `alone_ready`: another
    /// connection's plain upgrade went through.
    fn verdict(protocol: StartTls, probe: Option<ProbeRecord>, alone_ready: bool) -> VulnCheck {
        let mut obs = Observations::new(target(Some(protocol)));
        if alone_ready {
            obs.probes.push(record(
                Purpose::Handshake,
                smtp_dialogue("220 2.0.0 Ready to start TLS", READY),
                None,
            ));
        }
        obs.probes.extend(probe);
        let protocols = model::Protocols {
            tls1_3: crate::fixtures::protocol(&["TLS_AES_128_GCM_SHA256"], None, &["x25519"]),
            ..Default::default()
        };
        let report =
            crate::fixtures::scan_report(protocols, crate::fixtures::chain("rsa", 2048, true));
        judge(&Accepted::new(&obs, &report))
    }

    fn smtp(injection: InjectionObservation) -> VulnCheck {
        verdict(
            StartTls::Smtp,
            Some(record(
                purpose(NAME),
                smtp_dialogue("220 2.0.0 Ready to start TLS", READY),
                Some(injection),
            )),
            true,
        )
    }

    #[test]
    fn an_answer_inside_tls_is_vulnerable() {
        let v = smtp(injection(&[], completed(), &["250 2.0.0 Ok"], None));
        assert_eq!(v.status, VulnStatus::Vulnerable, "{}", v.evidence);
        assert_eq!(v.basis, Some(VulnBasis::Observed));
        assert!(v.evidence.contains("`250 2.0.0 Ok`"), "{}", v.evidence);
        assert!(v.evidence.len() <= 256, "{}", v.evidence);
    }

    #[test]
    fn a_plaintext_answer_after_the_go_ahead_is_potentially_vulnerable() {
        let v = smtp(injection(&["250 2.0.0 Ok"], completed(), &[], None));
        assert_eq!(
            v.status,
            VulnStatus::PotentiallyVulnerable,
            "{}",
            v.evidence
        );
        assert!(v.evidence.contains("before TLS"), "{}", v.evidence);
        // ... also when it arrived where the ServerHello belonged.
        let v = smtp(injection(
            &[],
            InjectionHandshake::Failed {
                error: HandshakeError::Protocol {
                    message: "received corrupt message of type InvalidContentType".into(),
                },
                first_bytes: Bytes::from(b"250 2.0.0 Ok\r\n".to_vec()),
            },
            &[],
            None,
        ));
        assert_eq!(
            v.status,
            VulnStatus::PotentiallyVulnerable,
            "{}",
            v.evidence
        );
        assert!(v.evidence.contains("ServerHello"), "{}", v.evidence);
    }

    #[test]
    fn silence_after_a_completed_handshake_is_not_vulnerable() {
        let v = smtp(injection(
            &[],
            completed(),
            &[],
            Some(ConnectionEnd::Timeout { after_ms: 1500 }),
        ));
        assert_eq!(v.status, VulnStatus::NotVulnerable, "{}", v.evidence);
        assert_eq!(v.basis, Some(VulnBasis::Observed));
        assert!(v.evidence.contains("silent for 1500 ms"), "{}", v.evidence);
    }

    fn failed(error: HandshakeError) -> InjectionObservation {
        injection(
            &[],
            InjectionHandshake::Failed {
                error,
                first_bytes: Bytes::default(),
            },
            &[],
            None,
        )
    }

    #[test]
    fn a_handshake_that_times_out_is_not_tested() {
        let v = smtp(failed(HandshakeError::Timeout { after_ms: 10_000 }));
        assert_eq!(v.status, VulnStatus::NotTested, "{}", v.evidence);
        assert!(v.evidence.contains("handshake"), "{}", v.evidence);
    }

    /// Dovecot 2.3: the go-ahead, then a close in the handshake, every time.
    #[test]
    fn a_handshake_ended_without_a_word_twice_is_not_vulnerable() {
        let dialogue = || smtp_dialogue("220 2.0.0 Ready to start TLS", READY);
        let first = record(
            purpose(NAME),
            dialogue(),
            Some(failed(HandshakeError::Closed)),
        );
        // Once: the repeat is planned, no verdict yet.
        let mut obs = Observations::new(target(Some(StartTls::Smtp)));
        obs.probes.push(first.clone());
        let planned = plan(&obs, &target(Some(StartTls::Smtp)));
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].purpose, purpose(REPEAT));
        let v = verdict(StartTls::Smtp, Some(first.clone()), true);
        assert_eq!(v.status, VulnStatus::NotTested, "{}", v.evidence);
        assert!(v.evidence.contains("repeat"), "{}", v.evidence);
        // Twice, and the upgrade works without the injected command.
        let twice = |alone_ready: bool, second: InjectionObservation| {
            let mut obs = Observations::new(target(Some(StartTls::Smtp)));
            if alone_ready {
                obs.probes
                    .push(record(Purpose::Handshake, dialogue(), None));
            }
            obs.probes.push(first.clone());
            obs.probes
                .push(record(purpose(REPEAT), dialogue(), Some(second)));
            let protocols = model::Protocols {
                tls1_3: crate::fixtures::protocol(&["TLS_AES_128_GCM_SHA256"], None, &["x25519"]),
                ..Default::default()
            };
            let report =
                crate::fixtures::scan_report(protocols, crate::fixtures::chain("rsa", 2048, true));
            assert!(plan(&obs, &target(Some(StartTls::Smtp))).is_empty());
            judge(&Accepted::new(&obs, &report))
        };
        let v = twice(true, failed(HandshakeError::Reset));
        assert_eq!(v.status, VulnStatus::NotVulnerable, "{}", v.evidence);
        assert!(v.evidence.len() <= 256, "{}", v.evidence);
        let v = twice(false, failed(HandshakeError::Closed));
        assert_eq!(v.status, VulnStatus::NotTested, "{}", v.evidence);
        // The repeat completed and was answered: that is the verdict.
        let v = twice(true, injection(&[], completed(), &["250 2.0.0 Ok"], None));
        assert_eq!(v.status, VulnStatus::Vulnerable, "{}", v.evidence);
    }

    #[test]
    fn a_refusal_in_the_servers_words_is_not_vulnerable_only_if_the_upgrade_works_alone() {
        let refused = || {
            Some(record(
                purpose(NAME),
                smtp_dialogue(
                    "554 SMTP synchronization error",
                    DialogueOutcome::Declined {
                        reply: "554 SMTP synchronization error".into(),
                        code: None,
                    },
                ),
                None,
            ))
        };
        let v = verdict(StartTls::Smtp, refused(), true);
        assert_eq!(v.status, VulnStatus::NotVulnerable, "{}", v.evidence);
        assert!(v.evidence.contains("554"), "{}", v.evidence);
        let v = verdict(StartTls::Smtp, refused(), false);
        assert_eq!(v.status, VulnStatus::NotTested, "{}", v.evidence);
    }

    #[test]
    fn a_dialogue_that_ended_is_never_not_vulnerable() {
        let ended = record(
            purpose(NAME),
            stage(
                &[
                    (Sender::Server, "220 mx"),
                    (Sender::Client, "EHLO tlsdoctor.invalid"),
                    (Sender::Server, "250 STARTTLS"),
                    (Sender::Client, "STARTTLS"),
                    (Sender::Client, "RSET"),
                ],
                DialogueOutcome::Ended {
                    waiting_for: "the reply to STARTTLS".into(),
                    end: ConnectionEnd::Closed { after_ms: 4 },
                },
            ),
            None,
        );
        let v = verdict(StartTls::Smtp, Some(ended), true);
        assert_eq!(v.status, VulnStatus::NotTested, "{}", v.evidence);
        let v = verdict(StartTls::Smtp, None, true);
        assert_eq!(v.status, VulnStatus::NotTested, "{}", v.evidence);
        assert!(v.evidence.contains("did not run"));
    }

    #[test]
    fn each_protocol_recognises_its_own_answer() {
        assert!(answers(StartTls::Imap, "inj OK NOOP completed"));
        assert!(!answers(StartTls::Imap, "* OK still here"));
        assert!(answers(StartTls::Pop3, "-ERR Unknown command"));
        assert!(answers(StartTls::Ftp, "200 NOOP ok."));
        assert!(answers(StartTls::Nntp, "111 20240101000000"));
        assert!(!answers(StartTls::Smtp, "hello"));
        // ManageSieve re-sends its capabilities after TLS: not an answer.
        let caps: Vec<String> = [
            "\"IMPLEMENTATION\" \"Dovecot\"",
            "\"SIEVE\" \"fileinto\"",
            "OK",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(sieve_answered(&caps), None);
        assert!(expected_after_tls(StartTls::Sieve, &caps));
        let mut answered = caps.clone();
        answered.push("OK (TAG \"tlsdoctor-injected\") \"Done\"".into());
        assert!(sieve_answered(&answered).is_some());
        let mut twice = caps;
        twice.push("OK \"NOOP completed\"".into());
        assert!(sieve_answered(&twice).is_some());
    }

    #[test]
    fn unexplained_data_inside_tls_is_potentially_vulnerable() {
        let v = smtp(injection(&[], completed(), &["hello there"], None));
        assert_eq!(
            v.status,
            VulnStatus::PotentiallyVulnerable,
            "{}",
            v.evidence
        );
        assert!(v.settled_by.is_some());
    }

    #[test]
    fn binary_protocols_are_not_tested_and_direct_tls_is_not_affected() {
        let v = verdict(StartTls::Postgres, None, true);
        assert_eq!(v.status, VulnStatus::NotTested);
        assert!(v.evidence.contains("CVE-2021-23214"), "{}", v.evidence);
        let mut obs = Observations::new(target(None));
        obs.probes.clear();
        let protocols = model::Protocols {
            tls1_3: crate::fixtures::protocol(&["TLS_AES_128_GCM_SHA256"], None, &["x25519"]),
            ..Default::default()
        };
        let report =
            crate::fixtures::scan_report(protocols, crate::fixtures::chain("rsa", 2048, true));
        let v = judge(&Accepted::new(&obs, &report));
        assert_eq!(v.status, VulnStatus::NotVulnerable, "{}", v.evidence);
    }

    #[test]
    fn planned_once_for_line_based_starttls_only() {
        let smtp = target(Some(StartTls::Smtp));
        let obs = Observations::new(smtp.clone());
        let planned = plan(&obs, &smtp);
        assert_eq!(planned.len(), 1);
        assert!(matches!(
            &planned[0].kind,
            ProbeKind::Vulnerability(VulnProbe::StartTlsInjection { command, .. }) if command == "RSET"
        ));
        // Planned from a TLS 1.3-only server too.
        assert_eq!(
            super::super::plan(&obs, &smtp, &[ProtocolVersion::TLS1_3]).len(),
            1
        );
        assert!(plan(&obs, &target(None)).is_empty());
        assert!(plan(&obs, &target(Some(StartTls::Postgres))).is_empty());
        for protocol in StartTls::ALL {
            if let Ok(command) = injected_command(protocol) {
                assert!(command.bytes().all(|b| (0x20..0x7f).contains(&b)));
            }
        }
    }
}
