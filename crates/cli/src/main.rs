//! The `tlsdoctor` binary: argument parsing only. All work is in the library.

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use time::OffsetDateTime;
use tlsdoctor::engine::{self, Diagnose};
use tlsdoctor::render::{self, Style};

#[derive(Parser)]
#[command(
    name = "tlsdoctor",
    version,
    about = "Tells you why a TLS (SSL) handshake failed, and how to fix it.",
    after_help = "Examples:\n  tlsdoctor diagnose example.com\n  tlsdoctor diagnose https://origin.example.com:8443 --connect-to 203.0.113.7\n  tlsdoctor demo\n  tlsdoctor lab --json"
)]
struct Cli {
    /// Colour: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
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
struct ServerArgs {
    /// Server name to send (SNI); defaults to the host when it is a name.
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    sni: Option<String>,
    /// Send no SNI at all.
    #[arg(long)]
    no_sni: bool,
    /// Connect to this IP address but present the target's host name (like curl --connect-to).
    #[arg(long, value_name = "IP")]
    connect_to: Option<IpAddr>,
    /// Ask this DNS server (IP or IP:PORT, port 53 by default) instead of the system resolver.
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    resolver: Option<std::net::SocketAddr>,
    /// Extra trusted root certificates (PEM).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Seconds to wait for each network step.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    timeout: f64,
    /// Let requests that are not to the target (the issuer certificate a
    /// certificate's AIA names) go to loopback, private, link-local and other
    /// non-public addresses even when the target is not one.
    #[arg(long)]
    allow_private_fetch: bool,
}

impl ServerArgs {
    /// The target as the user addressed it: host and port, SNI, address.
    fn target(&self, text: &str) -> Result<model::Target> {
        let mut target = tlsdoctor::target::parse_target(text).map_err(anyhow::Error::msg)?;
        if self.no_sni {
            target.sni = None;
        } else if let Some(sni) = &self.sni {
            target.sni = Some(sni.clone());
        }
        target.connect_to = self.connect_to;
        Ok(target)
    }

    /// Probe options without a client identity.
    fn probe_options(&self) -> Result<probe::ProbeOptions> {
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
struct IdentityArgs {
    /// Client certificate (PEM) to present when the server asks.
    #[arg(long, value_name = "PEM", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// Private key (PEM) of the client certificate.
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    client_key: Option<PathBuf>,
}

impl IdentityArgs {
    fn load(&self) -> Result<Option<Arc<probe::ClientIdentity>>> {
        Ok(match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => Some(Arc::new(tlsdoctor::trust::load_identity(cert, key)?)),
            _ => None,
        })
    }
}

#[derive(Args)]
struct DiagnoseArgs {
    /// HOST[:PORT] or a URL such as https://host:8443/ (port 443 by default).
    #[arg(required_unless_present = "replay")]
    target: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Behave like this client profile (a current browser by default; an unknown name lists them all).
    #[arg(long, value_name = "PROFILE", default_value = "browser")]
    client: String,
    /// Judge certificates as of this time (RFC 3339), instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Print the report as JSON (schema_version 2).
    #[arg(long)]
    json: bool,
    /// Also write the raw observations (replayable JSON) to this file.
    #[arg(long, value_name = "FILE")]
    save_observations: Option<PathBuf>,
    /// Never fetch a missing intermediate from the URL the certificate names
    /// (AIA caIssuers); browsers do fetch, strict clients do not.
    #[arg(long)]
    no_fetch: bool,
    /// Judge observations saved earlier with --save-observations, without
    /// touching the network (e.g. with another --now, --ca-file or --client).
    #[arg(long, value_name = "FILE", conflicts_with = "save_observations")]
    replay: Option<PathBuf>,
}

#[derive(Args)]
struct ScanArgs {
    /// HOST[:PORT] or a URL such as https://host:8443/ (port 443 by default).
    #[arg(required_unless_present = "replay")]
    target: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Judge certificates as of this time (RFC 3339), instead of the clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// At most this many connections to the server at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    max_connections: u16,
    /// Bound on the whole scan, in seconds; when it passes, the partial
    /// report is printed with what was not measured listed under `unknown`.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    deadline: f64,
    /// Exit 1 when the report meets any of these conditions
    /// (comma-separated): grade<A, vulnerable, expires<30d, incomplete.
    #[arg(long, value_name = "CONDITIONS", value_delimiter = ',')]
    fail_on: Vec<tlsdoctor::scan::FailOn>,
    /// Print the report as JSON (schema_version 2).
    #[arg(long)]
    json: bool,
    /// Print only the client simulation table (with --json: only `clients`).
    #[arg(long)]
    clients: bool,
    /// Also write the raw observations (replayable JSON) to this file.
    #[arg(long, value_name = "FILE")]
    save_observations: Option<PathBuf>,
    /// Judge observations saved earlier with `scan --save-observations`,
    /// without touching the network (give the scan's --now for the same
    /// certificate verdicts).
    #[arg(long, value_name = "FILE", conflicts_with = "save_observations")]
    replay: Option<PathBuf>,
}

#[derive(Args)]
struct DemoArgs {
    /// Only these lab servers (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
    /// Seconds to wait for each network step (the silent servers take this long).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    timeout: f64,
    /// Print every report as JSON lines instead of the table.
    #[arg(long)]
    json: bool,
    /// Also print each server's full diagnosis.
    #[arg(long)]
    verbose: bool,
}

#[derive(Args)]
struct LabArgs {
    /// Only these servers (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
    /// Print the lab description as JSON first.
    #[arg(long)]
    json: bool,
    /// Directory for the CA and client certificate files (default: a temporary one).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct ListenArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 8443)]
    port: u16,
    /// Address to listen on (loopback by default; 0.0.0.0 or :: for every interface).
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Append every connection's record to this file, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    json_log: Option<PathBuf>,
    /// Rotate the JSON log (FILE -> FILE.1, replacing it) before it grows past this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..), requires = "json_log")]
    json_log_max_mib: u32,
    /// Exit after this many connections (for scripts and tests).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Print each record as a JSON line on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Directory for the generated CA certificate (default: a temporary one).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Seconds a client has for the handshake and for its HTTP request (the
    /// hello itself must arrive within 3 s, or this when shorter).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Handshakes served at once (connections that have not sent a complete
    /// hello do not count: at most 1024 of those wait, the oldest is dropped).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    max_connections: u16,
    /// Scan this server at start, and tell for every client whether it could connect to it.
    #[arg(long, value_name = "HOST[:PORT]")]
    against: Option<String>,
    /// With --against: connect to this IP address but present the server's host name.
    #[arg(long, value_name = "IP", requires = "against")]
    connect_to: Option<IpAddr>,
    /// With --against: extra trusted root certificates (PEM) for the server's chain.
    #[arg(long, value_name = "PEM", requires = "against")]
    ca_file: Option<PathBuf>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("client_source").required(true).args(["client", "client_hello"])))]
struct CompareArgs {
    /// HOST[:PORT] or a URL such as https://host:8443/ (port 443 by default).
    target: String,
    /// A client profile (`tlsdoctor scan` lists them in its client table; also browser, openssl3, tls12-only).
    #[arg(long, value_name = "PROFILE")]
    client: Option<String>,
    /// A captured ClientHello: hex (or raw bytes) of a handshake message or of
    /// TLS records, a pcap/pcapng, or a `listen --json-log` file (a regular
    /// file; a capture is read as a stream, up to 4 GiB, other files up to 16 MiB).
    #[arg(long, value_name = "FILE")]
    client_hello: Option<PathBuf>,
    /// Which hello: the TCP stream number in a pcap (Wireshark's tcp.stream),
    /// or the record (from 0) among a listen log's records with a hello.
    #[arg(long, value_name = "N", requires = "client_hello")]
    stream: Option<u32>,
    #[command(flatten)]
    server: ServerArgs,
    /// Print the answer as JSON (schema_version 2).
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = Style {
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tlsdoctor: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // Ctrl-C ends every command the same way: the command's future is
    // dropped (a lab or listener removes its temporary directory with its
    // private keys on drop), a message goes to stderr, and the exit code is
    // 130 (128 + SIGINT), as shells report an interrupted program.
    let result = runtime.block_on(async {
        tokio::select! {
            result = run(cli.command, style) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    // Do not wait for blocking work (a child process, an RSA encryption)
    // a dropped command left behind.
    runtime.shutdown_timeout(Duration::from_millis(500));
    let Some(result) = result else {
        eprintln!("tlsdoctor: interrupted");
        return ExitCode::from(130);
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tlsdoctor: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs one command.
async fn run(command: Command, style: Style) -> Result<ExitCode> {
    match command {
        Command::Diagnose(args) => diagnose(args, style).await,
        Command::Scan(args) => scan(args, style).await,
        Command::Demo(args) => demo(args, style).await,
        Command::Lab(args) => lab(args).await,
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "tlsdoctor", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command).render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Listen(args) => listen(args, style).await,
        Command::Compare(args) => compare(args, style).await,
    }
}

/// `IP` or `IP:PORT` (or `[IPv6]:PORT`) of a DNS server.
fn parse_resolver(text: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
        return Ok(addr);
    }
    text.parse::<IpAddr>()
        .map(|ip| std::net::SocketAddr::new(ip, 53))
        .map_err(|_| format!("{text:?} is not an IP address or IP:PORT"))
}

fn timeout(seconds: f64) -> Result<Duration> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 600.0) {
        bail!("--timeout must be between 0 and 600 seconds");
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn context(
    client: &str,
    now: Option<&str>,
    ca_file: Option<&PathBuf>,
) -> Result<analysis::Context> {
    let client = analysis::profiles::by_name(client).with_context(|| {
        let names: Vec<&str> = analysis::profiles::all().iter().map(|p| p.name).collect();
        format!(
            "unknown client profile {client:?}; choose one of: {}",
            names.join(", ")
        )
    })?;
    let (now, now_overridden) = match now {
        Some(text) => (
            OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .with_context(|| {
                    format!("--now {text:?} is not an RFC 3339 time such as 2030-01-01T00:00:00Z")
                })?,
            true,
        ),
        None => (OffsetDateTime::now_utc(), false),
    };
    let ca_file = match ca_file {
        Some(path) => tlsdoctor::trust::load_certificates(path)?,
        None => Vec::new(),
    };
    Ok(analysis::Context {
        now,
        now_overridden,
        client,
        trust: analysis::TrustStores {
            system: tlsdoctor::trust::system_roots(),
            ca_file,
        },
        client_identity: false,
        fetch_issuers: true,
    })
}

async fn diagnose(args: DiagnoseArgs, style: Style) -> Result<ExitCode> {
    let mut context = context(
        &args.client,
        args.now.as_deref(),
        args.server.ca_file.as_ref(),
    )?;
    context.fetch_issuers = !args.no_fetch;
    if let Some(path) = &args.replay {
        let text = tlsdoctor::input::read_bounded(path, tlsdoctor::input::MAX_FILE)?;
        let observations: model::Observations = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a tlsdoctor observations file", path.display()))?;
        let report = analysis::judge(&observations, &context);
        return print_diagnosis(&report, args.json, style);
    }
    let target = args
        .server
        .target(args.target.as_deref().unwrap_or_default())?;
    let identity = args.identity.load()?;
    context.client_identity = identity.is_some();
    let job = Diagnose {
        target,
        context,
        probe: probe::ProbeOptions {
            client_identity: identity,
            ..args.server.probe_options()?
        },
    };
    let (report, observations) = engine::diagnose(&job).await;
    save_observations(args.save_observations.as_deref(), &observations)?;
    print_diagnosis(&report, args.json, style)
}

/// Writes the raw observations (`--save-observations`), replayable JSON.
fn save_observations(
    path: Option<&std::path::Path>,
    observations: &model::Observations,
) -> Result<()> {
    if let Some(path) = path {
        std::fs::write(path, serde_json::to_vec_pretty(observations)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Prints a diagnosis and turns its verdict into the exit code.
fn print_diagnosis(report: &model::Report, json: bool, style: Style) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, report)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", render::terminal::diagnosis(report, style))?;
    }
    Ok(match report.verdict {
        model::Verdict::Failed => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

async fn scan(args: ScanArgs, style: Style) -> Result<ExitCode> {
    let base = context("browser", args.now.as_deref(), args.server.ca_file.as_ref())?;
    let identity = args.identity.load()?;
    if let Some(path) = &args.replay {
        let text = tlsdoctor::input::read_bounded(path, tlsdoctor::input::MAX_FILE)?;
        let observations: model::Observations = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a tlsdoctor observations file", path.display()))?;
        let context = analysis::scan::ScanContext {
            now: base.now,
            trust: base.trust,
            client_identity: identity.is_some(),
        };
        let report = tlsdoctor::scan::judge(&observations, &context);
        return print_scan(&report, &args, base.now, style);
    }
    let target = args
        .server
        .target(args.target.as_deref().unwrap_or_default())?;
    let job = tlsdoctor::scan::Scan {
        target,
        context: analysis::scan::ScanContext {
            now: base.now,
            trust: base.trust,
            client_identity: identity.is_some(),
        },
        probe: probe::ProbeOptions {
            max_connections: usize::from(args.max_connections),
            client_identity: identity,
            ..args.server.probe_options()?
        },
        deadline: deadline(args.deadline)?,
    };
    let now = job.context.now;
    let (report, observations) = tlsdoctor::scan::scan(&job).await;
    save_observations(args.save_observations.as_deref(), &observations)?;
    print_scan(&report, &args, now, style)
}

/// Prints a scan report and turns it and `--fail-on` into the exit code.
fn print_scan(
    report: &model::ScanReport,
    args: &ScanArgs,
    now: OffsetDateTime,
    style: Style,
) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    if args.json && args.clients {
        serde_json::to_writer_pretty(&mut stdout, &report.clients)?;
        writeln!(stdout)?;
    } else if args.json {
        serde_json::to_writer_pretty(&mut stdout, report)?;
        writeln!(stdout)?;
    } else if args.clients {
        write!(stdout, "{}", render::scan::clients(report, style))?;
    } else {
        write!(stdout, "{}", render::scan::scan(report, style))?;
    }
    if !tlsdoctor::scan::scanned(report) {
        let why = if report.incomplete.iter().any(|n| n.contains("--deadline")) {
            "the deadline passed before any TLS or SSL hello got a ServerHello"
        } else {
            "no TLS or SSL handshake got a ServerHello"
        };
        eprintln!("tlsdoctor: the target could not be scanned ({why})");
        return Ok(ExitCode::from(1));
    }
    let failed = tlsdoctor::scan::failed_conditions(report, &args.fail_on, now);
    if !failed.is_empty() {
        eprintln!("tlsdoctor: --fail-on: {}", failed.join("; "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--deadline SECONDS` as a bound (0 or less: none).
fn deadline(seconds: f64) -> Result<Option<Duration>> {
    if !seconds.is_finite() {
        anyhow::bail!("--deadline must be a number of seconds");
    }
    Ok((seconds > 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0))))
}

async fn demo(args: DemoArgs, style: Style) -> Result<ExitCode> {
    let context = context("browser", None, None)?;
    let options = tlsdoctor::demo::DemoOptions {
        timeout: timeout(args.timeout)?,
        only: args.only,
    };
    eprintln!(
        "Starting the lab and diagnosing every server (this takes about {} s)...",
        args.timeout.ceil()
    );
    let rows = tlsdoctor::demo::run(&options, &context).await?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for row in &rows {
            serde_json::to_writer(
                &mut stdout,
                &serde_json::json!({
                    "server": row.server, "fault": row.fault, "expect": row.expect,
                    "passed": row.passed(), "report": row.report,
                }),
            )?;
            writeln!(stdout)?;
        }
    } else {
        if args.verbose {
            for row in &rows {
                writeln!(stdout, "=== lab server {} ({})", row.server, row.fault)?;
                write!(
                    stdout,
                    "{}",
                    render::terminal::diagnosis(&row.report, style)
                )?;
                writeln!(stdout)?;
            }
        }
        write!(stdout, "{}", tlsdoctor::demo::table(&rows, style))?;
    }
    Ok(if rows.iter().all(|r| r.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn lab(args: LabArgs) -> Result<ExitCode> {
    let lab = lab::Lab::start(lab::LabConfig {
        only: args.only,
        dir: args.dir,
        ..Default::default()
    })
    .await?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let servers: Vec<serde_json::Value> = lab
            .servers()
            .iter()
            .map(|s| serde_json::json!({"name": s.name, "addr": s.addr.to_string(), "fault": s.fault, "expect": s.expect}))
            .collect();
        serde_json::to_writer(
            &mut stdout,
            &serde_json::json!({
                "ca_file": lab.ca_file(), "client_cert": lab.client_cert(), "client_key": lab.client_key(),
                "servers": servers,
            }),
        )?;
        writeln!(stdout)?;
    } else {
        writeln!(
            stdout,
            "{:<22} {:<22} {:<26} fault",
            "server", "address", "expected diagnosis"
        )?;
        for s in lab.servers() {
            writeln!(
                stdout,
                "{:<22} {:<22} {:<26} {}",
                s.name,
                s.addr.to_string(),
                s.expect,
                s.fault
            )?;
        }
        writeln!(stdout, "\nCA certificate: {}", lab.ca_file().display())?;
        writeln!(
            stdout,
            "Client certificate: {} (key {})",
            lab.client_cert().display(),
            lab.client_key().display()
        )?;
        writeln!(
            stdout,
            "Try: curl --cacert {} https://localhost:PORT/   — press Ctrl-C to stop.",
            lab.ca_file().display()
        )?;
    }
    stdout.flush()?;
    drop(stdout);
    // Serves until Ctrl-C, which drops this future (and the lab with it:
    // its Drop stops the servers and removes the directory). See `main`.
    std::future::pending::<()>().await;
    lab.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn listen(args: ListenArgs, style: Style) -> Result<ExitCode> {
    let limit = timeout(args.timeout)?;
    let against = match &args.against {
        Some(server) => {
            let mut target = tlsdoctor::target::parse_target(server).map_err(anyhow::Error::msg)?;
            target.connect_to = args.connect_to;
            let job = scan_job(
                target,
                args.ca_file.as_ref(),
                probe::ProbeOptions {
                    timeout: Duration::from_secs(5),
                    ..Default::default()
                },
            )?;
            eprintln!("tlsdoctor listen: scanning {server} (--against)...");
            let server = tlsdoctor::compare::scan_server(&job).await?;
            eprintln!(
                "tlsdoctor listen: {} accepts {}",
                server.name,
                server.versions()
            );
            Some(Arc::new(server))
        }
        None => None,
    };
    let config = tlsdoctor::listen::ListenConfig {
        against,
        bind: std::net::SocketAddr::new(args.bind, args.port),
        dir: args.dir,
        hello_timeout: limit.min(tlsdoctor::listen::HELLO_TIMEOUT),
        handshake_timeout: limit,
        request_timeout: limit,
        max_connections: usize::from(args.max_connections),
        ..Default::default()
    };
    let max_log = u64::from(args.json_log_max_mib) * 1024 * 1024;
    let mut log = match &args.json_log {
        Some(path) => Some(tlsdoctor::listen::log::JsonLog::open(path, max_log)?),
        None => None,
    };
    let mut listener = tlsdoctor::listen::Listener::start(config).await?;
    let addr = listener.local_addr();
    let host = if addr.ip().is_loopback() || addr.ip().is_unspecified() {
        "localhost".to_string()
    } else {
        addr.ip().to_string()
    };
    eprintln!("tlsdoctor listen: accepting TLS on {addr}");
    eprintln!("CA certificate: {}", listener.ca_file().display());
    eprintln!(
        "Try: curl --cacert {} https://{host}:{}/   (or open it in a browser; -k skips verification) — Ctrl-C to stop.",
        listener.ca_file().display(),
        addr.port()
    );
    let mut seen = 0u64;
    loop {
        // Ctrl-C drops this future (and the listener, which removes its
        // temporary directory); see `main`.
        let Some(record) = listener.next_record().await else {
            break;
        };
        // A full disk or a lost mount must not stop the listener.
        if let Some(message) = log.as_mut().and_then(|log| log.append(&record)) {
            eprintln!("tlsdoctor listen: {message}");
        }
        let mut stdout = std::io::stdout().lock();
        if args.json {
            serde_json::to_writer(&mut stdout, &record)?;
            writeln!(stdout)?;
        } else {
            write!(
                stdout,
                "{}",
                tlsdoctor::listen::page::terminal(&record, style)
            )?;
        }
        stdout.flush()?;
        seen += 1;
        if args.count.is_some_and(|n| seen >= n) {
            break;
        }
    }
    listener.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// A scan of `target` with the trust and target options of `compare` and
/// `listen --against`.
/// A scan of `target` for `compare` and `listen --against`.
fn scan_job(
    target: model::Target,
    ca_file: Option<&PathBuf>,
    probe: probe::ProbeOptions,
) -> Result<tlsdoctor::scan::Scan> {
    let base = context("browser", None, ca_file)?;
    Ok(tlsdoctor::scan::Scan {
        target,
        context: analysis::scan::ScanContext {
            now: base.now,
            trust: base.trust,
            client_identity: false,
        },
        probe,
        deadline: Some(tlsdoctor::scan::DEFAULT_DEADLINE),
    })
}

async fn compare(args: CompareArgs, style: Style) -> Result<ExitCode> {
    let (profile, client) = match (&args.client, &args.client_hello) {
        (Some(name), _) => {
            let profile = context(name, None, None)?.client;
            (profile, name.clone())
        }
        (None, Some(path)) => {
            let captured = tlsdoctor::compare::read_client_hello_file(path, args.stream)
                .with_context(|| format!("{}: no usable ClientHello", path.display()))?;
            let client = format!("{} ({})", path.display(), captured.origin);
            (captured.profile(), client)
        }
        (None, None) => bail!("name a client with --client PROFILE or --client-hello FILE"),
    };
    let job = scan_job(
        args.server.target(&args.target)?,
        args.server.ca_file.as_ref(),
        args.server.probe_options()?,
    )?;
    let server = tlsdoctor::compare::scan_server(&job).await?;
    let result = tlsdoctor::compare::judge(&profile, &server);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let report = tlsdoctor::compare::CompareReport {
            schema_version: model::SCHEMA_VERSION,
            client,
            result: result.clone(),
        };
        serde_json::to_writer_pretty(&mut stdout, &report)?;
        writeln!(stdout)?;
    } else {
        write!(
            stdout,
            "{}",
            tlsdoctor::compare::terminal(&client, &profile, &server, &result, style)
        )?;
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
#[path = "fix_commands_tests.rs"]
mod fix_commands_tests;
