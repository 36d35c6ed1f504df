//! One connection to `tlsdoctor listen`: what the client offered in its
//! ClientHello, how the handshake ended, and what analysis flagged. This is
//! exactly the object `--json-log` writes (one per line) and the JSON report
//! the listener serves, so `compare --client-hello` and `listen --against` can
//! read it back: [`ClientHelloRecord::hello`] keeps the hello's bytes, and the
//! lists use the names the `wire` registries parse back (`from_name`).
//!
//! Everything in here came from the network and may be hostile: render it
//! through a sanitizer. Plain data; no logic beyond small accessors.

use std::net::SocketAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::{Bytes, Code, Negotiated, Severity};

/// What the first bytes of the connection were.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelloFormat {
    /// A TLS record carrying a ClientHello (RFC 8446 §4.1.2).
    Tls,
    /// An SSL 2.0 CLIENT-HELLO, or a TLS hello in the SSLv2-compatible format
    /// (RFC 5246 §E.2).
    Sslv2,
    /// Bytes that are not a TLS or SSL hello (plain HTTP, SSH, garbage).
    NotTls,
    /// The client sent nothing (closed, or the timeout passed).
    None,
}

impl HelloFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            HelloFormat::Tls => "tls",
            HelloFormat::Sslv2 => "sslv2",
            HelloFormat::NotTls => "not_tls",
            HelloFormat::None => "none",
        }
    }
}

/// How the handshake ended: `completed`, or the diagnosis code of why not.
/// Serializes as one string (`"completed"`, `"protocol_mismatch"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeOutcome {
    Completed,
    Failed(Code),
}

impl HandshakeOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            HandshakeOutcome::Completed => "completed",
            HandshakeOutcome::Failed(code) => code.as_str(),
        }
    }

    pub fn is_completed(self) -> bool {
        self == HandshakeOutcome::Completed
    }
}

impl std::fmt::Display for HandshakeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for HandshakeOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HandshakeOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "completed" {
            return Ok(HandshakeOutcome::Completed);
        }
        let code = Code::deserialize(serde::de::value::StrDeserializer::<D::Error>::new(&text))?;
        Ok(HandshakeOutcome::Failed(code))
    }
}

/// One entry of `cipher_suites`, in the client's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedSuite {
    /// The IANA name (`TLS_AES_128_GCM_SHA256`), `GREASE`, an SSL 2.0 cipher
    /// kind (`SSL_CK_RC4_128_WITH_MD5`), or the hex code when unknown.
    pub name: String,
    /// The code point, `0x1301` (six hex digits for SSL 2.0 cipher kinds).
    pub code: String,
    /// An RFC 8701 GREASE value, not a real suite.
    #[serde(default, skip_serializing_if = "is_false")]
    pub grease: bool,
    /// A signalling value, not a real suite (`TLS_EMPTY_RENEGOTIATION_INFO_SCSV`,
    /// `TLS_FALLBACK_SCSV`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub scsv: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A weak, obsolete or suspicious property of a client's hello, found by
/// analysis (`analysis::client_hello`). Codes are stable snake_case strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloFlag {
    pub code: String,
    pub severity: Severity,
    /// One sentence.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// What the listener saw of one connection, before any judgement: how
/// reading the hello ended, and how the handshake did. `analysis::listen`
/// gives the code; the record keeps the event so a log can be judged again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ListenEvent {
    /// The client closed the connection after `bytes` bytes, before its
    /// hello was complete.
    ClosedBeforeHello { bytes: u64 },
    /// No complete hello within `timeout_ms` (`bytes` received).
    HelloTimeout { bytes: u64, timeout_ms: u64 },
    /// The first bytes are not a TLS or SSL hello (`first`: printable text
    /// of them); `http` when they look like an HTTP request.
    NotTls { first: String, http: bool },
    /// TLS framing whose hello does not parse.
    Malformed { why: String },
    /// An SSL 2.0-format hello, which the listener's TLS library refuses.
    Ssl2Hello,
    /// The listener did not start the handshake for lack of capacity.
    Busy { why: String },
    /// The handshake did not finish within `timeout_ms`.
    HandshakeTimeout { timeout_ms: u64 },
    /// The client ended the handshake with this alert (RFC 8446 §6).
    AlertReceived { description: u8 },
    /// The TLS library found nothing in common of this kind.
    Incompatible {
        what: Incompatibility,
        message: String,
    },
    /// The client closed or reset the connection during the handshake.
    ClosedDuringHandshake { message: String },
    /// Any other handshake error, with the library's message.
    Error { message: String },
    /// The handshake completed.
    Completed,
}

/// What the listener's TLS library found missing in the client's offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Incompatibility {
    Versions,
    CipherSuites,
    Groups,
    SignatureSchemes,
    Other,
}

/// One connection to `tlsdoctor listen` (`--json-log` writes one per line).
///
/// Lists keep the client's order. Names: versions as `tls1_2`; suites, groups,
/// signature schemes and extensions by IANA name, `GREASE` for RFC 8701
/// values, `0x%04x` when unknown. `versions` comes from `supported_versions`
/// when sent (GREASE left out), else it is the single `legacy_version`: a
/// TLS ≤ 1.2 hello states only its highest version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHelloRecord {
    pub schema_version: u32,
    /// When the connection was accepted (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub peer: SocketAddr,
    pub format: HelloFormat,
    /// `server_name` (host_name), as sent.
    pub sni: Option<String>,
    /// `legacy_record_version` of the first record.
    pub record_version: Option<String>,
    /// `legacy_version` (`client_version`) of the hello.
    pub legacy_version: Option<String>,
    pub versions: Vec<String>,
    pub cipher_suites: Vec<OfferedSuite>,
    pub compression_methods: Vec<u8>,
    pub groups: Vec<String>,
    /// The groups of the `key_share` entries.
    pub key_shares: Vec<String>,
    pub signature_algorithms: Vec<String>,
    /// ALPN protocol names; a name that is not printable UTF-8 is `0x` + hex.
    pub alpn: Vec<String>,
    /// Extension names in the order sent.
    pub extensions: Vec<String>,
    /// JA3 MD5 (32 hex digits).
    pub ja3: Option<String>,
    /// The JA3 string the hash is taken of.
    pub ja3_string: Option<String>,
    /// JA4 (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
    pub ja4: Option<String>,
    /// JA4_r: the same with the sorted lists instead of hashes.
    pub ja4_r: Option<String>,
    /// `completed`, or the diagnosis code of why the handshake could not complete.
    pub handshake: HandshakeOutcome,
    /// What was seen, which `handshake` judges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<ListenEvent>,
    /// Why, in sentences: the missing overlap, the TLS library's error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handshake_detail: Vec<String>,
    /// What was agreed, when the handshake completed.
    pub negotiated: Option<Negotiated>,
    /// The HTTP `User-Agent`, when the client fetched the page.
    pub user_agent: Option<String>,
    pub flags: Vec<HelloFlag>,
    /// The hello as received: the handshake message (header and body) of a
    /// TLS hello, the record body of an SSLv2 one. Replayable by `compare`.
    pub hello: Option<Bytes>,
    /// The first bytes (at most 64) when they were not a hello.
    pub first_bytes: Option<Bytes>,
    /// From accept to the end of the connection.
    pub elapsed_ms: u64,
    /// With `listen --against`: whether this client could connect to that
    /// server, and if not why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<Compatibility>,
    /// What was cut to keep the record bounded, with the counts
    /// (`cipher_suites: 30000 sent, the first 256 kept`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub truncated: Vec<String>,
}

/// The overlap two sides lack: what the client offers and what the server
/// accepts, by the names the registries use (`tls1_2`, IANA suite names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    /// `versions`, `cipher_suites`, `groups` or `signature_algorithms`.
    pub what: String,
    pub client: Vec<String>,
    pub server: Vec<String>,
}

/// Whether one client can connect to one server: the answer of `compare`
/// (its `--json`, with `server` and `client` added) and `listen --against`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compatibility {
    /// The server judged against (`host:port`).
    pub server: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// What would be negotiated (the version also when a later check fails).
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub group: Option<String>,
    /// The diagnosis code when the handshake would fail.
    pub code: Option<Code>,
    /// One sentence: what is agreed, or why not.
    pub summary: String,
    /// The overlap that is missing, when the two sides cannot agree on a
    /// version, suite, group or signature scheme.
    pub missing: Option<Missing>,
    /// The fix, for each side (lines start `Client:` or `Server:`).
    #[serde(default)]
    pub fix: Vec<String>,
}

impl Compatibility {
    /// True when the client would connect.
    pub fn is_ok(&self) -> bool {
        self.outcome == "ok"
    }
}

impl ClientHelloRecord {
    /// An empty record of a connection from `peer` accepted at `time`.
    pub fn new(time: OffsetDateTime, peer: SocketAddr) -> Self {
        Self {
            schema_version: crate::SCHEMA_VERSION,
            time,
            peer,
            format: HelloFormat::None,
            sni: None,
            record_version: None,
            legacy_version: None,
            versions: Vec::new(),
            cipher_suites: Vec::new(),
            compression_methods: Vec::new(),
            groups: Vec::new(),
            key_shares: Vec::new(),
            signature_algorithms: Vec::new(),
            alpn: Vec::new(),
            extensions: Vec::new(),
            ja3: None,
            ja3_string: None,
            ja4: None,
            ja4_r: None,
            handshake: HandshakeOutcome::Failed(Code::HandshakeReset),
            event: None,
            handshake_detail: Vec::new(),
            negotiated: None,
            user_agent: None,
            flags: Vec::new(),
            hello: None,
            first_bytes: None,
            elapsed_ms: 0,
            against: None,
            truncated: Vec::new(),
        }
    }

    /// The flag with this code, if raised.
    pub fn flag(&self, code: &str) -> Option<&HelloFlag> {
        self.flags.iter().find(|f| f.code == code)
    }

    /// The suite names without GREASE and SCSVs.
    pub fn real_cipher_suites(&self) -> impl Iterator<Item = &OfferedSuite> {
        self.cipher_suites.iter().filter(|s| !s.grease && !s.scsv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_outcome_is_one_string() {
        let v = serde_json::to_value(HandshakeOutcome::Failed(Code::ProtocolMismatch)).unwrap();
        assert_eq!(v, serde_json::json!("protocol_mismatch"));
        let back: HandshakeOutcome = serde_json::from_value(v).unwrap();
        assert_eq!(back, HandshakeOutcome::Failed(Code::ProtocolMismatch));
        let c: HandshakeOutcome = serde_json::from_str("\"completed\"").unwrap();
        assert!(c.is_completed());
        assert!(serde_json::from_str::<HandshakeOutcome>("\"nonsense\"").is_err());
    }

    #[test]
    fn record_round_trips() {
        let mut r = ClientHelloRecord::new(
            OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            "127.0.0.1:5000".parse().unwrap(),
        );
        r.cipher_suites.push(OfferedSuite {
            name: "GREASE".into(),
            code: "0x0a0a".into(),
            grease: true,
            scsv: false,
        });
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["time"], "2023-11-14T22:13:20Z");
        assert_eq!(json["cipher_suites"][0]["grease"], true);
        assert!(json["cipher_suites"][0].get("scsv").is_none());
        let back: ClientHelloRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }
}
