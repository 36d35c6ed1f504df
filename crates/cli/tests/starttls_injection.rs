//! The STARTTLS command-injection check (`vulnerabilities.starttls_injection`,
//! CVE-2011-0411 class), end to end through `scan`.
//!
//! Real servers nobody here wrote (`tests/recipes/`): Exim 4.96 (SMTP) and
//! Dovecot 2.3 (IMAP, POP3) discard what follows the upgrade command and must
//! come out `not_vulnerable`. No vulnerable real server is installed here,
//! so a scripted SMTP server in this file (tokio + rustls) plays one: in
//! `Buffers` mode it keeps the bytes read after `STARTTLS` and executes
//! them after the TLS handshake, as Postfix before 2.8.4 did; in
//! `AnswersBeforeTls` mode it answers them in plaintext right after its
//! go-ahead; in `Discards` mode it behaves like a patched server.

mod common;

use std::sync::Arc;

use common::recipes::tls_server;
use common::scan::{run_scan, scan_job};
use common::servers::pki;
use model::{ScanReport, StartTls, VulnBasis, VulnStatus};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// How the scripted server treats the bytes that came with `STARTTLS`.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Keeps them and executes them after the handshake (vulnerable).
    Buffers,
    /// Answers them in plaintext right after its go-ahead (potentially
    /// vulnerable: it reads past STARTTLS, but runs them before TLS).
    AnswersBeforeTls,
    /// Drops them (patched).
    Discards,
}

/// A self-signed certificate for `localhost` (the scan accepts any).
fn acceptor() -> TlsAcceptor {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .expect("config");
    TlsAcceptor::from(Arc::new(config))
}

/// Starts the scripted SMTP server on a loopback port.
async fn scripted_smtp(mode: Mode) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let acceptor = acceptor();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(30),
                    session(socket, acceptor, mode),
                )
                .await;
            });
        }
    });
    port
}

/// The answer to one SMTP command (no transaction is ever started).
fn answer(command: &str) -> &'static str {
    let verb = command
        .split_ascii_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match verb.as_str() {
        "EHLO" => "250-scripted.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
        "RSET" | "NOOP" => "250 2.0.0 Ok\r\n",
        "QUIT" => "221 2.0.0 Bye\r\n",
        _ => "502 5.5.2 Error: command not recognized\r\n",
    }
}

/// The first complete line taken from the front of `buf`.
fn take_line(buf: &mut Vec<u8>) -> Option<String> {
    let end = buf.iter().position(|&b| b == b'\n')?;
    let line: Vec<u8> = buf.drain(..=end).collect();
    Some(String::from_utf8_lossy(&line).trim_end().to_string())
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> Option<()> {
    stream.write_all(bytes).await.ok()?;
    stream.flush().await.ok()
}

/// Answers commands on `stream`, starting with `buffered` (bytes already
/// read); returns what followed `STARTTLS` in its read, when it comes.
async fn smtp<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    mut buffered: Vec<u8>,
    tls: bool,
) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(line) = take_line(&mut buffered) {
            if line.eq_ignore_ascii_case("STARTTLS") && !tls {
                send(stream, b"220 2.0.0 Ready to start TLS\r\n").await?;
                return Some(std::mem::take(&mut buffered));
            }
            send(stream, answer(&line).as_bytes()).await?;
            if line.eq_ignore_ascii_case("QUIT") {
                return None;
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buffered.len() > 64 * 1024 {
            return None;
        }
        buffered.extend_from_slice(&chunk[..n]);
    }
}

async fn session(mut socket: tokio::net::TcpStream, acceptor: TlsAcceptor, mode: Mode) {
    if send(&mut socket, b"220 scripted.test ESMTP\r\n")
        .await
        .is_none()
    {
        return;
    }
    let Some(after_starttls) = smtp(&mut socket, Vec::new(), false).await else {
        return;
    };
    let carried = match mode {
        Mode::Buffers => after_starttls,
        Mode::AnswersBeforeTls => {
            let mut rest = after_starttls;
            while let Some(line) = take_line(&mut rest) {
                if send(&mut socket, answer(&line).as_bytes()).await.is_none() {
                    return;
                }
            }
            Vec::new()
        }
        Mode::Discards => Vec::new(),
    };
    let Ok(mut tls) = acceptor.accept(socket).await else {
        return;
    };
    let _ = smtp(&mut tls, carried, true).await;
}

async fn scan_smtp(port: u16) -> ScanReport {
    let mut job = scan_job("localhost", port, &[]);
    job.target.transport.starttls = Some(StartTls::Smtp);
    run_scan(&job).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_executes_buffered_commands_inside_tls_is_vulnerable() {
    let report = scan_smtp(scripted_smtp(Mode::Buffers).await).await;
    let check = &report.vulnerabilities.starttls_injection;
    assert_eq!(check.status, VulnStatus::Vulnerable, "{}", check.evidence);
    assert_eq!(check.basis, Some(VulnBasis::Observed));
    assert!(
        check.evidence.contains("`250 2.0.0 Ok`"),
        "{}",
        check.evidence
    );
    assert!(check.evidence.contains("RSET"), "{}", check.evidence);
    // A finding, not a grade cap.
    assert!(
        report
            .grade_caps
            .iter()
            .all(|c| c.rule != "starttls_injection"),
        "{:?}",
        report.grade_caps
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_answers_them_before_tls_is_potentially_vulnerable() {
    let report = scan_smtp(scripted_smtp(Mode::AnswersBeforeTls).await).await;
    let check = &report.vulnerabilities.starttls_injection;
    assert_eq!(
        check.status,
        VulnStatus::PotentiallyVulnerable,
        "{}",
        check.evidence
    );
    assert!(
        check.evidence.contains("250 2.0.0 Ok"),
        "{}",
        check.evidence
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_discards_them_is_not_vulnerable() {
    let report = scan_smtp(scripted_smtp(Mode::Discards).await).await;
    let check = &report.vulnerabilities.starttls_injection;
    assert_eq!(
        check.status,
        VulnStatus::NotVulnerable,
        "{}",
        check.evidence
    );
    assert_eq!(check.basis, Some(VulnBasis::Observed));
    assert!(check.evidence.contains("silent"), "{}", check.evidence);
}

/// Exim 4.96 and Dovecot 2.3, as installed: patched.
#[tokio::test(flavor = "multi_thread")]
async fn exim_and_dovecot_are_not_vulnerable() {
    for (recipe, program, protocol) in [
        ("smtp", "exim4", StartTls::Smtp),
        ("dovecot", "dovecot", StartTls::Imap),
        ("dovecot", "dovecot", StartTls::Pop3),
    ] {
        let pki = pki(&format!("starttls-injection-{recipe}"));
        let Some(server) = tls_server(recipe, program, &pki.cert, &pki.key, "tls") else {
            return;
        };
        let port = if protocol == StartTls::Pop3 {
            server.port2
        } else {
            server.port
        };
        let mut job = scan_job("localhost", port, &[&pki.ca]);
        job.target.transport.starttls = Some(protocol);
        let report = run_scan(&job).await;
        let check = &report.vulnerabilities.starttls_injection;
        eprintln!(
            "{program} {protocol}: {:?}: {}",
            check.status, check.evidence
        );
        assert_eq!(
            check.status,
            VulnStatus::NotVulnerable,
            "{program} {protocol}: {}",
            check.evidence
        );
        assert_eq!(check.basis, Some(VulnBasis::Observed));
    }
}
