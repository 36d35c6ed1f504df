//! The letter grade of a scanned server, after the SSL Labs "SSL Server
//! Rating Guide" (version 2009 and the grade caps Qualys added from 2014 to
//! 2020). docs/grading.md lists every rule with its source and marks where a
//! rule is our reading of the published text.
//!
//! 1. Three category scores, each 0-100: protocol support (30 %), key
//!    exchange (30 %) and cipher strength (40 %). Protocol and cipher take
//!    the mean of the best and the worst thing the server accepts; key
//!    exchange takes the weakest key the server's suites can use.
//! 2. The weighted total gives the letter: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35,
//!    E ≥ 20, F below (a category of 0 makes the total 0).
//! 3. Caps lower the letter (`F`, `C`, `B`, `A-`); A+ needs an A without
//!    warnings and HSTS of at least 180 days; a certificate that is not
//!    trusted shows `T`, one for another name `M`.
//!
//! Pure: a function of the [`ScanReport`]. Vulnerability caps read the
//! report's `vulnerabilities`; checks that were not tested cap nothing, and
//! the grade says so in `incomplete`.

use model::{ChainReport, GradeCap, ScanReport, Score, TrustReport, VulnStatus};
use wire::registry::{Auth, CipherSuite, CipherSuiteInfo, Encryption, KeyExchange, NamedGroup};

/// HSTS `max-age` A+ asks for: 180 days.
pub const HSTS_MIN_MAX_AGE: u64 = 15_552_000;

/// The grade of one scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grade {
    /// `A+`, `A`, `A-`, `B`, `C`, `D`, `E`, `F`, `T` or `M`.
    pub grade: String,
    /// The grade the server would have without the certificate's trust or
    /// name problem (equal to `grade` when there is none).
    pub grade_ignoring_certificate: String,
    pub caps: Vec<GradeCap>,
    pub score: Score,
    /// What the grade could not take into account.
    pub notes: Vec<String>,
    /// Why the grade is provisional (an unknown protocol, an interrupted
    /// list, an untested check that could cap it); empty when it is not.
    pub provisional: Vec<String>,
}

/// Grades the report and writes `grade`, `grade_caps` and `score` into it
/// (with notes in `incomplete`). Leaves them empty when the server spoke no
/// SSL/TLS at all.
pub fn apply(report: &mut ScanReport) {
    let Some(g) = grade(report) else {
        return;
    };
    report.grade = Some(g.grade);
    report.grade_caps = g.caps;
    report.score = Some(g.score);
    report.grade_provisional = !g.provisional.is_empty();
    if report.grade_provisional {
        report.incomplete.push(format!(
            "grade: provisional, the scan is incomplete ({}); a complete scan may grade differently",
            g.provisional.join("; ")
        ));
    }
    for note in g.notes {
        if !report.incomplete.contains(&note) {
            report.incomplete.push(note);
        }
    }
}

/// The letters from best to worst; caps compare by position.
const LADDER: [&str; 9] = ["A+", "A", "A-", "B", "C", "D", "E", "F", "F"];

fn rank(letter: &str) -> usize {
    LADDER.iter().position(|l| *l == letter).unwrap_or(7)
}

/// One supported suite with the protocol it was seen at.
struct Offered {
    version: &'static str,
    info: &'static CipherSuiteInfo,
}

/// Grades a scan; `None` when no protocol was supported (nothing to grade).
pub fn grade(report: &ScanReport) -> Option<Grade> {
    let supported: Vec<&'static str> = report
        .protocols
        .iter()
        .filter(|(_, p)| p.is_supported())
        .map(|(n, _)| n)
        .collect();
    if supported.is_empty() {
        return None;
    }
    let mut notes = Vec::new();
    let offered: Vec<Offered> = report
        .protocols
        .iter()
        .filter(|(n, p)| p.is_supported() && *n != "ssl2")
        .flat_map(|(n, p)| {
            p.cipher_suites
                .iter()
                .filter_map(|s| CipherSuite::from_name(s)?.info())
                .filter(|i| !i.is_scsv())
                .map(move |info| Offered { version: n, info })
        })
        .collect();
    let chain = main_chain(report);

    // ------------------------------------------------------------ scores
    let protocol = protocol_score(&supported);
    let (key_exchange, kx_why) = key_exchange_score(report, &offered, chain);
    if let Some(why) = kx_why {
        notes.push(why);
    }
    let cipher = cipher_score(&offered);
    let weighted = 30 * protocol + 30 * key_exchange + 40 * cipher;
    let weighted = if protocol == 0 || key_exchange == 0 || cipher == 0 {
        0
    } else {
        weighted
    };
    let score = Score {
        protocol,
        key_exchange,
        cipher,
        total: weighted / 100,
    };
    let letter = match weighted {
        w if w >= 8000 => "A",
        w if w >= 6500 => "B",
        w if w >= 5000 => "C",
        w if w >= 3500 => "D",
        w if w >= 2000 => "E",
        _ => "F",
    };

    // ------------------------------------------------------------ caps
    let mut caps: Vec<GradeCap> = Vec::new();
    let mut cap = |cap: &str, rule: &str, reason: String| {
        caps.push(GradeCap {
            cap: cap.into(),
            rule: rule.into(),
            reason,
        })
    };
    if score.total < 80 {
        cap(
            letter,
            "score",
            format!(
                "the score is {} (protocol {protocol} × 30 % + key exchange {key_exchange} × 30 % + cipher {cipher} × 40 %){}",
                score.total,
                if weighted == 0 { ", forced to 0 because a category scored 0" } else { "" }
            ),
        );
    }
    protocol_caps(report, &mut cap);
    suite_caps(report, &offered, &mut cap);
    key_caps(report, &offered, chain, &mut cap);
    vulnerability_caps(report, &mut cap, &mut notes);

    let mut letter = caps
        .iter()
        .filter(|c| LADDER.contains(&c.cap.as_str()))
        .map(|c| c.cap.as_str())
        .chain([letter])
        .max_by_key(|l| rank(l))
        .unwrap_or("F")
        .to_string();
    if letter == "A" {
        // A+: no warnings (an A- cap would have lowered the letter) and HSTS.
        let max_age = report.features.hsts.as_deref().and_then(hsts_max_age);
        let hsts_ok = max_age.is_some_and(|a| a >= HSTS_MIN_MAX_AGE);
        let fallback_ok = report.features.fallback_scsv != Some(false);
        if hsts_ok && fallback_ok {
            letter = "A+".into();
        } else {
            if !hsts_ok {
                let why = match (&report.features.hsts, max_age, &report.features.http_status) {
                    (_, _, None) if report.features.hsts.is_none() => {
                        "no Strict-Transport-Security header was seen (the port did not answer HTTP, or the header is missing)".to_string()
                    }
                    (None, _, _) => "the server sends no Strict-Transport-Security header".into(),
                    (Some(_), Some(age), _) => format!(
                        "Strict-Transport-Security max-age is {age} s, below the {HSTS_MIN_MAX_AGE} s (180 days) A+ requires"
                    ),
                    (Some(_), None, _) => {
                        "the Strict-Transport-Security header has no valid max-age".into()
                    }
                };
                caps.push(GradeCap {
                    cap: "A".into(),
                    rule: "no_hsts".into(),
                    reason: format!("A+ withheld: {why}"),
                });
            }
            if !fallback_ok {
                caps.push(GradeCap {
                    cap: "A".into(),
                    rule: "no_fallback_scsv".into(),
                    reason: "A+ withheld: the server ignores TLS_FALLBACK_SCSV (RFC 7507), so a downgrade to an older protocol cannot be detected".into(),
                });
            }
        }
    }

    // ------------------------------------------------------------ T and M
    let ignoring = letter.clone();
    let mut shown = letter;
    if let Some(chain) = chain {
        if let Some(why) = trust_problem(chain) {
            caps.push(GradeCap {
                cap: "T".into(),
                rule: "certificate_not_trusted".into(),
                reason: format!("{why} (if trust issues are ignored the grade is {ignoring})"),
            });
            shown = "T".into();
        }
        if !chain.hostname_match {
            caps.push(GradeCap {
                cap: "M".into(),
                rule: "certificate_name_mismatch".into(),
                reason: format!(
                    "the certificate is not valid for {} (if the mismatch is ignored the grade is {ignoring})",
                    chain.hostname
                ),
            });
            if shown != "T" {
                shown = "M".into();
            }
        }
    } else if !report.protocols.ssl2.is_supported() {
        notes.push("grade: no certificate was seen, so the T and M caps were not evaluated".into());
    }

    Some(Grade {
        grade: shown,
        grade_ignoring_certificate: ignoring,
        caps,
        score,
        notes,
        provisional: provisional(report),
    })
}

/// What the grade could not see: protocols whose support is unknown, lists
/// that were interrupted, and checks that can cap the grade but were not
/// tested.
fn provisional(report: &ScanReport) -> Vec<String> {
    // The facts the scan could not establish (the report's `unknown`), but
    // of the vulnerability checks only those that can cap the grade.
    let mut why: Vec<String> = crate::scan::unknown_facts(report)
        .into_iter()
        .filter(|path| !path.starts_with("vulnerabilities."))
        .map(|path| format!("{path} unknown"))
        .collect();
    let untested: Vec<&str> = crate::vulns::CHECKS
        .iter()
        .filter(|check| check.grade_cap.is_some())
        .filter(|check| report.vulnerabilities.get(check.id).status == VulnStatus::NotTested)
        .map(|check| check.id.as_str())
        .collect();
    if !untested.is_empty() {
        why.push(format!("not tested: {}", untested.join(", ")));
    }
    why
}

/// The chain clients get: the one seen with SNI, else the first.
fn main_chain(report: &ScanReport) -> Option<&ChainReport> {
    report
        .certificates
        .iter()
        .find(|c| c.seen_with.iter().any(|s| s == "sni"))
        .or_else(|| report.certificates.first())
}

// ---------------------------------------------------------------- protocol

/// Rating guide, "Protocol support": SSL 2.0 0 %, SSL 3.0 80 %, TLS 1.0
/// 90 %, TLS 1.1 95 %, TLS 1.2 100 % (TLS 1.3, newer than the guide: 100 %).
pub fn protocol_points(name: &str) -> u32 {
    match name {
        "ssl2" => 0,
        "ssl3" => 80,
        "tls1_0" => 90,
        "tls1_1" => 95,
        _ => 100,
    }
}

fn protocol_score(supported: &[&str]) -> u32 {
    let points: Vec<u32> = supported.iter().map(|n| protocol_points(n)).collect();
    let best = points.iter().copied().max().unwrap_or(0);
    let worst = points.iter().copied().min().unwrap_or(0);
    (best + worst) / 2
}

// ---------------------------------------------------------------- key exchange

/// Rating guide, "Key exchange": by the strength (RSA-equivalent bits) of
/// the server key and the (EC)DH parameters.
pub fn key_exchange_points(rsa_equivalent_bits: u32) -> u32 {
    match rsa_equivalent_bits {
        0 => 0,
        b if b < 512 => 20,
        b if b < 1024 => 40,
        b if b < 2048 => 80,
        b if b < 4096 => 90,
        _ => 100,
    }
}

/// RSA-equivalent strength of a symmetric security level (NIST SP 800-57
/// Part 1 Rev. 5, Table 2).
fn rsa_equivalent(security_bits: u32) -> u32 {
    match security_bits {
        0 => 0,
        b if b < 80 => 512,
        b if b < 112 => 1024,
        b if b < 128 => 2048,
        b if b < 192 => 3072,
        b if b < 256 => 7680,
        _ => 15360,
    }
}

/// The leaf key's RSA-equivalent strength.
fn certificate_strength(chain: &ChainReport) -> Option<u32> {
    let leaf = chain.certificates.first()?;
    Some(match leaf.key_type.as_str() {
        "rsa" | "dsa" => leaf.key_bits,
        // EC keys: security is half the order's size.
        "ecdsa" => rsa_equivalent(leaf.key_bits / 2),
        "ed25519" => 3072,
        "ed448" => 7680,
        _ => return None,
    })
}

fn key_exchange_score(
    report: &ScanReport,
    offered: &[Offered],
    chain: Option<&ChainReport>,
) -> (u32, Option<String>) {
    if offered.iter().any(|o| o.info.is_anonymous()) {
        return (0, None);
    }
    let mut weakest: Option<u32> = None;
    let mut take = |bits: u32| weakest = Some(weakest.map_or(bits, |w| w.min(bits)));
    let mut why = None;
    match chain.and_then(certificate_strength) {
        Some(bits) => take(bits),
        None => {
            why = Some("grade: the certificate key's strength is unknown; key exchange is scored from the (EC)DH parameters alone".into());
        }
    }
    if offered.iter().any(|o| o.info.kx == KeyExchange::Dhe) {
        if let Some(dh) = &report.dh {
            take(dh.prime_bits);
        }
    }
    // Named groups the server accepts: TLS 1.3 always, TLS ≤ 1.2 for ECDHE.
    for (name, p) in report.protocols.iter().filter(|(_, p)| p.is_supported()) {
        let uses_groups = name == "tls1_3"
            || offered
                .iter()
                .any(|o| o.version == name && o.info.kx == KeyExchange::Ecdhe);
        if !uses_groups {
            continue;
        }
        for g in p.groups.iter().filter_map(|g| NamedGroup::from_name(g)) {
            // Finite-field groups count their prime's size, like DHE
            // parameters (ffdhe2048 → 2048); curves their RSA equivalent.
            let ffdhe = g
                .as_str()
                .filter(|_| g.kind() == Some(wire::registry::GroupKind::Ffdhe))
                .and_then(|n| n.trim_start_matches("ffdhe").parse::<u32>().ok());
            if let Some(bits) = ffdhe {
                take(bits);
            } else if let Some(bits) = g.security_bits() {
                take(rsa_equivalent(u32::from(bits)));
            }
        }
    }
    let mut points = key_exchange_points(weakest.unwrap_or(0));
    if offered
        .iter()
        .any(|o| o.info.export && o.info.kx != KeyExchange::Null)
    {
        // "Exportable key exchange (limited to 512 bits): 40 %".
        points = points.min(40);
    }
    (points, why)
}

// ---------------------------------------------------------------- cipher

/// Rating guide, "Cipher strength": 0 bits 0 %, < 128 bits 20 %, < 256 bits
/// 80 %, ≥ 256 bits 100 %.
pub fn cipher_points(info: &CipherSuiteInfo) -> u32 {
    match info.bits {
        _ if info.is_null_encryption() => 0,
        0 => 0,
        b if b < 128 => 20,
        b if b < 256 => 80,
        _ => 100,
    }
}

fn cipher_score(offered: &[Offered]) -> u32 {
    let points: Vec<u32> = offered.iter().map(|o| cipher_points(o.info)).collect();
    match (points.iter().max(), points.iter().min()) {
        (Some(best), Some(worst)) => (best + worst) / 2,
        // SSL 2.0 only: its cipher kinds are not TLS suites; SSL 2.0 is F anyway.
        _ => 0,
    }
}

// ---------------------------------------------------------------- caps

type Cap<'a> = dyn FnMut(&str, &str, String) + 'a;

fn protocol_caps(report: &ScanReport, cap: &mut Cap<'_>) {
    let p = &report.protocols;
    if p.ssl2.is_supported() {
        cap(
            "F",
            "ssl2",
            "SSL 2.0 is enabled (broken since 1996; DROWN)".into(),
        );
    }
    if p.tls1_2.is_refused() && p.tls1_3.is_refused() {
        cap(
            "C",
            "no_tls1_2",
            "neither TLS 1.2 nor TLS 1.3 is supported".into(),
        );
    }
    let old: Vec<&str> = [
        ("TLS 1.0", p.tls1_0.is_supported()),
        ("TLS 1.1", p.tls1_1.is_supported()),
    ]
    .into_iter()
    .filter(|(_, s)| *s)
    .map(|(n, _)| n)
    .collect();
    if !old.is_empty() {
        cap(
            "B",
            "tls1_0_or_1_1",
            format!("{} enabled (deprecated by RFC 8996)", old.join(" and ")),
        );
    }
    let legacy = p.ssl3.is_supported()
        || p.tls1_0.is_supported()
        || p.tls1_1.is_supported()
        || p.tls1_2.is_supported();
    if legacy && report.features.secure_renegotiation == Some(false) {
        cap(
            "A-",
            "no_secure_renegotiation",
            "the server does not support secure renegotiation (RFC 5746 renegotiation_info)".into(),
        );
    }
}

/// 64-bit block ciphers (Sweet32): 3DES, DES, IDEA, RC2, GOST 28147, Magma.
fn small_block(info: &CipherSuiteInfo) -> bool {
    matches!(
        info.enc,
        Encryption::TripleDes
            | Encryption::Des
            | Encryption::Idea
            | Encryption::Rc2
            | Encryption::Gost
            | Encryption::Magma
    )
}

/// True when a client could end up with a suite like this at `version`: the
/// server follows the client's order, or ranks it before another suite.
/// A suite kept at the very end of a server-ordered list is only chosen by
/// clients that offer nothing better ("keep it at the end of their ordered
/// list ... will not be affected").
fn negotiable_with_better_clients(
    report: &ScanReport,
    version: &str,
    bad: impl Fn(&CipherSuiteInfo) -> bool,
) -> bool {
    let Some(p) = report.protocol(version) else {
        return false;
    };
    let infos: Vec<&CipherSuiteInfo> = p
        .cipher_suites
        .iter()
        .filter_map(|s| CipherSuite::from_name(s)?.info())
        .collect();
    let Some(first_bad) = infos.iter().position(|i| bad(i)) else {
        return false;
    };
    match p.server_order {
        Some(true) => infos[first_bad..].iter().any(|i| !bad(i)),
        _ => true,
    }
}

fn suite_caps(report: &ScanReport, offered: &[Offered], cap: &mut Cap<'_>) {
    let names = |pred: &dyn Fn(&CipherSuiteInfo) -> bool| -> Vec<String> {
        let mut v: Vec<String> = offered
            .iter()
            .filter(|o| pred(o.info))
            .map(|o| o.info.iana_name.to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let list = |v: &[String]| {
        let shown: Vec<&str> = v.iter().take(3).map(String::as_str).collect();
        let more = if v.len() > 3 {
            format!(" and {} more", v.len() - 3)
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    let export = names(&|i| i.export);
    if !export.is_empty() {
        cap(
            "F",
            "export_suites",
            format!(
                "export-grade suites are enabled (FREAK, Logjam): {}",
                list(&export)
            ),
        );
    }
    let anon = names(&|i| i.is_anonymous());
    if !anon.is_empty() {
        cap(
            "F",
            "anonymous_suites",
            format!(
                "suites without server authentication are enabled (anyone in the middle can impersonate the server): {}",
                list(&anon)
            ),
        );
    }
    let null = names(&|i| i.is_null_encryption() && !i.is_anonymous());
    if !null.is_empty() {
        cap(
            "F",
            "null_suites",
            format!("suites without encryption are enabled: {}", list(&null)),
        );
    }
    let rc4 = names(&|i| i.enc == Encryption::Rc4);
    if !rc4.is_empty() {
        let modern = offered
            .iter()
            .any(|o| o.info.enc == Encryption::Rc4 && matches!(o.version, "tls1_1" | "tls1_2"));
        if modern {
            cap(
                "C",
                "rc4_modern_protocols",
                format!(
                    "RC4 is enabled with TLS 1.1 or later (RFC 7465): {}",
                    list(&rc4)
                ),
            );
        } else {
            cap(
                "B",
                "rc4",
                format!("RC4 is enabled (RFC 7465): {}", list(&rc4)),
            );
        }
    }
    let small: Vec<&str> = ["tls1_1", "tls1_2"]
        .into_iter()
        .filter(|v| negotiable_with_better_clients(report, v, small_block))
        .collect();
    if !small.is_empty() {
        let suites = names(&|i| small_block(i));
        cap(
            "C",
            "64bit_block_modern_protocols",
            format!(
                "a 64-bit block cipher (3DES; Sweet32) can be negotiated with {} by clients that have better suites: {}",
                small.join(" and "),
                list(&suites)
            ),
        );
    }
    // Forward secrecy and AEAD, judged at TLS ≤ 1.2 (TLS 1.3 always has both).
    let legacy: Vec<&Offered> = offered.iter().filter(|o| o.version != "tls1_3").collect();
    let tls13 = report.protocols.tls1_3.is_supported();
    let prefers = |pred: fn(&CipherSuiteInfo) -> bool| {
        !tls13
            && report.protocols.tls1_2.server_order == Some(true)
            && report
                .protocols
                .tls1_2
                .cipher_suites
                .first()
                .and_then(|s| CipherSuite::from_name(s)?.info())
                .is_some_and(|i| !pred(i))
    };
    // "No such suite" is a fact only when every list is complete.
    let complete = report
        .protocols
        .iter()
        .all(|(_, p)| p.supported.is_some() && p.cipher_suites_interrupted.is_none());
    let fs = |i: &CipherSuiteInfo| i.forward_secrecy();
    if complete && !legacy.is_empty() && !legacy.iter().any(|o| fs(o.info)) {
        cap(
            "B",
            "no_forward_secrecy",
            "no suite with forward secrecy (ECDHE or DHE) below TLS 1.3: a stolen server key decrypts recorded sessions".into(),
        );
    } else if prefers(fs) {
        cap(
            "B",
            "no_forward_secrecy",
            "the server prefers a TLS 1.2 suite without forward secrecy over its ECDHE/DHE suites"
                .into(),
        );
    }
    let aead = |i: &CipherSuiteInfo| i.is_aead();
    if complete && !offered.iter().any(|o| aead(o.info)) {
        cap(
            "B",
            "no_aead",
            "no AEAD suite (AES-GCM, ChaCha20-Poly1305): only CBC or stream ciphers".into(),
        );
    } else if prefers(aead) {
        cap(
            "B",
            "no_aead",
            "the server prefers a TLS 1.2 CBC suite over its AEAD suites".into(),
        );
    }
}

fn key_caps(
    report: &ScanReport,
    offered: &[Offered],
    chain: Option<&ChainReport>,
    cap: &mut Cap<'_>,
) {
    let dhe = offered
        .iter()
        .any(|o| o.info.kx == KeyExchange::Dhe && o.info.auth != Auth::Anon);
    if let (true, Some(dh)) = (dhe, &report.dh) {
        if dh.prime_bits < 1024 {
            cap(
                "F",
                "dh_under_1024",
                format!("DHE uses a {}-bit prime (Logjam)", dh.prime_bits),
            );
        } else if dh.prime_bits < 2048 {
            cap(
                "B",
                "dh_under_2048",
                format!("DHE uses a {}-bit prime, below 2048 bits", dh.prime_bits),
            );
        }
    }
    if let Some(chain) = chain {
        let self_signed = chain.certificates.len() == 1
            && chain.certificates.first().is_some_and(|c| c.self_issued);
        if !chain.complete && !self_signed {
            cap(
                "B",
                "incomplete_chain",
                "the certificate chain is incomplete: an intermediate certificate is missing"
                    .into(),
            );
        }
    }
}

fn vulnerability_caps(report: &ScanReport, cap: &mut Cap<'_>, notes: &mut Vec<String>) {
    let mut untested = Vec::new();
    for check in crate::vulns::CHECKS {
        let Some(rule) = &check.grade_cap else {
            continue;
        };
        let name = check.id.as_str();
        match report.vulnerabilities.get(check.id).status {
            VulnStatus::Vulnerable => cap(rule.grade, name, format!("vulnerable to {}", rule.what)),
            // A heuristic never caps: only what was observed does.
            VulnStatus::NotVulnerable | VulnStatus::PotentiallyVulnerable => {}
            VulnStatus::NotTested => untested.push(name),
        }
    }
    if untested.contains(&"poodle_ssl3") {
        // POODLE needs nothing but the suite list: SSL 3.0 with CBC.
        let ssl3_cbc = report.protocols.ssl3.is_supported()
            && report.protocols.ssl3.cipher_suites.iter().any(|s| {
                CipherSuite::from_name(s)
                    .and_then(CipherSuite::info)
                    .is_some_and(|i| i.mode == wire::registry::Mode::Cbc)
            });
        if ssl3_cbc {
            cap(
                "C",
                "poodle_ssl3",
                "SSL 3.0 with CBC suites is enabled (POODLE, CVE-2014-3566)".into(),
            );
        }
        untested.retain(|n| *n != "poodle_ssl3");
    }
    if !untested.is_empty() {
        notes.push(format!(
            "grade: these vulnerability caps were not evaluated (not tested): {}",
            untested.join(", ")
        ));
    }
}

/// Why the chain is not trusted, if it is not.
fn trust_problem(chain: &ChainReport) -> Option<String> {
    // The grade rests on Mozilla's, this machine's and the --ca-file roots,
    // not on a platform's dated snapshot.
    let primary: Vec<&TrustReport> = chain.trust.iter().filter(|t| t.is_primary()).collect();
    if primary.iter().any(|t| t.trusted) {
        return None;
    }
    let results: Vec<&str> = primary.iter().map(|t| t.result.as_str()).collect();
    let leaf_self_signed =
        chain.certificates.len() == 1 && chain.certificates.first().is_some_and(|c| c.self_issued);
    Some(if results.contains(&"expired") {
        "the certificate has expired".into()
    } else if results.contains(&"not_yet_valid") {
        "the certificate is not yet valid".into()
    } else if leaf_self_signed {
        "the certificate is self-signed".into()
    } else if primary.is_empty() {
        "the certificate was not checked against any trust store".into()
    } else {
        format!(
            "the certificate chain is not trusted ({})",
            primary
                .iter()
                .map(|t| format!("{}: {}", t.store, t.result))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// `max-age` of a Strict-Transport-Security value (RFC 6797 §6.1).
pub fn hsts_max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|directive| {
        let (name, v) = directive.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        v.trim().trim_matches('"').parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{DhReport, Protocols};

    use crate::fixtures::{chain, protocol as proto};

    /// The shared test scan, with secure renegotiation (a grade A needs it).
    fn report(protocols: Protocols, chain: ChainReport) -> ScanReport {
        let mut report = crate::fixtures::scan_report(protocols, chain);
        report.features.secure_renegotiation = Some(true);
        report
    }

    fn rules(g: &Grade) -> Vec<&str> {
        g.caps.iter().map(|c| c.rule.as_str()).collect()
    }

    const GCM128: &str = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    const GCM256: &str = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";

    #[test]
    fn tls12_ecdhe_gcm_rsa2048_is_a_and_a_plus_with_hsts() {
        let protocols = Protocols {
            tls1_2: proto(&[GCM256, GCM128], Some(true), &["x25519", "secp256r1"]),
            ..Default::default()
        };
        let mut r = report(protocols, chain("rsa", 2048, true));
        let g = grade(&r).unwrap();
        // protocol (100+100)/2 = 100; key exchange min(RSA 2048, x25519 ≈ 3072)
        // = 2048 → 90; cipher (100+80)/2 = 90; 30 + 27 + 36 = 93 → A.
        assert_eq!(
            g.score,
            Score {
                protocol: 100,
                key_exchange: 90,
                cipher: 90,
                total: 93
            }
        );
        assert_eq!(g.grade, "A");
        assert_eq!(rules(&g), ["no_hsts"]);
        r.features.hsts = Some("max-age=31536000; includeSubDomains".into());
        assert_eq!(grade(&r).unwrap().grade, "A+");
        r.features.hsts = Some("max-age=86400".into());
        assert_eq!(grade(&r).unwrap().grade, "A");
    }

    #[test]
    fn only_observed_vulnerabilities_cap_and_gaps_make_the_grade_provisional() {
        let protocols = Protocols {
            tls1_2: proto(&[GCM256, GCM128], Some(true), &["x25519"]),
            ..Default::default()
        };
        let mut r = report(protocols, chain("rsa", 2048, true));
        for check in crate::vulns::CHECKS
            .iter()
            .filter(|c| c.grade_cap.is_some())
        {
            r.vulnerabilities.get_mut(check.id).status = VulnStatus::NotVulnerable;
        }
        // A heuristic caps nothing.
        r.vulnerabilities.robot.status = VulnStatus::PotentiallyVulnerable;
        let g = grade(&r).unwrap();
        assert_eq!(g.grade, "A");
        assert!(g.provisional.is_empty(), "{:?}", g.provisional);
        // Observed: caps.
        r.vulnerabilities.robot.status = VulnStatus::Vulnerable;
        assert_eq!(grade(&r).unwrap().grade, "F");
        r.vulnerabilities.robot.status = VulnStatus::NotVulnerable;
        // An unknown protocol, an interrupted list, an untested cap: provisional.
        r.protocols.tls1_1.supported = None;
        r.protocols.tls1_2.cipher_suites_interrupted = Some("connection reset".into());
        r.vulnerabilities.heartbleed.status = VulnStatus::NotTested;
        let g = grade(&r).unwrap();
        assert_eq!(g.provisional.len(), 3, "{:?}", g.provisional);
        apply(&mut r);
        assert!(r.grade_provisional);
        assert!(r.incomplete.iter().any(|n| n.contains("provisional")));
    }

    #[test]
    fn legacy_protocols_and_cbc_only_cap_to_b() {
        let cbc = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
        let protocols = Protocols {
            tls1_0: proto(&[cbc], None, &["secp256r1"]),
            tls1_2: proto(&[cbc], None, &["secp256r1"]),
            ..Default::default()
        };
        let g = grade(&report(protocols, chain("rsa", 2048, true))).unwrap();
        // protocol (100+90)/2 = 95; kx 90; cipher (80+80)/2 = 80;
        // 28.5 + 27 + 32 = 87.5 → A, capped to B.
        assert_eq!(g.score.total, 87);
        assert_eq!(g.grade, "B");
        assert_eq!(rules(&g), ["tls1_0_or_1_1", "no_aead"]);
    }

    #[test]
    fn untrusted_shows_t_with_the_grade_it_would_have() {
        let protocols = Protocols {
            tls1_3: proto(&["TLS_AES_128_GCM_SHA256"], None, &["x25519"]),
            ..Default::default()
        };
        let g = grade(&report(protocols, chain("rsa", 2048, false))).unwrap();
        assert_eq!(g.grade, "T");
        assert_eq!(g.grade_ignoring_certificate, "A");
    }

    #[test]
    fn export_rc4_and_small_dh() {
        let protocols = Protocols {
            tls1_2: proto(
                &[
                    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
                    "TLS_RSA_WITH_RC4_128_SHA",
                    "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
                ],
                Some(true),
                &[],
            ),
            ..Default::default()
        };
        let mut r = report(protocols, chain("rsa", 2048, true));
        r.dh = Some(DhReport {
            prime_bits: 1024,
            well_known: None,
            generator: Some(2),
        });
        let g = grade(&r).unwrap();
        // kx: weakest 1024 → 80, export → 40; cipher (80 + 20)/2 = 50;
        // 30 + 12 + 20 = 62 → C by score, F by the export cap.
        assert_eq!(g.score.key_exchange, 40);
        assert_eq!(g.score.cipher, 50);
        assert_eq!(g.score.total, 62);
        assert_eq!(g.grade, "F");
        let r = rules(&g);
        for rule in ["export_suites", "rc4_modern_protocols", "dh_under_2048"] {
            assert!(r.contains(&rule), "{rule} in {r:?}");
        }
    }

    #[test]
    fn triple_des_last_in_server_order_is_not_capped() {
        let des = "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
        let last = Protocols {
            tls1_2: proto(&[GCM128, des], Some(true), &["x25519"]),
            ..Default::default()
        };
        let g = grade(&report(last, chain("rsa", 2048, true))).unwrap();
        assert!(!rules(&g).contains(&"64bit_block_modern_protocols"));
        let client_order = Protocols {
            tls1_2: proto(&[GCM128, des], Some(false), &["x25519"]),
            ..Default::default()
        };
        let g = grade(&report(client_order, chain("rsa", 2048, true))).unwrap();
        assert!(rules(&g).contains(&"64bit_block_modern_protocols"));
        assert_eq!(g.grade, "C");
    }

    #[test]
    fn hsts_max_age_parsing() {
        assert_eq!(hsts_max_age("max-age=31536000"), Some(31_536_000));
        assert_eq!(
            hsts_max_age("includeSubDomains; Max-Age=\"15552000\""),
            Some(15_552_000)
        );
        assert_eq!(hsts_max_age("preload"), None);
    }
}
