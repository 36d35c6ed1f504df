//! What the network showed. Observations never hold a verdict: "the server
//! sent alert 70" is an observation; "protocol mismatch" is analysis.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use wire::registry::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

use crate::{Bytes, ProbeRequest, Purpose, Target};

/// Everything recorded while diagnosing or scanning one target.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Observations {
    pub target: Option<Target>,
    pub dns: Option<DnsObservation>,
    pub probes: Vec<ProbeRecord>,
    /// What the scan engine noted about the run itself (connections that
    /// kept failing, the deadline): reported under `incomplete`, and kept
    /// here so that a replay gives the same report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The scan stopped at its deadline (its grade is provisional).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deadline_passed: bool,
    /// How long the scan took (a replay reports the scan's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

impl Observations {
    pub fn new(target: Target) -> Self {
        Self {
            target: Some(target),
            ..Self::default()
        }
    }

    /// The first probe run for this purpose.
    pub fn probe(&self, purpose: &Purpose) -> Option<&ProbeRecord> {
        self.probes.iter().find(|p| &p.request.purpose == purpose)
    }

    /// Whether a probe for this purpose has run.
    pub fn has(&self, purpose: &Purpose) -> bool {
        self.probe(purpose).is_some()
    }

    /// How many TCP connections were attempted (a resumption probe makes two).
    pub fn connections(&self) -> usize {
        let second = |p: &&ProbeRecord| {
            p.handshake
                .as_ref()
                .and_then(|h| h.resumption.as_ref())
                .is_some_and(|r| r.second_connection)
        };
        self.probes.iter().filter(|p| p.ip.is_some()).count()
            + self.probes.iter().filter(second).count()
    }
}

/// Name resolution.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DnsObservation {
    /// True when no look-up was needed (an IP literal or `--connect-to`).
    pub skipped: bool,
    pub addresses: Vec<IpAddr>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
    /// The DNS server asked (`--resolver`); `None` for the system resolver.
    #[serde(default)]
    pub resolver: Option<String>,
}

/// One connection: what was asked and what came back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProbeRecord {
    pub request: ProbeRequest,
    /// The address connected to (`None` when there was none to try).
    pub ip: Option<IpAddr>,
    pub tcp: TcpOutcome,
    /// The proxy and STARTTLS dialogues before TLS (absent on plain TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<crate::TransportObservation>,
    /// The server's plaintext reply as parsed by `wire`: the whole first
    /// flight for a crafted hello, the unencrypted part for a handshake.
    pub flight: Option<ServerFlight>,
    /// Present for [`crate::ProbeKind::Handshake`] probes that got past TCP.
    pub handshake: Option<HandshakeObservation>,
    /// Present for [`crate::ProbeKind::FetchIssuer`] probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<FetchObservation>,
    /// Present for [`crate::ProbeKind::LookupCaa`] probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caa: Option<CaaObservation>,
    pub elapsed_ms: u64,
}

/// CAA look-ups (RFC 8659 §3): the name, then each parent, until one has
/// CAA records, a look-up fails, or the top-level domain is reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaObservation {
    pub lookups: Vec<CaaLookup>,
    /// Why nothing was asked (a special-use name and no `--resolver`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The DNS server asked (`--resolver`); `None` for the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolver: Option<String>,
}

/// One CAA query and its answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaLookup {
    pub name: String,
    /// The records (empty: the name has none, NXDOMAIN or NODATA).
    pub records: Vec<CaaRecord>,
    /// The look-up failed (SERVFAIL, timeout): nothing is known from here up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One CAA resource record (RFC 8659 §4.1), as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaaRecord {
    pub flags: u8,
    pub tag: String,
    /// The value as text (lossy UTF-8, at most 255 bytes kept).
    pub value: String,
}

/// An HTTP fetch of a CA certificate (AIA caIssuers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchObservation {
    pub url: String,
    pub status_line: Option<String>,
    pub content_type: Option<String>,
    /// The body (at most 64 KiB): DER, PEM or PKCS#7 as the CA serves it.
    pub body: Bytes,
    pub error: Option<String>,
    /// Addresses of the URL's host that the outbound-request policy refused
    /// (loopback, private, link-local, ... when the target is not), with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// The TCP connection attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TcpOutcome {
    Connected {
        elapsed_ms: u64,
    },
    Refused {
        message: String,
    },
    Timeout {
        after_ms: u64,
    },
    Unreachable {
        message: String,
    },
    Error {
        message: String,
    },
    /// Not attempted (DNS failed first).
    NotAttempted,
}

impl TcpOutcome {
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }
}

/// The server's first flight, parsed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServerFlight {
    /// The first bytes the server sent (at most 64), to recognise non-TLS
    /// protocols such as HTTP or SSH.
    pub first_bytes: Bytes,
    pub bytes_received: u64,
    pub server_hello: Option<ServerHelloObservation>,
    /// The group a HelloRetryRequest asked for.
    pub hello_retry_group: Option<NamedGroup>,
    /// The cipher suite a HelloRetryRequest chose.
    #[serde(default)]
    pub hello_retry_suite: Option<CipherSuite>,
    /// An SSL 2.0 SERVER-HELLO.
    #[serde(default)]
    pub ssl2: Option<Ssl2ServerHelloObservation>,
    /// DER certificates in the order the server sent them (TLS ≤ 1.2; TLS
    /// 1.3 encrypts them, see [`HandshakeObservation::chain`]).
    pub certificates: Vec<Bytes>,
    pub key_exchange: Option<KeyExchangeObservation>,
    pub certificate_request: Option<CertificateRequestObservation>,
    pub ocsp_staple: Option<Bytes>,
    pub alerts: Vec<AlertObservation>,
    /// Records after the TLS 1.3 ServerHello (encrypted; counted, not read).
    pub encrypted_records: u32,
    pub end: FlightEnd,
    /// What the server did after the follow-up message of a
    /// [`crate::ProbeKind::Vulnerability`] probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<crate::FollowUpObservation>,
}

impl ServerFlight {
    /// The first fatal alert, or failing that the first alert.
    pub fn alert(&self) -> Option<&AlertObservation> {
        self.alerts
            .iter()
            .find(|a| a.level == 2)
            .or_else(|| self.alerts.first())
    }
}

/// How reading the server's first flight ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub enum FlightEnd {
    /// ServerHelloDone, or the first encrypted TLS 1.3 record.
    Complete,
    /// A fatal alert.
    Alert,
    /// The server closed the connection without an alert.
    Closed,
    /// The connection was reset (RST).
    Reset,
    /// Nothing (more) arrived before the deadline.
    #[default]
    Timeout,
    /// The reply is not TLS at all.
    NotTls,
    /// TLS framing that breaks the protocol's rules (an oversized record,
    /// a 16 MiB handshake message, an unparseable ServerHello).
    Malformed { message: String },
}

/// An SSL 2.0 SERVER-HELLO: the server lists every cipher spec it shares
/// with the client's offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ssl2ServerHelloObservation {
    pub version: ProtocolVersion,
    /// SSL 2.0 cipher kinds (3-byte code points).
    pub cipher_specs: Vec<u32>,
    /// The server's X.509 certificate (DER), when it sent one.
    pub certificate: Option<Bytes>,
}

/// The parts of a ServerHello analysis needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerHelloObservation {
    /// The negotiated version (supported_versions when present).
    pub version: ProtocolVersion,
    pub cipher_suite: CipherSuite,
    /// TLS 1.3 key_share group.
    pub group: Option<NamedGroup>,
    pub extensions: Vec<ExtensionType>,
    pub alpn: Option<String>,
    /// The RFC 8446 §4.1.3 downgrade sentinel in the random, if any
    /// (`tls1_2` or `tls1_1_or_below`).
    pub downgrade_sentinel: Option<String>,
    pub compression: u8,
    pub session_id_len: u8,
}

/// ServerKeyExchange parameters (TLS ≤ 1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyExchangeObservation {
    /// `dhe` or `ecdhe`.
    pub kind: String,
    pub group: Option<NamedGroup>,
    pub dh_prime_bits: Option<u32>,
    pub dh_prime: Option<Bytes>,
    pub dh_generator: Option<Bytes>,
    pub signature_scheme: Option<SignatureScheme>,
}

/// A CertificateRequest: the server wants a client certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRequestObservation {
    /// DER-encoded distinguished names of the CAs the server accepts.
    pub ca_names: Vec<Bytes>,
    pub signature_schemes: Vec<SignatureScheme>,
}

/// One alert record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertObservation {
    /// 1 warning, 2 fatal.
    pub level: u8,
    pub description: u8,
}

/// A full rustls handshake.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HandshakeObservation {
    pub completed: bool,
    pub version: Option<ProtocolVersion>,
    pub cipher_suite: Option<CipherSuite>,
    pub group: Option<NamedGroup>,
    pub alpn: Option<String>,
    pub error: Option<HandshakeError>,
    /// The chain as presented (leaf first), recorded by the verifier, which
    /// accepts every chain so the handshake can go on to teach us more.
    pub chain: Vec<Bytes>,
    pub ocsp_staple: Option<Bytes>,
    /// The server asked for a client certificate.
    pub client_cert_request: Option<CertificateRequestObservation>,
    pub client_cert_sent: bool,
    pub http: Option<HttpObservation>,
    /// For STARTTLS targets, the protocol's first command after the
    /// handshake, instead of HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<crate::StageObservation>,
    /// Present for resumption probes ([`crate::HandshakeSpec::resume`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumption: Option<ResumptionObservation>,
}

/// The second handshake of a resumption probe.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumptionObservation {
    /// The first handshake left something to resume with (a TLS 1.2 session
    /// ID or ticket, or a TLS 1.3 ticket arrived before the deadline).
    pub session_stored: bool,
    /// A second TCP connection was attempted.
    pub second_connection: bool,
    /// The second handshake completed.
    pub completed: bool,
    /// The second handshake was abbreviated (rustls `HandshakeKind::Resumed`).
    pub resumed: bool,
    pub version: Option<ProtocolVersion>,
    pub error: Option<HandshakeError>,
}

/// Why a handshake did not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HandshakeError {
    /// The server sent this fatal alert.
    AlertReceived {
        description: u8,
    },
    /// The server closed the connection without an alert.
    Closed,
    Reset,
    Timeout {
        after_ms: u64,
    },
    /// The reply was not TLS.
    NotTls,
    /// The server broke the protocol; rustls's message says how.
    Protocol {
        message: String,
    },
    /// Anything else, with the library's message.
    Other {
        message: String,
    },
    /// The server chose something the handshake engine does not implement
    /// (a suite family, a version, a group): nothing is known about whether
    /// the handshake would finish.
    Unsupported {
        what: String,
    },
}

/// The reply to `GET /` (or `HEAD /`) over the established connection:
/// the first exchange of the application protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpObservation {
    pub status_line: Option<String>,
    /// The `Date` header: the server's clock.
    pub date: Option<String>,
    pub server: Option<String>,
    pub strict_transport_security: Option<String>,
    pub error: Option<String>,
    #[serde(default)]
    pub content_security_policy: Option<String>,
    #[serde(default)]
    pub x_frame_options: Option<String>,
    #[serde(default)]
    pub x_content_type_options: Option<String>,
    #[serde(default)]
    pub referrer_policy: Option<String>,
    #[serde(default)]
    pub permissions_policy: Option<String>,
    #[serde(default)]
    pub expect_ct: Option<String>,
    #[serde(default)]
    pub public_key_pins: Option<String>,
    #[serde(default)]
    pub public_key_pins_report_only: Option<String>,
    /// What was sent, for the evidence: `GET / HTTP/1.1 (Host: localhost:8443)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The status code of the status line, when it parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The first bytes of the body (at most 4 KiB, de-chunked), as text
    /// without control characters: nginx names a client-certificate
    /// refusal only there (`400 No required SSL certificate was sent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// How the connection ended while the answer was read, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<ConnectionEnd>,
    /// Milliseconds from the end of the handshake to the status line (or,
    /// without one, to the end of reading).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
    /// After a TLS 1.2 handshake the server sent another handshake record:
    /// a HelloRequest, asking to renegotiate (Apache asks for a
    /// per-directory client certificate this way). tlsdoctor declines.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renegotiation_requested: bool,
}

/// How a connection ended after the handshake, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub enum ConnectionEnd {
    /// The server sent close_notify, then closed.
    CloseNotify { after_ms: u64 },
    /// TCP closed (FIN) without close_notify.
    Closed { after_ms: u64 },
    /// TCP reset (RST), or the write of the request failed.
    Reset { after_ms: u64 },
    /// A fatal TLS alert with this description.
    Alert { description: u8, after_ms: u64 },
    /// Still open, silent, when the deadline passed.
    Timeout { after_ms: u64 },
}

impl ConnectionEnd {
    /// Milliseconds after the handshake.
    pub fn after_ms(&self) -> u64 {
        match self {
            Self::CloseNotify { after_ms }
            | Self::Closed { after_ms }
            | Self::Reset { after_ms }
            | Self::Alert { after_ms, .. }
            | Self::Timeout { after_ms } => *after_ms,
        }
    }
}
