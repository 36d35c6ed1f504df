//! ROBOT: Bleichenbacher's RSA padding oracle.
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn robot(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let rsa = acc.matching(|_, i| i.kx == KeyExchange::Rsa);
    if !acc.legacy {
        return acc.tls13_only("the server speaks only TLS 1.3, which has no RSA key exchange");
    }
    let name = robot_name(RsaPadding::Correct);
    let first = match probe_of(obs, acc, &name) {
        Ok(p) => p,
        Err(c) if rsa.is_empty() && c.status == VulnStatus::NotTested => {
            return acc.none_accepted(LEGACY_NAMES, "the server accepts no RSA key exchange suite");
        }
        Err(c) => return c,
    };
    let Some(f) = first.1.follow_up.as_ref() else {
        return untested("the probe recorded nothing after the first flight");
    };
    if let Some(why) = &f.skipped {
        if first.1.server_hello.is_none()
            && rsa.is_empty()
            && crate::scan::failure(first.0, obs).is_none()
        {
            return safe(format!(
                "the server refused every RSA key exchange suite ({})",
                no_hello(first.1)
            ));
        }
        return untested(format!("no ClientKeyExchange could be sent: {why}"));
    }
    let mut replies: Vec<(RsaPadding, String)> = Vec::new();
    for padding in RsaPadding::ALL {
        let record = match probe_of(obs, acc, &robot_name(padding)) {
            Ok(p) => p,
            Err(c) => {
                return untested(format!(
                    "the {} variant did not run to the end: {}",
                    padding.as_str(),
                    c.evidence
                ))
            }
        };
        match record.1.follow_up.as_ref() {
            Some(f) if f.skipped.is_none() => replies.push((padding, reaction(f))),
            Some(f) => {
                return untested(format!(
                    "the {} variant was not sent: {}",
                    padding.as_str(),
                    f.skipped.clone().unwrap_or_default()
                ))
            }
            None => return untested("a variant recorded nothing after the first flight"),
        }
    }
    let suite = first
        .1
        .server_hello
        .as_ref()
        .map(|s| s.cipher_suite.name())
        .unwrap_or_default();
    let same = replies.iter().all(|(_, r)| *r == replies[0].1);
    let silent = |p: &RsaPadding| {
        obs.probe(&purpose(&robot_name(*p)))
            .and_then(follow_up)
            .is_some_and(|f| {
                f.alerts.is_empty() && f.bytes_received == 0 && f.end == model::FlightEnd::Timeout
            })
    };
    if same && RsaPadding::ALL.iter().all(silent) {
        return untested(format!(
            "with {suite}, the server reacted to none of the five ClientKeyExchange variants before the deadline: no replies to compare"
        ));
    }
    if same {
        return safe(format!(
            "with {suite}, all five ClientKeyExchange variants (valid and malformed PKCS#1 padding) got the same reply: {}",
            replies[0].1
        ));
    }
    let detail: Vec<String> = replies
        .iter()
        .map(|(p, r)| format!("{} → {r}", p.as_str()))
        .collect();
    // One sample can differ by accident (a reset, a timeout): the
    // difference must repeat in every sample.
    for n in 2..=ROBOT_SAMPLES {
        let Some(again) = robot_sample(obs, n) else {
            return untested(format!(
                "with {suite}, the first samples differed ({}), but repeat sample {n} of {ROBOT_SAMPLES} did not run to the end",
                detail.join("; ")
            ));
        };
        let first: Vec<&String> = replies.iter().map(|(_, r)| r).collect();
        if again.iter().collect::<Vec<_>>() != first {
            return untested(format!(
                "with {suite}, the replies were not consistent across samples (first: {}; sample {n}: {}): network noise, not a proven oracle",
                detail.join("; "),
                again.join("; ")
            ));
        }
    }
    vulnerable(format!(
        "with {suite}, the server answers RSA ClientKeyExchange messages differently depending on the PKCS#1 padding, the same way in each of {ROBOT_SAMPLES} samples (a Bleichenbacher oracle): {}",
        detail.join("; ")
    ))
}
