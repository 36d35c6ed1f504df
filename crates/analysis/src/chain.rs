//! The one certificate judge: diagnose, scan (its chain section and grade),
//! compare and `listen --against` all ask [`judge_chain`], so the same chain,
//! roots and time give the same code everywhere.
//!
//! The leaf's dates are judged at `now` on the leaf alone; trust is judged
//! per store at `now` with the leaf's own dates set aside, so an expired leaf
//! sent with an intermediate re-issued after the leaf expired is
//! `cert_expired` and nothing else. When no store trusts the chain, the cause
//! comes from its shape and the roots given: a self-signed leaf, a root no
//! store has, or a missing issuer — an intermediate when the shipped public
//! intermediates hold it, when the certificate publishes it (AIA caIssuers),
//! or when roots were given (`--ca-file`) and none of them is the issuer.
//!
//! Pure: stores come in as DER, the time as a value.

use model::Code;
use time::OffsetDateTime;

use crate::certs::{self, CertInfo, PathResult, Store, TrustStores};
use crate::intermediates;

/// Why the chain is not trusted, or by whom it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// These stores trust it (the leaf's own dates set aside).
    Trusted(Vec<Store>),
    /// One certificate that signed itself.
    SelfSigned,
    /// The chain ends in a root that no store here has.
    UntrustedRoot { root: String },
    /// The issuer of the last certificate sent is missing and it is an
    /// intermediate.
    Incomplete {
        issuer: String,
        known_from: MissingFrom,
    },
    /// The issuer is missing and nothing tells a root from an intermediate:
    /// most often a private CA whose root this client lacks.
    UnknownIssuer { issuer: String },
    /// A path to a known root exists by name but does not verify (a bad
    /// signature, a constraint, an intermediate's dates).
    Unverified(PathResult),
}

/// How the judge knows the missing issuer is an intermediate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MissingFrom {
    /// The shipped list of public intermediates holds it.
    PublicList {
        subject: String,
        /// Its key verifies the sent certificate's signature (else the match
        /// is by name and key identifier only).
        signature_checked: bool,
    },
    /// The certificate names where its issuer is published.
    Aia { urls: Vec<String> },
    /// Roots were given (`--ca-file`) and none of them is the issuer, by
    /// name or key identifier.
    NotAGivenRoot,
}

/// The judge's answer for one chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainVerdict {
    /// The leaf is expired (`cert_expired`) or not yet valid at `now`.
    pub leaf_time: Option<Code>,
    pub trust: Trust,
    /// Per store: the result at `now` with the leaf's own dates set aside.
    pub results: Vec<(Store, PathResult)>,
    /// Why, for people.
    pub evidence: Vec<String>,
}

impl ChainVerdict {
    /// The trust finding's code, `None` when trusted.
    pub fn trust_code(&self) -> Option<Code> {
        match &self.trust {
            Trust::Trusted(_) => None,
            Trust::SelfSigned => Some(Code::CertSelfSigned),
            Trust::UntrustedRoot { .. } | Trust::UnknownIssuer { .. } => {
                Some(Code::CertUntrustedRoot)
            }
            Trust::Incomplete { .. } => Some(Code::CertChainIncomplete),
            Trust::Unverified(PathResult::Expired) => Some(Code::CertExpired),
            Trust::Unverified(PathResult::NotYetValid) => Some(Code::CertNotYetValid),
            Trust::Unverified(_) => Some(Code::CertUntrustedRoot),
        }
    }

    /// The one code for the chain: the leaf's dates first, then trust.
    pub fn code(&self) -> Option<Code> {
        self.leaf_time.or_else(|| self.trust_code())
    }

    /// The stores that trust the chain.
    pub fn trusted_by(&self) -> &[Store] {
        match &self.trust {
            Trust::Trusted(stores) => stores,
            _ => &[],
        }
    }
}

/// Judges a served chain (leaf first) against the stores at `now`.
pub fn judge_chain(chain: &[Vec<u8>], trust: &TrustStores, now: OffsetDateTime) -> ChainVerdict {
    let infos: Vec<Option<CertInfo>> = chain.iter().map(|c| certs::parse(c)).collect();
    let stores = [Store::Mozilla, Store::System, Store::CaFile];
    let Some(Some(leaf)) = infos.first() else {
        return ChainVerdict {
            leaf_time: None,
            trust: Trust::Unverified(PathResult::Other("bad_der".into())),
            results: stores
                .iter()
                .map(|s| (*s, PathResult::Other("bad_der".into())))
                .collect(),
            evidence: vec!["the server's certificate cannot be parsed".into()],
        };
    };
    let leaf_time = if now > leaf.not_after {
        Some(Code::CertExpired)
    } else if now < leaf.not_before {
        Some(Code::CertNotYetValid)
    } else {
        None
    };
    let results: Vec<(Store, PathResult)> = stores
        .iter()
        .map(|s| (*s, store_result(chain, leaf, trust, *s, now)))
        .collect();
    let trusted: Vec<Store> = results
        .iter()
        .filter(|(_, r)| *r == PathResult::Trusted)
        .map(|(s, _)| *s)
        .collect();
    let mut evidence = Vec::new();
    let trust_verdict = if !trusted.is_empty() {
        Trust::Trusted(trusted)
    } else {
        untrusted_cause(chain, &infos, trust, &results, &mut evidence)
    };
    ChainVerdict {
        leaf_time,
        trust: trust_verdict,
        results,
        evidence,
    }
}

/// One store's result at `now`, the leaf's own dates set aside: when the
/// leaf is outside its validity, the rest of the chain is judged at a time
/// inside it, and where an intermediate is valid now but not then (re-issued
/// after the leaf expired), by linking the chain at `now` ourselves.
fn store_result(
    chain: &[Vec<u8>],
    leaf: &CertInfo,
    trust: &TrustStores,
    store: Store,
    now: OffsetDateTime,
) -> PathResult {
    let at_now = certs::verify_path(chain, trust, store, now);
    let leaf_valid_now = leaf.not_before <= now && now <= leaf.not_after;
    if at_now == PathResult::Trusted || leaf_valid_now {
        return at_now;
    }
    let at_leaf = certs::verify_path(chain, trust, store, crate::issuers::trust_time(leaf, now));
    if matches!(at_leaf, PathResult::Expired | PathResult::NotYetValid)
        && links_to_anchor(chain, &anchors(trust, store), now)
    {
        return PathResult::Trusted;
    }
    at_leaf
}

/// A trust anchor by its subject (with its SEQUENCE header, as
/// [`CertInfo::issuer_der`] holds it), key and key identifier.
struct Anchor {
    subject: Vec<u8>,
    spki: Vec<u8>,
    ski: Option<Vec<u8>>,
}

fn anchors(trust: &TrustStores, store: Store) -> Vec<Anchor> {
    let from_certs = |ders: Vec<&[u8]>| -> Vec<Anchor> {
        ders.iter()
            .filter_map(|der| {
                let parts = certs::anchor_parts(der)?;
                Some(Anchor {
                    subject: parts.subject,
                    spki: parts.spki,
                    ski: parts.ski,
                })
            })
            .collect()
    };
    match store.anchors_der(trust) {
        Some(ders) => from_certs(ders),
        None => webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(|a| Anchor {
                subject: crate::der::sequence(a.subject.as_ref()),
                spki: crate::der::sequence(a.subject_public_key_info.as_ref()),
                ski: None,
            })
            .collect(),
    }
}

/// Whether the chain links, certificate by certificate (names, key
/// identifiers and signatures), from the leaf to one of `anchors`, with every
/// certificate after the leaf valid at `now`. The leaf's dates are not
/// looked at: they are their own finding.
fn links_to_anchor(chain: &[Vec<u8>], anchors: &[Anchor], now: OffsetDateTime) -> bool {
    let infos: Vec<Option<CertInfo>> = chain.iter().map(|c| certs::parse(c)).collect();
    let mut current = 0;
    let mut used = vec![0];
    for _ in 0..chain.len() {
        let Some(cert) = &infos[current] else {
            return false;
        };
        if anchors.iter().any(|a| {
            certs::may_have_issued(cert, &a.subject, a.ski.as_deref())
                && certs::signed_by(&chain[current], &a.spki) == Some(true)
        }) {
            return true;
        }
        let next = (1..chain.len()).find(|&j| {
            !used.contains(&j)
                && infos[j].as_ref().is_some_and(|issuer| {
                    certs::may_have_issued(
                        cert,
                        &issuer.subject_der,
                        issuer.subject_key_id.as_deref(),
                    ) && issuer.not_before <= now
                        && now <= issuer.not_after
                        && certs::spki_der(&chain[j])
                            .and_then(|spki| certs::signed_by(&chain[current], &spki))
                            == Some(true)
                })
        });
        match next {
            Some(j) => {
                used.push(j);
                current = j;
            }
            None => return false,
        }
    }
    false
}

/// No store trusts the chain: say why, from its shape and the roots given.
fn untrusted_cause(
    chain: &[Vec<u8>],
    infos: &[Option<CertInfo>],
    trust: &TrustStores,
    results: &[(Store, PathResult)],
    evidence: &mut Vec<String>,
) -> Trust {
    let parsed: Vec<&CertInfo> = infos.iter().flatten().collect();
    let (Some(leaf), Some(top)) = (parsed.first(), parsed.last()) else {
        return Trust::Unverified(PathResult::Other("bad_der".into()));
    };
    let top_der = chain
        .iter()
        .zip(infos)
        .rev()
        .find(|(_, i)| i.is_some())
        .map(|(d, _)| d.as_slice())
        .unwrap_or_default();
    // The reason a store gave, preferring the most specific.
    let reason = results
        .iter()
        .map(|(_, r)| r.clone())
        .find(|r| *r != PathResult::UnknownIssuer)
        .unwrap_or(PathResult::UnknownIssuer);
    let all_anchors: Vec<Anchor> = [Store::Mozilla, Store::System, Store::CaFile]
        .iter()
        .flat_map(|s| anchors(trust, *s))
        .collect();
    if chain.len() == 1 && leaf.self_issued {
        evidence.push(format!("subject = issuer = {}", leaf.subject));
        return Trust::SelfSigned;
    }
    if top.self_issued {
        let known = all_anchors.iter().any(|a| {
            a.subject == top.subject_der && certs::spki_der(top_der) == Some(a.spki.clone())
        });
        if known {
            return Trust::Unverified(reason);
        }
        evidence.push(format!("root sent by the server: {}", top.subject));
        return Trust::UntrustedRoot {
            root: top.subject.clone(),
        };
    }
    if all_anchors
        .iter()
        .any(|a| certs::may_have_issued(top, &a.subject, a.ski.as_deref()))
    {
        // The issuer is a known root: the path exists but fails.
        return Trust::Unverified(reason);
    }
    let issuer = top.issuer.clone();
    evidence.push(format!("certificates sent: {}", chain.len()));
    evidence.push(format!("missing issuer: {issuer}"));
    if let Some(found) = intermediates::issuers_of(top, top_der).first() {
        let signature_checked = certs::spki_der(&found.der)
            .and_then(|spki| certs::signed_by(top_der, &spki))
            == Some(true);
        evidence.push(format!(
            "the missing issuer is a publicly trusted intermediate: found in {}, as of {} ({}{})",
            intermediates::LIST_NAME,
            intermediates::LIST_DATE,
            found.info.subject,
            if signature_checked {
                "; its key verifies the sent certificate's signature"
            } else {
                "; matched by name and key identifier, signature not checked"
            }
        ));
        return Trust::Incomplete {
            issuer,
            known_from: MissingFrom::PublicList {
                subject: found.info.subject.clone(),
                signature_checked,
            },
        };
    }
    if !top.ca_issuers.is_empty() {
        evidence.push(format!(
            "the certificate says its issuer is published at {}",
            top.ca_issuers.join(", ")
        ));
        return Trust::Incomplete {
            issuer,
            known_from: MissingFrom::Aia {
                urls: top.ca_issuers.clone(),
            },
        };
    }
    if !trust.ca_file.is_empty() {
        let given: Vec<String> = trust
            .ca_file
            .iter()
            .filter_map(|d| certs::parse(d))
            .map(|c| c.subject)
            .collect();
        evidence.push(format!(
            "none of the --ca-file roots ({}) is its issuer, by name or key identifier: the link between them, an intermediate, is missing",
            given.join("; ")
        ));
        return Trust::Incomplete {
            issuer,
            known_from: MissingFrom::NotAGivenRoot,
        };
    }
    evidence.push(
        "the certificate names no place to fetch its issuer (no AIA caIssuers), as is usual for private CAs"
            .into(),
    );
    Trust::UnknownIssuer { issuer }
}

#[cfg(test)]
mod tests;
