//! Fixes that work when followed: every `tlsdoctor ...` command line that a
//! fix can show parses with this binary's own clap definition, and every
//! `curl ...` / `openssl SUBCOMMAND ...` line uses only options the installed
//! tool knows (checked against its help, where the tool is installed).
//!
//! The lines come from the fix builders (called with sample values), from
//! every backticked span in analysis's sources (format placeholders filled
//! in), and from docs/diagnoses.md.

use clap::Parser;

use crate::args::Cli;

const SOURCES: &[(&str, &str)] = &[
    (
        "analysis/src/fixes.rs",
        include_str!("../../analysis/src/fixes.rs"),
    ),
    (
        "analysis/src/judge/mod.rs",
        include_str!("../../analysis/src/judge/mod.rs"),
    ),
    (
        "analysis/src/judge/dns.rs",
        include_str!("../../analysis/src/judge/dns.rs"),
    ),
    (
        "analysis/src/judge/tcp.rs",
        include_str!("../../analysis/src/judge/tcp.rs"),
    ),
    (
        "analysis/src/judge/server_hello.rs",
        include_str!("../../analysis/src/judge/server_hello.rs"),
    ),
    (
        "analysis/src/judge/certificate.rs",
        include_str!("../../analysis/src/judge/certificate.rs"),
    ),
    (
        "analysis/src/judge/client_certificate.rs",
        include_str!("../../analysis/src/judge/client_certificate.rs"),
    ),
    (
        "analysis/src/judge/finished.rs",
        include_str!("../../analysis/src/judge/finished.rs"),
    ),
    (
        "analysis/src/judge/transport.rs",
        include_str!("../../analysis/src/judge/transport.rs"),
    ),
    (
        "analysis/src/judge/warnings.rs",
        include_str!("../../analysis/src/judge/warnings.rs"),
    ),
    (
        "analysis/src/mismatch.rs",
        include_str!("../../analysis/src/mismatch.rs"),
    ),
    (
        "analysis/src/chain.rs",
        include_str!("../../analysis/src/chain.rs"),
    ),
    (
        "analysis/src/grade.rs",
        include_str!("../../analysis/src/grade.rs"),
    ),
    (
        "docs/diagnoses.md",
        include_str!("../../../docs/diagnoses.md"),
    ),
];

/// Every fix line the builders produce, with sample values.
fn built_fixes() -> Vec<String> {
    use analysis::fixes;
    use model::Code;
    let mut lines = Vec::new();
    lines.extend(fixes::enable_modern_protocols());
    lines.extend(fixes::enable_modern_ciphers());
    lines.extend(fixes::enable_common_groups());
    lines.extend(fixes::install_full_chain());
    lines.extend(fixes::reissue_certificate("test"));
    lines.extend(fixes::trust_private_root());
    lines.extend(fixes::present_client_certificate(
        "example.com:443",
        "CN=Client CA",
    ));
    lines.extend(fixes::present_client_certificate("[::1]:8443", "any CA"));
    lines.extend(fixes::match_key_type_and_suites());
    lines.extend(fixes::refresh_ocsp_staple(Some("http://ocsp.example.com")));
    lines.extend(fixes::refresh_ocsp_staple(None));
    for code in [
        Code::CertExpired,
        Code::CertNotYetValid,
        Code::CertSelfSigned,
        Code::CertUntrustedRoot,
        Code::CertChainIncomplete,
        Code::CertHostnameMismatch,
        Code::CertWeakKey,
        Code::CertWeakSignature,
        Code::WeakDhGroup,
        Code::SigalgMismatch,
    ] {
        lines.extend(analysis::mismatch::after_negotiation(code, "example.com"));
    }
    lines
}

/// The backticked spans of each line of `text`.
fn backticked(text: &str) -> Vec<String> {
    text.lines()
        .flat_map(|line| {
            line.split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, s)| s.to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `{name}` format placeholders → a sample value: a proxy URL for
/// `{proxy_url}`, else a `host:port`.
fn fill_placeholders(span: &str) -> String {
    let mut out = String::new();
    let mut rest = span;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push_str(match &rest[start + 1..start + end] {
                    "proxy_url" => "http://USER:PASSWORD@proxy.example:3128",
                    _ => "example.com:443",
                });
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whitespace split with single and double quotes, as a shell would.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Every command line (a backticked span) starting with `program `.
fn command_lines(program: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let prefix = format!("{program} ");
    for line in built_fixes() {
        for span in backticked(&line) {
            if span.starts_with(&prefix) {
                found.push(("fix builders".to_string(), span));
            }
        }
    }
    for (file, text) in SOURCES {
        for span in backticked(text) {
            let span = fill_placeholders(&span);
            if span.starts_with(&prefix) {
                found.push((file.to_string(), span));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn every_tlsdoctor_command_in_a_fix_parses() {
    let lines = command_lines("tlsdoctor");
    assert!(
        lines.len() >= 4,
        "the fixes show tlsdoctor command lines: {lines:?}"
    );
    let mut failures = Vec::new();
    for (file, line) in &lines {
        if let Err(e) = Cli::try_parse_from(shell_words(line)) {
            failures.push(format!("{file}: `{line}`: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_client_certificate_fix_uses_our_real_flags() {
    let fix = analysis::fixes::present_client_certificate("example.com:443", "any CA").join("\n");
    let ours: Vec<String> = backticked(&fix)
        .into_iter()
        .filter(|s| s.starts_with("tlsdoctor "))
        .collect();
    assert_eq!(ours.len(), 1, "{fix}");
    assert!(ours[0].contains("--client-cert client.pem --client-key client.key"));
    assert!(Cli::try_parse_from(shell_words(&ours[0])).is_ok());
    // The flags of curl are not ours: `tlsdoctor --cert` would exit 2.
    assert!(
        Cli::try_parse_from(["tlsdoctor", "diagnose", "example.com", "--cert", "c.pem"]).is_err()
    );
}

/// The options of `line` (words starting with `-`, value after `=` cut).
fn options(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| w.starts_with('-') && w.len() > 1)
        .map(|w| w.split('=').next().unwrap_or(w).to_string())
        .collect()
}

fn help_text(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    Some(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// The installed tool lists each option as a whole word in its help.
fn knows(help: &str, option: &str) -> bool {
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']' || c == '=')
        .any(|w| w == option)
}

fn missing_tool(program: &str) -> bool {
    let missing = help_text(program, &["version"]).is_none();
    if missing {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} must be installed in CI"
        );
        eprintln!("skipped: {program} is not installed");
    }
    missing
}

#[test]
fn every_curl_and_openssl_line_in_a_fix_uses_known_options() {
    let mut failures = Vec::new();
    let curl = command_lines("curl");
    assert!(!curl.is_empty(), "the fixes show curl command lines");
    if !missing_tool("curl") {
        let help = help_text("curl", &["--help", "all"]).unwrap_or_default();
        for (file, line) in &curl {
            for option in options(&shell_words(line)) {
                if !knows(&help, &option) {
                    failures.push(format!("{file}: `{line}`: curl has no {option}"));
                }
            }
        }
    }
    let openssl = command_lines("openssl");
    assert!(!openssl.is_empty(), "the fixes show openssl command lines");
    if !missing_tool("openssl") {
        for (file, line) in &openssl {
            let words = shell_words(line);
            let Some(sub) = words.get(1) else { continue };
            let help = help_text("openssl", &[sub, "-help"]).unwrap_or_default();
            for option in options(&words[2..]) {
                if !knows(&help, &option) {
                    failures.push(format!("{file}: `{line}`: openssl {sub} has no {option}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The openssl lines that read only a local certificate are run for real on
/// one made here.
#[test]
fn the_key_type_check_in_a_fix_runs() {
    if missing_tool("openssl") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tlsdoctor-fixcmd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
    let line = command_lines("openssl")
        .into_iter()
        .map(|(_, l)| l)
        .find(|l| l.starts_with("openssl x509 ") && l.contains("cert.pem"))
        .expect("the key-type fix shows `openssl x509 ... cert.pem`");
    let words = shell_words(&line);
    let out = std::process::Command::new(&words[0])
        .args(&words[1..])
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "`{line}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Public Key Algorithm"));
}

/// `explain`'s confirming command parses, with a host from the message, a
/// port, and the client-certificate flags.
#[test]
fn the_command_explain_prints_parses() {
    for text in [
        "curl: (7) Failed to connect to api.example.com port 8443 after 3 ms: Couldn't connect to server",
        "curl: (56) OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0",
        "NET::ERR_CERT_DATE_INVALID",
        "x509: certificate is valid for example.com, not www.example.net",
    ] {
        let e = analysis::explain::explain(text);
        let line = e.confirm.replace("HOST", "example.com");
        assert!(
            Cli::try_parse_from(shell_words(&line)).is_ok(),
            "{line} does not parse"
        );
    }
}

/// `explain FILE.pcap`'s confirm command (name, port, `--connect-to`, and
/// the client-certificate flags when those lead) parses as written.
#[test]
fn the_command_explain_prints_for_a_capture_parses() {
    use model::{
        CaptureFacts, FlightEnd, HelloSpec, Observations, ProbeKind, ProbeRecord, ProbeRequest,
        Purpose, ServerFlight, Target, TcpOutcome,
    };
    for (ip, sni) in [("192.0.2.7", Some("app.example")), ("2001:db8::7", None)] {
        let ip: std::net::IpAddr = ip.parse().unwrap();
        let mut target = Target::new(sni.unwrap_or(&ip.to_string()).to_string(), 8443);
        target.connect_to = Some(ip);
        let mut obs = Observations::new(target);
        obs.probes.push(ProbeRecord {
            request: ProbeRequest {
                purpose: Purpose::ClientHello,
                kind: ProbeKind::Hello(HelloSpec::default()),
            },
            ip: Some(ip),
            tcp: TcpOutcome::Connected { elapsed_ms: 1 },
            transport: None,
            flight: Some(ServerFlight {
                alerts: vec![model::AlertObservation {
                    level: 2,
                    description: 116,
                }],
                end: FlightEnd::Alert,
                ..ServerFlight::default()
            }),
            handshake: None,
            fetch: None,
            caa: None,
            elapsed_ms: 3,
        });
        let facts = CaptureFacts {
            client_hello_seen: true,
            closed_first: Some("server_fin".into()),
            ending: "closed".into(),
            ..CaptureFacts::default()
        };
        let ctx = analysis::Context {
            now: time::OffsetDateTime::now_utc(),
            now_overridden: false,
            client: analysis::profiles::default_profile(),
            trust: analysis::TrustStores::default(),
            client_identity: false,
            fetch_issuers: false,
        };
        let e = analysis::explain::capture::connection(&obs, &facts, &ctx);
        assert!(e.confirm.contains("--client-cert"), "{}", e.confirm);
        assert!(
            Cli::try_parse_from(shell_words(&e.confirm)).is_ok(),
            "{} does not parse",
            e.confirm
        );
    }
}
