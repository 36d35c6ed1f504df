//! Reading TLS ClientHellos out of packet captures (pcap and pcapng), so a
//! capture can feed the same analysis as a live probe and JA3/JA4 can be checked
//! against published vectors.
//!
//! [`client_hellos`] takes the whole file as bytes; [`HelloReader`] and
//! [`client_hellos_from`] read any [`Read`] one packet at a time. It understands classic
//! pcap (both byte orders, micro- and nanosecond timestamps) and pcapng (section
//! header, interface description, enhanced, simple and obsolete packet blocks, in
//! either byte order); link types Ethernet (with 802.1Q/802.1ad tags), raw IPv4/IPv6,
//! Linux cooked capture v1 and v2, and BSD/OpenBSD loopback; IPv4 and IPv6 (with
//! extension headers) carrying TCP.
//!
//! Each TCP direction is reassembled by sequence number (retransmissions and
//! overlaps trimmed, out-of-order segments held back) and read as a stream of TLS
//! records; handshake messages are reassembled across records and segments and
//! every ClientHello is returned whole. Streams are numbered in the order their
//! first packet appears, as Wireshark's `tcp.stream` numbers them, and a new SYN
//! after FIN/RST on the same addresses starts a new stream.
//!
//! A capture is untrusted input: nothing here panics on garbage, every length is
//! checked against the bytes present, and memory per TCP direction is bounded
//! ([`MAX_PENDING_BYTES`], [`MAX_HANDSHAKE_MESSAGE`]). A direction that stops looking
//! like plaintext TLS handshake traffic (or, for a server, once its ServerHello
//! went by) is dropped with its buffers. Memory does not grow with the number of
//! streams: at most [`MAX_LIVE_STREAMS`] are tracked and [`MAX_BUFFERED_TOTAL`]
//! bytes buffered, the least recently active stream being forgotten first (a
//! forgotten stream that comes back gets a new number, so stream numbers match
//! Wireshark's only while nothing was evicted); [`CaptureStats`] counts what was
//! dropped. It never decrypts anything and never opens files or sockets itself.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Out-of-order bytes held per TCP direction while waiting for a gap to fill.
pub const MAX_PENDING_BYTES: usize = 64 * 1024;
/// Largest handshake message reassembled; a ClientHello is far smaller in practice
/// (RFC 8446 §4.1.2 allows 2^24-1, but no client sends more than a few KiB).
pub const MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;
/// Largest packet record read; larger ones are skipped (tcpdump's default snap
/// length is 262,144 bytes).
pub const MAX_PACKET: usize = 1024 * 1024;
/// TCP streams tracked at once; beyond this the least recently active is forgotten.
pub const MAX_LIVE_STREAMS: usize = 4096;
/// Bytes buffered across all live streams; beyond this the least recently active
/// streams are forgotten.
pub const MAX_BUFFERED_TOTAL: usize = 16 * 1024 * 1024;
/// RFC 8446 §5.1/§5.2: a record fragment is at most 2^14 bytes plus expansion.
const MAX_RECORD: usize = (1 << 14) + 2048;
/// VLAN tags followed before giving up on an Ethernet frame.
const MAX_VLAN_TAGS: usize = 4;
/// IPv6 extension headers followed before giving up.
const MAX_IPV6_EXT_HEADERS: usize = 8;

/// One ClientHello found in a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedHello {
    /// TCP stream index: streams are numbered from 0 in the order their first
    /// packet appears (Wireshark's `tcp.stream`).
    pub stream: u32,
    /// Position of this hello within its stream's client→server direction, from 0
    /// (a second hello follows a HelloRetryRequest, RFC 8446 §4.1.4).
    pub index_in_stream: u32,
    /// The client (the sender of the hello).
    pub src: IpAddr,
    pub src_port: u16,
    /// The server.
    pub dst: IpAddr,
    pub dst_port: u16,
    /// Index (from 0) of the packet that completed the hello.
    pub packet_index: u64,
    /// The handshake message: 4-byte header (type 1, 24-bit length) and body.
    pub message: Vec<u8>,
}

/// Why a capture could not be read at all. Damage after a valid header is not an
/// error: reading stops there and the hellos found so far are returned.
/// Why a capture could not be read at all. Damage after a valid header is not an
/// error: reading stops there and the hellos found so far are returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PcapError {
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng file (magic {0:02x?})")]
    UnknownFormat([u8; 4]),
    /// The file header is shorter than its format requires.
    #[error("capture file header is truncated")]
    TruncatedHeader,
    /// A pcapng section header has an unknown byte-order magic.
    #[error("pcapng section header has an invalid byte-order magic")]
    BadByteOrder,
    /// Reading the input failed (not its end: a truncated capture is not an error).
    #[error("cannot read the capture: {0}")]
    Io(String),
}

/// Counts of what a capture reader skipped, dropped or forgot to stay bounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaptureStats {
    /// Packets read.
    pub packets: u64,
    /// Packets (records or blocks) skipped because they exceed [`MAX_PACKET`].
    pub oversized_packets: u64,
    /// TCP streams seen (an evicted stream that comes back counts again).
    pub streams: u64,
    /// Streams forgotten to stay within [`MAX_LIVE_STREAMS`] or
    /// [`MAX_BUFFERED_TOTAL`], least recently active first.
    pub evicted: u64,
    /// Of the evicted streams, those that still held partial data (a hello in
    /// them may have been missed).
    pub evicted_with_data: u64,
    /// Stream directions dropped because their bytes are not TLS records.
    pub not_tls: u64,
    /// Stream directions given up because out-of-order data exceeded
    /// [`MAX_PENDING_BYTES`] (a gap never filled).
    pub gaps: u64,
}

/// Reads ClientHellos from a capture one packet at a time: memory is bounded by
/// [`MAX_PACKET`], [`MAX_LIVE_STREAMS`] and [`MAX_BUFFERED_TOTAL`], whatever the
/// size of the capture or the number of streams in it. Yields hellos in the order
/// they complete; stops at the end of the input or the first damaged record.
pub struct HelloReader<R> {
    packets: PacketReader<R>,
    tracker: Tracker,
}

impl<R: Read> HelloReader<R> {
    /// Reads the file header. Fails if the input is not a pcap or pcapng capture.
    pub fn new(r: R) -> Result<Self, PcapError> {
        Ok(Self {
            packets: PacketReader::new(r)?,
            tracker: Tracker::default(),
        })
    }

    /// What was skipped, dropped and evicted so far.
    pub fn stats(&self) -> CaptureStats {
        CaptureStats {
            oversized_packets: self.packets.oversized(),
            ..self.tracker.stats
        }
    }

    /// The next ClientHello, `Ok(None)` when the capture is exhausted.
    pub fn next_hello(&mut self) -> Result<Option<CapturedHello>, PcapError> {
        loop {
            if let Some(h) = self.tracker.hellos.pop_front() {
                return Ok(Some(h));
            }
            match self.packets.next_packet()? {
                Some((index, link, data)) => self.tracker.packet(index, link, data),
                None => return Ok(None),
            }
        }
    }
}

impl<R: Read> Iterator for HelloReader<R> {
    type Item = Result<CapturedHello, PcapError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_hello().transpose()
    }
}

/// Extracts every TLS ClientHello sent over TCP in a pcap or pcapng capture, in
/// the order the hellos complete.
pub fn client_hellos(bytes: &[u8]) -> Result<Vec<CapturedHello>, PcapError> {
    client_hellos_from(bytes).map(|(hellos, _)| hellos)
}

/// Like [`client_hellos`], reading from any byte stream, with the counts of what
/// was dropped or evicted to keep memory bounded.
pub fn client_hellos_from(r: impl Read) -> Result<(Vec<CapturedHello>, CaptureStats), PcapError> {
    let mut reader = HelloReader::new(r)?;
    let mut hellos = Vec::new();
    while let Some(h) = reader.next_hello()? {
        hellos.push(h);
    }
    Ok((hellos, reader.stats()))
}

// ---------------------------------------------------------------------------
// File formats

#[derive(Clone, Copy)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u16::from_le_bytes(s),
            Self::Big => u16::from_be_bytes(s),
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u32::from_le_bytes(s),
            Self::Big => u32::from_be_bytes(s),
        })
    }
}

/// A packet from [`PacketReader::next_packet`]: its index in the file (from 0),
/// its link type and its captured bytes.
pub type Packet<'a> = (u64, u32, &'a [u8]);

enum Format {
    /// Classic pcap with the file's link type.
    Pcap { e: Endian, link: u32 },
    /// pcapng: the current section's byte order and interface link types.
    Pcapng { e: Endian, links: Vec<u32> },
}

/// Reads packets one at a time from a pcap or pcapng byte stream. Only one
/// packet (at most [`MAX_PACKET`] bytes) is held at a time; larger records and
/// blocks are skipped unread, whatever length their header claims.
pub struct PacketReader<R> {
    r: R,
    format: Format,
    buf: Vec<u8>,
    index: u64,
    ended: bool,
    oversized: u64,
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` at the end of the input
/// (including a truncated last record, which is not an error).
fn fill(r: &mut impl Read, buf: &mut [u8]) -> Result<bool, PcapError> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(PcapError::Io(e.to_string())),
    }
}

/// Discards `n` bytes; `Ok(false)` if the input ends first.
fn skip(r: &mut impl Read, n: u64) -> Result<bool, PcapError> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink())
        .map_err(|e| PcapError::Io(e.to_string()))?;
    Ok(copied == n)
}

impl<R: Read> PacketReader<R> {
    /// Reads the file header. Fails if the input is not a capture at all.
    pub fn new(mut r: R) -> Result<Self, PcapError> {
        let mut magic = [0u8; 4];
        if !fill(&mut r, &mut magic)? {
            return Err(PcapError::TruncatedHeader);
        }
        let format = match magic {
            // Classic pcap: a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds).
            [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => {
                Self::pcap_header(&mut r, Endian::Little)?
            }
            [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => {
                Self::pcap_header(&mut r, Endian::Big)?
            }
            // pcapng Section Header Block type, the same in both byte orders.
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                let mut rest = [0u8; 8];
                if !fill(&mut r, &mut rest)? {
                    return Err(PcapError::TruncatedHeader);
                }
                let e = match rest[4..8] {
                    [0x4d, 0x3c, 0x2b, 0x1a] => Endian::Little,
                    [0x1a, 0x2b, 0x3c, 0x4d] => Endian::Big,
                    _ => return Err(PcapError::BadByteOrder),
                };
                let mut reader = Self {
                    r,
                    format: Format::Pcapng {
                        e,
                        links: Vec::new(),
                    },
                    buf: Vec::new(),
                    index: 0,
                    ended: false,
                    oversized: 0,
                };
                // The rest of the first section header.
                let len = e.u32(&rest, 0).map_or(0, u64::from);
                if len < 12 || !skip(&mut reader.r, len - 12)? {
                    reader.ended = true;
                }
                return Ok(reader);
            }
            other => return Err(PcapError::UnknownFormat(other)),
        };
        Ok(Self {
            r,
            format,
            buf: Vec::new(),
            index: 0,
            ended: false,
            oversized: 0,
        })
    }

    fn pcap_header(r: &mut R, e: Endian) -> Result<Format, PcapError> {
        let mut h = [0u8; 20];
        if !fill(r, &mut h)? {
            return Err(PcapError::TruncatedHeader);
        }
        // The link type sits in the low 16 bits; the upper bits may carry FCS flags.
        let link = e.u32(&h, 16).ok_or(PcapError::TruncatedHeader)? & 0xffff;
        Ok(Format::Pcap { e, link })
    }

    /// Records or blocks skipped because they exceed [`MAX_PACKET`].
    pub fn oversized(&self) -> u64 {
        self.oversized
    }

    /// The next packet: its index (from 0, counting every packet record of the
    /// file), its link type and its captured bytes. `Ok(None)` at the end of the
    /// input or at the first damaged record.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, PcapError> {
        if self.ended {
            return Ok(None);
        }
        let found = match self.format {
            Format::Pcap { e, link } => self.pcap_record(e, link)?,
            Format::Pcapng { .. } => self.pcapng_block()?,
        };
        match found {
            Some((link, start, end)) => Ok(Some((self.index - 1, link, &self.buf[start..end]))),
            None => {
                self.ended = true;
                self.buf = Vec::new();
                Ok(None)
            }
        }
    }

    /// Classic libpcap: 16-byte record headers, each followed by its data.
    fn pcap_record(
        &mut self,
        e: Endian,
        link: u32,
    ) -> Result<Option<(u32, usize, usize)>, PcapError> {
        loop {
            let mut h = [0u8; 16];
            if !fill(&mut self.r, &mut h)? {
                return Ok(None);
            }
            let caplen = e.u32(&h, 8).unwrap_or(0);
            let Ok(len) = usize::try_from(caplen) else {
                return Ok(None);
            };
            self.index += 1;
            if len > MAX_PACKET {
                self.oversized += 1;
                if !skip(&mut self.r, u64::from(caplen))? {
                    return Ok(None);
                }
                continue;
            }
            self.buf.resize(len, 0);
            if !fill(&mut self.r, &mut self.buf)? {
                return Ok(None); // truncated last record: keep what we have
            }
            return Ok(Some((link, 0, len)));
        }
    }

    /// pcapng: a sequence of blocks; each section (SHB) fixes the byte order and
    /// numbers its interfaces (IDBs) from 0.
    fn pcapng_block(&mut self) -> Result<Option<(u32, usize, usize)>, PcapError> {
        const SHB: u32 = 0x0a0d_0d0a;
        const IDB: u32 = 1;
        const OBSOLETE_PB: u32 = 2;
        const SPB: u32 = 3;
        const EPB: u32 = 6;
        loop {
            let Format::Pcapng { e, .. } = self.format else {
                return Ok(None);
            };
            let mut h = [0u8; 8];
            if !fill(&mut self.r, &mut h)? {
                return Ok(None);
            }
            let typ = e.u32(&h, 0).unwrap_or(0);
            let mut e = e;
            let mut header_len = 8u64;
            if typ == SHB {
                let mut bom = [0u8; 4];
                if !fill(&mut self.r, &mut bom)? {
                    return Ok(None);
                }
                e = match bom {
                    [0x4d, 0x3c, 0x2b, 0x1a] => Endian::Little,
                    [0x1a, 0x2b, 0x3c, 0x4d] => Endian::Big,
                    _ => return Ok(None),
                };
                self.format = Format::Pcapng {
                    e,
                    links: Vec::new(),
                };
                header_len = 12;
            }
            let len = e.u32(&h, 4).map_or(0, u64::from);
            if len < 12 || len < header_len {
                return Ok(None);
            }
            let rest = len - header_len;
            let is_packet = matches!(typ, EPB | SPB | OBSOLETE_PB);
            if is_packet {
                self.index += 1;
            }
            if !matches!(typ, IDB | EPB | SPB | OBSOLETE_PB) || rest > MAX_PACKET as u64 + 64 {
                if is_packet {
                    self.oversized += 1;
                }
                if !skip(&mut self.r, rest)? {
                    return Ok(None);
                }
                continue;
            }
            let rest = rest as usize; // bounded by MAX_PACKET above
            self.buf.resize(rest, 0);
            if !fill(&mut self.r, &mut self.buf)? {
                return Ok(None);
            }
            // The body, without the trailing copy of the block length.
            let body_len = rest.saturating_sub(4);
            let Format::Pcapng { links, .. } = &mut self.format else {
                return Ok(None);
            };
            let body = &self.buf[..body_len];
            let packet = match typ {
                IDB => {
                    links.push(e.u16(body, 0).map_or(u32::MAX, u32::from));
                    None
                }
                EPB => {
                    let iface = e.u32(body, 0).and_then(|i| usize::try_from(i).ok());
                    let caplen = e.u32(body, 12).and_then(|l| usize::try_from(l).ok());
                    packet_after_20(links, iface, caplen, body_len)
                }
                SPB => {
                    // The captured length is what the block holds, at most the original length.
                    let orig = e
                        .u32(body, 0)
                        .and_then(|l| usize::try_from(l).ok())
                        .unwrap_or(0);
                    match links.first() {
                        Some(&link) if body_len >= 4 => {
                            Some((link, 4, 4 + (body_len - 4).min(orig)))
                        }
                        _ => None,
                    }
                }
                _ => {
                    let iface = e.u16(body, 0).map(usize::from);
                    let caplen = e.u32(body, 12).and_then(|l| usize::try_from(l).ok());
                    packet_after_20(links, iface, caplen, body_len)
                }
            };
            if let Some(p) = packet {
                return Ok(Some(p));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Link, network and transport layers

/// The parts of a TCP segment reassembly needs.
struct Segment<'a> {
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    seq: u32,
    syn: bool,
    ack: bool,
    fin_or_rst: bool,
    payload: &'a [u8],
}

/// Strips the link-layer header and returns the IP packet, for the link types
/// tcpdump.org's LINKTYPE list defines that we support.
/// An (Enhanced or obsolete) Packet Block's packet: its interface's link
/// type and where the captured bytes lie in the block body (after the
/// 20-byte header, `caplen` long, inside the body).
fn packet_after_20(
    links: &[u32],
    iface: Option<usize>,
    caplen: Option<usize>,
    body_len: usize,
) -> Option<(u32, usize, usize)> {
    let link = *links.get(iface?)?;
    let caplen = caplen?;
    (20usize.saturating_add(caplen) <= body_len).then_some((link, 20, 20 + caplen))
}

fn link_payload(link: u32, data: &[u8]) -> Option<&[u8]> {
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
fn tcp_segment(ip: &[u8]) -> Option<Segment<'_>> {
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
        fin_or_rst: flags & 0x05 != 0,
        payload: tcp.get(data_offset..)?,
    })
}

// ---------------------------------------------------------------------------
// TCP streams

type Endpoint = (IpAddr, u16);
type Key = (Endpoint, Endpoint);

#[derive(Default)]
struct Tracker {
    /// Conversation (endpoint pair, lower endpoint first) → its current stream.
    live: HashMap<Key, Stream>,
    /// Last activity stamp → conversation, to evict the least recently active.
    lru: BTreeMap<u64, Key>,
    stamp: u64,
    next_index: u32,
    /// Bytes held by all live streams' buffers.
    buffered: usize,
    stats: CaptureStats,
    hellos: VecDeque<CapturedHello>,
}

struct Stream {
    index: u32,
    /// `dirs[0]` carries data from the lower endpoint of the pair.
    dirs: [Direction; 2],
    closing: bool,
    hellos_seen: u32,
    stamp: u64,
}

impl Stream {
    fn buffered(&self) -> usize {
        self.dirs[0].buffered() + self.dirs[1].buffered()
    }
}

impl Tracker {
    fn new_stream(&mut self, key: Key) {
        while self.live.len() >= MAX_LIVE_STREAMS {
            if !self.evict_oldest(None) {
                break;
            }
        }
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        self.stats.streams += 1;
        let old = self.live.insert(
            key,
            Stream {
                index,
                dirs: [Direction::default(), Direction::default()],
                closing: false,
                hellos_seen: 0,
                stamp: 0,
            },
        );
        if let Some(old) = old {
            self.lru.remove(&old.stamp);
            self.buffered -= old.buffered();
        }
    }

    /// Forgets the least recently active stream other than `keep`; false if none.
    fn evict_oldest(&mut self, keep: Option<&Key>) -> bool {
        let victim = self
            .lru
            .iter()
            .find(|(_, k)| Some(*k) != keep)
            .map(|(&s, &k)| (s, k));
        let Some((stamp, key)) = victim else {
            return false;
        };
        self.lru.remove(&stamp);
        if let Some(old) = self.live.remove(&key) {
            let held = old.buffered();
            self.buffered -= held;
            self.stats.evicted += 1;
            if held > 0 {
                self.stats.evicted_with_data += 1;
            }
        }
        true
    }

    fn packet(&mut self, index: u64, link: u32, data: &[u8]) {
        self.stats.packets += 1;
        let Some(seg) = link_payload(link, data).and_then(tcp_segment) else {
            return;
        };
        let a = (seg.src, seg.src_port);
        let b = (seg.dst, seg.dst_port);
        let (key, dir) = if a <= b { ((a, b), 0) } else { ((b, a), 1) };
        let fresh = match self.live.get(&key) {
            // Port reuse: a fresh SYN on a conversation that closed, or with a
            // different initial sequence number, begins a new stream.
            Some(st) => {
                seg.syn
                    && !seg.ack
                    && (st.closing || st.dirs[dir].isn.is_some_and(|isn| isn != seg.seq))
            }
            None => true,
        };
        if fresh {
            self.new_stream(key);
        }
        self.stamp += 1;
        let stamp = self.stamp;
        let Some(stream) = self.live.get_mut(&key) else {
            return;
        };
        self.lru.remove(&stream.stamp);
        stream.stamp = stamp;
        self.lru.insert(stamp, key);
        if seg.fin_or_rst {
            stream.closing = true;
        }
        let before = stream.buffered();
        let mut found = Vec::new();
        let d = &mut stream.dirs[dir];
        let was_done = d.scanner.done;
        d.segment(seg.seq, seg.syn, seg.payload, &mut found);
        if d.scanner.done && !was_done {
            match d.scanner.ended {
                Some(End::NotTls) => self.stats.not_tls += 1,
                Some(End::Gap) => self.stats.gaps += 1,
                _ => {}
            }
        }
        let after = stream.buffered();
        self.buffered = self.buffered - before + after;
        for message in found {
            self.hellos.push_back(CapturedHello {
                stream: stream.index,
                index_in_stream: stream.hellos_seen,
                src: seg.src,
                src_port: seg.src_port,
                dst: seg.dst,
                dst_port: seg.dst_port,
                packet_index: index,
                message,
            });
            stream.hellos_seen += 1;
        }
        while self.buffered > MAX_BUFFERED_TOTAL {
            if !self.evict_oldest(Some(&key)) {
                break;
            }
        }
    }
}

/// One direction of a TCP connection: in-order reassembly feeding a TLS scanner.
#[derive(Default)]
struct Direction {
    isn: Option<u32>,
    /// The sequence number of the next byte expected, once known.
    next_seq: Option<u32>,
    /// Segments ahead of `next_seq`, keyed by their distance from it at insertion.
    pending: BTreeMap<u32, Vec<u8>>,
    pending_bytes: usize,
    scanner: HelloScanner,
}

impl Direction {
    fn buffered(&self) -> usize {
        self.pending_bytes + self.scanner.buf.capacity() + self.scanner.hs.capacity()
    }

    fn segment(&mut self, seq: u32, syn: bool, payload: &[u8], out: &mut Vec<Vec<u8>>) {
        if syn {
            self.isn = Some(seq);
            if self.next_seq.is_none() {
                self.next_seq = Some(seq.wrapping_add(1));
            }
        }
        if self.scanner.done || payload.is_empty() {
            return;
        }
        // Data carried by a SYN (TCP Fast Open) starts after the SYN's own number.
        let seq = if syn { seq.wrapping_add(1) } else { seq };
        let next = *self.next_seq.get_or_insert(seq);
        // Wrapping distance: negative means (partly) old data.
        let rel = seq.wrapping_sub(next) as i32;
        if rel <= 0 {
            let skip = rel.unsigned_abs() as usize;
            if skip >= payload.len() {
                return; // pure retransmission
            }
            self.deliver(&payload[skip..], out);
            self.drain(out);
        } else if self.pending_bytes + payload.len() <= MAX_PENDING_BYTES {
            // Keyed by absolute sequence number; `drain` compares against next_seq.
            let entry = self.pending.entry(seq).or_default();
            if payload.len() > entry.len() {
                self.pending_bytes += payload.len() - entry.len();
                *entry = payload.to_vec();
            }
        } else {
            // Too much out-of-order data: a gap we will never see filled.
            self.scanner.finish(End::Gap);
        }
        if self.scanner.done {
            self.pending = BTreeMap::new();
            self.pending_bytes = 0;
        }
    }

    fn deliver(&mut self, data: &[u8], out: &mut Vec<Vec<u8>>) {
        if let Some(n) = &mut self.next_seq {
            *n = n.wrapping_add(data.len() as u32);
        }
        self.scanner.feed(data, out);
    }

    /// Delivers held-back segments that have become contiguous.
    fn drain(&mut self, out: &mut Vec<Vec<u8>>) {
        loop {
            let Some(next) = self.next_seq else { return };
            let ready = self
                .pending
                .keys()
                .copied()
                .find(|seq| (seq.wrapping_sub(next) as i32) <= 0);
            let Some(seq) = ready else { return };
            let Some(data) = self.pending.remove(&seq) else {
                return;
            };
            self.pending_bytes -= data.len();
            let skip = (next.wrapping_sub(seq)) as usize;
            if skip < data.len() {
                self.deliver(&data[skip..], out);
            }
            if self.scanner.done {
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// TLS records and handshake messages

/// Reads one direction of a connection as TLS records (RFC 8446 §5.1) and
/// collects every plaintext ClientHello.
#[derive(Default)]
struct HelloScanner {
    /// Record-layer bytes not yet consumed.
    buf: Vec<u8>,
    /// Handshake bytes of a message that spans records.
    hs: Vec<u8>,
    /// A ChangeCipherSpec went by: later handshake records are encrypted (TLS 1.2)
    /// unless they open a fresh ClientHello (TLS 1.3 after HelloRetryRequest).
    after_ccs: bool,
    done: bool,
    /// Why the direction was dropped, once `done`.
    ended: Option<End>,
}

/// Why a direction stopped being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Its bytes are not TLS records.
    NotTls,
    /// Out-of-order data beyond [`MAX_PENDING_BYTES`].
    Gap,
    /// Past the plaintext hellos (encrypted, a ServerHello, an oversized message).
    Flight,
}

impl HelloScanner {
    fn finish(&mut self, why: End) {
        self.done = true;
        self.ended = Some(why);
        self.buf = Vec::new();
        self.hs = Vec::new();
    }

    fn feed(&mut self, data: &[u8], out: &mut Vec<Vec<u8>>) {
        if self.done {
            return;
        }
        self.buf.extend_from_slice(data);
        let mut at = 0;
        while !self.done {
            let Some(header) = self.buf.get(at..at + 5) else {
                break;
            };
            let (typ, major, len) = (
                header[0],
                header[1],
                usize::from(u16::from_be_bytes([header[3], header[4]])),
            );
            // RFC 8446 §5.1 content types 20..=24, record versions 3.x.
            if !(20..=24).contains(&typ) || major != 3 || len > MAX_RECORD {
                self.finish(End::NotTls);
                return;
            }
            let Some(fragment) = self.buf.get(at + 5..at + 5 + len) else {
                break;
            };
            let fragment = fragment.to_vec();
            at += 5 + len;
            match typ {
                20 => {
                    self.after_ccs = true;
                    self.hs.clear();
                }
                22 => self.handshake(&fragment, out),
                _ => {} // alerts, application data (0-RTT), heartbeats
            }
        }
        if !self.done {
            self.buf.drain(..at.min(self.buf.len()));
            if self.buf.is_empty() {
                self.buf = Vec::new();
            }
        }
    }

    fn handshake(&mut self, fragment: &[u8], out: &mut Vec<Vec<u8>>) {
        if self.after_ccs && self.hs.is_empty() && fragment.first() != Some(&1) {
            // An encrypted Finished or renegotiation: nothing more to read here.
            self.finish(End::Flight);
            return;
        }
        self.hs.extend_from_slice(fragment);
        loop {
            let Some(h) = self.hs.get(..4) else {
                if self.hs.is_empty() {
                    self.hs = Vec::new(); // release a spent message's buffer
                }
                return;
            };
            let len = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
            if len > MAX_HANDSHAKE_MESSAGE {
                self.finish(End::Flight);
                return;
            }
            if self.hs.len() < 4 + len {
                return;
            }
            let message: Vec<u8> = self.hs.drain(..4 + len).collect();
            if message[0] == 1 && looks_like_client_hello(&message[4..]) {
                out.push(message);
            } else if self.after_ccs || message[0] == 2 {
                // Past the hellos, or a server's direction (its ServerHello, RFC
                // 8446 §4.1.3): no ClientHello follows.
                self.finish(End::Flight);
                return;
            }
        }
    }
}

/// A cheap plausibility check that keeps ciphertext that happens to start with
/// byte 1 from being reported: `legacy_version` is 3.x and the fixed-size fields
/// fit (RFC 8446 §4.1.2).
fn looks_like_client_hello(body: &[u8]) -> bool {
    body.len() > 2 + 32 + 1 + 2 && body[0] == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello_record(body_len: usize) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.resize(body_len, 0);
        let mut msg = vec![1, 0, (body_len >> 8) as u8, body_len as u8];
        msg.extend_from_slice(&body);
        let mut rec = vec![22, 3, 1, (msg.len() >> 8) as u8, msg.len() as u8];
        rec.extend_from_slice(&msg);
        rec
    }

    fn ipv4_tcp(seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let total = 20 + 20 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ];
        p.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(&1234u16.to_be_bytes());
        p.extend_from_slice(&443u16.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(payload);
        p
    }

    fn pcap_file(packets: &[Vec<u8>]) -> Vec<u8> {
        let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&65535u32.to_le_bytes());
        f.extend_from_slice(&101u32.to_le_bytes()); // LINKTYPE_RAW
        for p in packets {
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(&(p.len() as u32).to_le_bytes());
            f.extend_from_slice(&(p.len() as u32).to_le_bytes());
            f.extend_from_slice(p);
        }
        f
    }

    #[test]
    fn reassembles_out_of_order_and_retransmitted_segments() {
        let rec = hello_record(300);
        let (a, b) = rec.split_at(100);
        let file = pcap_file(&[
            ipv4_tcp(999, 0x02, &[]),
            ipv4_tcp(1100, 0x18, b),
            ipv4_tcp(1000, 0x18, a),
            ipv4_tcp(1000, 0x18, a),
        ]);
        let hellos = client_hellos(&file).unwrap();
        assert_eq!(hellos.len(), 1);
        assert_eq!(hellos[0].message, rec[5..]);
        assert_eq!(hellos[0].stream, 0);
        assert_eq!(hellos[0].src_port, 1234);
        assert_eq!(hellos[0].packet_index, 2);
    }

    #[test]
    fn hello_spanning_records() {
        let rec = hello_record(300);
        let msg = &rec[5..];
        let mut data = Vec::new();
        for chunk in msg.chunks(64) {
            data.extend_from_slice(&[22, 3, 1, 0, chunk.len() as u8]);
            data.extend_from_slice(chunk);
        }
        let file = pcap_file(&[ipv4_tcp(5, 0x18, &data)]);
        let hellos = client_hellos(&file).unwrap();
        assert_eq!(hellos.len(), 1);
        assert_eq!(hellos[0].message, msg);
    }

    fn ipv6_tcp_with_hop_by_hop(payload: &[u8]) -> Vec<u8> {
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&40000u16.to_be_bytes());
        tcp.extend_from_slice(&443u16.to_be_bytes());
        tcp.extend_from_slice(&7u32.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        let hop = [6, 0, 0, 0, 0, 0, 0, 0]; // next header TCP, 8 bytes
        let len = hop.len() + tcp.len();
        let mut p = vec![0x60, 0, 0, 0, (len >> 8) as u8, len as u8, 0, 64];
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&hop);
        p.extend_from_slice(&tcp);
        p
    }

    /// Wraps an IP packet in each supported link layer.
    fn framed(link: u32, ip: &[u8]) -> Vec<u8> {
        let v6 = ip[0] >> 4 == 6;
        let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
        let mut f = Vec::new();
        match link {
            0 => f.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
            1 => {
                f.extend_from_slice(&[0xaa; 12]);
                f.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]); // 802.1Q tag, VLAN 5
                f.extend_from_slice(&ethertype);
            }
            113 => {
                f.extend_from_slice(&[0; 14]);
                f.extend_from_slice(&ethertype);
            }
            276 => {
                f.extend_from_slice(&ethertype);
                f.extend_from_slice(&[0; 18]);
            }
            _ => {}
        }
        f.extend_from_slice(ip);
        if link == 1 {
            f.extend_from_slice(&[0; 6]); // Ethernet padding must not become payload
        }
        f
    }

    fn pcapng_be(link: u16, packets: &[Vec<u8>]) -> Vec<u8> {
        let block = |typ: u32, body: &[u8]| {
            let mut body = body.to_vec();
            while body.len() % 4 != 0 {
                body.push(0);
            }
            let len = (body.len() + 12) as u32;
            let mut b = typ.to_be_bytes().to_vec();
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(&body);
            b.extend_from_slice(&len.to_be_bytes());
            b
        };
        let mut f = block(
            0x0a0d_0d0a,
            &[
                0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        );
        let mut idb = link.to_be_bytes().to_vec();
        idb.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff]);
        f.extend(block(1, &idb));
        for p in packets {
            let mut epb = vec![0; 12];
            epb.extend_from_slice(&(p.len() as u32).to_be_bytes());
            epb.extend_from_slice(&(p.len() as u32).to_be_bytes());
            epb.extend_from_slice(p);
            f.extend(block(6, &epb));
        }
        f
    }

    #[test]
    fn every_link_type_and_file_format() {
        let rec = hello_record(120);
        let v4 = ipv4_tcp(5, 0x18, &rec);
        let v6 = ipv6_tcp_with_hop_by_hop(&rec);
        for link in [0u32, 1, 101, 113, 276] {
            for ip in [&v4, &v6] {
                let pkt = framed(link, ip);
                // Nanosecond big-endian classic pcap.
                let mut f = vec![0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4];
                f.extend_from_slice(&[0; 8]);
                f.extend_from_slice(&65535u32.to_be_bytes());
                f.extend_from_slice(&link.to_be_bytes());
                f.extend_from_slice(&[0; 8]);
                f.extend_from_slice(&(pkt.len() as u32).to_be_bytes());
                f.extend_from_slice(&(pkt.len() as u32).to_be_bytes());
                f.extend_from_slice(&pkt);
                let ng = pcapng_be(link as u16, std::slice::from_ref(&pkt));
                for file in [f, ng] {
                    let hellos = client_hellos(&file).unwrap();
                    assert_eq!(hellos.len(), 1, "link {link}");
                    assert_eq!(hellos[0].message, rec[5..], "link {link}");
                }
            }
        }
        let h = &client_hellos(&pcapng_be(101, &[v6])).unwrap()[0];
        assert_eq!(h.src, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!((h.src_port, h.dst_port), (40000, 443));
    }

    #[test]
    fn streams_are_numbered_by_first_appearance_and_port_reuse() {
        let rec = hello_record(60);
        let mut other = ipv4_tcp(1, 0x18, b"GET / HTTP/1.1\r\n\r\n");
        other[21] = 80; // a different source port: another stream
        let file = pcap_file(&[
            other,
            ipv4_tcp(99, 0x02, &[]),
            ipv4_tcp(100, 0x18, &rec),
            ipv4_tcp(200, 0x11, &[]),
            ipv4_tcp(5000, 0x02, &[]),
            ipv4_tcp(5001, 0x18, &rec),
        ]);
        let hellos = client_hellos(&file).unwrap();
        let streams: Vec<u32> = hellos.iter().map(|h| h.stream).collect();
        assert_eq!(streams, [1, 2]);
        assert!(hellos.iter().all(|h| h.index_in_stream == 0));
    }

    #[test]
    fn second_hello_after_hello_retry_request() {
        let rec = hello_record(60);
        let mut data = rec.clone();
        data.extend_from_slice(&[20, 3, 3, 0, 1, 1]); // middlebox-compatibility CCS
        data.extend_from_slice(&rec);
        data.extend_from_slice(&[23, 3, 3, 0, 4, 1, 0, 0, 0]); // encrypted, looks like type 1
        data.extend_from_slice(&[22, 3, 3, 0, 4, 0x14, 0, 0, 0]); // encrypted Finished
        let hellos = client_hellos(&pcap_file(&[ipv4_tcp(1, 0x18, &data)])).unwrap();
        assert_eq!(hellos.len(), 2);
        assert_eq!(hellos[1].index_in_stream, 1);
    }

    #[test]
    fn garbage_never_panics() {
        assert!(matches!(
            client_hellos(b"nope"),
            Err(PcapError::UnknownFormat(_))
        ));
        assert_eq!(client_hellos(&[]), Err(PcapError::TruncatedHeader));
        let mut file = pcap_file(&[ipv4_tcp(5, 0x18, &hello_record(80))]);
        for cut in 0..file.len() {
            let _ = client_hellos(&file[..cut]);
        }
        let mut seed = 0x1234_5678u32;
        for i in 24..file.len() {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            file[i] ^= (seed >> 16) as u8;
            let _ = client_hellos(&file);
        }
        let mut ng = vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a];
        ng.extend_from_slice(&[
            1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
        ]);
        ng.extend_from_slice(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f]);
        assert_eq!(client_hellos(&ng), Ok(vec![]));
    }
}
