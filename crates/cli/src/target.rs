//! Turning what the user typed (`host`, `host:port`, `[v6]:port`, a URL) into
//! a [`model::Target`], and `--proxy` URLs into a [`model::Proxy`].

use model::{Proxy, ProxyKind, StartTls, Target};

/// What the URL scheme said about STARTTLS: `smtp://` upgrades, `smtps://`
/// and `https://` do not, no scheme leaves it to the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemeStartTls {
    NoScheme,
    Plain,
    Upgrade(StartTls),
}

/// Parses `HOST[:PORT]`, `[IPv6]:PORT`, a bare IPv6 literal, or a URL such as
/// `https://host:8443/path`. The port defaults to 443 (or the URL scheme's).
pub fn parse_target(input: &str) -> Result<Target, String> {
    parse_target_with_scheme(input).map(|(target, _)| target)
}

/// [`parse_target`], also saying what the URL scheme implies for STARTTLS.
pub fn parse_target_with_scheme(input: &str) -> Result<(Target, SchemeStartTls), String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("the target is empty".into());
    }
    let (rest, default_port, starttls) = match input.split_once("://") {
        Some((scheme, rest)) => {
            let (port, starttls) = scheme_port(scheme)?;
            (rest, port, starttls)
        }
        None => (input, 443, SchemeStartTls::NoScheme),
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
    Ok((
        Target::new(host.trim_end_matches('.').to_ascii_lowercase(), port),
        starttls,
    ))
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a port number (1-65535)")),
        Ok(port) => Ok(port),
    }
}

/// The scheme's default port and what it says about STARTTLS.
fn scheme_port(scheme: &str) -> Result<(u16, SchemeStartTls), String> {
    use SchemeStartTls::{Plain, Upgrade};
    Ok(match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => (443, Plain),
        "smtps" => (465, Plain),
        "imaps" => (993, Plain),
        "pop3s" => (995, Plain),
        "ldaps" => (636, Plain),
        "ftps" => (990, Plain),
        "smtp" | "submission" => (587, Upgrade(StartTls::Smtp)),
        "lmtp" => (24, Upgrade(StartTls::Lmtp)),
        "imap" => (143, Upgrade(StartTls::Imap)),
        "pop3" | "pop" => (110, Upgrade(StartTls::Pop3)),
        "ftp" => (21, Upgrade(StartTls::Ftp)),
        "xmpp" => (5222, Upgrade(StartTls::Xmpp)),
        "ldap" => (389, Upgrade(StartTls::Ldap)),
        "postgres" | "postgresql" => (5432, Upgrade(StartTls::Postgres)),
        "mysql" | "mariadb" => (3306, Upgrade(StartTls::Mysql)),
        "nntp" | "news" => (119, Upgrade(StartTls::Nntp)),
        "sieve" => (4190, Upgrade(StartTls::Sieve)),
        "irc" => (6667, Upgrade(StartTls::Irc)),
        other => {
            return Err(format!(
                "unsupported URL scheme {other}:// (use https://, a STARTTLS scheme such as smtp:// or postgres://, or HOST:PORT)"
            ))
        }
    })
}

/// `http://[USER:PASSWORD@]HOST[:PORT]` (CONNECT) or
/// `socks5://…`/`socks5h://…`; the port defaults to 1080, as in curl.
/// User and password may be percent-encoded (`%40` for `@`).
pub fn parse_proxy(input: &str) -> Result<Proxy, String> {
    let input = input.trim();
    let (scheme, rest) = input.split_once("://").ok_or_else(|| {
        format!("{input:?}: give the proxy as http://HOST:PORT or socks5://HOST:PORT")
    })?;
    let kind = match scheme.to_ascii_lowercase().as_str() {
        "http" => ProxyKind::HttpConnect,
        "socks5" | "socks5h" => ProxyKind::Socks5,
        "https" => return Err("HTTPS proxies (TLS to the proxy itself) are not supported yet; use http:// or socks5://".into()),
        other => return Err(format!("unsupported proxy scheme {other}:// (use http:// or socks5://)")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let (credentials, host_port) = match authority.rsplit_once('@') {
        Some((credentials, host_port)) => (Some(credentials), host_port),
        None => (None, authority),
    };
    let (username, password) = match credentials {
        Some(c) => {
            let (user, password) = match c.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (c, None),
            };
            (
                Some(percent_decode(user)?),
                password.map(percent_decode).transpose()?,
            )
        }
        None => (None, None),
    };
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("missing ']' in {host_port}"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(p)?,
                None => 1080,
            };
            (host.to_string(), port)
        }
        None => match host_port.split_once(':') {
            Some((host, p)) => (host.to_string(), parse_port(p)?),
            None => (host_port.to_string(), 1080),
        },
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("no usable proxy host in {input:?}"));
    }
    Ok(Proxy {
        kind,
        host: host.to_ascii_lowercase(),
        port,
        username,
        password,
    })
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "bad percent-encoding in the proxy's user or password near {:?}",
                        &text[i..]
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the proxy's user or password is not UTF-8".to_string())
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

    #[test]
    fn starttls_schemes_set_the_protocol_and_port() {
        let (t, scheme) = parse_target_with_scheme("smtp://mail.example").unwrap();
        assert_eq!(
            (t.port, scheme),
            (587, SchemeStartTls::Upgrade(StartTls::Smtp))
        );
        let (t, scheme) = parse_target_with_scheme("postgresql://db:6432/app").unwrap();
        assert_eq!(
            (t.port, scheme),
            (6432, SchemeStartTls::Upgrade(StartTls::Postgres))
        );
        let (_, scheme) = parse_target_with_scheme("imaps://mail.example").unwrap();
        assert_eq!(scheme, SchemeStartTls::Plain);
        let (_, scheme) = parse_target_with_scheme("mail.example:25").unwrap();
        assert_eq!(scheme, SchemeStartTls::NoScheme);
    }

    #[test]
    fn proxies_parse_with_credentials_and_default_port() {
        let p = parse_proxy("http://alice:p%40ss@proxy.corp:3128").unwrap();
        assert_eq!(p.kind, ProxyKind::HttpConnect);
        assert_eq!((p.host.as_str(), p.port), ("proxy.corp", 3128));
        assert_eq!(p.username.as_deref(), Some("alice"));
        assert_eq!(p.password.as_deref(), Some("p@ss"));
        let p = parse_proxy("socks5h://[::1]").unwrap();
        assert_eq!(
            (p.kind, p.host.as_str(), p.port),
            (ProxyKind::Socks5, "::1", 1080)
        );
        let p = parse_proxy("socks5://127.0.0.1:9050").unwrap();
        assert_eq!(p.port, 9050);
        assert!(parse_proxy("proxy.corp:3128").is_err());
        assert!(parse_proxy("ftp://proxy").is_err());
        assert!(parse_proxy("http://a:%zz@proxy:1").is_err());
    }
}
