//! Known TLS-inspection products, recognised by the names they give the CA
//! that re-signs intercepted connections. Matching is by case-insensitive
//! substring of the issuer's organisation or common name.

/// (substring to look for, product name to report).
const PRODUCTS: &[(&str, &str)] = &[
    ("mitmproxy", "mitmproxy"),
    ("zscaler", "Zscaler"),
    ("fortinet", "Fortinet FortiGate"),
    ("fortigate", "Fortinet FortiGate"),
    ("palo alto networks", "Palo Alto Networks"),
    ("blue coat", "Blue Coat / Symantec ProxySG"),
    ("bluecoat", "Blue Coat / Symantec ProxySG"),
    ("sophos", "Sophos"),
    ("kaspersky", "Kaspersky"),
    ("avast", "Avast"),
    ("avg technologies", "AVG"),
    ("eset", "ESET"),
    ("bitdefender", "Bitdefender"),
    ("netskope", "Netskope"),
    ("cisco umbrella", "Cisco Umbrella"),
    ("opendns", "Cisco Umbrella"),
    ("fiddler", "Fiddler"),
    ("portswigger", "Burp Suite"),
    ("charles proxy", "Charles Proxy"),
    ("forcepoint", "Forcepoint"),
    ("websense", "Forcepoint (Websense)"),
    ("mcafee web gateway", "McAfee Web Gateway"),
    ("check point", "Check Point"),
    ("barracuda", "Barracuda"),
    ("untangle", "Untangle"),
    ("smoothwall", "Smoothwall"),
    ("cloudflare gateway", "Cloudflare Gateway"),
    ("securly", "Securly"),
    ("lightspeed", "Lightspeed Systems"),
    ("contentkeeper", "ContentKeeper"),
    ("iboss", "iboss"),
];

/// The inspection product whose name appears in this issuer field, if any.
pub fn product_for(issuer_field: &str) -> Option<&'static str> {
    let lower = issuer_field.to_ascii_lowercase();
    PRODUCTS
        .iter()
        .find(|(needle, _)| word_match(&lower, needle))
        .map(|(_, product)| *product)
}

/// Substring match that does not fire inside a longer word ("eset" must
/// not match "reset").
fn word_match(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_products_and_ignores_lookalikes() {
        assert_eq!(product_for("mitmproxy"), Some("mitmproxy"));
        assert_eq!(product_for("Zscaler Root CA"), Some("Zscaler"));
        assert_eq!(product_for("ESET SSL Filter CA"), Some("ESET"));
        assert_eq!(product_for("Reset Corp"), None);
        assert_eq!(product_for("Let's Encrypt"), None);
    }
}
