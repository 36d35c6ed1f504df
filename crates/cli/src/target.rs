//! Turning what the user typed (`host`, `host:port`, `[v6]:port`, a URL) into
//! a [`model::Target`].

use model::Target;

/// Parses `HOST[:PORT]`, `[IPv6]:PORT`, a bare IPv6 literal, or a URL such as
/// `https://host:8443/path`. The port defaults to 443 (or the URL scheme's).
pub fn parse_target(input: &str) -> Result<Target, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("the target is empty".into());
    }
    let (rest, default_port) = match input.split_once("://") {
        Some((scheme, rest)) => (rest, scheme_port(scheme)?),
        None => (input, 443),
    };
    // Drop path, query and user info of a URL.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let (host, after) = stripped
            .split_once(']')
            .ok_or_else(|| format!("missing ']' in {authority}"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if after.is_empty() => default_port,
            None => return Err(format!("unexpected text after ']' in {authority}")),
        };
        (host.to_string(), port)
    } else if authority.matches(':').count() > 1 {
        // A bare IPv6 literal without brackets has no port.
        (authority.to_string(), default_port)
    } else if let Some((host, port)) = authority.split_once(':') {
        (host.to_string(), parse_port(port)?)
    } else {
        (authority.to_string(), default_port)
    };
    if host.is_empty() {
        return Err(format!("no host name in {input}"));
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the host name {host:?} contains spaces or control characters"
        ));
    }
    Ok(Target::new(
        host.trim_end_matches('.').to_ascii_lowercase(),
        port,
    ))
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a port number (1-65535)")),
        Ok(port) => Ok(port),
    }
}

fn scheme_port(scheme: &str) -> Result<u16, String> {
    Ok(match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => 443,
        "smtps" => 465,
        "imaps" => 993,
        "pop3s" => 995,
        "ldaps" => 636,
        "ftps" => 990,
        other => {
            return Err(format!(
                "unsupported URL scheme {other}:// (use https:// or HOST:PORT)"
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_users_type() {
        let t = parse_target("example.com").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.sni.as_deref()),
            ("example.com", 443, Some("example.com"))
        );
        let t = parse_target("https://Example.com:8443/path?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 8443));
        let t = parse_target("[::1]:4433").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.sni.as_deref()),
            ("::1", 4433, None)
        );
        let t = parse_target("::1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 443));
        let t = parse_target("127.0.0.1:443").unwrap();
        assert_eq!(t.sni, None);
        assert!(parse_target("host:0").is_err());
        assert!(parse_target("host:http").is_err());
        assert!(parse_target("gopher://x").is_err());
    }
}
