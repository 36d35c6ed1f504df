//! The judgement: the handshake's steps, the diagnoses, the verdict.
//! Field names here are the stable JSON contract (`schema_version` 2; the
//! diagnosis report did not change from 1).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// The steps of a handshake, in the order a client walks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Dns,
    Tcp,
    /// A proxy's tunnel and the STARTTLS dialogue before TLS; absent from
    /// reports on plain TCP.
    Transport,
    ClientHello,
    ServerHello,
    Certificate,
    ClientCertificate,
    Finished,
    /// The first exchange of the application protocol on the same
    /// connection (HTTP for https): many servers refuse only there.
    Application,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::Dns,
        Step::Tcp,
        Step::Transport,
        Step::ClientHello,
        Step::ServerHello,
        Step::Certificate,
        Step::ClientCertificate,
        Step::Finished,
        Step::Application,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Dns => "dns",
            Step::Tcp => "tcp",
            Step::Transport => "transport",
            Step::ClientHello => "client_hello",
            Step::ServerHello => "server_hello",
            Step::Certificate => "certificate",
            Step::ClientCertificate => "client_certificate",
            Step::Finished => "finished",
            Step::Application => "application",
        }
    }

    /// What happens at this step, for people who have never seen a TLS record.
    pub fn describe(self) -> &'static str {
        match self {
            Step::Dns => "look up the server's address",
            Step::Tcp => "open a TCP connection",
            Step::Transport => "through the proxy, then ask the server to switch to TLS (STARTTLS)",
            Step::ClientHello => "client offers versions, ciphers and key exchange groups",
            Step::ServerHello => "server picks one of each",
            Step::Certificate => "client checks the server's certificate",
            Step::ClientCertificate => "server checks the client's certificate",
            Step::Finished => "both sides confirm the keys; encrypted data can flow",
            Step::Application => "client sends its first request (HTTP), server answers",
        }
    }
}

/// How a step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Ok,
    Warning,
    Failed,
    /// An earlier step failed, so this one never happened.
    NotReached,
    /// The step happened but tlsdoctor could not check it.
    NotTested,
    /// The step does not apply (no client certificate was asked for).
    Skipped,
}

/// One step with what was seen there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    pub step: Step,
    pub status: StepStatus,
    pub detail: String,
}

/// The stable diagnosis codes. Never rename one once released; each is
/// documented in `docs/diagnoses.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Code {
    Ok,
    DnsFailed,
    TcpRefused,
    TcpTimeout,
    NotTls,
    HandshakeTimeout,
    HandshakeReset,
    ProtocolViolation,
    ProtocolMismatch,
    CipherMismatch,
    GroupMismatch,
    SigalgMismatch,
    SniRequired,
    ClientCertRequired,
    ClientCertRejected,
    CertExpired,
    CertNotYetValid,
    ClientClockWrong,
    CertHostnameMismatch,
    CertSelfSigned,
    CertUntrustedRoot,
    CertChainIncomplete,
    CertChainOrder,
    CertWeakSignature,
    CertWeakKey,
    CertRevoked,
    OcspStapleStale,
    CertExpiresSoon,
    LegacyProtocolsEnabled,
    WeakDhGroup,
    Intercepted,
    ServerAlert,
    ClosedAfterHandshake,
    MisdirectedRequest,
    /// The certificate's key type matches none of the enabled TLS 1.2 suites.
    CertKeyTypeMismatch,
    /// The server does not offer STARTTLS (not in its capabilities, or the
    /// command is unknown to it): TLS is not configured on this service.
    StarttlsUnsupported,
    /// The server offers STARTTLS but refused the command.
    StarttlsRefused,
    /// The plaintext dialogue before STARTTLS went wrong: another protocol,
    /// a port that speaks TLS from the first byte, silence, a close.
    StarttlsFailed,
    /// The proxy wants credentials, or refused the ones given.
    ProxyAuthRequired,
    /// The proxy refused to open the tunnel (policy, or it could not reach
    /// the target).
    ProxyRefused,
    /// The proxy did not answer as a proxy (wrong port, wrong protocol,
    /// silence, a close).
    ProxyFailed,
    /// The certificate requires an OCSP staple (RFC 7633) and none is sent.
    MustStapleMissing,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Ok => "ok",
            Code::DnsFailed => "dns_failed",
            Code::TcpRefused => "tcp_refused",
            Code::TcpTimeout => "tcp_timeout",
            Code::NotTls => "not_tls",
            Code::HandshakeTimeout => "handshake_timeout",
            Code::HandshakeReset => "handshake_reset",
            Code::ProtocolViolation => "protocol_violation",
            Code::ProtocolMismatch => "protocol_mismatch",
            Code::CipherMismatch => "cipher_mismatch",
            Code::GroupMismatch => "group_mismatch",
            Code::SigalgMismatch => "sigalg_mismatch",
            Code::SniRequired => "sni_required",
            Code::ClientCertRequired => "client_cert_required",
            Code::ClientCertRejected => "client_cert_rejected",
            Code::CertExpired => "cert_expired",
            Code::CertNotYetValid => "cert_not_yet_valid",
            Code::ClientClockWrong => "client_clock_wrong",
            Code::CertHostnameMismatch => "cert_hostname_mismatch",
            Code::CertSelfSigned => "cert_self_signed",
            Code::CertUntrustedRoot => "cert_untrusted_root",
            Code::CertChainIncomplete => "cert_chain_incomplete",
            Code::CertChainOrder => "cert_chain_order",
            Code::CertWeakSignature => "cert_weak_signature",
            Code::CertWeakKey => "cert_weak_key",
            Code::CertRevoked => "cert_revoked",
            Code::OcspStapleStale => "ocsp_staple_stale",
            Code::CertExpiresSoon => "cert_expires_soon",
            Code::LegacyProtocolsEnabled => "legacy_protocols_enabled",
            Code::WeakDhGroup => "weak_dh_group",
            Code::Intercepted => "intercepted",
            Code::ServerAlert => "server_alert",
            Code::ClosedAfterHandshake => "closed_after_handshake",
            Code::MisdirectedRequest => "misdirected_request",
            Code::CertKeyTypeMismatch => "cert_key_type_mismatch",
            Code::StarttlsUnsupported => "starttls_unsupported",
            Code::StarttlsRefused => "starttls_refused",
            Code::StarttlsFailed => "starttls_failed",
            Code::ProxyAuthRequired => "proxy_auth_required",
            Code::ProxyRefused => "proxy_refused",
            Code::ProxyFailed => "proxy_failed",
            Code::MustStapleMissing => "must_staple_missing",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a diagnosis is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    /// The handshake fails (for the chosen client) because of this.
    Error,
}

/// One finding: what is wrong, where, the evidence, and the fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub code: Code,
    pub severity: Severity,
    pub step: Step,
    pub summary: String,
    pub evidence: Vec<String>,
    pub fix: Vec<String>,
}

/// The overall answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Warning,
    Failed,
}

/// The target as it was reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReport {
    pub host: String,
    pub port: u16,
    pub ip: Option<IpAddr>,
    pub sni: Option<String>,
    /// `STARTTLS smtp`, `via http://proxy:3128`: how the server was reached
    /// when not over plain TCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
}

/// What the chosen client and the server agreed on, when they did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiated {
    pub version: String,
    pub cipher_suite: String,
    pub group: Option<String>,
    pub alpn: Option<String>,
}

/// The answer of `diagnose` (`--json` prints exactly this).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub target: TargetReport,
    /// The client profile the handshake was walked as.
    pub client: String,
    pub verdict: Verdict,
    pub failed_step: Option<Step>,
    pub steps: Vec<StepReport>,
    pub negotiated: Option<Negotiated>,
    /// The primary diagnosis first.
    pub diagnoses: Vec<Diagnosis>,
    pub connections: usize,
    pub elapsed_ms: u64,
}

impl Report {
    /// The primary diagnosis' code, or `ok`.
    pub fn primary_code(&self) -> Code {
        self.diagnoses.first().map(|d| d.code).unwrap_or(Code::Ok)
    }
}
