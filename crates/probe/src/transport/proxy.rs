//! Proxies between tlsdoctor and the target: HTTP CONNECT (RFC 9110
//! §9.3.6) and SOCKS5 (RFC 1928, username/password per RFC 1929). The
//! target's name goes to the proxy, which resolves it, as a client behind a
//! corporate proxy would have it.

use std::time::Duration;

use base64::Engine as _;
use model::{DialogueOutcome, Proxy, Stage, StageObservation, Target};
use tokio::io::{AsyncRead, AsyncWrite};

use super::dialogue::{Dialogue, Stop};

/// SOCKS5's REP value (and this module's stand-in for a refused
/// authentication, see [`model::DialogueOutcome::Declined`]).
const SOCKS_AUTH_REFUSED: u16 = 255;

/// Asks the proxy for a tunnel to the target. Also returns what the
/// target sent through the tunnel in the same read as the proxy's answer.
pub(crate) async fn tunnel<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    target: &Target,
    timeout: Duration,
) -> (StageObservation, Vec<u8>) {
    let host = destination_host(target);
    match proxy.kind {
        model::ProxyKind::HttpConnect => {
            let mut d = Dialogue::new(stream, Stage::Proxy, timeout);
            let result = connect(&mut d, proxy, &host, target.port).await;
            d.finish_carrying(result.unwrap_or_else(|stop| stop))
        }
        model::ProxyKind::Socks5 => {
            let mut d = Dialogue::binary(stream, Stage::Proxy, timeout);
            let result = socks5(&mut d, proxy, &host, target.port).await;
            d.finish_carrying(result.unwrap_or_else(|stop| stop))
        }
    }
}

/// The name (or address, with `--connect-to`) the proxy is asked to reach.
fn destination_host(target: &Target) -> String {
    match target.connect_to {
        Some(ip) => ip.to_string(),
        None => target.host.clone(),
    }
}

/// `CONNECT host:port`; any 2xx opens the tunnel.
async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<DialogueOutcome, Stop> {
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    let mut shown = format!("CONNECT {authority} HTTP/1.1");
    if let Some(user) = &proxy.username {
        let password = proxy.password.as_deref().unwrap_or_default();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        shown.push_str(&format!(" (Proxy-Authorization: Basic, user {user})"));
    }
    request.push_str("User-Agent: tlsdoctor\r\n\r\n");
    d.send(request.as_bytes(), &shown).await?;
    let status = d.line("the proxy's answer to CONNECT").await?;
    let code = status
        .strip_prefix("HTTP/")
        .and_then(|rest| rest.split_ascii_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok());
    let Some(code) = code else {
        return Err(d.unexpected(&status));
    };
    // The header block; the lines worth keeping are recorded by `line`.
    loop {
        let header = d.line("the end of the proxy's answer").await?;
        if header.is_empty() {
            break;
        }
    }
    if (200..300).contains(&code) {
        return Ok(DialogueOutcome::Ready { advertised: true });
    }
    Ok(DialogueOutcome::Declined {
        reply: status,
        code: Some(code),
    })
}

/// RFC 1928 §3–§6: method negotiation, optional RFC 1929 authentication,
/// then CONNECT with the destination as a domain name (ATYP 3) or address.
async fn socks5<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<DialogueOutcome, Stop> {
    let credentials = proxy.username.as_ref().map(|user| {
        (
            user.as_bytes(),
            proxy.password.as_deref().unwrap_or_default().as_bytes(),
        )
    });
    let greeting: &[u8] = if credentials.is_some() {
        &[5, 2, 0, 2]
    } else {
        &[5, 1, 0]
    };
    let shown = if credentials.is_some() {
        "SOCKS5 methods: none, username/password"
    } else {
        "SOCKS5 methods: none"
    };
    d.send(greeting, shown).await?;
    let choice = d.exact(2, "the proxy's method choice").await?;
    if choice[0] != 5 {
        let mut seen = choice.clone();
        seen.extend_from_slice(d.pending());
        let text = super::dialogue::printable(&seen);
        return Err(d.unexpected(&format!("not a SOCKS5 answer: {text}")));
    }
    match (choice[1], credentials) {
        (0, _) => d.note_server("SOCKS5 method: none"),
        (2, Some((user, password))) => {
            d.note_server("SOCKS5 method: username/password");
            if user.len() > 255 || password.len() > 255 {
                return Err(DialogueOutcome::Declined {
                    reply: "the user name or password is longer than SOCKS5 allows (255 bytes)"
                        .into(),
                    code: Some(SOCKS_AUTH_REFUSED),
                });
            }
            let mut auth = vec![1, user.len() as u8];
            auth.extend_from_slice(user);
            auth.push(password.len() as u8);
            auth.extend_from_slice(password);
            let shown = format!(
                "SOCKS5 username/password (user {})",
                String::from_utf8_lossy(user)
            );
            d.send(&auth, &shown).await?;
            let status = d.exact(2, "the proxy's authentication answer").await?;
            if status[1] != 0 {
                let reply = format!("SOCKS5 authentication failed (status {:#04x})", status[1]);
                d.note_server(&reply);
                return Err(DialogueOutcome::Declined {
                    reply,
                    code: Some(SOCKS_AUTH_REFUSED),
                });
            }
            d.note_server("SOCKS5 authentication succeeded");
        }
        (method, _) => {
            let reply = if method == 0xff {
                "SOCKS5: no acceptable authentication method (the proxy wants credentials tlsdoctor did not offer)".to_string()
            } else {
                format!("SOCKS5: the proxy chose method {method:#04x}, which was not offered")
            };
            d.note_server(&reply);
            return Err(DialogueOutcome::Declined {
                reply,
                code: Some(SOCKS_AUTH_REFUSED),
            });
        }
    }
    let mut request = vec![5, 1, 0];
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            request.push(1);
            request.extend_from_slice(&ip.octets());
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            request.push(4);
            request.extend_from_slice(&ip.octets());
        }
        Err(_) if host.len() <= 255 => {
            request.push(3);
            request.push(host.len() as u8);
            request.extend_from_slice(host.as_bytes());
        }
        Err(_) => {
            return Err(DialogueOutcome::Declined {
                reply: "the host name is longer than SOCKS5 allows (255 bytes)".into(),
                code: None,
            })
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    d.send(&request, &format!("SOCKS5 CONNECT {host}:{port}"))
        .await?;
    let head = d.exact(4, "the proxy's answer to CONNECT").await?;
    let reply = format!(
        "SOCKS5 reply {:#04x} ({})",
        head[1],
        socks_reply_name(head[1])
    );
    d.note_server(&reply);
    if head[0] != 5 {
        return Err(d.unexpected(&reply));
    }
    if head[1] != 0 {
        return Err(DialogueOutcome::Declined {
            reply,
            code: Some(u16::from(head[1])),
        });
    }
    // The bound address: its length depends on its type.
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => usize::from(d.exact(1, "the bound address").await?[0]) + 2,
        _ => return Err(d.unexpected(&reply)),
    };
    d.exact(rest, "the bound address").await?;
    Ok(DialogueOutcome::Ready { advertised: true })
}

/// RFC 1928 §6 reply field names.
fn socks_reply_name(rep: u8) -> &'static str {
    match rep {
        0 => "succeeded",
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned",
    }
}
