//! The `certificate` step: the chain the server sent, judged by the one
//! certificate judge (`crate::chain`), the name, the dates, the key, and the
//! stapled OCSP response.

use super::*;

pub(super) fn certificate_step(
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
    // 1c. Revocation, from the CA itself (OCSP responder, CRL) when the
    //     server staples nothing about the leaf.
    let online = crate::revocation::checked(walk.obs, walk.ctx, &chain);
    if let Some(checked) = &online {
        revoked_online(walk, checked);
    }
    // 1d. OCSP Must-Staple (RFC 7633) without a staple.
    if leaf.must_staple && stapled.is_none() {
        walk.diagnose(
            Code::MustStapleMissing,
            Severity::Warning,
            Step::Certificate,
            "The certificate requires an OCSP staple (OCSP Must-Staple, RFC 7633) and the server sends none: Firefox refuses the connection (MOZILLA_PKIX_ERROR_REQUIRED_TLS_FEATURE_MISSING), other clients ignore the requirement.",
            vec!["the certificate's TLS Feature extension lists status_request".into(), "no OCSP response was stapled".into()],
            fixes::enable_ocsp_stapling(),
        );
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

    // What the CA said online, for the step's detail.
    if let Some(checked) = &online {
        describe.push_str(&format!("; {}", online_note(checked)));
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
pub(super) fn staple_for(
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
pub(super) fn revoked(walk: &mut Walk<'_>, staple: &Staple) {
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

/// `cert_revoked` from the CA's own answer (OCSP responder or CRL), unless
/// the staple already said so.
fn revoked_online(walk: &mut Walk<'_>, checked: &crate::revocation::Checked) {
    let crate::revocation::Answer::Revoked { time, reason } = &checked.answer else {
        return;
    };
    if walk.diagnoses.iter().any(|d| d.code == Code::CertRevoked) {
        return;
    }
    let reason_text = reason
        .map(|r| r.to_string())
        .unwrap_or_else(|| "no reason given".into());
    let mut evidence = checked.evidence.clone();
    evidence.push(format!("revoked at {}, reason: {reason_text}", date(*time)));
    evidence.push(format!("asked: {}", checked.source));
    let fix = vec![
        "Server: get a new certificate from the CA (with a new private key if the old one may have leaked), install it with its full chain, reload, and remove the revoked certificate from every server, load balancer and CDN that still serves it.".to_string(),
        "Find out why it was revoked (the CA's notice, the reason above) before reissuing.".into(),
        "Server: enable OCSP stapling, so clients learn a certificate's status from the server (nginx `ssl_stapling on;`, Apache `SSLUseStapling On`).".into(),
    ];
    walk.diagnose(
        Code::CertRevoked,
        Severity::Error,
        Step::Certificate,
        format!(
            "The server's certificate has been revoked by its CA (reason: {}), as {} says; clients that check revocation refuse it.",
            reason.map(|r| r.name()).unwrap_or("none given"),
            checked.source
        ),
        evidence,
        fix,
    );
}

/// The online answer in a few words, for the step's detail.
fn online_note(checked: &crate::revocation::Checked) -> String {
    match &checked.answer {
        crate::revocation::Answer::Good => format!("not revoked, says {}", checked.source),
        crate::revocation::Answer::Revoked { .. } => format!("revoked, says {}", checked.source),
        crate::revocation::Answer::Unknown(why) => {
            format!("revocation unknown: {} ({why})", checked.source)
        }
    }
}

/// The server's clock as its OCSP staple shows it. No responder signs a
/// response in the future, and servers staple only responses that are
/// current by their own clock (nginx, Apache and Caddy drop expired ones):
/// so when the local clock is outside the staple's thisUpdate..nextUpdate
/// window, producedAt is the better estimate of the time. Returns the time
/// and a description of the source.
pub(super) fn staple_clock(
    staple: &Staple,
    now: OffsetDateTime,
) -> Option<(OffsetDateTime, String)> {
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
pub(super) fn staple_note(
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
pub(super) fn untrusted(
    walk: &mut Walk<'_>,
    infos: &[CertInfo],
    chain: &[Vec<u8>],
    results: &[(Store, PathResult)],
    verdict: &crate::chain::ChainVerdict,
) {
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
    let before = walk.diagnoses.len();
    untrusted_by(walk, leaf, evidence, verdict);
    through_proxy(walk, before);
}

/// A certificate nobody trusts, seen through a proxy: most often the
/// proxy's own (TLS inspection), which a direct connection tells apart.
fn through_proxy(walk: &mut Walk<'_>, before: usize) {
    let Some(target) = walk.obs.target.as_ref() else {
        return;
    };
    let Some(proxy) = target.transport.proxy.as_ref() else {
        return;
    };
    let direct = target.display();
    for d in walk.diagnoses[before..]
        .iter_mut()
        .filter(|d| matches!(d.code, Code::CertSelfSigned | Code::CertUntrustedRoot))
    {
        d.evidence.push(format!(
            "the connection went through the proxy {}",
            proxy.display()
        ));
        let fix = format!("Client: a TLS-inspecting proxy presents certificates from its own CA: compare with a direct connection (`tlsdoctor diagnose {direct}`, without --proxy); if the proxy is your organisation's, trust its root CA (--ca-file, the system store).");
        // An inspecting proxy signs with its own CA (an unknown root), it
        // does not self-sign: first for the one, last for the other.
        if d.code == Code::CertUntrustedRoot {
            d.fix.insert(0, fix);
        } else {
            d.fix.push(fix);
        }
    }
}

fn untrusted_by(
    walk: &mut Walk<'_>,
    leaf: &CertInfo,
    evidence: Vec<String>,
    verdict: &crate::chain::ChainVerdict,
) {
    use crate::chain::{MissingFrom, Trust};
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
pub(super) fn untrusted_root_client_fix(ctx: &Context) -> Vec<String> {
    if ctx.trust.ca_file.is_empty() {
        fixes::trust_private_root()
    } else {
        vec!["Client: the roots given with --ca-file do not include this chain's root; give the CA certificate that issued this chain (ask its operator, or take it from `openssl s_client -connect HOST:PORT -showcerts`).".into()]
    }
}

/// Whether the fetched issuers settled the question.
pub(super) enum Explained {
    Yes,
    /// No: here is what the fetches showed, for the heuristics' evidence.
    No {
        evidence: Vec<String>,
    },
}

/// Judges with the issuers fetched from caIssuers URLs, when there are any:
/// with them the chain verifies (a missing intermediate, proven), or they end
/// in a root nobody here trusts.
pub(super) fn fetched_issuer_explains(
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
pub(super) fn chain_misordered(infos: &[CertInfo]) -> bool {
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
