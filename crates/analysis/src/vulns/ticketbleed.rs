//! Ticketbleed (CVE-2016-9244).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn ticketbleed(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    let (_, flight) = match probe_of(obs, acc, "ticketbleed") {
        Ok(p) => p,
        Err(c) => return c,
    };
    let tickets = acc.report.features.session_tickets;
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing");
    };
    let from_server = f.ticket_from_server == Some(true);
    let note = f
        .ticket_note
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let ticket = if from_server {
        "the server's own session ticket".to_string()
    } else {
        format!("a made-up session ticket{note}")
    };
    let sent = TICKETBLEED_SESSION_ID.len();
    let Some(sid) = &f.session_id else {
        if flight.server_hello.is_none() {
            return untested(format!(
                "no ServerHello to the hello with {ticket} ({})",
                no_hello(flight)
            ));
        }
        return untested("the ServerHello was not recorded");
    };
    let resumed = f.resumed == Some(true);
    let echoes_ours = sid.0.starts_with(&TICKETBLEED_SESSION_ID);
    if resumed && sid.0.len() > sent && echoes_ours {
        return vulnerable(format!(
            "sent {ticket} with a {sent}-byte session ID: the server resumed and echoed a {}-byte session ID, {} bytes of it from its memory",
            sid.0.len(),
            sid.0.len() - sent
        ));
    }
    if resumed {
        return safe(format!(
            "sent {ticket} with a {sent}-byte session ID: the server resumed and echoed exactly {} byte(s)",
            sid.0.len()
        ));
    }
    if tickets == Some(false) {
        return safe("the server does not announce session tickets (TLS ≤ 1.2), so the ticket resumption path that leaks is never taken");
    }
    untested(format!(
        "sent {ticket} with a {sent}-byte session ID; the server did not resume (full handshake, {}-byte session ID), so the echo that leaks was not exercised",
        sid.0.len()
    ))
}
