//! Judging a client by its hello: what it offers ([`ClientOffer`]), what is
//! weak, obsolete or missing in it ([`flags`]), whether its HTTP User-Agent
//! belongs to the TLS stack that sent the hello ([`interception`]), and
//! whether it can agree with a given server ([`negotiate`]). `listen` uses all
//! four for every connection; `compare` will use [`negotiate`] with a scanned
//! server's [`ServerSupport`].
//!
//! Pure functions of parsed hellos; never does I/O. Everything here came from
//! the client and may be hostile: names are looked up, never trusted.
//!
//! # Flag codes (stable, never renamed)
//!
//! | code | severity | raised when |
//! |---|---|---|
//! | `sslv2_hello` | warning | the hello uses the SSL 2.0 (or SSLv2-compatible) format |
//! | `obsolete_versions_only` | error | the highest version offered is below TLS 1.2 (RFC 8996): current servers refuse it |
//! | `obsolete_versions_offered` | warning | `supported_versions` also lists TLS 1.1, TLS 1.0 or SSL 3.0 |
//! | `no_tls1_3` | warning | TLS 1.2 at most |
//! | `no_forward_secrecy` | error | no offered suite has an ephemeral key exchange |
//! | `no_aead` | warning | no AEAD suite (GCM, CCM, ChaCha20-Poly1305): CBC or RC4 only |
//! | `rc4_offered` | warning | an RC4 suite is offered (RFC 7465 forbids it) |
//! | `triple_des_offered` | warning | a 3DES suite is offered (Sweet32) |
//! | `des_offered` | warning | a single-DES, RC2 or IDEA suite is offered |
//! | `export_offered` | error | an export-grade suite is offered (FREAK, Logjam) |
//! | `null_offered` | error | a suite without encryption is offered |
//! | `anon_offered` | error | a suite without server authentication is offered |
//! | `compression_offered` | warning | TLS compression is offered (CRIME) |
//! | `no_post_quantum` | info | no hybrid or post-quantum group (X25519MLKEM768) is offered |
//! | `missing_sni` | warning | no `server_name`: servers hosting several names cannot pick a certificate |
//! | `missing_extended_master_secret` | warning | TLS 1.2 offered without `extended_master_secret` (RFC 7627) |
//! | `missing_renegotiation_info` | warning | TLS ≤ 1.2 offered without `renegotiation_info` or its SCSV (RFC 5746) |
//! | `fallback_scsv` | info | `TLS_FALLBACK_SCSV`: the client is retrying with a lower version after a failure |
//! | `intercepted` | warning | the User-Agent names a browser whose TLS stack never sends a hello like this one |
//!
//! # Interception rules
//!
//! The method of Durumeric et al., "The Security Impact of HTTPS Interception"
//! (NDSS 2017): a browser's User-Agent over a hello that browser never sends
//! means something between the browser and the server terminated TLS (an
//! antivirus, a corporate proxy, malware) — or the client lies about being a
//! browser. The rules are deliberately few, each a fact about current browsers:
//!
//! * Chromium (Chrome/Edge/Opera/Brave ≥ 70) and Safari ≥ 14 send GREASE
//!   values (RFC 8701) in the cipher suites and extensions;
//! * Chromium ≥ 70, Firefox ≥ 63 and Safari ≥ 14 offer TLS 1.3;
//! * no browser offers RC4, export, NULL or anonymous suites, and Chromium
//!   and Firefox ≥ 93 no longer offer 3DES;
//! * no browser sends `encrypt_then_mac` (OpenSSL and GnuTLS do) or
//!   `status_request_v2` (Java does); those also name the likely library.

use std::collections::BTreeSet;

use model::{ClientHelloRecord, HelloFlag, HelloFormat, OfferedSuite, Severity};
use serde::Serialize;
use wire::handshake::ClientHello;
use wire::registry::{
    Auth, CipherSuite, Encryption, ExtensionType, GroupKind, KeyExchange, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use wire::sslv2::{Ssl2CipherSpec, Ssl2ClientHello};

use crate::mismatch;
use crate::negotiation::{self, Known, Negotiated, Signer, Stage};
use crate::profiles::ClientProfile;

const EXT_SERVER_NAME: u16 = 0;
const EXT_STATUS_REQUEST_V2: u16 = 17;
const EXT_ENCRYPT_THEN_MAC: u16 = 22;
const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;
const SCSV_RENEGOTIATION: u16 = 0x00ff;
const SCSV_FALLBACK: u16 = 0x5600;

/// What a client offers, typed: from a parsed hello, an SSLv2 hello or a
/// client profile. Lists keep the client's order and its GREASE values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientOffer {
    /// The hello's format (a profile says `Tls`).
    pub ssl2_format: bool,
    /// `legacy_version` (`client_version`; an SSLv2 hello's CLIENT-VERSION).
    pub legacy_version: ProtocolVersion,
    /// `supported_versions` as sent, GREASE included; `None` when absent.
    pub supported_versions: Option<Vec<ProtocolVersion>>,
    /// TLS cipher suites (for an SSLv2-format hello: its `0x00XXYY` kinds).
    pub cipher_suites: Vec<CipherSuite>,
    /// SSL 2.0 cipher kinds of an SSLv2-format hello (not TLS suites).
    pub ssl2_cipher_kinds: Vec<Ssl2CipherSpec>,
    pub compression_methods: Vec<u8>,
    /// Extension types in order; `None` for a profile, which does not list them.
    pub extensions: Option<Vec<ExtensionType>>,
    pub groups: Vec<NamedGroup>,
    pub key_shares: Vec<NamedGroup>,
    pub signature_algorithms: Vec<SignatureScheme>,
    /// `ec_point_formats` when sent.
    pub ec_point_formats: Option<Vec<u8>>,
    pub alpn: Vec<Vec<u8>>,
    pub sni: Option<String>,
}

impl Default for ClientOffer {
    /// An empty TLS 1.2 offer.
    fn default() -> Self {
        Self {
            ssl2_format: false,
            legacy_version: ProtocolVersion::TLS1_2,
            supported_versions: None,
            cipher_suites: Vec::new(),
            ssl2_cipher_kinds: Vec::new(),
            compression_methods: vec![0],
            extensions: None,
            groups: Vec::new(),
            key_shares: Vec::new(),
            signature_algorithms: Vec::new(),
            ec_point_formats: None,
            alpn: Vec::new(),
            sni: None,
        }
    }
}

impl ClientOffer {
    /// The offer of a parsed TLS ClientHello.
    pub fn from_hello(hello: &ClientHello) -> Self {
        Self {
            ssl2_format: false,
            legacy_version: hello.legacy_version,
            supported_versions: hello.supported_versions().map(<[_]>::to_vec),
            cipher_suites: hello.cipher_suites.clone(),
            ssl2_cipher_kinds: Vec::new(),
            compression_methods: hello.compression_methods.clone(),
            extensions: Some(hello.extension_types()),
            groups: hello
                .supported_groups()
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            key_shares: hello.key_share_groups().unwrap_or_default(),
            signature_algorithms: hello
                .signature_algorithms()
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            ec_point_formats: hello.ec_point_formats().map(<[_]>::to_vec),
            alpn: hello.alpn().map(<[_]>::to_vec).unwrap_or_default(),
            sni: hello.server_name().map(str::to_owned),
        }
    }

    /// The offer of an SSL 2.0 CLIENT-HELLO: kinds `0x00XXYY` are TLS suites
    /// (RFC 5246 §E.2), the others SSL 2.0 cipher kinds.
    pub fn from_ssl2(hello: &Ssl2ClientHello) -> Self {
        let (tls, ssl2): (Vec<Ssl2CipherSpec>, Vec<Ssl2CipherSpec>) =
            hello.cipher_specs.iter().partition(|s| s.0 >> 16 == 0);
        Self {
            ssl2_format: true,
            legacy_version: hello.version,
            cipher_suites: tls.iter().map(|s| CipherSuite(s.0 as u16)).collect(),
            ssl2_cipher_kinds: ssl2,
            compression_methods: vec![0],
            extensions: Some(Vec::new()),
            ..Self::default()
        }
    }

    /// The offer a client profile describes.
    pub fn from_profile(profile: &ClientProfile) -> Self {
        let max = profile
            .versions
            .iter()
            .copied()
            .max()
            .unwrap_or(ProtocolVersion::TLS1_2);
        Self {
            ssl2_format: false,
            legacy_version: max.min(ProtocolVersion::TLS1_2),
            supported_versions: (max >= ProtocolVersion::TLS1_3).then(|| profile.versions.clone()),
            cipher_suites: profile.cipher_suites.clone(),
            ssl2_cipher_kinds: Vec::new(),
            compression_methods: vec![0],
            extensions: None,
            groups: profile.groups.clone(),
            key_shares: profile.key_shares.clone(),
            signature_algorithms: profile.signature_algorithms.clone(),
            ec_point_formats: None,
            alpn: profile.alpn.iter().map(|a| a.as_bytes().to_vec()).collect(),
            sni: None,
        }
    }

    /// The versions offered, client's order, GREASE left out: the
    /// `supported_versions` list, else the single `legacy_version` (a TLS ≤ 1.2
    /// hello states only its highest version).
    pub fn versions(&self) -> Vec<ProtocolVersion> {
        match &self.supported_versions {
            Some(v) => v.iter().copied().filter(|v| !is_grease(v.0)).collect(),
            None => vec![self.legacy_version],
        }
    }

    /// The highest version offered.
    pub fn max_version(&self) -> ProtocolVersion {
        self.versions()
            .into_iter()
            .max()
            .unwrap_or(self.legacy_version)
    }

    /// Whether the client would accept `v`. Without `supported_versions`, any
    /// version from SSL 3.0 up to `legacy_version` counts as offered
    /// (RFC 5246 §E.1: the client's minimum is not on the wire).
    pub fn accepts_version(&self, v: ProtocolVersion) -> bool {
        match &self.supported_versions {
            Some(list) => list.contains(&v),
            None if self.ssl2_format && self.legacy_version == ProtocolVersion::SSL2 => {
                v == ProtocolVersion::SSL2
            }
            None => v <= self.legacy_version && v >= ProtocolVersion::SSL3,
        }
    }

    /// The real suites: no GREASE, no SCSV.
    pub fn real_suites(&self) -> impl Iterator<Item = CipherSuite> + '_ {
        self.cipher_suites
            .iter()
            .copied()
            .filter(|s| !s.is_grease() && !s.is_scsv())
    }

    /// True when any GREASE value appears in the suites, extensions, groups
    /// or versions.
    pub fn has_grease(&self) -> bool {
        self.cipher_suites.iter().any(|s| s.is_grease())
            || self.extensions.iter().flatten().any(|e| is_grease(e.0))
            || self.groups.iter().any(|g| g.is_grease())
            || self
                .supported_versions
                .iter()
                .flatten()
                .any(|v| is_grease(v.0))
    }

    fn has_extension(&self, code: u16) -> bool {
        self.extensions.iter().flatten().any(|e| e.0 == code)
    }

    fn has_suite(&self, code: u16) -> bool {
        self.cipher_suites.iter().any(|s| s.0 == code)
    }
}

fn is_grease(v: u16) -> bool {
    wire::registry::is_grease_u16(v)
}

fn flag(code: &str, severity: Severity, summary: impl Into<String>) -> HelloFlag {
    HelloFlag {
        code: code.into(),
        severity,
        summary: summary.into(),
        evidence: Vec::new(),
    }
}

fn names<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let list: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

fn version_names(v: &[ProtocolVersion]) -> String {
    names(v.iter().map(|v| v.display_name()))
}

/// The weak, obsolete and missing things in a client's offer (codes in the
/// module documentation), most severe first.
pub fn flags(offer: &ClientOffer) -> Vec<HelloFlag> {
    let mut out = Vec::new();
    let max = offer.max_version();
    let versions = offer.versions();
    let offers_tls12_or_lower = versions.iter().any(|v| *v <= ProtocolVersion::TLS1_2);

    if offer.ssl2_format {
        out.push(flag(
            "sslv2_hello",
            Severity::Warning,
            "The hello uses the SSL 2.0 format, which TLS servers may refuse and which cannot carry extensions (no SNI, no ALPN).",
        ));
    }
    if max < ProtocolVersion::TLS1_2 {
        out.push(flag(
            "obsolete_versions_only",
            Severity::Error,
            format!(
                "The client offers {} at most; TLS 1.0 and 1.1 are deprecated (RFC 8996) and current servers accept only TLS 1.2 and 1.3.",
                max.display_name()
            ),
        ));
    } else if max < ProtocolVersion::TLS1_3 {
        out.push(flag(
            "no_tls1_3",
            Severity::Warning,
            "The client offers TLS 1.2 at most; TLS 1.3 is faster and safer, and some servers require it.",
        ));
    }
    let obsolete: Vec<ProtocolVersion> = offer
        .supported_versions
        .iter()
        .flatten()
        .copied()
        .filter(|v| *v < ProtocolVersion::TLS1_2 && !is_grease(v.0))
        .collect();
    if !obsolete.is_empty() && max >= ProtocolVersion::TLS1_2 {
        out.push(flag(
            "obsolete_versions_offered",
            Severity::Warning,
            format!(
                "The client also offers {} (deprecated by RFC 8996), so a downgrade to it is possible.",
                version_names(&obsolete)
            ),
        ));
    }

    suite_flags(offer, &mut out);

    if offer.compression_methods.iter().any(|m| *m != 0) {
        out.push(flag(
            "compression_offered",
            Severity::Warning,
            "The client offers TLS compression, which leaks secrets (CRIME).",
        ));
    }
    let pq = offer
        .groups
        .iter()
        .any(|g| matches!(g.kind(), Some(GroupKind::Hybrid | GroupKind::PostQuantum)));
    if !pq && max >= ProtocolVersion::TLS1_3 {
        out.push(flag(
            "no_post_quantum",
            Severity::Info,
            "The client offers no post-quantum key exchange (X25519MLKEM768), so recorded traffic could be decrypted by a future quantum computer.",
        ));
    } else if !pq {
        out.push(flag(
            "no_post_quantum",
            Severity::Info,
            "The client offers no post-quantum key exchange; that needs TLS 1.3 and a hybrid group such as X25519MLKEM768.",
        ));
    }
    if offer.extensions.is_some() && !offer.ssl2_format {
        if !offer.has_extension(EXT_SERVER_NAME) {
            out.push(flag(
                "missing_sni",
                Severity::Warning,
                "The client sends no server name (SNI): a server hosting several names cannot pick the right certificate, and some refuse the connection.",
            ));
        }
        if offers_tls12_or_lower && !offer.has_extension(EXT_EXTENDED_MASTER_SECRET) {
            out.push(flag(
                "missing_extended_master_secret",
                Severity::Warning,
                "The client offers TLS 1.2 or lower without extended_master_secret (RFC 7627), which blocks the triple-handshake attack; FIPS servers require it.",
            ));
        }
        if offers_tls12_or_lower
            && !offer.has_extension(EXT_RENEGOTIATION_INFO)
            && !offer.has_suite(SCSV_RENEGOTIATION)
        {
            out.push(flag(
                "missing_renegotiation_info",
                Severity::Warning,
                "The client sends neither renegotiation_info nor its SCSV (RFC 5746), so it is open to the renegotiation attack and strict servers refuse it.",
            ));
        }
    }
    if offer.has_suite(SCSV_FALLBACK) {
        out.push(flag(
            "fallback_scsv",
            Severity::Info,
            "The client sends TLS_FALLBACK_SCSV: this is a retry with a lower version after an earlier attempt failed.",
        ));
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

fn suite_flags(offer: &ClientOffer, out: &mut Vec<HelloFlag>) {
    let infos: Vec<_> = offer.real_suites().filter_map(|s| s.info()).collect();
    let any_real = offer.real_suites().next().is_some() || !offer.ssl2_cipher_kinds.is_empty();
    let pick = |pred: &dyn Fn(&wire::registry::CipherSuiteInfo) -> bool| -> Vec<&'static str> {
        infos
            .iter()
            .filter(|i| pred(i))
            .map(|i| i.iana_name)
            .collect()
    };
    let ssl2 = &offer.ssl2_cipher_kinds;

    if any_real && !infos.iter().any(|i| i.forward_secrecy()) {
        out.push(flag(
            "no_forward_secrecy",
            Severity::Error,
            "No offered cipher suite has forward secrecy (ECDHE, DHE or TLS 1.3): whoever obtains the server's key later can decrypt recorded traffic, and current servers refuse such clients.",
        ));
    }
    if any_real && !infos.iter().any(|i| i.is_aead()) {
        out.push(flag(
            "no_aead",
            Severity::Warning,
            "No offered cipher suite is AEAD (AES-GCM, ChaCha20-Poly1305): only CBC or RC4, open to padding-oracle attacks; many servers accept only AEAD suites.",
        ));
    }
    let mut push = |code: &str, severity, summary: &str, found: Vec<String>| {
        if !found.is_empty() {
            let mut f = flag(code, severity, summary);
            f.evidence = found;
            out.push(f);
        }
    };
    let with_ssl2 = |mut tls: Vec<&'static str>, kinds: &[Ssl2CipherSpec]| -> Vec<String> {
        let mut v: Vec<String> = tls.drain(..).map(str::to_owned).collect();
        v.extend(kinds.iter().map(|k| k.name()));
        v
    };
    push(
        "export_offered",
        Severity::Error,
        "The client offers export-grade (40/56-bit) cipher suites, which an attacker can force and break (FREAK, Logjam).",
        with_ssl2(
            pick(&|i| i.export),
            &ssl2.iter().copied().filter(|k| k.is_export()).collect::<Vec<_>>(),
        ),
    );
    push(
        "null_offered",
        Severity::Error,
        "The client offers cipher suites without encryption (NULL).",
        with_ssl2(pick(&|i| i.is_null_encryption()), &[]),
    );
    push(
        "anon_offered",
        Severity::Error,
        "The client offers anonymous cipher suites, which do not authenticate the server: anyone in the middle can impersonate it.",
        with_ssl2(pick(&|i| i.is_anonymous()), &[]),
    );
    push(
        "rc4_offered",
        Severity::Warning,
        "The client offers RC4, which is broken and forbidden in TLS (RFC 7465).",
        with_ssl2(
            pick(&|i| i.enc == Encryption::Rc4 && !i.export),
            &ssl2
                .iter()
                .copied()
                .filter(|k| *k == Ssl2CipherSpec::RC4_128_WITH_MD5)
                .collect::<Vec<_>>(),
        ),
    );
    push(
        "triple_des_offered",
        Severity::Warning,
        "The client offers 3DES, whose 64-bit blocks make long connections decryptable (Sweet32).",
        with_ssl2(
            pick(&|i| i.enc == Encryption::TripleDes),
            &ssl2
                .iter()
                .copied()
                .filter(|k| *k == Ssl2CipherSpec::DES_192_EDE3_CBC_WITH_MD5)
                .collect::<Vec<_>>(),
        ),
    );
    push(
        "des_offered",
        Severity::Warning,
        "The client offers single DES, RC2 or IDEA, obsolete ciphers that modern servers have removed.",
        with_ssl2(
            pick(&|i| {
                !i.export && matches!(i.enc, Encryption::Des | Encryption::Rc2 | Encryption::Idea)
            }),
            &ssl2
                .iter()
                .copied()
                .filter(|k| {
                    matches!(
                        *k,
                        Ssl2CipherSpec::DES_64_CBC_WITH_MD5
                            | Ssl2CipherSpec::RC2_128_CBC_WITH_MD5
                            | Ssl2CipherSpec::IDEA_128_CBC_WITH_MD5
                    )
                })
                .collect::<Vec<_>>(),
        ),
    );
}

/// A browser named by a User-Agent, with its major version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Browser {
    /// Chrome, Edge, Opera, Brave, headless Chrome: the Chromium TLS stack (BoringSSL).
    Chromium(u32),
    /// Firefox (NSS).
    Firefox(u32),
    /// Safari (Apple's TLS stack).
    Safari(u32),
}

impl Browser {
    /// `Chrome 120`.
    pub fn describe(self) -> String {
        match self {
            Browser::Chromium(v) => format!("Chrome/Chromium {v}"),
            Browser::Firefox(v) => format!("Firefox {v}"),
            Browser::Safari(v) => format!("Safari {v}"),
        }
    }
}

fn major_after(ua: &str, token: &str) -> Option<u32> {
    let at = ua.find(token)? + token.len();
    let digits: String = ua[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .take(7)
        .collect();
    if digits.len() > 6 {
        return None;
    }
    digits.parse().ok()
}

/// The browser a User-Agent claims to be, if it is one of the three TLS
/// stacks the interception rules know.
pub fn browser_from_user_agent(ua: &str) -> Option<Browser> {
    if let Some(v) = major_after(ua, "Firefox/") {
        return Some(Browser::Firefox(v));
    }
    for token in ["HeadlessChrome/", "Chrome/", "Chromium/", "Edg/"] {
        if let Some(v) = major_after(ua, token) {
            return Some(Browser::Chromium(v));
        }
    }
    if ua.contains("Safari/") && !ua.contains("Android") {
        if let Some(v) = major_after(ua, "Version/") {
            return Some(Browser::Safari(v));
        }
    }
    None
}

/// The library a hello's tell-tale extensions point to, when they do.
fn library_hint(offer: &ClientOffer) -> Option<&'static str> {
    if offer.has_extension(EXT_STATUS_REQUEST_V2) {
        Some("Java (JSSE)")
    } else if offer.has_extension(EXT_ENCRYPT_THEN_MAC) {
        Some("OpenSSL or GnuTLS")
    } else {
        None
    }
}

/// The interception check: `Some(intercepted flag)` when the User-Agent
/// claims a browser whose TLS stack never sends this hello (rules in the
/// module documentation). `None` when the User-Agent is no known browser or
/// the hello fits it.
pub fn interception(offer: &ClientOffer, user_agent: &str) -> Option<HelloFlag> {
    let browser = browser_from_user_agent(user_agent)?;
    let mut evidence = Vec::new();
    let (greases, tls13, no_3des) = match browser {
        Browser::Chromium(v) => (v >= 70, v >= 70, v >= 93),
        Browser::Firefox(v) => (false, v >= 63, v >= 93),
        Browser::Safari(v) => (v >= 14, v >= 14, false),
    };
    let who = browser.describe();
    if greases && !offer.has_grease() {
        evidence.push(format!(
            "{who} sends GREASE values (RFC 8701); this hello has none"
        ));
    }
    if tls13 && !offer.accepts_version(ProtocolVersion::TLS1_3) {
        evidence.push(format!(
            "{who} offers TLS 1.3; this hello offers {} at most",
            offer.max_version().display_name()
        ));
    }
    let legacy: Vec<&str> = offer
        .real_suites()
        .filter_map(|s| s.info())
        .filter(|i| {
            i.export
                || i.is_null_encryption()
                || i.is_anonymous()
                || i.enc == Encryption::Rc4
                || (no_3des && i.enc == Encryption::TripleDes)
        })
        .map(|i| i.iana_name)
        .collect();
    if !legacy.is_empty() {
        evidence.push(format!(
            "{who} never offers {}; this hello does",
            legacy.join(", ")
        ));
    }
    if offer.has_extension(EXT_ENCRYPT_THEN_MAC) {
        evidence.push(
            "the hello carries encrypt_then_mac, which OpenSSL and GnuTLS send and no browser does"
                .into(),
        );
    }
    if offer.has_extension(EXT_STATUS_REQUEST_V2) {
        evidence.push(
            "the hello carries status_request_v2, which Java sends and no browser does".into(),
        );
    }
    if evidence.is_empty() {
        return None;
    }
    let by = library_hint(offer)
        .map(|l| format!(" (it looks like {l})"))
        .unwrap_or_default();
    let mut f = flag(
        "intercepted",
        Severity::Warning,
        format!(
            "The User-Agent says {who}, but the TLS hello was not sent by {who}{by}: something between the browser and this server terminates TLS (antivirus, corporate proxy, malware), or the client only pretends to be a browser."
        ),
    );
    f.evidence = evidence;
    Some(f)
}

/// A certificate key a server can use, and the signature schemes it signs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerKey {
    /// `Auth::Rsa` or `Auth::Ecdsa` (the TLS 1.2 suites it serves).
    pub auth: Auth,
    pub schemes: Vec<SignatureScheme>,
}

/// What a server accepts, in its order of preference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerSupport {
    /// Highest first.
    pub versions: Vec<ProtocolVersion>,
    pub cipher_suites: Vec<CipherSuite>,
    pub groups: Vec<NamedGroup>,
    pub keys: Vec<ServerKey>,
}

/// What client and server would agree on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub version: ProtocolVersion,
    pub cipher_suite: CipherSuite,
    pub group: Option<NamedGroup>,
    /// The key (index into [`ServerSupport::keys`]) the server would present.
    pub key: usize,
    /// `None` when nothing is signed with a negotiated scheme (RSA key
    /// exchange, TLS 1.0/1.1, a TLS 1.2 client without
    /// `signature_algorithms`, which takes the defaults).
    pub signature_scheme: Option<SignatureScheme>,
}

pub use crate::mismatch::{Mismatch, Missing};

fn tls13_scheme_ok(s: SignatureScheme) -> bool {
    // RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5, SHA-1 and SHA-224 pairs are TLS 1.2 only;
    // the 0x0403/0x0503/0x0603 ECDSA code points are TLS 1.3 schemes.
    let (hash, sig) = (s.0 >> 8, s.0 & 0xff);
    matches!(s.0, 0x0403 | 0x0503 | 0x0603) || !((1..=6).contains(&hash) && (1..=3).contains(&sig))
}

fn group_ok(group: NamedGroup, version: ProtocolVersion) -> bool {
    // ML-KEM (hybrid or alone) exists only in TLS 1.3; TLS 1.2 ECDHE needs a curve.
    version >= ProtocolVersion::TLS1_3 || group.kind() == Some(GroupKind::Ecdhe)
}

/// A server whose lists are known exactly (the `listen` server, a
/// `compare` target described by [`ServerSupport`]), facing one offer: the
/// [`negotiation::ServerSide`] of [`negotiate`].
struct Exact<'a> {
    offer: &'a ClientOffer,
    server: &'a ServerSupport,
}

impl Exact<'_> {
    /// The server's keys that can serve `suite` at `version`, with their index.
    fn keys_for(
        &self,
        version: ProtocolVersion,
        suite: CipherSuite,
    ) -> impl Iterator<Item = (usize, &ServerKey)> {
        let auth = suite.info().map(|i| i.auth);
        self.server
            .keys
            .iter()
            .enumerate()
            .filter(move |(_, k)| version >= ProtocolVersion::TLS1_3 || Some(k.auth) == auth)
    }
}

impl negotiation::ServerSide for Exact<'_> {
    fn version(&self) -> Known<ProtocolVersion> {
        if self.offer.ssl2_format {
            return Known::No;
        }
        match self
            .server
            .versions
            .iter()
            .copied()
            .find(|v| self.offer.accepts_version(*v))
        {
            Some(v) => Known::Yes(v),
            None => Known::No,
        }
    }

    fn suites(&self, version: ProtocolVersion) -> negotiation::SuiteList {
        negotiation::SuiteList {
            suites: self
                .server
                .cipher_suites
                .iter()
                .copied()
                .filter(|s| self.keys_for(version, *s).next().is_some())
                .collect(),
            // rustls (the listen server) and a profile's description honour
            // the client's order.
            server_order: false,
            incomplete: None,
        }
    }

    fn group(&self, version: ProtocolVersion, suite: CipherSuite) -> Known<Option<NamedGroup>> {
        let needs_group = version >= ProtocolVersion::TLS1_3
            || suite.info().is_some_and(|i| i.kx == KeyExchange::Ecdhe);
        if !needs_group {
            return Known::Yes(None);
        }
        // RFC 8422 §5.1.2: a TLS 1.2 client that lists point formats must
        // include the uncompressed one.
        let points_ok = version >= ProtocolVersion::TLS1_3
            || self
                .offer
                .ec_point_formats
                .as_ref()
                .is_none_or(|f| f.contains(&0));
        match self
            .server
            .groups
            .iter()
            .copied()
            .find(|g| points_ok && group_ok(*g, version) && self.offer.groups.contains(g))
        {
            Some(g) => Known::Yes(Some(g)),
            None => Known::No,
        }
    }

    fn signature(&self, version: ProtocolVersion, suite: CipherSuite) -> Known<Signer> {
        let mut keys = self.keys_for(version, suite);
        // TLS 1.0/1.1 sign with MD5+SHA-1 / SHA-1 (no negotiated scheme),
        // RSA key exchange signs nothing, and a TLS 1.2 client without
        // signature_algorithms takes the defaults (RFC 5246 §7.4.1.4.1).
        let unsigned = version < ProtocolVersion::TLS1_2
            || suite.info().is_some_and(|i| i.kx == KeyExchange::Rsa)
            || (version < ProtocolVersion::TLS1_3 && self.offer.signature_algorithms.is_empty());
        if unsigned {
            return match keys.next() {
                Some((key, _)) => Known::Yes(Signer { key, scheme: None }),
                None => Known::No,
            };
        }
        keys.find_map(|(key, k)| {
            k.schemes
                .iter()
                .copied()
                .find(|s| {
                    self.offer.signature_algorithms.contains(s)
                        && (version < ProtocolVersion::TLS1_3 || tls13_scheme_ok(*s))
                })
                .map(|s| Signer {
                    key,
                    scheme: Some(s),
                })
        })
        .map_or(Known::No, Known::Yes)
    }
}

/// Would this client and this server agree? The server picks the highest
/// common version, then suites in the client's order, each with a group and
/// a signature scheme ([`negotiation::negotiate`], the model client
/// simulation shares); when no combination works, the furthest stage
/// reached names the mismatch: a common version but no suite is
/// `cipher_mismatch`, a suite but no group `group_mismatch`, and so on.
pub fn negotiate(offer: &ClientOffer, server: &ServerSupport) -> Result<Agreement, Box<Mismatch>> {
    let client: Vec<CipherSuite> = offer.real_suites().collect();
    match negotiation::negotiate(&client, &Exact { offer, server }) {
        Negotiated::Agreed(a) => Ok(Agreement {
            version: a.version,
            cipher_suite: a.suite,
            group: a.group,
            key: a.signer.key,
            signature_scheme: a.signer.scheme,
        }),
        Negotiated::Mismatch { failed_at, version } => Err(Box::new(match (failed_at, version) {
            (Stage::Version, _) | (_, None) => protocol_mismatch(offer, server),
            (Stage::Suite, Some(v)) => cipher_mismatch(offer, server, &[v]),
            (Stage::Group, Some(v)) => group_mismatch(offer, server, v),
            (Stage::Signature, Some(v)) => sigalg_mismatch(offer, server, v),
        })),
        // Every list of an exact server is known, so this does not happen;
        // were it to, the version is what could not be settled.
        Negotiated::Unknown { .. } => Err(Box::new(protocol_mismatch(offer, server))),
    }
}

fn protocol_mismatch(offer: &ClientOffer, server: &ServerSupport) -> Mismatch {
    let client = if offer.ssl2_format {
        Some(format!(
            "an SSL 2.0-format hello ({} at most)",
            offer.legacy_version.display_name()
        ))
    } else if offer.supported_versions.is_some() {
        None
    } else {
        Some(format!("{} at most", offer.legacy_version.display_name()))
    };
    mismatch::protocol(client, &offer.versions(), &server.versions)
}

fn cipher_mismatch(
    offer: &ClientOffer,
    server: &ServerSupport,
    common: &[ProtocolVersion],
) -> Mismatch {
    let at: Vec<CipherSuite> = server
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| {
            s.info()
                .is_some_and(|i| common.iter().any(|v| i.usable_in(*v)))
        })
        .collect();
    let client: Vec<CipherSuite> = offer.real_suites().collect();
    mismatch::cipher(common, &client, &at)
}

fn group_mismatch(
    offer: &ClientOffer,
    server: &ServerSupport,
    version: ProtocolVersion,
) -> Mismatch {
    let server_groups: Vec<NamedGroup> = server
        .groups
        .iter()
        .copied()
        .filter(|g| group_ok(*g, version))
        .collect();
    let client: Vec<NamedGroup> = offer
        .groups
        .iter()
        .copied()
        .filter(|g| !g.is_grease())
        .collect();
    let note = offer
        .ec_point_formats
        .as_ref()
        .is_some_and(|f| !f.contains(&0))
        .then_some("The client's ec_point_formats also lacks the uncompressed format.");
    mismatch::group(version, &client, &server_groups, note)
}

fn sigalg_mismatch(
    offer: &ClientOffer,
    server: &ServerSupport,
    version: ProtocolVersion,
) -> Mismatch {
    let server_schemes: BTreeSet<String> = server
        .keys
        .iter()
        .flat_map(|k| k.schemes.iter())
        .filter(|s| version < ProtocolVersion::TLS1_3 || tls13_scheme_ok(**s))
        .map(|s| s.name())
        .collect();
    mismatch::sigalg(
        version,
        &offer.signature_algorithms,
        server_schemes.into_iter().collect(),
    )
}

/// Writes the offer into a record: the format, SNI, the lists by name (as
/// [`ClientHelloRecord`] documents them) and the [`flags`]. JA3/JA4, the
/// handshake outcome and the User-Agent are the caller's.
pub fn fill_record(record: &mut ClientHelloRecord, offer: &ClientOffer) {
    record.format = format_of(offer);
    record.sni = offer.sni.clone();
    record.legacy_version = Some(offer.legacy_version.to_string());
    record.versions = offer.versions().iter().map(|v| v.to_string()).collect();
    record.cipher_suites = offer
        .cipher_suites
        .iter()
        .map(|s| OfferedSuite {
            name: s.name(),
            code: format!("0x{:04x}", s.0),
            grease: s.is_grease(),
            scsv: s.is_scsv(),
        })
        .chain(offer.ssl2_cipher_kinds.iter().map(|k| OfferedSuite {
            name: k.name(),
            code: format!("0x{:06x}", k.0),
            grease: false,
            scsv: false,
        }))
        .collect();
    record.compression_methods = offer.compression_methods.clone();
    record.groups = offer.groups.iter().map(|g| g.name()).collect();
    record.key_shares = offer.key_shares.iter().map(|g| g.name()).collect();
    record.signature_algorithms = offer
        .signature_algorithms
        .iter()
        .map(|s| s.name())
        .collect();
    record.alpn = offer.alpn.iter().map(|p| alpn_name(p)).collect();
    record.extensions = offer
        .extensions
        .iter()
        .flatten()
        .map(|e| e.name())
        .collect();
    record.flags = flags(offer);
}

/// An ALPN protocol name as text when it is printable UTF-8, else `0x` + hex.
pub fn alpn_name(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.is_empty() && !s.chars().any(char::is_control) => s.to_owned(),
        _ => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}")
        }
    }
}

/// The format a hello arrived in, as the record names it.
pub fn format_of(offer: &ClientOffer) -> HelloFormat {
    if offer.ssl2_format {
        HelloFormat::Sslv2
    } else {
        HelloFormat::Tls
    }
}

#[cfg(test)]
mod tests {
    use model::Code;

    use super::*;

    fn modern() -> ClientOffer {
        ClientOffer {
            legacy_version: ProtocolVersion::TLS1_2,
            supported_versions: Some(vec![
                ProtocolVersion(0x3a3a),
                ProtocolVersion::TLS1_3,
                ProtocolVersion::TLS1_2,
            ]),
            cipher_suites: [0x3a3a, 0x1301, 0x1302, 0xc02b, 0xc02f]
                .map(CipherSuite)
                .to_vec(),
            compression_methods: vec![0],
            extensions: Some(
                [0x3a3a, 0, 23, 0xff01, 10, 13, 43, 51]
                    .map(ExtensionType)
                    .to_vec(),
            ),
            groups: [0x11ec, 0x001d, 0x0017].map(NamedGroup).to_vec(),
            key_shares: [0x11ec].map(NamedGroup).to_vec(),
            signature_algorithms: [0x0403, 0x0804, 0x0401].map(SignatureScheme).to_vec(),
            sni: Some("example.com".into()),
            ..ClientOffer::default()
        }
    }

    fn rustls_like() -> ServerSupport {
        ServerSupport {
            versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            cipher_suites: [
                0x1302, 0x1301, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xc02f, 0xcca8,
            ]
            .map(CipherSuite)
            .to_vec(),
            groups: [0x11ec, 0x001d, 0x0017, 0x0018].map(NamedGroup).to_vec(),
            keys: vec![
                ServerKey {
                    auth: Auth::Ecdsa,
                    schemes: vec![SignatureScheme(0x0403)],
                },
                ServerKey {
                    auth: Auth::Rsa,
                    schemes: [0x0806, 0x0805, 0x0804, 0x0601, 0x0501, 0x0401]
                        .map(SignatureScheme)
                        .to_vec(),
                },
            ],
        }
    }

    fn codes(flags: &[HelloFlag]) -> Vec<&str> {
        flags.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn a_modern_browser_raises_nothing_but_connects() {
        let offer = modern();
        assert!(flags(&offer).is_empty(), "{:?}", flags(&offer));
        let a = negotiate(&offer, &rustls_like()).unwrap();
        assert_eq!(a.version, ProtocolVersion::TLS1_3);
        assert_eq!(a.cipher_suite, CipherSuite(0x1301));
        assert_eq!(a.group, Some(NamedGroup(0x11ec)));
        assert_eq!(a.key, 0);
    }

    #[test]
    fn tls10_client_is_a_protocol_mismatch() {
        let offer = ClientOffer {
            legacy_version: ProtocolVersion::TLS1_0,
            supported_versions: None,
            cipher_suites: [0xc014, 0x0035, 0x000a, 0x0005, 0x00ff]
                .map(CipherSuite)
                .to_vec(),
            compression_methods: vec![0],
            extensions: Some(vec![ExtensionType(10), ExtensionType(11)]),
            groups: vec![NamedGroup(0x17)],
            ..ClientOffer::default()
        };
        let m = negotiate(&offer, &rustls_like()).unwrap_err();
        assert_eq!(m.code, Code::ProtocolMismatch);
        assert_eq!(m.missing.client, ["tls1_0"]);
        let f = flags(&offer);
        let c = codes(&f);
        for want in [
            "obsolete_versions_only",
            "no_aead",
            "rc4_offered",
            "triple_des_offered",
            "missing_sni",
            "missing_extended_master_secret",
            "no_post_quantum",
        ] {
            assert!(c.contains(&want), "{want} missing from {c:?}");
        }
        assert!(!c.contains(&"missing_renegotiation_info"), "{c:?}");
        assert!(!c.contains(&"no_forward_secrecy"), "{c:?}");
    }

    #[test]
    fn cbc_only_tls12_is_a_cipher_mismatch() {
        let mut offer = modern();
        offer.supported_versions = None;
        offer.cipher_suites = [0xc013, 0x002f, 0x0035].map(CipherSuite).to_vec();
        let m = negotiate(&offer, &rustls_like()).unwrap_err();
        assert_eq!(m.code, Code::CipherMismatch, "{m:?}");
        assert!(codes(&flags(&offer)).contains(&"no_aead"));
    }

    #[test]
    fn rsa_suite_picks_the_rsa_key_and_rsa_kx_has_no_fs() {
        let mut offer = modern();
        offer.supported_versions = None;
        offer.cipher_suites = [0xc02f, 0x0035].map(CipherSuite).to_vec();
        let a = negotiate(&offer, &rustls_like()).unwrap();
        assert_eq!((a.version, a.key), (ProtocolVersion::TLS1_2, 1));
        offer.cipher_suites = [0x009c, 0x0035].map(CipherSuite).to_vec();
        assert!(codes(&flags(&offer)).contains(&"no_forward_secrecy"));
    }

    #[test]
    fn groups_and_sigalgs() {
        let mut offer = modern();
        offer.groups = vec![NamedGroup(0x0019)]; // secp521r1
        assert_eq!(
            negotiate(&offer, &rustls_like()).unwrap_err().code,
            Code::GroupMismatch
        );
        let mut offer = modern();
        offer.signature_algorithms = vec![SignatureScheme(0x0201)];
        assert_eq!(
            negotiate(&offer, &rustls_like()).unwrap_err().code,
            Code::SigalgMismatch
        );
        // TLS 1.3 may not use PKCS#1 v1.5; TLS 1.2 may, but a server that
        // chose TLS 1.3 does not fall back to TLS 1.2 for it (OpenSSL and
        // rustls fail the handshake: no suitable signature algorithm).
        let mut offer = modern();
        offer.signature_algorithms = vec![SignatureScheme(0x0401)];
        let m = negotiate(&offer, &rustls_like()).unwrap_err();
        assert_eq!(m.code, Code::SigalgMismatch);
        offer.supported_versions = None;
        let a = negotiate(&offer, &rustls_like()).unwrap();
        assert_eq!((a.version, a.key), (ProtocolVersion::TLS1_2, 1));
        // X25519MLKEM768 cannot serve TLS 1.2
        let mut offer = modern();
        offer.supported_versions = None;
        offer.groups = vec![NamedGroup(0x11ec)];
        assert_eq!(
            negotiate(&offer, &rustls_like()).unwrap_err().code,
            Code::GroupMismatch
        );
    }

    #[test]
    fn user_agents() {
        assert_eq!(
            browser_from_user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
            Some(Browser::Chromium(120))
        );
        assert_eq!(
            browser_from_user_agent(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            Some(Browser::Firefox(128))
        );
        assert_eq!(
            browser_from_user_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"),
            Some(Browser::Safari(17))
        );
        assert_eq!(
            browser_from_user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"),
            Some(Browser::Chromium(131))
        );
        assert_eq!(browser_from_user_agent("curl/7.88.1"), None);
        assert_eq!(browser_from_user_agent("Chrome/99999999999999999"), None);
    }

    #[test]
    fn interception_fires_on_an_openssl_hello_under_a_chrome_user_agent() {
        let chrome =
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(interception(&modern(), chrome), None);
        let mut openssl = modern();
        openssl.supported_versions = None;
        openssl.cipher_suites.retain(|s| !s.is_grease());
        openssl.extensions = Some([0, 11, 10, 22, 23, 13].map(ExtensionType).to_vec());
        let f = interception(&openssl, chrome).unwrap();
        assert_eq!(f.code, "intercepted");
        assert_eq!(f.evidence.len(), 3, "{f:?}");
        assert!(f.summary.contains("OpenSSL"), "{}", f.summary);
        assert_eq!(interception(&openssl, "curl/8.0"), None);
    }

    #[test]
    fn ssl2_hello() {
        let hello = Ssl2ClientHello {
            version: ProtocolVersion::TLS1_0,
            cipher_specs: vec![
                Ssl2CipherSpec(0x00_0035),
                Ssl2CipherSpec::RC4_128_EXPORT40_WITH_MD5,
            ],
            session_id: vec![],
            challenge: vec![0; 16],
        };
        let offer = ClientOffer::from_ssl2(&hello);
        assert_eq!(offer.cipher_suites, [CipherSuite(0x0035)]);
        let f = flags(&offer);
        let c = codes(&f);
        assert!(
            c.contains(&"sslv2_hello") && c.contains(&"export_offered"),
            "{c:?}"
        );
        assert_eq!(
            negotiate(&offer, &rustls_like()).unwrap_err().code,
            Code::ProtocolMismatch
        );
    }
}
