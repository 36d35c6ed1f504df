//! The conversation reader: every TLS connection of a capture with both
//! sides, as `explain FILE.pcap` needs them to tell why a handshake failed.
//!
//! For each TCP stream it keeps, per side, the plaintext records in order
//! (the hellos, and for TLS ≤ 1.2 the certificates, key exchange and
//! certificate request, up to [`MAX_SIDE_BYTES`]), and a timeline of
//! [`Event`]s: TCP SYN/FIN/RST, handshake message types, ChangeCipherSpec,
//! alerts (plaintext ones with their description; encrypted ones by length),
//! application-data records (consecutive ones merged). Encrypted records are
//! never decrypted, only counted and measured.
//!
//! A conversation is returned when it ends (both FINs, or a RST), when it is
//! evicted to keep memory bounded (marked [`Ending::Evicted`]), or when the
//! capture ends. Only streams that look like TLS or like a connection attempt
//! (a SYN) are returned; the rest (other protocols, stray packets) are counted.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::file::Packet;
use super::layers::Segment;
use super::streams::{Close, Consumer, Endpoint, Tracker};
use super::{CaptureStats, PacketReader, PcapError, MAX_RECORD};
use crate::record::{HandshakeReassembler, RecordError};

/// Events kept per conversation; later ones are counted in
/// [`Conversation::events_dropped`] (TCP endings are kept apart, see
/// [`Conversation::closes`]).
pub const MAX_EVENTS: usize = 64;
/// Plaintext record bytes kept per side (a long certificate chain fits).
pub const MAX_SIDE_BYTES: usize = 128 * 1024;
/// Encrypted (application_data) record bytes kept per side when asked
/// ([`ConversationReader::keep_encrypted`]): the TLS 1.3 handshake a key log
/// can open fits.
pub const MAX_ENCRYPTED_BYTES: usize = 64 * 1024;
/// Bytes of a side that does not speak TLS kept to recognise what it speaks.
const FIRST_BYTES: usize = 64;

/// Which end of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Client,
    Server,
}

/// How one side ended its half of the TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpClose {
    Fin,
    Rst,
}

/// Why a conversation was returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Both sides closed, or one reset the connection.
    Closed,
    /// The capture ended while the connection was open.
    CaptureEnded,
    /// Forgotten to keep memory bounded: later packets were not read.
    Evicted,
    /// The same addresses and ports began a new connection.
    Reused,
}

/// What happened, in the order it was captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A TCP SYN without ACK (the connection attempt).
    Syn,
    /// The answer to a SYN.
    SynAck,
    Fin,
    Rst,
    /// A plaintext handshake message (RFC 8446 §4: 1 ClientHello, 2
    /// ServerHello, 11 Certificate, 12 ServerKeyExchange, 13
    /// CertificateRequest, 14 ServerHelloDone, 16 ClientKeyExchange, ...).
    Handshake {
        msg_type: u8,
        len: u32,
    },
    /// RFC 5246 §7.1 (in TLS 1.3 only for middlebox compatibility).
    ChangeCipherSpec,
    /// A plaintext alert (RFC 8446 §6).
    Alert {
        level: u8,
        description: u8,
    },
    /// An alert record after ChangeCipherSpec: its content is encrypted.
    EncryptedAlert {
        len: u16,
    },
    /// A handshake record after ChangeCipherSpec (a TLS ≤ 1.2 Finished).
    EncryptedHandshake {
        len: u16,
    },
    /// Consecutive application_data records (TLS 1.3 carries its encrypted
    /// handshake in them too): how many, the length of the first, and bytes.
    ApplicationData {
        records: u32,
        first_len: u16,
        bytes: u64,
    },
    /// The side's bytes are not TLS records (see [`Conversation::first_bytes`]).
    NotTls,
}

/// One event of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub side: Side,
    /// Index (from 0) of the packet that carried it.
    pub packet: u64,
    /// The packet's capture time (µs since the Unix epoch), when known.
    pub time_us: Option<i64>,
    pub kind: EventKind,
}

/// One TCP connection that carried TLS, or tried to.
#[derive(Clone, Debug)]
pub struct Conversation {
    /// Wireshark's `tcp.stream` number (see the module documentation).
    pub stream: u32,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    /// How the client was told from the server: `syn` (it sent the SYN),
    /// `client_hello` (it sent the ClientHello), or `guess` (neither was
    /// captured; the higher port is taken as the client's).
    pub roles_from: &'static str,
    /// The capture began after the TCP handshake (no SYN seen).
    pub mid_stream: bool,
    pub first_packet: u64,
    pub last_packet: u64,
    pub start_us: Option<i64>,
    pub end_us: Option<i64>,
    /// The client's plaintext records, in order (at most [`MAX_SIDE_BYTES`]).
    pub client_bytes: Vec<u8>,
    /// The server's plaintext records, in order, through its first
    /// encrypted record (at most [`MAX_SIDE_BYTES`]).
    pub server_bytes: Vec<u8>,
    /// The first bytes of a side that does not speak TLS (client, server).
    pub first_bytes: [Vec<u8>; 2],
    /// With [`ConversationReader::keep_encrypted`]: each side's first
    /// application_data records, whole, in order (client, server; at most
    /// [`MAX_ENCRYPTED_BYTES`] each).
    pub encrypted: [Vec<u8>; 2],
    pub events: Vec<Event>,
    pub events_dropped: u32,
    /// How each side (client, server) ended its half, with the packet index.
    pub closes: [Option<(TcpClose, u64)>; 2],
    /// Bytes were lost for good (a gap never filled) on this side (client, server).
    pub gaps: [bool; 2],
    pub ending: Ending,
}

impl Conversation {
    /// Index 0 for the client, 1 for the server, in the two-element arrays.
    pub fn side_index(side: Side) -> usize {
        match side {
            Side::Client => 0,
            Side::Server => 1,
        }
    }

    /// The side that closed or reset first, and how.
    pub fn first_close(&self) -> Option<(Side, TcpClose)> {
        let c = self.closes[0].map(|(how, at)| (Side::Client, how, at));
        let s = self.closes[1].map(|(how, at)| (Side::Server, how, at));
        match (c, s) {
            (Some(c), Some(s)) => Some(if c.2 <= s.2 { (c.0, c.1) } else { (s.0, s.1) }),
            (Some(x), None) | (None, Some(x)) => Some((x.0, x.1)),
            (None, None) => None,
        }
    }

    /// Whether the server answered the SYN with a reset (connection refused).
    pub fn refused(&self) -> bool {
        let syn = self.events.iter().any(|e| e.kind == EventKind::Syn);
        let syn_ack = self.events.iter().any(|e| e.kind == EventKind::SynAck);
        syn && !syn_ack && matches!(self.closes[1], Some((TcpClose::Rst, _)))
    }
}

/// Reads every TLS conversation of a capture, one packet at a time, with the
/// memory bounds of the hello reader ([`super::MAX_LIVE_STREAMS`],
/// [`super::MAX_BUFFERED_TOTAL`]) plus [`MAX_SIDE_BYTES`] per side.
pub struct ConversationReader<R> {
    packets: PacketReader<R>,
    tracker: Tracker<Conversations>,
    ended: bool,
}

impl<R: std::io::Read> ConversationReader<R> {
    /// Reads the file header. Fails if the input is not a pcap or pcapng capture.
    pub fn new(r: R) -> Result<Self, PcapError> {
        Ok(Self {
            packets: PacketReader::new(r)?,
            tracker: Tracker::new(Conversations::default()),
            ended: false,
        })
    }

    /// What was skipped, dropped and evicted so far; `not_tls` counts streams
    /// that were neither TLS nor a connection attempt.
    pub fn stats(&self) -> CaptureStats {
        CaptureStats {
            oversized_packets: self.packets.oversized(),
            not_tls: self.tracker.consumer.not_tls,
            ..self.tracker.stats
        }
    }

    /// Also keep each side's first encrypted records (for a key log to open).
    pub fn keep_encrypted(mut self) -> Self {
        self.tracker.consumer.keep_encrypted = true;
        self
    }

    /// The next conversation, `Ok(None)` when the capture is exhausted.
    pub fn next_conversation(&mut self) -> Result<Option<Conversation>, PcapError> {
        loop {
            if let Some(c) = self.tracker.consumer.done.pop_front() {
                return Ok(Some(c));
            }
            if self.ended {
                return Ok(None);
            }
            match self.packets.next_packet()? {
                Some(packet) => self.tracker.packet(&packet),
                None => {
                    self.ended = true;
                    self.tracker.end();
                }
            }
        }
    }
}

impl<R: std::io::Read> Iterator for ConversationReader<R> {
    type Item = Result<Conversation, PcapError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_conversation().transpose()
    }
}

#[derive(Default)]
struct Conversations {
    done: VecDeque<Conversation>,
    not_tls: u64,
    keep_encrypted: bool,
}

/// A stream while it is read; `dir` 0 is the lower endpoint of the pair.
struct Live {
    index: u32,
    ends: [Endpoint; 2],
    /// The direction that sent a SYN without ACK, or failing that the first ClientHello.
    client_by_syn: Option<usize>,
    client_by_hello: Option<usize>,
    mid_stream: bool,
    first_packet: u64,
    last_packet: u64,
    start_us: Option<i64>,
    end_us: Option<i64>,
    readers: [SideReader; 2],
    events: Vec<(usize, Event)>,
    events_dropped: u32,
    closes: [Option<(TcpClose, u64)>; 2],
    gaps: [bool; 2],
    /// Already returned (a late packet after both FINs changes nothing).
    emitted: bool,
}

impl Live {
    fn push(&mut self, dir: usize, packet: &Packet<'_>, kind: EventKind) {
        // Merge consecutive application data from the same side.
        if let EventKind::ApplicationData {
            records: 1, bytes, ..
        } = kind
        {
            if let Some((
                d,
                Event {
                    kind:
                        EventKind::ApplicationData {
                            records,
                            bytes: total,
                            ..
                        },
                    ..
                },
            )) = self.events.last_mut()
            {
                if *d == dir {
                    *records = records.saturating_add(1);
                    *total = total.saturating_add(bytes);
                    return;
                }
            }
        }
        if self.events.len() >= MAX_EVENTS {
            self.events_dropped = self.events_dropped.saturating_add(1);
            return;
        }
        self.events.push((
            dir,
            Event {
                side: Side::Client, // set when the roles are known
                packet: packet.index,
                time_us: packet.time_us,
                kind,
            },
        ));
    }

    fn looks_like_tls_or_attempt(&self) -> bool {
        self.client_by_hello.is_some()
            || self.readers.iter().any(|r| r.records > 0 && !r.not_tls)
            || (self.client_by_syn.is_some()
                && self.readers.iter().all(|r| r.records == 0 && !r.not_tls))
    }

    fn finished(&self) -> bool {
        let reset = self
            .closes
            .iter()
            .flatten()
            .any(|(h, _)| *h == TcpClose::Rst);
        reset || self.closes.iter().all(Option::is_some)
    }
}

impl Conversations {
    fn emit(&mut self, live: &mut Live, ending: Ending) {
        if live.emitted {
            return;
        }
        live.emitted = true;
        if !live.looks_like_tls_or_attempt() {
            self.not_tls += 1;
            return;
        }
        let (client_dir, roles_from) = match (live.client_by_syn, live.client_by_hello) {
            (Some(d), _) => (d, "syn"),
            (None, Some(d)) => (d, "client_hello"),
            (None, None) => (usize::from(live.ends[0].1 < live.ends[1].1), "guess"),
        };
        let server_dir = 1 - client_dir;
        let side = |dir: usize| {
            if dir == client_dir {
                Side::Client
            } else {
                Side::Server
            }
        };
        let take = |r: &mut SideReader| std::mem::take(&mut r.kept);
        let events = std::mem::take(&mut live.events)
            .into_iter()
            .map(|(dir, mut e)| {
                e.side = side(dir);
                e
            })
            .collect();
        let client_bytes = take(&mut live.readers[client_dir]);
        let server_bytes = take(&mut live.readers[server_dir]);
        self.done.push_back(Conversation {
            stream: live.index,
            client: live.ends[client_dir],
            server: live.ends[server_dir],
            roles_from,
            mid_stream: live.mid_stream,
            first_packet: live.first_packet,
            last_packet: live.last_packet,
            start_us: live.start_us,
            end_us: live.end_us,
            client_bytes,
            server_bytes,
            first_bytes: [
                std::mem::take(&mut live.readers[client_dir].first),
                std::mem::take(&mut live.readers[server_dir].first),
            ],
            encrypted: [
                std::mem::take(&mut live.readers[client_dir].encrypted),
                std::mem::take(&mut live.readers[server_dir].encrypted),
            ],
            events,
            events_dropped: live.events_dropped,
            closes: [live.closes[client_dir], live.closes[server_dir]],
            gaps: [live.gaps[client_dir], live.gaps[server_dir]],
            ending,
        });
        live.readers = [SideReader::default(), SideReader::default()];
    }
}

impl Consumer for Conversations {
    type State = Live;

    fn open(&mut self, index: u32, seg: &Segment<'_>, packet: &Packet<'_>) -> Live {
        let a = (seg.src, seg.src_port);
        let b = (seg.dst, seg.dst_port);
        let ends = if a <= b { [a, b] } else { [b, a] };
        Live {
            index,
            ends,
            client_by_syn: None,
            client_by_hello: None,
            mid_stream: !seg.syn,
            first_packet: packet.index,
            last_packet: packet.index,
            start_us: packet.time_us,
            end_us: packet.time_us,
            readers: [
                SideReader::new(self.keep_encrypted),
                SideReader::new(self.keep_encrypted),
            ],
            events: Vec::new(),
            events_dropped: 0,
            closes: [None, None],
            gaps: [false, false],
            emitted: false,
        }
    }

    fn segment(&mut self, live: &mut Live, dir: usize, seg: &Segment<'_>, packet: &Packet<'_>) {
        if live.emitted {
            return;
        }
        live.last_packet = packet.index;
        if packet.time_us.is_some() {
            live.end_us = packet.time_us;
        }
        if seg.syn && !seg.ack {
            live.client_by_syn.get_or_insert(dir);
            live.push(dir, packet, EventKind::Syn);
        } else if seg.syn {
            live.push(dir, packet, EventKind::SynAck);
        }
        if seg.payload.is_empty() {
            self.tcp_close(live, dir, seg, packet);
        }
    }

    fn data(
        &mut self,
        live: &mut Live,
        dir: usize,
        bytes: &[u8],
        seg: &Segment<'_>,
        packet: &Packet<'_>,
    ) {
        if live.emitted {
            return;
        }
        let mut found = Vec::new();
        live.readers[dir].feed(bytes, &mut found);
        for kind in found {
            if let EventKind::Handshake { msg_type: 1, .. } = kind {
                live.client_by_hello.get_or_insert(dir);
            }
            live.push(dir, packet, kind);
        }
        // A FIN or RST carried by a data segment comes after its data.
        self.tcp_close(live, dir, seg, packet);
    }

    fn wants(&self, live: &Live, dir: usize) -> bool {
        !live.emitted && !live.readers[dir].not_tls
    }

    fn gap(&mut self, live: &mut Live, dir: usize) {
        live.gaps[dir] = true;
        live.readers[dir].not_tls = true; // nothing more can be framed
    }

    fn buffered(&self, live: &Live) -> usize {
        live.readers.iter().map(SideReader::buffered).sum()
    }

    fn close(&mut self, mut live: Live, why: Close) {
        let ending = match why {
            Close::Evicted => Ending::Evicted,
            Close::Reused => Ending::Reused,
            Close::EndOfCapture if live.finished() => Ending::Closed,
            Close::EndOfCapture => Ending::CaptureEnded,
        };
        self.emit(&mut live, ending);
    }
}

impl Conversations {
    /// Records a FIN or RST (once per side) and returns the conversation once
    /// it is over.
    fn tcp_close(&mut self, live: &mut Live, dir: usize, seg: &Segment<'_>, packet: &Packet<'_>) {
        let how = if seg.rst {
            TcpClose::Rst
        } else if seg.fin {
            TcpClose::Fin
        } else {
            return;
        };
        if live.closes[dir].is_some_and(|(h, _)| h == TcpClose::Rst || how == TcpClose::Fin) {
            return;
        }
        live.closes[dir] = Some((how, packet.index));
        let kind = match how {
            TcpClose::Fin => EventKind::Fin,
            TcpClose::Rst => EventKind::Rst,
        };
        live.push(dir, packet, kind);
        if live.finished() {
            self.emit(live, Ending::Closed);
        }
    }
}

/// One side's bytes read as TLS records (RFC 8446 §5.1).
#[derive(Default)]
struct SideReader {
    /// Bytes of the record being read (header, and the body unless it is
    /// application data, which is only measured).
    record: Vec<u8>,
    /// Body bytes of an application-data record still to skip.
    skip: usize,
    /// The plaintext records kept for analysis.
    kept: Vec<u8>,
    /// Stop keeping: past the first encrypted record, or out of room.
    keep_done: bool,
    /// A ChangeCipherSpec went by: later handshake and alert records are
    /// encrypted, unless one opens a fresh ClientHello (after a TLS 1.3
    /// HelloRetryRequest).
    after_ccs: bool,
    /// Handshake bytes of a message that spans records.
    hs: HandshakeReassembler,
    /// A handshake message was over [`super::MAX_HANDSHAKE_MESSAGE`] (the
    /// reassembler's default limit): no more are read.
    hs_failed: bool,
    /// The bytes are not TLS records.
    not_tls: bool,
    first: Vec<u8>,
    records: u32,
    keep_encrypted: bool,
    encrypted: Vec<u8>,
}

impl SideReader {
    fn new(keep_encrypted: bool) -> Self {
        Self {
            keep_encrypted,
            ..Self::default()
        }
    }

    fn buffered(&self) -> usize {
        self.record.capacity()
            + self.kept.capacity()
            + self.hs.partial_len()
            + self.first.capacity()
            + self.encrypted.capacity()
    }

    fn feed(&mut self, mut data: &[u8], out: &mut Vec<EventKind>) {
        if self.first.len() < FIRST_BYTES {
            let room = FIRST_BYTES - self.first.len();
            self.first.extend_from_slice(&data[..data.len().min(room)]);
        }
        while !data.is_empty() && !self.not_tls {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = &data[n..];
                continue;
            }
            if self.record.len() < 5 {
                let n = (5 - self.record.len()).min(data.len());
                self.record.extend_from_slice(&data[..n]);
                data = &data[n..];
                if self.record.len() == 5 && !self.header(out) {
                    return;
                }
                continue;
            }
            let len = usize::from(u16::from_be_bytes([self.record[3], self.record[4]]));
            let n = (5 + len - self.record.len()).min(data.len());
            self.record.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.record.len() == 5 + len {
                self.complete(out);
            }
        }
    }

    /// Checks a record header; application data is measured here and skipped.
    fn header(&mut self, out: &mut Vec<EventKind>) -> bool {
        let (typ, major) = (self.record[0], self.record[1]);
        let len = u16::from_be_bytes([self.record[3], self.record[4]]);
        if !(20..=24).contains(&typ) || major != 3 || usize::from(len) > MAX_RECORD {
            self.not_tls = true;
            self.record = Vec::new();
            self.hs = HandshakeReassembler::default();
            out.push(EventKind::NotTls);
            return false;
        }
        self.records = self.records.saturating_add(1);
        if typ == 23 {
            out.push(EventKind::ApplicationData {
                records: 1,
                first_len: len,
                bytes: u64::from(len),
            });
            // The kept bytes stop at the first encrypted record, so a flight
            // parser sees where the plaintext ended.
            self.keep_done = true;
            let room = self.encrypted.len() + 5 + usize::from(len) <= MAX_ENCRYPTED_BYTES;
            if !(self.keep_encrypted && room) {
                self.skip = usize::from(len);
                self.record.clear();
            }
        }
        true
    }

    fn complete(&mut self, out: &mut Vec<EventKind>) {
        let record = std::mem::take(&mut self.record);
        let typ = record[0];
        let body = &record[5..];
        let len = body.len() as u16;
        let fresh_hello = typ == 22 && !self.hs.has_partial() && body.first() == Some(&1);
        let encrypted = self.after_ccs && !fresh_hello;
        if !self.keep_done && !encrypted {
            if self.kept.len() + record.len() <= MAX_SIDE_BYTES {
                self.kept.extend_from_slice(&record);
            } else {
                self.keep_done = true;
            }
        }
        match typ {
            20 => {
                self.after_ccs = true;
                self.hs = HandshakeReassembler::default();
                out.push(EventKind::ChangeCipherSpec);
            }
            21 if !encrypted && body.len() == 2 => out.push(EventKind::Alert {
                level: body[0],
                description: body[1],
            }),
            21 => out.push(EventKind::EncryptedAlert { len }),
            22 if encrypted => {
                self.keep_done = true;
                out.push(EventKind::EncryptedHandshake { len });
            }
            22 => self.handshake(body, out),
            23 => self.encrypted.extend_from_slice(&record),
            _ => {} // heartbeat
        }
        self.record = record;
        self.record.clear();
    }

    /// Splits plaintext handshake records into messages (RFC 8446 §4).
    fn handshake(&mut self, fragment: &[u8], out: &mut Vec<EventKind>) {
        if self.hs_failed {
            return;
        }
        let pushed = self.hs.push(fragment);
        while let Some(m) = self.hs.next_message() {
            out.push(EventKind::Handshake {
                msg_type: m.typ.to_u8(),
                len: m.body.len() as u32,
            });
        }
        if let Err(e) = pushed {
            // Too long to be a hello or a certificate chain worth reading.
            if let RecordError::HandshakeTooLong { typ, len, .. } = e {
                out.push(EventKind::Handshake {
                    msg_type: typ.to_u8(),
                    len: u32::try_from(len).unwrap_or(u32::MAX),
                });
            }
            self.hs = HandshakeReassembler::default();
            self.hs_failed = true;
            self.keep_done = true;
        }
    }
}
