//! The tlsdoctor lab: a local badssl.com on loopback.
//!
//! [`Lab::start`] generates a private PKI relative to the current clock and
//! starts named TLS servers, each on its own free loopback port and each with
//! one deliberate fault and the diagnosis code tlsdoctor must produce for it
//! ([`catalogue`]). Tests, the `demo` and `lab` commands and benchmarks start
//! it in-process:
//!
//! ```no_run
//! # async fn demo() -> Result<(), lab::LabError> {
//! let lab = lab::Lab::start(lab::LabConfig::default()).await?;
//! let expired = lab.server("expired").expect("in the catalogue");
//! println!("{} at {} should be diagnosed {}", expired.name, expired.addr, expired.expect);
//! println!("trust {}", lab.ca_file().display());
//! lab.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The lab knows nothing of the tool it tests. Every server is bounded in
//! time and bytes, and [`Lab::shutdown`] stops accept loops and aborts every
//! connection.
//!
//! Modules: [`catalogue`](crate::catalogue()) lists the servers; `pki`
//! makes the certificates; `tls` holds the rustls-based servers; `scripted`
//! the legacy servers spoken with the `wire` codec; `transport` the
//! servers that break below TLS; `serve` the shared accept loop; `http` the
//! tiny HTTP responder.
#![forbid(unsafe_code)]

mod aia;
mod catalogue;
mod dns;
mod http;
mod pki;
mod scripted;
mod serve;
mod tls;
mod transport;
mod vulnerable;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::{TlsAcceptor, TlsConnector};

pub use catalogue::{catalogue, expected_vulnerabilities, ServerSpec};
pub use dns::start_dns;

use pki::{Needs, Pki};

/// Errors starting the lab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// `LabConfig::only` named a server the catalogue does not have.
    #[error("unknown lab server `{name}` (known: {known})")]
    UnknownServer {
        /// The name as given.
        name: String,
        /// Every known name, comma-separated.
        known: String,
    },
    /// A file or socket operation failed.
    #[error("cannot {what}: {source}")]
    Io {
        /// What the lab was doing.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// rcgen could not make a key or certificate.
    #[error("cannot generate {what}: {detail}")]
    Certificate {
        /// Which key or certificate.
        what: &'static str,
        /// rcgen's message.
        detail: String,
    },
    /// The `openssl` command line (SHA-1 and RSA 1024 certificates, the
    /// revoked leaf's OCSP response) failed.
    #[error("openssl failed to {step}: {detail}")]
    Openssl {
        /// The step that failed.
        step: String,
        /// What openssl printed on stderr.
        detail: String,
    },
    /// rustls refused a configuration.
    #[error("cannot configure TLS ({what}): {detail}")]
    Tls {
        /// Which configuration.
        what: &'static str,
        /// rustls's message.
        detail: String,
    },
}

/// Which servers to start, where to put the files, which address to bind.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// Start only these servers (catalogue names); `None` starts all.
    pub only: Option<Vec<String>>,
    /// Directory for the CA file, client certificates and keys; `None` makes
    /// a fresh directory under the system temp dir, removed on shutdown.
    pub dir: Option<PathBuf>,
    /// Loopback address to bind every server to (port 0: a free port each).
    pub ip: IpAddr,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            only: None,
            dir: None,
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

/// A running lab server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// Catalogue name.
    pub name: &'static str,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The deliberate fault.
    pub fault: &'static str,
    /// The diagnosis code tlsdoctor must report.
    pub expect: &'static str,
    /// The name a client should connect to (SNI and verification) to see
    /// this server's fault: `localhost`, except for `sni-required`, where it
    /// is the bound IP address (clients send no SNI for an IP address, which
    /// is what that server refuses; with SNI `localhost` it works).
    pub host: String,
}

/// A running lab. Dropping it aborts the servers; [`Lab::shutdown`] also
/// waits for them to stop.
#[derive(Debug)]
pub struct Lab {
    servers: Vec<ServerInfo>,
    tasks: JoinSet<()>,
    dir: PathBuf,
    remove_dir: bool,
    ca_pem: String,
    files: Paths,
}

#[derive(Debug)]
struct Paths {
    ca_file: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    foreign_client_cert: PathBuf,
    foreign_client_key: PathBuf,
}

/// Servers that need the RSA 2048 leaf.
const RSA_SERVERS: [&str; 5] = [
    "tls10-only",
    "legacy-ciphers-only",
    "dh-1024",
    "legacy-vulnerable",
    "implementation-bugs",
];

impl Lab {
    /// Generates the certificates and starts the chosen servers.
    pub async fn start(config: LabConfig) -> Result<Lab, LabError> {
        let selected = select(config.only.as_deref())?;
        let wants = |name: &str| selected.iter().any(|s| s.name == name);
        let needs = Needs {
            rsa: RSA_SERVERS.iter().any(|n| wants(n)),
            sha1: wants("sha1"),
            weak_key: wants("weak-key"),
            revoked: wants("revoked"),
        };

        let (dir, remove_dir) = match config.dir {
            Some(dir) => (dir, false),
            None => (fresh_dir_name(), true),
        };
        std::fs::create_dir_all(&dir).map_err(|source| LabError::Io {
            what: format!("create lab directory {}", dir.display()),
            source,
        })?;

        let started = start_servers(&dir, needs, &selected, config.ip).await;
        match started {
            Ok((servers, tasks, pki_root_pem, files)) => Ok(Lab {
                servers,
                tasks,
                dir,
                remove_dir,
                ca_pem: pki_root_pem,
                files,
            }),
            Err(e) => {
                if remove_dir {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                Err(e)
            }
        }
    }

    /// The running servers, in catalogue order.
    pub fn servers(&self) -> &[ServerInfo] {
        &self.servers
    }

    /// The running server called `name`, if it was started.
    pub fn server(&self, name: &str) -> Option<&ServerInfo> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// The lab directory (CA file, client certificates and keys).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lab root CA in PEM: the file to pass as `--ca-file` / `curl --cacert`.
    pub fn ca_file(&self) -> &Path {
        &self.files.ca_file
    }

    /// The contents of [`Lab::ca_file`].
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A client certificate (PEM) that `client-cert-required` accepts.
    pub fn client_cert(&self) -> &Path {
        &self.files.client_cert
    }

    /// The key (PKCS#8 PEM) of [`Lab::client_cert`].
    pub fn client_key(&self) -> &Path {
        &self.files.client_key
    }

    /// A client certificate (PEM) from another CA, which `client-cert-required` rejects.
    pub fn foreign_client_cert(&self) -> &Path {
        &self.files.foreign_client_cert
    }

    /// The key (PKCS#8 PEM) of [`Lab::foreign_client_cert`].
    pub fn foreign_client_key(&self) -> &Path {
        &self.files.foreign_client_key
    }

    /// Stops every accept loop, aborts every connection, waits for them to
    /// end and removes the lab directory if the lab created it.
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        // Drop removes the directory.
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.tasks.abort_all();
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The catalogue entries `only` names (all when `None`), in catalogue order.
fn select(only: Option<&[String]>) -> Result<Vec<&'static ServerSpec>, LabError> {
    let Some(only) = only else {
        return Ok(catalogue().iter().collect());
    };
    if let Some(unknown) = only
        .iter()
        .find(|n| !catalogue().iter().any(|s| s.name == n.as_str()))
    {
        return Err(LabError::UnknownServer {
            name: unknown.clone(),
            known: catalogue()
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(catalogue()
        .iter()
        .filter(|s| only.iter().any(|n| n == s.name))
        .collect())
}

/// A directory name under the system temp dir no other lab uses.
fn fresh_dir_name() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "tlsdoctor-lab-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

type Started = (Vec<ServerInfo>, JoinSet<()>, String, Paths);

async fn start_servers(
    dir: &Path,
    needs: Needs,
    selected: &[&'static ServerSpec],
    ip: IpAddr,
) -> Result<Started, LabError> {
    // The CA's web server (AIA caIssuers): bound first, because every leaf
    // carries its URL.
    let aia_listener = bind(ip, "aia").await?;
    let aia_url = format!("http://{}/intermediate.crt", local_addr(&aia_listener)?);
    let gen_dir = dir.to_path_buf();
    let (pki, files) =
        tokio::task::spawn_blocking(move || Pki::generate(&gen_dir, needs, &aia_url))
            .await
            .map_err(|e| LabError::Certificate {
                what: "lab certificates",
                detail: e.to_string(),
            })??;
    let pki = Arc::new(pki);

    let mut tasks = JoinSet::new();
    tasks.spawn(aia::serve(aia_listener, pki.good.certs[1].to_vec()));
    let mut servers = Vec::with_capacity(selected.len());

    // The interceptor relays to `good`; start a hidden one if `good` is not chosen.
    let mut good_addr = None;
    let wants_interceptor = selected.iter().any(|s| s.name == "interceptor");
    if wants_interceptor && !selected.iter().any(|s| s.name == "good") {
        let listener = bind(ip, "good (interceptor upstream)").await?;
        good_addr = Some(local_addr(&listener)?);
        spawn_server(&mut tasks, "good", listener, &pki, None)?;
    }

    for spec in selected {
        let listener = bind(ip, spec.name).await?;
        let addr = local_addr(&listener)?;
        if spec.name == "good" {
            good_addr = Some(addr);
        }
        spawn_server(&mut tasks, spec.name, listener, &pki, good_addr)?;
        servers.push(ServerInfo {
            name: spec.name,
            addr,
            fault: spec.fault,
            expect: spec.expect,
            host: if spec.name == "sni-required" {
                ip.to_string()
            } else {
                tls::SNI_NAME.to_string()
            },
        });
    }

    let paths = Paths {
        ca_file: files.ca_file,
        client_cert: files.client_cert,
        client_key: files.client_key,
        foreign_client_cert: files.foreign_client_cert,
        foreign_client_key: files.foreign_client_key,
    };
    Ok((servers, tasks, pki.root_pem.clone(), paths))
}

async fn bind(ip: IpAddr, name: &str) -> Result<TcpListener, LabError> {
    TcpListener::bind(SocketAddr::new(ip, 0))
        .await
        .map_err(|source| LabError::Io {
            what: format!("bind {ip} for {name}"),
            source,
        })
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr, LabError> {
    listener.local_addr().map_err(|source| LabError::Io {
        what: "read a listener's address".into(),
        source,
    })
}

fn missing(what: &'static str) -> LabError {
    LabError::Certificate {
        what,
        detail: "not generated".into(),
    }
}

/// Starts the accept loop of server `name` on `listener`.
fn spawn_server(
    tasks: &mut JoinSet<()>,
    name: &'static str,
    listener: TcpListener,
    pki: &Pki,
    good_addr: Option<SocketAddr>,
) -> Result<(), LabError> {
    use rustls::version::{TLS12, TLS13};
    use serve::accept_loop;
    const BOTH: &[&rustls::SupportedProtocolVersion] = &[&TLS13, &TLS12];

    let https = |listener, chain: &pki::Chain, versions| -> Result<_, LabError> {
        let acceptor = TlsAcceptor::from(tls::server_config(chain, versions, None)?);
        Ok(accept_loop(listener, move |stream: TcpStream| {
            tls::serve_https(stream, acceptor.clone(), name)
        }))
    };

    match name {
        "good" => tasks.spawn(https(listener, &pki.good, BOTH)?),
        "tls13-only" => tasks.spawn(https(listener, &pki.good, &[&TLS13])?),
        "key-type-mismatch" => {
            let acceptor = TlsAcceptor::from(tls::rsa_suites_only_config(&pki.good)?);
            tasks.spawn(accept_loop(listener, move |stream| {
                tls::serve_https(stream, acceptor.clone(), name)
            }))
        }
        "expired" => tasks.spawn(https(listener, &pki.expired, BOTH)?),
        "not-yet-valid" => tasks.spawn(https(listener, &pki.not_yet_valid, BOTH)?),
        "wrong-host" => tasks.spawn(https(listener, &pki.wrong_host, BOTH)?),
        "self-signed" => tasks.spawn(https(listener, &pki.self_signed, BOTH)?),
        "untrusted-root" => tasks.spawn(https(listener, &pki.untrusted_root, BOTH)?),
        "incomplete-chain" => tasks.spawn(https(listener, &pki.incomplete, BOTH)?),
        "wrong-order" => tasks.spawn(https(listener, &pki.wrong_order, BOTH)?),
        "sha1" => tasks.spawn(https(
            listener,
            pki.sha1.as_ref().ok_or_else(|| missing("SHA-1 leaf"))?,
            BOTH,
        )?),
        "revoked" => {
            let (chain, ocsp) = pki
                .revoked
                .as_ref()
                .ok_or_else(|| missing("revoked leaf"))?;
            let config = tls::stapling_server_config(chain, BOTH, ocsp)?;
            let acceptor = TlsAcceptor::from(config);
            tasks.spawn(accept_loop(listener, move |stream| {
                tls::serve_https(stream, acceptor.clone(), name)
            }))
        }
        "client-cert-required" => {
            let verifier = tls::client_verifier(&pki.client_ca_der)?;
            let acceptor = TlsAcceptor::from(tls::server_config(&pki.good, BOTH, Some(verifier))?);
            tasks.spawn(accept_loop(listener, move |stream| {
                tls::serve_https(stream, acceptor.clone(), name)
            }))
        }
        "http-cert-required" => {
            let verifier = tls::optional_client_verifier(&pki.client_ca_der)?;
            let acceptor = TlsAcceptor::from(tls::server_config(&pki.good, BOTH, Some(verifier))?);
            tasks.spawn(accept_loop(listener, move |stream| {
                tls::serve_http_client_cert_required(stream, acceptor.clone())
            }))
        }
        "closed-after-handshake" => {
            let acceptor = TlsAcceptor::from(tls::server_config(&pki.good, BOTH, None)?);
            tasks.spawn(accept_loop(listener, move |stream| {
                tls::serve_closed_after_handshake(stream, acceptor.clone())
            }))
        }
        "sni-required" => {
            let config = tls::server_config(&pki.good, BOTH, None)?;
            tasks.spawn(accept_loop(listener, move |stream| {
                tls::serve_sni_required(stream, config.clone())
            }))
        }
        "interceptor" => {
            let acceptor = TlsAcceptor::from(tls::server_config(&pki.interceptor, BOTH, None)?);
            let connector = TlsConnector::from(tls::upstream_config(&pki.root_der)?);
            let upstream_name = tls::upstream_name()?;
            let upstream = good_addr.ok_or_else(|| missing("interceptor upstream"))?;
            tasks.spawn(accept_loop(listener, move |stream| {
                tls::serve_interceptor(
                    stream,
                    acceptor.clone(),
                    connector.clone(),
                    upstream,
                    upstream_name.clone(),
                )
            }))
        }
        "tls10-only" | "legacy-ciphers-only" | "dh-1024" | "weak-key" => {
            let chain = if name == "weak-key" {
                pki.weak_key
                    .as_ref()
                    .ok_or_else(|| missing("RSA 1024 leaf"))?
            } else {
                pki.rsa.as_ref().ok_or_else(|| missing("RSA 2048 leaf"))?
            };
            let server = Arc::new(scripted::Scripted::new(name, chain)?);
            tasks.spawn(accept_loop(listener, move |stream| {
                server.clone().serve(stream)
            }))
        }
        "legacy-vulnerable" | "implementation-bugs" => {
            let chain = pki.rsa.as_ref().ok_or_else(|| missing("RSA 2048 leaf"))?;
            let server = Arc::new(vulnerable::Vulnerable::new(name, chain)?);
            tasks.spawn(accept_loop(listener, move |stream| {
                server.clone().serve(stream)
            }))
        }
        "not-tls" => tasks.spawn(accept_loop(listener, transport::not_tls)),
        "garbage" => tasks.spawn(accept_loop(listener, transport::garbage)),
        "silent" => tasks.spawn(accept_loop(listener, transport::silent)),
        "reset" => tasks.spawn(accept_loop(listener, transport::reset)),
        "huge-record" => tasks.spawn(accept_loop(listener, transport::huge_record)),
        "slow-drip" => {
            let hello = scripted::drip_server_hello();
            tasks.spawn(accept_loop(listener, move |stream| {
                transport::slow_drip(stream, hello.clone())
            }))
        }
        "alert-storm" => tasks.spawn(accept_loop(listener, transport::alert_storm)),
        other => {
            return Err(LabError::UnknownServer {
                name: other.to_string(),
                known: String::new(),
            })
        }
    };
    Ok(())
}
