//! ROBOT: Bleichenbacher's RSA padding oracle.
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry), and the probes it needs; the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Robot,
    explanation: "ROBOT (Return Of Bleichenbacher's Oracle Threat, 2017): the server answers RSA-encrypted ClientKeyExchange messages differently depending on whether their PKCS#1 v1.5 padding is valid. With tens of thousands of such queries an attacker decrypts a recorded session that used RSA key exchange, or signs messages with the server's key, without ever learning the key.",
    fix: "Disable RSA key exchange (keep ECDHE/DHE suites), which also gives forward secrecy:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20\nand apply the vendor's ROBOT patch (F5, Citrix, Cisco, Radware and others issued fixes).",
    grade_cap: Some(GradeCapRule {
        grade: "F",
        what: "ROBOT: the server is an RSA padding oracle (Bleichenbacher)",
    }),
    judge,
    plan: Plan::Legacy(plan),
};

pub(super) fn robot_name(padding: RsaPadding) -> String {
    format!("robot:{}", padding.as_str())
}

/// How many times each ROBOT variant is sent when the first samples differ:
/// an oracle answers the same way every time, a network hiccup does not.
pub const ROBOT_SAMPLES: u8 = 3;

/// The purpose name of sample `n` (1-based; the first keeps the plain name).
fn robot_sample_name(padding: RsaPadding, n: u8) -> String {
    if n <= 1 {
        robot_name(padding)
    } else {
        format!("robot:{}:{n}", padding.as_str())
    }
}

/// The server's reaction to each variant in sample `n`, when all five ran
/// to the end (connected, ClientKeyExchange sent).
fn robot_sample(obs: &Observations, n: u8) -> Option<Vec<String>> {
    RsaPadding::ALL
        .iter()
        .map(|p| {
            let record = obs.probe(&purpose(&robot_sample_name(*p, n)))?;
            if crate::failure::failure(record, obs).is_some() && follow_up(record).is_none() {
                return None;
            }
            let f = follow_up(record).filter(|f| f.skipped.is_none())?;
            Some(reaction(f))
        })
        .collect()
}

/// The valid block first; the four malformed ones only when the server
/// took an RSA key exchange suite and our ClientKeyExchange; every variant
/// again when the first samples differ.
fn plan(p: &Planning<'_>) -> Vec<ProbeRequest> {
    let mut out = Vec::new();
    let rsa = suites_where(p.version, |i| i.kx == KeyExchange::Rsa && !i.export);
    match p.obs.probe(&purpose(&robot_name(RsaPadding::Correct))) {
        None if !rsa.is_empty() => out.push(robot_request(
            p.target,
            p.version,
            &rsa,
            RsaPadding::Correct,
            1,
        )),
        Some(record) if follow_up(record).is_some_and(|f| !f.sent.is_empty()) => {
            for padding in &RsaPadding::ALL[1..] {
                if p.todo(&robot_name(*padding)) {
                    out.push(robot_request(p.target, p.version, &rsa, *padding, 1));
                }
            }
            // The first samples differ: repeat every variant before calling
            // it an oracle.
            let differ = robot_sample(p.obs, 1).is_some_and(|r| r.iter().any(|x| *x != r[0]));
            if differ {
                for n in 2..=ROBOT_SAMPLES {
                    for padding in RsaPadding::ALL {
                        if p.todo(&robot_sample_name(padding, n)) {
                            out.push(robot_request(p.target, p.version, &rsa, padding, n));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

pub(super) fn robot_request(
    target: &Target,
    version: ProtocolVersion,
    rsa: &[CipherSuite],
    padding: RsaPadding,
    sample: u8,
) -> ProbeRequest {
    vuln_request(
        &robot_sample_name(padding, sample),
        VulnProbe::RsaPadding {
            hello: offers::hello(target, version, rsa.to_vec()),
            padding,
        },
    )
}

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let obs = acc.obs;
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
            && crate::failure::failure(first.0, obs).is_none()
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
