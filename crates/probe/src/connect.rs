//! Name resolution and TCP connection, each under a deadline.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use model::{DnsObservation, Target, TcpOutcome};
use tokio::net::TcpStream;

use crate::elapsed_ms;

/// Resolves the first hop: the target's host, unless it is an IP literal or
/// `--connect-to` gave the address, or the proxy's host (the proxy resolves
/// the target's). With `resolver`, asks that DNS server directly (like
/// `dig @server`) instead of the system's resolver.
pub async fn resolve(
    target: &Target,
    timeout: Duration,
    resolver: Option<SocketAddr>,
) -> DnsObservation {
    let (host, port) = target.first_hop();
    let connect_to = match target.transport.proxy {
        Some(_) => None,
        None => target.connect_to,
    };
    if let Some(ip) = connect_to {
        return DnsObservation {
            skipped: true,
            addresses: vec![ip],
            ..Default::default()
        };
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return DnsObservation {
            skipped: true,
            addresses: vec![ip],
            ..Default::default()
        };
    }
    let started = Instant::now();
    if is_special_invalid(host) {
        return DnsObservation {
            skipped: false,
            addresses: Vec::new(),
            error: Some(
                "names under .invalid never resolve (RFC 6761 §6.4); nothing was asked".into(),
            ),
            elapsed_ms: 0,
            resolver: None,
        };
    }
    if let Some(server) = resolver {
        let (addresses, error) = ask_server(host, server, timeout).await;
        return DnsObservation {
            skipped: false,
            addresses,
            error,
            elapsed_ms: elapsed_ms(started),
            resolver: Some(server.to_string()),
        };
    }
    let lookup = tokio::net::lookup_host((host, port));
    let (addresses, error) = match tokio::time::timeout(timeout, lookup).await {
        Ok(Ok(addrs)) => {
            let mut ips: Vec<IpAddr> = Vec::new();
            for addr in addrs {
                if !ips.contains(&addr.ip()) {
                    ips.push(addr.ip());
                }
            }
            (ips, None)
        }
        Ok(Err(e)) => (Vec::new(), Some(e.to_string())),
        Err(_) => (
            Vec::new(),
            Some(format!("no answer within {} ms", timeout.as_millis())),
        ),
    };
    let error = match (&error, addresses.is_empty()) {
        (None, true) => Some("the name has no addresses".to_string()),
        _ => error,
    };
    DnsObservation {
        skipped: false,
        addresses,
        error,
        elapsed_ms: elapsed_ms(started),
        resolver: None,
    }
}

/// RFC 6761 §6.4: resolution APIs should answer names under `invalid.`
/// negatively without asking anyone. Certificates and tests use such names;
/// they must never leak into a real DNS query.
pub(crate) fn is_special_invalid(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "invalid" || host.ends_with(".invalid")
}

/// A/AAAA look-up at one DNS server (UDP, then TCP), with hickory.
async fn ask_server(
    host: &str,
    server: SocketAddr,
    timeout: Duration,
) -> (Vec<IpAddr>, Option<String>) {
    use hickory_resolver::config::{NameServerConfig, ResolverConfig};
    use hickory_resolver::net::runtime::TokioRuntimeProvider;

    let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
    for connection in &mut name_server.connections {
        connection.port = server.port();
    }
    let config = ResolverConfig::from_parts(None, Vec::new(), vec![name_server]);
    let mut builder =
        hickory_resolver::Resolver::builder_with_config(config, TokioRuntimeProvider::default());
    builder.options_mut().timeout = timeout;
    builder.options_mut().attempts = 1;
    let resolver = match builder.build() {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(format!("cannot set up the resolver: {e}"))),
    };
    // The name is absolute: no search domains are appended.
    let name = format!("{}.", host.trim_end_matches('.'));
    match tokio::time::timeout(timeout + timeout, resolver.lookup_ip(name.as_str())).await {
        Ok(Ok(answer)) => {
            let ips: Vec<IpAddr> = answer.iter().collect();
            let error = ips
                .is_empty()
                .then(|| "the name has no addresses".to_string());
            (ips, error)
        }
        Ok(Err(e)) => (Vec::new(), Some(e.to_string())),
        Err(_) => (
            Vec::new(),
            Some(format!(
                "{server} did not answer within {} ms",
                timeout.as_millis()
            )),
        ),
    }
}

/// Connects to the first address that answers. Returns the address tried
/// last, the outcome, and the stream when connected.
pub(crate) async fn connect(
    addresses: &[IpAddr],
    port: u16,
    timeout: Duration,
) -> (Option<IpAddr>, TcpOutcome, Option<TcpStream>) {
    let mut last = (None, TcpOutcome::NotAttempted, None);
    for &ip in addresses {
        let started = Instant::now();
        let attempt = tokio::time::timeout(timeout, TcpStream::connect(SocketAddr::new(ip, port)));
        let outcome = match attempt.await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return (
                    Some(ip),
                    TcpOutcome::Connected {
                        elapsed_ms: elapsed_ms(started),
                    },
                    Some(stream),
                );
            }
            Ok(Err(e)) => classify(&e),
            Err(_) => TcpOutcome::Timeout {
                after_ms: elapsed_ms(started),
            },
        };
        last = (Some(ip), outcome, None);
    }
    last
}

fn classify(e: &io::Error) -> TcpOutcome {
    let message = e.to_string();
    match e.kind() {
        io::ErrorKind::ConnectionRefused => TcpOutcome::Refused { message },
        io::ErrorKind::TimedOut => TcpOutcome::Timeout { after_ms: 0 },
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            TcpOutcome::Unreachable { message }
        }
        _ => TcpOutcome::Error { message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_names_are_never_looked_up() {
        assert!(is_special_invalid("ca.example.invalid"));
        assert!(is_special_invalid("INVALID."));
        assert!(!is_special_invalid("invalid.example.com"));
        let obs = resolve(&Target::new("x.invalid", 443), Duration::from_secs(1), None).await;
        assert!(obs.addresses.is_empty());
        assert!(obs.error.unwrap().contains("RFC 6761"));
    }
}
