//! CCS injection (CVE-2014-0224).
//!
//! Everything about this check is here: its id, judgement, text and grade
//! cap (the [`CHECK`] entry), and the probes it needs; the verdict helpers are in `mod.rs`.

use super::*;

pub(super) const CHECK: Check = Check {
    id: VulnId::CcsInjection,
    explanation: "CCS injection (CVE-2014-0224): OpenSSL before 0.9.8za, 1.0.0m and 1.0.1h accepts a ChangeCipherSpec before the key exchange and switches to keys derived from an empty master secret. A man in the middle who can inject it into both sides' handshakes (both must be vulnerable for the full attack; a vulnerable server alone still allows hijacking with some clients) decrypts and modifies the traffic.",
    fix: "Upgrade OpenSSL to a fixed release (0.9.8za, 1.0.0m, 1.0.1h or later; every supported release is fixed) and restart the services that use it.",
    grade_cap: Some(GradeCapRule {
        grade: "F",
        what: "CCS injection (CVE-2014-0224): an attacker in the middle can force weak keys",
    }),
    judge,
    plan: Plan::Legacy(plan),
};

/// A ChangeCipherSpec before any key exchange.
fn plan(p: &Planning<'_>) -> Vec<ProbeRequest> {
    p.once("ccs_injection", || VulnProbe::EarlyCcs {
        hello: offers::hello(p.target, p.version, p.all.clone()),
    })
}

fn judge(acc: &Accepted<'_>) -> VulnCheck {
    let obs = acc.obs;
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
