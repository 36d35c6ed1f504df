//! CCS injection (CVE-2014-0224).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn ccs_injection(obs: &Observations, acc: &Accepted<'_>) -> VulnCheck {
    let (_, flight) = match probe_of(obs, acc, "ccs_injection") {
        Ok(p) => p,
        Err(c) => return c,
    };
    if flight.server_hello.is_none() {
        return untested(format!("no ServerHello ({})", no_hello(flight)));
    }
    let Some(f) = &flight.follow_up else {
        return untested("the probe recorded nothing after the first flight");
    };
    if let Some(why) = &f.skipped {
        return untested(format!("the early ChangeCipherSpec was not sent: {why}"));
    }
    // bad_record_mac / decryption_failed: the server switched to keys made
    // from the (empty) master secret the early CCS gave it.
    let decrypt_failed = f.alerts.iter().any(|a| matches!(a.description, 20 | 21));
    if decrypt_failed {
        return vulnerable(format!(
            "ChangeCipherSpec sent right after ServerHelloDone was accepted: the server then failed to decrypt with keys from an empty master secret ({})",
            reaction(f)
        ));
    }
    let after_ccs_only = f.sent.len() == 1;
    if after_ccs_only {
        return safe(format!(
            "ChangeCipherSpec sent right after ServerHelloDone was refused: {}",
            reaction(f)
        ));
    }
    if f.alerts.is_empty() {
        return untested(format!(
            "the server neither refused the early ChangeCipherSpec nor showed that it took it: {}",
            reaction(f)
        ));
    }
    safe(format!(
        "the server stayed silent after the early ChangeCipherSpec but refused the next record with an alert, as a patched server does: {}",
        reaction(f)
    ))
}
