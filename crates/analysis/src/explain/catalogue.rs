//! The catalogue of error messages: data, one JSON file per client family
//! in `crates/analysis/data/explain/`, each entry with the phrases that
//! identify it, the codes they point to (with weights, and other weights
//! when the line comes from a server's log), and the client and version it
//! was seen from.

use std::sync::OnceLock;

use model::Code;
use serde::Deserialize;

use super::normalise;

/// One client or program family's messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    /// `curl`, `OpenSSL`, `Java`, ...
    pub family: String,
    pub entries: Vec<Entry>,
}

/// One message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Key phrases: any one of them identifies the message (matched on
    /// normalised text, whole words).
    pub any: Vec<String>,
    /// Phrases that must all be present as well (narrows a generic phrase).
    #[serde(default)]
    pub all: Vec<String>,
    /// What the message says, in plain words.
    pub meaning: String,
    /// Codes and weights when a client printed it.
    pub codes: Vec<(Code, u32)>,
    /// Codes and weights when a server's error log printed it, if
    /// different (the alert came from the client).
    #[serde(default)]
    pub server_codes: Option<Vec<(Code, u32)>>,
    /// The client (and version) the message was seen from.
    pub seen: String,
    /// The message as seen.
    pub example: String,
    /// `any` and `all`, normalised once when the catalogue is read.
    #[serde(skip)]
    normalised: (Vec<String>, Vec<String>),
}

impl Entry {
    /// The phrase of this entry found in `norm` (normalised text), if the
    /// entry matches.
    pub fn matches(&self, norm: &str) -> Option<&str> {
        let padded = format!(" {norm} ");
        let has = |p: &String| !p.trim().is_empty() && padded.contains(p.as_str());
        let (any, all) = &self.normalised;
        if !all.iter().all(has) {
            return None;
        }
        any.iter()
            .position(has)
            .and_then(|i| self.any.get(i))
            .map(String::as_str)
    }

    /// The weights to add for a match (`server_side`: a server's log line).
    pub fn weights(&self, server_side: bool) -> Vec<(Code, u32)> {
        match (&self.server_codes, server_side) {
            (Some(codes), true) => codes.clone(),
            _ => self.codes.clone(),
        }
    }
}

/// Every family file, embedded at build time.
const FILES: &[(&str, &str)] = &[
    ("curl", include_str!("../../data/explain/curl.json")),
    ("openssl", include_str!("../../data/explain/openssl.json")),
    ("gnutls", include_str!("../../data/explain/gnutls.json")),
    ("chrome", include_str!("../../data/explain/chrome.json")),
    ("firefox", include_str!("../../data/explain/firefox.json")),
    ("safari", include_str!("../../data/explain/safari.json")),
    ("java", include_str!("../../data/explain/java.json")),
    ("python", include_str!("../../data/explain/python.json")),
    ("node", include_str!("../../data/explain/node.json")),
    ("go", include_str!("../../data/explain/go.json")),
    ("dotnet", include_str!("../../data/explain/dotnet.json")),
    ("git", include_str!("../../data/explain/git.json")),
    ("servers", include_str!("../../data/explain/servers.json")),
    (
        "cloudflare",
        include_str!("../../data/explain/cloudflare.json"),
    ),
    ("windows", include_str!("../../data/explain/windows.json")),
];

/// The catalogue, parsed once. A file that does not parse is left out
/// (a test checks that every file parses).
pub fn catalogue() -> &'static [Family] {
    static CATALOGUE: OnceLock<Vec<Family>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        FILES
            .iter()
            .filter_map(|(_, text)| serde_json::from_str::<Family>(text).ok())
            .map(|mut family| {
                for e in &mut family.entries {
                    let pad = |p: &String| format!(" {} ", normalise(p));
                    e.normalised = (
                        e.any.iter().map(pad).collect(),
                        e.all.iter().map(pad).collect(),
                    );
                }
                family
            })
            .collect()
    })
}

/// Every file's parse error, for the test.
#[cfg(test)]
pub(super) fn parse_errors() -> Vec<String> {
    FILES
        .iter()
        .filter_map(|(name, text)| {
            serde_json::from_str::<Family>(text)
                .err()
                .map(|e| format!("{name}.json: {e}"))
        })
        .collect()
}
