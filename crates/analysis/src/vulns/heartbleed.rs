//! Heartbleed (CVE-2014-0160).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn heartbleed(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
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
