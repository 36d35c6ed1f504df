//! DNS CAA (RFC 8659): which CAs the domain allows to issue for the name,
//! and whether the CA of the certificate the server presents is one of
//! them. CAA binds only at issuance, so a certificate already issued stays
//! valid; what a mismatch means is that its *renewal* by the same CA will be
//! refused (certbot/ACME clients fail with `CAA record … prevents issuance`).
//!
//! A CA is named in CAA by its issuer domain (`letsencrypt.org`); a
//! certificate names its CA by organisation. [`CA_DOMAINS`] links the two
//! for the CAs that issue most public certificates (their CAA identifiers
//! as published in the CCADB); a CA not listed is *unknown*, never "not
//! allowed".

use model::{CaaObservation, CaaReport, Observations, ProbeKind, ProbeRequest, Purpose, Target};

/// Issuing organisations (a substring of the issuer's O or CN, lower case)
/// and the CAA issuer domains that allow them.
const CA_DOMAINS: &[(&str, &[&str])] = &[
    ("let's encrypt", &["letsencrypt.org"]),
    ("google trust services", &["pki.goog", "google.com"]),
    (
        "digicert",
        &[
            "digicert.com",
            "symantec.com",
            "thawte.com",
            "geotrust.com",
            "rapidssl.com",
            "digicert.ne.jp",
        ],
    ),
    ("thawte", &["digicert.com", "thawte.com"]),
    ("geotrust", &["digicert.com", "geotrust.com"]),
    ("rapidssl", &["digicert.com", "rapidssl.com"]),
    (
        "sectigo",
        &[
            "sectigo.com",
            "comodoca.com",
            "comodo.com",
            "usertrust.com",
            "trust-provider.com",
        ],
    ),
    ("comodo", &["sectigo.com", "comodoca.com", "comodo.com"]),
    ("zerossl", &["sectigo.com", "zerossl.com"]),
    ("globalsign", &["globalsign.com"]),
    (
        "amazon",
        &[
            "amazon.com",
            "amazontrust.com",
            "awstrust.com",
            "amazonaws.com",
        ],
    ),
    ("microsoft", &["microsoft.com"]),
    ("godaddy", &["godaddy.com", "starfieldtech.com"]),
    ("starfield", &["starfieldtech.com", "godaddy.com"]),
    ("entrust", &["entrust.net", "affirmtrust.com"]),
    ("identrust", &["identrust.com"]),
    ("buypass", &["buypass.com", "buypass.no"]),
    ("ssl corporation", &["ssl.com"]),
    ("ssl.com", &["ssl.com"]),
    ("certum", &["certum.pl", "certum.eu"]),
    ("asseco", &["certum.pl", "certum.eu"]),
    ("harica", &["harica.gr"]),
    ("actalis", &["actalis.it"]),
    ("telia", &["telia.com", "teliasonera.com"]),
    ("swisssign", &["swisssign.com", "swisssign.net"]),
];

/// The look-up, for names (CAA does not apply to IP addresses).
pub(crate) fn request(target: &Target) -> Option<ProbeRequest> {
    if target.host.parse::<std::net::IpAddr>().is_ok() || !target.host.contains('.') {
        return None;
    }
    Some(ProbeRequest {
        purpose: Purpose::Caa,
        kind: ProbeKind::LookupCaa {
            name: target.host.clone(),
        },
    })
}

/// The CAA report for the scan: the relevant record set and whether the
/// presented certificate's CA is allowed. `issuer` is the leaf's issuer DN
/// as text; `wildcard` whether the leaf is for a wildcard name.
pub(crate) fn report(
    obs: &Observations,
    issuer: Option<&str>,
    wildcard: bool,
) -> Option<CaaReport> {
    let observation = obs.probe(&Purpose::Caa)?.caa.as_ref()?;
    if observation.skipped.is_some() {
        return None;
    }
    Some(judge(observation, issuer, wildcard))
}

pub(crate) fn judge(
    observation: &CaaObservation,
    issuer: Option<&str>,
    wildcard: bool,
) -> CaaReport {
    let mut report = CaaReport::default();
    let Some(last) = observation.lookups.last() else {
        report.detail = "no CAA look-up was made".into();
        return report;
    };
    if let Some(error) = &last.error {
        report.name = last.name.clone();
        report.detail = format!(
            "unknown: the CAA look-up of {} failed ({}), so which CAs may issue is not known",
            last.name,
            crate::text::sanitize(error)
        );
        return report;
    }
    report.records = last
        .records
        .iter()
        .map(|r| {
            format!(
                "{} {} \"{}\"",
                r.flags,
                crate::text::sanitize(&r.tag),
                crate::text::sanitize(&r.value)
            )
        })
        .collect();
    if last.records.is_empty() {
        report.name = observation
            .lookups
            .first()
            .map(|l| l.name.clone())
            .unwrap_or_default();
        report.allowed = Some(true);
        report.detail = format!(
            "no CAA records for {} or its parents: every CA may issue",
            report.name
        );
        return report;
    }
    report.name = last.name.clone();
    // RFC 8659 §4.3: for a wildcard name, issuewild rules when present.
    let tag = if wildcard
        && last
            .records
            .iter()
            .any(|r| r.tag.eq_ignore_ascii_case("issuewild"))
    {
        "issuewild"
    } else {
        "issue"
    };
    let unknown_critical = last.records.iter().find(|r| {
        r.flags & 0x80 != 0
            && !["issue", "issuewild", "iodef", "issuemail", "issuevmc"]
                .iter()
                .any(|t| r.tag.eq_ignore_ascii_case(t))
    });
    let issue: Vec<&model::CaaRecord> = last
        .records
        .iter()
        .filter(|r| r.tag.eq_ignore_ascii_case(tag))
        .collect();
    // The issuer domain is the value up to its parameters (RFC 8659 §4.2).
    report.allowed_issuers = issue
        .iter()
        .map(|r| {
            r.value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|d| !d.is_empty())
        .collect();
    if let Some(critical) = unknown_critical {
        report.allowed = Some(false);
        report.detail = format!(
            "a critical CAA property tlsdoctor (and CAs) do not know, `{}`, forbids every issuance",
            crate::text::sanitize(&critical.tag)
        );
        return report;
    }
    if issue.is_empty() {
        report.allowed = Some(true);
        report.detail = format!(
            "the CAA records of {} have no `{tag}` property: every CA may issue",
            report.name
        );
        return report;
    }
    if report.allowed_issuers.is_empty() {
        report.allowed = Some(false);
        report.detail = format!("`{tag} \";\"`: no CA may issue for this name");
        return report;
    }
    let Some(issuer) = issuer else {
        report.detail = "no certificate was seen to compare with".into();
        return report;
    };
    let issuer_lower = issuer.to_ascii_lowercase();
    let Some((ca, domains)) = CA_DOMAINS
        .iter()
        .find(|(name, _)| issuer_lower.contains(name))
    else {
        report.detail = format!(
            "unknown: the certificate's CA ({}) is not one whose CAA identifier tlsdoctor knows; allowed: {}",
            crate::text::sanitize(issuer),
            report.allowed_issuers.join(", ")
        );
        return report;
    };
    report.ca = Some(ca.to_string());
    let allowed = domains
        .iter()
        .any(|d| report.allowed_issuers.iter().any(|a| a == d));
    report.allowed = Some(allowed);
    report.detail = if allowed {
        format!(
            "the certificate's CA ({ca}) is allowed by `{tag}` at {}",
            report.name
        )
    } else {
        format!(
            "the certificate's CA ({ca}, CAA {}) is not among the allowed issuers ({}): its next renewal by that CA will be refused",
            domains.join("/"),
            report.allowed_issuers.join(", ")
        )
    };
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{CaaLookup, CaaRecord};

    /// A look-up as (name, records as (flags, tag, value), error).
    type Lookup<'a> = (&'a str, Vec<(u8, &'a str, &'a str)>, Option<&'a str>);

    fn observed(lookups: Vec<Lookup<'_>>) -> CaaObservation {
        CaaObservation {
            lookups: lookups
                .into_iter()
                .map(|(name, records, error)| CaaLookup {
                    name: name.into(),
                    records: records
                        .into_iter()
                        .map(|(flags, tag, value)| CaaRecord {
                            flags,
                            tag: tag.into(),
                            value: value.into(),
                        })
                        .collect(),
                    error: error.map(String::from),
                })
                .collect(),
            resolver: None,
            skipped: None,
        }
    }

    const LE: &str = "C=US, O=Let's Encrypt, CN=R11";

    #[test]
    fn the_first_non_empty_set_up_the_tree_rules() {
        let o = observed(vec![
            ("www.example.com", vec![], None),
            (
                "example.com",
                vec![
                    (0, "issue", "letsencrypt.org"),
                    (0, "iodef", "mailto:a@example.com"),
                ],
                None,
            ),
        ]);
        let r = judge(&o, Some(LE), false);
        assert_eq!((r.name.as_str(), r.allowed), ("example.com", Some(true)));
        let r = judge(
            &o,
            Some("O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1"),
            false,
        );
        assert_eq!(r.allowed, Some(false));
        assert!(r.detail.contains("renewal"), "{}", r.detail);
    }

    #[test]
    fn no_records_allow_everyone_and_failures_are_unknown() {
        let o = observed(vec![
            ("www.example.com", vec![], None),
            ("example.com", vec![], None),
        ]);
        assert_eq!(judge(&o, Some(LE), false).allowed, Some(true));
        let o = observed(vec![("www.example.com", vec![], Some("SERVFAIL"))]);
        let r = judge(&o, Some(LE), false);
        assert_eq!(r.allowed, None);
        assert!(r.detail.starts_with("unknown"));
    }

    #[test]
    fn issuewild_semicolon_critical_and_unknown_cas() {
        let o = observed(vec![(
            "example.com",
            vec![(0, "issue", "letsencrypt.org"), (0, "issuewild", ";")],
            None,
        )]);
        assert_eq!(judge(&o, Some(LE), false).allowed, Some(true));
        assert_eq!(judge(&o, Some(LE), true).allowed, Some(false));
        let o = observed(vec![("example.com", vec![(128, "tbs", "x")], None)]);
        assert_eq!(judge(&o, Some(LE), false).allowed, Some(false));
        let o = observed(vec![(
            "example.com",
            vec![(0, "issue", "letsencrypt.org; validationmethods=dns-01")],
            None,
        )]);
        assert_eq!(judge(&o, Some(LE), false).allowed, Some(true));
        let r = judge(&o, Some("O=Example Private CA"), false);
        assert_eq!(r.allowed, None);
    }
}
