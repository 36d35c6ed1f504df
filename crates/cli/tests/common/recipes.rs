//! Real STARTTLS servers and proxies started from the shell recipes in
//! `tests/recipes/` (PostgreSQL, Exim, Dovecot, slapd, tinyproxy, Dante),
//! each on loopback with its configuration in a temporary directory, and
//! stopped (its `stop.sh`) when the test ends. `.ci/run` installs them.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use super::servers::installed;
use super::{free_port, TempDir};

/// A running recipe; stopped on drop.
pub struct Recipe {
    pub dir: TempDir,
    pub port: u16,
    /// A second port, when the recipe serves two (Dovecot's POP3).
    pub port2: u16,
}

impl Drop for Recipe {
    fn drop(&mut self) {
        let _ = Command::new("sh").arg(self.dir.path("stop.sh")).status();
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/recipes")
        .join(format!("{name}.sh"))
}

/// Starts recipe `name` (whose server is `program`) with `args` after the
/// working directory and port; `None` (a skip) when the program is not
/// installed outside CI. A start that fails is retried on other ports
/// (another test may have taken the free port in between).
pub fn start(name: &str, program: &str, args: &[&str]) -> Option<Recipe> {
    installed(program, "--version").or_else(|| installed(program, "-V"))?;
    let mut last_error = String::new();
    for _ in 0..3 {
        let dir = TempDir::new(&format!("recipe-{name}"));
        let (port, port2) = (free_port(), free_port());
        let port_text = port.to_string();
        let port2_text = port2.to_string();
        let mut full: Vec<&str> = vec![dir.0.to_str().expect("utf-8 path"), &port_text];
        full.extend_from_slice(args);
        if name == "dovecot" {
            full.push(&port2_text);
        }
        let out = Command::new("bash")
            .arg(script(name))
            .args(&full)
            .output()
            .expect("bash runs");
        if out.status.success() {
            return Some(Recipe { dir, port, port2 });
        }
        last_error = String::from_utf8_lossy(&out.stderr).into_owned();
        let _ = Command::new("sh").arg(dir.path("stop.sh")).status();
    }
    panic!("{name} did not start: {last_error}");
}

/// A STARTTLS server recipe with a certificate: `mode` is the recipe's own
/// (`tls`, `notls`, ...).
pub fn tls_server(
    name: &str,
    program: &str,
    cert: &Path,
    key: &Path,
    mode: &str,
) -> Option<Recipe> {
    start(
        name,
        program,
        &[
            cert.to_str().expect("utf-8 path"),
            key.to_str().expect("utf-8 path"),
            mode,
        ],
    )
}
