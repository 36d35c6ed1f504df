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
    /// The chosen client's hello, finished with tlsdoctor's own TLS 1.0-1.2
    /// engine, when the server picks a version or suite rustls cannot run.
    Finish,
    /// Does the server accept this protocol version with any suite at all?
    Version { version: ProtocolVersion },
    /// Which suites does the server accept at this version (round `round` of
    /// the offer-and-remove enumeration)?
    Suites {
        version: ProtocolVersion,
        round: u16,
    },
    /// The client's hello with SNI removed or changed.
    Sni { sni: Option<String> },
    /// TLS 1.3 with every known group, to find the server's groups.
    Groups,
    /// TLS 1.3/1.2 with every signature scheme, to find the server's.
    SignatureAlgorithms,
    /// Scan: the accepted suites offered in reverse order, to learn whether
    /// the server enforces its own preference.
    SuiteOrder { version: ProtocolVersion },
    /// Scan: the whole list reversed, when the first order hello (DHE
    /// suites last) could not tell: the server accepts a single suite other
    /// than DHE ones.
    SuiteOrderFull { version: ProtocolVersion },
    /// Scan: once the server is seen to follow the client's order, the
    /// suites not yet accepted are split into parts enumerated side by side
    /// (round `round` of part `part`'s offer-and-remove), so the rounds do
    /// not grow with the number of accepted suites.
    SuitePart {
        version: ProtocolVersion,
        part: u8,
        round: u16,
    },
    /// Scan: recovering the server's full suite order by offering the
    /// remaining accepted suites (only when enumeration had to be chunked).
    SuiteOrderRound {
        version: ProtocolVersion,
        round: u16,
    },
    /// Scan: which groups the server accepts at this version (offer and remove).
    ScanGroups {
        version: ProtocolVersion,
        round: u16,
    },
    /// Scan: the groups offered in reverse order (server preference?).
    GroupOrder { version: ProtocolVersion },
    /// Scan: which signature schemes the server signs with (TLS 1.2 offer and remove).
    ScanSignatures { round: u16 },
    /// Scan: the server's DHE parameters.
    DhParams,
    /// Scan: a hello without SNI, for the default certificate.
    NoSni,
    /// Scan: a hello asking for one certificate type (`rsa`, `ecdsa`).
    /// Written as `key_type`: the purpose is flattened into
    /// [`ProbeRequest`], whose own `kind` would otherwise appear twice and
    /// make saved observations unreadable.
    CertificateKind {
        #[serde(rename = "key_type")]
        kind: String,
    },
    /// Scan: a hello probing optional features (`extensions`, `encrypt_then_mac`,
    /// `fallback_scsv`).
    Feature { name: String },
    /// Scan: a known-vulnerability check that needs its own connection
    /// (`heartbleed`, `ccs_injection`, `robot:correct`, `ticketbleed`).
    Vulnerability { name: String },
    /// Fetch the certificate a chain's top certificate names as its issuer
    /// (Authority Information Access caIssuers), as browsers do, to tell a
    /// missing intermediate from an untrusted root.
    Issuer { url: String },
    /// Ask the leaf's CA whether it is revoked: its OCSP responder or its
    /// CRL, at this URL (the certificate's AIA or CRL distribution point).
    Revocation { url: String },
    /// Scan: the DNS CAA records that govern the target's name.
    Caa,
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
    /// Send an SSL 2.0 CLIENT-HELLO offering these cipher specs and record the
    /// SERVER-HELLO (or what came instead).
    Ssl2 { cipher_specs: Vec<u32> },
    /// A crafted hello, then one more message after the server's first
    /// flight, to reveal a known vulnerability (safely; see [`crate::VulnProbe`]).
    Vulnerability(crate::VulnProbe),
    /// `GET` an `http://` URL from a certificate's caIssuers (not the
    /// target: the CA's server), bounded in size and time, no redirects.
    FetchIssuer { url: String },
    /// `POST` this OCSP request (RFC 6960 §4.1, `application/ocsp-request`)
    /// to the `http://` responder a certificate names (AIA id-ad-ocsp);
    /// bounded like [`ProbeKind::FetchIssuer`].
    FetchOcsp { url: String, request: crate::Bytes },
    /// `GET` the CRL at an `http://` distribution point a certificate names
    /// (RFC 5280 §4.2.1.13), at most 4 MiB.
    FetchCrl { url: String },
    /// Look up CAA records (RFC 8659) for `name`, climbing to its parents
    /// until a name has some; no connection to the target.
    LookupCaa { name: String },
    /// Send this crafted ClientHello and complete the TLS 1.0-1.2 handshake
    /// the server chooses with tlsdoctor's own engine (`wire::tls12`: RSA,
    /// DHE, ECDHE key exchange; AES-CBC, AES-GCM, ChaCha20-Poly1305 records),
    /// recording whether the server's Finished verified.
    Finish(HelloSpec),
}

/// Everything that goes into a crafted ClientHello. Fields added after the
/// first release default, so build specs with `..Default::default()`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Append TLS_FALLBACK_SCSV (RFC 7507) to the suites.
    #[serde(default)]
    pub fallback_scsv: bool,
    /// Compression methods to offer; empty means just null (0).
    #[serde(default)]
    pub compression_methods: Vec<u8>,
    /// Send the heartbeat extension (RFC 6520, peer_allowed_to_send).
    #[serde(default)]
    pub heartbeat: bool,
    /// Send encrypt_then_mac (RFC 7366).
    #[serde(default)]
    pub encrypt_then_mac: bool,
}

/// A full rustls handshake. Fields added after the first release default,
/// so build specs with `..Default::default()`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeSpec {
    pub versions: Vec<ProtocolVersion>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// Present the client certificate the user gave, when the server asks.
    pub client_cert: bool,
    /// After the handshake, send `HEAD /` (or `GET /`, see `http_get`) on the
    /// same connection and record the answer (the application step).
    pub http_head: bool,
    /// Send `GET /` instead of `HEAD /` (some servers, `openssl s_server
    /// -www` among them, answer only GET; nginx names a client-certificate
    /// refusal only in the body). At most 4 KiB of the body is read.
    #[serde(default)]
    pub http_get: bool,
    /// Wait at most this long for the HTTP reply (default: the probe timeout).
    #[serde(default)]
    pub http_timeout_ms: Option<u64>,
    /// Offer only the signature schemes of this key type (`rsa`, `ecdsa`,
    /// `eddsa`), so a server holding several keys must show that one's
    /// chain (TLS 1.3 picks the certificate by signature_algorithms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// Handshake twice, on two connections, with one client session store,
    /// and record whether the second handshake resumed the first session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
}

/// How a resumption probe offers the first session back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resume {
    /// TLS 1.2 session ID only (no session_ticket extension).
    SessionId,
    /// Tickets: TLS 1.3 PSK, or TLS 1.2 session tickets (RFC 5077).
    Tickets,
}

#[cfg(test)]
mod serde_tests {
    use super::*;

    #[test]
    fn a_certificate_kind_request_reads_back() {
        let request = ProbeRequest {
            purpose: Purpose::CertificateKind { kind: "rsa".into() },
            kind: ProbeKind::Ssl2 {
                cipher_specs: vec![],
            },
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            serde_json::from_str::<ProbeRequest>(&json).unwrap(),
            request
        );
    }
}
