//! `listen` against real clients nobody here wrote: `openssl s_client`, curl,
//! `gnutls-cli`, Python's `ssl`, Java and headless Chromium, each told exactly
//! what to offer. The expected lists come from the client's own configuration
//! (e.g. `openssl ciphers -V` for a cipher string), never from our output.
//! Loopback only.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use model::{ClientHelloRecord, HandshakeOutcome};
use tlsdoctor::listen::{ListenConfig, Listener};

async fn start() -> Listener {
    Listener::start(ListenConfig {
        hello_timeout: Duration::from_secs(5),
        handshake_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        ..ListenConfig::default()
    })
    .await
    .expect("listener starts")
}

/// Runs a client to completion (killed after 30 s) off the async runtime.
async fn run(mut cmd: Command, stdin: &'static [u8]) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("client starts");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait_with_output().expect("client output")
    })
    .await
    .expect("client thread")
}

async fn next(listener: &mut Listener) -> ClientHelloRecord {
    tokio::time::timeout(Duration::from_secs(30), listener.next_record())
        .await
        .expect("a record within 30 s")
        .expect("listener running")
}

fn present(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} must be installed in CI"
        );
        eprintln!("skipped: {program} is not installed");
    }
    found
}

/// The suite code points (`0xc02f`) OpenSSL puts in a hello for this cipher
/// string and version flag, in order: `openssl ciphers -V -s`.
fn openssl_suites(version_flag: &str, cipher_string: &str) -> Vec<String> {
    let out = Command::new("openssl")
        .args(["ciphers", "-V", "-s", version_flag, cipher_string])
        .output()
        .expect("openssl ciphers");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|code| {
            let (hi, lo) = code.split_once(',')?;
            let hi = u8::from_str_radix(hi.trim_start_matches("0x"), 16).ok()?;
            let lo = u8::from_str_radix(lo.trim_start_matches("0x"), 16).ok()?;
            Some(format!("0x{hi:02x}{lo:02x}"))
        })
        .collect()
}

/// The real suites (no GREASE, no SCSV) a record holds, as codes.
fn codes(record: &ClientHelloRecord) -> Vec<String> {
    record
        .real_cipher_suites()
        .map(|s| s.code.clone())
        .collect()
}

fn s_client(port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-ign_eof"])
        .args(args);
    cmd
}

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: openssl-s_client-test\r\n\r\n";

fn completed(record: &ClientHelloRecord) {
    assert_eq!(
        record.handshake,
        HandshakeOutcome::Completed,
        "{:#?}",
        record.handshake_detail
    );
}

#[tokio::test]
async fn openssl_tls12_with_explicit_ciphers() {
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let cipher = "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA";
    let out = run(
        s_client(
            port,
            &["-tls1_2", "-cipher", cipher, "-servername", "localhost"],
        ),
        REQUEST,
    )
    .await;
    let record = next(&mut listener).await;
    completed(&record);
    assert_eq!(record.versions, ["tls1_2"]);
    assert_eq!(codes(&record), openssl_suites("-tls1_2", cipher));
    assert_eq!(codes(&record), ["0xc02f", "0x0035"]);
    assert!(record
        .cipher_suites
        .iter()
        .any(|s| s.scsv && s.name == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"));
    assert_eq!(record.sni.as_deref(), Some("localhost"));
    let n = record.negotiated.as_ref().expect("negotiated");
    assert_eq!(n.version, "tls1_2");
    assert_eq!(n.cipher_suite, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_eq!(record.user_agent.as_deref(), Some("openssl-s_client-test"));
    assert!(record.flag("no_tls1_3").is_some(), "{:?}", record.flags);
    assert!(record.flag("intercepted").is_none());
    // The JSON report came back over TLS.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"handshake\": \"completed\""), "{stdout}");
    assert!(record.ja4.as_deref().unwrap().starts_with("t12d0"));
}

#[tokio::test]
async fn openssl_tls13_with_one_suite_and_one_group() {
    let mut listener = start().await;
    let port = listener.local_addr().port();
    run(
        s_client(
            port,
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_AES_256_GCM_SHA384",
                "-groups",
                "secp384r1",
            ],
        ),
        REQUEST,
    )
    .await;
    let record = next(&mut listener).await;
    completed(&record);
    assert_eq!(record.versions, ["tls1_3"]);
    let names: Vec<&str> = record
        .real_cipher_suites()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["TLS_AES_256_GCM_SHA384"]);
    assert_eq!(record.groups, ["secp384r1"]);
    assert_eq!(record.key_shares, ["secp384r1"]);
    let n = record.negotiated.as_ref().expect("negotiated");
    assert_eq!(
        (
            n.version.as_str(),
            n.cipher_suite.as_str(),
            n.group.as_deref()
        ),
        ("tls1_3", "TLS_AES_256_GCM_SHA384", Some("secp384r1"))
    );
    assert!(record.flag("no_post_quantum").is_some());
    // s_client sends SNI only when told to (or for a host name): none for 127.0.0.1.
    assert_eq!(record.sni, None);
    assert!(record.flag("missing_sni").is_some());
}

#[tokio::test]
async fn openssl_tls10_is_recorded_as_protocol_mismatch() {
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let cipher = "ALL:@SECLEVEL=0";
    run(s_client(port, &["-tls1", "-cipher", cipher]), b"").await;
    let record = next(&mut listener).await;
    assert_eq!(
        record.handshake.as_str(),
        "protocol_mismatch",
        "{:#?}",
        record.handshake_detail
    );
    assert_eq!(record.versions, ["tls1_0"]);
    assert_eq!(record.legacy_version.as_deref(), Some("tls1_0"));
    assert_eq!(codes(&record), openssl_suites("-tls1", cipher));
    for flag in ["obsolete_versions_only", "no_aead", "anon_offered"] {
        assert!(record.flag(flag).is_some(), "{flag}: {:?}", record.flags);
    }
    assert!(record.negotiated.is_none() && record.user_agent.is_none());
    assert!(record.ja4.as_deref().unwrap().starts_with("t10"));
}

#[tokio::test]
async fn openssl_sni_and_alpn_are_recorded_as_sent() {
    let mut listener = start().await;
    let port = listener.local_addr().port();
    run(
        s_client(
            port,
            &["-servername", "foo.example", "-alpn", "h2,http/1.1"],
        ),
        REQUEST,
    )
    .await;
    let record = next(&mut listener).await;
    completed(&record);
    assert_eq!(record.sni.as_deref(), Some("foo.example"));
    assert_eq!(record.alpn, ["h2", "http/1.1"]);
    assert_eq!(
        record.negotiated.as_ref().unwrap().alpn.as_deref(),
        Some("http/1.1")
    );
    let server_name = record.extensions.iter().position(|e| e == "server_name");
    let alpn = record
        .extensions
        .iter()
        .position(|e| e == "application_layer_protocol_negotiation");
    assert!(
        server_name.is_some() && alpn.is_some(),
        "{:?}",
        record.extensions
    );
}

#[tokio::test]
async fn ja4_is_stable_across_connections_of_one_client() {
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let mut seen = Vec::new();
    for _ in 0..2 {
        run(s_client(port, &["-servername", "localhost"]), REQUEST).await;
        let record = next(&mut listener).await;
        completed(&record);
        seen.push((record.ja4.clone().unwrap(), record.ja3.clone().unwrap()));
    }
    assert_eq!(seen[0], seen[1]);
    assert!(seen[0].0.starts_with("t13d"), "{}", seen[0].0);
}

fn curl(port: u16, extra: &[&str]) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "20"])
        .args(extra)
        .arg(format!("https://localhost:{port}/"));
    cmd
}

#[tokio::test]
async fn curl_fetches_the_json_report() {
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let ca = listener.ca_file().to_path_buf();
    let out = run(
        curl(
            port,
            &[
                "--cacert",
                ca.to_str().unwrap(),
                "--resolve",
                &format!("localhost:{port}:127.0.0.1"),
            ],
        ),
        b"",
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let served: ClientHelloRecord = serde_json::from_slice(&out.stdout).expect("JSON report");
    let record = next(&mut listener).await;
    completed(&record);
    let ua = record.user_agent.clone().unwrap_or_default();
    assert!(ua.starts_with("curl/"), "{ua}");
    assert_eq!(served.user_agent, record.user_agent);
    assert_eq!(served.ja4, record.ja4);
    assert_eq!(record.sni.as_deref(), Some("localhost"));
    assert!(record.alpn.contains(&"http/1.1".to_string()));
    assert!(record.flag("intercepted").is_none(), "{:?}", record.flags);

    // The same client claiming to be Chrome: an OpenSSL hello under a Chrome UA.
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    let out = run(
        curl(
            port,
            &[
                "--cacert",
                ca.to_str().unwrap(),
                "-A",
                chrome,
                "--resolve",
                &format!("localhost:{port}:127.0.0.1"),
            ],
        ),
        b"",
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let record = next(&mut listener).await;
    let flag = record.flag("intercepted").expect("intercepted");
    assert!(
        flag.evidence.iter().any(|e| e.contains("GREASE")),
        "{flag:?}"
    );
    let served: ClientHelloRecord = serde_json::from_slice(&out.stdout).unwrap();
    assert!(served.flag("intercepted").is_some());

    // Without the CA, curl refuses the certificate.
    let out = run(
        curl(port, &["--resolve", &format!("localhost:{port}:127.0.0.1")]),
        b"",
    )
    .await;
    assert!(!out.status.success());
    let record = next(&mut listener).await;
    assert_eq!(
        record.handshake.as_str(),
        "cert_untrusted_root",
        "{record:#?}"
    );
}

#[tokio::test]
async fn browsers_get_html() {
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let out = run(
        curl(
            port,
            &["-k", "-H", "Accept: text/html,application/xhtml+xml"],
        ),
        b"",
    )
    .await;
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(
        body.contains("Your client&#39;s TLS hello") || body.contains("Your client's TLS hello")
    );
    next(&mut listener).await;
}

#[tokio::test]
async fn gnutls_cli_with_a_priority_string() {
    if !present("gnutls-cli") {
        return;
    }
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let priority =
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-GROUP-ALL:+GROUP-SECP384R1";
    // What GnuTLS says this priority string offers.
    let list = Command::new("gnutls-cli")
        .args(["--priority", priority, "--list"])
        .output()
        .expect("gnutls-cli --list");
    let expected: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter(|l| l.starts_with("TLS_"))
        .filter_map(|l| {
            let mut cols = l.split('\t').skip(1);
            let (hi, lo) = cols.next()?.split_once(',')?;
            let hi = u8::from_str_radix(hi.trim().trim_start_matches("0x"), 16).ok()?;
            let lo = u8::from_str_radix(lo.trim().trim_start_matches("0x"), 16).ok()?;
            Some(format!("0x{hi:02x}{lo:02x}"))
        })
        .collect();
    assert!(!expected.is_empty(), "{list:?}");
    let ca = listener.ca_file().to_path_buf();
    let mut cmd = Command::new("gnutls-cli");
    cmd.args(["--priority", priority, "--x509cafile"])
        .arg(&ca)
        .args(["-p", &port.to_string(), "localhost"]);
    run(cmd, REQUEST).await;
    let record = next(&mut listener).await;
    completed(&record);
    assert_eq!(record.versions, ["tls1_2"]);
    assert_eq!(codes(&record), expected);
    assert_eq!(record.groups, ["secp384r1"]);
    assert_eq!(record.sni.as_deref(), Some("localhost"));
    assert_eq!(
        record.negotiated.as_ref().unwrap().group.as_deref(),
        Some("secp384r1")
    );
}

#[tokio::test]
async fn python_ssl_limited_to_tls12() {
    if !present("python3") {
        return;
    }
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let cipher =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256";
    let script = format!(
        r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_ciphers({cipher:?})
ctx.load_verify_locations({ca:?})
with socket.create_connection(("127.0.0.1", {port})) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: python-ssl-test\r\n\r\n")
        data = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        sys.stdout.write(tls.version() + "\n")
"#,
        ca = listener.ca_file().display().to_string(),
    );
    let mut cmd = Command::new("python3");
    cmd.args(["-c", &script]);
    let out = run(cmd, b"").await;
    assert!(out.status.success(), "{out:?}");
    let record = next(&mut listener).await;
    completed(&record);
    assert_eq!(record.versions, ["tls1_2"]);
    assert_eq!(codes(&record), openssl_suites("-tls1_2", cipher));
    assert_eq!(record.user_agent.as_deref(), Some("python-ssl-test"));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "TLSv1.2");
}

#[tokio::test]
async fn java_client_with_set_suites() {
    if !present("javac") || !present("java") {
        return;
    }
    let dir = common::TempDir::new("listen-java");
    let source = r#"
import javax.net.ssl.*;
import java.io.*;
import java.security.cert.X509Certificate;
public class Client {
    public static void main(String[] args) throws Exception {
        TrustManager[] trustAll = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustAll, null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", Integer.parseInt(args[0]));
        s.setEnabledProtocols(new String[] { "TLSv1.2" });
        s.setEnabledCipherSuites(new String[] { "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" });
        OutputStream out = s.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: java-test\r\n\r\n".getBytes());
        out.flush();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[65536];
        while (in.read(buf) > 0) {}
        System.out.println(s.getSession().getProtocol());
        s.close();
    }
}
"#;
    let src = dir.write("Client.java", source);
    let status = Command::new("javac")
        .arg("-d")
        .arg(&dir.0)
        .arg(&src)
        .status()
        .expect("javac");
    assert!(status.success());
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let mut cmd = Command::new("java");
    cmd.arg("-cp")
        .arg(&dir.0)
        .arg("Client")
        .arg(port.to_string());
    let out = run(cmd, b"").await;
    assert!(out.status.success(), "{out:?}");
    let record = next(&mut listener).await;
    completed(&record);
    assert_eq!(record.versions, ["tls1_2"]);
    let names: Vec<&str> = record
        .real_cipher_suites()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        ]
    );
    assert_eq!(record.user_agent.as_deref(), Some("java-test"));
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
}

#[tokio::test]
async fn headless_chromium_gets_the_html_page() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium must be installed in CI (apt-get install -y chromium)"
        );
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let mut listener = start().await;
    let port = listener.local_addr().port();
    let mut ja4 = Vec::new();
    for round in 0..2 {
        let profile = common::TempDir::new(&format!("listen-chromium-{round}"));
        let mut cmd = Command::new(browser);
        cmd.args(common::clients::chromium_headless(&profile.0))
            .arg("--ignore-certificate-errors")
            .args(["--dump-dom", &format!("https://localhost:{port}/")]);
        let out = run(cmd, b"").await;
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(dom.contains("id=\"tlsdoctor-listen\""), "{out:?}");
        // The browser may open more than one connection; find the page fetch.
        let record = loop {
            let r = next(&mut listener).await;
            if r.user_agent.is_some() {
                break r;
            }
        };
        completed(&record);
        assert!(record.user_agent.as_deref().unwrap().contains("Chrome"));
        assert!(record.versions.contains(&"tls1_3".to_string()));
        assert!(
            record.cipher_suites.iter().any(|s| s.grease),
            "Chromium sends GREASE"
        );
        assert!(record.flag("intercepted").is_none(), "{:?}", record.flags);
        ja4.push(record.ja4.clone().unwrap());
    }
    // Chromium shuffles its extensions per connection; JA4 sorts them away.
    assert_eq!(ja4[0], ja4[1]);
}
