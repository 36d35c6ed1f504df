//! The I/O shell: runs [`ProbeRequest`]s against a target and records what the
//! network showed into [`model::Observations`].
//!
//! This crate never judges. A certificate that expired last year, an alert, a
//! reset: all are recorded as seen and left to `analysis`. Every network step
//! has a deadline and every read is bounded, because the peer may be hostile.
#![forbid(unsafe_code)]

mod caa;
pub mod capture;
mod chunked;
mod connect;
mod fetch;
mod finish;
#[doc(hidden)]
pub mod fuzzing;
mod handshake;
mod hello;
mod http;
mod http2;
mod injection;
mod outbound;
mod renegotiation;
mod tee;
mod transport;
mod vulns;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use model::{DnsObservation, ProbeKind, ProbeRecord, ProbeRequest, Target, TcpOutcome, VulnProbe};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub use connect::resolve;

/// A client certificate and its key, to present when a server asks.
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// How probes behave.
#[derive(Clone)]
pub struct ProbeOptions {
    /// Deadline for each network step (connect, handshake, reading a reply).
    pub timeout: Duration,
    /// At most this many connections to the target at once.
    pub max_connections: usize,
    pub client_identity: Option<Arc<ClientIdentity>>,
    /// Ask this DNS server instead of the system resolver.
    pub resolver: Option<std::net::SocketAddr>,
    /// Let requests that are not to the target (AIA caIssuers) go to
    /// loopback, private, link-local and other non-public addresses even when
    /// the target is not in that class (`--allow-private-fetch`).
    pub allow_private_fetch: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_connections: 8,
            client_identity: None,
            resolver: None,
            allow_private_fetch: false,
        }
    }
}

/// Runs the requests (at most `max_connections` at a time) and returns one
/// record per request, in request order.
pub async fn run(
    target: &Target,
    dns: &DnsObservation,
    requests: Vec<ProbeRequest>,
    options: &ProbeOptions,
) -> Vec<ProbeRecord> {
    let limit = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let mut tasks = Vec::with_capacity(requests.len());
    for request in requests {
        let target = target.clone();
        let addresses = dns.addresses.clone();
        let options = options.clone();
        let limit = limit.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            run_one(&target, &addresses, request, &options).await
        }));
    }
    let mut records = Vec::with_capacity(tasks.len());
    for task in tasks {
        // A probe task never panics by design; if one did, the request is
        // lost and the analysis sees fewer observations, never a crash.
        if let Ok(record) = task.await {
            records.push(record);
        }
    }
    records
}

/// One connection.
async fn run_one(
    target: &Target,
    addresses: &[IpAddr],
    request: ProbeRequest,
    options: &ProbeOptions,
) -> ProbeRecord {
    let started = Instant::now();
    // Not a connection to the target: the CA's web server named in a
    // certificate (its issuer, its OCSP responder, its CRL).
    let fetched = match &request.kind {
        ProbeKind::FetchIssuer { url } => {
            Some(Box::pin(fetch::issuer(url, addresses, options)).await)
        }
        ProbeKind::FetchOcsp { url, request } => Some(
            Box::pin(fetch::fetch(
                url,
                fetch::Ask::Ocsp { request },
                addresses,
                options,
            ))
            .await,
        ),
        ProbeKind::FetchCrl { url } => {
            let ask = fetch::Ask::Get {
                max_body: fetch::MAX_CRL,
            };
            Some(Box::pin(fetch::fetch(url, ask, addresses, options)).await)
        }
        _ => None,
    };
    if let ProbeKind::LookupCaa { name } = &request.kind {
        let caa = Box::pin(caa::lookup(name, options.resolver, options.timeout)).await;
        return ProbeRecord {
            request,
            ip: None,
            tcp: TcpOutcome::NotAttempted,
            transport: None,
            flight: None,
            handshake: None,
            fetch: None,
            caa: Some(caa),
            elapsed_ms: elapsed_ms(started),
        };
    }
    if let Some((ip, tcp, fetched)) = fetched {
        return ProbeRecord {
            request,
            ip,
            tcp,
            transport: None,
            flight: None,
            handshake: None,
            fetch: Some(fetched),
            caa: None,
            elapsed_ms: elapsed_ms(started),
        };
    }
    // The STARTTLS injection probe changes the dialogue itself.
    let upgrade = match &request.kind {
        ProbeKind::Vulnerability(VulnProbe::StartTlsInjection { command, .. })
            if injection::injectable(command) =>
        {
            transport::Upgrade {
                inject: Some(command),
            }
        }
        _ => transport::Upgrade::default(),
    };
    let opened = Box::pin(transport::open_with(target, addresses, options, upgrade)).await;
    let stream = opened.stream;
    let past_go_ahead = opened.past_go_ahead;
    let mut record = ProbeRecord {
        request,
        ip: opened.ip,
        tcp: opened.tcp,
        transport: opened.transport,
        flight: None,
        handshake: None,
        fetch: None,
        caa: None,
        elapsed_ms: 0,
    };
    if let Some(stream) = stream {
        match &record.request.kind {
            ProbeKind::Hello(spec) => {
                record.flight =
                    Some(Box::pin(hello::exchange(stream, spec, options.timeout)).await);
            }
            ProbeKind::Ssl2 { cipher_specs } => {
                record.flight = Some(
                    Box::pin(hello::exchange_ssl2(stream, cipher_specs, options.timeout)).await,
                );
            }
            // Handled before connecting to the target.
            ProbeKind::FetchIssuer { .. }
            | ProbeKind::FetchOcsp { .. }
            | ProbeKind::FetchCrl { .. }
            | ProbeKind::LookupCaa { .. } => {}
            ProbeKind::Vulnerability(probe) => {
                record.flight = Some(
                    Box::pin(vulns::run(
                        stream,
                        &past_go_ahead,
                        target,
                        addresses,
                        probe,
                        options,
                    ))
                    .await,
                );
            }
            ProbeKind::Finish(spec) => {
                let (flight, handshake) =
                    Box::pin(finish::finish(stream, spec, options.timeout)).await;
                record.flight = flight;
                record.handshake = Some(handshake);
            }
            ProbeKind::Handshake(spec) if spec.resume.is_some() => {
                let (flight, handshake) = Box::pin(handshake::resumption(
                    stream, target, addresses, spec, options,
                ))
                .await;
                record.flight = flight;
                record.handshake = Some(handshake);
            }
            ProbeKind::Handshake(spec) => {
                let (flight, handshake) =
                    Box::pin(handshake::handshake(stream, target, spec, options)).await;
                record.flight = flight;
                record.handshake = Some(handshake);
            }
        }
    } else if record.ip.is_none() && matches!(record.tcp, TcpOutcome::Connected { .. }) {
        record.tcp = TcpOutcome::NotAttempted;
    }
    record.elapsed_ms = elapsed_ms(started);
    record
}

fn elapsed_ms(since: Instant) -> u64 {
    since.elapsed().as_millis().try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
mod task_size {
    use super::*;

    /// Every probe is a task, and a fleet run keeps hundreds waiting on
    /// their servers: the task's own size is memory per open connection.
    /// Each probe kind's work is boxed, so a task holds only the kind it runs.
    #[test]
    fn a_probe_task_stays_small() {
        let target = Target::new("localhost", 443);
        let options = ProbeOptions::default();
        let request = ProbeRequest {
            purpose: model::Purpose::Handshake,
            kind: ProbeKind::Ssl2 {
                cipher_specs: Vec::new(),
            },
        };
        let task = run_one(&target, &[], request, &options);
        let size = size_of_val(&task);
        eprintln!("run_one future: {size} bytes");
        assert!(size <= 4096, "run_one's future is {size} bytes");
    }
}
