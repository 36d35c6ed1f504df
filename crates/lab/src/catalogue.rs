//! The list of lab servers: each one's name, its deliberate fault and the
//! diagnosis code tlsdoctor must produce for it, in teaching order.
//!
//! This is data only; how each server behaves lives in [`crate::tls`],
//! [`crate::scripted`] and [`crate::transport`].

use model::VulnId;

/// One lab server as the catalogue describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerSpec {
    /// Stable name (`good`, `expired`, ...), used in `LabConfig::only`.
    pub name: &'static str,
    /// The deliberate fault, in one line for people.
    pub fault: &'static str,
    /// The diagnosis code tlsdoctor must report for this server.
    pub expect: &'static str,
}

const fn spec(name: &'static str, fault: &'static str, expect: &'static str) -> ServerSpec {
    ServerSpec {
        name,
        fault,
        expect,
    }
}

static CATALOGUE: &[ServerSpec] = &[
    // A healthy server first, so every other one reads as "good, except ...".
    spec(
        "good",
        "none: TLS 1.2 and 1.3, full chain to the lab root",
        "ok",
    ),
    spec("tls13-only", "none: TLS 1.3 only", "ok"),
    // The certificate: time, name, trust, chain, strength.
    spec(
        "expired",
        "leaf certificate expired 30 days ago",
        "cert_expired",
    ),
    spec(
        "not-yet-valid",
        "leaf certificate becomes valid in 30 days",
        "cert_not_yet_valid",
    ),
    spec(
        "wrong-host",
        "leaf certificate is for wrong.example, not localhost",
        "cert_hostname_mismatch",
    ),
    spec(
        "self-signed",
        "self-signed leaf certificate for localhost",
        "cert_self_signed",
    ),
    spec(
        "untrusted-root",
        "chain ends in a root that is not in the lab CA file",
        "cert_untrusted_root",
    ),
    spec(
        "incomplete-chain",
        "sends the leaf without the intermediate that issued it",
        "cert_chain_incomplete",
    ),
    spec(
        "wrong-order",
        "chain is leaf, intermediate, issuing CA: the leaf's issuer comes last",
        "cert_chain_order",
    ),
    spec(
        "sha1",
        "leaf certificate signed with SHA-1 (ecdsa-with-SHA1)",
        "cert_weak_signature",
    ),
    spec(
        "weak-key",
        "leaf certificate has a 1024-bit RSA key (TLS 1.2, RSA key exchange)",
        "cert_weak_key",
    ),
    spec(
        "revoked",
        "leaf certificate revoked (keyCompromise); the server staples the OCSP response that says so",
        "cert_revoked",
    ),
    spec(
        "key-type-mismatch",
        "ECDSA certificate with only ECDHE-RSA suites enabled (TLS 1.2): no suite fits the key",
        "cert_key_type_mismatch",
    ),
    // The handshake: what the server demands or refuses.
    spec(
        "client-cert-required",
        "requires a client certificate from the lab client CA",
        "client_cert_required",
    ),
    // After the handshake: refusals only the first request shows.
    spec(
        "http-cert-required",
        "asks for a client certificate, completes the handshake without one, then answers HTTP 400 \"No required SSL certificate was sent\" (nginx `ssl_verify_client on`)",
        "client_cert_required",
    ),
    spec(
        "closed-after-handshake",
        "completes the handshake, then closes the connection without close_notify or an answer",
        "closed_after_handshake",
    ),
    spec(
        "sni-required",
        "fatal unrecognized_name alert unless SNI is localhost",
        "sni_required",
    ),
    spec(
        "tls10-only",
        "speaks TLS 1.0 only (RSA key exchange, CBC)",
        "protocol_mismatch",
    ),
    spec(
        "legacy-ciphers-only",
        "TLS 1.2 with only 3DES and RC4 suites (RSA key exchange)",
        "cipher_mismatch",
    ),
    spec(
        "dh-1024",
        "TLS 1.2 with only DHE suites over a 1024-bit prime",
        "cipher_mismatch",
    ),
    // Known vulnerabilities (`scan` shows them; see `vulnerabilities`).
    spec(
        "legacy-vulnerable",
        "SSL 2.0 to TLS 1.2 with RC4, 3DES, export RSA and CBC suites, DEFLATE, no renegotiation_info, TLS_FALLBACK_SCSV ignored",
        // Scripted: it never answers the client's Finished (no key
        // schedule), which tlsdoctor's own TLS 1.0-1.2 engine now reaches.
        "handshake_timeout",
    ),
    spec(
        "implementation-bugs",
        "TLS 1.2, RSA key exchange: Heartbleed (dummy bytes), early CCS accepted, ROBOT padding oracle, Ticketbleed session ID echo",
        // Scripted: it cannot read the client's Finished (no key schedule)
        // and says bad_record_mac, as a real client would see.
        "server_alert",
    ),
    // Something in the middle.
    spec(
        "interceptor",
        "TLS-terminating proxy (\"mitmproxy\" CA) in front of good",
        "intercepted",
    ),
    // The transport: not TLS, or TLS that goes wrong.
    spec("not-tls", "plain HTTP: answers 400 Bad Request", "not_tls"),
    spec("garbage", "sends 512 random bytes and closes", "not_tls"),
    spec(
        "silent",
        "accepts TCP and never sends (closes after 30 s)",
        "handshake_timeout",
    ),
    spec(
        "reset",
        "reads the ClientHello, then resets the connection (RST)",
        "handshake_reset",
    ),
    spec(
        "huge-record",
        "record length 0xFFFF > 2^14 with a ServerHello header claiming 16 MiB",
        "protocol_violation",
    ),
    spec(
        "slow-drip",
        "sends a ServerHello one byte per second (at most 60)",
        "handshake_timeout",
    ),
    spec(
        "alert-storm",
        "10 000 warning alerts, then a fatal internal_error",
        "server_alert",
    ),
];

/// The vulnerability checks (`scan`'s `vulnerabilities.NAME`) that must find
/// each lab server vulnerable; servers not listed must be found vulnerable to
/// none of the checks that need their own probe.
static VULNERABLE: &[(&str, &[VulnId])] = &[
    (
        "legacy-vulnerable",
        &[
            VulnId::PoodleSsl3,
            VulnId::Beast,
            VulnId::Sweet32,
            VulnId::Freak,
            VulnId::Drown,
            VulnId::Crime,
            VulnId::InsecureRenegotiation,
            VulnId::FallbackScsv,
            VulnId::Rc4,
            VulnId::Lucky13,
        ],
    ),
    (
        "implementation-bugs",
        &[
            VulnId::Heartbleed,
            VulnId::CcsInjection,
            VulnId::Robot,
            VulnId::Ticketbleed,
            VulnId::Lucky13,
        ],
    ),
    ("dh-1024", &[VulnId::Logjam, VulnId::Lucky13]),
];

/// The vulnerability checks that must find the lab server `name` vulnerable.
pub fn expected_vulnerabilities(name: &str) -> &'static [VulnId] {
    VULNERABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .unwrap_or(&[])
}

/// Every lab server, good first, in the order a tutorial would show them.
pub fn catalogue() -> &'static [ServerSpec] {
    CATALOGUE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_good_is_first() {
        let names: Vec<_> = catalogue().iter().map(|s| s.name).collect();
        assert_eq!(names[0], "good");
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }
}
