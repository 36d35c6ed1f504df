//! How the bytes reach the TLS server: straight over TCP, after a STARTTLS
//! dialogue in the application protocol, through an HTTP CONNECT or SOCKS5
//! proxy, or both (a proxy, then STARTTLS to a mail server behind it).
//!
//! The target says which transport to use ([`Transport`]); each connection
//! records what the dialogue showed ([`TransportObservation`]). No verdicts
//! here: `analysis` decides whether a `502 Command not implemented` means
//! "not offered" or "refused".

use serde::{Deserialize, Serialize};

/// The transport of every connection to a target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transport {
    /// Upgrade a plaintext protocol session to TLS first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<StartTls>,
    /// Reach the target through this proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Proxy>,
}

impl Transport {
    pub fn is_plain(&self) -> bool {
        self.starttls.is_none() && self.proxy.is_none()
    }

    /// `STARTTLS smtp`, `via socks5://proxy:1080`, both, or `None` on plain TCP.
    pub fn describe(&self) -> Option<String> {
        let starttls = self.starttls.map(|p| format!("STARTTLS {p}"));
        let proxy = self.proxy.as_ref().map(|p| format!("via {}", p.display()));
        match (starttls, proxy) {
            (None, None) => None,
            (Some(s), None) => Some(s),
            (None, Some(p)) => Some(p),
            (Some(s), Some(p)) => Some(format!("{s} {p}")),
        }
    }
}

/// The application protocols whose plaintext sessions upgrade to TLS, each
/// with the specification of its upgrade command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartTls {
    /// RFC 3207 (`STARTTLS` after `EHLO`).
    Smtp,
    /// RFC 2033 (LMTP: `LHLO`, then as SMTP).
    Lmtp,
    /// RFC 3501 §6.2.1 (`a STARTTLS`).
    Imap,
    /// RFC 2595 §4 (`STLS`).
    Pop3,
    /// RFC 4217 (`AUTH TLS`).
    Ftp,
    /// RFC 6120 §5 (client-to-server stream).
    Xmpp,
    /// RFC 6120 §5 (server-to-server stream).
    XmppServer,
    /// RFC 4511 §4.14 (StartTLS extended operation).
    Ldap,
    /// PostgreSQL's SSLRequest (protocol documentation §55.2.10).
    Postgres,
    /// MySQL's SSL Request packet (Protocol::SSLRequest).
    Mysql,
    /// RFC 4642 (NNTP `STARTTLS`).
    Nntp,
    /// RFC 5804 §2.2 (ManageSieve `STARTTLS`).
    Sieve,
    /// IRCv3 `STARTTLS` (numerics 670/691).
    Irc,
}

impl StartTls {
    pub const ALL: [StartTls; 13] = [
        StartTls::Smtp,
        StartTls::Lmtp,
        StartTls::Imap,
        StartTls::Pop3,
        StartTls::Ftp,
        StartTls::Xmpp,
        StartTls::XmppServer,
        StartTls::Ldap,
        StartTls::Postgres,
        StartTls::Mysql,
        StartTls::Nntp,
        StartTls::Sieve,
        StartTls::Irc,
    ];

    /// The name on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StartTls::Smtp => "smtp",
            StartTls::Lmtp => "lmtp",
            StartTls::Imap => "imap",
            StartTls::Pop3 => "pop3",
            StartTls::Ftp => "ftp",
            StartTls::Xmpp => "xmpp",
            StartTls::XmppServer => "xmpp-server",
            StartTls::Ldap => "ldap",
            StartTls::Postgres => "postgres",
            StartTls::Mysql => "mysql",
            StartTls::Nntp => "nntp",
            StartTls::Sieve => "sieve",
            StartTls::Irc => "irc",
        }
    }

    pub fn parse(name: &str) -> Option<StartTls> {
        let name = name.to_ascii_lowercase();
        let name = match name.as_str() {
            "postgresql" | "psql" => "postgres",
            "submission" => "smtp",
            "pop" => "pop3",
            "xmpp-client" => "xmpp",
            "mariadb" => "mysql",
            other => other,
        };
        StartTls::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The protocol whose well-known plaintext port this is, when the port
    /// belongs to one protocol that upgrades with STARTTLS (IANA registry).
    pub fn for_port(port: u16) -> Option<StartTls> {
        Some(match port {
            25 | 587 => StartTls::Smtp,
            24 => StartTls::Lmtp,
            143 => StartTls::Imap,
            110 => StartTls::Pop3,
            21 => StartTls::Ftp,
            5222 => StartTls::Xmpp,
            5269 => StartTls::XmppServer,
            389 => StartTls::Ldap,
            5432 => StartTls::Postgres,
            3306 => StartTls::Mysql,
            119 | 433 => StartTls::Nntp,
            4190 => StartTls::Sieve,
            6667 => StartTls::Irc,
            _ => return None,
        })
    }

    /// The protocol's name as people write it.
    pub fn display_name(self) -> &'static str {
        match self {
            StartTls::Smtp => "SMTP",
            StartTls::Lmtp => "LMTP",
            StartTls::Imap => "IMAP",
            StartTls::Pop3 => "POP3",
            StartTls::Ftp => "FTP",
            StartTls::Xmpp => "XMPP",
            StartTls::XmppServer => "XMPP (server-to-server)",
            StartTls::Ldap => "LDAP",
            StartTls::Postgres => "PostgreSQL",
            StartTls::Mysql => "MySQL",
            StartTls::Nntp => "NNTP",
            StartTls::Sieve => "ManageSieve",
            StartTls::Irc => "IRC",
        }
    }
}

impl std::fmt::Display for StartTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A proxy between tlsdoctor and the target.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Never written to saved observations: a replay does not connect.
    #[serde(skip)]
    pub password: Option<String>,
}

impl Proxy {
    /// `kind://host:port`, without credentials.
    pub fn display(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{}://{host}:{}", self.kind.scheme(), self.port)
    }
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyKind {
    /// RFC 9110 §9.3.6 `CONNECT host:port`.
    HttpConnect,
    /// RFC 1928, with RFC 1929 username/password when given. The target's
    /// name is passed to the proxy, which resolves it (curl's `socks5h`).
    Socks5,
}

impl ProxyKind {
    pub fn scheme(self) -> &'static str {
        match self {
            ProxyKind::HttpConnect => "http",
            ProxyKind::Socks5 => "socks5",
        }
    }
}

/// Who sent a line of a dialogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Client,
    Server,
}

/// One line (or one decoded binary message) of a dialogue, as printable text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogueLine {
    pub from: Sender,
    pub text: String,
}

/// Which dialogue a [`TransportObservation`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Proxy,
    StartTls,
    /// The application protocol's first command after the TLS handshake
    /// (`EHLO` again for SMTP, `CAPABILITY` for IMAP, ...).
    Application,
}

/// What one connection's transport dialogue showed, stage by stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportObservation {
    pub stages: Vec<StageObservation>,
}

impl TransportObservation {
    /// The stage that stopped the connection, if one did.
    pub fn failed_stage(&self) -> Option<&StageObservation> {
        self.stages
            .iter()
            .find(|s| !matches!(s.outcome, DialogueOutcome::Ready { .. }))
    }

    pub fn stage(&self, stage: Stage) -> Option<&StageObservation> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    /// Every stage ended ready for the next (TLS may start).
    pub fn ready(&self) -> bool {
        self.failed_stage().is_none()
    }
}

/// One dialogue: the lines exchanged (bounded) and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageObservation {
    pub stage: Stage,
    pub lines: Vec<DialogueLine>,
    pub outcome: DialogueOutcome,
    pub elapsed_ms: u64,
}

/// How a dialogue ended, as seen: what the server said, not what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DialogueOutcome {
    /// The server agreed: TLS (or the next stage) may start.
    /// `advertised` is false when STARTTLS worked although the server's
    /// capability list did not name it.
    Ready {
        #[serde(default = "yes")]
        advertised: bool,
    },
    /// The server's capability list (EHLO, CAPABILITY, CAPA, stream
    /// features, MySQL's capability flags) does not offer the upgrade.
    /// `reply` is what the upgrade command got anyway, when it was sent.
    NotOffered {
        capabilities: String,
        reply: Option<String>,
    },
    /// The server answered the upgrade command (or the proxy the connect
    /// request) with something other than yes.
    Declined {
        reply: String,
        /// A proxy's answer as a number: the HTTP status of CONNECT, or
        /// SOCKS5's REP field (1–8; 255 when the proxy refused the
        /// authentication: RFC 1928 method X'FF' or an RFC 1929 failure).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<u16>,
    },
    /// The server's first words are not this protocol's: TLS records
    /// (an implicit-TLS port), HTTP, another protocol's greeting.
    Unexpected {
        reply: String,
        /// The first bytes as received (at most 64).
        #[serde(default)]
        first_bytes: crate::Bytes,
    },
    /// The connection ended (closed, reset, an alert, or silence until the
    /// deadline) while waiting for `waiting_for`.
    Ended {
        waiting_for: String,
        end: crate::ConnectionEnd,
    },
}

fn yes() -> bool {
    true
}
