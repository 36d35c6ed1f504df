//! Real TLS clients (curl, `openssl s_client`, Python's `ssl`) connecting to
//! `localhost:port` with verification against a CA file, and what they
//! negotiated, read from their output.

use std::ffi::OsString;
use std::path::Path;

use model::Code;
use wire::registry::{CipherSuite, NamedGroup, ProtocolVersion};

/// What a real client did.
#[derive(Debug)]
pub struct Observed {
    pub ok: bool,
    pub version: Option<ProtocolVersion>,
    pub suite: Option<CipherSuite>,
    pub group: Option<NamedGroup>,
    /// The client's error text (for failures).
    pub error: String,
}

/// A version as clients print it ("TLSv1.3", "TLSv1").
pub fn version_from(text: &str) -> Option<ProtocolVersion> {
    Some(match text.trim() {
        "TLSv1.3" => ProtocolVersion::TLS1_3,
        "TLSv1.2" => ProtocolVersion::TLS1_2,
        "TLSv1.1" => ProtocolVersion::TLS1_1,
        "TLSv1" | "TLSv1.0" => ProtocolVersion::TLS1_0,
        _ => return None,
    })
}

/// The arguments of `curl` fetching `https://localhost:port/`, trusting `ca`.
pub fn curl_args(port: u16, ca: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-sv", "-o", "/dev/null", "--max-time", "10", "--cacert"]
        .iter()
        .map(OsString::from)
        .collect();
    args.push(ca.into());
    args.push(format!("https://localhost:{port}/").into());
    args
}

/// The arguments of `openssl` for `s_client` to `localhost:port`, verifying
/// the name localhost against `ca` and stopping on a bad certificate.
pub fn s_client_args(port: u16, ca: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "s_client",
        "-connect",
        &format!("localhost:{port}"),
        "-servername",
        "localhost",
        "-verify_hostname",
        "localhost",
        "-verify_return_error",
        "-CAfile",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(ca.into());
    args
}

/// A Python script connecting to `localhost:port` with the default context
/// trusting `ca`; prints `OK <version> <suite>` or `FAIL <error>`.
pub fn python_script(port: u16, ca: &Path) -> String {
    format!(
        "import ssl,socket\nc=ssl.create_default_context(cafile={ca:?})\ntry:\n  s=c.wrap_socket(socket.create_connection(('localhost',{port}),timeout=10),server_hostname='localhost')\n  print('OK',s.version(),s.cipher()[0])\nexcept Exception as e:\n  print('FAIL',e)\n",
        ca = ca.display().to_string()
    )
}

/// What curl negotiated, from its exit status and verbose `stderr`.
pub fn observe_curl(success: bool, stderr: String) -> Observed {
    // "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384"
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("* SSL connection using "));
    let (version, suite) = match line.and_then(|l| l.split_once(" / ")) {
        Some((v, s)) => (version_from(v), CipherSuite::from_name(s.trim())),
        None => (None, None),
    };
    Observed {
        ok: success && suite.is_some(),
        version,
        suite,
        group: None,
        error: stderr,
    }
}

/// What `openssl s_client` negotiated, from its exit status and its stdout
/// and stderr together (`text`).
pub fn observe_s_client(success: bool, text: String) -> Observed {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim_start_matches([' ', ':']).trim().to_string())
    };
    // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" (for TLS ≤ 1.2 the
    // version there is the suite's, so "Protocol  :" wins when printed).
    let new_line = text
        .lines()
        .find_map(|l| l.strip_prefix("New, "))
        .and_then(|l| {
            let (v, c) = l.split_once(", Cipher is ")?;
            Some((v.trim().to_string(), c.trim().to_string()))
        });
    let version = field("Protocol")
        .and_then(|v| version_from(&v))
        .or_else(|| new_line.as_ref().and_then(|(v, _)| version_from(v)));
    let suite = new_line
        .map(|(_, c)| c)
        .filter(|c| c != "0000" && c != "(NONE)")
        .and_then(|c| CipherSuite::from_name(&c));
    // "Server Temp Key: X25519, 253 bits" / "ECDH, secp521r1, 521 bits"
    let group = field("Server Temp Key").and_then(|k| {
        let parts: Vec<&str> = k.split(',').map(str::trim).collect();
        match parts.as_slice() {
            ["ECDH", curve, ..] => NamedGroup::from_name(curve),
            ["DH", ..] => None,
            [name, ..] => NamedGroup::from_name(name),
            _ => None,
        }
    });
    let ok = success && suite.is_some() && !text.contains("Cipher is (NONE)");
    Observed {
        ok,
        version: version.filter(|_| ok),
        suite: suite.filter(|_| ok),
        group: group.filter(|_| ok),
        error: text,
    }
}

/// What [`python_script`] negotiated, from its stdout (also the error text
/// when it failed).
pub fn observe_python(stdout: &str) -> Observed {
    let words: Vec<&str> = stdout.split_whitespace().collect();
    match words.as_slice() {
        ["OK", v, s, ..] => Observed {
            ok: true,
            version: version_from(v),
            suite: CipherSuite::from_name(s),
            group: None,
            error: String::new(),
        },
        _ => Observed {
            ok: false,
            version: None,
            suite: None,
            group: None,
            error: stdout.to_string(),
        },
    }
}

/// The first three lines of a client's error text that look like errors,
/// joined with " | ".
pub fn error_lines(error: &str) -> String {
    error
        .lines()
        .filter(|l| l.contains("rror") || l.contains("alert") || l.contains("FAIL"))
        .take(3)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The diagnosis codes a client's error text is consistent with;
/// `certificate_codes` for an error that only says "certificate".
pub fn codes_for_client_error(error: &str, certificate_codes: &[Code]) -> Vec<Code> {
    let e = error.to_ascii_lowercase();
    if e.contains("dh key too small") {
        vec![Code::WeakDhGroup]
    } else if e.contains("legacy sigalg") || e.contains("no suitable signature") {
        vec![Code::SigalgMismatch]
    } else if e.contains("protocol version")
        || e.contains("unsupported protocol")
        || e.contains("no protocols available")
    {
        vec![Code::ProtocolMismatch]
    } else if e.contains("handshake failure")
        || e.contains("no shared cipher")
        || e.contains("no cipher")
    {
        vec![
            Code::CipherMismatch,
            Code::GroupMismatch,
            Code::SigalgMismatch,
        ]
    } else if e.contains("self-signed") || e.contains("self signed") {
        vec![Code::CertSelfSigned, Code::CertUntrustedRoot]
    } else if e.contains("hostname mismatch")
        || e.contains("doesn't match")
        || e.contains("no alternative certificate subject name")
    {
        vec![Code::CertHostnameMismatch]
    } else if e.contains("expired") {
        vec![Code::CertExpired]
    } else if e.contains("certificate") {
        certificate_codes.to_vec()
    } else {
        Vec::new()
    }
}

/// The lab faults a real client sees as a failed handshake (the `explain`
/// tests run every client against each).
pub const LAB_FAILURES: &[&str] = &[
    "expired",
    "not-yet-valid",
    "wrong-host",
    "self-signed",
    "untrusted-root",
    "incomplete-chain",
    "sha1",
    "client-cert-required",
    "tls10-only",
    "legacy-ciphers-only",
    "reset",
];

/// Whether `program` runs (`--version`, `-version` for java).
pub fn installed(program: &str) -> bool {
    std::process::Command::new(program)
        .arg(if program == "java" {
            "-version"
        } else {
            "--version"
        })
        .output()
        .is_ok_and(|o| o.status.success() || !o.stderr.is_empty())
}

/// Headless Chromium's flags for a test: no GPU, no QUIC, no first-run or
/// background traffic, its own profile directory.
pub fn chromium_headless(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .map(String::from)
    .into_iter()
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}
