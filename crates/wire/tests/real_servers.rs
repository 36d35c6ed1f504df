//! Real peers: `openssl s_server` and `gnutls-serv` on 127.0.0.1 with explicit
//! protocol and cipher settings. A hello built by `ClientHelloBuilder` goes out
//! over a plain `TcpStream`, the reply is parsed by `ServerFlight`, and the
//! result must match what the server was configured to do.
//!
//! gnutls tests are skipped (with a message) only when `gnutls-serv` is absent
//! and the `CI` environment variable is unset; in CI they must run.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use wire::flight::{ServerEvent, ServerFlight};
use wire::handshake::{ClientHelloBuilder, ServerHello};
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion};

const TLS1_0: ProtocolVersion = ProtocolVersion(0x0301);
const TLS1_2: ProtocolVersion = ProtocolVersion(0x0303);
const TLS1_3: ProtocolVersion = ProtocolVersion(0x0304);
const X25519: NamedGroup = NamedGroup(0x001d);
const SECP256R1: NamedGroup = NamedGroup(0x0017);
const SECP384R1: NamedGroup = NamedGroup(0x0018);

/// A key and a self-signed certificate (PEM and DER), generated once per test
/// run and kept in memory; each server gets its own copy of the files
/// ([`Files`]), removed with it.
struct Pki {
    key_pem: Vec<u8>,
    cert_pem: Vec<u8>,
    cert_der: Vec<u8>,
}

/// An empty OpenSSL config: no distro defaults.
const OPENSSL_CONF: &str = "# explicit empty config: no distro defaults\n";

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let files = Files::new("pki");
        let (key, cert, der) = (files.key(), files.cert(), files.dir.join("cert.der"));
        run(Command::new("openssl")
            .env("OPENSSL_CONF", files.conf())
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
            ])
            .args(["-days", "2", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        run(Command::new("openssl")
            .env("OPENSSL_CONF", files.conf())
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert)
            .arg("-out")
            .arg(&der));
        Pki {
            key_pem: std::fs::read(&key).unwrap(),
            cert_pem: std::fs::read(&cert).unwrap(),
            cert_der: std::fs::read(&der).unwrap(),
        }
    })
}

/// A temporary directory with the key, the certificate (once generated) and
/// the OpenSSL config, removed on drop.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(tag: &str) -> Files {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tlsdoctor-wire-real-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("openssl.cnf"), OPENSSL_CONF).unwrap();
        Files { dir }
    }

    /// A directory holding a copy of the test PKI.
    fn with_pki() -> Files {
        let files = Files::new("server");
        let pki = pki();
        std::fs::write(files.key(), &pki.key_pem).unwrap();
        std::fs::write(files.cert(), &pki.cert_pem).unwrap();
        files
    }

    fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn conf(&self) -> PathBuf {
        self.dir.join("openssl.cnf")
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().expect("run openssl");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A free port below Linux's ephemeral range, so a readiness probe cannot
/// connect to itself (see crates/cli/tests/common/mod.rs).
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 600) as u16 * 20,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = if port >= 32_000 {
            20_000 + port % 12_000
        } else {
            port
        };
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A server child process, killed on drop (then its files are removed).
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    _files: Files,
}

impl Server {
    fn start(mut cmd: Command, port: u16, name: &str, files: Files) -> Self {
        let log = files.dir.join(format!("{name}-{port}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
            _files: files,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited early ({status}): {}", self.log_text());
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server never listened: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `hello` and parses the reply until the flight is complete, the
    /// server closes, or 5 s pass.
    fn exchange(&self, hello: &[u8]) -> Vec<ServerEvent> {
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(hello).unwrap();
        let mut flight = ServerFlight::new();
        let mut events = Vec::new();
        let mut buf = [0u8; 16384];
        let deadline = Instant::now() + Duration::from_secs(5);
        while !flight.is_complete() && Instant::now() < deadline {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    flight.push(&buf[..n]);
                    events.extend(flight.drain_events());
                }
            }
        }
        events.extend(flight.drain_events());
        events
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl_server(args: &[&str]) -> Server {
    let files = Files::with_pki();
    let port = free_port();
    let mut cmd = Command::new("openssl");
    cmd.env("OPENSSL_CONF", files.conf())
        .arg("s_server")
        .arg("-accept")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-key")
        .arg(files.key())
        .arg("-cert")
        .arg(files.cert())
        .args(["-www", "-naccept", "1000"])
        .args(args);
    Server::start(cmd, port, "openssl", files)
}

fn server_hello(events: &[ServerEvent]) -> &ServerHello {
    events
        .iter()
        .find_map(|e| match e {
            ServerEvent::ServerHello(sh) => Some(sh),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ServerHello in {events:?}"))
}

fn alert(events: &[ServerEvent]) -> u8 {
    events
        .iter()
        .find_map(|e| match e {
            ServerEvent::Alert(a) => Some(a.description.0),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no alert in {events:?}"))
}

fn certificate(events: &[ServerEvent]) -> Vec<u8> {
    events
        .iter()
        .find_map(|e| match e {
            ServerEvent::Certificate(c) => c.certificates().first().map(|c| c.to_vec()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Certificate in {events:?}"))
}

fn tls12_hello(suites: &[u16]) -> Vec<u8> {
    let suites: Vec<CipherSuite> = suites.iter().map(|&c| CipherSuite(c)).collect();
    ClientHelloBuilder::legacy(TLS1_2, &suites)
        .server_name("localhost")
        .build_record()
}

#[test]
fn openssl_tls1_0_only() {
    // (a) every suite, SECLEVEL 0, TLS 1.0 only: the server picks our first suite.
    let server = openssl_server(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let hello = ClientHelloBuilder::legacy(TLS1_0, &[CipherSuite(0x002f), CipherSuite(0xc013)])
        .build_record();
    let events = server.exchange(&hello);
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_0);
    assert_eq!(sh.selected_version().name(), Some("tls1_0"));
    assert_eq!(sh.cipher_suite, CipherSuite(0x002f));
    assert!(events
        .iter()
        .any(|e| matches!(e, ServerEvent::ServerHelloDone)));
    drop(server);

    // One configured suite: that suite, whatever order we offer.
    let server = openssl_server(&["-tls1", "-cipher", "ECDHE-RSA-AES256-SHA:@SECLEVEL=0"]);
    let hello = ClientHelloBuilder::legacy(
        TLS1_0,
        &[
            CipherSuite(0x002f),
            CipherSuite(0xc013),
            CipherSuite(0xc014),
        ],
    )
    .build_record();
    let events = server.exchange(&hello);
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_0);
    assert_eq!(sh.cipher_suite, CipherSuite(0xc014));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::ServerKeyExchange(_))),
        "{events:?}"
    );
}

#[test]
fn openssl_tls1_2_server_preference() {
    // (b) server order wins; offering only the second suite gets the second.
    let server = openssl_server(&[
        "-tls1_2",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        "-serverpref",
    ]);
    let events = server.exchange(&tls12_hello(&[0xc030, 0xc02f]));
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_2);
    assert_eq!(sh.cipher_suite, CipherSuite(0xc02f));
    assert!(sh.extended_master_secret());
    assert_eq!(sh.renegotiation_info(), Some(&[][..]));
    // The ECDHE parameters are parsed when the registry knows the suite.
    if CipherSuite(0xc02f).info().is_some() {
        let ske = events
            .iter()
            .find_map(|e| match e {
                ServerEvent::ServerKeyExchange(s) => Some(s),
                _ => None,
            })
            .expect("ServerKeyExchange");
        assert!(ske.group().is_some(), "{ske:?}");
        assert!(ske.signature_scheme().is_some(), "{ske:?}");
    }

    let events = server.exchange(&tls12_hello(&[0xc030]));
    assert_eq!(server_hello(&events).cipher_suite, CipherSuite(0xc030));
}

#[test]
fn openssl_tls1_3_groups_and_hrr() {
    // (c) key share for the only configured group → ServerHello with that group.
    let server = openssl_server(&["-tls1_3", "-groups", "secp384r1"]);
    let hello = ClientHelloBuilder::new()
        .cipher_suites([CipherSuite(0x1301), CipherSuite(0x1302)])
        .session_id(&[7; 32])
        .server_name("localhost")
        .supported_groups(&[X25519, SECP256R1, SECP384R1])
        .signature_algorithms(&[
            wire::registry::SignatureScheme(0x0804),
            wire::registry::SignatureScheme(0x0401),
        ])
        .key_share(&[X25519, SECP384R1])
        .supported_versions(&[TLS1_3]);
    let events = server.exchange(&hello.build_record());
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_3);
    assert_eq!(sh.key_share_group(), Some(SECP384R1));
    assert_eq!(sh.key_share().unwrap().key_exchange.len(), 97);
    assert!(events
        .iter()
        .any(|e| matches!(e, ServerEvent::Encrypted { .. })));

    // Key share lacks it but supported_groups has it → HelloRetryRequest.
    let hello = ClientHelloBuilder::modern(Some("localhost"));
    let parsed = hello.build();
    assert!(parsed.supported_groups().unwrap().contains(&SECP384R1));
    assert!(!parsed.key_share_groups().unwrap().contains(&SECP384R1));
    let events = server.exchange(&hello.build_record());
    let hrr = events
        .iter()
        .find_map(|e| match e {
            ServerEvent::HelloRetryRequest(h) => Some(h),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no HRR in {events:?}"));
    assert_eq!(hrr.key_share_group(), Some(SECP384R1));
    assert_eq!(hrr.selected_version(), TLS1_3);
}

#[test]
fn openssl_modern_hello_is_accepted() {
    let server = openssl_server(&[]);
    let events = server.exchange(&ClientHelloBuilder::modern(Some("localhost")).build_record());
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_3);
    assert_eq!(sh.key_share_group(), Some(X25519));
}

#[test]
fn openssl_downgrade_sentinel() {
    // A TLS 1.3-capable server negotiating TLS 1.2 marks its random (RFC 8446 §4.1.3).
    let server = openssl_server(&[]);
    let events = server.exchange(&tls12_hello(&[0xc02f]));
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_2);
    assert_eq!(
        sh.downgrade_sentinel(),
        Some(wire::handshake::DowngradeSentinel::Tls12)
    );
}

#[test]
fn openssl_certificate_matches_file() {
    // (d)
    let server = openssl_server(&["-tls1_2"]);
    let events = server.exchange(&tls12_hello(&[0xc02f, 0xc030, 0x009c]));
    assert_eq!(certificate(&events), pki().cert_der);
}

#[test]
fn openssl_alerts() {
    // (e) no common suite → handshake_failure(40).
    let server = openssl_server(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let events = server.exchange(&tls12_hello(&[0x009d]));
    assert_eq!(alert(&events), 40);
    drop(server);

    // TLS 1.2-only hello to a TLS 1.3-only server → protocol_version(70).
    let server = openssl_server(&["-tls1_3"]);
    let events = server.exchange(&tls12_hello(&[0xc02f, 0xc030]));
    assert_eq!(alert(&events), 70);
}

#[test]
fn openssl_sslv2_hello_is_not_answered_with_sslv2() {
    let server = openssl_server(&[]);
    let hello = wire::sslv2::Ssl2ClientHello::all_ciphers().build_record();
    let events = server.exchange(&hello);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::Ssl2ServerHello(_))),
        "{events:?}"
    );
}

fn gnutls_available() -> bool {
    let found = Command::new("gnutls-serv")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "gnutls-serv is required in CI (apt-get install gnutls-bin)"
        );
        eprintln!("SKIPPED: gnutls-serv not installed (apt-get install gnutls-bin)");
    }
    found
}

fn gnutls_server(priority: &str) -> Server {
    let files = Files::with_pki();
    let port = free_port();
    let mut cmd = Command::new("gnutls-serv");
    cmd.arg("--port")
        .arg(port.to_string())
        .arg("--x509keyfile")
        .arg(files.key())
        .arg("--x509certfile")
        .arg(files.cert())
        .arg(format!("--priority={priority}"))
        .args(["--echo", "--disable-client-cert", "--quiet"]);
    Server::start(cmd, port, "gnutls", files)
}

#[test]
fn gnutls_tls1_2_only() {
    // (f)
    if !gnutls_available() {
        return;
    }
    let server = gnutls_server("NORMAL:-VERS-ALL:+VERS-TLS1.2");
    let events = server.exchange(&tls12_hello(&[0xc02f]));
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_2);
    assert_eq!(sh.cipher_suite, CipherSuite(0xc02f));
    assert_eq!(certificate(&events), pki().cert_der);
    assert!(events
        .iter()
        .any(|e| matches!(e, ServerEvent::ServerHelloDone)));

    // A modern hello is answered with TLS 1.2; with TLS 1.3 disabled the
    // server writes no RFC 8446 §4.1.3 downgrade sentinel.
    let events = server.exchange(&ClientHelloBuilder::modern(Some("localhost")).build_record());
    let sh = server_hello(&events);
    assert_eq!(sh.selected_version(), TLS1_2);
    assert_eq!(sh.downgrade_sentinel(), None);

    // No common suite → handshake_failure(40).
    let events = server.exchange(&tls12_hello(&[0x0005]));
    assert_eq!(alert(&events), 40);

    // TLS 1.0-only hello → protocol_version(70).
    let hello = ClientHelloBuilder::legacy(TLS1_0, &[CipherSuite(0xc013), CipherSuite(0x002f)])
        .build_record();
    let events = server.exchange(&hello);
    assert_eq!(alert(&events), 70);
}
