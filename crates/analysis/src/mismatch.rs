//! Why a client and a server cannot agree, in one place: the sentence, the
//! missing overlap ([`Missing`]) and the fix for each side. Both negotiation
//! walks build their failures here — [`crate::client_hello::negotiate`]
//! (`listen`, against its own server) and [`crate::simulate::predict`]
//! (`scan`'s client table, `compare`, `listen --against`) — so the same
//! failure reads the same everywhere.
//!
//! Pure functions of the two sides' lists; never does I/O.

use model::Code;
pub use model::Missing;
use serde::Serialize;
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

use crate::fixes;

/// Why client and server cannot agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// `protocol_mismatch`, `cipher_mismatch`, `group_mismatch` or `sigalg_mismatch`.
    pub code: Code,
    /// One sentence.
    pub summary: String,
    pub missing: Missing,
    /// The fix, for each side (lines start `Client:` or `Server:`; indented
    /// lines continue the one above).
    pub fix: Vec<String>,
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

/// No common protocol version. `client_text` describes the client's offer
/// when a plain list would mislead (a TLS ≤ 1.2 hello states only its
/// highest version: "TLS 1.0 at most").
pub fn protocol(
    client_text: Option<String>,
    client: &[ProtocolVersion],
    server: &[ProtocolVersion],
) -> Mismatch {
    let client_text = client_text.unwrap_or_else(|| version_names(client));
    let client_max = client.iter().copied().max();
    let server_min = server.iter().copied().min();
    let server_max = server.iter().copied().max();
    // Which side is behind decides whose fix comes first.
    let client_behind = match (client_max, server_min) {
        (Some(c), Some(s)) => c < s,
        _ => true,
    };
    let server_obsolete = server_max.is_some_and(|m| m < ProtocolVersion::TLS1_2);
    let fix = if client_behind && !server_obsolete {
        vec![
            "Client: update it (or its TLS library / runtime) so that it offers TLS 1.2 and TLS 1.3; for Java 7/8 set -Dhttps.protocols=TLSv1.2, for .NET enable SystemDefaultTlsVersions, for OpenSSL-based tools remove any -tls1/-tls1_1 or MaxProtocol setting.".into(),
            "Server: do not re-enable TLS 1.0/1.1 to accommodate it (RFC 8996) unless the client cannot be updated and the risk is accepted.".into(),
        ]
    } else {
        let mut fix = fixes::enable_modern_protocols();
        let stopgap = match server_max {
            Some(v) if v >= ProtocolVersion::TLS1_2 => format!(
                "Client: it offers only {client_text}; if the server cannot be changed, let it also offer {} (drop -tls1_3, MinProtocol = TLSv1.3 or a minimum-version option).",
                v.display_name()
            ),
            _ => format!("Client: it offers only {client_text}; do not lower it to the server's obsolete versions."),
        };
        fix.push(stopgap);
        fix
    };
    Mismatch {
        code: Code::ProtocolMismatch,
        summary: format!(
            "No common protocol version: the client offers {client_text}; the server accepts {}.",
            version_names(server)
        ),
        missing: Missing {
            what: "versions".into(),
            client: client.iter().map(|v| v.to_string()).collect(),
            server: server.iter().map(|v| v.to_string()).collect(),
        },
        fix,
    }
}

fn modern(suites: &[CipherSuite]) -> bool {
    suites
        .iter()
        .filter_map(|s| s.info())
        .any(|i| i.forward_secrecy() && i.is_aead())
}

/// A common version, but no common cipher suite usable in it.
pub fn cipher(
    common: &[ProtocolVersion],
    client: &[CipherSuite],
    server: &[CipherSuite],
) -> Mismatch {
    let mut fix = Vec::new();
    if !modern(client) {
        fix.push("Client: enable forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305); for OpenSSL-based tools e.g. -cipher 'ECDHE+AESGCM:ECDHE+CHACHA20', for Java remove jdk.tls.disabledAlgorithms overrides or update the JRE.".into());
    }
    if !modern(server) {
        fix.extend(fixes::enable_modern_ciphers());
    }
    if fix.is_empty() {
        fix.push(format!(
            "Client: also offer one of the suites the server accepts ({}).",
            names(server.iter().map(|s| s.name()))
        ));
        fix.push(
            "Server: accept the suites current clients offer (Mozilla's \"intermediate\" list: ECDHE with AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305).".into(),
        );
    } else if modern(client) {
        fix.push("Client: nothing to change; it offers current suites.".into());
    } else if modern(server) {
        fix.push("Server: if the client cannot change, add one suite it offers that is still safe (Mozilla's \"intermediate\" list).".into());
    }
    Mismatch {
        code: Code::CipherMismatch,
        summary: format!(
            "A common version exists ({}), but no common cipher suite: the client offers {}; the server accepts {}.",
            version_names(common),
            names(client.iter().map(|s| s.name())),
            names(server.iter().map(|s| s.name()))
        ),
        missing: Missing {
            what: "cipher_suites".into(),
            client: client.iter().map(|s| s.name()).collect(),
            server: server.iter().map(|s| s.name()).collect(),
        },
        fix,
    }
}

/// A version and a suite, but no common key-exchange group. `note` adds a
/// sentence (e.g. about `ec_point_formats`).
pub fn group(
    version: ProtocolVersion,
    client: &[NamedGroup],
    server: &[NamedGroup],
    note: Option<&str>,
) -> Mismatch {
    let mut summary = format!(
        "Version {} and a cipher suite would work, but there is no common key-exchange group: the client offers {}; the server accepts {}.",
        version.display_name(),
        names(client.iter().map(|g| g.name())),
        names(server.iter().map(|g| g.name()))
    );
    if let Some(note) = note {
        summary.push(' ');
        summary.push_str(note);
    }
    let mut fix = vec![
        "Client: offer X25519 and P-256 (secp256r1); for OpenSSL-based tools -groups X25519:P-256:P-384, for curl --curves X25519:P-256.".to_string(),
    ];
    fix.extend(fixes::enable_common_groups());
    Mismatch {
        code: Code::GroupMismatch,
        summary,
        missing: Missing {
            what: "groups".into(),
            client: client.iter().map(|g| g.name()).collect(),
            server: server.iter().map(|g| g.name()).collect(),
        },
        fix,
    }
}

/// A version, suite and group, but the server cannot sign with a scheme the
/// client accepts. `server` names the schemes the server can sign with.
pub fn sigalg(
    version: ProtocolVersion,
    client: &[SignatureScheme],
    server: Vec<String>,
) -> Mismatch {
    let client: Vec<String> = client
        .iter()
        .filter(|s| !s.is_grease())
        .map(|s| s.name())
        .collect();
    Mismatch {
        code: Code::SigalgMismatch,
        summary: format!(
            "Version {}, a cipher suite and a group would work, but the server cannot sign with any scheme the client accepts: the client offers {}; the server signs with {}.",
            version.display_name(),
            if client.is_empty() { "none (no signature_algorithms extension)".to_string() } else { client.join(", ") },
            names(&server)
        ),
        missing: Missing {
            what: "signature_algorithms".into(),
            client,
            server,
        },
        fix: vec![
            "Client: accept RSA-PSS and ECDSA P-256 with SHA-256 (rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256).".into(),
            "Server: use a certificate key the client can verify (RSA 2048 or ECDSA P-256).".into(),
        ],
    }
}

/// The fix for a failure after negotiation: what the client refuses in what
/// the server sent (its certificate, its DH group, its TLS 1.0 signature).
/// `host` is the name the client connects to.
pub fn after_negotiation(code: Code, host: &str) -> Vec<String> {
    let trust_it = "Client: or, for a private server, trust its CA explicitly (curl --cacert, Python cafile=, Java keytool -importcert, the OS trust store).";
    match code {
        Code::CertExpired => vec![
            "Server: renew the certificate and reload the server (certbot: `certbot renew && systemctl reload nginx`); automate renewal.".into(),
            "Client: check its clock when the certificate looks valid elsewhere.".into(),
        ],
        Code::CertNotYetValid => vec![
            "Server: the certificate starts in the future; check the clock of whatever issued it, or wait.".into(),
            "Client: check its clock (NTP).".into(),
        ],
        Code::CertSelfSigned => {
            let mut fix = fixes::reissue_certificate("self-signed");
            fix.push(trust_it.into());
            fix
        }
        Code::CertUntrustedRoot => {
            let mut fix = fixes::reissue_certificate("issued by a CA the client does not trust");
            fix.push(trust_it.into());
            fix
        }
        Code::CertChainIncomplete => {
            let mut fix = fixes::install_full_chain();
            fix.push("Client: strict clients do not fetch missing intermediates; nothing to change there once the server sends them.".into());
            fix
        }
        Code::CertHostnameMismatch => vec![
            format!("Server: serve a certificate whose subjectAltName lists {host} (or serve this name's certificate when the client sends SNI {host})."),
            "Client: connect by a name the certificate lists.".into(),
        ],
        Code::CertWeakKey => fixes::reissue_certificate(
            "key below the size the client accepts: generate a new key, e.g. RSA 2048 or ECDSA P-256",
        ),
        Code::CertWeakSignature => fixes::reissue_certificate("SHA-1 signature"),
        Code::WeakDhGroup => vec![
            "Server: prefer ECDHE suites, and use a DH group of at least 2048 bits (RFC 7919 ffdhe2048; nginx ssl_dhparam, Apache SSLOpenSSLConfCmd DHParameters).".into(),
            "Client: none; a DH prime under 2048 bits is breakable (Logjam).".into(),
        ],
        Code::SigalgMismatch => {
            let mut fix = fixes::enable_modern_protocols();
            fix.push("Client: accepting MD5/SHA-1 key-exchange signatures (OpenSSL: @SECLEVEL=0) is the stopgap for a server stuck on TLS 1.0/1.1.".into());
            fix
        }
        _ => Vec::new(),
    }
}
