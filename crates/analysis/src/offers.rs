//! What tlsdoctor offers when it asks a server what it accepts: every suite,
//! group and signature scheme the registries know per version, and the one
//! hello that offers them. Diagnose's version probes, the scan's
//! enumerations and the vulnerability probes all build their hellos here.

use model::{HelloSpec, Target};
use wire::registry::{
    CipherSuite, GroupKind, KeyExchange, NamedGroup, ProtocolVersion, SignatureScheme,
};

/// Every suite the registry knows that is usable at `version`, except SCSVs,
/// in offer order ([`offer_rank`]). The scan planner asks for these lists
/// many times per round, so each version's list is built once.
pub fn suites(version: ProtocolVersion) -> Vec<CipherSuite> {
    static BY_VERSION: std::sync::OnceLock<Vec<(ProtocolVersion, Vec<CipherSuite>)>> =
        std::sync::OnceLock::new();
    let lists = BY_VERSION.get_or_init(|| {
        [
            ProtocolVersion::SSL3,
            ProtocolVersion::TLS1_0,
            ProtocolVersion::TLS1_1,
            ProtocolVersion::TLS1_2,
            ProtocolVersion::TLS1_3,
        ]
        .into_iter()
        .map(|v| (v, registry_suites(v)))
        .collect()
    });
    match lists.iter().find(|(v, _)| *v == version) {
        Some((_, list)) => list.clone(),
        None => registry_suites(version),
    }
}

fn registry_suites(version: ProtocolVersion) -> Vec<CipherSuite> {
    let mut suites: Vec<CipherSuite> = CipherSuite::ALL
        .iter()
        .filter(|info| info.min_version <= version && version <= info.max_version)
        .map(|info| CipherSuite(info.code))
        .filter(|s| !s.is_scsv())
        .collect();
    suites.sort_by_key(|s| offer_rank(*s));
    suites
}

/// The same suites, those cheapest for the server to answer first: for a
/// probe that asks about something other than the key exchange (extensions,
/// ALPN, encrypt-then-MAC, the default certificate, heartbeat, CCS), a
/// server that follows the client's order then picks a suite whose first
/// flight carries no signature (RSA key transport, static (EC)DH: RFC 5246
/// §7.4.3, the ServerKeyExchange is omitted) instead of signing an ECDHE
/// share or, worst, generating a DHE key. A one-core server answers a scan
/// sooner; the offer still holds every suite, so what the server accepts is
/// unchanged, and a server that enforces its own order picks as before.
pub fn cheap_first(mut suites: Vec<CipherSuite>) -> Vec<CipherSuite> {
    suites.sort_by_key(|s| match s.info().map(|i| i.kx) {
        Some(KeyExchange::Rsa | KeyExchange::Dh | KeyExchange::Ecdh) => 0,
        Some(KeyExchange::Ecdhe) => 1,
        Some(KeyExchange::Dhe) => 3,
        _ => 2,
    });
    suites
}

/// Where a suite goes in an offer: key exchanges every configured server can
/// complete first, finite-field DH last. A server that follows the client's
/// order takes the first suite it has enabled; with DHE enabled but no DH
/// parameters (Dovecot without `ssl_dh`, OpenSSL applications that never
/// call `SSL_CTX_set_dh_auto`) it fails the handshake on a DHE pick and
/// closes, often without an alert, which would read as "TLS 1.2 refused"
/// when the offer starts with DHE (registry order) although every ECDHE
/// client connects. Real clients put ECDHE first too.
fn offer_rank(suite: CipherSuite) -> u8 {
    let name = suite.name();
    if name.starts_with("TLS_ECDHE_") || !name.contains("_WITH_") {
        0
    } else if name.starts_with("TLS_RSA_") {
        1
    } else if name.starts_with("TLS_DHE_") || name.starts_with("TLS_DH_") {
        3
    } else {
        2
    }
}

/// Every group worth offering at `version`: all known groups for TLS 1.3,
/// the elliptic curves for TLS ≤ 1.2 (RFC 8422 §5.1.1; a TLS ≤ 1.2 server
/// picks its DHE group itself when the list names no FFDHE group, RFC 7919
/// §4).
pub fn groups(version: ProtocolVersion) -> Vec<NamedGroup> {
    NamedGroup::INFOS
        .iter()
        .filter(|g| !matches!(g.code, 0xff01 | 0xff02))
        .filter(|g| version == ProtocolVersion::TLS1_3 || g.kind == GroupKind::Ecdhe)
        .map(|g| g.group())
        .collect()
}

/// Every signature scheme a server might sign with, strongest first.
pub fn signature_schemes() -> Vec<SignatureScheme> {
    [
        0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b,
        0x0401, 0x0501, 0x0601, 0x0303, 0x0203, 0x0201, 0x0301, 0x0402, 0x0502, 0x0602, 0x0202,
        0x0302, 0x0101, 0x0102, 0x0103,
    ]
    .into_iter()
    .map(SignatureScheme)
    .collect()
}

/// A hello offering `suites` at exactly `version`, with every group and
/// signature scheme for it (key shares for x25519 and secp256r1 at TLS 1.3),
/// SNI as the target says, and the extensions a current client sends.
pub fn hello(target: &Target, version: ProtocolVersion, suites: Vec<CipherSuite>) -> HelloSpec {
    let tls13 = version == ProtocolVersion::TLS1_3;
    HelloSpec {
        versions: vec![version],
        cipher_suites: suites,
        groups: if version >= ProtocolVersion::TLS1_0 {
            groups(version)
        } else {
            Vec::new()
        },
        key_shares: if tls13 {
            vec![NamedGroup::X25519, NamedGroup::SECP256R1]
        } else {
            Vec::new()
        },
        signature_algorithms: signature_schemes(),
        sni: target.sni.clone(),
        modern_extensions: true,
        ..Default::default()
    }
}
