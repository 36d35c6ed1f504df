//! Asking the leaf certificate's CA whether it is revoked, when the server
//! staples no answer: its OCSP responder (RFC 6960, the AIA id-ad-ocsp URL)
//! first, then its CRL (RFC 5280 §5, the CRL distribution point). Plans the
//! fetch ([`next_fetch`]) and judges what came back ([`checked`]); the
//! fetch itself is a probe, under the outbound-request policy.
//!
//! An answer counts only when its signature verifies with the leaf's issuer
//! (the CA's own key, or for OCSP a responder certificate the CA delegated
//! to); anything else is *unknown*, never "good".

use model::{Observations, ProbeKind, ProbeRecord, ProbeRequest, Purpose};
use time::OffsetDateTime;
use x509_parser::asn1_rs::Tag;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::certs;
use crate::ocsp::{self, CertStatus, Match, RevocationReason, SignatureCheck};
use crate::Context;

/// At most this many revocation fetches per diagnosis (one OCSP, one CRL).
const MAX_FETCHES: usize = 2;

/// What the CA said about the leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    Good,
    Revoked {
        time: OffsetDateTime,
        reason: Option<RevocationReason>,
    },
    /// No usable answer, and why.
    Unknown(String),
}

/// One source's answer with what it rests on.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    /// "the CA's OCSP responder at http://…" or "the CA's CRL at http://…".
    pub(crate) source: String,
    pub(crate) answer: Answer,
    pub(crate) evidence: Vec<String>,
}

/// The leaf's issuer certificate: among the served chain, the fetched
/// issuers and the trust stores, the one whose key verifies the leaf.
pub(crate) fn issuer_of(obs: &Observations, ctx: &Context, chain: &[Vec<u8>]) -> Option<Vec<u8>> {
    let leaf_der = chain.first()?;
    let (_, leaf) = X509Certificate::from_der(leaf_der).ok()?;
    let (fetched, _) = crate::issuers::fetched(obs);
    chain[1..]
        .iter()
        .chain(fetched.iter().map(|f| &f.der))
        .chain(&ctx.trust.ca_file)
        .chain(&ctx.trust.system)
        .find(|candidate| {
            X509Certificate::from_der(candidate).is_ok_and(|(_, issuer)| {
                issuer.subject().as_raw() == leaf.issuer().as_raw()
                    && leaf.verify_signature(Some(issuer.public_key())).is_ok()
            })
        })
        .map(|der| der.to_vec())
}

/// The next revocation fetch for the leaf of `chain`, if the server staples
/// no answer about it and the certificate names a responder or CRL.
pub(crate) fn next_fetch(
    obs: &Observations,
    ctx: &Context,
    chain: &[Vec<u8>],
    staple: Option<&[u8]>,
) -> Option<ProbeRequest> {
    if !ctx.fetch_issuers {
        return None;
    }
    let leaf = certs::parse(chain.first()?)?;
    if leaf.self_issued {
        return None;
    }
    let issuer = issuer_of(obs, ctx, chain)?;
    if let Some(staple) = staple {
        if stapled_answer(staple, &chain[0], &issuer) {
            return None;
        }
    }
    let done = fetches(obs);
    if done.len() >= MAX_FETCHES || done.iter().any(|r| definitive(r, &chain[0], &issuer, ctx)) {
        return None;
    }
    let ocsp = leaf
        .ocsp_urls
        .iter()
        .filter(|u| u.starts_with("http://"))
        .map(|url| (url, true));
    let crl = leaf
        .crl_urls
        .iter()
        .filter(|u| u.starts_with("http://"))
        .map(|url| (url, false));
    let (url, is_ocsp) = ocsp.chain(crl).find(|(url, _)| {
        !obs.has(&Purpose::Revocation {
            url: (*url).clone(),
        })
    })?;
    let kind = if is_ocsp {
        ProbeKind::FetchOcsp {
            url: url.clone(),
            request: request(&chain[0], &issuer)?.into(),
        }
    } else {
        ProbeKind::FetchCrl { url: url.clone() }
    };
    Some(ProbeRequest {
        purpose: Purpose::Revocation { url: url.clone() },
        kind,
    })
}

/// The stapled response answers for this leaf with a signature that is
/// not known to be bad.
fn stapled_answer(staple: &[u8], leaf: &[u8], issuer: &[u8]) -> bool {
    ocsp::check(staple, leaf, Some(issuer)).is_ok_and(|s| {
        matches!(s.answer, Some(Match::Leaf(_))) && s.signature != SignatureCheck::Invalid
    })
}

fn fetches(obs: &Observations) -> Vec<&ProbeRecord> {
    obs.probes
        .iter()
        .filter(|p| matches!(p.request.purpose, Purpose::Revocation { .. }))
        .collect()
}

fn definitive(record: &ProbeRecord, leaf: &[u8], issuer: &[u8], ctx: &Context) -> bool {
    !matches!(
        judge_record(record, leaf, issuer, ctx.now).answer,
        Answer::Unknown(_)
    )
}

/// What the revocation fetches said: the first definitive answer, else the
/// last unknown one (with its reason); `None` when nothing was fetched.
pub(crate) fn checked(obs: &Observations, ctx: &Context, chain: &[Vec<u8>]) -> Option<Checked> {
    let leaf = chain.first()?;
    let issuer = issuer_of(obs, ctx, chain)?;
    let mut last = None;
    for record in fetches(obs) {
        let checked = judge_record(record, leaf, &issuer, ctx.now);
        if !matches!(checked.answer, Answer::Unknown(_)) {
            return Some(checked);
        }
        last = Some(checked);
    }
    last
}

fn judge_record(record: &ProbeRecord, leaf: &[u8], issuer: &[u8], now: OffsetDateTime) -> Checked {
    let (url, is_ocsp) = match &record.request.kind {
        ProbeKind::FetchOcsp { url, .. } => (url.clone(), true),
        ProbeKind::FetchCrl { url } => (url.clone(), false),
        _ => (String::new(), false),
    };
    let source = if is_ocsp {
        format!("the CA's OCSP responder at {}", crate::text::sanitize(&url))
    } else {
        format!("the CA's CRL at {}", crate::text::sanitize(&url))
    };
    let body = match &record.fetch {
        Some(f) if f.error.is_none() => &f.body.0,
        Some(f) => {
            return Checked {
                source,
                answer: Answer::Unknown(crate::text::sanitize(
                    f.error.as_deref().unwrap_or("no answer"),
                )),
                evidence: Vec::new(),
            }
        }
        None => {
            return Checked {
                source,
                answer: Answer::Unknown(crate::failure::tcp_text(&record.tcp)),
                evidence: Vec::new(),
            }
        }
    };
    let (answer, evidence) = if is_ocsp {
        judge_ocsp(body, leaf, issuer)
    } else {
        judge_crl(body, leaf, issuer, now)
    };
    Checked {
        source,
        answer,
        evidence,
    }
}

fn judge_ocsp(body: &[u8], leaf: &[u8], issuer: &[u8]) -> (Answer, Vec<String>) {
    let response = match ocsp::check(body, leaf, Some(issuer)) {
        Ok(r) => r,
        Err(e) => {
            return (
                Answer::Unknown(format!("unreadable OCSP response ({e})")),
                Vec::new(),
            )
        }
    };
    let mut evidence = vec![format!("serial number {}", response.serial_hex)];
    if response.status != ocsp::ResponseStatus::Successful {
        let why = format!("the responder answered {}", response.status.as_str());
        return (Answer::Unknown(why), evidence);
    }
    let Some(Match::Leaf(single)) = &response.answer else {
        return (
            Answer::Unknown("the response is about another certificate".into()),
            evidence,
        );
    };
    evidence.push(response.signature.describe());
    if !matches!(response.signature, SignatureCheck::Verified { .. }) {
        return (
            Answer::Unknown(format!(
                "the response's signature is not verified: {}",
                response.signature.describe()
            )),
            evidence,
        );
    }
    let answer = match &single.status {
        CertStatus::Good => Answer::Good,
        CertStatus::Revoked { time, reason } => Answer::Revoked {
            time: *time,
            reason: *reason,
        },
        CertStatus::Unknown => {
            Answer::Unknown("the responder does not know the certificate".into())
        }
    };
    (answer, evidence)
}

fn judge_crl(
    body: &[u8],
    leaf_der: &[u8],
    issuer_der: &[u8],
    now: OffsetDateTime,
) -> (Answer, Vec<String>) {
    use rustls_pki_types::pem::PemObject;
    use x509_parser::revocation_list::CertificateRevocationList;
    // CAs publish DER; some serve PEM.
    let pem;
    let body = if body.first() == Some(&0x30) {
        body
    } else {
        match rustls_pki_types::CertificateRevocationListDer::from_pem_slice(body) {
            Ok(der) => {
                pem = der;
                pem.as_ref()
            }
            Err(_) => return (Answer::Unknown("not a CRL (DER or PEM)".into()), Vec::new()),
        }
    };
    let Ok((_, crl)) = CertificateRevocationList::from_der(body) else {
        return (Answer::Unknown("not a readable CRL".into()), Vec::new());
    };
    let (Ok((_, leaf)), Ok((_, issuer))) = (
        X509Certificate::from_der(leaf_der),
        X509Certificate::from_der(issuer_der),
    ) else {
        return (
            Answer::Unknown("the certificates do not parse".into()),
            Vec::new(),
        );
    };
    let mut evidence = vec![format!(
        "CRL issued by {}, thisUpdate {}{}",
        crate::text::sanitize(&crl.issuer().to_string()),
        crl.last_update(),
        crl.next_update()
            .map(|n| format!(", nextUpdate {n}"))
            .unwrap_or_default()
    )];
    if crl.issuer().as_raw() != leaf.issuer().as_raw() {
        return (
            Answer::Unknown("the CRL is issued by another CA than the certificate".into()),
            evidence,
        );
    }
    if crl.verify_signature(issuer.public_key()).is_err() {
        return (
            Answer::Unknown("the CRL's signature does not verify with the issuer's key".into()),
            evidence,
        );
    }
    evidence.push("CRL signature verified with the issuer's key".into());
    if crl
        .next_update()
        .is_some_and(|next| next.to_datetime() < now)
    {
        return (
            Answer::Unknown("the CRL is past its nextUpdate (stale)".into()),
            evidence,
        );
    }
    let serial = leaf.raw_serial();
    let entry = crl
        .iter_revoked_certificates()
        .find(|r| r.raw_serial() == serial);
    let answer = match entry {
        None => Answer::Good,
        Some(entry) => Answer::Revoked {
            time: entry.revocation_date.to_datetime(),
            reason: entry
                .reason_code()
                .map(|(_, code)| RevocationReason(code.0)),
        },
    };
    (answer, evidence)
}

/// An OCSP request (RFC 6960 §4.1.1) for `leaf` issued by `issuer`: one
/// CertID with SHA-1 hashes, which every responder understands (§4.3).
pub(crate) fn request(leaf_der: &[u8], issuer_der: &[u8]) -> Option<Vec<u8>> {
    use crate::der::{sequence, universal};
    use aws_lc_rs::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
    let (_, leaf) = X509Certificate::from_der(leaf_der).ok()?;
    let (_, issuer) = X509Certificate::from_der(issuer_der).ok()?;
    let name_hash = digest(&SHA1_FOR_LEGACY_USE_ONLY, leaf.issuer().as_raw());
    let key_hash = digest(
        &SHA1_FOR_LEGACY_USE_ONLY,
        &issuer.public_key().subject_public_key.data,
    );
    // id-sha1 (1.3.14.3.2.26) with NULL parameters.
    let algorithm = sequence(&[0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00]);
    let mut cert_id = algorithm;
    cert_id.extend(universal(Tag::OctetString, false, name_hash.as_ref()));
    cert_id.extend(universal(Tag::OctetString, false, key_hash.as_ref()));
    cert_id.extend(universal(Tag::Integer, false, leaf.raw_serial()));
    let request = sequence(&sequence(&cert_id));
    let request_list = sequence(&request);
    let tbs_request = sequence(&request_list);
    Some(sequence(&tbs_request))
}
