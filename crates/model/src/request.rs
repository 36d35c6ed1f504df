//! What analysis asks the probe layer to find out: one [`ProbeRequest`] is one
//! connection to the target.

use serde::{Deserialize, Serialize};
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// Why a probe was run. Analysis reads observations back by purpose, so the
/// purpose names the question the connection answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub enum Purpose {
    /// The chosen client's own ClientHello, byte for byte as that client sends it.
    ClientHello,
    /// A full handshake (rustls) as the chosen client, recording the chain.
    Handshake,
    /// Does the server accept this protocol version with any suite at all?
    Version { version: ProtocolVersion },
    /// Which suites does the server accept at this version (round `round` of
    /// the offer-and-remove enumeration)?
    Suites { version: ProtocolVersion, round: u16 },
    /// The client's hello with SNI removed or changed.
    Sni { sni: Option<String> },
    /// TLS 1.3 with every known group, to find the server's groups.
    Groups,
    /// TLS 1.3/1.2 with every signature scheme, to find the server's.
    SignatureAlgorithms,
}

/// One connection to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRequest {
    #[serde(flatten)]
    pub purpose: Purpose,
    pub kind: ProbeKind,
}

/// How the connection speaks TLS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProbeKind {
    /// Send one crafted ClientHello (our `wire` builder) and record the
    /// server's first flight. Works for every version and suite, completes
    /// no handshake.
    Hello(HelloSpec),
    /// A real handshake with rustls (TLS 1.2/1.3 only) whose certificate
    /// verifier records the chain instead of judging it, then an HTTP HEAD
    /// to learn the server's clock.
    Handshake(HandshakeSpec),
}

/// Everything that goes into a crafted ClientHello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloSpec {
    /// Versions offered, highest first. TLS 1.3 in the list means the
    /// `supported_versions` extension is sent; otherwise the highest is the
    /// `legacy_version`.
    pub versions: Vec<ProtocolVersion>,
    pub cipher_suites: Vec<CipherSuite>,
    pub groups: Vec<NamedGroup>,
    /// Groups to send key shares for (TLS 1.3).
    pub key_shares: Vec<NamedGroup>,
    pub signature_algorithms: Vec<SignatureScheme>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// Send the extensions a current client sends besides the above
    /// (status_request, SCT, EMS, renegotiation_info, session_ticket, ...).
    pub modern_extensions: bool,
}

/// A full rustls handshake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeSpec {
    pub versions: Vec<ProtocolVersion>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// Present the client certificate the user gave, when the server asks.
    pub client_cert: bool,
    /// After the handshake, send `HEAD /` and record the reply's headers.
    pub http_head: bool,
}
