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
    for step in Step::ALL {
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

fn dns_step(walk: &mut Walk<'_>) {
    let host = walk
        .obs
        .target
        .as_ref()
        .map(|t| t.host.clone())
        .unwrap_or_default();
    let Some(dns) = walk.obs.dns.clone() else {
        walk.step(Step::Dns, StepStatus::NotTested, "no look-up was recorded");
        return;
    };
    if dns.skipped {
        let ip = dns
            .addresses
            .first()
            .map(IpAddr::to_string)
            .unwrap_or_default();
        walk.step(
            Step::Dns,
            StepStatus::Ok,
            format!("no look-up needed: connecting to {ip}"),
        );
    } else if let Some(error) = &dns.error {
        let error = sanitize(error);
        walk.step(
            Step::Dns,
            StepStatus::Failed,
            format!("{host} could not be resolved: {error}"),
        );
        walk.diagnose(
            Code::DnsFailed,
            Severity::Error,
            Step::Dns,
            format!("The name {host} does not resolve to an address, so no connection can start."),
            vec![format!("resolver answer: {error}"), format!("after {} ms", dns.elapsed_ms)],
            vec![
                format!("Check the spelling of {host}."),
                format!("Check the DNS records: `dig {host} A` and `dig {host} AAAA` should list the server's addresses."),
                "If the name is new or changed, wait for the old records' TTL, or test with --connect-to IP.".into(),
                "If other names fail too, the client's resolver (/etc/resolv.conf, VPN, corporate DNS) is the problem.".into(),
            ],
        );
    } else {
        let list: Vec<String> = dns.addresses.iter().map(IpAddr::to_string).collect();
        walk.step(
            Step::Dns,
            StepStatus::Ok,
            format!("{host} → {} ({} ms)", list.join(", "), dns.elapsed_ms),
        );
    }
}

fn tcp_step(walk: &mut Walk<'_>, main: Option<&ProbeRecord>) {
    let Some(main) = main else {
        walk.step(
            Step::Tcp,
            StepStatus::NotTested,
            "no connection was attempted",
        );
        return;
    };
    let port = walk.obs.target.as_ref().map(|t| t.port).unwrap_or(0);
    let addr = main
        .ip
        .map(|ip| std::net::SocketAddr::new(ip, port).to_string())
        .unwrap_or_else(|| format!("port {port}"));
    match &main.tcp {
        TcpOutcome::Connected { elapsed_ms } => {
            walk.step(
                Step::Tcp,
                StepStatus::Ok,
                format!("connected to {addr} in {elapsed_ms} ms"),
            );
        }
        TcpOutcome::Refused { message } => {
            walk.step(
                Step::Tcp,
                StepStatus::Failed,
                format!("{addr} refused the connection"),
            );
            walk.diagnose(
                Code::TcpRefused,
                Severity::Error,
                Step::Tcp,
                format!("Nothing accepts connections on {addr}: the connection was refused before TLS could start."),
                vec![format!("connect: {}", sanitize(message))],
                vec![
                    format!("Server: make sure the TLS service is running and listening on port {port} (`ss -tlnp | grep :{port}`)."),
                    "Server: check that a firewall is not rejecting the port.".into(),
                    "Client: check the port number; HTTPS is 443 unless the site says otherwise.".into(),
                ],
            );
        }
        TcpOutcome::Timeout { after_ms } => {
            walk.step(
                Step::Tcp,
                StepStatus::Failed,
                format!("no answer from {addr} within {after_ms} ms"),
            );
            walk.diagnose(
                Code::TcpTimeout,
                Severity::Error,
                Step::Tcp,
                format!("{addr} did not answer the connection attempt: packets are being dropped on the way or the host is down."),
                vec![format!("no SYN-ACK within {after_ms} ms")],
                vec![
                    "Server: check that the host is up and that a firewall or security group allows the port.".into(),
                    "Client: check the address (an old DNS record?) and whether a local firewall or proxy blocks outgoing connections.".into(),
                ],
            );
        }
        TcpOutcome::Unreachable { message } | TcpOutcome::Error { message } => {
            walk.step(
                Step::Tcp,
                StepStatus::Failed,
                format!("cannot reach {addr}: {}", sanitize(message)),
            );
            walk.diagnose(
                Code::TcpTimeout,
                Severity::Error,
                Step::Tcp,
                format!("{addr} cannot be reached from here."),
                vec![format!("connect: {}", sanitize(message))],
                vec!["Client: check the network route (VPN, default gateway, IPv6 connectivity) to the server's address.".into()],
            );
        }
        TcpOutcome::NotAttempted => {
            walk.step(
                Step::Tcp,
                StepStatus::NotReached,
                "no address to connect to",
            );
        }
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

/// The client offered; did the server pick?
fn server_hello_step(walk: &mut Walk<'_>, main: Option<&ProbeRecord>) {
    let profile = &walk.ctx.client;
    let sni = walk.obs.target.as_ref().and_then(|t| t.sni.clone());
    walk.step(
        Step::ClientHello,
        StepStatus::Ok,
        format!(
            "offered {}; {} cipher suites; groups {}; SNI {}",
            versions_text(&profile.versions),
            profile.cipher_suites.len(),
            groups_text(&profile.groups),
            sni.as_deref().unwrap_or("(none)")
        ),
    );
    let Some(flight) = main.and_then(|m| m.flight.as_ref()) else {
        walk.step(
            Step::ServerHello,
            StepStatus::NotTested,
            "no reply was recorded",
        );
        return;
    };
    if let Some(sh) = &flight.server_hello {
        let group = sh
            .group
            .map(|g| format!(", group {}", g.name()))
            .unwrap_or_default();
        walk.step(
            Step::ServerHello,
            StepStatus::Ok,
            format!(
                "server chose {}, {}{}",
                sh.version.display_name(),
                sh.cipher_suite.name(),
                group
            ),
        );
        if let Some(ke) = &flight.key_exchange {
            weak_dh_warning(walk, ke.dh_prime_bits);
        }
        return;
    }
    if let Some(group) = flight.hello_retry_group {
        walk.step(
            Step::ServerHello,
            StepStatus::Ok,
            format!(
                "server asked for a key share in {} (HelloRetryRequest)",
                group.name()
            ),
        );
        return;
    }
    let received = flight.bytes_received;
    let timeout_ms = main.map(|m| m.elapsed_ms).unwrap_or(0);
    match &flight.end {
        FlightEnd::NotTls => not_tls(walk, flight),
        FlightEnd::Malformed { message } => {
            walk.step(
                Step::ServerHello,
                StepStatus::Failed,
                "the server's reply breaks TLS framing rules",
            );
            walk.diagnose(
                Code::ProtocolViolation,
                Severity::Error,
                Step::ServerHello,
                "The server answered with TLS records that no TLS implementation may send; every client will abort.",
                vec![format!("parser: {}", sanitize(message)), format!("{received} bytes received")],
                vec![
                    "Server: this is a bug or a broken device (load balancer, TLS offloader) in front of the server; update or replace it.".into(),
                    "Check that nothing on the path rewrites traffic on this port.".into(),
                ],
            );
        }
        FlightEnd::Timeout => {
            let detail = if received == 0 {
                format!("the server accepted TCP but sent nothing in {timeout_ms} ms")
            } else {
                format!("the server sent only {received} bytes in {timeout_ms} ms, then stalled")
            };
            walk.step(Step::ServerHello, StepStatus::Failed, detail.clone());
            walk.diagnose(
                Code::HandshakeTimeout,
                Severity::Error,
                Step::ServerHello,
                "The server accepted the connection but did not complete its hello in time.",
                vec![detail],
                vec![
                    "Server: check that the process on this port is a TLS server and is not overloaded (accept queue, worker limits).".into(),
                    "If a proxy or load balancer fronts the server, check its health and back-end timeouts.".into(),
                    "Client: retry with a longer --timeout to tell a slow server from a dead one.".into(),
                ],
            );
        }
        FlightEnd::Alert => {
            let description = flight.alert().map(|a| a.description).unwrap_or(0);
            if description == 112 {
                sni_required(walk, sni.as_deref());
            } else {
                negotiation_failure(walk, flight, Some(description));
            }
        }
        FlightEnd::Closed | FlightEnd::Reset => negotiation_failure(walk, flight, None),
        FlightEnd::Complete => {
            walk.step(
                Step::ServerHello,
                StepStatus::NotTested,
                "the reply held no ServerHello",
            );
        }
    }
}

fn weak_dh_warning(walk: &mut Walk<'_>, bits: Option<u32>) {
    if let Some(bits) = bits.filter(|b| *b < 2048) {
        walk.diagnose(
            Code::WeakDhGroup,
            Severity::Warning,
            Step::ServerHello,
            format!("The server's Diffie-Hellman group has only {bits} bits: breakable by well-funded attackers (Logjam), and refused by current clients."),
            vec![format!("ServerKeyExchange DH prime: {bits} bits")],
            vec![
                "Server: prefer ECDHE suites, and use a DH group of at least 2048 bits (RFC 7919 ffdhe2048) if DHE must stay.".into(),
                "  nginx: ssl_dhparam /etc/ssl/ffdhe2048.pem;   Apache: SSLOpenSSLConfCmd DHParameters /etc/ssl/ffdhe2048.pem".into(),
            ],
        );
    }
}

fn not_tls(walk: &mut Walk<'_>, flight: &ServerFlight) {
    let shown = printable_prefix(&flight.first_bytes);
    let (what, hint) = if flight.first_bytes.starts_with(b"HTTP/")
        || flight.first_bytes.starts_with(b"<")
    {
        ("plain HTTP", "The port serves unencrypted HTTP: use http://, or enable TLS on this port (nginx: `listen 443 ssl;`).")
    } else if flight.first_bytes.starts_with(b"SSH-") {
        ("SSH", "The port is an SSH server; TLS is on another port.")
    } else if flight.first_bytes.starts_with(b"220") {
        ("a mail or FTP greeting", "The protocol starts in plain text and upgrades with STARTTLS; connect to the implicit-TLS port instead (465/993/995) or use STARTTLS.")
    } else {
        (
            "something that is not TLS",
            "Check which program listens on the port and that it is configured for TLS.",
        )
    };
    walk.step(
        Step::ServerHello,
        StepStatus::Failed,
        format!("the server answered with {what}, not TLS"),
    );
    walk.diagnose(
        Code::NotTls,
        Severity::Error,
        Step::ServerHello,
        format!("This port does not speak TLS: it answered the ClientHello with {what}."),
        vec![format!("first bytes from the server: {shown}")],
        vec![
            hint.into(),
            "Server: if TLS is meant to be here, the listener is missing its TLS setting (nginx `ssl` on the listen line, Apache `SSLEngine on`, HAProxy `ssl crt ...` on the bind line).".into(),
            "Behind a CDN (Cloudflare 525/526): the origin port must serve HTTPS, or the CDN's SSL mode must be set to match.".into(),
        ],
    );
}

fn sni_required(walk: &mut Walk<'_>, sni: Option<&str>) {
    let (detail, fix) = match sni {
        None => (
            "the server refused a hello without a server name (alert unrecognized_name)".to_string(),
            vec![
                "Client: send the host name (SNI). Connect by name rather than IP; openssl: `-servername HOST`; curl does it by default for names; old clients (Java 6, Windows XP, Android 2) cannot.".to_string(),
                "Server: to serve clients without SNI, set a default certificate (nginx: `listen 443 ssl default_server;`, Apache: the first VirtualHost for the port).".to_string(),
            ],
        ),
        Some(name) => (
            format!("the server has no site for the name {name} (alert unrecognized_name)"),
            vec![
                format!("Server: add {name} to the server's names (nginx `server_name {name};`, Apache `ServerName`/`ServerAlias`, HAProxy a crt for it, Caddy a site block for it)."),
                "Client: check the host name; through a CDN or proxy, check the origin's expected name (--sni NAME).".to_string(),
            ],
        ),
    };
    walk.step(Step::ServerHello, StepStatus::Failed, detail.clone());
    walk.diagnose(
        Code::SniRequired,
        Severity::Error,
        Step::ServerHello,
        "The server picks its certificate by the name the client sends (SNI), and refused this hello's name.",
        vec![detail, format!("SNI sent: {}", sni.unwrap_or("(none)"))],
        fix,
    );
}

/// The versions the server accepted when offered everything.
/// The evidence for `cert_key_type_mismatch`: the TLS 1.2 version probe,
/// which offers suites for RSA and ECDSA keys alike, got handshake_failure
/// (TLS 1.2 is enabled: a disabled version gets protocol_version), and TLS
/// 1.3 does not rescue this client.
fn key_type_mismatch(obs: &Observations, client: &crate::ClientProfile) -> Option<Vec<String>> {
    use wire::registry::Auth;
    let probe = obs.probe(&Purpose::Version {
        version: ProtocolVersion::TLS1_2,
    })?;
    let flight = probe.flight.as_ref()?;
    if flight.server_hello.is_some()
        || flight.end != FlightEnd::Alert
        || flight.alert()?.description != 40
    {
        return None;
    }
    let model::ProbeKind::Hello(spec) = &probe.request.kind else {
        return None;
    };
    let auth = |a: Auth| {
        spec.cipher_suites
            .iter()
            .any(|s| s.info().is_some_and(|i| i.auth == a))
    };
    if !(auth(Auth::Rsa) && auth(Auth::Ecdsa)) {
        return None;
    }
    let tls13 = accepted_versions(obs).contains(&ProtocolVersion::TLS1_3);
    if tls13 && client.versions.contains(&ProtocolVersion::TLS1_3) {
        return None;
    }
    let mut evidence = vec![format!(
        "a TLS 1.2 hello offering all {} cipher suites (for RSA and ECDSA keys alike) got alert handshake_failure (not protocol_version): TLS 1.2 is on, but no enabled suite can be used; no handshake completed, so the certificate itself was not seen",
        spec.cipher_suites.len()
    )];
    if tls13 {
        evidence.push("TLS 1.3, whose cipher suites work with any key type, was accepted".into());
    }
    Some(evidence)
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

/// The client's hello was refused: explain with what the server does accept.
fn negotiation_failure(walk: &mut Walk<'_>, flight: &ServerFlight, alert: Option<u8>) {
    // Refused without SNI, accepted with it: the server needs the name,
    // whatever alert it chose to say so.
    if let Some(name) = walk
        .obs
        .target
        .as_ref()
        .and_then(crate::plan::sni_retry_name)
    {
        let with_sni = walk
            .obs
            .probe(&Purpose::Sni {
                sni: Some(name.clone()),
            })
            .and_then(|p| p.flight.as_ref());
        if with_sni.is_some_and(|f| f.server_hello.is_some() || f.hello_retry_group.is_some()) {
            sni_required(walk, None);
            if let Some(d) = walk.diagnoses.last_mut() {
                d.evidence
                    .push(format!("the same hello with SNI {name} was accepted"));
            }
            return;
        }
    }
    // TLS 1.2 is on (handshake_failure, not protocol_version) but refuses a
    // hello offering every suite: no enabled suite fits the key.
    if let Some(evidence) = key_type_mismatch(walk.obs, &walk.ctx.client) {
        walk.step(
            Step::ServerHello,
            StepStatus::Failed,
            "the server refuses every TLS 1.2 cipher suite: none of its enabled suites fits its certificate (or its parameters)",
        );
        walk.diagnose(
            Code::CertKeyTypeMismatch,
            Severity::Error,
            Step::ServerHello,
            "The server refuses a TLS 1.2 hello offering every cipher suite, for RSA and ECDSA keys alike, with handshake_failure: none of its enabled suites can be used. Most often the certificate's key type matches none of them (an ECDSA certificate with only ECDHE-RSA/RSA suites enabled, or the reverse); the other common cause is DHE-only suites on a server without DH parameters (Python's ssl module, OpenSSL servers without dh_auto).",
            evidence,
            fixes::match_key_type_and_suites(),
        );
        return;
    }
    let profile = walk.ctx.client.clone();
    let refusal = match alert {
        Some(d) => {
            let (name, meaning) = alert_text(d);
            format!("alert {name} ({meaning})")
        }
        None if flight.end == FlightEnd::Reset => "a reset (RST), with no alert".to_string(),
        None => "a close, with no alert".to_string(),
    };
    let accepted = accepted_versions(walk.obs);
    let common: Vec<ProtocolVersion> = accepted
        .iter()
        .copied()
        .filter(|v| profile.versions.contains(v))
        .collect();

    if accepted.is_empty() {
        if let Some(d) = alert {
            server_alert(
                walk,
                Step::ServerHello,
                d,
                "even a hello offering every version and cipher suite was refused",
            );
        } else {
            walk.step(
                Step::ServerHello,
                StepStatus::Failed,
                format!("the server answered the ClientHello with {refusal}"),
            );
            walk.diagnose(
                Code::HandshakeReset,
                Severity::Error,
                Step::ServerHello,
                "The connection was closed right after the ClientHello, without a TLS alert: typical of a firewall, IPS or middlebox that dislikes the hello, or of an overloaded server.",
                vec![
                    format!("reply: {refusal}"),
                    "hellos offering every version (SSL 3.0 to TLS 1.3) were cut off the same way".into(),
                ],
                vec![
                    "Check for a firewall, IPS or DPI device in front of the server (and on the client's network) that drops TLS.".into(),
                    "Server: check the TLS server's error log for the connection.".into(),
                    "Try from another network to tell the client's side from the server's.".into(),
                ],
            );
        }
        return;
    }

    if common.is_empty() {
        let detail = format!(
            "server accepts only {}; the client offers {}",
            versions_text(&accepted),
            versions_text(&profile.versions)
        );
        walk.step(Step::ServerHello, StepStatus::Failed, detail.clone());
        let too_old = accepted.iter().all(|v| *v < ProtocolVersion::TLS1_2);
        let mut fix = if too_old {
            fixes::enable_modern_protocols()
        } else {
            vec![format!(
                "Client: enable {} (update the client or its TLS library).",
                versions_text(&accepted)
            )]
        };
        if too_old {
            fix.push(format!(
                "Client (only if the server cannot change, and knowing it is insecure): allow {} — curl `--tlsv1.0 --ciphers DEFAULT@SECLEVEL=0`, openssl `-tls1 -cipher DEFAULT@SECLEVEL=0`, Java: remove TLSv1 from jdk.tls.disabledAlgorithms.",
                versions_text(&accepted)
            ));
        }
        walk.diagnose(
            Code::ProtocolMismatch,
            Severity::Error,
            Step::ServerHello,
            format!(
                "No common protocol version: the server speaks only {}, the client only {}.",
                versions_text(&accepted),
                versions_text(&profile.versions)
            ),
            vec![
                format!("the client's hello got {refusal}"),
                format!("server accepted: {}", versions_text(&accepted)),
                format!(
                    "server refused: {}",
                    versions_text(&refused_versions(walk.obs))
                ),
            ],
            fix,
        );
        return;
    }

    // A common version exists: what else did the server refuse?
    let version = common
        .iter()
        .copied()
        .max()
        .unwrap_or(ProtocolVersion::TLS1_2);
    let server_suites = accepted_suites(walk.obs, version);
    let overlap: Vec<CipherSuite> = server_suites
        .iter()
        .copied()
        .filter(|s| profile.cipher_suites.contains(s))
        .collect();
    let vflight = version_flight(walk.obs, version);
    if !server_suites.is_empty() && overlap.is_empty() {
        let detail = format!(
            "at {} the server accepts only {}; none is among the client's {} suites",
            version.display_name(),
            suites_text(&server_suites, 6),
            profile.cipher_suites.len()
        );
        walk.step(Step::ServerHello, StepStatus::Failed, detail.clone());
        walk.diagnose(
            Code::CipherMismatch,
            Severity::Error,
            Step::ServerHello,
            format!(
                "No common cipher suite: at {} the server and the client share no suite.",
                version.display_name()
            ),
            vec![
                format!("the client's hello got {refusal}"),
                format!(
                    "server accepts at {}: {}",
                    version.display_name(),
                    suites_text(&server_suites, 12)
                ),
                format!("client offers: {}", suites_text(&profile.cipher_suites, 12)),
            ],
            fixes::enable_modern_ciphers(),
        );
        if let Some(ke) = vflight.and_then(|f| f.key_exchange.as_ref()) {
            weak_dh_warning(walk, ke.dh_prime_bits);
        }
        return;
    }

    // Same version and suite possible: groups?
    let server_group = vflight.and_then(|f| {
        f.hello_retry_group
            .or_else(|| f.server_hello.as_ref().and_then(|sh| sh.group))
            .or_else(|| f.key_exchange.as_ref().and_then(|ke| ke.group))
    });
    if let Some(group) = server_group.filter(|g| !profile.groups.contains(g)) {
        let detail = format!(
            "the server wants key exchange group {}; the client offers {}",
            group.name(),
            groups_text(&profile.groups)
        );
        walk.step(Step::ServerHello, StepStatus::Failed, detail.clone());
        walk.diagnose(
            Code::GroupMismatch,
            Severity::Error,
            Step::ServerHello,
            "No common key exchange group: the server and the client cannot agree on how to make the shared key.",
            vec![format!("the client's hello got {refusal}"), detail],
            fixes::enable_common_groups(),
        );
        return;
    }
    let server_scheme = vflight
        .and_then(|f| f.key_exchange.as_ref())
        .and_then(|ke| ke.signature_scheme);
    if let Some(scheme) = server_scheme.filter(|s| !profile.signature_algorithms.contains(s)) {
        let detail = format!(
            "the server signs with {}, which the client does not accept",
            scheme.name()
        );
        walk.step(Step::ServerHello, StepStatus::Failed, detail.clone());
        walk.diagnose(
            Code::SigalgMismatch,
            Severity::Error,
            Step::ServerHello,
            "No common signature algorithm: the server can only sign in a way the client does not accept.",
            vec![format!("the client's hello got {refusal}"), detail],
            vec![
                "Server: use a certificate and key the client can verify (ECDSA P-256 or RSA 2048+ with SHA-256), and allow RSA-PSS / SHA-256 signatures.".into(),
                "Client: enable the signature algorithms the server needs (update the client).".into(),
            ],
        );
        return;
    }
    match alert {
        Some(d) => server_alert(walk, Step::ServerHello, d, "a hello offering everything at the same version was accepted, so the refusal depends on something else in this client's hello"),
        None => {
            walk.step(Step::ServerHello, StepStatus::Failed, format!("the server answered the ClientHello with {refusal}"));
            walk.diagnose(
                Code::HandshakeReset,
                Severity::Error,
                Step::ServerHello,
                "The connection was cut right after this client's hello, without an alert, although other hellos are accepted: a middlebox or the server dislikes something specific in it.",
                vec![format!("reply: {refusal}"), format!("accepted with a broad offer: {}", versions_text(&accepted))],
                vec!["Check for a firewall or IPS that filters TLS hellos (size, extensions), and the server's error log.".into()],
            );
        }
    }
}

fn refused_versions(obs: &Observations) -> Vec<ProtocolVersion> {
    let accepted = accepted_versions(obs);
    ProtocolVersion::ALL
        .iter()
        .copied()
        .filter(|v| obs.has(&Purpose::Version { version: *v }) && !accepted.contains(v))
        .collect()
}

fn server_alert(walk: &mut Walk<'_>, step: Step, description: u8, context: &str) {
    let (name, meaning) = alert_text(description);
    walk.step(
        step,
        StepStatus::Failed,
        format!("the server sent alert {name}"),
    );
    walk.diagnose(
        Code::ServerAlert,
        Severity::Error,
        step,
        format!("The server ended the handshake with the alert {name}: {meaning}"),
        vec![format!("fatal alert {name} ({description})"), context.to_string()],
        vec![
            "Server: its error log says why it sent this alert (nginx error_log at level info, Apache LogLevel ssl:info).".into(),
            format!(
                "Compare with `tlsdoctor scan {}` to see what the server accepts.",
                target_text(walk.obs)
            ),
        ],
    );
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

fn certificate_step(
    walk: &mut Walk<'_>,
    main: Option<&ProbeRecord>,
    handshake: Option<&ProbeRecord>,
) {
    let recorded = handshake.and_then(|p| p.handshake.as_ref());
    let chain = crate::issuers::served_chain(main, handshake);
    if chain.is_empty() {
        // The hello was answered, then the flight broke the rules (e.g. a
        // Certificate message of 40,000 entries): every client aborts here.
        let flight = main.and_then(|m| m.flight.as_ref());
        if let Some(FlightEnd::Malformed { message }) = flight.map(|f| &f.end) {
            walk.step(
                Step::Certificate,
                StepStatus::Failed,
                "the server's certificate message breaks TLS rules",
            );
            walk.diagnose(
                Code::ProtocolViolation,
                Severity::Error,
                Step::Certificate,
                "The server's Certificate message cannot be read by any TLS client; every client will abort.",
                vec![
                    format!("parser: {}", sanitize(message)),
                    format!("{} bytes received", flight.map_or(0, |f| f.bytes_received)),
                ],
                vec![
                    "Server: serve the leaf certificate followed by its intermediates only (a handful of certificates, not a bundle of every CA).".into(),
                    "Check that nothing on the path (load balancer, TLS offloader) rewrites the handshake.".into(),
                ],
            );
            return;
        }
        walk.step(
            Step::Certificate,
            StepStatus::NotTested,
            "the handshake stopped before the server's certificate could be read",
        );
        return;
    }
    let infos: Vec<CertInfo> = chain.iter().filter_map(|der| certs::parse(der)).collect();
    let Some(leaf) = infos.first().cloned() else {
        walk.step(
            Step::Certificate,
            StepStatus::Failed,
            "the server's certificate cannot be parsed",
        );
        walk.diagnose(
            Code::ProtocolViolation,
            Severity::Error,
            Step::Certificate,
            "The server sent a certificate that is not valid X.509 DER.",
            vec![format!("{} bytes", chain[0].len())],
            fixes::install_full_chain(),
        );
        return;
    };
    let name = walk
        .obs
        .target
        .as_ref()
        .map(|t| t.verify_name().to_string())
        .unwrap_or_default();
    let now = walk.ctx.now;
    let before = walk.diagnoses.len();
    let mut describe = format!(
        "{} issued by {}, valid until {}",
        leaf.common_name
            .clone()
            .unwrap_or_else(|| leaf.subject.clone()),
        leaf.issuer_common_name
            .clone()
            .unwrap_or_else(|| leaf.issuer.clone()),
        date(leaf.not_after)
    );

    // 1. Interception: the chain comes from an inspection product.
    if let Some((product, field)) = infos.iter().find_map(|c| {
        [
            c.issuer_organization.as_deref(),
            c.issuer_common_name.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(|f| interception::product_for(f).map(|p| (p, f.to_string())))
    }) {
        walk.diagnose(
            Code::Intercepted,
            Severity::Error,
            Step::Certificate,
            format!("The connection is intercepted: the certificate was issued by {product}'s inspection CA, not by the site's own CA. Something between this client and the server decrypts the traffic."),
            vec![format!("issuer: {field}"), format!("chain: {}", infos.iter().map(|c| c.subject.clone()).collect::<Vec<_>>().join(" ← "))],
            vec![
                format!("If {product} is your organisation's proxy: install its root CA into this client's trust store (browsers use the system store; Python/requests use certifi: set REQUESTS_CA_BUNDLE; Java: keytool -importcert into cacerts; Node: NODE_EXTRA_CA_CERTS)."),
                "Or ask the proxy's administrators to exempt this host from TLS inspection (certificate pinning and client certificates break under inspection).".into(),
                "If you did not expect a proxy: treat the network as hostile and do not send credentials over it.".into(),
            ],
        );
    }

    // 1b. Revocation, from the stapled OCSP response.
    let stapled = staple_for(walk.ctx, main, recorded, &chain);
    let staple = stapled.as_ref().and_then(|s| s.as_ref().ok());
    if let Some(staple) = staple {
        revoked(walk, staple);
    }

    // One judgement of the chain (leaf time, trust per store), shared with
    // scan, compare and listen (`chain::judge_chain`).
    let verdict = crate::chain::judge_chain(&chain, &walk.ctx.trust, now);

    // 2. Time: expired or not yet valid, and whose clock is wrong.
    let time_problem = verdict.leaf_time;
    if let Some(code) = time_problem {
        // The server's clock: its HTTP Date header, or else the times of the
        // OCSP response it staples (see `staple_clock`).
        let http_time = recorded
            .and_then(|h| h.http.as_ref())
            .and_then(|h| h.date.as_deref())
            .and_then(parse_http_date);
        let server_clock = match http_time {
            Some(t) => Some((t, "HTTP Date header".to_string())),
            None => staple.and_then(|s| staple_clock(s, now)),
        };
        let server_time = server_clock.as_ref().map(|(t, _)| *t);
        let valid_at_server =
            server_time.is_some_and(|t| leaf.not_before <= t && t <= leaf.not_after);
        let skew = server_time.map(|t| (now - t).whole_seconds());
        if valid_at_server && skew.is_some_and(|s| s.abs() > CLOCK_SKEW_SECONDS) {
            let (server_time, source) = server_clock.unwrap_or((now, String::new()));
            walk.diagnose(
                Code::ClientClockWrong,
                Severity::Error,
                Step::Certificate,
                format!(
                    "This client's clock is wrong: it says {}, the server says {}. The certificate is valid at the server's time, and only looks {} because of the local clock.",
                    date(now),
                    date(server_time),
                    if code == Code::CertExpired { "expired" } else { "not yet valid" }
                ),
                vec![
                    format!("local time{}: {}", if walk.ctx.now_overridden { " (--now)" } else { "" }, date(now)),
                    format!("server time ({source}): {}", date(server_time)),
                    format!("certificate valid {} to {}", date(leaf.not_before), date(leaf.not_after)),
                ],
                vec![
                    "Client: set the clock right and keep it synchronised: `timedatectl set-ntp true` (Linux), Settings → Time → Set automatically (Windows/macOS/Android).".into(),
                    "Devices without a battery-backed clock (Raspberry Pi, IoT) need NTP before any TLS connection.".into(),
                ],
            );
        } else if code == Code::CertExpired {
            let ago = days_between(leaf.not_after, now);
            walk.diagnose(
                Code::CertExpired,
                Severity::Error,
                Step::Certificate,
                format!("The server's certificate expired {ago} days ago; every client refuses it."),
                vec![
                    format!("notAfter {}, {ago} days ago", date(leaf.not_after)),
                    format!("subject {}", leaf.subject),
                    match (server_time, staple.and_then(|s| s.produced_at)) {
                        (Some(t), _) => format!("the server's clock agrees: {}", date(t)),
                        (None, Some(produced)) => format!("the server's stapled OCSP response was produced at {}", date(produced)),
                        (None, None) => "the server's clock could not be read".into(),
                    },
                ],
                {
                    let mut fix = vec!["Server: renew the certificate and reload the server (certbot: `certbot renew && systemctl reload nginx`).".to_string()];
                    fix.push("Automate renewal (certbot timer, Caddy's automatic HTTPS) and monitor expiry.".into());
                    fix
                },
            );
        } else {
            let until = days_between(now, leaf.not_before);
            walk.diagnose(
                Code::CertNotYetValid,
                Severity::Error,
                Step::Certificate,
                format!("The server's certificate only becomes valid in {until} days."),
                vec![format!("notBefore {}, in {until} days", date(leaf.not_before))],
                vec![
                    "Server: install a certificate that is valid now (was the new certificate deployed early, or issued with a wrong start date?).".into(),
                    "If the server's own clock is wrong, certificates it issues itself carry the wrong dates: fix its NTP.".into(),
                ],
            );
        }
    }

    // 3. Trust, by the one certificate judge (shared with scan, compare and
    //    listen --against): the leaf's dates are its own finding above.
    let results = verdict.results.clone();
    let trusted_by: Vec<Store> = verdict.trusted_by().to_vec();
    let weak_sig = infos
        .iter()
        .enumerate()
        .find(|(i, c)| c.weak_signature && !(c.self_issued && *i > 0));
    let intercepted = walk.diagnoses[before..]
        .iter()
        .any(|d| d.code == Code::Intercepted);

    if let Some((index, cert)) = weak_sig {
        walk.diagnose(
            Code::CertWeakSignature,
            Severity::Error,
            Step::Certificate,
            format!("The {} is signed with {}, which browsers and current TLS libraries refuse (SHA-1 collisions are practical since 2017).", if index == 0 { "server's certificate" } else { "chain" }, cert.signature_algorithm),
            vec![format!("certificate {}: {} signed with {}", index + 1, cert.subject, cert.signature_algorithm)],
            fixes::reissue_certificate("SHA-1 signature"),
        );
    } else if trusted_by.is_empty() && !intercepted {
        untrusted(walk, &infos, &chain, &results, &verdict);
    } else if trusted_by == [Store::System] && !intercepted {
        walk.diagnose(
            Code::Intercepted,
            Severity::Warning,
            Step::Certificate,
            "The chain is trusted only through a root installed on this machine that Mozilla's root store lacks: a corporate CA or a TLS-inspection proxy.",
            vec![format!("trusted by {} only", Store::System.describe())],
            vec!["If this is your organisation's CA, other clients (Python/certifi, Java, Node, containers) need the same root installed.".into()],
        );
    }

    // 4. Weak key.
    if leaf.key.is_weak() {
        walk.diagnose(
            Code::CertWeakKey,
            Severity::Error,
            Step::Certificate,
            format!("The certificate's key is too short ({}); browsers and current libraries refuse keys under 2048 bits.", leaf.key.describe()),
            vec![format!("public key: {}", leaf.key.describe())],
            fixes::reissue_certificate("key under 2048 bits: generate a new key, e.g. `openssl req -new -newkey rsa:2048` or an ECDSA P-256 key"),
        );
    }

    // 5. Host name.
    if !name.is_empty() && !certs::valid_for_name(&chain[0], &name) {
        let names = if leaf.sans.is_empty() {
            format!(
                "no subjectAltName; CN {}",
                leaf.common_name.clone().unwrap_or_default()
            )
        } else {
            leaf.sans.join(", ")
        };
        walk.diagnose(
            Code::CertHostnameMismatch,
            Severity::Error,
            Step::Certificate,
            format!("The certificate is not for {name}: it names {names}."),
            vec![format!("client asked for: {name}"), format!("certificate is for: {names}")],
            vec![
                format!("Server: install a certificate whose subjectAltName includes {name} (certbot: `-d {name}`), or serve the right one for this name (SNI / virtual host order)."),
                "Client: connect with a name the certificate covers; behind a CDN, the origin needs a certificate for the name the CDN sends.".into(),
            ],
        );
    }

    // 6. Chain order.
    if chain_misordered(&infos) {
        walk.diagnose(
            Code::CertChainOrder,
            Severity::Warning,
            Step::Certificate,
            "The server sends its certificate chain in the wrong order. Browsers cope; strict clients (older OpenSSL, Java, embedded devices) fail.",
            vec![format!("sent: {}", infos.iter().map(|c| c.common_name.clone().unwrap_or_else(|| c.subject.clone())).collect::<Vec<_>>().join(" → "))],
            fixes::install_full_chain(),
        );
    }

    // 7. A stale staple (unless this client's clock is the problem), and
    //    what the staple said, for the step's detail.
    let clock_wrong = walk.diagnoses[before..]
        .iter()
        .any(|d| d.code == Code::ClientClockWrong);
    if let Some(note) = staple_note(
        walk,
        stapled.as_ref(),
        clock_wrong,
        leaf.ocsp_urls.first().cloned(),
    ) {
        describe.push_str(&format!("; {note}"));
    }

    // 8. Expiry soon.
    let days_left = days_between(now, leaf.not_after);
    if time_problem.is_none() && days_left < EXPIRY_WARNING_DAYS {
        walk.diagnose(
            Code::CertExpiresSoon,
            Severity::Warning,
            Step::Certificate,
            format!(
                "The certificate expires in {days_left} day{}.",
                if days_left == 1 { "" } else { "s" }
            ),
            vec![format!("notAfter {}", date(leaf.not_after))],
            vec!["Server: renew now and automate renewal (certbot timer, Caddy).".into()],
        );
    }

    if !trusted_by.is_empty() {
        describe.push_str(&format!(
            "; trusted by {}",
            trusted_by
                .iter()
                .map(|s| s.describe())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let new = &walk.diagnoses[before..];
    let status = if new.iter().any(|d| d.severity == Severity::Error) {
        StepStatus::Failed
    } else if new.iter().any(|d| d.severity == Severity::Warning) {
        StepStatus::Warning
    } else {
        StepStatus::Ok
    };
    walk.step(Step::Certificate, status, describe);
}

/// The stapled OCSP response (the rustls handshake's, else the raw
/// flight's TLS 1.2 CertificateStatus) judged for the leaf. The issuer's
/// certificate, to check the signature with, comes from the chain the server
/// sent or from the local trust stores.
fn staple_for(
    ctx: &Context,
    main: Option<&ProbeRecord>,
    recorded: Option<&HandshakeObservation>,
    chain: &[Vec<u8>],
) -> Option<Result<Staple, OcspError>> {
    let der = recorded.and_then(|h| h.ocsp_staple.as_ref()).or_else(|| {
        main.and_then(|m| m.flight.as_ref())
            .and_then(|f| f.ocsp_staple.as_ref())
    })?;
    let leaf = chain.first()?;
    let leaf_info = certs::parse(leaf)?;
    let candidates = chain[1..]
        .iter()
        .chain(&ctx.trust.ca_file)
        .chain(&ctx.trust.system)
        .filter(|c| certs::parse(c).is_some_and(|i| certs::names_issuer(&leaf_info, &i)));
    // Several certificates may carry the issuer's name (a renewed or
    // cross-signed CA): prefer the one whose key verifies the staple.
    let mut first = None;
    for issuer in candidates {
        let checked = ocsp::check(&der.0, leaf, Some(issuer));
        if matches!(
            checked,
            Ok(Staple {
                signature: SignatureCheck::Verified { .. },
                ..
            })
        ) {
            return Some(checked);
        }
        first.get_or_insert(checked);
    }
    Some(first.unwrap_or_else(|| ocsp::check(&der.0, leaf, None)))
}

/// `cert_revoked`: the staple says the leaf is revoked (and its signature
/// is not known to be bad).
fn revoked(walk: &mut Walk<'_>, staple: &Staple) {
    let Some(single) = staple.single() else {
        return;
    };
    let CertStatus::Revoked { time, reason } = single.status else {
        return;
    };
    if staple.signature == SignatureCheck::Invalid {
        return;
    }
    let reason_text = reason
        .map(|r| r.to_string())
        .unwrap_or_else(|| "no reason given".into());
    let since = walk.ctx.now - time;
    let when = match (since.whole_days(), since.whole_hours()) {
        (days, _) if days >= 1 => format!("{days} days ago"),
        (_, hours) if hours >= 0 => format!("{hours} hours ago"),
        (days, _) if days <= -1 => format!("in {} days", -days),
        (_, hours) => format!("in {} hours", -hours),
    };
    let mut evidence = vec![
        format!("serial number {}", staple.serial_hex),
        format!("revoked at {} ({when}), reason: {reason_text}", date(time)),
    ];
    if let Some(produced) = staple.produced_at {
        evidence.push(format!(
            "OCSP response produced at {} (thisUpdate {}{})",
            date(produced),
            date(single.this_update),
            single
                .next_update
                .map(|n| format!(", nextUpdate {}", date(n)))
                .unwrap_or_default()
        ));
    }
    evidence.push(staple.signature.describe());
    let mut fix = vec![
        "Server: get a new certificate from the CA, install it with its full chain, reload the server, and remove the revoked certificate from every server, load balancer and CDN that still serves it.".to_string(),
        "Find out why it was revoked (the CA's notice, the reason above) before reissuing, or the new certificate may be revoked too.".into(),
    ];
    if reason == Some(RevocationReason::KEY_COMPROMISE) {
        fix.push("The reason is keyCompromise: generate a NEW private key for the new certificate and never reuse the old one (certbot: `certbot certonly --force-renewal -d NAME` without --reuse-key; openssl: `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 ...`), and rotate whatever else that key protected.".into());
    } else {
        fix.push("If the key may have leaked, generate a new private key for the new certificate (certbot does unless --reuse-key is set).".into());
    }
    walk.diagnose(
        Code::CertRevoked,
        Severity::Error,
        Step::Certificate,
        format!(
            "The server's certificate has been revoked by its CA (reason: {}), as the server's own stapled OCSP response says; clients that check revocation refuse it.",
            reason.map(|r| r.name()).unwrap_or("none given")
        ),
        evidence,
        fix,
    );
}

/// The server's clock as its OCSP staple shows it. No responder signs a
/// response in the future, and servers staple only responses that are
/// current by their own clock (nginx, Apache and Caddy drop expired ones):
/// so when the local clock is outside the staple's thisUpdate..nextUpdate
/// window, producedAt is the better estimate of the time. Returns the time
/// and a description of the source.
fn staple_clock(staple: &Staple, now: OffsetDateTime) -> Option<(OffsetDateTime, String)> {
    if staple.signature == SignatureCheck::Invalid {
        return None;
    }
    let single = staple.single()?;
    let produced = staple.produced_at?;
    let skew = time::Duration::seconds(CLOCK_SKEW_SECONDS);
    let early = now < single.this_update.min(produced) - skew;
    let late = single.next_update.is_some_and(|next| now > next + skew);
    (early || late).then(|| {
        let window = match single.next_update {
            Some(next) => format!("{} to {}", date(single.this_update), date(next)),
            None => format!("from {}", date(single.this_update)),
        };
        (
            produced,
            format!("OCSP staple producedAt; the staple is valid {window}"),
        )
    })
}

/// What the staple said, for the certificate step's detail; warns about a
/// stale staple unless this client's clock is what makes it look stale.
fn staple_note(
    walk: &mut Walk<'_>,
    stapled: Option<&Result<Staple, OcspError>>,
    clock_wrong: bool,
    ocsp_url: Option<String>,
) -> Option<String> {
    let staple = match stapled? {
        Err(e) => {
            return Some(format!(
                "OCSP staple unreadable ({})",
                sanitize(&e.to_string())
            ))
        }
        Ok(staple) => staple,
    };
    if staple.status != ResponseStatus::Successful {
        return Some(format!(
            "OCSP staple: the responder answered {}",
            staple.status.as_str()
        ));
    }
    let single = match &staple.answer {
        None => return Some("OCSP staple holds no response of a known type".into()),
        Some(Match::OtherCertificate) => {
            return Some(format!(
                "OCSP staple is about another certificate, not serial {}",
                staple.serial_hex
            ))
        }
        Some(Match::Leaf(single)) => single,
    };
    if staple.signature == SignatureCheck::Invalid {
        return Some(
            "OCSP staple ignored: its signature does not verify against the issuer".into(),
        );
    }
    let checked = match &staple.signature {
        SignatureCheck::Verified { .. } => "signature verified",
        _ => "signature not checked",
    };
    if matches!(single.status, CertStatus::Revoked { .. }) {
        return Some(format!("OCSP staple: revoked ({checked})"));
    }
    let now = walk.ctx.now;
    if !clock_wrong && staple.is_stale(now) {
        let next = single.next_update.unwrap_or(now);
        let ago = days_between(next, now);
        walk.diagnose(
            Code::OcspStapleStale,
            Severity::Warning,
            Step::Certificate,
            format!("The server staples an OCSP response that expired {ago} days ago: clients that check staples ignore it (and fall back to slower online checks), and a certificate with OCSP Must-Staple fails."),
            vec![
                format!("nextUpdate {}, {ago} days ago", date(next)),
                format!("thisUpdate {}", date(single.this_update)),
                format!("status in the stale response: {}", single.status.as_str()),
                staple.signature.describe(),
            ],
            fixes::refresh_ocsp_staple(ocsp_url.as_deref()),
        );
    }
    let window = format!(
        "thisUpdate {}{}",
        date(single.this_update),
        single
            .next_update
            .map(|n| format!(", nextUpdate {}", date(n)))
            .unwrap_or_default()
    );
    Some(format!(
        "OCSP staple: {} ({window}; {checked})",
        single.status.as_str()
    ))
}

/// The chain verifies nowhere: say why, from the judge's verdict (after
/// the issuers fetched from AIA caIssuers, which prove it either way).
fn untrusted(
    walk: &mut Walk<'_>,
    infos: &[CertInfo],
    chain: &[Vec<u8>],
    results: &[(Store, PathResult)],
    verdict: &crate::chain::ChainVerdict,
) {
    use crate::chain::{MissingFrom, Trust};
    let leaf = &infos[0];
    let evidence_stores: Vec<String> = results
        .iter()
        .filter(|(s, _)| *s != Store::CaFile || !walk.ctx.trust.ca_file.is_empty())
        .map(|(s, r)| format!("{}: {}", s.describe(), r.describe()))
        .collect();
    let evidence_stores = match fetched_issuer_explains(walk, infos, chain, &evidence_stores) {
        Explained::Yes => return,
        Explained::No { evidence } => [evidence, evidence_stores].concat(),
    };
    let evidence = [verdict.evidence.clone(), evidence_stores].concat();
    match &verdict.trust {
        Trust::Trusted(_) => {}
        Trust::SelfSigned => walk.diagnose(
            Code::CertSelfSigned,
            Severity::Error,
            Step::Certificate,
            "The server's certificate is self-signed: it vouches for itself, so no client trusts it unless told to.",
            evidence,
            [
                fixes::reissue_certificate("self-signed"),
                vec![if walk.ctx.trust.ca_file.is_empty() {
                    "Client (private services only): trust this certificate explicitly (tlsdoctor --ca-file FILE, curl --cacert FILE), never by disabling verification.".into()
                } else {
                    "Client: the file given with --ca-file does not hold this certificate; give the server's own certificate (`openssl s_client -connect HOST:PORT -showcerts`) if it is meant to be trusted as it is.".into()
                }],
            ]
            .concat(),
        ),
        Trust::UntrustedRoot { root } => walk.diagnose(
            Code::CertUntrustedRoot,
            Severity::Error,
            Step::Certificate,
            format!("The chain ends in a root CA that no trust store here knows: {root}."),
            evidence,
            [
                fixes::reissue_certificate("issued by a private or unknown CA"),
                untrusted_root_client_fix(walk.ctx),
            ]
            .concat(),
        ),
        Trust::Incomplete { issuer, known_from } => {
            let (summary, extra): (String, Vec<String>) = match known_from {
                MissingFrom::Aia { urls } => (
                    format!("The server does not send the intermediate certificate that links its certificate to a trusted root: the issuer \"{issuer}\" is missing."),
                    vec![
                        format!("The missing intermediate can be downloaded from {} (convert DER to PEM with `openssl x509 -inform der`).", urls[0]),
                        "Browsers may still work (they fetch or cache intermediates); curl, Python, Java, Go and Android fail — which is why it can \"work on my machine\".".into(),
                    ],
                ),
                MissingFrom::PublicList { subject, .. } => (
                    format!("The server does not send its intermediate certificate \"{subject}\", a publicly trusted intermediate. Browsers that preload or fetch intermediates work; curl, Python, Java, Go and Android fail."),
                    vec![format!(
                        "The missing intermediate is published by its CA (and is in {}, as of {}); append it after the leaf.",
                        crate::intermediates::LIST_NAME,
                        crate::intermediates::LIST_DATE
                    )],
                ),
                MissingFrom::NotAGivenRoot => (
                    format!("The server sends its certificate without the intermediate that links it to the given root: its issuer \"{issuer}\" is none of the --ca-file roots, so an intermediate between them is missing."),
                    vec![
                        "Client (only if the server cannot be changed): add the intermediate to the --ca-file bundle (`cat root.pem intermediate.pem > ca.pem`).".into(),
                        "If the issuer is itself a root, the --ca-file given is the wrong root for this server: give the root that issued it.".into(),
                    ],
                ),
            };
            walk.diagnose(
                Code::CertChainIncomplete,
                Severity::Error,
                Step::Certificate,
                summary,
                evidence,
                [fixes::install_full_chain(), extra].concat(),
            );
        }
        Trust::UnknownIssuer { issuer } => walk.diagnose(
            // Neither sent nor published nor known: most often a private CA
            // whose root this client lacks; possibly a missing intermediate.
            Code::CertUntrustedRoot,
            Severity::Error,
            Step::Certificate,
            format!("The certificate was issued by \"{issuer}\", which is neither sent by the server nor trusted here: a private CA whose root this client does not have (or a missing intermediate)."),
            evidence,
            [
                untrusted_root_client_fix(walk.ctx),
                fixes::install_full_chain(),
                fixes::reissue_certificate("issued by a CA clients do not trust"),
            ]
            .concat(),
        ),
        Trust::Unverified(_) => {
            let code = verdict.trust_code().unwrap_or(Code::CertUntrustedRoot);
            // One cause once: the leaf's own dates were reported above.
            if verdict.leaf_time == Some(code) {
                return;
            }
            walk.diagnose(
                code,
                Severity::Error,
                Step::Certificate,
                match code {
                    Code::CertExpired => format!("A CA certificate in the chain has expired, so the chain of \"{}\" does not verify.", leaf.subject),
                    Code::CertNotYetValid => format!("A CA certificate in the chain is not valid yet, so the chain of \"{}\" does not verify.", leaf.subject),
                    _ => "The certificate chain does not verify against any trust store here.".to_string(),
                },
                evidence,
                match code {
                    Code::CertExpired | Code::CertNotYetValid => fixes::install_full_chain(),
                    _ => fixes::reissue_certificate("chain does not verify"),
                },
            );
        }
    }
}

/// The client's side of an untrusted private root: trust it — unless the
/// user already gave roots with --ca-file, which then lack this one.
fn untrusted_root_client_fix(ctx: &Context) -> Vec<String> {
    if ctx.trust.ca_file.is_empty() {
        fixes::trust_private_root()
    } else {
        vec!["Client: the roots given with --ca-file do not include this chain's root; give the CA certificate that issued this chain (ask its operator, or take it from `openssl s_client -connect HOST:PORT -showcerts`).".into()]
    }
}

/// Whether the fetched issuers settled the question.
enum Explained {
    Yes,
    /// No: here is what the fetches showed, for the heuristics' evidence.
    No {
        evidence: Vec<String>,
    },
}

/// Judges with the issuers fetched from caIssuers URLs, when there are any:
/// with them the chain verifies (a missing intermediate, proven), or they end
/// in a root nobody here trusts.
fn fetched_issuer_explains(
    walk: &mut Walk<'_>,
    infos: &[CertInfo],
    chain: &[Vec<u8>],
    evidence_stores: &[String],
) -> Explained {
    let (found, failed) = crate::issuers::fetched(walk.obs);
    let mut evidence: Vec<String> = failed
        .iter()
        .map(|f| format!("could not fetch the issuer: {f}"))
        .collect();
    if found.is_empty() {
        return Explained::No { evidence };
    }
    let mut extended = chain.to_vec();
    extended.extend(found.iter().map(|f| f.der.clone()));
    let trusted: Vec<Store> = crate::chain::judge_chain(&extended, &walk.ctx.trust, walk.ctx.now)
        .trusted_by()
        .to_vec();
    for f in &found {
        let name = certs::parse(&f.der).map(|c| c.subject).unwrap_or_default();
        evidence.push(format!("fetched {name} from {}", f.url));
    }
    if !trusted.is_empty() {
        let missing: Vec<String> = found
            .iter()
            .filter_map(|f| certs::parse(&f.der))
            .filter(|c| !c.self_issued)
            .map(|c| c.subject)
            .collect();
        evidence.push(format!(
            "with {} added, the chain is trusted by {}",
            if missing.len() == 1 { "it" } else { "them" },
            trusted
                .iter()
                .map(|s| s.describe())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        evidence.push(format!("certificates sent by the server: {}", infos.len()));
        walk.diagnose(
            Code::CertChainIncomplete,
            Severity::Error,
            Step::Certificate,
            format!(
                "The server does not send its intermediate certificate ({}). Browsers fetch it and work; curl, Python, Java, Go and Android fail.",
                missing.join("; ")
            ),
            evidence,
            [
                fixes::install_full_chain(),
                vec![format!(
                    "The missing certificate is at {} (DER; `openssl x509 -inform der -in FILE` converts it to PEM).",
                    found[0].url
                )],
            ]
            .concat(),
        );
        return Explained::Yes;
    }
    let last = found.last().and_then(|f| certs::parse(&f.der));
    if let Some(root) = last.filter(|c| c.self_issued) {
        evidence.extend(evidence_stores.iter().cloned());
        walk.diagnose(
            Code::CertUntrustedRoot,
            Severity::Error,
            Step::Certificate,
            format!(
                "The chain leads to the root \"{}\", which no trust store here has: a private CA, or a public one this client does not trust.",
                root.subject
            ),
            evidence,
            [
                untrusted_root_client_fix(walk.ctx),
                fixes::reissue_certificate("issued by a CA clients do not trust"),
            ]
            .concat(),
        );
        return Explained::Yes;
    }
    Explained::No { evidence }
}

/// True when each certificate is not followed by its issuer although the
/// issuer is somewhere in the chain (RFC 8446 §4.4.2 and RFC 5246 §7.4.2
/// require leaf first, each next one certifying the previous).
fn chain_misordered(infos: &[CertInfo]) -> bool {
    infos.windows(2).enumerate().any(|(i, pair)| {
        let (cert, next) = (&pair[0], &pair[1]);
        !certs::names_issuer(cert, next)
            && !cert.self_issued
            && infos[i + 1..].iter().any(|c| certs::names_issuer(cert, c))
    }) || infos
        .iter()
        .skip(1)
        .any(|c| certs::names_issuer(c, &infos[0]) && !c.self_issued)
}

fn client_certificate_step(
    walk: &mut Walk<'_>,
    main: Option<&ProbeRecord>,
    handshake: Option<&ProbeRecord>,
) {
    let recorded = handshake.and_then(|p| p.handshake.as_ref());
    let request = recorded
        .and_then(|h| h.client_cert_request.clone())
        .or_else(|| {
            main.and_then(|m| m.flight.as_ref())
                .and_then(|f| f.certificate_request.clone())
        });
    let Some(request) = request else {
        walk.step(
            Step::ClientCertificate,
            StepStatus::Skipped,
            "the server did not ask for a client certificate",
        );
        return;
    };
    let names: Vec<String> = request
        .ca_names
        .iter()
        .filter_map(|dn| dn_text(dn))
        .collect();
    let accepted = if names.is_empty() {
        "any CA".to_string()
    } else {
        names.join("; ")
    };
    let Some(recorded) = recorded else {
        walk.step(
            Step::ClientCertificate,
            StepStatus::NotTested,
            format!("the server asks for a client certificate (accepted CAs: {accepted}); no handshake of this client went past it, so whether it requires one is not known"),
        );
        return;
    };
    let sent = recorded.client_cert_sent;
    let failure = if recorded.completed {
        None
    } else {
        recorded.error.clone()
    };
    match failure {
        None => walk.step(
            Step::ClientCertificate,
            StepStatus::Ok,
            if sent {
                format!("the server asked for a client certificate (accepted CAs: {accepted}); one was sent and the handshake completed")
            } else {
                format!("the server asked for a client certificate (accepted CAs: {accepted}) but went on without one")
            },
        ),
        Some(error) => {
            let reason = match &error {
                HandshakeError::AlertReceived { description } => format!("alert {}", alert_text(*description).0),
                other => format!("{other:?}"),
            };
            if sent {
                walk.step(Step::ClientCertificate, StepStatus::Failed, format!("the server rejected the client certificate ({reason})"));
                walk.diagnose(
                    Code::ClientCertRejected,
                    Severity::Error,
                    Step::ClientCertificate,
                    "The server asked for a client certificate, got one, and rejected it.",
                    vec![format!("server's answer: {reason}"), format!("CAs the server accepts: {accepted}")],
                    vec![
                        format!("Client: use a certificate issued by one of: {accepted}; check that it is not expired and that the key matches."),
                        "Server: check that the client CA file (nginx ssl_client_certificate, Apache SSLCACertificateFile) holds the CA that issued the client's certificate.".into(),
                    ],
                );
            } else {
                walk.step(Step::ClientCertificate, StepStatus::Failed, format!("the server requires a client certificate and none was sent ({reason})"));
                walk.diagnose(
                    Code::ClientCertRequired,
                    Severity::Error,
                    Step::ClientCertificate,
                    "The server requires a client certificate (mutual TLS), and the client sent none.",
                    vec![format!("server's answer: {reason}"), format!("CAs the server accepts: {accepted}")],
                    [
                        fixes::present_client_certificate(&target_text(walk.obs), &accepted),
                        vec!["Server: if client certificates should be optional, use `ssl_verify_client optional;` (nginx) or `SSLVerifyClient optional` (Apache).".into()],
                    ]
                    .concat(),
                );
            }
        }
    }
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

fn finished_step(walk: &mut Walk<'_>, handshake: Option<&ProbeRecord>) {
    let Some(record) = handshake.and_then(|p| p.handshake.as_ref()) else {
        walk.step(
            Step::Finished,
            StepStatus::NotTested,
            "no full handshake was attempted",
        );
        return;
    };
    if record.completed {
        walk.step(
            Step::Finished,
            StepStatus::Ok,
            format!(
                "handshake complete: {}, {}",
                record.version.map(|v| v.display_name()).unwrap_or_default(),
                record
                    .cipher_suite
                    .map(|s| s.name().to_string())
                    .unwrap_or_default(),
            ),
        );
        return;
    }
    match record.error.clone() {
        Some(HandshakeError::AlertReceived { description }) => {
            server_alert(
                walk,
                Step::Finished,
                description,
                "after the server's hello and certificate",
            );
        }
        Some(HandshakeError::Timeout { after_ms }) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                format!("the handshake stalled after the server's hello ({after_ms} ms)"),
            );
            walk.diagnose(
                Code::HandshakeTimeout,
                Severity::Error,
                Step::Finished,
                "The server stopped answering in the middle of the handshake.",
                vec![format!("no progress within {after_ms} ms")],
                vec!["Server: check its load and error log; check for a middlebox that drops large packets (MTU).".into()],
            );
        }
        Some(HandshakeError::Protocol { message }) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                format!("the server broke the protocol: {}", sanitize(&message)),
            );
            walk.diagnose(
                Code::ProtocolViolation,
                Severity::Error,
                Step::Finished,
                "The server sent a message that breaks the TLS protocol.",
                vec![sanitize(&message)],
                vec!["Server: update the TLS library or the device terminating TLS.".into()],
            );
        }
        Some(HandshakeError::NotTls) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                "the server stopped speaking TLS",
            );
        }
        Some(other) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                format!("the connection was cut during the handshake ({other:?})"),
            );
            walk.diagnose(
                Code::HandshakeReset,
                Severity::Error,
                Step::Finished,
                "The connection was closed in the middle of the handshake without a TLS alert.",
                vec![format!("{other:?}")],
                vec!["Server: check its error log; check for a firewall or IPS that cuts TLS sessions.".into()],
            );
        }
        None => walk.step(
            Step::Finished,
            StepStatus::NotTested,
            "the handshake did not finish",
        ),
    }
}

/// What the client will hit after fixing the failure: the handshake went on
/// (our verifier records instead of aborting), so later steps were seen.
/// `handshake` is the connection that carried the client's handshake.
fn next_hurdles(walk: &mut Walk<'_>, main: Option<&ProbeRecord>, handshake: Option<&ProbeRecord>) {
    let failed_at = walk
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .map(|s| s.step);
    if failed_at != Some(Step::Certificate) {
        return;
    }
    let recorded = handshake.and_then(|p| p.handshake.as_ref());
    let requested = recorded
        .and_then(|h| h.client_cert_request.clone())
        .or_else(|| {
            main.and_then(|m| m.flight.as_ref())
                .and_then(|f| f.certificate_request.clone())
        });
    let Some(request) = requested else { return };
    // Only a handshake of the client that ended after the request says the
    // server requires a certificate (none that went on, none not run).
    if recorded.is_none_or(|h| h.completed || h.client_cert_sent) {
        return;
    }
    let names: Vec<String> = request
        .ca_names
        .iter()
        .filter_map(|dn| dn_text(dn))
        .collect();
    walk.diagnose(
        Code::ClientCertRequired,
        Severity::Info,
        Step::ClientCertificate,
        "Next, once the certificate is fixed: the server also requires a client certificate, and none was sent.",
        vec![format!(
            "CAs the server accepts: {}",
            if names.is_empty() { "any".to_string() } else { names.join("; ") }
        )],
        fixes::present_client_certificate(
            &target_text(walk.obs),
            if names.is_empty() { "a CA the server accepts".to_string() } else { names.join("; ") }.as_str(),
        ),
    );
}

/// TLS 1.0/1.1 still enabled: a warning on an otherwise healthy server.
fn protocol_warnings(walk: &mut Walk<'_>) {
    let legacy: Vec<ProtocolVersion> = accepted_versions(walk.obs)
        .into_iter()
        .filter(|v| *v < ProtocolVersion::TLS1_2)
        .collect();
    if legacy.is_empty()
        || walk
            .diagnoses
            .iter()
            .any(|d| d.code == Code::ProtocolMismatch)
    {
        return;
    }
    walk.diagnose(
        Code::LegacyProtocolsEnabled,
        Severity::Warning,
        Step::ServerHello,
        format!("The server still accepts {}, deprecated since 2021 (RFC 8996) and refused by current browsers.", versions_text(&legacy)),
        vec![format!("accepted: {}", versions_text(&legacy))],
        fixes::enable_modern_protocols(),
    );
}
