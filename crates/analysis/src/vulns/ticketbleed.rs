//! Ticketbleed (CVE-2016-9244).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry), and the probes it needs; the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::Ticketbleed,
    explanation: "Ticketbleed (CVE-2016-9244): F5 BIG-IP TLS stacks answer a session-ticket resumption with a session ID shorter than 32 bytes by echoing 32 bytes anyway, the rest taken from uninitialised memory. Each connection leaks up to 31 bytes that may hold other users' session keys or data.",
    fix: "Apply F5's fix for K05121675 (BIG-IP 11.6.1 HF2, 12.1.2 HF1, 13.0.0 or later), or until then disable session tickets in the Client SSL profile (Session Ticket: Disabled).",
    grade_cap: None,
    judge,
    plan: Plan::Legacy(plan),
};

/// The one-byte session ID of the Ticketbleed hello.
pub const TICKETBLEED_SESSION_ID: [u8; 1] = [0x5a];

/// A resumption with a ticket and a one-byte session ID.
fn plan(p: &Planning<'_>) -> Vec<ProbeRequest> {
    p.once("ticketbleed", || VulnProbe::TicketEcho {
        hello: HelloSpec {
            modern_extensions: false,
            ..offers::hello(p.target, p.version, p.all.clone())
        },
        session_id: TICKETBLEED_SESSION_ID.to_vec(),
    })
}

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let obs = acc.obs;
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
