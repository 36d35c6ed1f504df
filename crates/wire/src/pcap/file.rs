//! The file formats: classic pcap and pcapng, read one packet at a time.

use std::io::Read;

use super::{PcapError, MAX_PACKET};

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

/// A packet from [`PacketReader::next_packet`].
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// Its index in the file, from 0, counting every packet record.
    pub index: u64,
    /// Its link type (tcpdump.org's LINKTYPE_ values).
    pub link: u32,
    /// When it was captured, in microseconds since the Unix epoch, as the
    /// capture says (pcap record header; pcapng with the interface's
    /// `if_tsresol`). `None` for pcapng simple packet blocks, which have none.
    pub time_us: Option<i64>,
    /// The captured bytes.
    pub data: &'a [u8],
}

enum Format {
    /// Classic pcap with the file's link type and whether its timestamps
    /// count nanoseconds (magic a1b23c4d) rather than microseconds.
    Pcap { e: Endian, link: u32, nanos: bool },
    /// pcapng: the current section's byte order and interfaces.
    Pcapng { e: Endian, links: Vec<Interface> },
}

/// A pcapng interface (Interface Description Block): its link type and how
/// many timestamp units make a second (`if_tsresol`, default 10^6).
#[derive(Clone, Copy)]
struct Interface {
    link: u32,
    units_per_second: u64,
}

/// A packet's place in the block buffer: link type, time, start, end.
type Found = (u32, Option<i64>, usize, usize);

/// Converts a count of `units_per_second` units since the epoch to microseconds.
fn to_micros(units: u64, units_per_second: u64) -> Option<i64> {
    if units_per_second == 0 {
        return None;
    }
    let micros = u128::from(units) * 1_000_000 / u128::from(units_per_second);
    i64::try_from(micros).ok()
}

/// The `if_tsresol` option of an IDB body (pcapng §4.2): the high bit picks
/// base 2 or base 10, the rest is the negative exponent.
fn tsresol(e: Endian, body: &[u8]) -> u64 {
    // Options follow the link type (2), reserved (2) and snap length (4).
    let mut at = 8usize;
    while let (Some(code), Some(len)) = (e.u16(body, at), e.u16(body, at + 2)) {
        let len = usize::from(len);
        if code == 0 {
            break;
        }
        if code == 9 && len == 1 {
            if let Some(&v) = body.get(at + 4) {
                let exp = u32::from(v & 0x7f);
                let base: u64 = if v & 0x80 != 0 { 2 } else { 10 };
                return base.checked_pow(exp).unwrap_or(0);
            }
        }
        at = at.saturating_add(4 + len.div_ceil(4) * 4);
    }
    1_000_000
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
            [0xd4, 0xc3, 0xb2, 0xa1] => Self::pcap_header(&mut r, Endian::Little, false)?,
            [0x4d, 0x3c, 0xb2, 0xa1] => Self::pcap_header(&mut r, Endian::Little, true)?,
            [0xa1, 0xb2, 0xc3, 0xd4] => Self::pcap_header(&mut r, Endian::Big, false)?,
            [0xa1, 0xb2, 0x3c, 0x4d] => Self::pcap_header(&mut r, Endian::Big, true)?,
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

    fn pcap_header(r: &mut R, e: Endian, nanos: bool) -> Result<Format, PcapError> {
        let mut h = [0u8; 20];
        if !fill(r, &mut h)? {
            return Err(PcapError::TruncatedHeader);
        }
        // The link type sits in the low 16 bits; the upper bits may carry FCS flags.
        let link = e.u32(&h, 16).ok_or(PcapError::TruncatedHeader)? & 0xffff;
        Ok(Format::Pcap { e, link, nanos })
    }

    /// Records or blocks skipped because they exceed [`MAX_PACKET`].
    pub fn oversized(&self) -> u64 {
        self.oversized
    }

    /// The next packet, `Ok(None)` at the end of the input or at the first
    /// damaged record.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, PcapError> {
        if self.ended {
            return Ok(None);
        }
        let found = match self.format {
            Format::Pcap { e, link, nanos } => self.pcap_record(e, link, nanos)?,
            Format::Pcapng { .. } => self.pcapng_block()?,
        };
        match found {
            Some((link, time_us, start, end)) => Ok(Some(Packet {
                index: self.index - 1,
                link,
                time_us,
                data: &self.buf[start..end],
            })),
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
        nanos: bool,
    ) -> Result<Option<Found>, PcapError> {
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
            let seconds = u64::from(e.u32(&h, 0).unwrap_or(0));
            let fraction = u64::from(e.u32(&h, 4).unwrap_or(0));
            let time_us = if nanos {
                to_micros(seconds * 1_000_000_000 + fraction, 1_000_000_000)
            } else {
                to_micros(seconds * 1_000_000 + fraction, 1_000_000)
            };
            return Ok(Some((link, time_us, 0, len)));
        }
    }

    /// pcapng: a sequence of blocks; each section (SHB) fixes the byte order and
    /// numbers its interfaces (IDBs) from 0.
    fn pcapng_block(&mut self) -> Result<Option<Found>, PcapError> {
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
                    links.push(Interface {
                        link: e.u16(body, 0).map_or(u32::MAX, u32::from),
                        units_per_second: tsresol(e, body),
                    });
                    None
                }
                EPB => {
                    let iface = e.u32(body, 0).and_then(|i| usize::try_from(i).ok());
                    let caplen = e.u32(body, 12).and_then(|l| usize::try_from(l).ok());
                    let stamp = pcapng_stamp(e, body);
                    packet_after_20(links, iface, caplen, body_len, stamp)
                }
                SPB => {
                    // The captured length is what the block holds, at most the original length.
                    let orig = e
                        .u32(body, 0)
                        .and_then(|l| usize::try_from(l).ok())
                        .unwrap_or(0);
                    match links.first() {
                        Some(iface) if body_len >= 4 => {
                            Some((iface.link, None, 4, 4 + (body_len - 4).min(orig)))
                        }
                        _ => None,
                    }
                }
                _ => {
                    let iface = e.u16(body, 0).map(usize::from);
                    let caplen = e.u32(body, 12).and_then(|l| usize::try_from(l).ok());
                    let stamp = pcapng_stamp(e, body);
                    packet_after_20(links, iface, caplen, body_len, stamp)
                }
            };
            if let Some(p) = packet {
                return Ok(Some(p));
            }
        }
    }
}

/// The 64-bit timestamp of an enhanced or obsolete packet block (high word at
/// offset 4, low word at offset 8), in the interface's units.
fn pcapng_stamp(e: Endian, body: &[u8]) -> Option<u64> {
    Some(u64::from(e.u32(body, 4)?) << 32 | u64::from(e.u32(body, 8)?))
}

/// An (Enhanced or obsolete) Packet Block's packet: its interface's link
/// type, its time, and where the captured bytes lie in the block body (after
/// the 20-byte header, `caplen` long, inside the body).
fn packet_after_20(
    links: &[Interface],
    iface: Option<usize>,
    caplen: Option<usize>,
    body_len: usize,
    stamp: Option<u64>,
) -> Option<Found> {
    let iface = *links.get(iface?)?;
    let caplen = caplen?;
    let time_us = stamp.and_then(|units| to_micros(units, iface.units_per_second));
    (20usize.saturating_add(caplen) <= body_len).then_some((iface.link, time_us, 20, 20 + caplen))
}
