//! Helpers for tests against real servers: certificates (rcgen), free ports,
//! and `openssl s_server` / `gnutls-serv` children that die with the test.
#![allow(dead_code, unreachable_pub)]

pub mod clients;
pub mod recipes;
pub mod scan;
pub mod servers;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use time::OffsetDateTime;

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        // Tests of one binary run on threads side by side: the clock alone
        // gave two of them the same directory, and one's drop removed the
        // other's files.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "tlsdoctor-test-{tag}-{}-{}-{n}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "tlsdoctor tests");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let now = OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(2);
    p.not_after = now + time::Duration::days(365);
    p
}

pub fn root(cn: &str) -> Ca {
    CertifiedIssuer::self_signed(ca_params(cn), KeyPair::generate().expect("key")).expect("root")
}

pub fn intermediate(cn: &str, parent: &Ca) -> Ca {
    CertifiedIssuer::signed_by(ca_params(cn), KeyPair::generate().expect("key"), parent)
        .expect("intermediate")
}

/// A leaf for `names`, valid from `days_from`..`days_to` relative to now.
/// Returns (certificate PEM, key PEM).
pub fn leaf(names: &[&str], days_from: i64, days_to: i64, issuer: Option<&Ca>) -> (String, String) {
    leaf_with(names, days_from, days_to, issuer, None)
}

/// Like [`leaf`], with an Authority Information Access caIssuers URL, as
/// public CAs put in every leaf they issue.
pub fn leaf_with(
    names: &[&str],
    days_from: i64,
    days_to: i64,
    issuer: Option<&Ca>,
    ca_issuers_url: Option<&str>,
) -> (String, String) {
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .expect("params");
    if let Some(url) = ca_issuers_url {
        // SEQUENCE { SEQUENCE { id-ad-caIssuers, [6] URI } } (RFC 5280 §4.2.2.1)
        let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
        let mut desc = vec![0x30, (method.len() + 2 + url.len()) as u8];
        desc.extend_from_slice(&method);
        desc.extend_from_slice(&[0x86, url.len() as u8]);
        desc.extend_from_slice(url.as_bytes());
        let mut aia = vec![0x30, desc.len() as u8];
        aia.extend_from_slice(&desc);
        p.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                aia,
            ));
    }
    p.distinguished_name.push(DnType::CommonName, names[0]);
    let now = OffsetDateTime::now_utc();
    p.not_before = now + time::Duration::days(days_from);
    p.not_after = now + time::Duration::days(days_to);
    let key = KeyPair::generate().expect("key");
    let cert = match issuer {
        Some(ca) => p.signed_by(&key, ca).expect("leaf"),
        None => p.self_signed(&key).expect("self-signed"),
    };
    (cert.pem(), key.serialize_pem())
}

/// `-newkey` arguments of `openssl req` for an RSA-2048 key.
pub const OPENSSL_RSA_2048: &[&str] = &["-newkey", "rsa:2048"];
/// `-newkey` arguments of `openssl req` for an ECDSA P-256 key.
pub const OPENSSL_P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
/// `-newkey` arguments of `openssl req` for an ECDSA P-384 key.
pub const OPENSSL_P384: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"];

/// `openssl req -x509` self-signed for localhost (subjectAltName
/// DNS:localhost, valid 2 days) with the key of `key_args` (see
/// [`OPENSSL_RSA_2048`]) and extra `-addext` values, written to
/// `NAME.pem` and `NAME.key` in `dir`. Returns (certificate, key).
pub fn openssl_self_signed(
    dir: &TempDir,
    name: &str,
    key_args: &[&str],
    addext: &[String],
) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.path(&format!("{name}.pem")),
        dir.path(&format!("{name}.key")),
    );
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-x509", "-nodes", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost", "-days", "2"])
        .args(key_args);
    for ext in addext {
        cmd.args(["-addext", ext]);
    }
    let status = cmd
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(status.success(), "openssl req failed for {name}");
    (cert, key)
}

/// A port nobody listens on right now, below Linux's ephemeral range
/// (32768–60999). A port from `bind(0)` lies inside that range, and while a
/// server is still starting, `wait_for_port`'s own connection can be given
/// that port as its source and connect to itself (TCP simultaneous open):
/// the port looks ready, and the test then finds it refused.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let start = 20_000 + (std::process::id() % 600) as u16 * 20;
    let _ = NEXT.compare_exchange(0, start, Ordering::SeqCst, Ordering::SeqCst);
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

/// Waits until something accepts connections on the port.
pub fn wait_for_port(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_millis(200),
        )
        .is_ok()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early with {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} did not start");
}

/// A child process killed when the test ends.
pub struct Server {
    pub port: u16,
    pub child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server` on 127.0.0.1 with the certificate, key and extra arguments.
pub fn openssl_server(cert: &Path, key: &Path, extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-cert"])
        .arg(cert)
        .arg("-key")
        .arg(key)
        .args(["-quiet", "-naccept", "1000"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("openssl s_server starts");
    wait_for_port(port, &mut child);
    std::thread::sleep(Duration::from_millis(20));
    if let Ok(Some(status)) = child.try_wait() {
        panic!("openssl s_server on port {port} exited after its readiness probe: {status}");
    }
    Server { port, child }
}

/// Starts `gnutls-serv` when installed; `None` (test skipped) only outside CI.
pub fn gnutls_server(cert: &Path, key: &Path, extra: &[&str]) -> Option<Server> {
    if Command::new("gnutls-serv")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "gnutls-serv must be installed in CI (.ci/run installs gnutls-bin)"
        );
        eprintln!("skipped: gnutls-serv is not installed");
        return None;
    }
    let port = free_port();
    let mut child = Command::new("gnutls-serv")
        .args(["--port", &port.to_string(), "--x509certfile"])
        .arg(cert)
        .arg("--x509keyfile")
        .arg(key)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnutls-serv starts");
    wait_for_port(port, &mut child);
    Some(Server { port, child })
}

/// Starts `python3 -m http.server` (a plain-HTTP server) on 127.0.0.1.
pub fn http_server(dir: &Path) -> Server {
    let port = free_port();
    let mut child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 http.server starts");
    wait_for_port(port, &mut child);
    Server { port, child }
}

/// Diagnoses `localhost:port` on 127.0.0.1 with the given CA file, as the browser profile.
pub async fn diagnose(
    port: u16,
    ca_file: Option<&Path>,
    tweak: impl FnOnce(&mut tlsdoctor::engine::Diagnose),
) -> model::Report {
    let mut target = model::Target::new("localhost", port);
    target.connect_to = Some([127, 0, 0, 1].into());
    let ca = ca_file
        .map(|p| tlsdoctor::trust::load_certificates(p).expect("CA file"))
        .unwrap_or_default();
    let mut job = tlsdoctor::engine::Diagnose {
        target,
        context: analysis::Context {
            now: OffsetDateTime::now_utc(),
            now_overridden: false,
            client: analysis::profiles::default_profile(),
            trust: analysis::TrustStores {
                system: Vec::new(),
                ca_file: ca,
            },
            client_identity: false,
            fetch_issuers: true,
        },
        probe: probe::ProbeOptions {
            timeout: Duration::from_secs(10),
            ..Default::default()
        },
    };
    tweak(&mut job);
    let report = tlsdoctor::engine::diagnose(&job).await.0;
    if report.primary_code() != model::Code::TcpRefused {
        return report;
    }
    // Seen only in full, cold test runs: a server whose port answered the
    // readiness probe refused the diagnosis's first connections. What these
    // tests check starts after TCP, so one retry; a port nobody listens on
    // is refused again.
    eprintln!("port {port} refused the connection; retrying once");
    tokio::time::sleep(Duration::from_millis(300)).await;
    tlsdoctor::engine::diagnose(&job).await.0
}
