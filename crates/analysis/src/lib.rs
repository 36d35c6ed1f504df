//! Pure judgement over observations: which probes to run next, and what the
//! observations mean (steps, diagnoses, verdict).
//!
//! Never does I/O. Everything from the outside world (the clock, trust
//! stores, the client profile) comes in through [`Context`], so every
//! diagnosis can be reproduced from a recorded [`model::Observations`].
#![forbid(unsafe_code)]

mod application;
pub mod certs;
pub mod chain;
pub mod client_hello;
mod der;
pub mod explain;
pub mod failure;
mod finish;
pub mod fixes;
#[cfg(test)]
mod fixtures;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
pub mod grade;
pub mod interception;
pub mod intermediates;
mod issuers;
mod judge;
pub mod listen;
pub mod mismatch;
pub mod negotiation;
pub mod ocsp;
pub mod offers;
mod plan;
pub mod platform_roots;
pub mod profiles;
mod revocation;
pub mod scan;
pub mod simulate;
pub mod text;
pub mod vulns;

use model::{Observations, ProbeRequest, Report};
use time::OffsetDateTime;

pub use certs::TrustStores;
pub use profiles::ClientProfile;

/// What analysis knows besides the observations.
#[derive(Clone, Debug)]
pub struct Context {
    /// The time certificates are judged at (`--now`, or the local clock).
    pub now: OffsetDateTime,
    /// True when `now` came from `--now` rather than the clock.
    pub now_overridden: bool,
    pub client: ClientProfile,
    pub trust: TrustStores,
    /// The user gave a client certificate.
    pub client_identity: bool,
    /// Fetch a missing issuer from the URL its child names (AIA caIssuers),
    /// as browsers do. Off with `--no-fetch`.
    pub fetch_issuers: bool,
}

/// The engine's next move.
#[derive(Debug)]
pub enum Next {
    /// Run these probes (concurrently) and ask again.
    Probe(Vec<ProbeRequest>),
    /// Enough is known.
    Done(Box<Report>),
}

/// Decides what to probe next for `diagnose`, or returns the report.
pub fn next(obs: &Observations, ctx: &Context) -> Next {
    match plan::next_probes(obs, ctx) {
        Some(requests) if !requests.is_empty() => Next::Probe(requests),
        _ => Next::Done(Box::new(judge::report(obs, ctx))),
    }
}

/// Judges the observations as they are, without asking for more.
pub fn judge(obs: &Observations, ctx: &Context) -> Report {
    judge::report(obs, ctx)
}
