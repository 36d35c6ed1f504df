//! TCP streams: which packets belong together, and each direction's bytes in
//! order. What is done with the bytes is the [`Consumer`]'s business (the
//! hello reader keeps only ClientHellos, the conversation reader both sides'
//! records), so both readers number streams and bound memory the same way.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::file::Packet;
use super::layers::{link_payload, tcp_segment, Segment};
use super::{CaptureStats, MAX_BUFFERED_TOTAL, MAX_LIVE_STREAMS, MAX_PENDING_BYTES};

pub(super) type Endpoint = (IpAddr, u16);
type Key = (Endpoint, Endpoint);

/// Why a stream stops being tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Close {
    /// Forgotten to stay within [`MAX_LIVE_STREAMS`] or [`MAX_BUFFERED_TOTAL`].
    Evicted,
    /// A new connection reused the same addresses and ports.
    Reused,
    /// The capture ended.
    EndOfCapture,
}

/// What a reader does with each stream's packets and bytes.
pub(super) trait Consumer {
    /// What the reader keeps per stream.
    type State;
    /// A stream begins with this segment (its first packet in the capture).
    fn open(&mut self, index: u32, seg: &Segment<'_>, packet: &Packet<'_>) -> Self::State;
    /// Every segment of the stream, before its bytes are delivered; `dir` is
    /// 0 for the lower endpoint of the pair, 1 for the other.
    fn segment(
        &mut self,
        _state: &mut Self::State,
        _dir: usize,
        _seg: &Segment<'_>,
        _packet: &Packet<'_>,
    ) {
    }
    /// The next bytes of direction `dir`, in sequence order, each delivered once.
    fn data(
        &mut self,
        state: &mut Self::State,
        dir: usize,
        bytes: &[u8],
        seg: &Segment<'_>,
        packet: &Packet<'_>,
    );
    /// False once the direction's bytes are of no more use: its reassembly
    /// stops and its buffers are freed.
    fn wants(&self, state: &Self::State, dir: usize) -> bool;
    /// The direction lost bytes for good (a gap larger than [`MAX_PENDING_BYTES`]).
    fn gap(&mut self, state: &mut Self::State, dir: usize);
    /// Bytes the state holds, counted against [`MAX_BUFFERED_TOTAL`].
    fn buffered(&self, state: &Self::State) -> usize;
    /// The stream is no longer tracked.
    fn close(&mut self, state: Self::State, why: Close);
}

/// Follows every TCP stream of a capture and hands their bytes to `C`.
pub(super) struct Tracker<C: Consumer> {
    /// Conversation (endpoint pair, lower endpoint first) → its current stream.
    live: HashMap<Key, Stream<C::State>>,
    /// Last activity stamp → conversation, to evict the least recently active.
    lru: BTreeMap<u64, Key>,
    stamp: u64,
    next_index: u32,
    /// Bytes held by all live streams' buffers.
    buffered: usize,
    pub(super) stats: CaptureStats,
    pub(super) consumer: C,
}

struct Stream<S> {
    index: u32,
    /// `dirs[0]` carries data from the lower endpoint of the pair.
    dirs: [Direction; 2],
    closing: bool,
    stamp: u64,
    state: S,
}

impl<C: Consumer> Tracker<C> {
    pub(super) fn new(consumer: C) -> Self {
        Self {
            live: HashMap::new(),
            lru: BTreeMap::new(),
            stamp: 0,
            next_index: 0,
            buffered: 0,
            stats: CaptureStats::default(),
            consumer,
        }
    }

    fn held(&self, stream: &Stream<C::State>) -> usize {
        stream.dirs[0].pending_bytes
            + stream.dirs[1].pending_bytes
            + self.consumer.buffered(&stream.state)
    }

    fn new_stream(&mut self, key: Key, seg: &Segment<'_>, packet: &Packet<'_>) {
        while self.live.len() >= MAX_LIVE_STREAMS {
            if !self.evict_oldest(None) {
                break;
            }
        }
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        self.stats.streams += 1;
        let state = self.consumer.open(index, seg, packet);
        let old = self.live.insert(
            key,
            Stream {
                index,
                dirs: [Direction::default(), Direction::default()],
                closing: false,
                stamp: 0,
                state,
            },
        );
        if let Some(old) = old {
            self.lru.remove(&old.stamp);
            self.buffered -= self.held(&old);
            self.consumer.close(old.state, Close::Reused);
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
            let held = self.held(&old);
            self.buffered -= held;
            self.stats.evicted += 1;
            if held > 0 {
                self.stats.evicted_with_data += 1;
            }
            self.consumer.close(old.state, Close::Evicted);
        }
        true
    }

    /// Closes every stream still tracked, in the order they began.
    pub(super) fn end(&mut self) {
        let mut streams: Vec<Stream<C::State>> = self.live.drain().map(|(_, s)| s).collect();
        streams.sort_by_key(|s| s.index);
        self.lru.clear();
        self.buffered = 0;
        for s in streams {
            self.consumer.close(s.state, Close::EndOfCapture);
        }
    }

    pub(super) fn packet(&mut self, packet: &Packet<'_>) {
        self.stats.packets += 1;
        let Some(seg) = link_payload(packet.link, packet.data).and_then(tcp_segment) else {
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
            self.new_stream(key, &seg, packet);
        }
        self.stamp += 1;
        let stamp = self.stamp;
        // Borrow the fields apart: the stream stays in the map (moving it out
        // and back costs a copy of its state per packet).
        let Self {
            live,
            lru,
            consumer,
            stats,
            buffered,
            ..
        } = self;
        let Some(stream) = live.get_mut(&key) else {
            return;
        };
        lru.remove(&stream.stamp);
        stream.stamp = stamp;
        lru.insert(stamp, key);
        if seg.fin || seg.rst {
            stream.closing = true;
        }
        let held = |stream: &Stream<C::State>, consumer: &C| {
            stream.dirs[0].pending_bytes
                + stream.dirs[1].pending_bytes
                + consumer.buffered(&stream.state)
        };
        let before = held(stream, consumer);
        consumer.segment(&mut stream.state, dir, &seg, packet);
        let wants = consumer.wants(&stream.state, dir);
        let state = &mut stream.state;
        let gap = stream.dirs[dir].segment(&seg, wants, &mut |bytes| {
            consumer.data(state, dir, bytes, &seg, packet);
            consumer.wants(state, dir)
        });
        if gap {
            stats.gaps += 1;
            consumer.gap(&mut stream.state, dir);
        }
        if !consumer.wants(&stream.state, dir) {
            stream.dirs[dir].release();
        }
        let after = held(stream, consumer);
        *buffered = *buffered - before + after;
        while self.buffered > MAX_BUFFERED_TOTAL {
            if !self.evict_oldest(Some(&key)) {
                break;
            }
        }
    }
}

/// One direction of a TCP connection: in-order reassembly by sequence number
/// (retransmissions and overlaps trimmed, out-of-order segments held back).
#[derive(Default)]
struct Direction {
    isn: Option<u32>,
    /// The sequence number of the next byte expected, once known.
    next_seq: Option<u32>,
    /// Segments ahead of `next_seq`, keyed by their sequence number.
    pending: BTreeMap<u32, Vec<u8>>,
    pending_bytes: usize,
    /// A gap was never filled: nothing more is delivered.
    broken: bool,
}

impl Direction {
    fn release(&mut self) {
        self.pending = BTreeMap::new();
        self.pending_bytes = 0;
    }

    /// Takes one segment; delivers what became contiguous to `deliver`, which
    /// answers whether it wants more. True when the direction just broke on a
    /// gap too large to hold.
    fn segment(
        &mut self,
        seg: &Segment<'_>,
        wants: bool,
        deliver: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        if seg.syn {
            self.isn = Some(seg.seq);
            if self.next_seq.is_none() {
                self.next_seq = Some(seg.seq.wrapping_add(1));
            }
        }
        if !wants || self.broken || seg.payload.is_empty() {
            return false;
        }
        // Data carried by a SYN (TCP Fast Open) starts after the SYN's own number.
        let seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let payload = seg.payload;
        let next = *self.next_seq.get_or_insert(seq);
        // Wrapping distance: negative means (partly) old data.
        let rel = seq.wrapping_sub(next) as i32;
        if rel <= 0 {
            let skip = rel.unsigned_abs() as usize;
            if skip >= payload.len() {
                return false; // pure retransmission
            }
            if self.deliver(&payload[skip..], deliver) {
                self.drain(deliver);
            }
            false
        } else if self.pending_bytes + payload.len() <= MAX_PENDING_BYTES {
            let entry = self.pending.entry(seq).or_default();
            if payload.len() > entry.len() {
                self.pending_bytes += payload.len() - entry.len();
                *entry = payload.to_vec();
            }
            false
        } else {
            // Too much out-of-order data: a gap we will never see filled.
            self.broken = true;
            self.release();
            true
        }
    }

    fn deliver(&mut self, data: &[u8], deliver: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        if let Some(n) = &mut self.next_seq {
            *n = n.wrapping_add(data.len() as u32);
        }
        deliver(data)
    }

    /// Delivers held-back segments that have become contiguous.
    fn drain(&mut self, deliver: &mut dyn FnMut(&[u8]) -> bool) {
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
            if skip < data.len() && !self.deliver(&data[skip..], deliver) {
                return;
            }
        }
    }
}
