//! The transport seam: every connection to the target is opened here, once,
//! and handed to whichever probe needs it (raw hellos, rustls handshakes,
//! tlsdoctor's own handshake engine, vulnerability probes). TCP to the
//! first hop (the proxy, or the target), then the proxy's tunnel, then the
//! STARTTLS dialogue; the stream that comes out carries TLS from its next
//! byte. Nothing else in `probe` connects to the target.

mod binary;
mod dialogue;
pub(crate) mod proxy;
pub(crate) mod starttls;

use std::net::IpAddr;

use model::{Target, TcpOutcome, TransportObservation};
use tokio::net::TcpStream;

use crate::ProbeOptions;

pub(crate) use dialogue::printable;
pub(crate) use starttls::after_tls;

/// A connection through the target's transport.
pub(crate) struct Opened {
    /// The address connected to (the proxy's, with a proxy).
    pub(crate) ip: Option<IpAddr>,
    pub(crate) tcp: TcpOutcome,
    /// The dialogues, when the transport is not plain TCP.
    pub(crate) transport: Option<TransportObservation>,
    /// The stream, when TCP connected and every dialogue ended ready.
    pub(crate) stream: Option<TcpStream>,
    /// Bytes the STARTTLS dialogue read past the server's go-ahead, before
    /// any ClientHello (a patched server sends none).
    pub(crate) past_go_ahead: Vec<u8>,
}

/// How the STARTTLS dialogue of one connection departs from the usual.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Upgrade<'a> {
    /// Append this command line to the upgrade command, in the same write
    /// (the STARTTLS injection probe). Line-based protocols only.
    pub(crate) inject: Option<&'a str>,
}

/// Opens a connection to `target` (whose first hop resolved to `addresses`)
/// and runs its transport dialogues. Each dialogue has its own deadline
/// (`options.timeout`).
pub(crate) async fn open(target: &Target, addresses: &[IpAddr], options: &ProbeOptions) -> Opened {
    open_with(target, addresses, options, Upgrade::default()).await
}

/// [`open`], with a STARTTLS dialogue changed as `upgrade` says.
pub(crate) async fn open_with(
    target: &Target,
    addresses: &[IpAddr],
    options: &ProbeOptions,
    upgrade: Upgrade<'_>,
) -> Opened {
    let (_, port) = target.first_hop();
    let (ip, tcp, stream) = crate::connect::connect(addresses, port, options.timeout).await;
    let Some(mut stream) = stream else {
        return Opened {
            ip,
            tcp,
            transport: None,
            stream: None,
            past_go_ahead: Vec::new(),
        };
    };
    if target.transport.is_plain() {
        return Opened {
            ip,
            tcp,
            transport: None,
            stream: Some(stream),
            past_go_ahead: Vec::new(),
        };
    }
    let mut observation = TransportObservation::default();
    let mut carried = Vec::new();
    if let Some(proxy) = &target.transport.proxy {
        let (stage, rest) = proxy::tunnel(&mut stream, proxy, target, options.timeout).await;
        observation.stages.push(stage);
        carried = rest;
    }
    let mut past_go_ahead = Vec::new();
    if let (Some(protocol), true) = (target.transport.starttls, observation.ready()) {
        let (stage, past) = starttls::upgrade(
            &mut stream,
            protocol,
            target,
            options.timeout,
            carried,
            upgrade.inject,
        )
        .await;
        observation.stages.push(stage);
        past_go_ahead = past;
    }
    let ready = observation.ready();
    Opened {
        ip,
        tcp,
        transport: Some(observation),
        stream: ready.then_some(stream),
        past_go_ahead,
    }
}
