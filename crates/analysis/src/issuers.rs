//! Missing issuers: when a served chain verifies nowhere and its top
//! certificate publishes where its issuer lives (AIA caIssuers), fetch it —
//! as browsers do — and see whether the chain then verifies. That tells a
//! missing intermediate (`cert_chain_incomplete`, proven) from a private or
//! unknown root (`cert_untrusted_root`). Pure: the fetches are probes.

use model::{Observations, ProbeKind, ProbeRecord, ProbeRequest, Purpose};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::certs;
use crate::Context;

/// A chain is never extended by more than this many fetched certificates.
const MAX_FETCHES: usize = 2;

/// The chain the server presented, leaf first: from the full handshake when
/// it recorded one, else from the crafted hello's plaintext flight.
pub(crate) fn served_chain(
    main: Option<&ProbeRecord>,
    handshake: Option<&ProbeRecord>,
) -> Vec<Vec<u8>> {
    match handshake
        .and_then(|p| p.handshake.as_ref())
        .filter(|h| !h.chain.is_empty())
    {
        Some(h) => h.chain.iter().map(|c| c.0.clone()).collect(),
        None => main
            .and_then(|m| m.flight.as_ref())
            .map(|f| f.certificates.iter().map(|c| c.0.clone()).collect())
            .unwrap_or_default(),
    }
}

/// One certificate fetched from a caIssuers URL.
#[derive(Clone, Debug)]
pub(crate) struct Fetched {
    pub(crate) url: String,
    pub(crate) der: Vec<u8>,
}

/// Every certificate fetched so far, in fetch order, and the URLs that gave
/// nothing usable (with why).
pub(crate) fn fetched(obs: &Observations) -> (Vec<Fetched>, Vec<String>) {
    let mut found = Vec::new();
    let mut failed = Vec::new();
    for p in &obs.probes {
        if !matches!(p.request.kind, ProbeKind::FetchIssuer { .. }) {
            continue;
        }
        let Some(fetch) = &p.fetch else { continue };
        if let Some(error) = &fetch.error {
            failed.push(format!("{}: {}", fetch.url, crate::text::sanitize(error)));
            continue;
        }
        match decode(&fetch.body) {
            Some(der) => found.push(Fetched {
                url: fetch.url.clone(),
                der,
            }),
            None => failed.push(format!(
                "{}: not a DER or PEM certificate (PKCS#7 bundles are not read yet)",
                fetch.url
            )),
        }
    }
    (found, failed)
}

/// A certificate as CAs serve it: DER, or PEM.
pub(crate) fn decode(body: &[u8]) -> Option<Vec<u8>> {
    if body.first() == Some(&0x30) && certs::parse(body).is_some() {
        return Some(body.to_vec());
    }
    let der = CertificateDer::from_pem_slice(body).ok()?;
    certs::parse(&der).is_some().then(|| der.to_vec())
}

/// The time to judge trust at: now, or the middle of the leaf's validity when
/// now is outside it (expiry is its own finding).
pub(crate) fn trust_time(leaf: &certs::CertInfo, now: OffsetDateTime) -> OffsetDateTime {
    if now < leaf.not_before || now > leaf.not_after {
        leaf.not_before + (leaf.not_after - leaf.not_before) / 2
    } else {
        now
    }
}

/// Whether the chain verifies against any store (the leaf's own dates set
/// aside), by the one certificate judge.
pub(crate) fn trusted_anywhere(chain: &[Vec<u8>], ctx: &Context) -> bool {
    !crate::chain::judge_chain(chain, &ctx.trust, ctx.now)
        .trusted_by()
        .is_empty()
}

/// The next caIssuers URL worth fetching, if the chain (with what was fetched
/// so far) still verifies nowhere.
pub(crate) fn next_fetch(obs: &Observations, ctx: &Context) -> Option<ProbeRequest> {
    if !ctx.fetch_issuers {
        return None;
    }
    let main = obs.probe(&Purpose::ClientHello);
    let handshake = obs.probe(&Purpose::Handshake);
    let served = served_chain(main, handshake);
    certs::parse(served.first()?)?;
    let (found, _) = fetched(obs);
    let attempts = obs
        .probes
        .iter()
        .filter(|p| matches!(p.request.kind, ProbeKind::FetchIssuer { .. }))
        .count();
    if attempts >= MAX_FETCHES {
        return None;
    }
    let mut chain = served;
    chain.extend(found.iter().map(|f| f.der.clone()));
    if trusted_anywhere(&chain, ctx) {
        return None;
    }
    let top = certs::parse(chain.last()?)?;
    if top.self_issued {
        return None;
    }
    let url = top
        .ca_issuers
        .iter()
        .find(|u| u.starts_with("http://"))?
        .clone();
    if obs.has(&Purpose::Issuer { url: url.clone() }) {
        return None;
    }
    Some(ProbeRequest {
        purpose: Purpose::Issuer { url: url.clone() },
        kind: ProbeKind::FetchIssuer { url },
    })
}
