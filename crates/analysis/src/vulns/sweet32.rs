//! SWEET32: 64-bit block ciphers (CVE-2016-2183).
//!
//! Judged from the scan's observations and report with the verdict helpers
//! of `mod.rs`; the probe a check needs is planned in `plan`, its text is
//! in `text.rs`.

use super::*;

pub(super) fn sweet32(acc: &Accepted<'_>) -> VulnCheck {
    if let Some(c) = acc.unreachable() {
        return c;
    }
    let mut found = acc.matching(|_, i| {
        matches!(
            i.enc,
            Encryption::TripleDes
                | Encryption::Des
                | Encryption::Idea
                | Encryption::Rc2
                | Encryption::Magma
                | Encryption::Gost
        )
    });
    found.extend(
        acc.ssl2
            .iter()
            .filter(|s| s.contains("DES") || s.contains("RC2") || s.contains("IDEA"))
            .map(|s| format!("ssl2: {s}")),
    );
    if found.is_empty() {
        return acc.none_accepted(
            ALL_NAMES,
            "no suite with a 64-bit block cipher (3DES, DES, IDEA, RC2) is accepted",
        );
    }
    vulnerable(format!(
        "suites with a 64-bit block cipher are accepted: {}",
        list(&found)
    ))
}
