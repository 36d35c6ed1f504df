//! The listener's TLS side: rustls (aws-lc-rs) server configurations for the
//! ECDSA and the RSA leaf, what they accept as an
//! [`analysis::client_hello::ServerSupport`] (read from the provider itself,
//! so predictions follow rustls), and the mapping of a failed rustls
//! handshake to a diagnosis code when the offer alone does not explain it.

use std::sync::Arc;

use analysis::client_hello::{ServerKey, ServerSupport};
use anyhow::{Context as _, Result};
use model::{Incompatibility, ListenEvent, Negotiated};
use rustls::crypto::CryptoProvider;
use rustls::server::ServerConnection;
use rustls::{PeerIncompatible, ServerConfig};
use wire::registry::{Auth, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

use super::pki::{Leaf, ListenPki};

/// Everything rustls's aws-lc-rs provider can do, post-quantum groups included.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES.to_vec(),
        kx_groups: rustls::crypto::aws_lc_rs::ALL_KX_GROUPS.to_vec(),
        ..rustls::crypto::aws_lc_rs::default_provider()
    })
}

/// The two server configurations (index = [`ServerSupport::keys`] index)
/// and what they accept together.
pub(crate) struct TlsSide {
    pub(crate) configs: Vec<Arc<ServerConfig>>,
    pub(crate) support: ServerSupport,
}

fn config(provider: &Arc<CryptoProvider>, leaf: &Leaf) -> Result<ServerConfig> {
    let config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("rustls protocol versions")?
        .with_no_client_auth()
        .with_single_cert(leaf.certs.clone(), leaf.key.clone_key())
        .context("rustls server certificate")?;
    Ok(config)
}

/// The signature schemes this key signs with, asked of rustls one by one.
fn schemes_of(provider: &CryptoProvider, leaf: &Leaf) -> Result<Vec<SignatureScheme>> {
    let key = provider
        .key_provider
        .load_private_key(leaf.key.clone_key())
        .context("rustls private key")?;
    Ok(SignatureScheme::INFOS
        .iter()
        .filter(|info| {
            key.choose_scheme(&[rustls::SignatureScheme::from(info.code)])
                .is_some()
        })
        .map(|info| SignatureScheme(info.code))
        .collect())
}

impl TlsSide {
    pub(crate) fn new(pki: &ListenPki) -> Result<Self> {
        let provider = provider();
        let support = ServerSupport {
            versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            cipher_suites: provider
                .cipher_suites
                .iter()
                .map(|s| CipherSuite(u16::from(s.suite())))
                .collect(),
            groups: provider
                .kx_groups
                .iter()
                .map(|g| NamedGroup(u16::from(g.name())))
                .collect(),
            keys: vec![
                ServerKey {
                    auth: Auth::Ecdsa,
                    schemes: schemes_of(&provider, &pki.ecdsa)?,
                },
                ServerKey {
                    auth: Auth::Rsa,
                    schemes: schemes_of(&provider, &pki.rsa)?,
                },
            ],
        };
        let configs = vec![
            Arc::new(config(&provider, &pki.ecdsa)?),
            Arc::new(config(&provider, &pki.rsa)?),
        ];
        Ok(Self { configs, support })
    }

    /// The configuration for key `key`, answering ALPN with `http/1.1` when
    /// the client offers it (and without ALPN otherwise, so a client that
    /// offers only `h2` still completes the handshake).
    pub(crate) fn config_for(&self, key: usize, offers_http11: bool) -> Arc<ServerConfig> {
        let base = self.configs.get(key).unwrap_or(&self.configs[0]);
        if !offers_http11 {
            return base.clone();
        }
        let mut config = (**base).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// What a completed handshake agreed on.
pub(crate) fn negotiated(conn: &ServerConnection) -> Negotiated {
    Negotiated {
        version: conn
            .protocol_version()
            .map(|v| ProtocolVersion(u16::from(v)).to_string())
            .unwrap_or_default(),
        cipher_suite: conn
            .negotiated_cipher_suite()
            .map(|s| CipherSuite(u16::from(s.suite())).name())
            .unwrap_or_default(),
        group: conn
            .negotiated_key_exchange_group()
            .map(|g| NamedGroup(u16::from(g.name())).name()),
        alpn: conn.alpn_protocol().map(analysis::client_hello::alpn_name),
    }
}

/// What the TLS library said about a failed handshake, as an event for
/// `analysis::listen` to judge (which alert, what was incompatible, a close).
pub(crate) fn failure_event(error: &std::io::Error) -> ListenEvent {
    use std::io::ErrorKind;
    if let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(alert) => ListenEvent::AlertReceived {
                description: u8::from(*alert),
            },
            rustls::Error::PeerIncompatible(p) => {
                let what = match p {
                    PeerIncompatible::NoCipherSuitesInCommon => Incompatibility::CipherSuites,
                    PeerIncompatible::NoKxGroupsInCommon
                    | PeerIncompatible::NamedGroupsExtensionRequired
                    | PeerIncompatible::KeyShareExtensionRequired
                    | PeerIncompatible::EcPointsExtensionRequired
                    | PeerIncompatible::NoEcPointFormatsInCommon
                    | PeerIncompatible::UncompressedEcPointsRequired => Incompatibility::Groups,
                    PeerIncompatible::NoSignatureSchemesInCommon
                    | PeerIncompatible::SignatureAlgorithmsExtensionRequired => {
                        Incompatibility::SignatureSchemes
                    }
                    PeerIncompatible::SupportedVersionsExtensionRequired
                    | PeerIncompatible::Tls12NotOffered
                    | PeerIncompatible::Tls12NotOfferedOrEnabled
                    | PeerIncompatible::ServerDoesNotSupportTls12Or13 => Incompatibility::Versions,
                    _ => Incompatibility::Other,
                };
                ListenEvent::Incompatible {
                    what,
                    message: format!("rustls: {p:?}"),
                }
            }
            other => ListenEvent::Error {
                message: format!("rustls: {other}"),
            },
        };
    }
    match error.kind() {
        ErrorKind::UnexpectedEof
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe => ListenEvent::ClosedDuringHandshake {
            message: error.to_string(),
        },
        _ => ListenEvent::Error {
            message: error.to_string(),
        },
    }
}
