//! CAA look-ups (RFC 8659 §3): the relevant record set of a name is the
//! first non-empty one met climbing from the name to its parents (the
//! top-level domain excluded). Each query is recorded as answered; a query
//! that fails stops the climb (nothing above it is known), and `analysis`
//! says so instead of reading it as "no CAA".

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::Resolver;
use model::{CaaLookup, CaaObservation, CaaRecord};

/// The most names climbed (a.b.c.d.example.com has five above the TLD).
const MAX_LABELS: usize = 10;
/// The most records kept per name, and bytes per value.
const MAX_RECORDS: usize = 32;
const MAX_VALUE: usize = 255;

/// Looks up the CAA records governing `name`, at `resolver` when given.
pub(crate) async fn lookup(
    name: &str,
    resolver: Option<SocketAddr>,
    timeout: Duration,
) -> CaaObservation {
    let mut observation = CaaObservation {
        resolver: resolver.map(|r| r.to_string()),
        ..Default::default()
    };
    // Special-use names (RFC 6761, RFC 8375, ICANN's .internal) have no
    // public CAA; without a resolver of the user's choice, nobody is asked.
    if resolver.is_none() && special_use(name) {
        observation.skipped = Some(format!(
            "{name} is a special-use name: no public CA issues for it"
        ));
        return observation;
    }
    let client = match build(resolver, timeout) {
        Ok(client) => client,
        Err(error) => {
            observation.lookups.push(CaaLookup {
                name: name.to_string(),
                records: Vec::new(),
                error: Some(error),
            });
            return observation;
        }
    };
    for candidate in climb(name) {
        let absolute = format!("{candidate}.");
        let query = client.lookup(absolute.as_str(), RecordType::CAA);
        let mut lookup = CaaLookup {
            name: candidate.clone(),
            ..Default::default()
        };
        match tokio::time::timeout(timeout + timeout, query).await {
            Ok(Ok(answer)) => {
                for record in answer.answers().iter().take(MAX_RECORDS) {
                    if let RData::CAA(caa) = &record.data {
                        let value: Vec<u8> = caa.value.iter().take(MAX_VALUE).copied().collect();
                        lookup.records.push(CaaRecord {
                            flags: caa.flags(),
                            tag: caa.tag.chars().take(64).collect(),
                            value: String::from_utf8_lossy(&value).into_owned(),
                        });
                    }
                }
            }
            Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => {}
            Ok(Err(e)) => lookup.error = Some(e.to_string()),
            Err(_) => {
                lookup.error = Some(format!(
                    "no answer within {} ms",
                    (timeout + timeout).as_millis()
                ))
            }
        }
        let stop = lookup.error.is_some() || !lookup.records.is_empty();
        observation.lookups.push(lookup);
        if stop {
            break;
        }
    }
    observation
}

fn special_use(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let tld = name.rsplit('.').next().unwrap_or("");
    matches!(
        tld,
        "test" | "invalid" | "localhost" | "example" | "local" | "internal" | "lan" | "arpa"
    ) || name.ends_with(".home.arpa")
}

/// `a.b.example.com` → `a.b.example.com`, `b.example.com`, `example.com`.
fn climb(name: &str) -> Vec<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').filter(|l| !l.is_empty()).collect();
    (0..labels.len().saturating_sub(1))
        .take(MAX_LABELS)
        .map(|i| labels[i..].join("."))
        .collect()
}

fn build(
    resolver: Option<SocketAddr>,
    timeout: Duration,
) -> Result<Resolver<TokioRuntimeProvider>, String> {
    let mut builder = match resolver {
        Some(server) => {
            let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
            for connection in &mut name_server.connections {
                connection.port = server.port();
            }
            let config = ResolverConfig::from_parts(None, Vec::new(), vec![name_server]);
            Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => Resolver::builder_tokio()
            .map_err(|e| format!("cannot read the system's resolver configuration: {e}"))?,
    };
    builder.options_mut().timeout = timeout;
    builder.options_mut().attempts = 1;
    builder
        .build()
        .map_err(|e| format!("cannot set up the resolver: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn climbs_to_the_registered_domain_not_the_tld() {
        assert_eq!(
            climb("www.Example.com."),
            vec!["www.example.com".to_string(), "example.com".into()]
        );
        assert!(climb("localhost").is_empty());
    }
}
