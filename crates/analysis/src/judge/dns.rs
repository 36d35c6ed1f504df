//! The `dns` step: how the name resolved (or why it did not).

use super::*;

pub(super) fn dns_step(walk: &mut Walk<'_>) {
    // With a proxy, the name looked up is the proxy's (it resolves the
    // target's own).
    let host = match walk.obs.target.as_ref() {
        Some(t) if t.transport.proxy.is_some() => format!("the proxy {}", t.first_hop().0),
        Some(t) => t.host.clone(),
        None => String::new(),
    };
    let Some(dns) = walk.obs.dns.clone() else {
        walk.step(Step::Dns, StepStatus::NotTested, "no look-up was recorded");
        return;
    };
    if dns.skipped {
        let ip = dns
            .addresses
            .first()
            .map(IpAddr::to_string)
            .unwrap_or_default();
        walk.step(
            Step::Dns,
            StepStatus::Ok,
            format!("no look-up needed: connecting to {ip}"),
        );
    } else if let Some(error) = &dns.error {
        let error = sanitize(error);
        walk.step(
            Step::Dns,
            StepStatus::Failed,
            format!("{host} could not be resolved: {error}"),
        );
        walk.diagnose(
            Code::DnsFailed,
            Severity::Error,
            Step::Dns,
            format!("The name {host} does not resolve to an address, so no connection can start."),
            vec![format!("resolver answer: {error}"), format!("after {} ms", dns.elapsed_ms)],
            vec![
                format!("Check the spelling of {host}."),
                format!("Check the DNS records: `dig {host} A` and `dig {host} AAAA` should list the server's addresses."),
                "If the name is new or changed, wait for the old records' TTL, or test with --connect-to IP.".into(),
                "If other names fail too, the client's resolver (/etc/resolv.conf, VPN, corporate DNS) is the problem.".into(),
            ],
        );
    } else {
        let list: Vec<String> = dns.addresses.iter().map(IpAddr::to_string).collect();
        walk.step(
            Step::Dns,
            StepStatus::Ok,
            format!("{host} → {} ({} ms)", list.join(", "), dns.elapsed_ms),
        );
    }
}
