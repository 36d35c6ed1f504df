//! `explain TEXT`: from the error message a client, a server log or a CDN
//! printed to the diagnosis codes it most likely means, ranked.
//!
//! Three kinds of evidence, each scored per code and summed:
//! - **numbers** with a fixed meaning, decoded from tables of facts: TLS
//!   alert descriptions (RFC 8446 §6, `SSL alert number 48`, `alert 70`),
//!   OpenSSL packed error codes (`error:0A000086`: library 20 = SSL, reason
//!   134; reasons ≥ 1000 are received alerts) and X.509 verify results
//!   (`verify error:num=20`, `X509_V_ERR_*`);
//! - **phrases** from the catalogue ([`catalogue`], one data file per client
//!   family under `crates/analysis/data/explain/`), matched on normalised text
//!   (lower case; `_`, `-`, `.` and runs of spaces as one space), so
//!   `CERT_HAS_EXPIRED`, `certificate has expired` and `certificate-has-expired`
//!   are one pattern and a reworded message still meets its key phrase;
//! - **the side** that wrote the line: an alert number in a server's error
//!   log (`SSL_do_handshake() failed`, `AH02`…, `SSL handshake failure`) was
//!   sent by the client, so `unknown_ca` there means the client does not
//!   trust the server's chain; in a client's message it was sent by the
//!   server, so it means the server refused the client's certificate.
//!
//! Pure: text in, ranking out. Input is hostile: it is bounded by the caller
//! ([`MAX_INPUT`]), lines are cut at [`MAX_LINE`] characters, and nothing here
//! panics.

pub mod capture;
mod catalogue;
mod numbers;

use std::collections::BTreeMap;

use model::Code;
use serde::Serialize;

pub use catalogue::{catalogue, Entry, Family};

/// The most text `explain` reads (a whole log piped in).
pub const MAX_INPUT: usize = 4 * 1024 * 1024;
/// Characters of one line that are looked at.
pub const MAX_LINE: usize = 4096;
/// The JSON shape's version (docs/explain.md).
pub const SCHEMA_VERSION: u32 = 1;

/// Which side must act on a diagnosis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Server,
    Client,
    Either,
}

/// One recognised piece of the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recognised {
    /// The client or program family (`curl`, `OpenSSL`, `Java`, ...).
    pub family: String,
    /// What the message says, in plain words.
    pub meaning: String,
    /// The input line (1-based) it was found on.
    pub line: usize,
    /// What matched: the catalogue phrase or the decoded number.
    pub matched: String,
}

/// One candidate diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub code: Code,
    /// Relative weight of the evidence (the first candidate has the most).
    pub score: u32,
    /// What the code means (from docs/diagnoses.md's table, one line).
    pub meaning: &'static str,
    pub side: Side,
}

/// The answer to one input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub schema_version: u32,
    /// Most likely first; empty when nothing was recognised.
    pub candidates: Vec<Candidate>,
    pub recognised: Vec<Recognised>,
    /// `host` or `host:port` named in the text, if any.
    pub host: Option<String>,
    /// The command that would confirm the first candidate.
    pub confirm: String,
}

impl Explanation {
    /// Something in the text was recognised.
    pub fn recognised_anything(&self) -> bool {
        !self.candidates.is_empty()
    }
}

/// Lower case; `_`, `-`, `.`, `:`, `/`, quotes and whitespace runs become
/// one space, so one pattern matches the spellings of one message.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().take(MAX_LINE) {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace() && !c.is_control()) {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Whether a line was written by a server (its error log) rather than a
/// client: alert numbers in it were sent by the client.
fn server_log(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "ssl_do_handshake() failed",
        "while ssl handshaking",
        "ssl handshake failure",
        "ssl library error",
        "ssl handshake failed",
        "] ah0",
        " ah02",
        "[ssl:",
        "ssl_accept",
        "haproxy",
        "ssl routines:tls_early_post_process_client_hello",
        "client hello",
        "peer closed connection in ssl handshake",
    ]
    .iter()
    .any(|m| l.contains(m))
}

/// Explains `text` (one message, or a whole log).
pub fn explain(text: &str) -> Explanation {
    let mut scores: BTreeMap<Code, u32> = BTreeMap::new();
    let mut recognised = Vec::new();
    let mut host = None;
    let catalogue = catalogue();
    // Each piece of evidence counts once per input: a stack trace or a log
    // repeating one generic line must not outweigh the one specific line.
    let mut counted: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (index, raw) in text.lines().enumerate().take(100_000) {
        let line: String = raw.chars().take(MAX_LINE).collect();
        let norm = normalise(&line);
        if norm.is_empty() {
            continue;
        }
        let server_side = server_log(&line);
        let norm = norm.as_str();
        let matches: Vec<(&Family, &Entry, &str)> = catalogue
            .iter()
            .flat_map(|family| {
                family
                    .entries
                    .iter()
                    .filter_map(move |entry| entry.matches(norm).map(|p| (family, entry, p)))
            })
            .collect();
        // The longest match wins: "self-signed certificate" inside "self-signed
        // certificate in certificate chain", "key too small" inside "dh key
        // too small" is the same words read too short.
        let normalised: Vec<String> = matches.iter().map(|(_, _, p)| normalise(p)).collect();
        for (i, (family, entry, phrase)) in matches.iter().enumerate() {
            let shorter = normalised.iter().any(|other| {
                other.len() > normalised[i].len()
                    && format!(" {other} ").contains(&format!(" {} ", normalised[i]))
            });
            if shorter || !counted.insert(format!("{}\u{0}{}", family.family, entry.example)) {
                continue;
            }
            for (code, weight) in entry.weights(server_side) {
                *scores.entry(code).or_default() += weight;
            }
            recognised.push(Recognised {
                family: family.family.clone(),
                meaning: entry.meaning.clone(),
                line: index + 1,
                matched: phrase.to_string(),
            });
        }
        for found in numbers::decode(&line, server_side) {
            if !counted.insert(format!("{}\u{0}{}", found.family, found.meaning)) {
                continue;
            }
            for (code, weight) in &found.codes {
                *scores.entry(*code).or_default() += weight;
            }
            recognised.push(Recognised {
                family: found.family.into(),
                meaning: found.meaning,
                line: index + 1,
                matched: found.matched,
            });
        }
        if host.is_none() {
            host = host_in(&line);
        }
    }
    let candidates = ranked(scores);
    recognised.truncate(200);
    let target = host.clone().unwrap_or_else(|| "HOST".into());
    let confirm = match candidates.first().map(|c| c.code) {
        Some(Code::ClientCertRequired | Code::ClientCertRejected) => {
            format!("tlsdoctor diagnose {target} --client-cert client.pem --client-key client.key")
        }
        _ => format!("tlsdoctor diagnose {target}"),
    };
    Explanation {
        schema_version: SCHEMA_VERSION,
        candidates,
        recognised,
        host,
        confirm,
    }
}

/// The host (and port) a message names: a URL, `connect to HOST port N`,
/// Java's `No subject alternative DNS name matching HOST found`, Go's and
/// Python's `certificate is valid for X, not HOST` / `hostname 'HOST'`, a
/// `server: HOST`/`upstream: "https://HOST"` of nginx, or `HOST:PORT`.
pub fn host_in(line: &str) -> Option<String> {
    let line: String = line.chars().take(MAX_LINE).collect();
    let valid = |h: &str| {
        let h = h
            .trim_matches(|c: char| "'\"`()[]<>,;".contains(c))
            .trim_end_matches('.');
        let (name, port) = match h.rsplit_once(':') {
            Some((n, p)) if !n.contains(':') && p.parse::<u16>().is_ok() => (n, Some(p)),
            _ => (h, None),
        };
        let ok = name.len() <= 253
            && name.contains('.')
            && !name.starts_with('.')
            && !name.ends_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && name.chars().any(|c| c.is_ascii_alphabetic())
            && !name.ends_with(".java")
            && !name.ends_with(".py")
            && !name.ends_with(".c")
            && !name.ends_with(".go")
            && !name.ends_with(".pem")
            && !name.ends_with(".crt")
            && !name.ends_with(".conf")
            && !name.ends_with(".log");
        ok.then(|| match port {
            Some(p) if p != "443" => format!("{}:{p}", name.to_ascii_lowercase()),
            _ => name.to_ascii_lowercase(),
        })
    };
    let lower = line.to_ascii_lowercase();
    // URLs first.
    if let Some(at) = lower.find("https://") {
        let rest = &line[at + 8..];
        let end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        if let Some(h) = valid(&rest[..end]) {
            return Some(h);
        }
    }
    let after = |key: &str| -> Option<String> {
        let at = lower.find(key)?;
        let rest = line.get(at + key.len()..)?;
        let word = rest.split_whitespace().next()?;
        valid(word)
    };
    for key in [
        "connect to ",
        "matching ",
        "hostname ",
        "host ",
        "not ",
        "server: ",
        "for ",
        "connecting to ",
        "sni ",
        "servername ",
        "host: ",
        "host=",
        "from ",
    ] {
        if let Some(h) = after(key) {
            // "connect to HOST port N": curl's form.
            let port = lower
                .find(&format!("{h} port "))
                .and_then(|at| lower[at + h.len() + 6..].split_whitespace().next())
                .and_then(|p| {
                    p.trim_end_matches(|c: char| !c.is_ascii_digit())
                        .parse::<u16>()
                        .ok()
                })
                .filter(|p| *p != 443);
            return Some(match port {
                Some(p) if !h.contains(':') => format!("{h}:{p}"),
                _ => h,
            });
        }
    }
    None
}

/// Scored codes as candidates, the highest score first (ties by code, so
/// the order is stable).
fn ranked(scores: BTreeMap<Code, u32>) -> Vec<Candidate> {
    let mut candidates: Vec<Candidate> = scores
        .into_iter()
        .map(|(code, score)| Candidate {
            code,
            score,
            meaning: meaning(code),
            side: side(code),
        })
        .collect();
    candidates.sort_by(|a, b| b.score.cmp(&a.score).then(a.code.cmp(&b.code)));
    candidates
}

/// Who must act on `code`.
fn side(code: Code) -> Side {
    match code {
        Code::ClientClockWrong | Code::Intercepted | Code::DnsFailed => Side::Client,
        Code::ClientCertRequired | Code::ClientCertRejected | Code::SniRequired => Side::Either,
        Code::ProtocolMismatch
        | Code::CipherMismatch
        | Code::GroupMismatch
        | Code::SigalgMismatch => Side::Either,
        Code::CertUntrustedRoot | Code::CertSelfSigned => Side::Either,
        _ => Side::Server,
    }
}

/// One line on what `code` means (docs/diagnoses.md has the whole entry).
fn meaning(code: Code) -> &'static str {
    match code {
        Code::Ok => "the handshake works",
        Code::DnsFailed => "the host name does not resolve",
        Code::TcpRefused => "nothing listens on the port (connection refused)",
        Code::TcpTimeout => "no answer to the connection attempt (firewall, host down)",
        Code::NotTls => "the port answers, but not with TLS (plain HTTP, wrong port, STARTTLS needed)",
        Code::HandshakeTimeout => "the server does not finish its part of the handshake in time",
        Code::HandshakeReset => "the connection is closed or reset during the handshake without an alert (middlebox, overloaded or misconfigured server)",
        Code::ProtocolViolation => "one side sent TLS no implementation may send",
        Code::ProtocolMismatch => "no common TLS version (e.g. a TLS 1.0-only server and a TLS 1.2+ client)",
        Code::CipherMismatch => "a common version but no common cipher suite",
        Code::GroupMismatch => "no common key-exchange group (curve)",
        Code::SigalgMismatch => "the server can only sign with a signature algorithm the client refuses (SHA-1, MD5)",
        Code::SniRequired => "the server refuses the server name sent, or needs one (SNI)",
        Code::ClientCertRequired => "the server requires a client certificate (mutual TLS) and none was sent",
        Code::ClientCertRejected => "the server rejected the client certificate that was sent",
        Code::CertExpired => "the server's certificate has expired",
        Code::CertNotYetValid => "the server's certificate is not valid yet",
        Code::ClientClockWrong => "the client's clock is wrong, which makes a valid certificate look expired",
        Code::CertHostnameMismatch => "the certificate does not cover the name the client asked for",
        Code::CertSelfSigned => "the server sends a single self-signed certificate",
        Code::CertUntrustedRoot => "the chain ends in a root the client does not trust (private CA, missing root)",
        Code::CertChainIncomplete => "the server does not send the intermediate certificate linking its certificate to a trusted root",
        Code::CertChainOrder => "the chain is sent in the wrong order",
        Code::CertWeakSignature => "a certificate is signed with SHA-1 or MD5, which clients refuse",
        Code::CertWeakKey => "a certificate's key is too small (RSA < 2048 bits)",
        Code::CertRevoked => "the certificate is revoked",
        Code::OcspStapleStale => "the stapled OCSP response is out of date",
        Code::CertExpiresSoon => "the certificate expires within 30 days",
        Code::LegacyProtocolsEnabled => "the server still accepts TLS 1.0/1.1",
        Code::WeakDhGroup => "the server's Diffie-Hellman group is too small (Logjam)",
        Code::Intercepted => "a TLS-inspecting proxy or antivirus replaced the certificate",
        Code::ServerAlert => "the server ended the handshake with an alert of its own (internal error, bad configuration)",
        Code::ClosedAfterHandshake => "the server closed the connection right after the handshake",
        Code::MisdirectedRequest => "the server answered 421: this certificate/connection does not serve that host",
        Code::CertKeyTypeMismatch => "the certificate's key type matches none of the server's enabled suites",
        Code::StarttlsUnsupported => "the mail, directory or database server does not offer STARTTLS (TLS is not configured there)",
        Code::StarttlsRefused => "the server offers STARTTLS but refused to start TLS",
        Code::StarttlsFailed => "the plaintext dialogue before STARTTLS failed (wrong protocol, or a port that speaks TLS from the first byte)",
        Code::ProxyAuthRequired => "the proxy wants credentials, or refused the ones given",
        Code::ProxyRefused => "the proxy refused to open a tunnel to the server, or could not reach it",
        Code::ProxyFailed => "the proxy did not answer as a proxy",
        Code::MustStapleMissing => "the certificate requires an OCSP staple (Must-Staple) and the server sends none",
        _ => "see docs/diagnoses.md",
    }
}

#[cfg(test)]
mod tests;
