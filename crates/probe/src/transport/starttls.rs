//! STARTTLS dialogues: the plaintext commands that turn an application
//! protocol session into a TLS one, and the first command after the
//! handshake that shows the protocol carries on inside TLS.
//!
//! Each dialogue records what the server said and ends `Ready` (TLS may
//! start), `NotOffered` (the capability list does not name the upgrade;
//! the command is sent anyway, so the server's own words are evidence),
//! `Declined`, `Unexpected` or `Ended`. Which of these is a fault is for
//! `analysis` to say.

use std::time::Duration;

use model::{DialogueOutcome, Stage, StageObservation, StartTls, Target};
use tokio::io::{AsyncRead, AsyncWrite};

use super::dialogue::{printable, Dialogue, Stop};

/// The name tlsdoctor gives itself in `EHLO`/`LHLO` (RFC 5321 §4.1.1.1 asks
/// for a domain; `.invalid` cannot collide with a real one).
const CLIENT_NAME: &str = "tlsdoctor.invalid";

/// Runs the upgrade dialogue of `protocol` on `stream`; `carried` is what
/// an earlier stage (a proxy) read of the server's first words. With
/// `inject`, a line-based protocol's upgrade command carries that command
/// line after it in the same write (the STARTTLS injection probe).
///
/// Also returns the bytes the server sent past its answer to the upgrade
/// command (a patched server sends none before the ClientHello).
pub(crate) async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    protocol: StartTls,
    target: &Target,
    timeout: Duration,
    carried: Vec<u8>,
    inject: Option<&str>,
) -> (StageObservation, Vec<u8>) {
    let binary = matches!(
        protocol,
        StartTls::Ldap | StartTls::Postgres | StartTls::Mysql
    );
    let d = if binary {
        Dialogue::binary(stream, Stage::StartTls, timeout)
    } else {
        Dialogue::new(stream, Stage::StartTls, timeout)
    };
    let mut d = d.carrying(carried).injecting(inject);
    let result = match protocol {
        StartTls::Smtp => smtp(&mut d, "EHLO").await,
        StartTls::Lmtp => smtp(&mut d, "LHLO").await,
        StartTls::Imap => imap(&mut d).await,
        StartTls::Pop3 => pop3(&mut d).await,
        StartTls::Ftp => ftp(&mut d).await,
        StartTls::Nntp => nntp(&mut d).await,
        StartTls::Sieve => sieve(&mut d).await,
        StartTls::Irc => irc(&mut d).await,
        StartTls::Xmpp => xmpp(&mut d, "jabber:client", target).await,
        StartTls::XmppServer => xmpp(&mut d, "jabber:server", target).await,
        StartTls::Ldap => super::binary::ldap(&mut d).await,
        StartTls::Postgres => super::binary::postgres(&mut d).await,
        StartTls::Mysql => super::binary::mysql(&mut d).await,
    };
    let past = d.pending().to_vec();
    (d.finish(result.unwrap_or_else(|stop| stop)), past)
}

/// The protocol's first command inside TLS, or `None` when tlsdoctor does
/// not speak the protocol past the upgrade (MySQL needs credentials).
pub(crate) async fn after_tls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    protocol: StartTls,
    target: &Target,
    timeout: Duration,
) -> Option<StageObservation> {
    let binary = matches!(protocol, StartTls::Ldap | StartTls::Postgres);
    let mut d = if binary {
        Dialogue::binary(stream, Stage::Application, timeout)
    } else {
        Dialogue::new(stream, Stage::Application, timeout)
    };
    let result = match protocol {
        StartTls::Smtp => command(&mut d, &format!("EHLO {CLIENT_NAME}"), |r| r.code == 250).await,
        StartTls::Lmtp => command(&mut d, &format!("LHLO {CLIENT_NAME}"), |r| r.code == 250).await,
        StartTls::Imap => imap_command(&mut d, "c", "CAPABILITY").await.map(|_| ()),
        StartTls::Pop3 => pop3_command(&mut d, "CAPA").await.map(|_| ()),
        StartTls::Ftp => command(&mut d, "PBSZ 0", |r| r.code == 200).await,
        StartTls::Nntp => command(&mut d, "CAPABILITIES", |r| r.code == 101).await,
        StartTls::Sieve => sieve_capabilities(&mut d).await.map(|_| ()),
        StartTls::Irc => irc_after(&mut d).await,
        StartTls::Xmpp => xmpp_features(&mut d, "jabber:client", target)
            .await
            .map(|_| ()),
        StartTls::XmppServer => xmpp_features(&mut d, "jabber:server", target)
            .await
            .map(|_| ()),
        StartTls::Ldap => super::binary::ldap_who_am_i(&mut d).await,
        StartTls::Postgres => super::binary::postgres_startup(&mut d).await,
        StartTls::Mysql => return None,
    };
    let outcome = match result {
        Ok(()) => DialogueOutcome::Ready { advertised: true },
        Err(stop) => stop,
    };
    Some(d.finish(outcome))
}

/// A numbered reply (SMTP, LMTP, FTP, NNTP): the code and all its lines.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    fn text(&self) -> String {
        self.lines.join(" / ")
    }
}

/// Reads one numbered reply, multi-line (`250-...` up to `250 ...`, FTP's
/// free lines in between) included.
async fn reply<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    waiting_for: &str,
) -> Result<Reply, Stop> {
    let first = d.line(waiting_for).await?;
    let Some(code) = reply_code(&first) else {
        return Err(d.unexpected(&first));
    };
    let mut lines = vec![first.clone()];
    let mut last = first;
    while last.as_bytes().get(3) == Some(&b'-') || !ends_reply(&last, code) {
        last = d.line(waiting_for).await?;
        lines.push(last.clone());
    }
    Ok(Reply { code, lines })
}

fn reply_code(line: &str) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match line.as_bytes().get(3) {
        None | Some(b' ') | Some(b'-') => digits.parse().ok(),
        _ => None,
    }
}

/// The last line of a multi-line reply repeats the code with a space.
fn ends_reply(line: &str, code: u16) -> bool {
    reply_code(line) == Some(code) && line.as_bytes().get(3) != Some(&b'-')
}

/// Sends `command` and reads a numbered reply; `ok` says whether it agrees.
async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    command: &str,
    ok: impl Fn(&Reply) -> bool,
) -> Result<(), Stop> {
    d.send(format!("{command}\r\n").as_bytes(), command).await?;
    let answer = reply(d, &format!("the reply to {command}")).await?;
    if ok(&answer) {
        Ok(())
    } else {
        Err(DialogueOutcome::Declined {
            reply: answer.text(),
            code: None,
        })
    }
}

/// Sends the upgrade command and turns its answer into the outcome, given
/// whether the capability list offered the upgrade.
fn upgrade_answer(agreed: bool, advertised: bool, capabilities: &str, reply: String) -> Stop {
    match (agreed, advertised) {
        (true, _) => DialogueOutcome::Ready { advertised },
        (false, true) => DialogueOutcome::Declined { reply, code: None },
        (false, false) => DialogueOutcome::NotOffered {
            capabilities: capabilities.to_string(),
            reply: Some(reply),
        },
    }
}

/// RFC 3207 (SMTP) and RFC 2033 (LMTP, `LHLO`).
async fn smtp<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    hello: &str,
) -> Result<DialogueOutcome, Stop> {
    let hello = format!("{hello} {CLIENT_NAME}");
    let listed = |r: &Reply| {
        r.code == 250
            && r.lines.iter().skip(1).any(|l| {
                l.get(4..)
                    .is_some_and(|k| k.trim().eq_ignore_ascii_case("STARTTLS"))
            })
    };
    numbered_upgrade(d, &hello, listed, "STARTTLS", 220).await
}

/// RFC 4217 §4: `AUTH TLS`, after `FEAT` (RFC 2389) to see whether it is
/// offered.
async fn ftp<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    let listed = |r: &Reply| {
        r.code == 211
            && r.lines.iter().any(|l| {
                let l = l.trim().to_ascii_uppercase();
                l.starts_with("AUTH") && l.contains("TLS")
            })
    };
    numbered_upgrade(d, "FEAT", listed, "AUTH TLS", 234).await
}

/// The dialogue of the protocols with numbered replies (SMTP, LMTP, FTP):
/// a `220` greeting, `ask` for the capabilities (`listed` says whether
/// they offer the upgrade), then `upgrade`, answered `go_ahead` to proceed.
async fn numbered_upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    ask: &str,
    listed: impl Fn(&Reply) -> bool,
    upgrade: &str,
    go_ahead: u16,
) -> Result<DialogueOutcome, Stop> {
    let greeting = reply(d, "the greeting").await?;
    if greeting.code != 220 {
        return Err(DialogueOutcome::Declined {
            reply: greeting.text(),
            code: None,
        });
    }
    d.send(format!("{ask}\r\n").as_bytes(), ask).await?;
    let command = ask.split(' ').next().unwrap_or(ask);
    let capabilities = reply(d, &format!("the reply to {command}")).await?;
    let advertised = listed(&capabilities);
    d.send_upgrade(upgrade).await?;
    let answer = reply(d, &format!("the reply to {upgrade}")).await?;
    Ok(upgrade_answer(
        answer.code == go_ahead,
        advertised,
        &capabilities.text(),
        answer.text(),
    ))
}

/// RFC 4642 (NNTP): `CAPABILITIES`, then `STARTTLS` (382 to go ahead).
async fn nntp<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    let greeting = d.line("the greeting").await?;
    match reply_code(&greeting) {
        Some(200 | 201) => {}
        Some(_) => {
            return Err(DialogueOutcome::Declined {
                reply: greeting,
                code: None,
            })
        }
        None => return Err(d.unexpected(&greeting)),
    }
    d.send(b"CAPABILITIES\r\n", "CAPABILITIES").await?;
    let first = d.line("the reply to CAPABILITIES").await?;
    let mut capabilities = vec![first.clone()];
    if reply_code(&first) == Some(101) {
        capabilities.extend(dot_terminated(d, "the capability list").await?);
    }
    let advertised = capabilities
        .iter()
        .skip(1)
        .any(|l| l.trim().eq_ignore_ascii_case("STARTTLS"));
    d.send_upgrade("STARTTLS").await?;
    let answer = d.line("the reply to STARTTLS").await?;
    Ok(upgrade_answer(
        reply_code(&answer) == Some(382),
        advertised,
        &capabilities.join(" / "),
        answer,
    ))
}

/// Lines up to the lone `.` that ends a multi-line answer (POP3, NNTP).
async fn dot_terminated<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    waiting_for: &str,
) -> Result<Vec<String>, Stop> {
    let mut lines = Vec::new();
    loop {
        let line = d.line(waiting_for).await?;
        if line == "." {
            return Ok(lines);
        }
        lines.push(line);
    }
}

/// RFC 3501 §6.2.1 (IMAP): `CAPABILITY`, then `STARTTLS`.
async fn imap<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    let greeting = d.line("the greeting").await?;
    let upper = greeting.to_ascii_uppercase();
    if upper.starts_with("* BYE") {
        return Err(DialogueOutcome::Declined {
            reply: greeting,
            code: None,
        });
    }
    if !upper.starts_with("* OK") && !upper.starts_with("* PREAUTH") {
        return Err(d.unexpected(&greeting));
    }
    let capabilities = imap_command(d, "a", "CAPABILITY").await?;
    let advertised = capabilities
        .iter()
        .filter(|l| l.to_ascii_uppercase().starts_with("* CAPABILITY"))
        .any(|l| {
            l.split_ascii_whitespace()
                .any(|w| w.eq_ignore_ascii_case("STARTTLS"))
        });
    d.send_upgrade("b STARTTLS").await?;
    let answer = imap_replies(d, "b", "STARTTLS").await?;
    let agreed = answer
        .last()
        .is_some_and(|l| l.to_ascii_uppercase().starts_with("B OK"));
    Ok(upgrade_answer(
        agreed,
        advertised,
        &capabilities.join(" / "),
        answer.join(" / "),
    ))
}

/// Sends a tagged IMAP command and reads up to its tagged answer; an answer
/// other than `OK` ends the dialogue as declined.
async fn imap_command<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    tag: &str,
    command: &str,
) -> Result<Vec<String>, Stop> {
    let lines = imap_exchange(d, tag, command).await?;
    let ok = format!("{} OK", tag.to_ascii_uppercase());
    if lines
        .last()
        .is_some_and(|l| l.to_ascii_uppercase().starts_with(&ok))
    {
        Ok(lines)
    } else {
        Err(DialogueOutcome::Declined {
            reply: lines.join(" / "),
            code: None,
        })
    }
}

/// Sends a tagged IMAP command and reads up to the line with its tag.
async fn imap_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    tag: &str,
    command: &str,
) -> Result<Vec<String>, Stop> {
    let line = format!("{tag} {command}");
    d.send(format!("{line}\r\n").as_bytes(), &line).await?;
    imap_replies(d, tag, command).await
}

/// Reads up to the line with `tag` (the answer to `command`).
async fn imap_replies<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    tag: &str,
    command: &str,
) -> Result<Vec<String>, Stop> {
    let waiting_for = format!("the reply to {command}");
    let prefix = format!("{} ", tag.to_ascii_uppercase());
    let mut lines = Vec::new();
    loop {
        let line = d.line(&waiting_for).await?;
        let done = line.to_ascii_uppercase().starts_with(&prefix);
        // A server closing with `* BYE` answers no tag.
        let bye = line.to_ascii_uppercase().starts_with("* BYE");
        lines.push(line);
        if done {
            return Ok(lines);
        }
        if bye {
            return Err(DialogueOutcome::Declined {
                reply: lines.join(" / "),
                code: None,
            });
        }
    }
}

/// RFC 2595 §4 (POP3): `CAPA` (RFC 2449), then `STLS`.
async fn pop3<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    let greeting = d.line("the greeting").await?;
    if greeting.starts_with("-ERR") {
        return Err(DialogueOutcome::Declined {
            reply: greeting,
            code: None,
        });
    }
    if !greeting.starts_with("+OK") {
        return Err(d.unexpected(&greeting));
    }
    d.send(b"CAPA\r\n", "CAPA").await?;
    let first = d.line("the reply to CAPA").await?;
    let mut capabilities = vec![first.clone()];
    if first.starts_with("+OK") {
        capabilities.extend(dot_terminated(d, "the capability list").await?);
    }
    let advertised = capabilities
        .iter()
        .skip(1)
        .any(|l| l.trim().eq_ignore_ascii_case("STLS"));
    d.send_upgrade("STLS").await?;
    let answer = d.line("the reply to STLS").await?;
    Ok(upgrade_answer(
        answer.starts_with("+OK"),
        advertised,
        &capabilities.join(" / "),
        answer,
    ))
}

/// A POP3 command whose answer must be `+OK` (multi-line for `CAPA`).
async fn pop3_command<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    command: &str,
) -> Result<Vec<String>, Stop> {
    d.send(format!("{command}\r\n").as_bytes(), command).await?;
    let first = d.line(&format!("the reply to {command}")).await?;
    if !first.starts_with("+OK") {
        return Err(DialogueOutcome::Declined {
            reply: first,
            code: None,
        });
    }
    let mut lines = vec![first];
    lines.extend(dot_terminated(d, "the capability list").await?);
    Ok(lines)
}

/// RFC 5804 §2.2 (ManageSieve): the server lists its capabilities first;
/// `STARTTLS` is answered `OK`.
async fn sieve<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    let capabilities = sieve_capabilities(d).await?;
    let advertised = capabilities
        .iter()
        .any(|l| l.trim().eq_ignore_ascii_case("\"STARTTLS\""));
    d.send_upgrade("STARTTLS").await?;
    let answer = d.line("the reply to STARTTLS").await?;
    Ok(upgrade_answer(
        answer.to_ascii_uppercase().starts_with("OK"),
        advertised,
        &capabilities.join(" / "),
        answer,
    ))
}

/// The capability lines up to the final `OK` (sent on connect and again
/// after TLS).
async fn sieve_capabilities<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<Vec<String>, Stop> {
    let mut lines = Vec::new();
    loop {
        let line = d.line("the capability list").await?;
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("OK") {
            return Ok(lines);
        }
        if upper.starts_with("NO") || upper.starts_with("BYE") {
            return Err(DialogueOutcome::Declined {
                reply: line,
                code: None,
            });
        }
        if lines.is_empty() && !line.starts_with('"') {
            return Err(d.unexpected(&line));
        }
        lines.push(line);
    }
}

/// IRCv3 STARTTLS: numeric 670 goes ahead, 691 failed; 421 (unknown
/// command) and 451 (not registered) mean the server does not know it.
async fn irc<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    d.send(b"STARTTLS\r\n", "STARTTLS").await?;
    loop {
        let line = d.line("the reply to STARTTLS").await?;
        match irc_numeric(&line) {
            Some(670) => return Ok(DialogueOutcome::Ready { advertised: true }),
            Some(691) => {
                return Err(DialogueOutcome::Declined {
                    reply: line,
                    code: None,
                })
            }
            Some(421 | 451) => {
                return Err(DialogueOutcome::NotOffered {
                    capabilities: "the server does not know the STARTTLS command".into(),
                    reply: Some(line),
                })
            }
            _ if line.starts_with("ERROR") => {
                return Err(DialogueOutcome::Declined {
                    reply: line,
                    code: None,
                })
            }
            _ => {}
        }
    }
}

/// After TLS an IRC server carries on with notices; any line is an answer.
async fn irc_after<S: AsyncRead + AsyncWrite + Unpin>(d: &mut Dialogue<'_, S>) -> Result<(), Stop> {
    d.send(b"PING :tlsdoctor\r\n", "PING :tlsdoctor").await?;
    d.line("the reply to PING").await.map(|_| ())
}

/// `:server 670 nick :text` → 670.
fn irc_numeric(line: &str) -> Option<u16> {
    let mut words = line.split_ascii_whitespace();
    let first = words.next()?;
    let numeric = if first.starts_with(':') {
        words.next()?
    } else {
        first
    };
    (numeric.len() == 3).then(|| numeric.parse().ok()).flatten()
}

/// RFC 6120 §5.4: open the stream, read the features, ask `<starttls/>`,
/// expect `<proceed/>`.
async fn xmpp<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    namespace: &str,
    target: &Target,
) -> Result<DialogueOutcome, Stop> {
    let features = xmpp_features(d, namespace, target).await?;
    let advertised = features.contains("<starttls");
    let request = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
    d.send(request.as_bytes(), request).await?;
    let answer = d
        .until("the answer to <starttls/>", |b| {
            let text = String::from_utf8_lossy(b);
            text.contains("<proceed") || text.contains("<failure") || stream_ended(&text)
        })
        .await?;
    let answer = printable(&answer);
    d.note_server(&answer);
    Ok(upgrade_answer(
        answer.contains("<proceed"),
        advertised,
        &features,
        answer,
    ))
}

/// Opens an XMPP stream to the target's domain and reads its features.
async fn xmpp_features<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    namespace: &str,
    target: &Target,
) -> Result<String, Stop> {
    let domain: String = target
        .verify_name()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        .collect();
    let header = format!(
        "<?xml version='1.0'?><stream:stream xmlns='{namespace}' \
         xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>"
    );
    d.send(header.as_bytes(), &header).await?;
    let features = d
        .until("the stream features", |b| {
            let text = String::from_utf8_lossy(b);
            text.contains("</stream:features>")
                || text.contains("<stream:features/>")
                || stream_ended(&text)
        })
        .await?;
    let features = printable(&features);
    d.note_server(&features);
    if stream_ended(&features) {
        return Err(DialogueOutcome::Declined {
            reply: features,
            code: None,
        });
    }
    if !features.contains("<stream:") {
        return Err(d.unexpected(&features));
    }
    Ok(features)
}

fn stream_ended(text: &str) -> bool {
    text.contains("<stream:error") || text.contains("</stream:stream>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    /// A scripted server: for each line received, the reply to send
    /// (after a greeting).
    async fn scripted(
        greeting: &'static str,
        answers: Vec<(&'static str, &'static str)>,
    ) -> StageObservation {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            let (read, mut write) = tokio::io::split(server);
            let mut read = BufReader::new(read);
            let _ = write.write_all(greeting.as_bytes()).await;
            let mut line = String::new();
            while read.read_line(&mut line).await.unwrap_or(0) > 0 {
                let reply = answers
                    .iter()
                    .find(|(ask, _)| line.trim_end().starts_with(ask))
                    .map_or("500 unknown\r\n", |(_, reply)| reply);
                let _ = write.write_all(reply.as_bytes()).await;
                line.clear();
            }
        });
        let target = Target::new("mail.example", 25);
        upgrade(
            &mut client,
            StartTls::Smtp,
            &target,
            Duration::from_secs(2),
            Vec::new(),
            None,
        )
        .await
        .0
    }

    #[tokio::test]
    async fn smtp_ready_when_offered_and_accepted() {
        let obs = scripted(
            "220 mx ESMTP\r\n",
            vec![
                (
                    "EHLO",
                    "250-mx\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                ),
                ("STARTTLS", "220 2.0.0 Ready to start TLS\r\n"),
            ],
        )
        .await;
        assert_eq!(obs.outcome, DialogueOutcome::Ready { advertised: true });
        assert_eq!(
            obs.lines.last().unwrap().text,
            "220 2.0.0 Ready to start TLS"
        );
    }

    #[tokio::test]
    async fn smtp_without_starttls_keeps_the_servers_words() {
        let obs = scripted(
            "220-mx ESMTP\r\n220 welcome\r\n",
            vec![
                ("EHLO", "250-mx\r\n250 8BITMIME\r\n"),
                ("STARTTLS", "502 5.5.1 Error: command not implemented\r\n"),
            ],
        )
        .await;
        match obs.outcome {
            DialogueOutcome::NotOffered {
                capabilities,
                reply,
            } => {
                assert!(capabilities.contains("8BITMIME"));
                assert_eq!(
                    reply.as_deref(),
                    Some("502 5.5.1 Error: command not implemented")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn smtp_offered_but_refused_is_declined() {
        let obs = scripted(
            "220 mx\r\n",
            vec![
                ("EHLO", "250-mx\r\n250 STARTTLS\r\n"),
                (
                    "STARTTLS",
                    "454 4.7.0 TLS not available due to local problem\r\n",
                ),
            ],
        )
        .await;
        assert!(
            matches!(obs.outcome, DialogueOutcome::Declined { .. }),
            "{obs:?}"
        );
    }

    #[tokio::test]
    async fn an_implicit_tls_port_answers_with_a_tls_record() {
        let (mut client, mut server) = tokio::io::duplex(1 << 10);
        tokio::spawn(async move {
            let _ = server.write_all(&[0x15, 3, 1, 0, 2, 2, 50]).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
        let target = Target::new("mail.example", 465);
        let obs = upgrade(
            &mut client,
            StartTls::Smtp,
            &target,
            Duration::from_secs(2),
            Vec::new(),
            None,
        )
        .await
        .0;
        match obs.outcome {
            DialogueOutcome::Unexpected { reply, first_bytes } => {
                assert!(reply.starts_with("a TLS alert record"));
                assert_eq!(first_bytes[0], 0x15);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbered_replies_and_irc_numerics() {
        assert_eq!(reply_code("250-STARTTLS"), Some(250));
        assert_eq!(reply_code("250"), Some(250));
        assert_eq!(reply_code("2500"), None);
        assert_eq!(reply_code("* OK"), None);
        assert!(ends_reply("211 End", 211));
        assert!(!ends_reply(" AUTH TLS", 211));
        assert_eq!(
            irc_numeric(":irc.example 670 * :STARTTLS successful"),
            Some(670)
        );
        assert_eq!(irc_numeric("NOTICE AUTH :*** Looking up"), None);
    }
}
