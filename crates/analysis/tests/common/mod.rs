//! What the analysis tests on recorded or scripted observations share: the
//! default context and the planner loop that answers each round.
#![allow(dead_code, unreachable_pub)]

use model::{DnsObservation, Observations, ProbeRecord, ProbeRequest, Report, Target};

/// The default client, now, no extra roots, no fetching.
pub fn context() -> analysis::Context {
    analysis::Context {
        now: time::OffsetDateTime::now_utc(),
        now_overridden: false,
        client: analysis::profiles::default_profile(),
        trust: analysis::TrustStores::default(),
        client_identity: false,
        fetch_issuers: false,
    }
}

/// Observations of `target` resolved to 127.0.0.1 (no DNS query).
pub fn observations(target: Target) -> Observations {
    let mut obs = Observations::new(target);
    obs.dns = Some(DnsObservation {
        skipped: true,
        addresses: vec![[127, 0, 0, 1].into()],
        ..Default::default()
    });
    obs
}

/// Runs the diagnose planner to its report, answering every request with
/// `answer` (a scripted server).
pub fn diagnose(
    mut obs: Observations,
    ctx: &analysis::Context,
    answer: impl Fn(ProbeRequest) -> ProbeRecord,
) -> Box<Report> {
    let mut rounds = 0;
    loop {
        match analysis::next(&obs, ctx) {
            analysis::Next::Probe(requests) => {
                rounds += 1;
                assert!(rounds < 10, "the planner loops");
                obs.probes.extend(requests.into_iter().map(&answer));
            }
            analysis::Next::Done(report) => return report,
        }
    }
}
