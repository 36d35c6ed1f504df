//! Known vulnerabilities: the verdict of each check in a scan report, the
//! probes that need more than one flight to find them, and what those probes
//! saw. Field names here are the stable JSON contract (`vulnerabilities.NAME`).

use serde::{Deserialize, Serialize};

use wire::registry::{CipherSuite, ProtocolVersion};

use crate::{AlertObservation, Bytes, ConnectionEnd, FlightEnd, HandshakeError, HelloSpec};

/// The verdict of one check. A check that could not run says
/// [`VulnStatus::NotTested`] with the reason, never `NotVulnerable`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VulnStatus {
    /// Observed: the server answered a probe as only a vulnerable one does,
    /// or accepts what the check names (SSL 3.0 with CBC, RC4, ...).
    Vulnerable,
    /// Observed, or inferred from a complete enumeration.
    NotVulnerable,
    /// A heuristic points at it (CBC accepted: LUCKY13; TLS 1.0 CBC: BEAST)
    /// but no probe can tell: `evidence` says what it rests on and
    /// `settled_by` what would settle it. Never caps the grade.
    PotentiallyVulnerable,
    #[default]
    NotTested,
}

/// What a verdict rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VulnBasis {
    /// A probe's answer, or a handshake the server completed.
    Observed,
    /// The absence of something in a complete enumeration (every suite of
    /// every version the server speaks, no protocol unknown).
    Inferred,
    /// A rule of thumb that no probe confirms.
    Heuristic,
}

impl VulnStatus {
    /// The stable name (`vulnerable`, `not_vulnerable`,
    /// `potentially_vulnerable`, `not_tested`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vulnerable => "vulnerable",
            Self::NotVulnerable => "not_vulnerable",
            Self::PotentiallyVulnerable => "potentially_vulnerable",
            Self::NotTested => "not_tested",
        }
    }
}

/// One check: the verdict, what showed it, and what it means.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnCheck {
    pub status: VulnStatus,
    /// What the verdict rests on; null for `not_tested`.
    #[serde(default)]
    pub basis: Option<VulnBasis>,
    /// What the scan saw that led to the verdict (or why it could not test).
    pub evidence: String,
    /// For `potentially_vulnerable` (and some `not_tested`): the test that
    /// would settle the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
    /// What the vulnerability is and what an attacker sees (one paragraph).
    pub explanation: String,
    /// How to fix it (configuration lines for nginx, Apache, HAProxy where relevant).
    pub fix: String,
}

/// Every check, by its stable name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerabilities {
    pub heartbleed: VulnCheck,
    pub ccs_injection: VulnCheck,
    pub robot: VulnCheck,
    pub poodle_ssl3: VulnCheck,
    pub beast: VulnCheck,
    pub sweet32: VulnCheck,
    pub freak: VulnCheck,
    pub logjam: VulnCheck,
    pub drown: VulnCheck,
    pub crime: VulnCheck,
    pub ticketbleed: VulnCheck,
    pub insecure_renegotiation: VulnCheck,
    pub client_renegotiation: VulnCheck,
    pub fallback_scsv: VulnCheck,
    pub rc4: VulnCheck,
    pub lucky13: VulnCheck,
    /// Absent from reports saved before the check existed: `not_tested`.
    #[serde(default)]
    pub starttls_injection: VulnCheck,
}

/// The typed identity of one check. Its [`VulnId::as_str`] is the check's
/// field name in [`Vulnerabilities`] (the JSON key `vulnerabilities.NAME`),
/// so code that picks a check by id cannot misspell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VulnId {
    Heartbleed,
    CcsInjection,
    Robot,
    PoodleSsl3,
    Beast,
    Sweet32,
    Freak,
    Logjam,
    Drown,
    Crime,
    Ticketbleed,
    InsecureRenegotiation,
    ClientRenegotiation,
    FallbackScsv,
    Rc4,
    Lucky13,
    #[serde(rename = "starttls_injection")]
    StartTlsInjection,
}

impl VulnId {
    /// Every check, in report order.
    pub const ALL: [VulnId; 17] = [
        Self::Heartbleed,
        Self::CcsInjection,
        Self::Robot,
        Self::PoodleSsl3,
        Self::Beast,
        Self::Sweet32,
        Self::Freak,
        Self::Logjam,
        Self::Drown,
        Self::Crime,
        Self::Ticketbleed,
        Self::InsecureRenegotiation,
        Self::ClientRenegotiation,
        Self::FallbackScsv,
        Self::Rc4,
        Self::Lucky13,
        Self::StartTlsInjection,
    ];

    /// The stable name (the JSON key).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Heartbleed => "heartbleed",
            Self::CcsInjection => "ccs_injection",
            Self::Robot => "robot",
            Self::PoodleSsl3 => "poodle_ssl3",
            Self::Beast => "beast",
            Self::Sweet32 => "sweet32",
            Self::Freak => "freak",
            Self::Logjam => "logjam",
            Self::Drown => "drown",
            Self::Crime => "crime",
            Self::Ticketbleed => "ticketbleed",
            Self::InsecureRenegotiation => "insecure_renegotiation",
            Self::ClientRenegotiation => "client_renegotiation",
            Self::FallbackScsv => "fallback_scsv",
            Self::Rc4 => "rc4",
            Self::Lucky13 => "lucky13",
            Self::StartTlsInjection => "starttls_injection",
        }
    }

    /// The check called `name` (its stable name), if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|id| id.as_str() == name)
    }
}

impl std::fmt::Display for VulnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Vulnerabilities {
    /// `(id, check)` in report order.
    pub fn iter(&self) -> impl Iterator<Item = (VulnId, &VulnCheck)> {
        VulnId::ALL.into_iter().map(move |id| (id, self.get(id)))
    }

    /// The check `id`.
    pub fn get(&self, id: VulnId) -> &VulnCheck {
        match id {
            VulnId::Heartbleed => &self.heartbleed,
            VulnId::CcsInjection => &self.ccs_injection,
            VulnId::Robot => &self.robot,
            VulnId::PoodleSsl3 => &self.poodle_ssl3,
            VulnId::Beast => &self.beast,
            VulnId::Sweet32 => &self.sweet32,
            VulnId::Freak => &self.freak,
            VulnId::Logjam => &self.logjam,
            VulnId::Drown => &self.drown,
            VulnId::Crime => &self.crime,
            VulnId::Ticketbleed => &self.ticketbleed,
            VulnId::InsecureRenegotiation => &self.insecure_renegotiation,
            VulnId::ClientRenegotiation => &self.client_renegotiation,
            VulnId::FallbackScsv => &self.fallback_scsv,
            VulnId::Rc4 => &self.rc4,
            VulnId::Lucky13 => &self.lucky13,
            VulnId::StartTlsInjection => &self.starttls_injection,
        }
    }

    /// The check `id`, to fill in.
    pub fn get_mut(&mut self, id: VulnId) -> &mut VulnCheck {
        match id {
            VulnId::Heartbleed => &mut self.heartbleed,
            VulnId::CcsInjection => &mut self.ccs_injection,
            VulnId::Robot => &mut self.robot,
            VulnId::PoodleSsl3 => &mut self.poodle_ssl3,
            VulnId::Beast => &mut self.beast,
            VulnId::Sweet32 => &mut self.sweet32,
            VulnId::Freak => &mut self.freak,
            VulnId::Logjam => &mut self.logjam,
            VulnId::Drown => &mut self.drown,
            VulnId::Crime => &mut self.crime,
            VulnId::Ticketbleed => &mut self.ticketbleed,
            VulnId::InsecureRenegotiation => &mut self.insecure_renegotiation,
            VulnId::ClientRenegotiation => &mut self.client_renegotiation,
            VulnId::FallbackScsv => &mut self.fallback_scsv,
            VulnId::Rc4 => &mut self.rc4,
            VulnId::Lucky13 => &mut self.lucky13,
            VulnId::StartTlsInjection => &mut self.starttls_injection,
        }
    }

    /// The checks that found the server vulnerable.
    pub fn vulnerable(&self) -> Vec<VulnId> {
        self.iter()
            .filter(|(_, c)| c.status == VulnStatus::Vulnerable)
            .map(|(id, _)| id)
            .collect()
    }
}

#[cfg(test)]
mod id_tests {
    use super::*;

    /// Each id's name is the JSON key of its field, in report order.
    #[test]
    fn ids_name_the_json_fields_in_order() {
        let mut v = Vulnerabilities::default();
        for (i, id) in VulnId::ALL.into_iter().enumerate() {
            v.get_mut(id).evidence = i.to_string();
        }
        let json = serde_json::to_value(&v).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut names: Vec<&str> = VulnId::ALL.iter().map(|id| id.as_str()).collect();
        names.sort();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, names);
        for (i, id) in VulnId::ALL.into_iter().enumerate() {
            assert_eq!(json[id.as_str()]["evidence"], i.to_string());
            assert_eq!(VulnId::from_name(id.as_str()), Some(id));
            assert_eq!(serde_json::to_value(id).unwrap(), id.as_str());
        }
    }
}

/// A probe that sends a crafted hello, reads the server's first flight and
/// then sends one more message chosen to reveal a known bug. Every follow-up
/// is safe: it asks a question a vulnerable server answers differently, and
/// never sends traffic designed to crash a server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "follow_up", rename_all = "snake_case")]
pub enum VulnProbe {
    /// Heartbleed (CVE-2014-0160): after the first flight, a heartbeat request
    /// (RFC 6520) whose `payload_length` claims more than the payload sent.
    /// A patched server discards it silently; a vulnerable one answers with
    /// `payload_length` bytes, the rest taken from its memory.
    Heartbeat {
        hello: HelloSpec,
        payload: Vec<u8>,
        payload_length: u16,
    },
    /// CCS injection (CVE-2014-0224): a ChangeCipherSpec right after
    /// ServerHelloDone, before any ClientKeyExchange; when the server stays
    /// quiet, one more (garbage) handshake record.
    EarlyCcs { hello: HelloSpec },
    /// ROBOT: a ClientKeyExchange with a premaster secret encrypted to the
    /// server's RSA key (textbook RSA over a PKCS#1 block built as `padding`
    /// says), then ChangeCipherSpec and a garbage Finished.
    RsaPadding {
        hello: HelloSpec,
        padding: RsaPadding,
    },
    /// Ticketbleed (CVE-2016-9244): a TLS 1.2 handshake (rustls) to obtain a
    /// session ticket, then a hello resuming with that ticket and this short
    /// session ID. When no ticket can be obtained a made-up one is sent.
    TicketEcho {
        hello: HelloSpec,
        session_id: Vec<u8>,
    },
    /// Client-initiated renegotiation: a complete TLS 1.2 ECDHE/AES-GCM
    /// handshake (tlsdoctor's own minimal client), then, under encryption, a
    /// new ClientHello whose renegotiation_info carries the client's
    /// verify_data (RFC 5746 §3.5). The first handshake offers the hello's
    /// suites and groups that client can run; the renegotiation hello, which
    /// is never completed, offers every suite of the hello in its order.
    Renegotiate { hello: HelloSpec },
    /// STARTTLS command injection (CVE-2011-0411 and its kin): the STARTTLS
    /// dialogue sends its upgrade command with `command` appended in the
    /// same write, as a man in the middle would; after the server's
    /// go-ahead, a TLS 1.2/1.3 handshake (rustls, offering `sni`), then a
    /// bounded wait for whatever the server sends without being asked. Only
    /// for a target reached through a line-based STARTTLS dialogue.
    #[serde(rename = "starttls_injection")]
    StartTlsInjection {
        command: String,
        sni: Option<String>,
    },
}

impl VulnProbe {
    /// The crafted hello the probe starts with; `None` for the STARTTLS
    /// injection probe, whose handshake is rustls's.
    pub fn hello(&self) -> Option<&HelloSpec> {
        match self {
            Self::Heartbeat { hello, .. }
            | Self::EarlyCcs { hello }
            | Self::RsaPadding { hello, .. }
            | Self::TicketEcho { hello, .. }
            | Self::Renegotiate { hello } => Some(hello),
            Self::StartTlsInjection { .. } => None,
        }
    }

    /// The SNI the probe's hello carries.
    pub fn sni(&self) -> Option<&str> {
        match self {
            Self::StartTlsInjection { sni, .. } => sni.as_deref(),
            other => other.hello().and_then(|h| h.sni.as_deref()),
        }
    }
}

/// How the PKCS#1 v1.5 block of a ROBOT ClientKeyExchange is built
/// (the five variants of the ROBOT paper, §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RsaPadding {
    /// `00 02 PS 00 version random[46]`: a valid block.
    Correct,
    /// `41 17 ...`: the first two bytes are wrong.
    WrongFirstBytes,
    /// `00 02 PS 00 ...` with the 00 separator in the middle of the premaster
    /// (the unpadded secret is shorter than 48 bytes).
    ZeroInWrongPlace,
    /// `00 02 PS` with no 00 separator at all.
    NoZeroSeparator,
    /// A valid block carrying a premaster with the wrong version (02 02).
    WrongVersion,
}

impl RsaPadding {
    /// Every variant, the valid one first.
    pub const ALL: [RsaPadding; 5] = [
        Self::Correct,
        Self::WrongFirstBytes,
        Self::ZeroInWrongPlace,
        Self::NoZeroSeparator,
        Self::WrongVersion,
    ];

    /// A stable name (`correct`, `wrong_first_bytes`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Correct => "correct",
            Self::WrongFirstBytes => "wrong_first_bytes",
            Self::ZeroInWrongPlace => "zero_in_wrong_place",
            Self::NoZeroSeparator => "no_zero_separator",
            Self::WrongVersion => "wrong_version",
        }
    }
}

/// What the server did after a [`VulnProbe`]'s follow-up message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpObservation {
    /// What the probe sent after the first flight, in order
    /// (`heartbeat_request`, `change_cipher_spec`, `client_key_exchange`, ...),
    /// empty when it never got that far.
    pub sent: Vec<String>,
    /// Why the follow-up was not sent (no ServerHello, no RSA key, ...).
    pub skipped: Option<String>,
    /// Alerts after the follow-up.
    pub alerts: Vec<AlertObservation>,
    /// Heartbeat responses after the follow-up.
    pub heartbeats: Vec<HeartbeatObservation>,
    /// Other records after the follow-up, by content type name and length.
    pub records: Vec<String>,
    /// How the connection ended after the follow-up (`timeout`: it stayed open
    /// and silent until the deadline).
    pub end: FlightEnd,
    /// Bytes the server sent after the follow-up.
    pub bytes_received: u64,
    /// Ticketbleed: the session ID of the ServerHello that answered the
    /// resumption hello.
    pub session_id: Option<Bytes>,
    /// Ticketbleed: the server resumed (ServerHello then ChangeCipherSpec,
    /// no Certificate).
    pub resumed: Option<bool>,
    /// Ticketbleed: true when the ticket came from the server's own
    /// NewSessionTicket, false when it was made up; with the reason.
    pub ticket_from_server: Option<bool>,
    pub ticket_note: Option<String>,
    /// Client renegotiation: the first handshake completed and the server's
    /// encrypted Finished decrypted and verified (false: it did not get that
    /// far; see `skipped`).
    pub established: Option<bool>,
    /// Client renegotiation: the handshake messages the server sent (decrypted)
    /// after the renegotiation ClientHello, by RFC 5246 HandshakeType code
    /// (2: ServerHello).
    pub handshake_after: Vec<u8>,
    /// STARTTLS injection: what came after the server's go-ahead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injection: Option<InjectionObservation>,
}

/// What the STARTTLS injection probe saw after the server's go-ahead. The
/// dialogue before it (the lines sent, the upgrade command and the
/// injected line in one write, and the server's answer) is the record's
/// transport stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectionObservation {
    /// The injected command line (without its CR LF).
    pub injected: String,
    /// What the server sent in plaintext after its go-ahead, before the
    /// ClientHello, line by line as printable text (bounded).
    pub before_tls: Vec<String>,
    /// How the TLS handshake after the go-ahead went.
    pub handshake: InjectionHandshake,
    /// What the server sent inside TLS, unasked, during the wait, line by
    /// line as printable text (bounded).
    pub after_tls: Vec<String>,
    /// Application data bytes received inside TLS during the wait.
    pub after_tls_bytes: u64,
    /// How the wait ended (`timeout`: still open and silent); null when
    /// the handshake did not complete.
    pub end: Option<ConnectionEnd>,
    /// How long tlsdoctor waited for unasked data after the handshake.
    pub wait_ms: u64,
}

/// The TLS handshake of the STARTTLS injection probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum InjectionHandshake {
    Completed {
        version: Option<ProtocolVersion>,
        cipher_suite: Option<CipherSuite>,
    },
    Failed {
        error: HandshakeError,
        /// The first bytes the server sent in the handshake's place (at
        /// most 64): a plaintext reply shows here.
        first_bytes: Bytes,
    },
}

/// One heartbeat response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatObservation {
    /// The message type (2: heartbeat_response).
    pub typ: u8,
    pub payload_length: u16,
    /// Bytes in the record after the type and length (payload + padding).
    pub record_len: u32,
    /// The response starts with the payload we sent.
    pub echoes_payload: bool,
}
