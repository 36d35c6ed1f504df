//! The `tlsdoctor` binary: argument parsing only. All work is in the library
//! ([`tlsdoctor::commands`]).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tlsdoctor::args::{Cli, ColorChoice};
use tlsdoctor::commands::run;
use tlsdoctor::render::Style;

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
