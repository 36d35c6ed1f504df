//! Client profiles: what a given client offers in its ClientHello, and what
//! it accepts back. `diagnose --client` walks the handshake as one of these;
//! `scan` predicts the outcome for each real-client profile
//! ([`crate::simulate`]).
//!
//! Three generic profiles (`browser`, `openssl3`, `tls12-only`) are written
//! here; the real clients are data files in `crates/analysis/data/clients/`
//! (one per client, each naming how it was captured or which published facts
//! it comes from; docs/clients.md). A profile can also be built from a
//! captured hello ([`ClientProfile::from_client_hello`]).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use wire::handshake::ClientHello;

use crate::client_hello::ClientOffer;
use crate::platform_roots::Platform;
use wire::registry::{CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

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
    /// Extension types in the order the client sends them (GREASE left out);
    /// empty when unknown.
    pub extensions: Vec<ExtensionType>,
    /// The client sends SNI.
    pub sni: bool,
    /// The client checks revocation (OCSP/CRL/CRLSets), as documented for it.
    pub checks_revocation: bool,
    /// The trust store the client uses (`mozilla`, `system`, `apple`,
    /// `microsoft`, `android`, `java`, `chrome`).
    pub trust_store: &'static str,
    /// The shipped snapshot of the client's platform store, when there is
    /// one (`root_store` in the data file): simulation judges the chain with
    /// it ([`crate::simulate`]).
    pub root_store: Option<Platform>,
    /// Smallest finite-field DH prime the client accepts (0: any).
    pub min_dh_bits: u32,
    /// Smallest RSA certificate key the client accepts (0: any).
    pub min_rsa_bits: u32,
    /// The client refuses certificates signed with SHA-1 (or MD5).
    pub rejects_sha1_certificates: bool,
    /// The client accepts a TLS 1.0/1.1 ServerKeyExchange signed with
    /// MD5+SHA-1 or SHA-1 (OpenSSL 3 at security level 1 does not).
    pub legacy_signatures: bool,
    /// Where the profile comes from (a capture command, published sources).
    pub source: &'static str,
    /// Listed in `scan`'s client table (the real clients; not the generic three).
    pub simulated: bool,
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

/// The fields the generic profiles share.
fn generic() -> ClientProfile {
    ClientProfile {
        name: "",
        description: "",
        versions: Vec::new(),
        cipher_suites: Vec::new(),
        groups: Vec::new(),
        key_shares: Vec::new(),
        signature_algorithms: Vec::new(),
        alpn: Vec::new(),
        extensions: Vec::new(),
        sni: true,
        checks_revocation: false,
        trust_store: "mozilla",
        root_store: None,
        min_dh_bits: 1024,
        min_rsa_bits: 1024,
        rejects_sha1_certificates: true,
        legacy_signatures: true,
        source: "written from the client's published defaults (see the comments in profiles.rs)",
        simulated: false,
    }
}

/// Every profile `--client` accepts: the three generic ones, then every
/// real client from the data files.
pub fn all() -> Vec<ClientProfile> {
    let mut all = generic_profiles();
    all.extend(data_profiles().iter().cloned());
    all
}

/// The real clients `scan` simulates, in data-file order.
pub fn simulated() -> Vec<ClientProfile> {
    data_profiles().to_vec()
}

fn generic_profiles() -> Vec<ClientProfile> {
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
            ..generic()
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
            ..generic()
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
            ..generic()
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

// ---------------------------------------------------------------- data files

/// One client profile as stored in `data/clients/NAME.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileData {
    name: String,
    description: String,
    /// How the data was obtained: the capture command, or the published
    /// sources (URLs) the lists come from.
    source: String,
    /// True when the lists were captured from the real client's hello here.
    #[serde(default)]
    captured: bool,
    /// Stable names (`tls1_3`), highest first.
    versions: Vec<String>,
    /// IANA or OpenSSL names, or `0x%04x`; in the client's order.
    cipher_suites: Vec<String>,
    groups: Vec<String>,
    #[serde(default)]
    key_shares: Vec<String>,
    #[serde(default)]
    signature_algorithms: Vec<String>,
    #[serde(default)]
    extensions: Vec<String>,
    #[serde(default)]
    alpn: Vec<String>,
    /// The client sends GREASE values (RFC 8701); they are not listed.
    #[serde(default)]
    grease: bool,
    sni: bool,
    checks_revocation: bool,
    trust_store: String,
    /// A store name of [`Platform::store_name`] (`android-4.4`).
    #[serde(default)]
    root_store: Option<String>,
    #[serde(default)]
    min_dh_bits: u32,
    #[serde(default)]
    min_rsa_bits: u32,
    #[serde(default)]
    rejects_sha1_certificates: bool,
    #[serde(default = "yes")]
    legacy_signatures: bool,
}

fn yes() -> bool {
    true
}

/// The data files, in the order the client table lists them.
const DATA: &[(&str, &str)] = &[
    (
        "chrome-131.json",
        include_str!("../data/clients/chrome-131.json"),
    ),
    (
        "chromium-156.json",
        include_str!("../data/clients/chromium-156.json"),
    ),
    (
        "chrome-70.json",
        include_str!("../data/clients/chrome-70.json"),
    ),
    (
        "edge-131.json",
        include_str!("../data/clients/edge-131.json"),
    ),
    ("edge-18.json", include_str!("../data/clients/edge-18.json")),
    (
        "firefox-128.json",
        include_str!("../data/clients/firefox-128.json"),
    ),
    (
        "firefox-60.json",
        include_str!("../data/clients/firefox-60.json"),
    ),
    (
        "safari-17.json",
        include_str!("../data/clients/safari-17.json"),
    ),
    (
        "safari-10.json",
        include_str!("../data/clients/safari-10.json"),
    ),
    (
        "android-4.4.json",
        include_str!("../data/clients/android-4.4.json"),
    ),
    (
        "android-7.0.json",
        include_str!("../data/clients/android-7.0.json"),
    ),
    (
        "android-14.json",
        include_str!("../data/clients/android-14.json"),
    ),
    ("java-8.json", include_str!("../data/clients/java-8.json")),
    ("java-11.json", include_str!("../data/clients/java-11.json")),
    ("java-17.json", include_str!("../data/clients/java-17.json")),
    ("java-21.json", include_str!("../data/clients/java-21.json")),
    (
        "openssl-1.0.2.json",
        include_str!("../data/clients/openssl-1.0.2.json"),
    ),
    (
        "openssl-1.1.1.json",
        include_str!("../data/clients/openssl-1.1.1.json"),
    ),
    (
        "openssl-3.0.json",
        include_str!("../data/clients/openssl-3.0.json"),
    ),
    (
        "curl-7.88.json",
        include_str!("../data/clients/curl-7.88.json"),
    ),
    (
        "python-3.11.json",
        include_str!("../data/clients/python-3.11.json"),
    ),
    ("go-1.22.json", include_str!("../data/clients/go-1.22.json")),
    ("node-20.json", include_str!("../data/clients/node-20.json")),
    (
        "gnutls-3.7.json",
        include_str!("../data/clients/gnutls-3.7.json"),
    ),
    (
        "cloudflare-origin.json",
        include_str!("../data/clients/cloudflare-origin.json"),
    ),
];

fn leak(s: String) -> &'static str {
    // Profiles are parsed once per process (see `data_profiles`).
    Box::leak(s.into_boxed_str())
}

fn parse_list<T>(
    file: &str,
    what: &str,
    names: &[String],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    names
        .iter()
        .map(|n| parse(n).ok_or_else(|| format!("{file}: unknown {what} {n:?}")))
        .collect()
}

/// Parses one data file.
fn parse_profile(file: &str, text: &str) -> Result<ClientProfile, String> {
    let d: ProfileData = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let versions = parse_list(file, "version", &d.versions, ProtocolVersion::from_name)?;
    let cipher_suites = parse_list(
        file,
        "cipher suite",
        &d.cipher_suites,
        CipherSuite::from_name,
    )?;
    let groups = parse_list(file, "group", &d.groups, NamedGroup::from_name)?;
    let key_shares = parse_list(file, "key share", &d.key_shares, NamedGroup::from_name)?;
    let signature_algorithms = parse_list(
        file,
        "signature scheme",
        &d.signature_algorithms,
        SignatureScheme::from_name,
    )?;
    let extensions = parse_list(file, "extension", &d.extensions, ExtensionType::from_name)?;
    let _ = (d.captured, d.grease);
    let root_store = match &d.root_store {
        None => None,
        Some(name) => Some(
            Platform::from_store_name(name)
                .ok_or_else(|| format!("{file}: unknown root_store {name:?}"))?,
        ),
    };
    Ok(ClientProfile {
        name: leak(d.name),
        description: leak(d.description),
        versions,
        cipher_suites,
        groups,
        key_shares,
        signature_algorithms,
        alpn: d.alpn,
        extensions,
        sni: d.sni,
        checks_revocation: d.checks_revocation,
        trust_store: leak(d.trust_store),
        root_store,
        min_dh_bits: d.min_dh_bits,
        min_rsa_bits: d.min_rsa_bits,
        rejects_sha1_certificates: d.rejects_sha1_certificates,
        legacy_signatures: d.legacy_signatures,
        source: leak(d.source),
        simulated: true,
    })
}

/// Every data-file profile, parsed once.
fn data_profiles() -> &'static [ClientProfile] {
    static PROFILES: OnceLock<Vec<ClientProfile>> = OnceLock::new();
    PROFILES.get_or_init(|| {
        DATA.iter()
            .map(|(file, text)| {
                // The files are compiled in and checked by the tests below.
                parse_profile(file, text).unwrap_or_else(|e| panic!("client profile {e}"))
            })
            .collect()
    })
}

// ---------------------------------------------------------------- captured hellos

impl ClientProfile {
    /// What this client refuses in the server's answer although its hello
    /// allowed it: a TLS 1.0/1.1 key exchange signed with MD5+SHA-1/SHA-1
    /// (those versions have no signature_algorithms, so only the client can
    /// refuse; OpenSSL 3's security level does) and a DH prime below its
    /// minimum. One rule for diagnose's `finished` step and for client
    /// simulation, so both give the same code for the same server.
    pub(crate) fn refusal_after_hello(
        &self,
        version: ProtocolVersion,
        suite: CipherSuite,
        dh_prime_bits: Option<u32>,
    ) -> Option<(model::Code, String)> {
        use wire::registry::{Auth, KeyExchange};
        let info = suite.info()?;
        let signed = matches!(info.kx, KeyExchange::Ecdhe | KeyExchange::Dhe)
            && matches!(info.auth, Auth::Rsa | Auth::Ecdsa | Auth::Dss);
        if version < ProtocolVersion::TLS1_2 && signed && !self.legacy_signatures {
            return Some((
                model::Code::SigalgMismatch,
                format!(
                    "The server signs its {} key exchange with MD5+SHA-1/SHA-1, which {} refuses.",
                    version.display_name(),
                    self.name
                ),
            ));
        }
        let weak_dh = dh_prime_bits.filter(|bits| {
            info.kx == KeyExchange::Dhe
                && version < ProtocolVersion::TLS1_3
                && *bits < self.min_dh_bits
        });
        weak_dh.map(|bits| {
            (
                model::Code::WeakDhGroup,
                format!(
                    "The server's {bits}-bit DH prime is below the {} bits {} accepts.",
                    self.min_dh_bits, self.name
                ),
            )
        })
    }

    /// The profile of a captured ClientHello (`compare --client-hello`): the
    /// lists exactly as sent, GREASE left out. What a hello cannot show
    /// (trust store, revocation, minimum key sizes) takes the defaults of a
    /// current client.
    pub fn from_client_hello(hello: &ClientHello) -> ClientProfile {
        Self::from_offer(&ClientOffer::from_hello(hello))
    }

    /// The profile of an offer (a captured TLS hello, or an SSL 2.0-format
    /// one), with the defaults of [`ClientProfile::from_client_hello`].
    pub fn from_offer(offer: &ClientOffer) -> ClientProfile {
        let versions = match &offer.supported_versions {
            Some(_) => offer.versions(),
            // Without supported_versions a client states only its highest
            // version (RFC 5246 §E.1): anything from SSL 3.0 up counts.
            None => ProtocolVersion::ALL
                .into_iter()
                .rev()
                .filter(|v| offer.accepts_version(*v))
                .collect(),
        };
        let no_grease = |v: u16| !wire::registry::is_grease_u16(v);
        ClientProfile {
            name: "captured",
            description: "the client whose ClientHello was captured",
            versions,
            cipher_suites: offer
                .cipher_suites
                .iter()
                .copied()
                .filter(|s| !s.is_grease())
                .collect(),
            groups: offer
                .groups
                .iter()
                .copied()
                .filter(|g| !g.is_grease())
                .collect(),
            key_shares: offer
                .key_shares
                .iter()
                .copied()
                .filter(|g| !g.is_grease())
                .collect(),
            signature_algorithms: offer
                .signature_algorithms
                .iter()
                .copied()
                .filter(|s| !s.is_grease())
                .collect(),
            alpn: offer
                .alpn
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect(),
            extensions: offer
                .extensions
                .iter()
                .flatten()
                .copied()
                .filter(|e| no_grease(e.0))
                .collect(),
            sni: offer.sni.is_some(),
            checks_revocation: false,
            trust_store: "system",
            root_store: None,
            min_dh_bits: 1024,
            min_rsa_bits: 1024,
            rejects_sha1_certificates: true,
            legacy_signatures: true,
            source: "a captured ClientHello",
            simulated: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_file_parses_and_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/clients");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".json"))
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let mut listed: Vec<String> = DATA.iter().map(|(f, _)| f.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "every data/clients/*.json is in DATA");
        for (file, text) in DATA {
            let p = parse_profile(file, text).unwrap();
            assert_eq!(
                format!("{}.json", p.name),
                *file,
                "file name = profile name"
            );
            assert!(
                !p.versions.is_empty() && !p.cipher_suites.is_empty(),
                "{file}"
            );
            assert!(!p.source.is_empty(), "{file} names its source");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = all().iter().map(|p| p.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
