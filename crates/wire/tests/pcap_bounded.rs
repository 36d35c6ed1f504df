//! Issue 12 (hostile files): reading a capture takes memory independent of the
//! number of TCP streams in it. 300,000 SYN-only streams and some non-TLS ones
//! are synthesized on the fly (no file) around two real hello streams; the
//! hellos are found and the process's peak RSS (VmHWM) stays small (the
//! unbounded reader held ~100 MB for this many streams).
use std::io::Read;

use wire::pcap::{client_hellos_from, HelloReader, MAX_LIVE_STREAMS};

/// Peak resident set of this process (Linux), in bytes.
fn vm_hwm() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

const SYN_STREAMS: u32 = 300_000;

/// A raw-IPv4 (LINKTYPE_RAW) TCP packet in a pcap record.
fn record(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let total = 40 + payload.len();
    let mut ip = vec![
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
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    ip.extend_from_slice(&sport.to_be_bytes());
    ip.extend_from_slice(&dport.to_be_bytes());
    ip.extend_from_slice(&seq.to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    ip.extend_from_slice(payload);
    let mut r = Vec::with_capacity(16 + ip.len());
    r.extend_from_slice(&[0; 8]);
    r.extend_from_slice(&(ip.len() as u32).to_le_bytes());
    r.extend_from_slice(&(ip.len() as u32).to_le_bytes());
    r.extend_from_slice(&ip);
    r
}

/// A plausible ClientHello in one handshake record; `tag` marks its random.
fn hello_record(tag: u8) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[tag; 32]);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    let mut msg = vec![1, 0, 0, body.len() as u8];
    msg.extend_from_slice(&body);
    let mut rec = vec![22, 3, 1, 0, msg.len() as u8];
    rec.extend_from_slice(&msg);
    rec
}

/// Synthesizes the capture packet by packet, as a `Read`.
struct Synth {
    next: u32,
    out: Vec<u8>,
    at: usize,
}

const CLIENT: [u8; 4] = [192, 0, 2, 1];
const SERVER: [u8; 4] = [198, 51, 100, 1];

impl Synth {
    fn packet(&self, n: u32) -> Option<Vec<u8>> {
        let syn_host = |i: u32| [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        Some(match n {
            // A hello stream whose SYN comes first and whose data comes last:
            // by then it has been evicted and is picked up mid-way.
            0 => record(CLIENT, 40000, SERVER, 443, 1000, 0x02, &[]),
            n if n <= SYN_STREAMS => {
                let i = n - 1;
                if i % 1000 == 0 {
                    // Some streams carry plain HTTP: dropped on their first bytes.
                    record(
                        syn_host(i),
                        50000,
                        SERVER,
                        80,
                        7,
                        0x18,
                        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                    )
                } else {
                    record(syn_host(i), 50000, SERVER, 443, 7, 0x02, &[])
                }
            }
            n if n == SYN_STREAMS + 1 => {
                record(CLIENT, 40000, SERVER, 443, 1001, 0x18, &hello_record(0xaa))
            }
            // A complete fresh stream: SYN, then its hello in two segments sent
            // out of order, with a retransmission.
            n if n == SYN_STREAMS + 2 => record(CLIENT, 40001, SERVER, 443, 5000, 0x02, &[]),
            n if n <= SYN_STREAMS + 5 => {
                let h = hello_record(0xbb);
                let (a, b) = h.split_at(20);
                match n - SYN_STREAMS {
                    3 => record(CLIENT, 40001, SERVER, 443, 5021, 0x18, b),
                    4 => record(CLIENT, 40001, SERVER, 443, 5021, 0x18, b),
                    _ => record(CLIENT, 40001, SERVER, 443, 5001, 0x18, a),
                }
            }
            _ => return None,
        })
    }
}

impl Read for Synth {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.out.len() {
            self.out.clear();
            self.at = 0;
            if self.next == 0 {
                // pcap header: little-endian, microseconds, LINKTYPE_RAW.
                self.out
                    .extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
                self.out.extend_from_slice(&[0; 8]);
                self.out.extend_from_slice(&65535u32.to_le_bytes());
                self.out.extend_from_slice(&101u32.to_le_bytes());
            }
            match self.packet(self.next) {
                Some(p) => self.out.extend_from_slice(&p),
                None if self.out.is_empty() => return Ok(0),
                None => {}
            }
            self.next += 1;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn memory_does_not_grow_with_the_number_of_streams() {
    let synth = Synth {
        next: 0,
        out: Vec::new(),
        at: 0,
    };
    let (hellos, stats) = client_hellos_from(std::io::BufReader::new(synth)).unwrap();
    let peak = vm_hwm();
    eprintln!("peak RSS (VmHWM): {peak:?} bytes; {stats:?}");

    let randoms: Vec<u8> = hellos.iter().map(|h| h.message[6]).collect();
    assert_eq!(
        randoms,
        [0xaa, 0xbb],
        "both hellos found, in completion order"
    );
    assert_eq!((hellos[0].src_port, hellos[1].src_port), (40000, 40001));
    assert_eq!(stats.packets, u64::from(SYN_STREAMS) + 6);
    assert_eq!(stats.not_tls, u64::from(SYN_STREAMS / 1000));
    assert!(
        stats.evicted >= u64::from(SYN_STREAMS) - MAX_LIVE_STREAMS as u64,
        "{stats:?}"
    );
    assert_eq!(stats.evicted_with_data, 0, "{stats:?}");
    // 4,096 live streams of a few hundred bytes each, plus the test harness.
    if let Some(peak) = peak {
        assert!(peak < 40 * 1024 * 1024, "peak RSS {peak} bytes");
    }
}

#[test]
fn the_iterator_stops_at_the_first_hello_without_reading_on() {
    let mut r = HelloReader::new(Synth {
        next: 0,
        out: Vec::new(),
        at: 0,
    })
    .unwrap();
    let first = r.next().unwrap().unwrap();
    assert_eq!(first.message[6], 0xaa);
    assert_eq!(r.stats().packets, u64::from(SYN_STREAMS) + 2);
}
