//! The command line: every subcommand and option (clap). The binary parses
//! with [`Cli`] and hands the command to [`crate::commands::run`];
//! `fix_commands_tests` checks every `tlsdoctor ...` line a fix can print
//! against these definitions.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "tlsdoctor",
    version,
    about = "Tells you why a TLS (SSL) handshake failed, and how to fix it.",
    after_help = "Examples:\n  tlsdoctor diagnose example.com\n  tlsdoctor diagnose https://origin.example.com:8443 --connect-to 203.0.113.7\n  tlsdoctor demo\n  tlsdoctor lab --json"
)]
pub struct Cli {
    /// Colour: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
pub enum Command {
    /// Walk the handshake step by step and explain the first failure.
    #[command(
        after_help = "Example:\n  tlsdoctor diagnose example.com\n  tlsdoctor diagnose localhost:8443 --ca-file ca.pem --json"
    )]
    Diagnose(DiagnoseArgs),
    /// Everything the server will and will not negotiate: protocols, suites, groups, certificates, features.
    #[command(
        after_help = "Example:\n  tlsdoctor scan example.com\n  tlsdoctor scan localhost:8443 --ca-file ca.pem --json"
    )]
    Scan(ScanArgs),
    /// Start the lab and diagnose every lab server (exit 0 when each gets its expected code).
    #[command(after_help = "Example:\n  tlsdoctor demo\n  tlsdoctor demo --only good,expired")]
    Demo(DemoArgs),
    /// Run the lab: local TLS servers with deliberate faults, until interrupted.
    #[command(
        after_help = "Example:\n  tlsdoctor lab\n  tlsdoctor lab --only expired,sni-required --json"
    )]
    Lab(LabArgs),
    /// Run a TLS server that records what every connecting client offers, and why its handshake fails.
    #[command(
        after_help = "Example:\n  tlsdoctor listen --port 8443\n  curl --cacert CA_FILE https://localhost:8443/\n  tlsdoctor listen --json-log clients.jsonl --count 1\n  tlsdoctor listen --against example.com"
    )]
    Listen(ListenArgs),
    /// Would this client connect to this server, and if not, why? (a profile or a captured hello)
    #[command(
        after_help = "Example:\n  tlsdoctor compare --client java-8 example.com\n  tlsdoctor compare --client-hello hello.hex localhost:8443 --ca-file ca.pem\n  tlsdoctor compare --client-hello clients.jsonl --stream 2 example.com --json\n  tlsdoctor compare --client-hello capture.pcapng example.com"
    )]
    Compare(CompareArgs),
    /// What an error message means: the likely diagnoses, ranked, and the command that confirms them.
    #[command(
        after_help = "Example:\n  tlsdoctor explain \"curl: (60) SSL certificate problem: certificate has expired\"\n  journalctl -u nginx | tlsdoctor explain -\n  tlsdoctor explain error.log --json"
    )]
    Explain(ExplainArgs),
    /// Diagnose or scan a list of endpoints, resumably, into SQLite or PostgreSQL.
    #[command(
        after_help = "Example:\n  tlsdoctor batch hosts.txt --concurrency 64 --out results.jsonl\n  tlsdoctor batch hosts.txt --depth scan --db postgres://tlsdoctor@db.internal/fleet\n  tlsdoctor batch --worker --db postgres://tlsdoctor@db.internal/fleet\n  tlsdoctor report --db tlsdoctor.db --expiring 30"
    )]
    Batch(BatchArgs),
    /// What a batch store holds: expiring certificates, grades, failures by code, changes since the previous run.
    #[command(
        after_help = "Example:\n  tlsdoctor report --db tlsdoctor.db\n  tlsdoctor report --db tlsdoctor.db --format html > fleet.html"
    )]
    Report(ReportArgs),
    /// Judge every stored result again from its observations, with this version's rules.
    #[command(after_help = "Example:\n  tlsdoctor rejudge --db tlsdoctor.db")]
    Rejudge(RejudgeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example:\n  tlsdoctor completions bash > /etc/bash_completion.d/tlsdoctor"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), generated from these same definitions.
    #[command(after_help = "Example:\n  tlsdoctor man > tlsdoctor.1 && man ./tlsdoctor.1")]
    Man,
}

/// How to reach the server and whom to trust: the same flags for every
/// command that talks to one (diagnose, scan, compare).
#[derive(Args)]
pub struct ServerArgs {
    /// Server name to send (SNI); defaults to the host when it is a name.
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub sni: Option<String>,
    /// Send no SNI at all.
    #[arg(long)]
    pub no_sni: bool,
    /// Connect to this IP address but present the target's host name (like curl --connect-to).
    #[arg(long, value_name = "IP")]
    pub connect_to: Option<IpAddr>,
    /// Ask this DNS server (IP or IP:PORT, port 53 by default) instead of the system resolver.
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    pub resolver: Option<std::net::SocketAddr>,
    /// Extra trusted root certificates (PEM).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for each network step.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,
    /// Let requests that are not to the target (the issuer certificate a
    /// certificate's AIA names) go to loopback, private, link-local and other
    /// non-public addresses even when the target is not one.
    #[arg(long)]
    pub allow_private_fetch: bool,
    /// Upgrade to TLS with STARTTLS first: smtp, lmtp, imap, pop3, ftp, xmpp,
    /// xmpp-server, ldap, postgres, mysql, nntp, sieve, irc. `auto` picks the
    /// protocol from a URL scheme (smtp://, postgres://, ...) or a well-known
    /// port (25/587, 143, 110, 21, 5222, 5269, 389, 5432, 3306, 119, 4190);
    /// `none` never upgrades.
    #[arg(long, value_name = "PROTOCOL", default_value = "auto", value_parser = parse_starttls)]
    pub starttls: StartTlsChoice,
    /// Reach the server through a proxy: http://[USER:PASSWORD@]HOST:PORT
    /// (CONNECT) or socks5://[USER:PASSWORD@]HOST:PORT (the proxy resolves
    /// the server's name).
    #[arg(long, value_name = "URL", value_parser = crate::target::parse_proxy)]
    pub proxy: Option<model::Proxy>,
}

/// `--starttls`: a protocol, or auto / none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartTlsChoice {
    Auto,
    None,
    Protocol(model::StartTls),
}

pub fn parse_starttls(text: &str) -> Result<StartTlsChoice, String> {
    match text.to_ascii_lowercase().as_str() {
        "auto" => Ok(StartTlsChoice::Auto),
        "none" | "no" | "off" => Ok(StartTlsChoice::None),
        other => model::StartTls::parse(other)
            .map(StartTlsChoice::Protocol)
            .ok_or_else(|| {
                let names: Vec<&str> = model::StartTls::ALL.iter().map(|p| p.as_str()).collect();
                format!(
                    "unknown protocol {other:?}: use auto, none or one of {}",
                    names.join(", ")
                )
            }),
    }
}

impl ServerArgs {
    /// The target as the user addressed it: host and port, SNI, address.
    pub fn target(&self, text: &str) -> Result<model::Target> {
        let (mut target, scheme) =
            crate::target::parse_target_with_scheme(text).map_err(anyhow::Error::msg)?;
        if self.no_sni {
            target.sni = None;
        } else if let Some(sni) = &self.sni {
            target.sni = Some(sni.clone());
        }
        target.connect_to = self.connect_to;
        target.transport.starttls = match (self.starttls, scheme) {
            (StartTlsChoice::Protocol(protocol), _) => Some(protocol),
            (StartTlsChoice::None, _) => None,
            (StartTlsChoice::Auto, crate::target::SchemeStartTls::Upgrade(protocol)) => {
                Some(protocol)
            }
            (StartTlsChoice::Auto, crate::target::SchemeStartTls::Plain) => None,
            (StartTlsChoice::Auto, crate::target::SchemeStartTls::NoScheme) => {
                model::StartTls::for_port(target.port)
            }
        };
        target.transport.proxy = self.proxy.clone();
        Ok(target)
    }

    /// Probe options without a client identity.
    pub fn probe_options(&self) -> Result<probe::ProbeOptions> {
        Ok(probe::ProbeOptions {
            timeout: timeout(self.timeout)?,
            resolver: self.resolver,
            allow_private_fetch: self.allow_private_fetch,
            ..Default::default()
        })
    }
}

/// A client certificate to present when the server asks.
#[derive(Args)]
pub struct IdentityArgs {
    /// Client certificate (PEM) to present when the server asks.
    #[arg(long, value_name = "PEM", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// Private key (PEM) of the client certificate.
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
}

impl IdentityArgs {
    pub fn load(&self) -> Result<Option<Arc<probe::ClientIdentity>>> {
        Ok(match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => Some(Arc::new(crate::trust::load_identity(cert, key)?)),
            _ => None,
        })
    }
}

#[derive(Args)]
pub struct DiagnoseArgs {
    /// HOST[:PORT] or a URL such as https://host:8443/ (port 443 by default).
    #[arg(required_unless_present = "replay")]
    pub target: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Behave like this client profile (a current browser by default; an unknown name lists them all).
    #[arg(long, value_name = "PROFILE", default_value = "browser")]
    pub client: String,
    /// Judge certificates as of this time (RFC 3339), instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Print the report as JSON (schema_version 2).
    #[arg(long)]
    pub json: bool,
    /// Also write the raw observations (replayable JSON) to this file.
    #[arg(long, value_name = "FILE")]
    pub save_observations: Option<PathBuf>,
    /// Never ask anyone but the server: no missing intermediate from the URL
    /// the certificate names (AIA caIssuers; browsers fetch it, strict clients
    /// do not), no OCSP responder or CRL for revocation.
    #[arg(long)]
    pub no_fetch: bool,
    /// Judge observations saved earlier with --save-observations, without
    /// touching the network (e.g. with another --now, --ca-file or --client).
    #[arg(long, value_name = "FILE", conflicts_with = "save_observations")]
    pub replay: Option<PathBuf>,
}

#[derive(Args)]
pub struct ScanArgs {
    /// HOST[:PORT] or a URL such as https://host:8443/ (port 443 by default).
    #[arg(required_unless_present = "replay")]
    pub target: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Judge certificates as of this time (RFC 3339), instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// At most this many connections to the server at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_connections: u16,
    /// Bound on the whole scan, in seconds; when it passes, the partial
    /// report is printed with what was not measured listed under `unknown`.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub deadline: f64,
    /// Exit 1 when the report meets any of these conditions
    /// (comma-separated): grade<A, vulnerable, expires<30d, incomplete.
    #[arg(long, value_name = "CONDITIONS", value_delimiter = ',')]
    pub fail_on: Vec<crate::scan::FailOn>,
    /// Print the report as JSON (schema_version 2).
    #[arg(long)]
    pub json: bool,
    /// Print only the client simulation table (with --json: only `clients`).
    #[arg(long)]
    pub clients: bool,
    /// Also write the raw observations (replayable JSON) to this file.
    #[arg(long, value_name = "FILE")]
    pub save_observations: Option<PathBuf>,
    /// Judge observations saved earlier with `scan --save-observations`,
    /// without touching the network (give the scan's --now for the same
    /// certificate verdicts).
    #[arg(long, value_name = "FILE", conflicts_with = "save_observations")]
    pub replay: Option<PathBuf>,
}

/// How deep `batch` looks at each target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Depth {
    /// One diagnosis per target (a few connections): does a browser connect, and if not, why.
    Diagnose,
    /// A full scan per target: protocols, suites, vulnerabilities, grade.
    Scan,
}

impl Depth {
    pub fn as_str(self) -> &'static str {
        match self {
            Depth::Diagnose => "diagnose",
            Depth::Scan => "scan",
        }
    }
}

#[derive(Args)]
pub struct BatchArgs {
    /// File of targets, one per line (`-` for standard input): HOST[:PORT],
    /// a URL, or HOST:PORT@IP to connect to IP; `#` comments and blank lines
    /// are skipped. Not with --worker.
    #[arg(required_unless_present = "worker", conflicts_with = "worker")]
    pub targets: Option<String>,
    /// Where runs and results are kept: a SQLite file, or a postgres:// URL
    /// shared by workers on many machines.
    #[arg(long, value_name = "PATH|URL", default_value = "tlsdoctor.db")]
    pub db: String,
    /// Diagnose each target, or scan it.
    #[arg(long, value_enum, default_value_t = Depth::Diagnose)]
    pub depth: Depth,
    /// Targets worked on at once, in all.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Targets worked on at once per host (the IP when the target gives one, else the name).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub per_host: u32,
    /// At most this many targets started per second per host (0: no limit);
    /// a host that answers like a rate limiter is slowed down further.
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub per_host_rate: f64,
    /// Also write each result as a JSON line to this file (rewritten from the
    /// store when a run resumes, so it holds each result once).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print nothing on standard output (results stay in the store).
    #[arg(long, short)]
    pub quiet: bool,
    /// Work on the store's unfinished runs (PostgreSQL queue) instead of
    /// adding a list: start any number, on any machines.
    #[arg(long)]
    pub worker: bool,
    /// Only add the list to the store as a run; `batch --worker` processes do the work.
    #[arg(long, conflicts_with = "worker")]
    pub enqueue_only: bool,
    /// Take only the targets whose position modulo N is I (e.g. `--shard 2/8`
    /// for the third of eight indexed jobs).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Seconds a claimed target stays with this process without a renewal;
    /// a killed worker's targets go back to the queue after it.
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    pub lease: f64,
    /// Seconds to wait for each network step.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub timeout: f64,
    /// Bound on each target's scan, in seconds (--depth scan).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub deadline: f64,
    /// Extra trusted root certificates (PEM).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Ask this DNS server (IP or IP:PORT, port 53 by default) instead of the system resolver.
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    pub resolver: Option<std::net::SocketAddr>,
    /// Never ask anyone but the targets (no AIA, OCSP or CRL fetches).
    #[arg(long)]
    pub no_fetch: bool,
}

pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("--shard {text:?}: use I/N, e.g. 0/4"))?;
    let i: u64 = i
        .trim()
        .parse()
        .map_err(|_| format!("--shard {text:?}: I is not a number"))?;
    let n: u64 = n
        .trim()
        .parse()
        .map_err(|_| format!("--shard {text:?}: N is not a number"))?;
    if n == 0 || i >= n {
        return Err(format!(
            "--shard {text:?}: I must be 0 to N-1 and N at least 1"
        ));
    }
    Ok((i, n))
}

/// Output formats of `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Args)]
pub struct ReportArgs {
    /// The batch store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL", default_value = "tlsdoctor.db")]
    pub db: String,
    /// The run to report (its id); the newest by default.
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// List certificates that expire within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub expiring: i64,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

#[derive(Args)]
pub struct RejudgeArgs {
    /// The batch store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL", default_value = "tlsdoctor.db")]
    pub db: String,
    /// Only this run (its id); every run by default.
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Extra trusted root certificates (PEM).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Only these lab servers (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// Seconds to wait for each network step (the silent servers take this long).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub timeout: f64,
    /// Print every report as JSON lines instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also print each server's full diagnosis.
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Args)]
pub struct LabArgs {
    /// Only these servers (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// Print the lab description as JSON first.
    #[arg(long)]
    pub json: bool,
    /// Directory for the CA and client certificate files (default: a temporary one).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct ListenArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 8443)]
    pub port: u16,
    /// Address to listen on (loopback by default; 0.0.0.0 or :: for every interface).
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Append every connection's record to this file, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub json_log: Option<PathBuf>,
    /// Rotate the JSON log (FILE -> FILE.1, replacing it) before it grows past this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..), requires = "json_log")]
    pub json_log_max_mib: u32,
    /// Exit after this many connections (for scripts and tests).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Print each record as a JSON line on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Directory for the generated CA certificate (default: a temporary one).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Seconds a client has for the handshake and for its HTTP request (the
    /// hello itself must arrive within 3 s, or this when shorter).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Handshakes served at once (connections that have not sent a complete
    /// hello do not count: at most 1024 of those wait, the oldest is dropped).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_connections: u16,
    /// Scan this server at start, and tell for every client whether it could connect to it.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub against: Option<String>,
    /// With --against: connect to this IP address but present the server's host name.
    #[arg(long, value_name = "IP", requires = "against")]
    pub connect_to: Option<IpAddr>,
    /// With --against: extra trusted root certificates (PEM) for the server's chain.
    #[arg(long, value_name = "PEM", requires = "against")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("client_source").required(true).args(["client", "client_hello"])))]
pub struct CompareArgs {
    /// HOST[:PORT] or a URL such as https://host:8443/ (port 443 by default).
    pub target: String,
    /// A client profile (`tlsdoctor scan` lists them in its client table; also browser, openssl3, tls12-only).
    #[arg(long, value_name = "PROFILE")]
    pub client: Option<String>,
    /// A captured ClientHello: hex (or raw bytes) of a handshake message or of
    /// TLS records, a pcap/pcapng, or a `listen --json-log` file (a regular
    /// file; a capture is read as a stream, up to 4 GiB, other files up to 16 MiB).
    #[arg(long, value_name = "FILE")]
    pub client_hello: Option<PathBuf>,
    /// Which hello: the TCP stream number in a pcap (Wireshark's tcp.stream),
    /// or the record (from 0) among a listen log's records with a hello.
    #[arg(long, value_name = "N", requires = "client_hello")]
    pub stream: Option<u32>,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print the answer as JSON (schema_version 2).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ExplainArgs {
    /// The error text, `-` to read it (a whole log) from standard input, or
    /// a regular file holding it (at most 4 MiB), or a packet capture (pcap
    /// or pcapng, from tcpdump or Wireshark).
    pub text: String,
    /// Print the answer as JSON (schema_version 1, docs/explain.md).
    #[arg(long)]
    pub json: bool,
    /// Capture: list every TLS connection, the completed ones too.
    #[arg(long)]
    pub all: bool,
    /// Capture: only this TCP stream (Wireshark's tcp.stream).
    #[arg(long, value_name = "N")]
    pub stream: Option<u32>,
    /// Capture: also trust the CA certificates in this PEM file when judging
    /// the certificates the capture shows.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Capture: judge certificates at this time (RFC 3339) instead of the
    /// capture's own time.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Capture: the key log the client wrote (SSLKEYLOGFILE, as curl,
    /// browsers, Node's --tls-keylog and Wireshark use it): TLS 1.3
    /// certificates, certificate requests and alerts become readable.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
}

/// `IP` or `IP:PORT` (or `[IPv6]:PORT`) of a DNS server.
pub fn parse_resolver(text: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
        return Ok(addr);
    }
    text.parse::<IpAddr>()
        .map(|ip| std::net::SocketAddr::new(ip, 53))
        .map_err(|_| format!("{text:?} is not an IP address or IP:PORT"))
}
pub fn timeout(seconds: f64) -> Result<Duration> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 600.0) {
        bail!("--timeout must be between 0 and 600 seconds");
    }
    Ok(Duration::from_secs_f64(seconds))
}
/// `--deadline SECONDS` as a bound (0 or less: none).
pub fn deadline(seconds: f64) -> Result<Option<Duration>> {
    if !seconds.is_finite() {
        anyhow::bail!("--deadline must be a number of seconds");
    }
    Ok((seconds > 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0))))
}
