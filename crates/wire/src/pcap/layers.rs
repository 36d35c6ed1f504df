//! Link, network and transport layers: from a captured frame to a TCP segment.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// VLAN tags followed before giving up on an Ethernet frame.
const MAX_VLAN_TAGS: usize = 4;
/// IPv6 extension headers followed before giving up.
const MAX_IPV6_EXT_HEADERS: usize = 8;

/// The parts of a TCP segment reassembly needs.
pub(super) struct Segment<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// Strips the link-layer header and returns the IP packet, for the link types
/// tcpdump.org's LINKTYPE list defines that we support.
pub(super) fn link_payload(link: u32, data: &[u8]) -> Option<&[u8]> {
    match link {
        // LINKTYPE_NULL (BSD loopback, host byte order family) and LINKTYPE_LOOP
        // (OpenBSD, network byte order): a 4-byte address family. The IP version
        // nibble tells IPv4 from IPv6 whatever the family numbering.
        0 | 108 => data.get(4..),
        // LINKTYPE_ETHERNET.
        1 => {
            let mut ethertype = u16::from_be_bytes([*data.get(12)?, *data.get(13)?]);
            let mut at = 14;
            for _ in 0..MAX_VLAN_TAGS {
                // 802.1Q, 802.1ad and the old QinQ tag.
                if !matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
                    break;
                }
                ethertype = u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]);
                at += 4;
            }
            matches!(ethertype, 0x0800 | 0x86dd).then(|| data.get(at..))?
        }
        // LINKTYPE_RAW (and the DLT_RAW values some systems write), IPV4, IPV6.
        12 | 14 | 101 | 228 | 229 => Some(data),
        // LINKTYPE_LINUX_SLL: 16-byte header, protocol at offset 14.
        113 => {
            let proto = u16::from_be_bytes([*data.get(14)?, *data.get(15)?]);
            matches!(proto, 0x0800 | 0x86dd).then(|| data.get(16..))?
        }
        // LINKTYPE_LINUX_SLL2: 20-byte header, protocol at offset 0.
        276 => {
            let proto = u16::from_be_bytes([*data.first()?, *data.get(1)?]);
            matches!(proto, 0x0800 | 0x86dd).then(|| data.get(20..))?
        }
        _ => None,
    }
}

/// Parses IPv4 (RFC 791) or IPv6 (RFC 8200) and then TCP (RFC 9293 §3.1).
pub(super) fn tcp_segment(ip: &[u8]) -> Option<Segment<'_>> {
    let (src, dst, tcp) = match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            let flags_frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
            // Fragments (MF set or a non-zero offset) are not reassembled.
            if ihl < 20 || total < ihl || flags_frag & 0x3fff != 0 || *ip.get(9)? != 6 {
                return None;
            }
            let src: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            // Bound by the total length so Ethernet padding is not taken as payload;
            // a snap-length cut leaves less than `total`, which is fine.
            let end = total.min(ip.len());
            (
                IpAddr::V4(Ipv4Addr::from(src)),
                IpAddr::V4(Ipv4Addr::from(dst)),
                ip.get(ihl..end)?,
            )
        }
        6 => {
            let payload_len = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            // A zero payload length means a jumbogram (RFC 2675): take what is there.
            let end = if payload_len == 0 {
                ip.len()
            } else {
                (40 + payload_len).min(ip.len())
            };
            let mut next = *ip.get(6)?;
            let mut at = 40usize;
            let mut hops = 0;
            while next != 6 {
                hops += 1;
                if hops > MAX_IPV6_EXT_HEADERS {
                    return None;
                }
                let len = match next {
                    0 | 43 | 60 => (usize::from(*ip.get(at + 1)?) + 1) * 8,
                    44 => {
                        let off_m = u16::from_be_bytes([*ip.get(at + 2)?, *ip.get(at + 3)?]);
                        if off_m & 0xfff9 != 0 {
                            return None; // a fragment
                        }
                        8
                    }
                    51 => (usize::from(*ip.get(at + 1)?) + 2) * 4,
                    _ => return None,
                };
                next = *ip.get(at)?;
                at = at.checked_add(len)?;
            }
            (
                IpAddr::V6(Ipv6Addr::from(src)),
                IpAddr::V6(Ipv6Addr::from(dst)),
                ip.get(at..end)?,
            )
        }
        _ => return None,
    };
    let data_offset = usize::from(*tcp.get(12)? >> 4) * 4;
    if data_offset < 20 {
        return None;
    }
    let flags = *tcp.get(13)?;
    Some(Segment {
        src,
        dst,
        src_port: u16::from_be_bytes([tcp[0], tcp[1]]),
        dst_port: u16::from_be_bytes([tcp[2], tcp[3]]),
        seq: u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]),
        syn: flags & 0x02 != 0,
        ack: flags & 0x10 != 0,
        fin: flags & 0x01 != 0,
        rst: flags & 0x04 != 0,
        payload: tcp.get(data_offset..)?,
    })
}
