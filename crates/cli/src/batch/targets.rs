//! The target list of `batch`: one target per line, as people keep them
//! (exports of inventories, `host:port` lists, URLs), into the same
//! [`model::Target`] the single-target commands build.

use std::net::IpAddr;

use model::Target;

/// Longest line kept; longer ones are refused (no host name or URL is
/// anywhere near it).
const MAX_LINE: usize = 2048;

/// One line of the list: `None` for a blank line or a comment, else the
/// target text (trimmed, an inline ` #` comment cut) or why it is refused.
pub fn parse_line(line: &str) -> Option<Result<String, String>> {
    let line = line.trim_start_matches('\u{feff}');
    let line = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => &line[..at],
        None => line,
    };
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    if line.len() > MAX_LINE {
        return Some(Err(format!("longer than {MAX_LINE} characters")));
    }
    Some(target(line).map(|_| line.to_string()))
}

/// The target a line names: `HOST[:PORT]`, a URL, or either followed by
/// `@IP` (connect to IP, present HOST: the list form of `--connect-to`).
/// STARTTLS follows the URL scheme or the well-known port, as `--starttls
/// auto` does.
pub fn target(spec: &str) -> Result<Target, String> {
    let (text, connect_to) = split_connect_to(spec)?;
    let (mut target, scheme) = crate::target::parse_target_with_scheme(text)?;
    target.connect_to = connect_to;
    target.transport.starttls = match scheme {
        crate::target::SchemeStartTls::Upgrade(protocol) => Some(protocol),
        crate::target::SchemeStartTls::Plain => None,
        crate::target::SchemeStartTls::NoScheme => model::StartTls::for_port(target.port),
    };
    Ok(target)
}

/// `host:port@192.0.2.7` → (`host:port`, the IP). An `@` that is part of a
/// URL's user information (`https://user@host/`) is left alone: only a
/// trailing IP address (IPv6 in brackets or bare) counts.
fn split_connect_to(spec: &str) -> Result<(&str, Option<IpAddr>), String> {
    let Some(at) = spec.rfind('@') else {
        return Ok((spec, None));
    };
    let ip_text = &spec[at + 1..];
    let bare = ip_text.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok((&spec[..at], Some(ip))),
        Err(_) if spec[..at].contains("://") && !spec[at..].contains('/') => Err(format!(
            "{ip_text:?} after @ is not an IP address (HOST:PORT@IP connects to IP)"
        )),
        Err(_) if !spec.contains("://") => Err(format!(
            "{ip_text:?} after @ is not an IP address (HOST:PORT@IP connects to IP)"
        )),
        Err(_) => Ok((spec, None)),
    }
}

/// The key of "the host" for `--per-host`: the IP the target connects to
/// when it names one, else the host name as written (lower case).
pub fn host_key(target: &Target) -> String {
    match target.connect_to {
        Some(ip) => ip.to_string(),
        None => target.host.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_forms() {
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line("   "), None);
        assert_eq!(parse_line("# inventory export"), None);
        assert_eq!(
            parse_line("example.com  # the shop"),
            Some(Ok("example.com".into()))
        );
        assert_eq!(
            parse_line("\u{feff}example.com:8443\r"),
            Some(Ok("example.com:8443".into()))
        );
        assert_eq!(
            parse_line("https://example.com/path"),
            Some(Ok("https://example.com/path".into()))
        );
        assert!(matches!(parse_line("example.com:99999"), Some(Err(_))));
        assert!(matches!(parse_line(&"a".repeat(3000)), Some(Err(_))));
    }

    #[test]
    fn at_ip_connects_there_and_presents_the_name() {
        let t = target("www.example.com:8443@127.0.0.2").unwrap();
        assert_eq!(t.host, "www.example.com");
        assert_eq!(t.port, 8443);
        assert_eq!(t.connect_to, Some("127.0.0.2".parse().unwrap()));
        assert_eq!(t.sni.as_deref(), Some("www.example.com"));
        let t = target("example.com@[::1]").unwrap();
        assert_eq!(t.connect_to, Some("::1".parse().unwrap()));
        assert!(target("example.com:443@not-an-ip").is_err());
        assert_eq!(
            host_key(&target("A.Example.com:1@10.0.0.1").unwrap()),
            "10.0.0.1"
        );
        assert_eq!(
            host_key(&target("A.Example.com:1").unwrap()),
            "a.example.com"
        );
    }

    #[test]
    fn starttls_follows_scheme_and_port() {
        assert_eq!(
            target("smtp://mail.example.com")
                .unwrap()
                .transport
                .starttls,
            Some(model::StartTls::Smtp)
        );
        assert_eq!(
            target("mail.example.com:587").unwrap().transport.starttls,
            Some(model::StartTls::Smtp)
        );
        assert_eq!(target("example.com").unwrap().transport.starttls, None);
    }
}
