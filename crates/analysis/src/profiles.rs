//! Client profiles: what a given client offers in its ClientHello. `diagnose`
//! walks the handshake as one of these.
//!
//! The lists are facts about each client's defaults (their published source
//! and captures of their hellos); a later issue extends this into the full
//! client-simulation set.

use serde::Serialize;
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// One client's hello.
#[derive(Clone, Debug, Serialize)]
pub struct ClientProfile {
    pub name: &'static str,
    pub description: &'static str,
    /// Highest first.
    pub versions: Vec<ProtocolVersion>,
    pub cipher_suites: Vec<CipherSuite>,
    pub groups: Vec<NamedGroup>,
    pub key_shares: Vec<NamedGroup>,
    pub signature_algorithms: Vec<SignatureScheme>,
    pub alpn: Vec<String>,
}

fn suites(codes: &[u16]) -> Vec<CipherSuite> {
    codes.iter().map(|&c| CipherSuite(c)).collect()
}
fn groups(codes: &[u16]) -> Vec<NamedGroup> {
    codes.iter().map(|&c| NamedGroup(c)).collect()
}
fn schemes(codes: &[u16]) -> Vec<SignatureScheme> {
    codes.iter().map(|&c| SignatureScheme(c)).collect()
}

/// Chrome's signature algorithms since Chrome 70.
const BROWSER_SIGALGS: &[u16] = &[
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];

/// Every profile `--client` accepts.
pub fn all() -> Vec<ClientProfile> {
    vec![
        ClientProfile {
            name: "browser",
            description: "a current browser (Chrome 131+, Edge, Firefox 132+ offer the same)",
            versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            // Chrome 131: TLS 1.3 suites, ECDHE AEAD, ECDHE CBC-SHA, RSA AES.
            cipher_suites: suites(&[
                0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
            ]),
            groups: groups(&[0x11ec, 0x001d, 0x0017, 0x0018]),
            key_shares: groups(&[0x11ec, 0x001d]),
            signature_algorithms: schemes(BROWSER_SIGALGS),
            alpn: vec!["h2".into(), "http/1.1".into()],
        },
        ClientProfile {
            name: "openssl3",
            description: "OpenSSL 3.0 defaults (curl, Python, Node, most Linux software)",
            versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            cipher_suites: suites(&[
                0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b,
                0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014,
                0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
            ]),
            groups: groups(&[0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104]),
            key_shares: groups(&[0x001d]),
            signature_algorithms: schemes(&[
                0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x081a, 0x081b, 0x081c, 0x0809, 0x080a,
                0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302,
                0x0402, 0x0502, 0x0602,
            ]),
            alpn: vec![],
        },
        ClientProfile {
            name: "tls12-only",
            description: "a client limited to TLS 1.2 with forward-secret AEAD suites (e.g. Java 8, older Go)",
            versions: vec![ProtocolVersion::TLS1_2],
            cipher_suites: suites(&[0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8]),
            groups: groups(&[0x001d, 0x0017, 0x0018]),
            key_shares: Vec::new(),
            signature_algorithms: schemes(BROWSER_SIGALGS),
            alpn: vec![],
        },
    ]
}

/// The profile `diagnose` uses when none is named.
pub fn default_profile() -> ClientProfile {
    by_name("browser").expect("the browser profile exists")
}

/// Looks a profile up by name.
pub fn by_name(name: &str) -> Option<ClientProfile> {
    all().into_iter().find(|p| p.name == name)
}
