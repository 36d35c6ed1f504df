//! What each subcommand does, given its parsed arguments ([`crate::args`]):
//! build the job, run the engine or the lab or the listener, print.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use time::OffsetDateTime;

use crate::args::*;
use crate::engine::{self, Diagnose};
use crate::render::{self, Style};

/// Runs one command.
pub async fn run(command: Command, style: Style) -> Result<ExitCode> {
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
        Command::Explain(args) => explain(args, style),
        Command::Batch(args) => crate::batch::batch(args).await,
        Command::Report(args) => crate::batch::report(args, style).await,
        Command::Rejudge(args) => crate::batch::rejudge(args).await,
    }
}

/// `explain`: the text from the argument, standard input or a file, ranked
/// diagnoses out. Exit 0 when something was recognised, 1 when nothing was.
fn explain(args: ExplainArgs, style: Style) -> Result<ExitCode> {
    use std::io::Read;
    let max = analysis::explain::MAX_INPUT;
    let text = if args.text == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(max as u64 + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        if bytes.len() > max {
            bail!(
                "standard input is over {} MiB; pass the relevant part of the log",
                max >> 20
            );
        }
        String::from_utf8_lossy(&bytes).into_owned()
    } else if std::path::Path::new(&args.text).is_file() {
        let path = PathBuf::from(&args.text);
        if crate::capture::is_capture(&path)? {
            let context = context(
                analysis::profiles::default_profile().name,
                args.now.as_deref(),
                args.ca_file.as_ref(),
            )?;
            return crate::capture::explain(&path, &args, context, style);
        }
        let bytes = crate::input::read_bounded(&path, max as u64)?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        args.text.clone()
    };
    let answer = analysis::explain::explain(&text);
    let shown = if args.json {
        serde_json::to_string_pretty(&answer)? + "\n"
    } else {
        render::explain::terminal(&answer, style)
    };
    // A reader that stops early (`| head`) is not an error.
    match std::io::stdout().lock().write_all(shown.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if answer.recognised_anything() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn context(
    client: &str,
    now: Option<&str>,
    ca_file: Option<&PathBuf>,
) -> Result<analysis::Context> {
    context_with_roots(client, now, ca_file, crate::trust::system_roots)
}

/// [`context`] with this machine's roots from `system` (empty for a scan,
/// which reads them while it runs: [`crate::trust::SystemRootsLoader`]).
fn context_with_roots(
    client: &str,
    now: Option<&str>,
    ca_file: Option<&PathBuf>,
    system: impl FnOnce() -> Vec<Vec<u8>>,
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
        Some(path) => crate::trust::load_certificates(path)?,
        None => Vec::new(),
    };
    Ok(analysis::Context {
        now,
        now_overridden,
        client,
        trust: analysis::TrustStores {
            system: system(),
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
        let text = crate::input::read_bounded(path, crate::input::MAX_FILE)?;
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
    let roots = crate::trust::SystemRootsLoader::start();
    let mut base = context_with_roots(
        "browser",
        args.now.as_deref(),
        args.server.ca_file.as_ref(),
        Vec::new,
    )?;
    let identity = args.identity.load()?;
    if let Some(path) = &args.replay {
        base.trust.system = roots.get().to_vec();
        let text = crate::input::read_bounded(path, crate::input::MAX_FILE)?;
        let observations: model::Observations = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a tlsdoctor observations file", path.display()))?;
        let context = analysis::scan::ScanContext {
            now: base.now,
            trust: base.trust,
            client_identity: identity.is_some(),
        };
        let report = crate::scan::judge(&observations, &context);
        return print_scan(&report, &args, base.now, style);
    }
    let target = args
        .server
        .target(args.target.as_deref().unwrap_or_default())?;
    let job = crate::scan::Scan {
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
        system_roots: Some(roots),
    };
    let now = job.context.now;
    let (report, observations) = crate::scan::scan(&job).await;
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
    if !crate::scan::scanned(report) {
        let why = if report.incomplete.iter().any(|n| n.contains("--deadline")) {
            "the deadline passed before any TLS or SSL hello got a ServerHello".to_string()
        } else if report
            .incomplete
            .iter()
            .any(|n| n.contains("STARTTLS") || n.contains("the proxy"))
        {
            format!(
                "no connection got past the STARTTLS dialogue or the proxy; `tlsdoctor diagnose {}` with the same options says why",
                args.target.as_deref().unwrap_or("HOST:PORT")
            )
        } else {
            "no TLS or SSL handshake got a ServerHello".to_string()
        };
        eprintln!("tlsdoctor: the target could not be scanned ({why})");
        return Ok(ExitCode::from(1));
    }
    let failed = crate::scan::failed_conditions(report, &args.fail_on, now);
    if !failed.is_empty() {
        eprintln!("tlsdoctor: --fail-on: {}", failed.join("; "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

async fn demo(args: DemoArgs, style: Style) -> Result<ExitCode> {
    let context = context("browser", None, None)?;
    let options = crate::demo::DemoOptions {
        timeout: timeout(args.timeout)?,
        only: args.only,
    };
    eprintln!(
        "Starting the lab and diagnosing every server (this takes about {} s)...",
        args.timeout.ceil()
    );
    let rows = crate::demo::run(&options, &context).await?;
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
        write!(stdout, "{}", crate::demo::table(&rows, style))?;
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
            let mut target = crate::target::parse_target(server).map_err(anyhow::Error::msg)?;
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
            let server = crate::compare::scan_server(&job).await?;
            eprintln!(
                "tlsdoctor listen: {} accepts {}",
                server.name,
                server.versions()
            );
            Some(Arc::new(server))
        }
        None => None,
    };
    let config = crate::listen::ListenConfig {
        against,
        bind: std::net::SocketAddr::new(args.bind, args.port),
        dir: args.dir,
        hello_timeout: limit.min(crate::listen::HELLO_TIMEOUT),
        handshake_timeout: limit,
        request_timeout: limit,
        max_connections: usize::from(args.max_connections),
        ..Default::default()
    };
    let max_log = u64::from(args.json_log_max_mib) * 1024 * 1024;
    let mut log = match &args.json_log {
        Some(path) => Some(crate::listen::log::JsonLog::open(path, max_log)?),
        None => None,
    };
    let mut listener = crate::listen::Listener::start(config).await?;
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
            write!(stdout, "{}", crate::listen::page::terminal(&record, style))?;
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
) -> Result<crate::scan::Scan> {
    let base = context("browser", None, ca_file)?;
    Ok(crate::scan::Scan {
        target,
        context: analysis::scan::ScanContext {
            now: base.now,
            trust: base.trust,
            client_identity: false,
        },
        probe,
        deadline: Some(crate::scan::DEFAULT_DEADLINE),
        system_roots: None,
    })
}

async fn compare(args: CompareArgs, style: Style) -> Result<ExitCode> {
    let (profile, client) = match (&args.client, &args.client_hello) {
        (Some(name), _) => {
            let profile = context(name, None, None)?.client;
            (profile, name.clone())
        }
        (None, Some(path)) => {
            let captured = crate::compare::read_client_hello_file(path, args.stream)
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
    let server = crate::compare::scan_server(&job).await?;
    let result = crate::compare::judge(&profile, &server);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let report = crate::compare::CompareReport {
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
            crate::compare::terminal(&client, &profile, &server, &result, style)
        )?;
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
