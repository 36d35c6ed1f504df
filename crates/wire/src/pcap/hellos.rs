//! The hello reader's view of a stream: both directions read as TLS records,
//! every plaintext ClientHello kept, everything else dropped as soon as it is
//! clear no ClientHello follows.

use std::collections::VecDeque;

use super::file::Packet;
use super::layers::Segment;
use super::streams::{Close, Consumer};
use super::{CapturedHello, MAX_HANDSHAKE_MESSAGE, MAX_RECORD};

/// Collects the ClientHellos of every stream.
#[derive(Default)]
pub(super) struct Hellos {
    pub(super) found: VecDeque<CapturedHello>,
    /// Directions dropped because their bytes are not TLS records.
    pub(super) not_tls: u64,
}

pub(super) struct HelloState {
    index: u32,
    scanners: [HelloScanner; 2],
    hellos_seen: u32,
}

impl Consumer for Hellos {
    type State = HelloState;

    fn open(&mut self, index: u32, _: &Segment<'_>, _: &Packet<'_>) -> HelloState {
        HelloState {
            index,
            scanners: [HelloScanner::default(), HelloScanner::default()],
            hellos_seen: 0,
        }
    }

    fn data(
        &mut self,
        state: &mut HelloState,
        dir: usize,
        bytes: &[u8],
        seg: &Segment<'_>,
        packet: &Packet<'_>,
    ) {
        let scanner = &mut state.scanners[dir];
        let mut messages = Vec::new();
        scanner.feed(bytes, &mut messages);
        if scanner.ended == Some(End::NotTls) {
            scanner.ended = Some(End::Counted);
            self.not_tls += 1;
        }
        for message in messages {
            self.found.push_back(CapturedHello {
                stream: state.index,
                index_in_stream: state.hellos_seen,
                src: seg.src,
                src_port: seg.src_port,
                dst: seg.dst,
                dst_port: seg.dst_port,
                packet_index: packet.index,
                message,
            });
            state.hellos_seen += 1;
        }
    }

    fn wants(&self, state: &HelloState, dir: usize) -> bool {
        !state.scanners[dir].done
    }

    fn gap(&mut self, state: &mut HelloState, dir: usize) {
        state.scanners[dir].finish(End::Gap);
    }

    fn buffered(&self, state: &HelloState) -> usize {
        state.scanners.iter().map(HelloScanner::buffered).sum()
    }

    fn close(&mut self, _: HelloState, _: Close) {}
}

/// Reads one direction of a connection as TLS records (RFC 8446 §5.1) and
/// collects every plaintext ClientHello.
#[derive(Default)]
pub(super) struct HelloScanner {
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
    /// Not TLS, and already counted in [`Hellos::not_tls`].
    Counted,
}

impl HelloScanner {
    fn buffered(&self) -> usize {
        self.buf.capacity() + self.hs.capacity()
    }

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
