//! Heartbleed (CVE-2014-0160).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry), and the probes it needs; the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Heartbleed,
    explanation: "Heartbleed (CVE-2014-0160): OpenSSL 1.0.1 through 1.0.1f answer a TLS heartbeat request with as many bytes as the request claims, copying past the real payload into the server's memory. Anyone who can connect reads up to 64 KiB of process memory per request, without a trace in the logs: private keys, session keys, passwords and cookies of other users.",
    fix: "Upgrade OpenSSL (1.0.1g or later; every supported release is fixed) and restart every process linked to it, then replace the certificate and key (they may have leaked) and revoke the old certificate. Where an upgrade must wait, rebuild OpenSSL with -DOPENSSL_NO_HEARTBEATS.",
    grade_cap: Some(GradeCapRule {
        grade: "F",
        what: "Heartbleed (CVE-2014-0160): the server's memory can be read",
    }),
    judge,
    plan: Plan::Legacy(plan),
};

/// The heartbeat payload we send (16 bytes, ours, recognisable).
pub const HEARTBEAT_PAYLOAD: &[u8; 16] = b"tlsdoctor-hb-req";
/// The payload_length we claim: more than we send, little enough that a
/// vulnerable server's answer fits in one record and leaks only a little.
pub const HEARTBEAT_CLAIMED: u16 = 1024;

/// A heartbeat request claiming more than it carries, after the first flight.
fn plan(p: &Planning<'_>) -> Vec<ProbeRequest> {
    p.once("heartbleed", || VulnProbe::Heartbeat {
        hello: HelloSpec {
            heartbeat: true,
            ..offers::hello(p.target, p.version, p.all.clone())
        },
        payload: HEARTBEAT_PAYLOAD.to_vec(),
        payload_length: HEARTBEAT_CLAIMED,
    })
}

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let obs = acc.obs;
    let (_, flight) = match probe_of(obs, acc, "heartbleed") {
        Ok(p) => p,
        Err(c) => return c,
    };
    let Some(sh) = &flight.server_hello else {
        return untested(format!(
            "no ServerHello to the heartbeat hello ({})",
            no_hello(flight)
        ));
    };
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing after the first flight");
    };
    if let Some(why) = &f.skipped {
        if !sh.extensions.contains(&wire::registry::ExtensionType(15)) {
            return safe(
                "the ServerHello does not echo the heartbeat extension (RFC 6520): the server does not process heartbeat messages",
            );
        }
        return untested(format!("the heartbeat request was not sent: {why}"));
    }
    let sent = HEARTBEAT_PAYLOAD.len();
    if let Some(hb) = f
        .heartbeats
        .iter()
        .find(|h| usize::from(h.payload_length) > sent && h.record_len as usize > sent + 3)
    {
        let returned = (hb.record_len as usize).min(usize::from(hb.payload_length));
        return vulnerable(format!(
            "heartbeat request with {sent} bytes of payload claiming {HEARTBEAT_CLAIMED}: the server answered with a {} byte payload ({} bytes more than we sent, from its memory)",
            returned,
            returned.saturating_sub(sent)
        ));
    }
    if f.heartbeats.iter().any(|h| h.echoes_payload) {
        return safe(format!(
            "the server negotiated heartbeat and answered the over-long request with only the {sent} bytes we sent"
        ));
    }
    safe(format!(
        "the server negotiated heartbeat; a request claiming {HEARTBEAT_CLAIMED} bytes with {sent} sent was not answered with more than we sent ({})",
        reaction(f)
    ))
}
