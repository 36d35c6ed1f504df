//! The `transport` step: the proxy's tunnel and the STARTTLS dialogue that
//! come between TCP and the ClientHello. Present in the report only when
//! the target has a transport (`--proxy`, `--starttls`, a STARTTLS port).
//!
//! What the server said decides the code: a capability list without the
//! upgrade is `starttls_unsupported` (TLS is not configured there), an
//! upgrade command answered with anything but yes is `starttls_refused`,
//! a dialogue that is not the protocol at all (TLS records: an implicit-TLS
//! port; HTTP; silence) is `starttls_failed`. For proxies: 407 (or SOCKS5's
//! refused authentication) is `proxy_auth_required`, another refusal
//! `proxy_refused`, an answer that is no proxy's `proxy_failed`.

use model::{
    ConnectionEnd, DialogueOutcome, Proxy, ProxyKind, Sender, Stage, StageObservation, StartTls,
    Target,
};

use super::*;

pub(super) fn transport_step(walk: &mut Walk<'_>, main: Option<&ProbeRecord>) {
    let Some(target) = walk.obs.target.clone() else {
        return;
    };
    if target.transport.is_plain() {
        return;
    }
    let Some(observation) = main.and_then(|m| m.transport.as_ref()) else {
        walk.step(
            Step::Transport,
            StepStatus::NotTested,
            "no connection carried the transport dialogue",
        );
        return;
    };
    let mut done = Vec::new();
    for stage in &observation.stages {
        match &stage.outcome {
            DialogueOutcome::Ready { advertised } => {
                done.push(ready_text(&target, stage));
                if !advertised {
                    unadvertised(walk, &target, stage);
                }
            }
            _ => {
                let summary = failure_text(&target, stage);
                walk.step(Step::Transport, StepStatus::Failed, summary);
                let judged = judge_failure(&target, stage);
                walk.diagnose(
                    judged.code,
                    Severity::Error,
                    Step::Transport,
                    judged.summary,
                    transcript(stage),
                    judged.fix,
                );
                return;
            }
        }
    }
    let status = if walk.diagnoses.iter().any(|d| d.step == Step::Transport) {
        StepStatus::Warning
    } else {
        StepStatus::Ok
    };
    walk.step(Step::Transport, status, done.join("; "));
}

/// The stage's dialogue as evidence lines (`C:` what tlsdoctor sent, `S:`
/// what the server answered), the last ones when it is long.
pub(crate) fn transcript(stage: &StageObservation) -> Vec<String> {
    const KEEP: usize = 12;
    let skip = stage.lines.len().saturating_sub(KEEP);
    let mut lines: Vec<String> = Vec::new();
    if skip > 0 {
        lines.push(format!("({skip} earlier lines)"));
    }
    for line in stage.lines.iter().skip(skip) {
        let who = match line.from {
            Sender::Client => "C:",
            Sender::Server => "S:",
        };
        lines.push(format!("{who} {}", sanitize(&line.text)));
    }
    lines
}

fn ready_text(target: &Target, stage: &StageObservation) -> String {
    // A proxy's status line comes first (headers follow); a STARTTLS
    // server's go-ahead is its last line.
    let mut answers = stage
        .lines
        .iter()
        .filter(|l| l.from == Sender::Server && !l.text.is_empty());
    let answer = match stage.stage {
        Stage::Proxy => answers.next(),
        _ => answers.next_back(),
    };
    let last = answer
        .map(|l| format!(" ({})", sanitize(&l.text)))
        .unwrap_or_default();
    match (
        stage.stage,
        &target.transport.proxy,
        target.transport.starttls,
    ) {
        (Stage::Proxy, Some(proxy), _) => format!(
            "{} opened a tunnel to {}{last}",
            proxy.display(),
            target.display()
        ),
        (_, _, Some(protocol)) => {
            format!("{} STARTTLS accepted{last}", protocol.display_name())
        }
        _ => format!("ready{last}"),
    }
}

/// STARTTLS worked although the capability list did not name it: clients
/// that read the list first (most MTAs, every careful library) never try.
fn unadvertised(walk: &mut Walk<'_>, target: &Target, stage: &StageObservation) {
    let Some(protocol) = target.transport.starttls else {
        return;
    };
    walk.diagnose(
        Code::StarttlsUnsupported,
        Severity::Warning,
        Step::Transport,
        format!(
            "The {} server accepts STARTTLS but does not list it among its capabilities: clients that check the list first (most mail servers, most libraries) will carry on without TLS, or refuse to connect.",
            protocol.display_name()
        ),
        transcript(stage),
        vec![format!(
            "Server: advertise STARTTLS ({}).",
            advertise_hint(protocol)
        )],
    );
}

fn advertise_hint(protocol: StartTls) -> &'static str {
    match protocol {
        StartTls::Smtp | StartTls::Lmtp => {
            "Postfix: `smtpd_tls_security_level = may`; Exim: `tls_advertise_hosts = *`"
        }
        StartTls::Imap | StartTls::Pop3 | StartTls::Sieve => {
            "Dovecot: `ssl = yes` with `ssl_cert` and `ssl_key` set"
        }
        _ => "the server's TLS settings decide whether it is listed",
    }
}

struct Judged {
    code: Code,
    summary: String,
    fix: Vec<String>,
}

/// One line on what stopped the stage, for the step's detail.
fn failure_text(target: &Target, stage: &StageObservation) -> String {
    let what = match (stage.stage, target.transport.starttls) {
        (Stage::Proxy, _) => "the proxy".to_string(),
        (_, Some(protocol)) => format!("{} STARTTLS", protocol.display_name()),
        _ => "the dialogue".to_string(),
    };
    match &stage.outcome {
        DialogueOutcome::Ready { .. } => format!("{what}: ready"),
        DialogueOutcome::NotOffered { .. } => format!("{what}: not offered by the server"),
        DialogueOutcome::Declined { reply, .. } => {
            format!("{what}: refused ({})", sanitize(reply))
        }
        DialogueOutcome::Unexpected { reply, .. } => {
            format!("{what}: unexpected answer ({})", sanitize(reply))
        }
        DialogueOutcome::Ended { waiting_for, end } => {
            let who = if stage.stage == Stage::Proxy {
                "the proxy"
            } else {
                "the server"
            };
            format!(
                "{what}: {} while waiting for {waiting_for}",
                ending_by(who, end)
            )
        }
    }
}

fn ending(end: &ConnectionEnd) -> String {
    ending_by("the server", end)
}

/// How a dialogue ended, with `who` (the server, the proxy) as subject.
fn ending_by(who: &str, end: &ConnectionEnd) -> String {
    match end {
        ConnectionEnd::CloseNotify { .. } | ConnectionEnd::Closed { .. } => {
            format!("{who} closed the connection")
        }
        ConnectionEnd::Reset { .. } => "the connection was reset".into(),
        ConnectionEnd::Alert { description, .. } => {
            format!("{who} sent the TLS alert {}", alert_text(*description).0)
        }
        ConnectionEnd::Timeout { after_ms } => format!("no answer within {after_ms} ms"),
    }
}

fn judge_failure(target: &Target, stage: &StageObservation) -> Judged {
    match (
        stage.stage,
        &target.transport.proxy,
        target.transport.starttls,
    ) {
        (Stage::Proxy, Some(proxy), _) => judge_proxy(target, proxy, &stage.outcome),
        (_, _, Some(protocol)) => judge_starttls(target, protocol, &stage.outcome),
        _ => Judged {
            code: Code::StarttlsFailed,
            summary: failure_text(target, stage),
            fix: Vec::new(),
        },
    }
}

fn judge_starttls(target: &Target, protocol: StartTls, outcome: &DialogueOutcome) -> Judged {
    let name = protocol.display_name();
    let at = target.display();
    match outcome {
        DialogueOutcome::NotOffered { capabilities, reply } => {
            let answered = reply
                .as_ref()
                .map(|r| format!(" and answers the STARTTLS command with `{}`", sanitize(r)))
                .unwrap_or_default();
            let mut fix = vec![format!("Server: {}", enable_tls(protocol))];
            if let Some(port) = implicit_port(protocol) {
                let implicit = format!("{}:{port}", bracketed(&target.host));
                fix.push(format!(
                    "Client: if the service offers TLS from the first byte on port {port} instead, connect there: `tlsdoctor diagnose {implicit}`."
                ));
            }
            Judged {
                code: Code::StarttlsUnsupported,
                summary: format!(
                    "The {name} server at {at} does not offer STARTTLS: {}{answered}. TLS is not configured for this service, so clients that require it cannot connect and the others talk in plaintext.",
                    sanitize(capabilities)
                ),
                fix,
            }
        }
        DialogueOutcome::Declined { reply, .. } => Judged {
            code: Code::StarttlsRefused,
            summary: format!(
                "The {name} server at {at} refused: `{}`. It answered in {name}, so the service runs, but it would not start TLS for this connection.",
                sanitize(reply)
            ),
            fix: vec![
                format!("Server: the server's log says why; {}", refusal_hint(protocol)),
                "Server: a temporary refusal (SMTP 4xx, too many connections) clears by itself; a lasting one is configuration.".into(),
            ],
        },
        DialogueOutcome::Unexpected { reply, first_bytes } => {
            if matches!(first_bytes.first(), Some(0x14..=0x17)) && first_bytes.get(1) == Some(&3) {
                Judged {
                    code: Code::StarttlsFailed,
                    summary: format!(
                        "{at} speaks TLS from the first byte (implicit TLS), not {name} with STARTTLS: it answered the plaintext dialogue with a TLS record."
                    ),
                    fix: vec![
                        format!("Client: connect with TLS straight away (`tlsdoctor diagnose {at} --starttls none`; curl: the `{}` URL scheme).", implicit_scheme(protocol)),
                        "Client: or use the service's STARTTLS port for this protocol.".into(),
                    ],
                }
            } else if first_bytes.starts_with(b"HTTP/") || reply.starts_with("HTTP/") {
                Judged {
                    code: Code::StarttlsFailed,
                    summary: format!("{at} answers HTTP, not {name}: the port belongs to a web server."),
                    fix: vec![format!("Client: check the port; {name} is usually on {}.", usual_port(protocol))],
                }
            } else {
                Judged {
                    code: Code::StarttlsFailed,
                    summary: format!(
                        "{at} does not speak {name} as expected: it answered `{}`.",
                        sanitize(reply)
                    ),
                    fix: vec![
                        format!("Client: check the port ({name} is usually on {}) and the protocol given with --starttls.", usual_port(protocol)),
                    ],
                }
            }
        }
        DialogueOutcome::Ended { waiting_for, end } => {
            let silent_greeting =
                matches!(end, ConnectionEnd::Timeout { .. }) && waiting_for == "the greeting";
            if silent_greeting {
                Judged {
                    code: Code::StarttlsFailed,
                    summary: format!(
                        "{at} sent no {name} greeting ({}): it may expect TLS from the first byte (implicit TLS), or be too busy to answer.",
                        ending(end)
                    ),
                    fix: vec![
                        format!("Client: try TLS straight away: `tlsdoctor diagnose {at} --starttls none`."),
                        "Server: if the service is meant to greet, check that it is not stuck (connection limits, slow DNS look-ups of clients).".into(),
                    ],
                }
            } else {
                Judged {
                    code: Code::StarttlsFailed,
                    summary: format!(
                        "The {name} dialogue with {at} broke off: {} while waiting for {waiting_for}.",
                        ending(end)
                    ),
                    fix: vec![
                        "Server: the server's log says why it closed (connection limits, access rules such as tcp_wrappers or postscreen, a crash).".into(),
                    ],
                }
            }
        }
        DialogueOutcome::Ready { .. } => Judged {
            code: Code::Ok,
            summary: String::new(),
            fix: Vec::new(),
        },
    }
}

fn judge_proxy(target: &Target, proxy: &Proxy, outcome: &DialogueOutcome) -> Judged {
    let via = proxy.display();
    let at = target.display();
    match outcome {
        DialogueOutcome::Declined { reply, code } => {
            let reply = sanitize(reply);
            match (proxy.kind, code) {
                // tinyproxy answers wrong credentials with 401, not 407.
                (ProxyKind::HttpConnect, Some(401 | 407)) | (ProxyKind::Socks5, Some(255)) => Judged {
                    code: Code::ProxyAuthRequired,
                    summary: format!(
                        "The proxy {via} wants credentials{}: `{reply}`. The server was never reached.",
                        if proxy.username.is_some() { " and refused the ones given" } else { "" }
                    ),
                    fix: vec![
                        format!("Client: give the proxy's user and password: `tlsdoctor diagnose {at} --proxy {proxy_url}` (curl: `--proxy-user USER:PASSWORD`).", proxy_url = format!("{}://USER:PASSWORD@{}:{}", proxy.kind.scheme(), bracketed(&proxy.host), proxy.port)),
                        "Client: if the proxy authenticates with Kerberos/NTLM (Windows domains), use a client that can (curl `--proxy-negotiate` or `--proxy-ntlm`).".into(),
                    ],
                },
                // tinyproxy says `500 Unable to connect`, Squid 503, others 502/504.
                (ProxyKind::HttpConnect, Some(500 | 502..=504))
                | (ProxyKind::Socks5, Some(3..=6)) => Judged {
                    code: Code::ProxyRefused,
                    summary: format!(
                        "The proxy {via} could not reach {at}: `{reply}`. The failure is between the proxy and the server, not in TLS."
                    ),
                    fix: vec![
                        format!("Proxy: check that the proxy host can reach {at} (DNS, routes, firewall)."),
                        "Server: check that the service is up.".into(),
                    ],
                },
                _ => Judged {
                    code: Code::ProxyRefused,
                    summary: format!(
                        "The proxy {via} refused to open a tunnel to {at}: `{reply}`."
                    ),
                    fix: vec![
                        format!("Proxy: allow tunnels to port {} (Squid: add it to the `SSL_ports` acl used by `http_access deny CONNECT !SSL_ports`; tinyproxy: `ConnectPort {}`).", target.port, target.port),
                        "Client: ask the proxy's administrators whether the destination is blocked by policy.".into(),
                    ],
                },
            }
        }
        DialogueOutcome::Unexpected { reply, first_bytes } => {
            let tls = matches!(first_bytes.first(), Some(0x14..=0x17)) && first_bytes.get(1) == Some(&3);
            let http = first_bytes.starts_with(b"HTTP/") || reply.contains("HTTP/");
            let hint = match (proxy.kind, tls, http) {
                (_, true, _) => "it answered with TLS: an HTTPS proxy, which tlsdoctor does not speak to yet, or not a proxy port".to_string(),
                (ProxyKind::Socks5, _, true) => format!("it answered HTTP: an HTTP proxy (use `--proxy http://{}:{}`)", bracketed(&proxy.host), proxy.port),
                _ => format!("it answered `{}`", sanitize(reply)),
            };
            Judged {
                code: Code::ProxyFailed,
                summary: format!("{via} is not a {} proxy: {hint}.", proxy_kind_name(proxy.kind)),
                fix: vec!["Client: check the proxy's address, port and kind (the `http_proxy`/`https_proxy` variables, the PAC file).".into()],
            }
        }
        DialogueOutcome::Ended { waiting_for, end } => Judged {
            code: Code::ProxyFailed,
            summary: format!("The proxy {via} did not answer: {} while waiting for {waiting_for}.", ending_by("the proxy", end)),
            fix: vec!["Client: check the proxy's address and port; Proxy: check that it runs and accepts this client.".into()],
        },
        DialogueOutcome::NotOffered { capabilities, .. } => Judged {
            code: Code::ProxyRefused,
            summary: format!("The proxy {via} refused: {}.", sanitize(capabilities)),
            fix: Vec::new(),
        },
        DialogueOutcome::Ready { .. } => Judged {
            code: Code::Ok,
            summary: String::new(),
            fix: Vec::new(),
        },
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn proxy_kind_name(kind: ProxyKind) -> &'static str {
    match kind {
        ProxyKind::HttpConnect => "HTTP",
        ProxyKind::Socks5 => "SOCKS5",
    }
}

/// How to turn TLS on for the protocol's usual servers.
fn enable_tls(protocol: StartTls) -> &'static str {
    match protocol {
        StartTls::Smtp | StartTls::Lmtp => "enable TLS. Postfix (main.cf): `smtpd_tls_cert_file = /etc/ssl/certs/mail.pem`, `smtpd_tls_key_file = /etc/ssl/private/mail.key`, `smtpd_tls_security_level = may`, then `postfix reload`. Exim: `tls_certificate`, `tls_privatekey` and `tls_advertise_hosts = *`.",
        StartTls::Imap | StartTls::Pop3 | StartTls::Sieve => "enable TLS. Dovecot (conf.d/10-ssl.conf): `ssl = yes`, `ssl_cert = </etc/ssl/certs/mail.pem`, `ssl_key = </etc/ssl/private/mail.key`, then `doveadm reload`.",
        StartTls::Ldap => "give slapd a certificate: `olcTLSCertificateFile` and `olcTLSCertificateKeyFile` in cn=config (with ldapmodify), or `TLSCertificateFile`/`TLSCertificateKeyFile` in slapd.conf; the key must be readable by the slapd user.",
        StartTls::Postgres => "enable SSL in postgresql.conf: `ssl = on`, `ssl_cert_file = 'server.crt'`, `ssl_key_file = 'server.key'` (key owned by postgres, mode 0600), then `SELECT pg_reload_conf();`.",
        StartTls::Mysql => "enable TLS: `[mysqld] ssl_cert = /etc/mysql/server-cert.pem` and `ssl_key = /etc/mysql/server-key.pem` (MariaDB needs both; MySQL 8 makes its own certificate at first start unless told not to), then restart.",
        StartTls::Ftp => "enable TLS. vsftpd: `ssl_enable=YES` with `rsa_cert_file` and `rsa_private_key_file`; ProFTPD: `TLSEngine on` with `TLSRSACertificateFile`.",
        StartTls::Xmpp | StartTls::XmppServer => "give the XMPP server a certificate for its domain (Prosody: `prosodyctl cert import`; ejabberd: `certfiles` and `starttls: true` on the listener).",
        StartTls::Nntp => "enable TLS in the news server (INN: `tlscertfile` and `tlskeyfile` in inn.conf).",
        StartTls::Irc => "load a certificate in the IRC server and enable its STARTTLS support (many servers offer TLS only on port 6697).",
    }
}

fn refusal_hint(protocol: StartTls) -> &'static str {
    match protocol {
        StartTls::Smtp | StartTls::Lmtp => "Postfix's `454 4.7.0 TLS not available due to local problem` means it cannot read its certificate or key (`grep -i tls /var/log/mail.log`).",
        StartTls::Imap | StartTls::Pop3 | StartTls::Sieve => "Dovecot logs the reason with `doveadm log errors`.",
        StartTls::Ldap => "slapd's `unavailable (52)` means its TLS settings failed to load (certificate, key, or their permissions).",
        StartTls::Postgres => "the PostgreSQL log names the connection's refusal (pg_hba.conf, connection limits).",
        StartTls::Mysql => "MySQL's ERR packet names the reason (host not allowed, too many connections).",
        _ => "the answer above is the server's own reason.",
    }
}

fn usual_port(protocol: StartTls) -> &'static str {
    match protocol {
        StartTls::Smtp => "587 (submission) or 25",
        StartTls::Lmtp => "24",
        StartTls::Imap => "143",
        StartTls::Pop3 => "110",
        StartTls::Ftp => "21",
        StartTls::Xmpp => "5222",
        StartTls::XmppServer => "5269",
        StartTls::Ldap => "389",
        StartTls::Postgres => "5432",
        StartTls::Mysql => "3306",
        StartTls::Nntp => "119",
        StartTls::Sieve => "4190",
        StartTls::Irc => "6667",
    }
}

/// The protocol's implicit-TLS port (TLS from the first byte), where
/// there is one.
fn implicit_port(protocol: StartTls) -> Option<u16> {
    Some(match protocol {
        StartTls::Smtp => 465,
        StartTls::Imap => 993,
        StartTls::Pop3 => 995,
        StartTls::Ldap => 636,
        StartTls::Ftp => 990,
        StartTls::Nntp => 563,
        StartTls::Irc => 6697,
        StartTls::Xmpp => 5223,
        _ => return None,
    })
}

fn implicit_scheme(protocol: StartTls) -> &'static str {
    match protocol {
        StartTls::Smtp | StartTls::Lmtp => "smtps://",
        StartTls::Imap => "imaps://",
        StartTls::Pop3 => "pop3s://",
        StartTls::Ldap => "ldaps://",
        StartTls::Ftp => "ftps://",
        _ => "implicit-TLS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::DialogueLine;

    fn stage(stage: Stage, outcome: DialogueOutcome, lines: &[(Sender, &str)]) -> StageObservation {
        StageObservation {
            stage,
            lines: lines
                .iter()
                .map(|(from, text)| DialogueLine {
                    from: *from,
                    text: text.to_string(),
                })
                .collect(),
            outcome,
            elapsed_ms: 1,
        }
    }

    fn smtp_target() -> Target {
        let mut target = Target::new("mail.example", 587);
        target.transport.starttls = Some(StartTls::Smtp);
        target
    }

    fn judged(target: &Target, stage: StageObservation) -> Judged {
        judge_failure(target, &stage)
    }

    #[test]
    fn a_capability_list_without_starttls_is_unsupported() {
        let s = stage(
            Stage::StartTls,
            DialogueOutcome::NotOffered {
                capabilities: "250-mx / 250 8BITMIME".into(),
                reply: Some("502 5.5.1 Error: command not implemented".into()),
            },
            &[(Sender::Server, "220 mx ESMTP Postfix")],
        );
        let j = judged(&smtp_target(), s);
        assert_eq!(j.code, Code::StarttlsUnsupported);
        assert!(j.summary.contains("502 5.5.1"), "{}", j.summary);
        assert!(j.fix[0].contains("smtpd_tls_security_level"));
    }

    #[test]
    fn a_454_is_a_refusal_and_a_tls_record_an_implicit_tls_port() {
        let refused = stage(
            Stage::StartTls,
            DialogueOutcome::Declined {
                reply: "454 4.7.0 TLS not available due to local problem".into(),
                code: None,
            },
            &[],
        );
        assert_eq!(judged(&smtp_target(), refused).code, Code::StarttlsRefused);
        let implicit = stage(
            Stage::StartTls,
            DialogueOutcome::Unexpected {
                reply: "a TLS alert record instead of a greeting (15 03 01 00 02 02 32)".into(),
                first_bytes: vec![0x15, 3, 1, 0, 2, 2, 50].into(),
            },
            &[],
        );
        let j = judged(&smtp_target(), implicit);
        assert_eq!(j.code, Code::StarttlsFailed);
        assert!(j.summary.contains("implicit TLS"));
        assert!(j.fix[0].contains("--starttls none"));
    }

    #[test]
    fn proxy_answers_are_told_apart() {
        let mut target = Target::new("example.com", 443);
        target.transport.proxy = Some(Proxy {
            kind: ProxyKind::HttpConnect,
            host: "proxy.corp".into(),
            port: 3128,
            username: None,
            password: None,
        });
        let declined = |code| {
            stage(
                Stage::Proxy,
                DialogueOutcome::Declined {
                    reply: format!("HTTP/1.1 {code} x"),
                    code: Some(code),
                },
                &[],
            )
        };
        assert_eq!(judged(&target, declined(407)).code, Code::ProxyAuthRequired);
        assert_eq!(judged(&target, declined(403)).code, Code::ProxyRefused);
        let unreachable = judged(&target, declined(502));
        assert_eq!(unreachable.code, Code::ProxyRefused);
        assert!(unreachable.summary.contains("could not reach"));
        let silent = stage(
            Stage::Proxy,
            DialogueOutcome::Ended {
                waiting_for: "the proxy's answer to CONNECT".into(),
                end: ConnectionEnd::Timeout { after_ms: 5000 },
            },
            &[],
        );
        assert_eq!(judged(&target, silent).code, Code::ProxyFailed);
    }
}
