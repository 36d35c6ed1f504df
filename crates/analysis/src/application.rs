//! The `application` step: the first exchange of the application protocol on
//! the handshake's own connection (for https, `GET /`). Many servers refuse
//! only there: nginx with `ssl_verify_client on` completes the handshake
//! without a client certificate and answers `400 No required SSL certificate
//! was sent`; Node with `requestCert`/`rejectUnauthorized` closes the
//! connection right after the handshake; a name routed to the wrong virtual
//! host answers `421 Misdirected Request`.
//!
//! Pure judgement over [`model::HttpObservation`]; never does I/O. A service
//! that does not answer HTTP within the cap is no failure: the step says what
//! was seen and is `not_tested`.

use model::{
    Code, ConnectionEnd, Diagnosis, HandshakeObservation, HttpObservation, ProbeRecord, Severity,
    Step, StepReport, StepStatus, Target,
};

use crate::text::sanitize;

/// What the handshake showed about client certificates, which the answer is
/// read against.
#[derive(Debug, Default)]
struct ClientAuth {
    /// The server sent a CertificateRequest.
    requested: bool,
    /// A client certificate was sent.
    sent: bool,
    /// The CAs the CertificateRequest named, as text (`any CA` when none).
    accepted: String,
}

/// Judges the application step of a completed handshake. `main` is the
/// client's raw hello (its flight may show a TLS 1.2 CertificateRequest),
/// `handshake` the full handshake that carried the request.
pub(crate) fn judge(
    target: Option<&Target>,
    main: Option<&ProbeRecord>,
    handshake: Option<&ProbeRecord>,
) -> (StepReport, Vec<Diagnosis>) {
    let Some(record) = handshake.and_then(|p| p.handshake.as_ref()) else {
        return (
            step(StepStatus::NotTested, "no full handshake was attempted"),
            Vec::new(),
        );
    };
    if !record.completed {
        return (
            step(
                StepStatus::NotTested,
                "not tested: the handshake did not complete, so no request could be sent",
            ),
            Vec::new(),
        );
    }
    let auth = client_auth(main, record);
    if let Some(exchange) = record.application.as_ref() {
        return judge_exchange(target, exchange, &auth);
    }
    let Some(http) = record.http.as_ref() else {
        return (
            step(
                StepStatus::NotTested,
                "not tested: no application request was sent",
            ),
            Vec::new(),
        );
    };
    judge_http(target, http, &auth)
}

/// The protocol's first command inside TLS on a STARTTLS target: any
/// answer in the protocol passes (a PostgreSQL `no pg_hba.conf entry` is
/// about the login, not TLS); a close or reset right after the handshake is
/// the server refusing the connection, most often for want of a client
/// certificate it asked for.
fn judge_exchange(
    target: Option<&Target>,
    exchange: &model::StageObservation,
    auth: &ClientAuth,
) -> (StepReport, Vec<Diagnosis>) {
    use model::DialogueOutcome;
    let evidence = crate::judge::transcript(exchange);
    let last_answer = exchange
        .lines
        .iter()
        .rev()
        .find(|l| l.from == model::Sender::Server)
        .map(|l| sanitize(&l.text));
    let sent = exchange
        .lines
        .iter()
        .find(|l| l.from == model::Sender::Client)
        .map(|l| sanitize(&l.text))
        .unwrap_or_default();
    match &exchange.outcome {
        DialogueOutcome::Ready { .. } => (
            step(
                StepStatus::Ok,
                format!(
                    "{sent} inside TLS: the server answered `{}`",
                    last_answer.unwrap_or_default()
                ),
            ),
            Vec::new(),
        ),
        DialogueOutcome::Ended {
            end: ConnectionEnd::Timeout { after_ms },
            ..
        } => (
            step(
                StepStatus::NotTested,
                format!("{sent} inside TLS: no answer within {after_ms} ms"),
            ),
            Vec::new(),
        ),
        DialogueOutcome::Ended { waiting_for, .. } => {
            if auth.requested && !auth.sent {
                let retry = retry_with_certificate(target);
                return (
                    step(
                        StepStatus::Failed,
                        format!("the server closed the connection after the handshake, while tlsdoctor waited for {waiting_for}; it had asked for a client certificate and none was sent"),
                    ),
                    vec![diagnosis(
                        Code::ClientCertRequired,
                        "The server requires a client certificate (mutual TLS): it completed the handshake without one, then closed the connection.",
                        evidence,
                        vec![format!(
                            "Client: present a certificate issued by {}: {retry}.",
                            auth.accepted
                        )],
                    )],
                );
            }
            (
                step(
                    StepStatus::Failed,
                    format!("the server closed the connection after the handshake, while tlsdoctor waited for {waiting_for}"),
                ),
                vec![diagnosis(
                    Code::ClosedAfterHandshake,
                    "The server completed the TLS handshake, then closed the connection instead of answering the protocol's first command inside TLS.",
                    evidence,
                    vec!["Server: the server's log says why (an access rule, a crash in its TLS layer, a client-certificate check).".into()],
                )],
            )
        }
        DialogueOutcome::Declined { reply, .. } | DialogueOutcome::Unexpected { reply, .. } => (
            step(
                StepStatus::Warning,
                format!(
                    "{sent} inside TLS: the server answered `{}`",
                    sanitize(reply)
                ),
            ),
            Vec::new(),
        ),
        DialogueOutcome::NotOffered { capabilities, .. } => (
            step(
                StepStatus::Warning,
                format!("{sent} inside TLS: {}", sanitize(capabilities)),
            ),
            Vec::new(),
        ),
    }
}

/// What the client will hit at the application step once a failed
/// certificate step is fixed (the recording verifier let the handshake go
/// on, so the answer was seen): its diagnoses as notes.
pub(crate) fn next_hurdles(
    target: Option<&Target>,
    main: Option<&ProbeRecord>,
    handshake: Option<&ProbeRecord>,
) -> Vec<Diagnosis> {
    if !handshake
        .and_then(|p| p.handshake.as_ref())
        .is_some_and(|h| h.completed)
    {
        return Vec::new();
    }
    let (_, diagnoses) = judge(target, main, handshake);
    diagnoses
        .into_iter()
        .map(|d| Diagnosis {
            severity: Severity::Info,
            summary: format!("Next, once the certificate is fixed: {}", d.summary),
            ..d
        })
        .collect()
}

fn client_auth(main: Option<&ProbeRecord>, record: &HandshakeObservation) -> ClientAuth {
    let request = record.client_cert_request.clone().or_else(|| {
        main.and_then(|m| m.flight.as_ref())
            .and_then(|f| f.certificate_request.clone())
    });
    let names: Vec<String> = request
        .iter()
        .flat_map(|r| r.ca_names.iter())
        .filter_map(|dn| dn_text(dn))
        .collect();
    ClientAuth {
        requested: request.is_some(),
        sent: record.client_cert_sent,
        accepted: if names.is_empty() {
            "any CA".into()
        } else {
            names.join("; ")
        },
    }
}

/// A DER distinguished name as text, when it parses.
fn dn_text(der: &[u8]) -> Option<String> {
    use x509_parser::prelude::FromDer;
    let (_, name) = x509_parser::x509::X509Name::from_der(der).ok()?;
    Some(sanitize(&name.to_string()))
}

fn step(status: StepStatus, detail: impl Into<String>) -> StepReport {
    StepReport {
        step: Step::Application,
        status,
        detail: detail.into(),
    }
}

fn diagnosis(
    code: Code,
    summary: impl Into<String>,
    evidence: Vec<String>,
    fix: Vec<String>,
) -> Diagnosis {
    Diagnosis {
        code,
        severity: Severity::Error,
        step: Step::Application,
        summary: summary.into(),
        evidence,
        fix,
    }
}

/// A client-certificate refusal an HTTP server states in its answer.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// The server says no certificate was sent (nginx, status 496).
    Missing,
    /// The server says the certificate sent is bad (nginx, status 495).
    Bad,
    /// The answer does not name the certificate, but refuses access after
    /// a CertificateRequest (Apache's post-handshake authentication
    /// failure, HAProxy's `http-request deny`): the certificate is the
    /// likely reason.
    Likely,
}

/// The status code: recorded, or read from the status line (observations
/// recorded before `status` existed have only the line).
fn status(http: &HttpObservation) -> Option<u16> {
    http.status.or_else(|| {
        let line = http.status_line.as_deref()?;
        let mut parts = line.split(' ');
        if !parts.next()?.starts_with("HTTP/") {
            return None;
        }
        let code = parts.next()?;
        (code.len() == 3).then(|| code.parse().ok()).flatten()
    })
}

/// Which refusal `http` states, if any.
fn refusal(http: &HttpObservation, auth: &ClientAuth) -> Option<Refusal> {
    let status = status(http)?;
    let body = http.body.as_deref().unwrap_or("").to_ascii_lowercase();
    // nginx (ngx_http_request.c): NGX_HTTPS_NO_CERT (496) and
    // NGX_HTTPS_CERT_ERROR (495) become 400 with these texts, unless an
    // error_page shows the internal codes.
    if status == 496 || body.contains("no required ssl certificate was sent") {
        return Some(Refusal::Missing);
    }
    if status == 495 || body.contains("the ssl certificate error") {
        return Some(Refusal::Bad);
    }
    // Apache mod_ssl asks for a certificate per directory after the
    // handshake: impossible in TLS 1.3 without post-handshake auth, failed
    // renegotiation in TLS 1.2; both end in 403 with these texts.
    if status == 403
        && (body.contains("post-handshake authentication")
            || body.contains("re-negotiation handshake failed"))
    {
        return Some(if auth.sent {
            Refusal::Bad
        } else {
            Refusal::Missing
        });
    }
    // After a CertificateRequest, a bare 400 (nginx answering HEAD, which
    // carries no body) or 403 on `/` is most likely the certificate.
    if auth.requested && matches!(status, 400 | 403) {
        return Some(Refusal::Likely);
    }
    None
}

fn answer_text(http: &HttpObservation) -> String {
    let status = http.status_line.as_deref().unwrap_or("(no status line)");
    let mut text = format!("answer: {}", sanitize(status));
    if let Some(body) = http.body.as_deref() {
        text.push_str(&format!("; body: {}", sanitize(&visible_text(body, 300))));
    }
    text
}

/// The text of an HTML (or plain) body as a reader sees it: tags removed,
/// whitespace collapsed, at most `limit` characters.
fn visible_text(body: &str, limit: usize) -> String {
    let mut out = String::with_capacity(body.len().min(limit));
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    words.join(" ").chars().take(limit).collect()
}

fn request_text(http: &HttpObservation) -> String {
    http.request
        .as_deref()
        .map(sanitize)
        .unwrap_or_else(|| "GET /".into())
}

/// The `tlsdoctor diagnose` line to try again with a client certificate.
fn retry_with_certificate(target: Option<&Target>) -> String {
    let target = crate::fixes::target_arg(target);
    format!(
        "`tlsdoctor diagnose {target} --client-cert client.pem --client-key client.key`; curl `--cert client.pem --key client.key`"
    )
}

fn judge_http(
    target: Option<&Target>,
    http: &HttpObservation,
    auth: &ClientAuth,
) -> (StepReport, Vec<Diagnosis>) {
    if let Some(status) = status(http) {
        if let Some(refusal) = refusal(http, auth) {
            return refused(target, http, auth, refusal);
        }
        if status == 421 {
            return misdirected(target, http);
        }
        let after = http
            .elapsed_ms
            .map(|ms| format!(" {ms} ms after the handshake"))
            .unwrap_or_default();
        return (
            step(
                StepStatus::Ok,
                format!(
                    "{} answered {}{after}",
                    request_text(http),
                    sanitize(http.status_line.as_deref().unwrap_or("")),
                ),
            ),
            Vec::new(),
        );
    }
    // No status line.
    if http.renegotiation_requested {
        return renegotiation_refused(target, http, auth);
    }
    if let Some(line) = http.status_line.as_deref() {
        return (
            step(
                StepStatus::NotTested,
                format!(
                    "not tested: the server answered, but not in HTTP (\"{}\"): the service may speak another protocol",
                    sanitize(line)
                ),
            ),
            Vec::new(),
        );
    }
    match &http.end {
        Some(
            end @ (ConnectionEnd::Closed { .. }
            | ConnectionEnd::CloseNotify { .. }
            | ConnectionEnd::Reset { .. }
            | ConnectionEnd::Alert { .. }),
        ) => closed(target, http, auth, end),
        Some(ConnectionEnd::Timeout { after_ms }) => (
            step(
                StepStatus::NotTested,
                format!(
                    "not tested: no HTTP answer within {after_ms} ms to {}: the service may not speak HTTP",
                    request_text(http)
                ),
            ),
            Vec::new(),
        ),
        None => (
            step(
                StepStatus::NotTested,
                format!(
                    "not tested: no HTTP answer ({})",
                    sanitize(http.error.as_deref().unwrap_or("nothing was read"))
                ),
            ),
            Vec::new(),
        ),
    }
}

/// The server asked to renegotiate after the request (TLS 1.2 HelloRequest)
/// and then gave no answer: Apache's way of asking for a per-directory
/// client certificate, which clients that do not renegotiate never see.
fn renegotiation_refused(
    target: Option<&Target>,
    http: &HttpObservation,
    auth: &ClientAuth,
) -> (StepReport, Vec<Diagnosis>) {
    let end = http
        .end
        .as_ref()
        .map_or_else(|| "no answer".to_string(), end_text);
    let code = if auth.sent {
        Code::ClientCertRejected
    } else {
        Code::ClientCertRequired
    };
    (
        step(
            StepStatus::Failed,
            format!("the server asked to renegotiate instead of answering the request, then gave no answer ({end})"),
        ),
        vec![diagnosis(
            code,
            "The server asked to renegotiate the TLS 1.2 connection instead of answering the request, most likely to ask for a client certificate for this path (Apache `SSLVerifyClient` inside a `<Location>` or `<Directory>`); tlsdoctor does not renegotiate, and neither do many clients (all of them under TLS 1.3).",
            vec![
                format!("{}: the server sent a HelloRequest (an encrypted handshake record after the handshake); {end}", request_text(http)),
                if auth.requested {
                    format!("the initial handshake asked for a client certificate (accepted CAs: {})", auth.accepted)
                } else {
                    "the initial handshake asked for no client certificate".into()
                },
            ],
            vec![
                "Server: ask for the client certificate in the initial handshake: move `SSLVerifyClient require` (or `optional`) to the virtual host level; per-directory renegotiation is impossible under TLS 1.3 and refused by many clients.".into(),
                format!("Client: present a certificate from the CA the server expects: {}; a client that renegotiates (curl/OpenSSL under TLS 1.2) can then send it.", retry_with_certificate(target)),
            ],
        )],
    )
}

fn refused(
    target: Option<&Target>,
    http: &HttpObservation,
    auth: &ClientAuth,
    refusal: Refusal,
) -> (StepReport, Vec<Diagnosis>) {
    let accepted = &auth.accepted;
    let missing = match refusal {
        Refusal::Missing => true,
        Refusal::Bad => false,
        Refusal::Likely => !auth.sent,
    };
    let likely = refusal == Refusal::Likely;
    let mut evidence = vec![
        format!("{}: {}", request_text(http), answer_text(http)),
        if auth.requested {
            format!("the server asked for a client certificate during the handshake (accepted CAs: {accepted})")
        } else {
            "the server asked for no client certificate during the handshake".into()
        },
    ];
    if likely {
        evidence.push(
            "the answer does not name the certificate; the refusal after a CertificateRequest makes it the likely reason".into(),
        );
    }
    let retry = retry_with_certificate(target);
    if missing {
        let detail = format!(
            "the handshake completed without a client certificate, then the server refused the request: {}",
            sanitize(http.status_line.as_deref().unwrap_or(""))
        );
        let summary = if likely {
            "The server completed the handshake without a client certificate, then refused the request: it most likely requires one (mutual TLS)."
        } else {
            "The server requires a client certificate (mutual TLS): it completed the handshake without one, then refused the request over HTTP."
        };
        (
            step(StepStatus::Failed, detail),
            vec![diagnosis(
                Code::ClientCertRequired,
                summary,
                evidence,
                vec![
                    format!("Client: present a certificate issued by {accepted}: {retry}; openssl `-cert client.pem -key client.key`, Python `ssl_context.load_cert_chain()`."),
                    "Server: if client certificates should be optional, use `ssl_verify_client optional;` (nginx) or `SSLVerifyClient optional` (Apache) and decide in the application ($ssl_client_verify, SSL_CLIENT_VERIFY).".into(),
                ],
            )],
        )
    } else {
        let detail = format!(
            "a client certificate was sent and the handshake completed, then the server refused the request: {}",
            sanitize(http.status_line.as_deref().unwrap_or(""))
        );
        let summary = if likely {
            "A client certificate was sent and the handshake completed, then the server refused the request: it most likely rejects that certificate."
        } else {
            "The server rejected the client certificate: it completed the handshake, then refused the request over HTTP."
        };
        (
            step(StepStatus::Failed, detail),
            vec![diagnosis(
                Code::ClientCertRejected,
                summary,
                evidence,
                vec![
                    format!("Client: use a certificate issued by one of: {accepted}, not expired, with the clientAuth extended key usage, and its own key: {retry}."),
                    "Server: check that the client CA file (nginx `ssl_client_certificate` and `ssl_verify_depth`, Apache `SSLCACertificateFile`, HAProxy `ca-file`) holds the CA that issued the client's certificate and its intermediates; the error log names the reason (nginx: \"client SSL certificate verify error\").".into(),
                ],
            )],
        )
    }
}

fn misdirected(target: Option<&Target>, http: &HttpObservation) -> (StepReport, Vec<Diagnosis>) {
    let sni = target
        .and_then(|t| t.sni.as_deref())
        .map_or_else(|| "none".to_string(), sanitize);
    (
        step(
            StepStatus::Failed,
            format!(
                "the server answered {}: this connection is not for the name asked for",
                sanitize(http.status_line.as_deref().unwrap_or("421"))
            ),
        ),
        vec![diagnosis(
            Code::MisdirectedRequest,
            "The server answered 421 Misdirected Request: the TLS connection (its SNI and certificate) reached a virtual host that does not serve the Host the request asked for.",
            vec![
                format!("{}: {}", request_text(http), answer_text(http)),
                format!("SNI sent: {sni}"),
            ],
            vec![
                format!("Client: send the same name as SNI and as Host (`tlsdoctor diagnose {} --sni NAME` / curl `--resolve NAME:PORT:IP https://NAME:PORT/`), and do not reuse a connection for another name.", crate::fixes::target_arg(target)),
                "Server: serve that name on a virtual host whose TLS settings (certificate, client verification) match the one SNI selects (nginx: one `server` block with both names, or identical `ssl_*` settings; Apache: `SSLStrictSNIVHostCheck`, the vhost's `ServerName`/`ServerAlias`).".into(),
            ],
        )],
    )
}

fn end_text(end: &ConnectionEnd) -> String {
    match end {
        ConnectionEnd::Closed { after_ms } => {
            format!("the server closed the connection without close_notify {after_ms} ms after the handshake")
        }
        ConnectionEnd::CloseNotify { after_ms } => {
            format!("the server sent close_notify and closed {after_ms} ms after the handshake")
        }
        ConnectionEnd::Reset { after_ms } => {
            format!("the connection was reset {after_ms} ms after the handshake")
        }
        ConnectionEnd::Alert {
            description,
            after_ms,
        } => format!(
            "the server sent alert {} {after_ms} ms after the handshake",
            wire::registry::AlertDescription(*description).name()
        ),
        ConnectionEnd::Timeout { after_ms } => format!("no answer within {after_ms} ms"),
    }
}

fn closed(
    target: Option<&Target>,
    http: &HttpObservation,
    auth: &ClientAuth,
    end: &ConnectionEnd,
) -> (StepReport, Vec<Diagnosis>) {
    let accepted = &auth.accepted;
    let certificate = format!(
        "Client certificate {}: the server asked for one (accepted CAs: {accepted}) and {}; servers such as Node (`requestCert` + `rejectUnauthorized`) accept the handshake and then drop the connection. Tells: retry with a certificate from those CAs ({}); if the close goes away, this was it.",
        if auth.sent { "rejected" } else { "missing" },
        if auth.sent { "one was sent" } else { "none was sent" },
        retry_with_certificate(target),
    );
    let certificate_late = format!(
        "Client certificate checked by the application: some servers drop clients without one even though the handshake asked for none. Tells: retry with one ({}).",
        retry_with_certificate(target)
    );
    let name = format!("SNI/Host policy: the server or a load balancer accepts the handshake but serves only some names and drops the rest. Tells: retry with the name the service is published under (`tlsdoctor diagnose {} --sni NAME`; curl `--resolve NAME:PORT:IP https://NAME:PORT/`); the server's access log shows nothing for a dropped name.", crate::fixes::target_arg(target));
    let allow_list = "IP allow-list: the server (nginx `deny`, HAProxy `tcp-request connection reject`, a WAF) drops addresses not on its list after the handshake. Tells: the same request from an allowed address works; the server's log names this address.".to_string();
    let protocol = "The service does not speak HTTP and closed on an HTTP request. Tells: its documentation; a client of its own protocol works.".to_string();
    let mut causes = if auth.requested {
        vec![certificate, name, allow_list, protocol]
    } else {
        vec![name, allow_list, certificate_late, protocol]
    };
    for (i, cause) in causes.iter_mut().enumerate() {
        *cause = format!("{}. {cause}", i + 1);
    }
    let mut evidence = vec![
        format!("{}: no HTTP answer; {}", request_text(http), end_text(end)),
        if auth.requested {
            format!(
                "the server asked for a client certificate during the handshake; {}",
                if auth.sent {
                    "one was sent"
                } else {
                    "none was sent"
                }
            )
        } else {
            "the server asked for no client certificate during the handshake".into()
        },
    ];
    evidence.push("curl shows this as `Empty reply from server` or `Connection reset by peer`, openssl as `unexpected eof while reading`".into());
    // The fix lists the likely causes, most likely first, each with what
    // tells it apart from the others.
    let fix = causes;
    (
        step(
            StepStatus::Failed,
            format!(
                "the handshake completed, then the connection ended without an answer: {}",
                end_text(end)
            ),
        ),
        vec![diagnosis(
            Code::ClosedAfterHandshake,
            "The server completed the TLS handshake, then ended the connection without answering the request.",
            evidence,
            fix,
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{
        Bytes, CertificateRequestObservation, HandshakeSpec, ProbeKind, ProbeRequest, Purpose,
        TcpOutcome,
    };

    fn handshake(http: Option<HttpObservation>, requested: bool, sent: bool) -> ProbeRecord {
        ProbeRecord {
            request: ProbeRequest {
                purpose: Purpose::Handshake,
                kind: ProbeKind::Handshake(HandshakeSpec {
                    http_head: true,
                    http_get: true,
                    ..Default::default()
                }),
            },
            ip: Some([127, 0, 0, 1].into()),
            tcp: TcpOutcome::Connected { elapsed_ms: 0 },
            transport: None,
            flight: None,
            handshake: Some(HandshakeObservation {
                completed: true,
                client_cert_request: requested.then(|| CertificateRequestObservation {
                    // SEQUENCE { SET { SEQUENCE { CN, "client CA" } } }
                    ca_names: vec![Bytes(
                        [
                            &[
                                0x30, 0x14, 0x31, 0x12, 0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x03,
                                0x0c, 0x09,
                            ][..],
                            b"client CA",
                        ]
                        .concat(),
                    )],
                    signature_schemes: Vec::new(),
                }),
                client_cert_sent: sent,
                http,
                ..Default::default()
            }),
            fetch: None,
            caa: None,
            elapsed_ms: 3,
        }
    }

    fn answer(status_line: &str, body: Option<&str>) -> HttpObservation {
        HttpObservation {
            status_line: Some(status_line.into()),
            status: status_line.split(' ').nth(1).and_then(|s| s.parse().ok()),
            body: body.map(str::to_string),
            request: Some("GET / HTTP/1.1 (Host: localhost:8443)".into()),
            ..Default::default()
        }
    }

    fn ended(end: ConnectionEnd) -> HttpObservation {
        HttpObservation {
            request: Some("GET / HTTP/1.1 (Host: localhost:8443)".into()),
            error: Some("the connection ended before any HTTP reply".into()),
            end: Some(end),
            ..Default::default()
        }
    }

    fn target() -> Target {
        Target::new("localhost", 8443)
    }

    fn run(record: ProbeRecord) -> (StepReport, Vec<Diagnosis>) {
        judge(Some(&target()), None, Some(&record))
    }

    /// nginx 1.22's answer to `GET /` under `ssl_verify_client on`, no certificate.
    const NGINX_NO_CERT: &str = "<html> <head><title>400 No required SSL certificate was sent</title></head> <body> <center><h1>400 Bad Request</h1></center> <center>No required SSL certificate was sent</center> <hr><center>nginx/1.22.1</center> </body> </html>";
    const NGINX_BAD_CERT: &str = "<html> <head><title>400 The SSL certificate error</title></head> <body> <center><h1>400 Bad Request</h1></center> <center>The SSL certificate error</center> <hr><center>nginx/1.22.1</center> </body> </html>";

    #[test]
    fn nginx_without_a_certificate_is_client_cert_required() {
        let http = answer("HTTP/1.1 400 Bad Request", Some(NGINX_NO_CERT));
        let (step, diagnoses) = run(handshake(Some(http), true, false));
        assert_eq!(step.status, StepStatus::Failed);
        assert_eq!(diagnoses.len(), 1);
        let d = &diagnoses[0];
        assert_eq!(
            (d.code, d.step),
            (Code::ClientCertRequired, Step::Application)
        );
        assert!(d.evidence[0].contains("400 Bad Request"), "{d:?}");
        assert!(d.evidence[0].contains("No required SSL certificate was sent"));
        assert!(d.evidence[1].contains("CN=client CA"), "{d:?}");
        assert!(d.fix[0].contains(
            "`tlsdoctor diagnose localhost:8443 --client-cert client.pem --client-key client.key`"
        ));
        assert!(d.fix[0].contains("curl `--cert client.pem --key client.key`"));
    }

    #[test]
    fn nginx_with_a_foreign_certificate_is_client_cert_rejected() {
        let http = answer("HTTP/1.1 400 Bad Request", Some(NGINX_BAD_CERT));
        let (step, diagnoses) = run(handshake(Some(http), true, true));
        assert_eq!(step.status, StepStatus::Failed);
        assert_eq!(diagnoses[0].code, Code::ClientCertRejected);
        assert!(diagnoses[0].evidence[0].contains("The SSL certificate error"));
        assert!(diagnoses[0].fix[0].contains("--client-cert client.pem --client-key client.key"));
    }

    #[test]
    fn nginx_internal_codes_shown_by_an_error_page() {
        let (_, d) = run(handshake(Some(answer("HTTP/1.1 496 ", None)), true, false));
        assert_eq!(d[0].code, Code::ClientCertRequired);
        let (_, d) = run(handshake(Some(answer("HTTP/1.1 495 ", None)), true, true));
        assert_eq!(d[0].code, Code::ClientCertRejected);
    }

    #[test]
    fn apache_post_handshake_auth_failure() {
        let body = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\"> <html><head> <title>403 Forbidden</title> </head><body> <h1>Forbidden</h1> <p>You don't have permission to access this resource.Reason: Cannot perform Post-Handshake Authentication.<br /></p> </body></html>";
        let (_, d) = run(handshake(
            Some(answer("HTTP/1.1 403 Forbidden", Some(body))),
            false,
            false,
        ));
        assert_eq!(d[0].code, Code::ClientCertRequired);
    }

    #[test]
    fn a_bare_refusal_after_a_certificate_request_is_the_likely_certificate() {
        // nginx answering HEAD: no body, just the status.
        let (_, d) = run(handshake(
            Some(answer("HTTP/1.1 400 Bad Request", None)),
            true,
            false,
        ));
        assert_eq!(d[0].code, Code::ClientCertRequired);
        assert!(d[0].summary.contains("most likely"));
        // HAProxy `http-request deny` with a certificate sent.
        let (_, d) = run(handshake(
            Some(answer(
                "HTTP/1.1 403 Forbidden",
                Some("<html><body><h1>403 Forbidden</h1> Request forbidden by administrative rules. </body></html>"),
            )),
            true,
            true,
        ));
        assert_eq!(d[0].code, Code::ClientCertRejected);
        // Without a CertificateRequest, a 403 is the application's business.
        let (step, d) = run(handshake(
            Some(answer("HTTP/1.1 403 Forbidden", None)),
            false,
            false,
        ));
        assert_eq!((step.status, d.len()), (StepStatus::Ok, 0));
    }

    #[test]
    fn healthy_answers_are_ok_whatever_the_status() {
        for status in [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 404 Not Found",
            "HTTP/1.1 301 Moved Permanently",
            "HTTP/1.0 500 Internal Server Error",
        ] {
            let (step, d) = run(handshake(Some(answer(status, Some("hi"))), true, true));
            assert_eq!(step.status, StepStatus::Ok, "{status}");
            assert!(step.detail.contains(status), "{}", step.detail);
            assert!(d.is_empty(), "{status}: {d:?}");
        }
    }

    #[test]
    fn an_answer_recorded_before_status_existed_is_read_from_its_line() {
        let old = HttpObservation {
            status_line: Some("HTTP/1.1 421 Misdirected Request".into()),
            ..Default::default()
        };
        let (_, d) = run(handshake(Some(old), false, false));
        assert_eq!(d[0].code, Code::MisdirectedRequest);
        let old = HttpObservation {
            status_line: Some("HTTP/1.1 200 OK".into()),
            elapsed_ms: Some(3),
            ..Default::default()
        };
        let (step, _) = run(handshake(Some(old), false, false));
        assert_eq!(step.status, StepStatus::Ok);
        assert!(
            step.detail.ends_with("200 OK 3 ms after the handshake"),
            "{}",
            step.detail
        );
    }

    #[test]
    fn the_refusal_behind_a_failed_certificate_is_a_next_hurdle() {
        let http = answer("HTTP/1.1 400 Bad Request", Some(NGINX_NO_CERT));
        let record = handshake(Some(http), true, false);
        let next = next_hurdles(Some(&target()), None, Some(&record));
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].code, Code::ClientCertRequired);
        assert_eq!(next[0].severity, Severity::Info);
        assert!(next[0]
            .summary
            .starts_with("Next, once the certificate is fixed: "));
        // A healthy answer adds nothing; nor does a handshake that failed.
        let ok = handshake(Some(answer("HTTP/1.1 200 OK", None)), false, false);
        assert!(next_hurdles(None, None, Some(&ok)).is_empty());
        let mut failed = handshake(
            Some(answer("HTTP/1.1 400 Bad Request", Some(NGINX_NO_CERT))),
            true,
            false,
        );
        failed.handshake.as_mut().unwrap().completed = false;
        assert!(next_hurdles(None, None, Some(&failed)).is_empty());
    }

    #[test]
    fn a_renegotiation_request_without_an_answer_is_the_per_directory_certificate() {
        let mut http = ended(ConnectionEnd::Timeout { after_ms: 1500 });
        http.renegotiation_requested = true;
        let (step, d) = run(handshake(Some(http), false, false));
        assert_eq!(step.status, StepStatus::Failed);
        assert_eq!(d[0].code, Code::ClientCertRequired);
        assert!(d[0].evidence[0].contains("HelloRequest"));
        assert!(d[0].fix[0].contains("virtual host level"));
    }

    #[test]
    fn misdirected_request() {
        let (step, d) = run(handshake(
            Some(answer("HTTP/1.1 421 Misdirected Request", None)),
            false,
            false,
        ));
        assert_eq!(step.status, StepStatus::Failed);
        assert_eq!(d[0].code, Code::MisdirectedRequest);
        assert!(d[0].evidence.iter().any(|e| e == "SNI sent: localhost"));
    }

    #[test]
    fn a_close_after_a_certificate_request_puts_the_certificate_first() {
        let (step, d) = run(handshake(
            Some(ended(ConnectionEnd::Closed { after_ms: 2 })),
            true,
            false,
        ));
        assert_eq!(step.status, StepStatus::Failed);
        assert_eq!(d[0].code, Code::ClosedAfterHandshake);
        assert!(d[0].evidence[0].contains("without close_notify 2 ms after"));
        assert!(
            d[0].fix[0].starts_with("1. Client certificate missing"),
            "{:?}",
            d[0].fix
        );
        assert!(d[0].fix[1].starts_with("2. SNI/Host policy"));
        assert!(d[0].fix[2].starts_with("3. IP allow-list"));
    }

    #[test]
    fn a_reset_without_a_certificate_request_puts_names_first() {
        let (_, d) = run(handshake(
            Some(ended(ConnectionEnd::Reset { after_ms: 1 })),
            false,
            false,
        ));
        assert_eq!(d[0].code, Code::ClosedAfterHandshake);
        assert!(d[0].evidence[0].contains("reset 1 ms after"));
        assert!(
            d[0].fix[0].starts_with("1. SNI/Host policy"),
            "{:?}",
            d[0].fix
        );
        assert!(d[0].fix[1].starts_with("2. IP allow-list"));
    }

    #[test]
    fn an_alert_and_close_notify_are_closes_too() {
        for end in [
            ConnectionEnd::CloseNotify { after_ms: 0 },
            ConnectionEnd::Alert {
                description: 48,
                after_ms: 0,
            },
        ] {
            let (_, d) = run(handshake(Some(ended(end.clone())), true, true));
            assert_eq!(d[0].code, Code::ClosedAfterHandshake, "{end:?}");
            assert!(d[0].fix[0].starts_with("1. Client certificate rejected"));
        }
        let (_, d) = run(handshake(
            Some(ended(ConnectionEnd::Alert {
                description: 48,
                after_ms: 0,
            })),
            true,
            true,
        ));
        assert!(
            d[0].evidence[0].contains("unknown_ca"),
            "{:?}",
            d[0].evidence
        );
    }

    #[test]
    fn a_service_that_does_not_speak_http_is_not_a_failure() {
        let (step, d) = run(handshake(
            Some(ended(ConnectionEnd::Timeout { after_ms: 1500 })),
            false,
            false,
        ));
        assert_eq!(step.status, StepStatus::NotTested);
        assert!(
            step.detail
                .contains("no HTTP answer within 1500 ms to GET / HTTP/1.1 (Host: localhost:8443): the service may not speak HTTP"),
            "{}",
            step.detail
        );
        assert!(d.is_empty());
        // Something else than HTTP came back.
        let other = HttpObservation {
            status_line: Some("220 mail.example ESMTP".into()),
            ..Default::default()
        };
        let (step, d) = run(handshake(Some(other), false, false));
        assert_eq!(step.status, StepStatus::NotTested);
        assert!(step.detail.contains("220 mail.example ESMTP"));
        assert!(d.is_empty());
    }

    #[test]
    fn no_request_or_no_handshake_is_not_tested() {
        let (step, _) = run(handshake(None, false, false));
        assert_eq!(step.status, StepStatus::NotTested);
        let mut unfinished = handshake(None, false, false);
        unfinished.handshake.as_mut().unwrap().completed = false;
        let (step, d) = run(unfinished);
        assert_eq!(step.status, StepStatus::NotTested);
        assert!(step.detail.contains("did not complete"));
        assert!(d.is_empty());
        let (step, _) = judge(None, None, None);
        assert_eq!(step.status, StepStatus::NotTested);
    }

    #[test]
    fn network_text_is_sanitised() {
        let http = answer(
            "HTTP/1.1 400 Bad\u{1b}[2J Request",
            Some("No required SSL certificate was sent\u{7}"),
        );
        let (_, d) = run(handshake(Some(http), true, false));
        assert!(d[0]
            .evidence
            .iter()
            .all(|e| !e.chars().any(char::is_control)));
    }

    #[test]
    fn the_body_is_shown_as_text() {
        assert_eq!(
            visible_text(NGINX_NO_CERT, 300),
            "400 No required SSL certificate was sent 400 Bad Request No required SSL certificate was sent nginx/1.22.1"
        );
        assert_eq!(visible_text("plain <b>bold</b>", 8), "plain bo");
        assert_eq!(visible_text("a < b", 10), "a");
    }

    #[test]
    fn serialises_as_application() {
        assert_eq!(
            serde_json::to_string(&Step::Application).unwrap(),
            "\"application\""
        );
        assert_eq!(
            Code::ClosedAfterHandshake.as_str(),
            "closed_after_handshake"
        );
        assert_eq!(Code::MisdirectedRequest.as_str(), "misdirected_request");
    }
}
