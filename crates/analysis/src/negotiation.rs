//! How a TLS server chooses what to negotiate with a client: the one model
//! behind `compare`/`listen` ([`crate::client_hello::negotiate`], where the
//! server's lists are known exactly) and client simulation
//! ([`crate::simulate::predict`], where they were measured by a scan and
//! some may be unknown).
//!
//! The order is the one TLS servers follow (RFC 8446 §4.1.1, RFC 5246
//! §7.4.1.3, and OpenSSL, rustls, GnuTLS and NSS all do it this way): first
//! the **version** — the highest both speak, and a server never falls back to
//! an older version because no suite matched at the newer one; then the
//! **cipher suite**, in the server's order when it enforces one, else the
//! client's; for each candidate suite, the **group** its key exchange needs
//! and a **signature scheme** the client accepts for the server's key; the
//! first candidate that has both wins. When none does, the outcome names the
//! furthest stage reached (a suite but no group is a group mismatch, a
//! group but no signature a signature mismatch), which is what the server's
//! refusal means.
//!
//! Every answer of the server side is tri-state ([`Known`]): a fact the scan
//! did not establish makes the outcome [`Negotiated::Unknown`] with the
//! reason, never a mismatch and never a success.

use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};

/// A fact about the server that may not have been observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    Yes(T),
    No,
    /// Not established; why, in a few words.
    Unknown(String),
}

/// The server's suites at one version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteList {
    /// In the server's order of preference (when it has one).
    pub suites: Vec<CipherSuite>,
    /// The server picks by its own order rather than the client's.
    pub server_order: bool,
    /// Why the list may miss suites (an interrupted enumeration).
    pub incomplete: Option<String>,
}

/// How the server signs the key exchange of one suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signer {
    /// Which of the server's keys (certificates) signs; 0 when it has one.
    pub key: usize,
    /// `None` when the suite needs no signature, or the version has no
    /// negotiated scheme (TLS 1.0/1.1, a client without
    /// `signature_algorithms`).
    pub scheme: Option<SignatureScheme>,
}

/// The server side of a negotiation, for one client.
pub trait ServerSide {
    /// The version the server picks for this client: the highest common
    /// one; `No` when there is none; `Unknown` when a version the client
    /// would prefer may be spoken (its support was not established).
    fn version(&self) -> Known<ProtocolVersion>;
    /// The server's suites at `version` that it could use for this client
    /// (a TLS 1.2 suite whose authentication matches one of its keys).
    fn suites(&self, version: ProtocolVersion) -> SuiteList;
    /// The group the server picks for `suite`'s key exchange (`Yes(None)`
    /// when the suite needs none).
    fn group(&self, version: ProtocolVersion, suite: CipherSuite) -> Known<Option<NamedGroup>>;
    /// How the server signs `suite`'s key exchange with a scheme the client
    /// accepts; `No` when it cannot.
    fn signature(&self, version: ProtocolVersion, suite: CipherSuite) -> Known<Signer>;
}

/// The stage a failed negotiation reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Version,
    Suite,
    Group,
    Signature,
}

/// What client and server agree on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreed {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    pub group: Option<NamedGroup>,
    pub signer: Signer,
    /// The suite was chosen by the server's order.
    pub server_order: bool,
}

/// The outcome of a negotiation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Negotiated {
    Agreed(Agreed),
    /// No agreement; `failed_at` is the stage no candidate got past, at
    /// `version` (none for a version mismatch).
    Mismatch {
        failed_at: Stage,
        version: Option<ProtocolVersion>,
    },
    /// What the server would do depends on something not observed.
    Unknown {
        version: Option<ProtocolVersion>,
        why: String,
    },
}

/// Negotiates: `client_suites` are the client's real suites (no GREASE, no
/// SCSV) in its order.
pub fn negotiate(client_suites: &[CipherSuite], server: &impl ServerSide) -> Negotiated {
    let version = match server.version() {
        Known::Yes(v) => v,
        Known::No => {
            return Negotiated::Mismatch {
                failed_at: Stage::Version,
                version: None,
            }
        }
        Known::Unknown(why) => return Negotiated::Unknown { version: None, why },
    };
    let list = server.suites(version);
    let usable = |s: &CipherSuite| s.info().is_some_and(|i| i.usable_in(version));
    let candidates: Vec<CipherSuite> = if list.server_order {
        list.suites
            .iter()
            .copied()
            .filter(|s| usable(s) && client_suites.contains(s))
            .collect()
    } else {
        client_suites
            .iter()
            .copied()
            .filter(|s| usable(s) && list.suites.contains(s))
            .collect()
    };
    if candidates.is_empty() {
        if let Some(why) = list.incomplete {
            return Negotiated::Unknown {
                version: Some(version),
                why: format!(
                    "no common suite among those seen, but the suite list is incomplete ({why})"
                ),
            };
        }
    }
    let mut furthest = Stage::Suite;
    for suite in candidates {
        let group = match server.group(version, suite) {
            Known::Yes(g) => g,
            Known::No => {
                furthest = furthest.max(Stage::Group);
                continue;
            }
            Known::Unknown(why) => {
                return Negotiated::Unknown {
                    version: Some(version),
                    why: format!("{} needs a common group, and {why}", suite.name()),
                }
            }
        };
        match server.signature(version, suite) {
            Known::Yes(signer) => {
                return Negotiated::Agreed(Agreed {
                    version,
                    suite,
                    group,
                    signer,
                    server_order: list.server_order,
                })
            }
            Known::No => furthest = furthest.max(Stage::Signature),
            Known::Unknown(why) => {
                return Negotiated::Unknown {
                    version: Some(version),
                    why: format!(
                        "{} needs a signature scheme both sides accept, and {why}",
                        suite.name()
                    ),
                }
            }
        }
    }
    Negotiated::Mismatch {
        failed_at: furthest,
        version: Some(version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server with fixed answers: TLS 1.2, suites in its order, groups
    /// for ECDHE suites only, signatures for the RSA-authenticated ones.
    struct Fixed {
        version: Known<ProtocolVersion>,
        list: SuiteList,
        group: Known<Option<NamedGroup>>,
        signs: Vec<CipherSuite>,
    }

    impl ServerSide for Fixed {
        fn version(&self) -> Known<ProtocolVersion> {
            self.version.clone()
        }
        fn suites(&self, _: ProtocolVersion) -> SuiteList {
            self.list.clone()
        }
        fn group(&self, _: ProtocolVersion, suite: CipherSuite) -> Known<Option<NamedGroup>> {
            match suite.info().map(|i| i.kx) {
                Some(wire::registry::KeyExchange::Ecdhe) => self.group.clone(),
                _ => Known::Yes(None),
            }
        }
        fn signature(&self, _: ProtocolVersion, suite: CipherSuite) -> Known<Signer> {
            if self.signs.contains(&suite) {
                Known::Yes(Signer {
                    key: 0,
                    scheme: None,
                })
            } else {
                Known::No
            }
        }
    }

    const ECDHE_GCM: CipherSuite = CipherSuite(0xc02f);
    const ECDHE_CBC: CipherSuite = CipherSuite(0xc013);
    const RSA_GCM: CipherSuite = CipherSuite(0x009c);

    fn server(order: bool, suites: &[CipherSuite]) -> Fixed {
        Fixed {
            version: Known::Yes(ProtocolVersion::TLS1_2),
            list: SuiteList {
                suites: suites.to_vec(),
                server_order: order,
                incomplete: None,
            },
            group: Known::Yes(Some(NamedGroup(0x001d))),
            signs: vec![ECDHE_GCM, ECDHE_CBC, RSA_GCM],
        }
    }

    fn agreed_suite(n: Negotiated) -> CipherSuite {
        match n {
            Negotiated::Agreed(a) => a.suite,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_order_is_the_servers_when_it_enforces_one() {
        let client = [ECDHE_CBC, ECDHE_GCM];
        let s = server(true, &[ECDHE_GCM, ECDHE_CBC]);
        assert_eq!(agreed_suite(negotiate(&client, &s)), ECDHE_GCM);
        let s = server(false, &[ECDHE_GCM, ECDHE_CBC]);
        assert_eq!(agreed_suite(negotiate(&client, &s)), ECDHE_CBC);
    }

    #[test]
    fn a_suite_without_group_falls_to_the_next_and_names_the_furthest_stage() {
        let mut s = server(true, &[ECDHE_GCM, RSA_GCM]);
        s.group = Known::No;
        assert_eq!(agreed_suite(negotiate(&[ECDHE_GCM, RSA_GCM], &s)), RSA_GCM);
        assert_eq!(
            negotiate(&[ECDHE_GCM], &s),
            Negotiated::Mismatch {
                failed_at: Stage::Group,
                version: Some(ProtocolVersion::TLS1_2)
            }
        );
        s.signs.clear();
        s.group = Known::Yes(Some(NamedGroup(0x001d)));
        assert_eq!(
            negotiate(&[ECDHE_GCM], &s),
            Negotiated::Mismatch {
                failed_at: Stage::Signature,
                version: Some(ProtocolVersion::TLS1_2)
            }
        );
    }

    #[test]
    fn what_was_not_observed_is_unknown_never_a_mismatch() {
        let mut s = server(false, &[RSA_GCM]);
        s.list.incomplete = Some("timeout".into());
        assert!(matches!(
            negotiate(&[ECDHE_GCM], &s),
            Negotiated::Unknown { .. }
        ));
        let mut s = server(false, &[ECDHE_GCM]);
        s.group = Known::Unknown("the groups were not measured".into());
        assert!(matches!(
            negotiate(&[ECDHE_GCM], &s),
            Negotiated::Unknown { .. }
        ));
        s.version = Known::Unknown("TLS 1.3 support is unknown".into());
        assert!(matches!(
            negotiate(&[ECDHE_GCM], &s),
            Negotiated::Unknown { version: None, .. }
        ));
        s.version = Known::No;
        assert_eq!(
            negotiate(&[ECDHE_GCM], &s),
            Negotiated::Mismatch {
                failed_at: Stage::Version,
                version: None
            }
        );
    }

    #[test]
    fn no_common_suite_at_the_chosen_version_is_a_suite_mismatch() {
        let s = server(false, &[RSA_GCM]);
        assert_eq!(
            negotiate(&[ECDHE_GCM], &s),
            Negotiated::Mismatch {
                failed_at: Stage::Suite,
                version: Some(ProtocolVersion::TLS1_2)
            }
        );
    }
}
