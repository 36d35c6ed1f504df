//! The answer of `scan`: everything a server will and will not negotiate.
//! Field names here are the stable JSON contract (`schema_version` 2).
//!
//! Schema 2: nothing the network may fail to show is a plain `bool`.
//! `protocols.*.supported` is `true`, `false` or `null` (unknown: every
//! connection that would have shown it failed; `evidence` says how), each
//! list says whether it is complete (`*_interrupted`), `unknown` names every
//! fact the scan could not establish, and the grade is `grade_provisional`
//! when it rests on such gaps.

use serde::{Deserialize, Serialize};

use crate::TargetReport;

/// The answer of `scan` (`--json` prints exactly this).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub target: TargetReport,
    pub protocols: Protocols,
    /// Signature schemes the server signs its key exchange with (TLS 1.2),
    /// in the server's preference order.
    pub signature_algorithms: Vec<String>,
    /// Null when the list is complete; else why its enumeration stopped
    /// early (a connection failed), so more schemes may be accepted.
    #[serde(default)]
    pub signature_algorithms_interrupted: Option<String>,
    /// Finite-field DHE parameters, when the server has DHE suites.
    pub dh: Option<DhReport>,
    /// Every distinct certificate chain the server presented.
    pub certificates: Vec<ChainReport>,
    pub features: Features,
    /// TCP connections the scan made.
    pub connections: usize,
    pub elapsed_ms: u64,
    /// Why parts of the results may be incomplete (empty when they are not).
    pub incomplete: Vec<String>,
    /// Every fact the scan could not establish, by its JSON path
    /// (`protocols.tls1_1.supported`, `protocols.tls1_2.cipher_suites`,
    /// `signature_algorithms`, `vulnerabilities.robot`, ...). Empty when
    /// everything was observed.
    #[serde(default)]
    pub unknown: Vec<String>,
    /// The server asked for a client certificate (CertificateRequest); null
    /// when no handshake showed a request.
    #[serde(default)]
    pub client_certificate: Option<ClientCertificateReport>,
    /// Known vulnerabilities, each `vulnerable`, `not_vulnerable` or
    /// `not_tested` with its evidence (docs/vulnerabilities.md).
    #[serde(default)]
    pub vulnerabilities: crate::Vulnerabilities,
    /// The letter grade (`A+`, `A`, `A-`, `B` ... `F`, `T`, `M`;
    /// docs/grading.md), null when the scan could not grade.
    #[serde(default)]
    pub grade: Option<String>,
    /// True when the grade rests on an incomplete scan (a protocol's support
    /// or a list is unknown, or a check that can cap the grade was not
    /// tested): a complete scan may grade differently. Caps that claim an
    /// absence (no forward secrecy, no AEAD) apply only to complete lists.
    #[serde(default)]
    pub grade_provisional: bool,
    /// Every cap that lowered (or, for A+, withheld) the grade, and why.
    #[serde(default)]
    pub grade_caps: Vec<GradeCap>,
    /// The rating guide's category scores.
    #[serde(default)]
    pub score: Option<Score>,
    /// What each simulated client would negotiate, or why it would fail
    /// (docs/clients.md).
    #[serde(default)]
    pub clients: Vec<ClientResult>,
    /// DNS CAA (RFC 8659) for the name: null for an IP address or when not
    /// looked up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caa: Option<CaaReport>,
}

/// Which CAs may issue for the scanned name, and whether the presented
/// certificate's CA is one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaReport {
    /// The name whose CAA records apply (the name or a parent).
    pub name: String,
    /// The relevant records, `flags tag "value"`.
    pub records: Vec<String>,
    /// Issuer domains of the `issue` (or, for a wildcard, `issuewild`) property.
    pub allowed_issuers: Vec<String>,
    /// The certificate's CA, when tlsdoctor knows its CAA identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// The certificate's CA may issue for the name; null when unknown.
    pub allowed: Option<bool>,
    pub detail: String,
}

/// What a server's CertificateRequest asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCertificateReport {
    /// True: a handshake without a certificate was refused; false: it
    /// completed without one (the certificate is optional); null: not
    /// measured (the scan presented a certificate, or the handshake failed
    /// for another reason).
    pub required: Option<bool>,
    /// The CA names the server accepts (RFC 4514 strings), empty when it
    /// names none.
    pub ca_names: Vec<String>,
    /// Signature schemes the server accepts for the client's signature.
    pub signature_algorithms: Vec<String>,
    /// What showed it (`CertificateRequest at tls1_3; handshake without a
    /// certificate: alert certificate_required`).
    pub evidence: String,
}

/// One grade cap that applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeCap {
    /// The highest grade the rule allows (`F`, `C`, `B`, `A-`, `T`, `M`), or
    /// `A` when it only withholds A+.
    pub cap: String,
    /// Stable rule name (`tls1_0_or_1_1`, `no_forward_secrecy`, ...).
    pub rule: String,
    pub reason: String,
}

/// SSL Labs rating guide category scores, 0-100 each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub protocol: u32,
    pub key_exchange: u32,
    pub cipher: u32,
    /// 30 % protocol + 30 % key exchange + 40 % cipher (0 when any is 0).
    pub total: u32,
}

/// The predicted outcome of one simulated client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientResult {
    /// The profile name (`chrome-131`, `java-8`, ...).
    pub name: String,
    /// `ok`, `failed`, or `unknown` (the prediction needs a list the scan
    /// did not measure; `code` says which).
    pub outcome: String,
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub group: Option<String>,
    /// The diagnosis code when the handshake would fail (`protocol_mismatch`).
    pub code: Option<String>,
    /// The roots the chain was judged with for this client, when the
    /// prediction got that far: its platform's dated snapshot
    /// ("Android 4.4's root store (snapshot of 2017-03-21)") or the store
    /// standing in for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roots: Option<String>,
}

impl ScanReport {
    /// The report of one protocol by its stable name (`tls1_2`).
    pub fn protocol(&self, name: &str) -> Option<&ProtocolReport> {
        self.protocols
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p)
    }
}

/// Every protocol version, by its stable name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocols {
    pub ssl2: ProtocolReport,
    pub ssl3: ProtocolReport,
    pub tls1_0: ProtocolReport,
    pub tls1_1: ProtocolReport,
    pub tls1_2: ProtocolReport,
    pub tls1_3: ProtocolReport,
}

impl Protocols {
    /// `(name, report)`, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &ProtocolReport)> {
        [
            ("ssl2", &self.ssl2),
            ("ssl3", &self.ssl3),
            ("tls1_0", &self.tls1_0),
            ("tls1_1", &self.tls1_1),
            ("tls1_2", &self.tls1_2),
            ("tls1_3", &self.tls1_3),
        ]
        .into_iter()
    }

    /// The report of a protocol by its stable name, to fill in.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut ProtocolReport> {
        Some(match name {
            "ssl2" => &mut self.ssl2,
            "ssl3" => &mut self.ssl3,
            "tls1_0" => &mut self.tls1_0,
            "tls1_1" => &mut self.tls1_1,
            "tls1_2" => &mut self.tls1_2,
            "tls1_3" => &mut self.tls1_3,
            _ => return None,
        })
    }
}

impl ProtocolReport {
    /// Observed: the server spoke this version.
    pub fn is_supported(&self) -> bool {
        self.supported == Some(true)
    }

    /// Observed: the server refused this version.
    pub fn is_refused(&self) -> bool {
        self.supported == Some(false)
    }

    /// Nothing was observed either way.
    pub fn is_unknown(&self) -> bool {
        self.supported.is_none()
    }

    /// The suite list is known to hold everything the server accepts at
    /// this version (a refused version's empty list is complete).
    pub fn suites_complete(&self) -> bool {
        self.supported.is_some() && self.cipher_suites_interrupted.is_none()
    }
}

/// One protocol version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolReport {
    /// True: a ServerHello at this version; false: the server refused it
    /// (an alert, a close, another version); null: unknown, every connection
    /// that would have shown it failed (refused, reset before any answer,
    /// timed out). A failed connection is never evidence of `false`.
    pub supported: Option<bool>,
    /// What showed it (`ServerHello tls1_2`, `alert protocol_version`,
    /// `closed`), or why it is unknown (`connection reset before any answer`).
    pub evidence: String,
    /// IANA names (SSL 2.0: `SSL_CK_*` names), in the server's order when
    /// `server_order` is true, else in the order the server chose them from
    /// our offers.
    pub cipher_suites: Vec<String>,
    /// Null when `cipher_suites` is complete; else why the enumeration
    /// stopped early (more suites may be accepted).
    #[serde(default)]
    pub cipher_suites_interrupted: Option<String>,
    /// True when the server picks by its own preference, false when it
    /// follows the client's; null when it cannot tell (fewer than two suites).
    pub server_order: Option<bool>,
    /// Named groups (key exchange), in the server's order when
    /// `group_server_order` is true.
    pub groups: Vec<String>,
    /// Null when `groups` is complete (or not applicable); else why the
    /// enumeration stopped early.
    #[serde(default)]
    pub groups_interrupted: Option<String>,
    pub group_server_order: Option<bool>,
    /// The version the groups were measured at, when it is another one
    /// (TLS 1.0/1.1 share the curves measured at the highest TLS ≤ 1.2).
    pub groups_measured_at: Option<String>,
}

/// The server's finite-field Diffie-Hellman parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhReport {
    pub prime_bits: u32,
    /// The name of the well-known prime (`ffdhe2048`, `rfc3526_modp_2048`,
    /// `rfc2409_group2`), or null for a custom prime.
    pub well_known: Option<String>,
    pub generator: Option<u64>,
}

/// One certificate chain as the server sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Where it was seen: `sni`, `no_sni`, and the protocol names.
    pub seen_with: Vec<String>,
    /// The leaf's key type (`rsa`, `ecdsa`, `ed25519`, ...).
    pub key_type: String,
    /// Leaf first, in the order the server sent them.
    pub certificates: Vec<CertificateReport>,
    /// Trust per store: `mozilla`, `system`, `ca_file` (when given), then
    /// each platform's 2017 snapshot (`macos-2017`, `ios-2017`,
    /// `windows-2017`, `ubuntu-2017`, `android-2.2` ... `android-4.4`).
    pub trust: Vec<TrustReport>,
    /// Each certificate is followed by its issuer.
    pub order_ok: bool,
    /// The chain ends at a self-issued certificate or at one a store trusts
    /// directly (no missing intermediate).
    pub complete: bool,
    /// The leaf is valid for the name the scan checked.
    pub hostname_match: bool,
    pub hostname: String,
    /// An OCSP response was stapled with this chain.
    pub ocsp_stapled: bool,
    /// The certificate judge's one code for this chain (the same code
    /// diagnose gives), or null when it is trusted and valid now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::Code>,
    /// The judge's evidence for `verdict` (e.g. which list of public
    /// intermediates, and its date, holds the missing one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdict_evidence: Vec<String>,
}

/// One certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateReport {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    /// RFC 3339.
    pub not_before: String,
    pub not_after: String,
    pub key_type: String,
    pub key_bits: u32,
    pub curve: Option<String>,
    pub signature_algorithm: String,
    pub sha256_fingerprint: String,
    pub is_ca: bool,
    pub self_issued: bool,
    /// Upper-case hex, like `sha256_fingerprint`.
    #[serde(default)]
    pub sha1_fingerprint: String,
    /// The TLS Feature extension (RFC 7633, 1.3.6.1.5.5.7.1.24) demands
    /// `status_request`: clients must insist on a stapled OCSP response.
    #[serde(default)]
    pub must_staple: bool,
    /// Signed certificate timestamps embedded in the certificate
    /// (1.3.6.1.4.1.11129.2.4.2, RFC 6962 §3.3).
    #[serde(default)]
    pub embedded_scts: u32,
    /// The CT log ID (SHA-256 of the log's key, lower-case hex) of each
    /// embedded SCT, in certificate order.
    #[serde(default)]
    pub sct_log_ids: Vec<String>,
    /// OCSP responder URLs (Authority Information Access, id-ad-ocsp).
    #[serde(default)]
    pub ocsp_urls: Vec<String>,
    /// Where the issuer's certificate can be fetched (AIA caIssuers).
    #[serde(default)]
    pub ca_issuers: Vec<String>,
}

/// Verification against one trust store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustReport {
    pub store: String,
    pub trusted: bool,
    /// `trusted`, `expired`, `not_yet_valid`, `unknown_issuer`, ...
    pub result: String,
}

impl TrustReport {
    /// One of the stores the verdict and grade rest on (`mozilla`, `system`,
    /// `ca_file`), not a platform's dated snapshot (`macos-2017`,
    /// `android-4.4`, ...), which only client simulation reads.
    pub fn is_primary(&self) -> bool {
        matches!(self.store.as_str(), "mozilla" | "system" | "ca_file")
    }
}

/// Optional features. `null` means the scan could not measure it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    /// The protocol the server chose from `h2, http/1.1`.
    pub alpn: Option<String>,
    /// The server hands out session IDs (TLS ≤ 1.2) for resumption.
    pub session_id: Option<bool>,
    /// The server announces session tickets (TLS ≤ 1.2 session_ticket extension).
    pub session_tickets: Option<bool>,
    /// renegotiation_info in the ServerHello (RFC 5746).
    pub secure_renegotiation: Option<bool>,
    /// extended_master_secret (RFC 7627).
    pub extended_master_secret: Option<bool>,
    /// encrypt_then_mac with a CBC suite (RFC 7366).
    pub encrypt_then_mac: Option<bool>,
    /// The server accepted DEFLATE compression (CRIME).
    pub compression: Option<bool>,
    /// The server echoed the heartbeat extension (RFC 6520).
    pub heartbeat: Option<bool>,
    /// A hello below the highest version with TLS_FALLBACK_SCSV got
    /// inappropriate_fallback (RFC 7507).
    pub fallback_scsv: Option<bool>,
    /// The server staples an OCSP response when asked (status_request).
    pub ocsp_stapling: Option<bool>,
    /// The Strict-Transport-Security header over HTTP, when the port speaks HTTP.
    pub hsts: Option<String>,
    /// The HTTP status line, when the port speaks HTTP.
    pub http_status: Option<String>,
    /// Every ALPN protocol the server selected, in its preference order
    /// (offer-and-remove from [`ALPN_CANDIDATES`]); empty when it
    /// ignores ALPN, null when not measured.
    #[serde(default)]
    pub alpn_protocols: Option<Vec<String>>,
    /// A second connection resumed the TLS 1.2 session by its session ID
    /// (RFC 5246 §7.3), no ticket offered. Null when not measured.
    #[serde(default)]
    pub resumption_session_id: Option<bool>,
    /// A second connection resumed with a ticket: a TLS 1.3 PSK (RFC 8446
    /// §2.2) or, when TLS 1.3 is off, a TLS 1.2 session ticket (RFC 5077).
    #[serde(default)]
    pub resumption_tickets: Option<bool>,
    /// The protocol `resumption_tickets` was measured at (`tls1_3`, `tls1_2`).
    #[serde(default)]
    pub resumption_tickets_at: Option<String>,
    /// Security headers of the HTTP reply, when the port speaks HTTP.
    #[serde(default)]
    pub http_headers: Option<HttpHeaders>,
}

/// The ALPN protocols a scan offers (TCP only: no `h3`).
pub const ALPN_CANDIDATES: [&str; 6] = [
    "h2",
    "http/1.1",
    "http/1.0",
    "spdy/3.1",
    "spdy/3",
    "acme-tls/1",
];

/// Security-relevant HTTP response headers, as sent (control characters
/// removed). Null: the header was absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeaders {
    pub strict_transport_security: Option<String>,
    pub content_security_policy: Option<String>,
    pub x_frame_options: Option<String>,
    pub x_content_type_options: Option<String>,
    pub referrer_policy: Option<String>,
    pub permissions_policy: Option<String>,
    /// Obsolete (Certificate Transparency is enforced without it).
    pub expect_ct: Option<String>,
    /// Obsolete and dangerous: HTTP public key pinning (RFC 7469) can lock
    /// visitors out; browsers removed it.
    pub public_key_pins: Option<String>,
    /// Names of obsolete headers present (`expect-ct`, `public-key-pins`,
    /// `public-key-pins-report-only`).
    pub obsolete: Vec<String>,
    /// Names of recommended headers absent (`strict-transport-security`,
    /// `content-security-policy`, `x-content-type-options`, ...).
    pub missing: Vec<String>,
}
