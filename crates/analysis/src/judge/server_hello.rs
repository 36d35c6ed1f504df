//! The `server_hello` step: what the server chose from the client's hello, or
//! why it refused (version, suite, group, SNI, key type, not TLS).

use super::*;

/// The client offered; did the server pick?
pub(super) fn server_hello_step(walk: &mut Walk<'_>, main: Option<&ProbeRecord>) {
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

pub(super) fn weak_dh_warning(walk: &mut Walk<'_>, bits: Option<u32>) {
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

pub(super) fn not_tls(walk: &mut Walk<'_>, flight: &ServerFlight) {
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

pub(super) fn sni_required(walk: &mut Walk<'_>, sni: Option<&str>) {
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
pub(super) fn key_type_mismatch(
    obs: &Observations,
    client: &crate::ClientProfile,
) -> Option<Vec<String>> {
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

/// The client's hello was refused: explain with what the server does accept.
pub(super) fn negotiation_failure(walk: &mut Walk<'_>, flight: &ServerFlight, alert: Option<u8>) {
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

pub(super) fn server_alert(walk: &mut Walk<'_>, step: Step, description: u8, context: &str) {
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
