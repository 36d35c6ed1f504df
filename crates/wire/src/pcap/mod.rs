//! Reading TLS out of packet captures (pcap and pcapng): the ClientHellos
//! (so a capture can feed the same analysis as a live probe and JA3/JA4 can
//! be checked against published vectors), and whole conversations with both
//! sides ([`ConversationReader`], for `explain FILE.pcap`).
//!
//! [`client_hellos`] takes the whole file as bytes; [`HelloReader`] and
//! [`client_hellos_from`] read any [`Read`] one packet at a time, as does
//! [`ConversationReader`]. They understand classic pcap (both byte orders,
//! micro- and nanosecond timestamps) and pcapng (section header, interface
//! description, enhanced, simple and obsolete packet blocks, in either byte
//! order); link types Ethernet (with 802.1Q/802.1ad tags), raw IPv4/IPv6,
//! Linux cooked capture v1 and v2, and BSD/OpenBSD loopback; IPv4 and IPv6
//! (with extension headers) carrying TCP.
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
//! dropped. It never opens files or sockets itself; decrypting is left to
//! [`crate::tls13`] and a key log.

use std::io::Read;
use std::net::IpAddr;

mod conversations;
mod file;
mod hellos;
mod layers;
mod streams;
#[cfg(test)]
mod tests;

pub use conversations::{
    Conversation, ConversationReader, Ending, Event, EventKind, Side, TcpClose,
    MAX_ENCRYPTED_BYTES, MAX_EVENTS, MAX_SIDE_BYTES,
};
pub use file::{Packet, PacketReader};
use hellos::Hellos;
use streams::Tracker;

/// Out-of-order bytes held per TCP direction while waiting for a gap to fill.
pub const MAX_PENDING_BYTES: usize = 64 * 1024;
/// Largest handshake message reassembled; a ClientHello is far smaller in practice
/// (RFC 8446 §4.1.2 allows 2^24-1, but no client sends more than a few KiB).
pub const MAX_HANDSHAKE_MESSAGE: usize =
    crate::record::HandshakeReassembler::DEFAULT_MAX_MESSAGE_LEN;
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
    tracker: Tracker<Hellos>,
}

impl<R: Read> HelloReader<R> {
    /// Reads the file header. Fails if the input is not a pcap or pcapng capture.
    pub fn new(r: R) -> Result<Self, PcapError> {
        Ok(Self {
            packets: PacketReader::new(r)?,
            tracker: Tracker::new(Hellos::default()),
        })
    }

    /// What was skipped, dropped and evicted so far.
    pub fn stats(&self) -> CaptureStats {
        CaptureStats {
            oversized_packets: self.packets.oversized(),
            not_tls: self.tracker.consumer.not_tls,
            ..self.tracker.stats
        }
    }

    /// The next ClientHello, `Ok(None)` when the capture is exhausted.
    pub fn next_hello(&mut self) -> Result<Option<CapturedHello>, PcapError> {
        loop {
            if let Some(h) = self.tracker.consumer.found.pop_front() {
                return Ok(Some(h));
            }
            match self.packets.next_packet()? {
                Some(packet) => self.tracker.packet(&packet),
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
