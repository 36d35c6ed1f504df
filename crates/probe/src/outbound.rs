//! The outbound-request policy: every request tlsdoctor sends somewhere other
//! than the target (AIA caIssuers today; OCSP and CRL later) asks here first.
//!
//! A certificate is written by whoever runs the server, so a URL in it may
//! name a cloud metadata service, a loopback admin port or an intranet host.
//! Fetching it blindly turns tlsdoctor into a port scanner and, behind a web
//! front end, a server-side request forgery. So: resolve the host once,
//! refuse every address in a non-public class (loopback, private, link-local,
//! unique-local, shared/CGNAT, unspecified, multicast, broadcast, reserved,
//! and IPv6 forms that embed such an IPv4 address) unless the target itself
//! is in that class or the user allowed it (`--allow-private-fetch`), and
//! connect to the checked addresses only, never re-resolving (no DNS
//! rebinding between check and use).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A class of addresses that are not the public Internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddressClass {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16 (and deprecated fec0::/10).
    Private,
    /// 169.254/16 (the cloud metadata service is 169.254.169.254), fe80::/10.
    LinkLocal,
    /// fc00::/7 (RFC 4193).
    UniqueLocal,
    /// 100.64/10, carrier-grade NAT (RFC 6598).
    Shared,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 240/4, 192.0.0.0/24, 198.18/15: not routable on the Internet.
    Reserved,
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loopback => "loopback",
            Self::Private => "private (RFC 1918)",
            Self::LinkLocal => "link-local",
            Self::UniqueLocal => "unique-local (fc00::/7)",
            Self::Shared => "carrier-grade NAT (100.64.0.0/10)",
            Self::Unspecified => "unspecified",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Reserved => "reserved",
        })
    }
}

/// The class of `ip`; `None` for a public address.
pub(crate) fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b) {
        (0, _) => AddressClass::Unspecified,
        (127, _) => AddressClass::Loopback,
        (10, _) | (192, 168) => AddressClass::Private,
        (172, 16..=31) => AddressClass::Private,
        (100, 64..=127) => AddressClass::Shared,
        (169, 254) => AddressClass::LinkLocal,
        (224..=239, _) => AddressClass::Multicast,
        _ if ip == Ipv4Addr::BROADCAST => AddressClass::Broadcast,
        (240..=255, _) => AddressClass::Reserved,
        (192, 0) if c == 0 => AddressClass::Reserved,
        (198, 18..=19) => AddressClass::Reserved,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    let s = ip.segments();
    // Forms that carry an IPv4 address: mapped (::ffff:a.b.c.d), compatible
    // (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::).
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        return classify_v4(embedded(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return classify_v4(embedded(s[1], s[2]));
    }
    Some(match s[0] {
        0xfe80..=0xfebf => AddressClass::LinkLocal,
        0xfec0..=0xfeff => AddressClass::Private,
        0xfc00..=0xfdff => AddressClass::UniqueLocal,
        0xff00..=0xffff => AddressClass::Multicast,
        // NAT64 for local use (RFC 8215).
        0x0064 if s[1] == 0xff9b && s[2] == 1 => AddressClass::Private,
        _ => return None,
    })
}

/// Whether a request to `ip` is allowed when the target is at `target`
/// (its addresses); `Err` says why not.
pub(crate) fn check(ip: IpAddr, target: &[IpAddr], allow_private: bool) -> Result<(), String> {
    let Some(class) = classify(ip) else {
        return Ok(());
    };
    if allow_private || target.iter().any(|t| classify(*t) == Some(class)) {
        return Ok(());
    }
    let metadata = if ip == IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)) {
        ", the cloud metadata service"
    } else {
        ""
    };
    Err(format!(
        "refused {ip}: a {class} address{metadata}, and the target is not one (--allow-private-fetch allows it)"
    ))
}

/// Splits resolved addresses into those a request may go to and the reasons
/// the others were refused.
pub(crate) fn filter(
    addresses: &[IpAddr],
    target: &[IpAddr],
    allow_private: bool,
) -> (Vec<IpAddr>, Vec<String>) {
    let mut allowed = Vec::new();
    let mut refused = Vec::new();
    for ip in addresses {
        match check(*ip, target, allow_private) {
            Ok(()) => allowed.push(*ip),
            Err(why) => refused.push(why),
        }
    }
    (allowed, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<AddressClass> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn every_non_public_class_is_recognised() {
        use AddressClass::*;
        for (ip, want) in [
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("::1", Loopback),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("fec0::1", Private),
            ("169.254.169.254", LinkLocal),
            ("169.254.0.1", LinkLocal),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fc00::1", UniqueLocal),
            ("fd00:ec2::254", UniqueLocal),
            ("100.64.0.1", Shared),
            ("100.100.100.200", Shared),
            ("100.127.255.255", Shared),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("::", Unspecified),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("ff02::1", Multicast),
            ("255.255.255.255", Broadcast),
            ("240.0.0.1", Reserved),
            ("192.0.0.170", Reserved),
            ("198.18.0.1", Reserved),
            // IPv6 forms that embed an IPv4 address.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:10.0.0.1", Private),
            ("::10.0.0.1", Private),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("2002:7f00:1::", Loopback),
            ("2002:c0a8:101::1", Private),
        ] {
            assert_eq!(class(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "192.0.1.1",
            "192.169.0.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
            "64:ff9b::808:808",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn a_target_in_a_class_may_fetch_from_that_class_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let loopback_target = [ip("127.0.0.1")];
        assert!(check(ip("127.0.0.2"), &loopback_target, false).is_ok());
        assert!(check(ip("::1"), &loopback_target, false).is_ok());
        assert!(check(ip("8.8.8.8"), &loopback_target, false).is_ok());
        let why = check(ip("169.254.169.254"), &loopback_target, false).unwrap_err();
        assert!(why.contains("link-local"), "{why}");
        assert!(why.contains("metadata"), "{why}");
        assert!(why.contains("--allow-private-fetch"), "{why}");
        assert!(check(ip("10.0.0.1"), &loopback_target, false).is_err());
        let public_target = [ip("203.0.113.7")];
        assert!(check(ip("127.0.0.1"), &public_target, false).is_err());
        assert!(check(ip("::ffff:127.0.0.1"), &public_target, false).is_err());
        assert!(check(ip("127.0.0.1"), &public_target, true).is_ok());
        assert!(check(ip("10.2.3.4"), &[ip("10.9.9.9")], false).is_ok());
        let (allowed, refused) = filter(&[ip("10.0.0.1"), ip("8.8.4.4")], &public_target, false);
        assert_eq!(allowed, [ip("8.8.4.4")]);
        assert_eq!(refused.len(), 1);
    }
}
