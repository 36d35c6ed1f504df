//! Captures a real client's ClientHello and prints it as a client profile
//! (the format of `crates/analysis/data/clients/*.json`).
//!
//! Listens on 127.0.0.1 (a free port), runs the client command with every
//! `{port}` in its arguments replaced, reads one ClientHello with `wire`,
//! closes the connection (the client then fails, which is expected) and
//! prints the profile on stdout:
//!
//! ```text
//! cargo run -p tlsdoctor --example capture_hello -- \
//!     --name curl-7.88 --description "curl 7.88.1 (OpenSSL 3.0)" \
//!     --trust-store system -- curl -s https://localhost:{port}/
//! ```
//!
//! Options (before `--`): `--name`, `--description`, `--source` (free text
//! added to the generated source line), `--trust-store` (default `system`),
//! `--checks-revocation`, `--min-dh-bits N`, `--min-rsa-bits N`,
//! `--accepts-sha1-certificates`, `--stdin TEXT` (written to the client's
//! stdin), `--timeout SECONDS` (default 20).
//! Everything from the network is parsed with bounds; nothing is trusted.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wire::handshake::ClientHello;
use wire::registry::is_grease_u16;

/// The data-file format, fields in the order people read them.
#[derive(serde::Serialize)]
struct ProfileJson {
    name: String,
    description: String,
    source: String,
    captured: bool,
    versions: Vec<String>,
    cipher_suites: Vec<String>,
    groups: Vec<String>,
    key_shares: Vec<String>,
    signature_algorithms: Vec<String>,
    extensions: Vec<String>,
    alpn: Vec<String>,
    grease: bool,
    sni: bool,
    checks_revocation: bool,
    trust_store: String,
    min_dh_bits: u32,
    min_rsa_bits: u32,
    rejects_sha1_certificates: bool,
}

struct Options {
    name: String,
    description: String,
    source: String,
    trust_store: String,
    checks_revocation: bool,
    min_dh_bits: u32,
    min_rsa_bits: u32,
    rejects_sha1: bool,
    stdin: Option<String>,
    timeout: Duration,
    command: Vec<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        name: String::new(),
        description: String::new(),
        source: String::new(),
        trust_store: "system".into(),
        checks_revocation: false,
        min_dh_bits: 1024,
        min_rsa_bits: 1024,
        rejects_sha1: true,
        stdin: None,
        timeout: Duration::from_secs(20),
        command: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--name" => o.name = value()?,
            "--description" => o.description = value()?,
            "--source" => o.source = value()?,
            "--trust-store" => o.trust_store = value()?,
            "--checks-revocation" => o.checks_revocation = true,
            "--min-dh-bits" => o.min_dh_bits = value()?.parse().map_err(|e| format!("{e}"))?,
            "--min-rsa-bits" => o.min_rsa_bits = value()?.parse().map_err(|e| format!("{e}"))?,
            "--accepts-sha1-certificates" => o.rejects_sha1 = false,
            "--stdin" => o.stdin = Some(value()?),
            "--timeout" => {
                o.timeout = Duration::from_secs_f64(value()?.parse().map_err(|e| format!("{e}"))?)
            }
            "--" => {
                o.command = args.by_ref().collect();
                break;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.name.is_empty() || o.command.is_empty() {
        return Err(
            "usage: capture_hello --name NAME [options] -- COMMAND ARGS ({port} is replaced)"
                .into(),
        );
    }
    Ok(o)
}

/// Reads handshake records until one whole handshake message is buffered.
fn read_hello(stream: &mut impl Read) -> Result<Vec<u8>, String> {
    let mut handshake = Vec::new();
    loop {
        let mut header = [0u8; 5];
        stream
            .read_exact(&mut header)
            .map_err(|e| format!("reading a record header: {e}"))?;
        if header[0] != 22 {
            return Err(format!(
                "not a handshake record (content type {})",
                header[0]
            ));
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len > 16384 + 2048 {
            return Err(format!("record length {len} exceeds the limit"));
        }
        let mut body = vec![0u8; len];
        stream
            .read_exact(&mut body)
            .map_err(|e| format!("reading a record: {e}"))?;
        handshake.extend_from_slice(&body);
        if handshake.len() >= 4 {
            let want = 4
                + (usize::from(handshake[1]) << 16
                    | usize::from(handshake[2]) << 8
                    | usize::from(handshake[3]));
            if want > 1 << 17 {
                return Err(format!("handshake length {want} exceeds the limit"));
            }
            if handshake.len() >= want {
                handshake.truncate(want);
                return Ok(handshake);
            }
        }
    }
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("capture_hello: {e}");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("local address").port();
    let argv: Vec<String> = o
        .command
        .iter()
        .map(|a| a.replace("{port}", &port.to_string()))
        .collect();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            eprintln!("capture_hello: cannot run {}: {e}", argv[0]);
            std::process::exit(2);
        });
    if let (Some(text), Some(mut stdin)) = (&o.stdin, child.stdin.take()) {
        let _ = stdin.write_all(text.as_bytes());
    }
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let deadline = Instant::now() + o.timeout;
    let mut stream = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                let _ = child.kill();
                eprintln!("capture_hello: no connection from the client: {e}");
                std::process::exit(1);
            }
        }
    };
    stream.set_nonblocking(false).expect("blocking stream");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let bytes = read_hello(&mut stream);
    drop(stream);
    let _ = child.kill();
    let _ = child.wait();
    let bytes = bytes.unwrap_or_else(|e| {
        eprintln!("capture_hello: {e}");
        std::process::exit(1);
    });
    let hello = ClientHello::read_handshake(&bytes).unwrap_or_else(|e| {
        eprintln!("capture_hello: not a ClientHello: {e}");
        std::process::exit(1);
    });
    let profile = analysis::ClientProfile::from_client_hello(&hello);
    let grease = hello.cipher_suites.iter().any(|s| s.is_grease())
        || hello.extension_types().iter().any(|e| is_grease_u16(e.0));
    let command = o.command.join(" ");
    let mut source = format!(
        "captured here from the real ClientHello: cargo run -p tlsdoctor --example capture_hello -- --name {} ... -- {command}",
        o.name
    );
    if !o.source.is_empty() {
        source.push_str("; ");
        source.push_str(&o.source);
    }
    let out = ProfileJson {
        name: o.name,
        description: o.description,
        source,
        captured: true,
        versions: profile.versions.iter().map(|v| v.to_string()).collect(),
        cipher_suites: profile.cipher_suites.iter().map(|s| s.name()).collect(),
        groups: profile.groups.iter().map(|g| g.name()).collect(),
        key_shares: profile.key_shares.iter().map(|g| g.name()).collect(),
        signature_algorithms: profile
            .signature_algorithms
            .iter()
            .map(|s| s.name())
            .collect(),
        extensions: profile.extensions.iter().map(|e| e.name()).collect(),
        alpn: profile.alpn,
        grease,
        sni: profile.sni,
        checks_revocation: o.checks_revocation,
        trust_store: o.trust_store,
        min_dh_bits: o.min_dh_bits,
        min_rsa_bits: o.min_rsa_bits,
        rejects_sha1_certificates: o.rejects_sha1,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("JSON of plain values")
    );
}
