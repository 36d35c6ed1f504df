//! Observations of a scan → [`ScanReport`]. Pure: the same observations give
//! the same report.

use model::{
    Bytes, CertificateReport, ChainReport, DhReport, Features, FlightEnd, Observations, ProbeKind,
    ProbeRecord, ProtocolReport, Protocols, Purpose, ScanReport, ServerFlight,
    ServerHelloObservation, TargetReport, TrustReport,
};
use wire::registry::{AlertDescription, ExtensionType, KeyExchange, ProtocolVersion};

use super::{
    best_legacy_version, dhe_key_exchange, fallback_version, group_chain, group_server_order,
    groups_complete, known_groups, known_signatures, recovered_order, server_order,
    signature_chain, signatures_complete, signatures_in_client_order, suite_scan, support,
    ScanContext, TLS_VERSIONS,
};
use crate::certs::{self, PathResult, Store};
use crate::offers;
use crate::platform_roots::Platform;

const EXT_STATUS_REQUEST: u16 = 5;
const EXT_HEARTBEAT: u16 = 15;
const EXT_ENCRYPT_THEN_MAC: u16 = 22;
const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
const EXT_SESSION_TICKET: u16 = 35;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;
/// RFC 7507 `inappropriate_fallback`.
const ALERT_INAPPROPRIATE_FALLBACK: u8 = 86;

/// Judges a scan's observations.
pub fn report(obs: &Observations, ctx: &ScanContext) -> ScanReport {
    let mut incomplete = Vec::new();
    let target = match &obs.target {
        Some(t) => TargetReport {
            host: t.host.clone(),
            port: t.port,
            ip: obs.probes.iter().find_map(|p| p.ip),
            sni: t.sni.clone(),
            transport: t.transport.describe(),
        },
        None => TargetReport {
            host: String::new(),
            port: 0,
            ip: None,
            sni: None,
            transport: None,
        },
    };
    if let Some(dns) = &obs.dns {
        if let Some(error) = &dns.error {
            incomplete.push(format!(
                "name resolution failed: {}",
                crate::text::sanitize(error)
            ));
        }
    }
    if !obs.probes.is_empty() && !obs.probes.iter().any(|p| p.tcp.is_connected()) {
        let why = obs
            .probes
            .first()
            .map(|p| crate::failure::tcp_text(&p.tcp))
            .unwrap_or_default();
        incomplete.push(format!("no connection to the server succeeded ({why})"));
    }

    let mut protocols = Protocols::default();
    fill_ssl2(obs, &mut protocols.ssl2);
    let best12 = best_legacy_version(obs);
    for version in TLS_VERSIONS {
        let name = version.name().unwrap_or("unknown");
        let Some(slot) = protocols.get_mut(name) else {
            continue;
        };
        fill_protocol(obs, version, best12, slot, &mut incomplete);
    }
    if protocols.tls1_3.is_supported() && !protocols.tls1_2.is_supported() {
        incomplete.push(
            "signature algorithms are measured at TLS 1.2 only (TLS 1.3 encrypts the server's signature)"
                .into(),
        );
    }
    let signatures = signature_chain(obs);
    if signatures.anomaly {
        incomplete.push("the server chose a signature scheme it had already been refused; the signature list may be incomplete".into());
    }
    let signatures_interrupted = signatures.interrupted.clone().or_else(|| {
        // Planned at TLS 1.2 only; started but not over means the scan
        // stopped before it could finish.
        (signatures.rounds > 0 && !signatures_complete(obs))
            .then(|| "the enumeration did not finish".to_string())
    });
    if let Some(why) = &signatures_interrupted {
        incomplete.push(format!(
            "signature algorithms: the enumeration was interrupted ({why}); more may be accepted"
        ));
    }

    let mut report = ScanReport {
        schema_version: model::SCHEMA_VERSION,
        target,
        protocols,
        signature_algorithms: signature_list(obs).iter().map(|s| s.name()).collect(),
        signature_algorithms_interrupted: signatures_interrupted,
        dh: dh_report(obs),
        certificates: chains(obs, ctx),
        features: features(obs, best12),
        connections: obs.connections(),
        elapsed_ms: 0,
        incomplete,
        unknown: Vec::new(),
        client_certificate: client_certificate(obs, ctx),
        vulnerabilities: Default::default(),
        grade: None,
        grade_provisional: false,
        grade_caps: Vec::new(),
        score: None,
        clients: Vec::new(),
        caa: None,
    };
    let leaf = report
        .certificates
        .first()
        .and_then(|c| c.certificates.first());
    report.caa = super::caa::report(
        obs,
        leaf.map(|l| l.issuer.as_str()),
        leaf.is_some_and(|l| l.sans.iter().any(|s| s.starts_with("*."))),
    );
    // Known vulnerabilities (crate::vulns) are judged from the report itself.
    report.vulnerabilities = crate::vulns::assess(obs, &report);
    report.unknown = unknown_facts(&report);
    report
}

/// The JSON paths of every fact the report could not establish.
pub fn unknown_facts(report: &ScanReport) -> Vec<String> {
    let mut out = Vec::new();
    for (name, p) in report.protocols.iter() {
        if p.is_unknown() {
            out.push(format!("protocols.{name}.supported"));
        }
        if p.cipher_suites_interrupted.is_some() {
            out.push(format!("protocols.{name}.cipher_suites"));
        }
        if p.groups_interrupted.is_some() {
            out.push(format!("protocols.{name}.groups"));
        }
    }
    if report.signature_algorithms_interrupted.is_some() {
        out.push("signature_algorithms".into());
    }
    for (name, check) in report.vulnerabilities.iter() {
        if check.status == model::VulnStatus::NotTested {
            out.push(format!("vulnerabilities.{name}"));
        }
    }
    out
}

/// The server's CertificateRequest, from the first flight of any hello or
/// from the real handshake, and whether a handshake without a certificate
/// got through.
fn client_certificate(
    obs: &Observations,
    ctx: &ScanContext,
) -> Option<model::ClientCertificateReport> {
    let mut request = None;
    let mut seen_at = None;
    for p in &obs.probes {
        let found = p
            .handshake
            .as_ref()
            .and_then(|h| h.client_cert_request.as_ref().map(|r| (r, h.version)))
            .or_else(|| {
                let f = p.flight.as_ref()?;
                let r = f.certificate_request.as_ref()?;
                Some((r, f.server_hello.as_ref().map(|sh| sh.version)))
            });
        if let Some((r, version)) = found {
            request = Some(r.clone());
            seen_at = version;
            break;
        }
    }
    let request = request?;
    let at = seen_at
        .and_then(|v| v.name())
        .map(|n| format!(" at {n}"))
        .unwrap_or_default();
    // The real handshake decides required/optional when it presented no
    // certificate of ours.
    let handshake = obs
        .probe(&Purpose::Handshake)
        .and_then(|p| p.handshake.as_ref());
    let (required, outcome) = match handshake {
        _ if ctx.client_identity => (
            None,
            "the scan presented the given client certificate, so whether one is required was not measured".to_string(),
        ),
        Some(h) if h.completed && !h.client_cert_sent => (
            Some(false),
            "a handshake without a certificate completed: the certificate is optional".into(),
        ),
        Some(h) if h.client_cert_request.is_some() && !h.client_cert_sent => match &h.error {
            Some(model::HandshakeError::AlertReceived { description }) => (
                Some(true),
                format!(
                    "a handshake without a certificate was refused with alert {}",
                    AlertDescription(*description).name()
                ),
            ),
            Some(model::HandshakeError::Closed) => (
                Some(true),
                "a handshake without a certificate was closed by the server".into(),
            ),
            _ => (
                None,
                "the handshake without a certificate ended for another reason; whether one is required is unknown".into(),
            ),
        },
        _ => (
            None,
            "no complete handshake showed whether the certificate is required".into(),
        ),
    };
    Some(model::ClientCertificateReport {
        required,
        ca_names: request
            .ca_names
            .iter()
            .filter_map(|n| crate::judge::dn_text(&n.0))
            .collect(),
        signature_algorithms: request.signature_schemes.iter().map(|s| s.name()).collect(),
        evidence: format!("CertificateRequest{at}; {outcome}"),
    })
}

fn fill_ssl2(obs: &Observations, slot: &mut ProtocolReport) {
    let Some(record) = obs.probe(&Purpose::Version {
        version: ProtocolVersion::SSL2,
    }) else {
        slot.evidence = "not tested".into();
        return;
    };
    match record.flight.as_ref().and_then(|f| f.ssl2.as_ref()) {
        Some(hello) => {
            slot.supported = Some(!hello.cipher_specs.is_empty());
            slot.cipher_suites = hello
                .cipher_specs
                .iter()
                .map(|&c| wire::sslv2::Ssl2CipherSpec(c).name())
                .collect();
            slot.evidence = if slot.is_supported() {
                "SSL 2.0 SERVER-HELLO".into()
            } else {
                "SSL 2.0 SERVER-HELLO with no cipher in common".into()
            };
        }
        None => {
            let (supported, why) = support(obs, ProtocolVersion::SSL2);
            slot.supported = supported;
            slot.evidence = match why {
                Some(why) => format!("unknown: {why}"),
                None => refusal(record),
            };
        }
    }
}

fn fill_protocol(
    obs: &Observations,
    version: ProtocolVersion,
    best12: Option<ProtocolVersion>,
    slot: &mut ProtocolReport,
    incomplete: &mut Vec<String>,
) {
    let name = version.name().unwrap_or("unknown");
    let Some(first) = obs.probe(&Purpose::Version { version }) else {
        slot.evidence = "not tested".into();
        return;
    };
    let scan = suite_scan(obs, version);
    let (supported, unknown_why) = support(obs, version);
    slot.supported = supported;
    slot.evidence = match supported {
        Some(true) => match first.flight.as_ref().and_then(|f| f.server_hello.as_ref()) {
            Some(sh) => format!("ServerHello {} with {}", sh.version, sh.cipher_suite),
            None if version == ProtocolVersion::TLS1_3 => "HelloRetryRequest".into(),
            None => "ServerHello to a smaller offer (the full offer got no answer)".into(),
        },
        Some(false) if scan.chunked => match obs.probe(&Purpose::Suites { version, round: 1 }) {
            Some(chunk) => format!("{} (also to each smaller offer)", refusal(chunk)),
            None => refusal(first),
        },
        Some(false) => refusal(first),
        None => {
            let why = unknown_why.unwrap_or_default();
            incomplete.push(format!(
                "{name}: support is unknown, no connection got an answer ({why})"
            ));
            format!("unknown: {why}")
        }
    };
    if !slot.is_supported() {
        return;
    }
    slot.server_order = server_order(obs, version);
    let mut suites = scan.accepted.clone();
    if scan.chunked {
        incomplete.push(format!(
            "{name}: the server did not answer a hello offering every suite; suites were enumerated in chunks of {}",
            super::CHUNK
        ));
        if slot.server_order == Some(true) {
            let chain = recovered_order(obs, version);
            let mut order = chain.picks.clone();
            order.extend(suites.iter().copied().filter(|s| !chain.picks.contains(s)));
            suites = order;
        }
    }
    if scan.anomaly {
        incomplete.push(format!(
            "{name}: the server chose a suite it had already chosen or was not offered; the suite list may be incomplete"
        ));
    } else if let Some(why) = &scan.interrupted {
        slot.cipher_suites_interrupted = Some(why.clone());
        incomplete.push(format!(
            "{name}: the suite enumeration was interrupted ({why}); more suites may be accepted"
        ));
    } else if !scan.done {
        slot.cipher_suites_interrupted = Some("the enumeration did not finish".into());
        incomplete.push(format!("{name}: suite enumeration did not finish"));
    }
    slot.cipher_suites = suites.iter().map(|s| s.name()).collect();

    let group_version = if version == ProtocolVersion::TLS1_3 {
        Some(version)
    } else if version >= ProtocolVersion::TLS1_0 {
        best12.filter(|b| *b >= ProtocolVersion::TLS1_0)
    } else {
        None
    };
    let Some(group_version) = group_version else {
        return;
    };
    let has_ecdhe = version == ProtocolVersion::TLS1_3
        || suites
            .iter()
            .any(|s| s.info().is_some_and(|i| i.kx == KeyExchange::Ecdhe));
    if !has_ecdhe {
        return;
    }
    let chain = group_chain(obs, group_version);
    if chain.anomaly {
        incomplete.push(format!(
            "{name}: the server chose a group it had already chosen; the group list may be incomplete"
        ));
    }
    slot.group_server_order = group_server_order(obs, group_version);
    // A server that picks by its own preference named its groups in that
    // order; otherwise the list reads best in the order they were offered.
    let groups = known_groups(obs, group_version);
    let groups = if slot.group_server_order == Some(true) {
        groups
    } else {
        in_offer_order(groups, &offers::groups(group_version))
    };
    slot.groups = groups.iter().map(|g| g.name()).collect();
    let groups_interrupted = chain.interrupted.clone().or_else(|| {
        (!groups_complete(obs, group_version)).then(|| {
            if chain.rounds == 0 {
                "not measured".to_string()
            } else {
                "the enumeration did not finish".to_string()
            }
        })
    });
    if let Some(why) = &groups_interrupted {
        incomplete.push(format!(
            "{name}: the group enumeration was interrupted ({why}); more groups may be accepted"
        ));
    }
    slot.groups_interrupted = groups_interrupted;
    if group_version != version {
        slot.groups_measured_at = group_version.name().map(str::to_string);
    }
}

/// The accepted signature schemes: in the order they were learnt (the
/// server's preference, when it has one), or in offer order when the server
/// is seen taking the client's first acceptable scheme.
fn signature_list(obs: &Observations) -> Vec<wire::registry::SignatureScheme> {
    let known = known_signatures(obs);
    if signatures_in_client_order(obs) {
        in_offer_order(known, &offers::signature_schemes())
    } else {
        known
    }
}

/// `seen` in the order of `offered` (anything not offered last, as seen).
fn in_offer_order<T: PartialEq + Copy>(seen: Vec<T>, offered: &[T]) -> Vec<T> {
    let mut out: Vec<T> = offered
        .iter()
        .filter(|v| seen.contains(v))
        .copied()
        .collect();
    out.extend(seen.iter().filter(|v| !offered.contains(v)));
    out
}

/// Why a protocol probe got no ServerHello, in a few words.
fn refusal(record: &ProbeRecord) -> String {
    if !record.tcp.is_connected() {
        return crate::failure::tcp_text(&record.tcp);
    }
    let Some(flight) = &record.flight else {
        return "no reply".into();
    };
    if let Some(sh) = &flight.server_hello {
        return format!("answered with {} instead", sh.version);
    }
    if let Some(alert) = flight.alert() {
        return format!("alert {}", AlertDescription(alert.description).name());
    }
    match &flight.end {
        FlightEnd::Closed => "closed without an alert".into(),
        FlightEnd::Reset => "reset without an alert".into(),
        FlightEnd::Timeout => "no answer before the timeout".into(),
        FlightEnd::NotTls => "the reply is not TLS".into(),
        FlightEnd::Malformed { message } => {
            format!("malformed reply: {}", crate::text::sanitize(message))
        }
        FlightEnd::Complete | FlightEnd::Alert => "no ServerHello".into(),
    }
}

// ---------------------------------------------------------------- DH

fn dh_report(obs: &Observations) -> Option<DhReport> {
    let kx = obs
        .probe(&Purpose::DhParams)
        .and_then(dhe_key_exchange)
        .or_else(|| obs.probes.iter().find_map(dhe_key_exchange))?;
    let prime = kx.dh_prime.as_ref()?;
    Some(DhReport {
        prime_bits: kx.dh_prime_bits.unwrap_or(0),
        well_known: well_known_prime(prime),
        generator: kx.dh_generator.as_ref().and_then(|g| {
            let g = strip_zeros(g);
            (g.len() <= 8).then(|| g.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)))
        }),
    })
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The name of a well-known prime (RFC 2409, RFC 3526, RFC 7919).
pub fn well_known_prime(prime: &[u8]) -> Option<String> {
    let hex = hex::encode(strip_zeros(prime));
    super::dh_primes::WELL_KNOWN
        .iter()
        .find(|(_, _, p)| *p == hex)
        .map(|(name, _, _)| name.to_string())
}

// ---------------------------------------------------------------- certificates

fn chains(obs: &Observations, ctx: &ScanContext) -> Vec<ChainReport> {
    // (chain, where seen, stapled)
    let mut found: Vec<(Vec<Bytes>, Vec<String>, bool)> = Vec::new();
    let mut add = |chain: &[Bytes], tags: Vec<String>, stapled: bool| {
        if chain.is_empty() {
            return;
        }
        match found.iter_mut().find(|(c, _, _)| c.as_slice() == chain) {
            Some((_, seen, staple)) => {
                for tag in tags {
                    if !seen.contains(&tag) {
                        seen.push(tag);
                    }
                }
                *staple |= stapled;
            }
            None => found.push((chain.to_vec(), tags, stapled)),
        }
    };
    for p in &obs.probes {
        let (sni, version) = match &p.request.kind {
            ProbeKind::Hello(spec) => (spec.sni.is_some(), None),
            ProbeKind::Handshake(spec) => (
                spec.sni.is_some(),
                p.handshake.as_ref().and_then(|h| h.version),
            ),
            ProbeKind::Finish(spec) => (
                spec.sni.is_some(),
                p.handshake.as_ref().and_then(|h| h.version),
            ),
            ProbeKind::Ssl2 { .. } => (true, Some(ProtocolVersion::SSL2)),
            ProbeKind::Vulnerability(probe) => (probe.sni().is_some(), None),
            // Not a connection to the server: no chain of its own.
            ProbeKind::FetchIssuer { .. }
            | ProbeKind::FetchOcsp { .. }
            | ProbeKind::FetchCrl { .. }
            | ProbeKind::LookupCaa { .. } => continue,
        };
        let sni_tag = if sni { "sni" } else { "no_sni" }.to_string();
        if let Some(flight) = &p.flight {
            let version = version.or_else(|| flight.server_hello.as_ref().map(|s| s.version));
            let mut tags = vec![sni_tag.clone()];
            tags.extend(version.and_then(|v| v.name()).map(str::to_string));
            add(
                &flight.certificates,
                tags.clone(),
                flight.ocsp_staple.is_some(),
            );
            if let Some(cert) = flight.ssl2.as_ref().and_then(|s| s.certificate.clone()) {
                add(&[cert], vec!["ssl2".into()], false);
            }
        }
        if let Some(hs) = &p.handshake {
            let mut tags = vec![sni_tag];
            tags.extend(hs.version.and_then(|v| v.name()).map(str::to_string));
            add(&hs.chain, tags, hs.ocsp_staple.is_some());
        }
    }
    let hostname = obs
        .target
        .as_ref()
        .map(|t| t.verify_name().to_string())
        .unwrap_or_default();
    found
        .into_iter()
        .map(|(chain, mut seen_with, ocsp_stapled)| {
            seen_with.sort_by_key(|t| (t.starts_with("tls") || t.starts_with("ssl"), t.clone()));
            chain_report(&chain, seen_with, ocsp_stapled, &hostname, ctx)
        })
        .collect()
}

fn chain_report(
    chain: &[Bytes],
    seen_with: Vec<String>,
    ocsp_stapled: bool,
    hostname: &str,
    ctx: &ScanContext,
) -> ChainReport {
    let infos: Vec<Option<certs::CertInfo>> = chain.iter().map(|c| certs::parse(c)).collect();
    let ders: Vec<Vec<u8>> = chain.iter().map(|c| c.0.clone()).collect();
    let mut stores = vec![Store::Mozilla, Store::System];
    if !ctx.trust.ca_file.is_empty() {
        stores.push(Store::CaFile);
    }
    // Each platform's snapshot, for client simulation (Safari, Edge, old
    // Android judged with their own roots).
    stores.extend(Platform::ALL.map(Store::Platform));
    let trust: Vec<TrustReport> = stores
        .into_iter()
        .map(|store| {
            let result = certs::verify_path(&ders, &ctx.trust, store, ctx.now);
            TrustReport {
                store: store.name().into(),
                trusted: result == PathResult::Trusted,
                result: result.code(),
            }
        })
        .collect();
    let order_ok = infos.windows(2).all(|w| match (&w[0], &w[1]) {
        (Some(a), Some(b)) => certs::names_issuer(a, b),
        _ => false,
    });
    // The one certificate judge decides what is wrong (the same code
    // diagnose, compare and listen --against give).
    let verdict = crate::chain::judge_chain(&ders, &ctx.trust, ctx.now);
    let complete = !matches!(verdict.trust, crate::chain::Trust::Incomplete { .. });
    let key_type = infos
        .first()
        .and_then(|c| c.as_ref())
        .map(|c| key_type(&c.key.algorithm))
        .unwrap_or_else(|| "unknown".into());
    ChainReport {
        seen_with,
        key_type,
        certificates: chain
            .iter()
            .zip(&infos)
            .map(|(der, info)| cert_report(der, info.as_ref()))
            .collect(),
        trust,
        order_ok,
        complete,
        hostname_match: chain
            .first()
            .is_some_and(|leaf| certs::valid_for_name(leaf, hostname)),
        hostname: hostname.to_string(),
        ocsp_stapled,
        verdict: verdict.code(),
        verdict_evidence: if verdict.code().is_some() {
            verdict.evidence.clone()
        } else {
            Vec::new()
        },
    }
}

fn key_type(algorithm: &str) -> String {
    match algorithm {
        "EC" => "ecdsa".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn cert_report(der: &[u8], info: Option<&certs::CertInfo>) -> CertificateReport {
    let rfc3339 = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    match info {
        Some(c) => CertificateReport {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            sans: c.sans.iter().map(|s| crate::text::sanitize(s)).collect(),
            not_before: rfc3339(c.not_before),
            not_after: rfc3339(c.not_after),
            key_type: key_type(&c.key.algorithm),
            key_bits: c.key.bits,
            curve: c.key.curve.clone(),
            signature_algorithm: c.signature_algorithm.clone(),
            sha256_fingerprint: c.sha256_fingerprint.clone(),
            is_ca: c.is_ca,
            self_issued: c.self_issued,
            sha1_fingerprint: c.sha1_fingerprint.clone(),
            must_staple: c.must_staple,
            embedded_scts: u32::try_from(c.sct_log_ids.len()).unwrap_or(u32::MAX),
            sct_log_ids: c.sct_log_ids.clone(),
            ocsp_urls: c.ocsp_urls.clone(),
            ca_issuers: c.ca_issuers.clone(),
        },
        None => CertificateReport {
            subject: "(unparseable certificate)".into(),
            issuer: String::new(),
            sans: Vec::new(),
            not_before: String::new(),
            not_after: String::new(),
            key_type: "unknown".into(),
            key_bits: 0,
            curve: None,
            signature_algorithm: String::new(),
            sha256_fingerprint: sha256_hex(der),
            is_ca: false,
            self_issued: false,
            sha1_fingerprint: hex::encode_upper(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
                    .as_ref(),
            ),
            ..Default::default()
        },
    }
}

fn sha256_hex(der: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

// ---------------------------------------------------------------- features

fn flight_of<'a>(obs: &'a Observations, purpose: &Purpose) -> Option<&'a ServerFlight> {
    obs.probe(purpose)?.flight.as_ref()
}

fn feature<'a>(obs: &'a Observations, name: &str) -> Option<&'a ServerFlight> {
    flight_of(
        obs,
        &Purpose::Feature {
            name: name.to_string(),
        },
    )
}

fn has_ext(sh: &ServerHelloObservation, code: u16) -> bool {
    sh.extensions.contains(&ExtensionType(code))
}

fn features(obs: &Observations, best12: Option<ProtocolVersion>) -> Features {
    let mut f = Features::default();
    let handshake = obs
        .probe(&Purpose::Handshake)
        .and_then(|p| p.handshake.as_ref());
    // TLS ≤ 1.2: the extensions probe, or failing that the version probe.
    let legacy = best12.and_then(|version| {
        feature(obs, "extensions")
            .filter(|fl| fl.server_hello.is_some())
            .map(|fl| (fl, true))
            .or_else(|| flight_of(obs, &Purpose::Version { version }).map(|fl| (fl, false)))
    });
    if let Some((flight, full)) = legacy {
        if let Some(sh) = &flight.server_hello {
            f.session_id = Some(sh.session_id_len > 0);
            f.session_tickets = Some(has_ext(sh, EXT_SESSION_TICKET));
            f.secure_renegotiation = Some(has_ext(sh, EXT_RENEGOTIATION_INFO));
            f.extended_master_secret = Some(has_ext(sh, EXT_EXTENDED_MASTER_SECRET));
            f.ocsp_stapling = Some(has_ext(sh, EXT_STATUS_REQUEST) || flight.ocsp_staple.is_some());
            if full {
                f.heartbeat = Some(has_ext(sh, EXT_HEARTBEAT));
                f.compression = Some(sh.compression != 0);
                f.alpn = sh.alpn.clone();
            }
        }
    }
    if let Some(hs) = handshake {
        if hs.completed {
            if f.alpn.is_none() {
                f.alpn = hs.alpn.clone();
            }
            if hs.ocsp_staple.is_some() {
                f.ocsp_stapling = Some(true);
            } else if f.ocsp_stapling.is_none() {
                f.ocsp_stapling = Some(false);
            }
        }
        if let Some(http) = &hs.http {
            if http.status_line.is_some() {
                f.http_status = http.status_line.as_deref().map(crate::text::sanitize);
                f.hsts = http
                    .strict_transport_security
                    .as_deref()
                    .map(crate::text::sanitize);
                f.http_headers = Some(http_headers(http));
            }
        }
    }
    f.alpn_protocols = alpn_protocols(obs);
    resumption(obs, &mut f);
    if let Some(sh) = feature(obs, "encrypt_then_mac").and_then(|fl| fl.server_hello.as_ref()) {
        let cbc = sh
            .cipher_suite
            .info()
            .is_some_and(|i| i.mode == wire::registry::Mode::Cbc);
        if cbc {
            f.encrypt_then_mac = Some(has_ext(sh, EXT_ENCRYPT_THEN_MAC));
        }
    }
    if fallback_version(obs).is_some() {
        if let Some(flight) = feature(obs, "fallback_scsv") {
            if flight
                .alert()
                .is_some_and(|a| a.description == ALERT_INAPPROPRIATE_FALLBACK)
            {
                f.fallback_scsv = Some(true);
            } else if flight.server_hello.is_some() {
                f.fallback_scsv = Some(false);
            }
        }
    }
    f
}

/// Every ALPN protocol the server selected, once the offer-and-remove chain
/// ended; null when it did not run or its first connection failed.
fn alpn_protocols(obs: &Observations) -> Option<Vec<String>> {
    let chain = super::alpn_chain(obs);
    let first = obs.probe(&Purpose::Feature {
        name: "alpn:1".into(),
    })?;
    let answered = first
        .flight
        .as_ref()
        .is_some_and(|f| f.server_hello.is_some() || f.alert().is_some())
        || first.handshake.as_ref().is_some_and(|h| {
            h.completed || matches!(h.error, Some(model::HandshakeError::AlertReceived { .. }))
        });
    (chain.ended && answered && chain.interrupted.is_none()).then(|| {
        chain
            .picks
            .iter()
            .map(|&i| model::ALPN_CANDIDATES[i].to_string())
            .collect()
    })
}

/// The resumption probes: the second handshake resumed or not. Null when the
/// first handshake did not complete (the version is off, or the port is not
/// TLS).
fn resumption(obs: &Observations, f: &mut Features) {
    let probe = |name: &str| {
        let record = obs.probe(&Purpose::Feature { name: name.into() })?;
        let hs = record.handshake.as_ref().filter(|h| h.completed)?;
        Some((record, hs, hs.resumption.as_ref()?))
    };
    if let Some((_, hs, r)) = probe(super::RESUME_SESSION_ID) {
        if hs.version == Some(ProtocolVersion::TLS1_2) {
            f.resumption_session_id = Some(r.resumed);
        }
    }
    if let Some((record, hs, r)) = probe(super::RESUME_TICKETS) {
        let version = hs.version;
        let resumed = match version {
            Some(ProtocolVersion::TLS1_3) => Some(r.resumed),
            // A TLS 1.2 server without tickets may still resume by session
            // ID: only a ServerHello announcing a ticket counts.
            Some(ProtocolVersion::TLS1_2) => {
                let ticket = record
                    .flight
                    .as_ref()
                    .and_then(|fl| fl.server_hello.as_ref())
                    .is_some_and(|sh| has_ext(sh, EXT_SESSION_TICKET));
                Some(r.resumed && ticket)
            }
            _ => None,
        };
        if resumed.is_some() {
            f.resumption_tickets = resumed;
            f.resumption_tickets_at = version.and_then(|v| v.name()).map(str::to_string);
        }
    }
}

/// Headers obsolete today (browsers ignore or removed them).
const OBSOLETE_HEADERS: [&str; 3] = [
    "expect-ct",
    "public-key-pins",
    "public-key-pins-report-only",
];

fn http_headers(http: &model::HttpObservation) -> model::HttpHeaders {
    let clean = |v: &Option<String>| v.as_deref().map(crate::text::sanitize);
    let mut h = model::HttpHeaders {
        strict_transport_security: clean(&http.strict_transport_security),
        content_security_policy: clean(&http.content_security_policy),
        x_frame_options: clean(&http.x_frame_options),
        x_content_type_options: clean(&http.x_content_type_options),
        referrer_policy: clean(&http.referrer_policy),
        permissions_policy: clean(&http.permissions_policy),
        expect_ct: clean(&http.expect_ct),
        public_key_pins: clean(&http.public_key_pins),
        obsolete: Vec::new(),
        missing: Vec::new(),
    };
    let present = [
        &http.expect_ct,
        &http.public_key_pins,
        &http.public_key_pins_report_only,
    ];
    for (name, value) in OBSOLETE_HEADERS.iter().zip(present) {
        if value.is_some() {
            h.obsolete.push(name.to_string());
        }
    }
    for (name, value) in [
        ("strict-transport-security", &h.strict_transport_security),
        ("content-security-policy", &h.content_security_policy),
        ("x-content-type-options", &h.x_content_type_options),
        ("x-frame-options", &h.x_frame_options),
        ("referrer-policy", &h.referrer_policy),
    ] {
        // CSP frame-ancestors supersedes X-Frame-Options.
        let framed = name == "x-frame-options"
            && h.content_security_policy
                .as_deref()
                .is_some_and(|csp| csp.contains("frame-ancestors"));
        if value.is_none() && !framed {
            h.missing.push(name.to_string());
        }
    }
    h
}
