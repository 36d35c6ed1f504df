//! Client simulation: from what a scan learned about a server, predict what
//! a given client would negotiate (version, suite, group) or why its
//! handshake would fail, with the diagnosis code `diagnose` would give.
//!
//! The walk is the one a server makes ([`predict`]; steps 1-3 are
//! [`crate::negotiation`], the model `compare` and `listen` share):
//!
//! 1. version: the highest version both support (servers choose the
//!    version first and do not retry a lower one when nothing else fits);
//! 2. suite: the server's preference among the client's offers when the scan
//!    saw it enforce its own order, else the client's first suite the server
//!    accepts; a TLS ≤ 1.2 ECDHE suite needs a common curve and a signed key
//!    exchange a common signature scheme, else the server moves on to its
//!    next candidate (OpenSSL's `ssl3_choose_cipher`);
//! 3. group: TLS 1.3 takes the first key share the client sent that the
//!    server accepts, else (HelloRetryRequest) the first common group in the
//!    server's order when it enforces one, else in the client's;
//! 4. then the client judges what it got: DH prime size, certificate key
//!    size and signature, trust in its store, and the name.
//!
//! Pure; never does I/O. The scan is the only evidence, so anything it did
//! not measure (TLS 1.3 signature schemes, a second certificate) is inferred
//! from what it did (the leaf key), and said so in [`Prediction::reason`].
//! What cannot be inferred (no group or signature list, an interrupted list
//! with nothing common, a version of unknown support the client prefers)
//! gives [`Outcome::Unknown`], never `Ok`. A server that requires a client
//! certificate fails every client that gets that far (`client_cert_required`).

use model::{ChainReport, ClientResult, Code, Compatibility, Missing, ScanReport};
use wire::registry::{
    Auth, CipherSuite, CipherSuiteInfo, KeyExchange, NamedGroup, ProtocolVersion, SignatureScheme,
};

use crate::mismatch::{self, Mismatch};
use crate::negotiation::{self, Known, Negotiated, Signer, Stage, SuiteList};
use crate::profiles::{self, ClientProfile};

/// Would the handshake complete?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    /// The prediction needs a list the scan did not measure (or measured
    /// only in part): never guessed as `Ok`.
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }
}

/// What one client would get from the scanned server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prediction {
    pub outcome: Outcome,
    /// The version agreed (also on a later failure, e.g. the certificate).
    pub version: Option<ProtocolVersion>,
    pub cipher_suite: Option<CipherSuite>,
    /// The (EC)DHE group, for ECDHE and TLS 1.3.
    pub group: Option<NamedGroup>,
    /// The diagnosis code when the handshake fails.
    pub code: Option<Code>,
    /// One sentence: why, in terms of the two sides' lists.
    pub reason: String,
    /// The overlap that is missing, when no version, suite, group or
    /// signature scheme is common ([`crate::mismatch`]).
    pub missing: Option<Missing>,
    /// The fix for each side, when the handshake fails.
    pub fix: Vec<String>,
    /// The roots the chain was judged with, when the prediction got that
    /// far ("Android 4.4's root store (snapshot of 2017-03-21)").
    pub roots: Option<String>,
}

impl Prediction {
    /// A failure to agree, at `version` when one was common.
    fn mismatch(m: Mismatch, version: Option<ProtocolVersion>) -> Self {
        Self {
            outcome: Outcome::Failed,
            version,
            cipher_suite: None,
            group: None,
            code: Some(m.code),
            reason: m.summary,
            missing: Some(m.missing),
            fix: m.fix,
            roots: None,
        }
    }

    /// The answer of `compare` and `listen --against` for the server `server`.
    pub fn to_compatibility(&self, server: &str) -> Compatibility {
        Compatibility {
            server: server.to_string(),
            outcome: self.outcome.as_str().into(),
            version: self.version.and_then(|v| v.name()).map(str::to_string),
            cipher_suite: self.cipher_suite.map(|s| s.name()),
            group: self.group.map(|g| g.name()),
            code: self.code,
            summary: self.reason.clone(),
            missing: self.missing.clone(),
            fix: self.fix.clone(),
        }
    }

    /// Not predictable from what the scan measured.
    fn unknown(version: Option<ProtocolVersion>, reason: String) -> Self {
        Self {
            outcome: Outcome::Unknown,
            version,
            cipher_suite: None,
            group: None,
            code: None,
            reason,
            missing: None,
            fix: Vec::new(),
            roots: None,
        }
    }

    /// The JSON row of `scan`'s `clients`.
    pub fn to_result(&self, name: &str) -> ClientResult {
        ClientResult {
            name: name.to_string(),
            outcome: self.outcome.as_str().into(),
            version: self.version.and_then(|v| v.name()).map(str::to_string),
            cipher_suite: self.cipher_suite.map(|s| s.name()),
            group: self.group.map(|g| g.name()),
            code: self.code.map(|c| c.as_str().to_string()),
            roots: self.roots.clone(),
        }
    }
}

/// Predicts every simulated client and writes `clients` into the report.
/// Leaves it empty when the server spoke no TLS at all.
pub fn apply(report: &mut ScanReport) {
    report.clients = simulate(report);
}

/// Every simulated client's prediction, in profile order.
pub fn simulate(report: &ScanReport) -> Vec<ClientResult> {
    if !report.protocols.iter().any(|(_, p)| p.is_supported()) {
        return Vec::new();
    }
    profiles::simulated()
        .iter()
        .map(|p| predict(p, report).to_result(p.name))
        .collect()
}

/// The scanned server as the negotiation model sees it, facing one client
/// profile: the lists the scan measured, and "unknown" wherever it did not.
struct Scanned<'a> {
    profile: &'a ClientProfile,
    report: &'a ScanReport,
    chain: Option<&'a ChainReport>,
}

impl Scanned<'_> {
    fn protocol(&self, version: ProtocolVersion) -> Option<&model::ProtocolReport> {
        self.report.protocol(version.name()?)
    }

    /// The versions the server was seen to speak, highest first.
    fn server_versions(&self) -> Vec<ProtocolVersion> {
        let mut v: Vec<ProtocolVersion> = self
            .report
            .protocols
            .iter()
            .filter(|(_, p)| p.is_supported())
            .filter_map(|(n, _)| ProtocolVersion::from_name(n))
            .collect();
        v.reverse();
        v
    }
}

impl negotiation::ServerSide for Scanned<'_> {
    fn version(&self) -> Known<ProtocolVersion> {
        let best = self
            .server_versions()
            .into_iter()
            .find(|v| self.profile.versions.contains(v));
        // A version the client would prefer whose support is unknown: the
        // server might pick it.
        let unknown: Vec<&str> = self
            .report
            .protocols
            .iter()
            .filter(|(_, p)| p.is_unknown())
            .filter_map(|(n, _)| ProtocolVersion::from_name(n))
            .filter(|v| self.profile.versions.contains(v) && best.is_none_or(|b| *v > b))
            .map(|v| v.name().unwrap_or("?"))
            .collect();
        if !unknown.is_empty() {
            return Known::Unknown(format!(
                "whether the server speaks {} is unknown, and the client would prefer it",
                unknown.join(", ")
            ));
        }
        match best {
            Some(v) if self.protocol(v).is_some() => Known::Yes(v),
            _ => Known::No,
        }
    }

    fn suites(&self, version: ProtocolVersion) -> SuiteList {
        let Some(p) = self.protocol(version) else {
            return SuiteList::default();
        };
        SuiteList {
            suites: server_suites(p),
            server_order: p.server_order == Some(true),
            incomplete: p.cipher_suites_interrupted.clone(),
        }
    }

    fn group(&self, version: ProtocolVersion, suite: CipherSuite) -> Known<Option<NamedGroup>> {
        let tls13 = version >= ProtocolVersion::TLS1_3;
        let needs_group = tls13 || suite.info().is_some_and(|i| i.kx == KeyExchange::Ecdhe);
        let Some(p) = self.protocol(version).filter(|_| needs_group) else {
            return Known::Yes(None);
        };
        match choose_group(self.profile, p, tls13) {
            GroupChoice::Group(g) => Known::Yes(Some(g)),
            GroupChoice::Unmeasured(why) => Known::Unknown(why),
            GroupChoice::None => Known::No,
        }
    }

    fn signature(&self, version: ProtocolVersion, suite: CipherSuite) -> Known<Signer> {
        let Some(info) = suite.info() else {
            return Known::No;
        };
        match signature_ok(self.profile, self.report, self.chain, info, version) {
            Some(true) => Known::Yes(Signer {
                key: 0,
                scheme: None,
            }),
            Some(false) => Known::No,
            None => Known::Unknown("the scan did not measure the server's".into()),
        }
    }
}

/// The suites the scan saw at one version, in the order it listed them.
fn server_suites(p: &model::ProtocolReport) -> Vec<CipherSuite> {
    p.cipher_suites
        .iter()
        .filter_map(|s| CipherSuite::from_name(s))
        .collect()
}

/// Predicts what `profile` would negotiate with the scanned server: the
/// shared negotiation model ([`negotiation::negotiate`]) over what the scan
/// measured, then what the client checks in what it got.
pub fn predict(profile: &ClientProfile, report: &ScanReport) -> Prediction {
    let chain = chain_for(report, profile.sni);
    let server = Scanned {
        profile,
        report,
        chain,
    };
    let client_suites: Vec<CipherSuite> = profile
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| !s.is_grease() && !s.is_scsv())
        .collect();
    let agreed = match negotiation::negotiate(&client_suites, &server) {
        Negotiated::Agreed(a) => a,
        Negotiated::Unknown { version, why } => return Prediction::unknown(version, why),
        Negotiated::Mismatch { failed_at, version } => {
            return mismatch_at(profile, &server, failed_at, version)
        }
    };
    let (version, suite, group, server_order) = (
        agreed.version,
        agreed.suite,
        agreed.group,
        agreed.server_order,
    );
    let Some(info) = suite.info() else {
        return Prediction::unknown(
            Some(version),
            format!("{} is not a known suite", suite.name()),
        );
    };
    // What the client refuses in what it got although its hello allowed it
    // (the same rule as diagnose's `finished` step).
    let dh_bits = report.dh.as_ref().map(|dh| dh.prime_bits);
    if let Some((code, reason)) = profile.refusal_after_hello(version, suite, dh_bits) {
        return Prediction {
            outcome: Outcome::Failed,
            version: Some(version),
            cipher_suite: Some(suite),
            group,
            code: Some(code),
            reason,
            missing: None,
            fix: mismatch::after_negotiation(code, &report.target.host),
            roots: None,
        };
    }
    let mut out = Prediction {
        outcome: Outcome::Ok,
        version: Some(version),
        cipher_suite: Some(suite),
        group,
        code: None,
        reason: format!(
            "{} with {} ({} order)",
            version.display_name(),
            suite.name(),
            if server_order { "server" } else { "client" }
        ),
        missing: None,
        fix: Vec::new(),
        roots: None,
    };

    // 3. What the client checks in what it got.
    let host = report.target.host.clone();
    let mut fail = |code: Code, reason: String| {
        out.outcome = Outcome::Failed;
        out.code = Some(code);
        out.reason = reason;
        out.fix = mismatch::after_negotiation(code, &host);
    };
    if info.auth == Auth::Anon {
        return out;
    }
    let Some(chain) = chain else {
        out.reason.push_str(
            "; no certificate was seen, so the client's certificate checks were not predicted",
        );
        client_certificate(report, &mut out);
        return out;
    };
    let roots = trust_in_client_store(profile, chain);
    out.roots = Some(roots.described.clone());
    if let Some(code) = certificate_problem(profile, chain, &roots) {
        let reason = match code {
            Code::CertWeakKey => format!(
                "the certificate's RSA key is below the {} bits the client accepts",
                profile.min_rsa_bits
            ),
            Code::CertWeakSignature => "the client refuses certificates signed with SHA-1".into(),
            Code::CertHostnameMismatch => {
                format!("the certificate is not valid for {}", chain.hostname)
            }
            _ => format!(
                "the chain does not verify with {} ({})",
                roots.described, roots.result
            ),
        };
        fail(code, reason);
        return out;
    }
    client_certificate(report, &mut out);
    out
}

/// The failure to agree, named by the stage no candidate got past.
fn mismatch_at(
    profile: &ClientProfile,
    server: &Scanned<'_>,
    failed_at: Stage,
    version: Option<ProtocolVersion>,
) -> Prediction {
    let Some((version, p)) = version.and_then(|v| Some((v, server.protocol(v)?))) else {
        return Prediction::mismatch(
            mismatch::protocol(None, &profile.versions, &server.server_versions()),
            None,
        );
    };
    let m = match failed_at {
        Stage::Version | Stage::Suite => {
            let client: Vec<CipherSuite> = profile
                .cipher_suites
                .iter()
                .copied()
                .filter(|s| !s.is_grease() && !s.is_scsv())
                .filter(|s| s.info().is_some_and(|i| i.usable_in(version)))
                .collect();
            mismatch::cipher(&[version], &client, &server_suites(p))
        }
        Stage::Group => {
            let client: Vec<NamedGroup> = profile
                .groups
                .iter()
                .copied()
                .filter(|g| !g.is_grease())
                .collect();
            let groups: Vec<NamedGroup> = p
                .groups
                .iter()
                .filter_map(|g| NamedGroup::from_name(g))
                .collect();
            mismatch::group(version, &client, &groups, None)
        }
        Stage::Signature => {
            let schemes = if version >= ProtocolVersion::TLS1_3 {
                server_tls13_schemes(server.chain)
                    .iter()
                    .map(|s| s.name())
                    .collect()
            } else {
                server.report.signature_algorithms.clone()
            };
            mismatch::sigalg(version, &profile.signature_algorithms, schemes)
        }
    };
    Prediction::mismatch(m, Some(version))
}

/// Step 4, once the client accepted the server's certificate: the server
/// asked for a client certificate, and a simulated client has none.
fn client_certificate(report: &ScanReport, out: &mut Prediction) {
    let Some(cr) = &report.client_certificate else {
        return;
    };
    match cr.required {
        Some(true) => {
            out.outcome = Outcome::Failed;
            out.code = Some(Code::ClientCertRequired);
            out.reason = format!(
                "the server requires a client certificate and the client has none ({})",
                cr.evidence
            );
            out.fix = vec![
                "Client: present a certificate from a CA the server names (curl --cert/--key, openssl s_client -cert/-key).".into(),
                "Server: if browsers and other clients without certificates must connect, make the client certificate optional (nginx ssl_verify_client optional; Apache SSLVerifyClient optional) and check it in the application.".into(),
            ];
        }
        Some(false) => {}
        None => {
            out.outcome = Outcome::Unknown;
            out.reason = format!(
                "{}; the server asks for a client certificate and whether it requires one was not measured",
                out.reason
            );
        }
    }
}

enum GroupChoice {
    Group(NamedGroup),
    /// The scan did not list the groups (or only in part, with no common
    /// one among those): the outcome is unknown. Why, in a few words.
    Unmeasured(String),
    None,
}

fn choose_group(profile: &ClientProfile, p: &model::ProtocolReport, tls13: bool) -> GroupChoice {
    let server: Vec<NamedGroup> = p
        .groups
        .iter()
        .filter_map(|g| NamedGroup::from_name(g))
        .collect();
    if server.is_empty() {
        return GroupChoice::Unmeasured("the scan did not measure the server's groups".into());
    }
    let usable = |g: &NamedGroup| tls13 || g.kind() == Some(wire::registry::GroupKind::Ecdhe);
    if tls13 {
        if let Some(g) = profile
            .key_shares
            .iter()
            .find(|g| server.contains(g) && profile.groups.contains(g))
        {
            return GroupChoice::Group(*g);
        }
    }
    let found = if p.group_server_order == Some(true) {
        server
            .iter()
            .find(|g| usable(g) && profile.groups.contains(g))
    } else {
        profile
            .groups
            .iter()
            .find(|g| usable(g) && server.contains(g))
    };
    match (found, &p.groups_interrupted) {
        (Some(g), _) => GroupChoice::Group(*g),
        (None, Some(why)) => GroupChoice::Unmeasured(format!(
            "none of the groups seen is common, but the group list is incomplete ({why})"
        )),
        (None, None) => GroupChoice::None,
    }
}

/// The chain a client with (or without) SNI gets.
fn chain_for(report: &ScanReport, sni: bool) -> Option<&ChainReport> {
    let tag = if sni { "sni" } else { "no_sni" };
    report
        .certificates
        .iter()
        .find(|c| c.seen_with.iter().any(|s| s == tag))
        .or_else(|| report.certificates.first())
}

/// TLS 1.2 pairs and TLS 1.3 schemes by the key they sign with.
fn scheme_key(s: SignatureScheme) -> Option<&'static str> {
    let (hash, sig) = (s.0 >> 8, s.0 & 0xff);
    Some(match s.0 {
        0x0804..=0x0806 | 0x0809..=0x080b => "rsa",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        _ if (1..=6).contains(&hash) && sig == 1 => "rsa",
        _ if (1..=6).contains(&hash) && sig == 2 => "dsa",
        _ if (1..=6).contains(&hash) && sig == 3 => "ecdsa",
        _ => return None,
    })
}

/// The TLS 1.3 schemes a server with this leaf key can sign with
/// (RFC 8446 §4.2.3: RSA keys sign with RSA-PSS; ECDSA schemes name the curve).
fn server_tls13_schemes(chain: Option<&ChainReport>) -> Vec<SignatureScheme> {
    let Some(leaf) = chain.and_then(|c| c.certificates.first()) else {
        return Vec::new();
    };
    let codes: &[u16] = match (leaf.key_type.as_str(), leaf.curve.as_deref()) {
        ("rsa", _) => &[0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b],
        ("ecdsa", Some("P-384")) => &[0x0503],
        ("ecdsa", Some("P-521")) => &[0x0603],
        ("ecdsa", _) => &[0x0403],
        ("ed25519", _) => &[0x0807],
        ("ed448", _) => &[0x0808],
        _ => &[],
    };
    codes.iter().map(|&c| SignatureScheme(c)).collect()
}

/// Can the server sign this key exchange with a scheme the client accepts?
/// `None` when the scan did not measure what decides it.
fn signature_ok(
    profile: &ClientProfile,
    report: &ScanReport,
    chain: Option<&ChainReport>,
    info: &CipherSuiteInfo,
    version: ProtocolVersion,
) -> Option<bool> {
    // A client without signature_algorithms takes the defaults (RFC 5246
    // §7.4.1.4.1); TLS 1.0/1.1 have none (MD5+SHA-1 / SHA-1, judged later).
    if profile.signature_algorithms.is_empty() || version < ProtocolVersion::TLS1_2 {
        return Some(true);
    }
    let tls13 = version >= ProtocolVersion::TLS1_3;
    if tls13 {
        let server = server_tls13_schemes(chain);
        if server.is_empty() {
            return None;
        }
        return Some(
            server
                .iter()
                .any(|s| profile.signature_algorithms.contains(s)),
        );
    }
    let signed = matches!(info.kx, KeyExchange::Ecdhe | KeyExchange::Dhe)
        && matches!(info.auth, Auth::Rsa | Auth::Ecdsa | Auth::Dss);
    if !signed {
        return Some(true);
    }
    if report.signature_algorithms.is_empty() {
        return None;
    }
    let key = match info.auth {
        Auth::Rsa => "rsa",
        Auth::Ecdsa => "ecdsa",
        _ => "dsa",
    };
    let common = report
        .signature_algorithms
        .iter()
        .filter_map(|s| SignatureScheme::from_name(s))
        .filter(|s| scheme_key(*s) == Some(key))
        .any(|s| profile.signature_algorithms.contains(&s));
    if !common && report.signature_algorithms_interrupted.is_some() {
        return None;
    }
    Some(common)
}

/// The client's trust in the chain, and which roots say so.
#[derive(Debug)]
struct ClientTrust {
    trusted: bool,
    /// The result code of the store that decided (`trusted`,
    /// `unknown_issuer`, `expired`, ...).
    result: String,
    /// The roots that decided, for people and the JSON `roots`.
    described: String,
}

/// Judges the chain with the client's own roots, from the per-store results
/// the scan recorded:
/// - a CA file counts as installed in every client (it is how a private CA
///   is deployed);
/// - a client with a shipped platform snapshot (Safari, Edge, old Android;
///   [`crate::platform_roots`]) is judged with it. A frozen platform's
///   snapshot decides; an updated platform's snapshot decides when it trusts
///   the chain, and when it does not, Mozilla's current store stands in (the
///   platform has added roots since 2017), and the text says so;
/// - `system` clients use the scanning machine's store; the rest (Java,
///   Chrome's own program, newer Android, Firefox) Mozilla's, which they
///   largely overlap, and the text names the stand-in.
fn trust_in_client_store(profile: &ClientProfile, chain: &ChainReport) -> ClientTrust {
    let entry = |name: &str| chain.trust.iter().find(|t| t.store == name);
    let judged = |t: Option<&model::TrustReport>, described: String| ClientTrust {
        trusted: t.is_some_and(|t| t.trusted),
        result: t.map_or_else(|| "not checked".into(), |t| t.result.clone()),
        described,
    };
    // OpenSSL trusts a certificate found in its CA file as it is, even a
    // self-signed leaf marked CA:TRUE, which webpki (the scan's verifier)
    // refuses as `ca_used_as_end_entity`.
    if let Some(t) = entry("ca_file").filter(|t| t.trusted || t.result == "ca_used_as_end_entity") {
        return ClientTrust {
            trusted: true,
            result: t.result.clone(),
            described: "the --ca-file roots (installed in the client)".into(),
        };
    }
    let mozilla = entry("mozilla");
    if let Some(platform) = profile.root_store {
        if let Some(t) = entry(platform.store_name()) {
            if t.trusted || platform.frozen() {
                return judged(Some(t), platform.describe());
            }
            return judged(
                mozilla,
                format!(
                    "Mozilla's current root store, standing in for {}, which lacks this chain's root (the platform has added roots since)",
                    platform.describe()
                ),
            );
        }
    }
    match profile.trust_store {
        "system" => judged(entry("system"), "this machine's trust store".into()),
        "mozilla" => judged(mozilla, "Mozilla's current root store".into()),
        other => judged(
            mozilla,
            format!("Mozilla's current root store, standing in for the {other} store (not shipped with tlsdoctor)"),
        ),
    }
}

/// The first certificate check this client fails, in the order clients
/// check (key and signature policy, time, path, name).
fn certificate_problem(
    profile: &ClientProfile,
    chain: &ChainReport,
    roots: &ClientTrust,
) -> Option<Code> {
    let leaf = chain.certificates.first()?;
    if leaf.key_type == "rsa" && leaf.key_bits < profile.min_rsa_bits {
        return Some(Code::CertWeakKey);
    }
    let sha1 = |alg: &str| {
        let a = alg.to_ascii_lowercase();
        a.contains("sha1") || a.contains("md5")
    };
    if profile.rejects_sha1_certificates && sha1(&leaf.signature_algorithm) && !leaf.self_issued {
        return Some(Code::CertWeakSignature);
    }
    if !roots.trusted {
        // The one certificate judge's code, when the scan recorded it (the
        // same code diagnose gives); a chain only the client's own store
        // refuses, and older saved scans, fall back to that store's result.
        if let Some(code) = chain.verdict {
            return Some(code);
        }
        let self_signed = chain.certificates.len() == 1 && leaf.self_issued;
        return Some(if roots.result == "expired" {
            Code::CertExpired
        } else if roots.result == "not_yet_valid" {
            Code::CertNotYetValid
        } else if self_signed {
            Code::CertSelfSigned
        } else if !chain.complete {
            Code::CertChainIncomplete
        } else {
            Code::CertUntrustedRoot
        });
    }
    if !chain.hostname_match {
        return Some(Code::CertHostnameMismatch);
    }
    None
}

#[cfg(test)]
mod tests;
