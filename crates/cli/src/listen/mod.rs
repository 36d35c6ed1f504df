//! `tlsdoctor listen`: a TLS server that records the ClientHello of whatever
//! connects, whether or not the handshake can complete.
//!
//! For every connection the listener reads the first flight itself, with
//! bounds and a timeout, and parses it with `wire` ([`sniff`]) before any TLS
//! library touches it: a TLS ClientHello, an SSL 2.0-format hello, or bytes
//! that are not TLS at all. Analysis judges the offer
//! ([`analysis::client_hello`]); then rustls gets the same bytes replayed
//! ([`replay`]) and tries to complete the handshake with a certificate from
//! the CA generated at start ([`pki`]). The listener records what happened
//! as a [`model::ListenEvent`] and [`analysis::listen`] gives the code: no
//! diagnosis is made here. A completed handshake is answered with
//! the report (HTML for browsers, JSON otherwise) and the HTTP User-Agent is
//! checked against the hello (the interception check). One
//! [`ClientHelloRecord`] per connection comes out of [`Listener::next_record`].
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use tlsdoctor::listen::{ListenConfig, Listener};
//! let mut listener = Listener::start(ListenConfig::default()).await?;
//! println!("curl --cacert {} https://localhost:{}/", listener.ca_file().display(), listener.local_addr().port());
//! while let Some(record) = listener.next_record().await {
//!     println!("{} offered {:?}: {}", record.peer, record.versions, record.handshake);
//! }
//! # Ok(()) }
//! ```
//!
//! Bounds: a hello of at most `max_hello_len` bytes within `hello_timeout`
//! (3 s by default); at most `max_waiting` connections waiting for their
//! hello (the oldest is dropped for a new one, and per client address at
//! most `max_per_peer`, its oldest dropped first), so idle and garbage
//! connections cannot keep a real client out; at most `max_connections`
//! handshakes at once, `max_per_peer` of them per address; a timeout for
//! each phase; records bounded ([`bounds`]). Nothing a client sends can make
//! it panic; the listener never connects anywhere.

mod bounds;
pub(crate) mod http;
pub mod log;
pub mod page;
mod pki;
mod replay;
pub(crate) mod sniff;
mod tls;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use analysis::client_hello::{self as judge, ClientOffer};
use anyhow::{Context as _, Result};
use model::{Bytes, ClientHelloRecord, HelloFormat, ListenEvent};
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use replay::Replay;
use sniff::{HelloSniffer, Sniffed};
use tls::TlsSide;

/// Time a client has to send its hello by default: real clients send it at
/// once; waiting longer only helps a client that holds connections open.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(3);

/// How the listener runs.
#[derive(Clone, Debug)]
pub struct ListenConfig {
    /// Address to listen on (port 0: a free port). Loopback by default.
    pub bind: SocketAddr,
    /// Directory for `ca.pem`; `None` makes a fresh one under the system temp
    /// dir, removed when the listener is dropped.
    pub dir: Option<PathBuf>,
    /// Time a client has to send its complete hello.
    pub hello_timeout: Duration,
    /// Time the TLS handshake may take after the hello.
    pub handshake_timeout: Duration,
    /// Time a client has to send its HTTP request after the handshake.
    pub request_timeout: Duration,
    /// Handshakes (and HTTP exchanges) served at once. A connection takes a
    /// slot only once its hello is complete, so idle and garbage connections
    /// never hold one.
    pub max_connections: usize,
    /// Connections still sending their hello, at most; when full, the oldest
    /// one is dropped (without a record) to make room for the new one.
    pub max_waiting: usize,
    /// Per client address: connections still sending their hello (beyond
    /// this its oldest is dropped) and handshakes at once (beyond this the
    /// new one is refused with a record saying so).
    pub max_per_peer: usize,
    /// Largest first flight (all records of the hello) accepted, in bytes.
    pub max_hello_len: usize,
    /// `--against`: the scanned server every client is judged against
    /// (`ClientHelloRecord::against`).
    pub against: Option<Arc<crate::compare::Server>>,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            dir: None,
            hello_timeout: HELLO_TIMEOUT,
            handshake_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            max_connections: 64,
            max_waiting: 1024,
            max_per_peer: 16,
            max_hello_len: 64 * 1024,
            against: None,
        }
    }
}

/// A running listener. Dropping it stops accepting, aborts every connection
/// and removes the directory it created.
pub struct Listener {
    addr: SocketAddr,
    ca_file: PathBuf,
    ca_pem: String,
    dir: PathBuf,
    remove_dir: bool,
    records: mpsc::Receiver<ClientHelloRecord>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("addr", &self.addr)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

/// What every connection task shares.
struct Shared {
    config: ListenConfig,
    tls: TlsSide,
    /// The names the certificate covers (SNI outside these is "wrong host").
    names: Vec<String>,
    records: mpsc::Sender<ClientHelloRecord>,
    /// Handshake slots (`max_connections`).
    handshakes: Arc<Semaphore>,
    peers: PeerCounts,
}

impl Listener {
    /// Generates the CA and certificates, writes `ca.pem`, binds and starts
    /// accepting.
    pub async fn start(config: ListenConfig) -> Result<Listener> {
        let (dir, remove_dir) = match &config.dir {
            Some(dir) => (dir.clone(), false),
            None => (fresh_dir(), true),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
        let started = Self::start_in(config, &dir).await;
        match started {
            Ok((addr, ca_file, ca_pem, records, task)) => Ok(Listener {
                addr,
                ca_file,
                ca_pem,
                dir,
                remove_dir,
                records,
                task,
            }),
            Err(e) => {
                if remove_dir {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                Err(e)
            }
        }
    }

    #[allow(clippy::type_complexity)]
    async fn start_in(
        config: ListenConfig,
        dir: &Path,
    ) -> Result<(
        SocketAddr,
        PathBuf,
        String,
        mpsc::Receiver<ClientHelloRecord>,
        tokio::task::JoinHandle<()>,
    )> {
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr().context("listener address")?;
        let gen_dir = dir.to_path_buf();
        let bind_ip = config.bind.ip();
        let pki = tokio::task::spawn_blocking(move || pki::generate(&gen_dir, bind_ip))
            .await
            .context("certificate generation")??;
        let tls = TlsSide::new(&pki)?;
        let (tx, rx) = mpsc::channel(1024);
        let shared = Arc::new(Shared {
            handshakes: Arc::new(Semaphore::new(config.max_connections.max(1))),
            peers: PeerCounts::default(),
            config,
            tls,
            names: pki.names.clone(),
            records: tx,
        });
        let task = tokio::spawn(accept_loop(listener, shared));
        Ok((addr, pki.ca_file, pki.ca_pem, rx, task))
    }

    /// Where the listener accepts connections.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA certificate (PEM) that issued the listener's certificates:
    /// `curl --cacert` this file.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// The contents of [`Listener::ca_file`].
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The record of the next connection to finish, in the order they finish.
    /// `None` once the listener has stopped. Connections wait (and stop being
    /// accepted once 1024 records are queued) until records are taken.
    pub async fn next_record(&mut self) -> Option<ClientHelloRecord> {
        self.records.recv().await
    }

    /// Stops accepting, aborts every connection and waits for that.
    pub async fn shutdown(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn fresh_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "tlsdoctor-listen-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A connection still waiting for its hello: the kind a flood evicts.
struct Waiting {
    peer: IpAddr,
    in_hello: Arc<AtomicBool>,
    abort: tokio::task::AbortHandle,
}

impl Waiting {
    fn live(&self) -> bool {
        self.in_hello.load(Ordering::Relaxed) && !self.abort.is_finished()
    }
}

/// Handshakes at once per client address.
#[derive(Default)]
struct PeerCounts(std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>);

/// One of a peer's handshake slots, given back on drop.
struct PeerSlot<'a> {
    counts: &'a PeerCounts,
    peer: IpAddr,
}

impl PeerCounts {
    fn take(&self, peer: IpAddr, max: usize) -> Option<PeerSlot<'_>> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(peer).or_insert(0);
        if *n >= max.max(1) {
            return None;
        }
        *n += 1;
        Some(PeerSlot { counts: self, peer })
    }
}

impl Drop for PeerSlot<'_> {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.peer);
            }
        }
    }
}

/// Accepts every connection at once (no slot is taken before the hello);
/// keeps the connections waiting for their hello under `max_waiting` and
/// `max_per_peer` by dropping the oldest. Dropping this future (abort) drops
/// the JoinSet, which aborts every connection.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut tasks = JoinSet::new();
    let mut waiting: std::collections::VecDeque<Waiting> = std::collections::VecDeque::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            // Reap finished connections while waiting.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of file descriptors and the like: make room, back off briefly.
                evict(&mut waiting, None);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Small handshake flights go out at once, not after the client's
        // delayed ACK (Nagle).
        let _ = stream.set_nodelay(true);
        waiting.retain(Waiting::live);
        let config = &shared.config;
        if waiting.iter().filter(|w| w.peer == peer.ip()).count() >= config.max_per_peer.max(1) {
            evict(&mut waiting, Some(peer.ip()));
        } else if waiting.len() >= config.max_waiting.max(1) {
            evict(&mut waiting, None);
        }
        let in_hello = Arc::new(AtomicBool::new(true));
        let task_shared = shared.clone();
        let flag = in_hello.clone();
        let abort = tasks.spawn(async move {
            let mut record = connection(stream, peer, &task_shared, &flag).await;
            bounds::bound(&mut record);
            let _ = task_shared.records.send(record).await;
        });
        waiting.push_back(Waiting {
            peer: peer.ip(),
            in_hello,
            abort,
        });
    }
}

/// Drops the oldest connection still waiting for its hello (from `peer`,
/// when given).
fn evict(waiting: &mut std::collections::VecDeque<Waiting>, peer: Option<IpAddr>) {
    let oldest = waiting
        .iter()
        .position(|w| w.live() && peer.is_none_or(|p| p == w.peer));
    if let Some(i) = oldest {
        if let Some(w) = waiting.remove(i) {
            w.abort.abort();
        }
    }
}

/// How reading the first flight ended.
enum FirstFlight {
    Sniffed(Sniffed, Vec<u8>),
    /// EOF or an error before a verdict, with what had arrived.
    Closed(Vec<u8>),
    TimedOut(Vec<u8>),
}

async fn read_first_flight(stream: &mut TcpStream, config: &ListenConfig) -> FirstFlight {
    let mut sniffer = HelloSniffer::new(config.max_hello_len);
    let deadline = tokio::time::Instant::now() + config.hello_timeout;
    // Small: a thousand connections may be waiting here at once.
    let mut buf = [0u8; 4096];
    loop {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await;
        let n = match read {
            Err(_) => return FirstFlight::TimedOut(sniffer.into_received()),
            Ok(Err(_)) | Ok(Ok(0)) => return FirstFlight::Closed(sniffer.into_received()),
            Ok(Ok(n)) => n,
        };
        match sniffer.push(&buf[..n]) {
            Sniffed::NeedMore => continue,
            verdict => return FirstFlight::Sniffed(verdict, sniffer.into_received()),
        }
    }
}

fn first_bytes(bytes: &[u8]) -> Option<Bytes> {
    (!bytes.is_empty()).then(|| Bytes(bytes[..bytes.len().min(64)].to_vec()))
}

/// Serves one connection and returns its record.
async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    in_hello: &AtomicBool,
) -> ClientHelloRecord {
    let started = Instant::now();
    let mut record = ClientHelloRecord::new(OffsetDateTime::now_utc(), peer);
    let config = &shared.config;
    // The listener records what it saw; analysis::listen judges it.
    let fail = |record: &mut ClientHelloRecord, event: ListenEvent| {
        judge_event(record, event, None, true);
    };

    let first_flight = read_first_flight(&mut stream, config).await;
    in_hello.store(false, Ordering::Relaxed);
    let (sniffed, received) = match first_flight {
        FirstFlight::Sniffed(s, r) => (s, r),
        FirstFlight::Closed(r) => {
            record.format = if r.is_empty() {
                HelloFormat::None
            } else {
                HelloFormat::Tls
            };
            record.first_bytes = first_bytes(&r);
            fail(
                &mut record,
                ListenEvent::ClosedBeforeHello {
                    bytes: r.len() as u64,
                },
            );
            record.elapsed_ms = elapsed_ms(started);
            return record;
        }
        FirstFlight::TimedOut(r) => {
            record.format = if r.is_empty() {
                HelloFormat::None
            } else {
                HelloFormat::Tls
            };
            record.first_bytes = first_bytes(&r);
            fail(
                &mut record,
                ListenEvent::HelloTimeout {
                    bytes: r.len() as u64,
                    timeout_ms: millis(config.hello_timeout),
                },
            );
            record.elapsed_ms = elapsed_ms(started);
            return record;
        }
    };

    match sniffed {
        Sniffed::NeedMore => {}
        Sniffed::NotTls => {
            record.format = HelloFormat::NotTls;
            record.first_bytes = first_bytes(&received);
            let looks_like_http = http::looks_like_http(&received);
            fail(
                &mut record,
                ListenEvent::NotTls {
                    first: analysis::text::printable_prefix(&received),
                    http: looks_like_http,
                },
            );
            if looks_like_http {
                let body = format!(
                    "This port speaks TLS. Use https://localhost:{}/ instead of http://.\n",
                    stream.local_addr().map(|a| a.port()).unwrap_or_default()
                );
                http::respond(
                    &mut stream,
                    "400 Bad Request",
                    "text/plain; charset=utf-8",
                    body.as_bytes(),
                    config.request_timeout,
                )
                .await;
            }
        }
        Sniffed::Malformed(why) => {
            record.format = HelloFormat::Tls;
            record.first_bytes = first_bytes(&received);
            fail(&mut record, ListenEvent::Malformed { why });
        }
        Sniffed::Ssl2 { hello, body } => {
            let offer = ClientOffer::from_ssl2(&hello);
            judge::fill_record(&mut record, &offer);
            judge_against(&mut record, &offer, config);
            record.record_version = Some("ssl2".into());
            record.hello = Some(Bytes(body));
            let prediction = judge::negotiate(&offer, &shared.tls.support);
            judge_event(&mut record, ListenEvent::Ssl2Hello, Some(&prediction), true);
        }
        Sniffed::Tls {
            hello,
            message,
            record_version,
        } => {
            let offer = ClientOffer::from_hello(&hello);
            judge::fill_record(&mut record, &offer);
            judge_against(&mut record, &offer, config);
            record.record_version = Some(record_version.to_string());
            let ja3 = wire::ja3::ja3(&hello);
            let ja4 = wire::ja4::ja4(&hello);
            record.ja3 = Some(ja3.hash);
            record.ja3_string = Some(ja3.string);
            record.ja4 = Some(ja4.ja4);
            record.ja4_r = Some(ja4.ja4_r);
            record.hello = Some(Bytes(message));
            // A handshake slot, only now that the hello is complete.
            let Some(_peer_slot) = shared.peers.take(peer.ip(), config.max_per_peer) else {
                fail(
                    &mut record,
                    ListenEvent::Busy {
                        why: format!(
                            "{} handshakes from this address at once already",
                            config.max_per_peer
                        ),
                    },
                );
                record.elapsed_ms = elapsed_ms(started);
                return record;
            };
            let slot = tokio::time::timeout(
                config.handshake_timeout,
                shared.handshakes.clone().acquire_owned(),
            )
            .await;
            let Ok(Ok(_slot)) = slot else {
                fail(
                    &mut record,
                    ListenEvent::Busy {
                        why: format!(
                            "no handshake slot free within {} s",
                            config.handshake_timeout.as_secs_f64()
                        ),
                    },
                );
                record.elapsed_ms = elapsed_ms(started);
                return record;
            };
            handshake(stream, received, &offer, &mut record, shared).await;
        }
    }
    record.elapsed_ms = elapsed_ms(started);
    record
}

/// Records `event` and analysis's judgement of it.
fn judge_event(
    record: &mut ClientHelloRecord,
    event: ListenEvent,
    prediction: Option<&Result<judge::Agreement, Box<analysis::mismatch::Mismatch>>>,
    sni_is_ours: bool,
) {
    let (outcome, detail) = analysis::listen::judge(
        &event,
        analysis::listen::ListenContext {
            prediction,
            sni_is_ours,
        },
    );
    record.handshake = outcome;
    record.handshake_detail.extend(detail);
    record.event = Some(event);
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// With `--against`: could this client connect to that server?
fn judge_against(record: &mut ClientHelloRecord, offer: &ClientOffer, config: &ListenConfig) {
    if let Some(server) = &config.against {
        let profile = analysis::ClientProfile::from_offer(offer);
        record.against = Some(crate::compare::judge(&profile, server));
    }
}

/// Replays the hello into rustls, completes the handshake if it can, and
/// serves the report.
async fn handshake(
    stream: TcpStream,
    received: Vec<u8>,
    offer: &ClientOffer,
    record: &mut ClientHelloRecord,
    shared: &Shared,
) {
    let config = &shared.config;
    let prediction = judge::negotiate(offer, &shared.tls.support);
    let key = prediction.as_ref().map(|a| a.key).unwrap_or(0);
    let offers_http11 = offer.alpn.iter().any(|p| p == b"http/1.1");
    let acceptor = TlsAcceptor::from(shared.tls.config_for(key, offers_http11));
    let accept = acceptor.accept(Replay::new(received, stream));
    let result = tokio::time::timeout(config.handshake_timeout, accept).await;
    let sni_is_ours = offer
        .sni
        .as_deref()
        .is_none_or(|s| shared.names.iter().any(|n| n.eq_ignore_ascii_case(s)));
    let mut tls = match result {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            let event = tls::failure_event(&error);
            judge_event(record, event, Some(&prediction), sni_is_ours);
            return;
        }
        Err(_) => {
            let event = ListenEvent::HandshakeTimeout {
                timeout_ms: millis(config.handshake_timeout),
            };
            judge_event(record, event, Some(&prediction), sni_is_ours);
            return;
        }
    };
    judge_event(
        record,
        ListenEvent::Completed,
        Some(&prediction),
        sni_is_ours,
    );
    record.negotiated = Some(tls::negotiated(tls.get_ref().1));

    let Some(request) = http::read_request(&mut tls, config.request_timeout).await else {
        return;
    };
    record.user_agent = request.user_agent.clone();
    if let Some(ua) = &request.user_agent {
        if let Some(flag) = judge::interception(offer, ua) {
            record.flags.insert(0, flag);
        }
    }
    if request.path == "/favicon.ico" {
        http::respond(
            &mut tls,
            "404 Not Found",
            "text/plain",
            b"",
            config.request_timeout,
        )
        .await;
        return;
    }
    // The page is built from the record: bounded like the log.
    bounds::bound(record);
    let (content_type, body) = if request.wants_html && !request.path.starts_with("/json") {
        ("text/html; charset=utf-8", page::html(record).into_bytes())
    } else {
        let mut json = serde_json::to_vec_pretty(record).unwrap_or_default();
        json.push(b'\n');
        ("application/json", json)
    };
    http::respond(
        &mut tls,
        "200 OK",
        content_type,
        &body,
        config.request_timeout,
    )
    .await;
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
