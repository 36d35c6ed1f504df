//! The `tcp` step: whether a connection to the address opened.

use super::*;

/// The code of a connection that did not open: refused, or no answer
/// (timed out, unreachable, another connect error); `None` when it opened
/// or was never attempted. Diagnose's TCP step names its failures with it,
/// and so does a fleet result whose scan reached nothing
/// ([`crate::fleet::scan_facts`]).
pub(crate) fn failed_connection_code(outcome: &TcpOutcome) -> Option<Code> {
    match outcome {
        TcpOutcome::Refused { .. } => Some(Code::TcpRefused),
        TcpOutcome::Timeout { .. } | TcpOutcome::Unreachable { .. } | TcpOutcome::Error { .. } => {
            Some(Code::TcpTimeout)
        }
        TcpOutcome::Connected { .. } | TcpOutcome::NotAttempted => None,
    }
}

pub(super) fn tcp_step(walk: &mut Walk<'_>, main: Option<&ProbeRecord>) {
    let Some(main) = main else {
        walk.step(
            Step::Tcp,
            StepStatus::NotTested,
            "no connection was attempted",
        );
        return;
    };
    // With a proxy, the connection is to the proxy.
    let target = walk.obs.target.as_ref();
    let port = target.map(|t| t.first_hop().1).unwrap_or(0);
    let proxied = target.is_some_and(|t| t.transport.proxy.is_some());
    let addr = main
        .ip
        .map(|ip| std::net::SocketAddr::new(ip, port).to_string())
        .unwrap_or_else(|| format!("port {port}"));
    let addr = if proxied {
        format!("the proxy {addr}")
    } else {
        addr
    };
    match (&main.tcp, failed_connection_code(&main.tcp)) {
        (TcpOutcome::Connected { elapsed_ms }, _) => {
            walk.step(
                Step::Tcp,
                StepStatus::Ok,
                format!("connected to {addr} in {elapsed_ms} ms"),
            );
        }
        (TcpOutcome::Refused { message }, Some(code)) => {
            walk.step(
                Step::Tcp,
                StepStatus::Failed,
                format!("{addr} refused the connection"),
            );
            walk.diagnose(
                code,
                Severity::Error,
                Step::Tcp,
                format!("Nothing accepts connections on {addr}: the connection was refused before TLS could start."),
                vec![format!("connect: {}", sanitize(message))],
                vec![
                    format!("Server: make sure the TLS service is running and listening on port {port} (`ss -tlnp | grep :{port}`)."),
                    "Server: check that a firewall is not rejecting the port.".into(),
                    "Client: check the port number; HTTPS is 443 unless the site says otherwise.".into(),
                ],
            );
        }
        (TcpOutcome::Timeout { after_ms }, Some(code)) => {
            walk.step(
                Step::Tcp,
                StepStatus::Failed,
                format!("no answer from {addr} within {after_ms} ms"),
            );
            walk.diagnose(
                code,
                Severity::Error,
                Step::Tcp,
                format!("{addr} did not answer the connection attempt: packets are being dropped on the way or the host is down."),
                vec![format!("no SYN-ACK within {after_ms} ms")],
                vec![
                    "Server: check that the host is up and that a firewall or security group allows the port.".into(),
                    "Client: check the address (an old DNS record?) and whether a local firewall or proxy blocks outgoing connections.".into(),
                ],
            );
        }
        (TcpOutcome::Unreachable { message } | TcpOutcome::Error { message }, Some(code)) => {
            walk.step(
                Step::Tcp,
                StepStatus::Failed,
                format!("cannot reach {addr}: {}", sanitize(message)),
            );
            walk.diagnose(
                code,
                Severity::Error,
                Step::Tcp,
                format!("{addr} cannot be reached from here."),
                vec![format!("connect: {}", sanitize(message))],
                vec!["Client: check the network route (VPN, default gateway, IPv6 connectivity) to the server's address.".into()],
            );
        }
        (TcpOutcome::NotAttempted, _) | (_, None) => {
            walk.step(
                Step::Tcp,
                StepStatus::NotReached,
                "no address to connect to",
            );
        }
    }
}
