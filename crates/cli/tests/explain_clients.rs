//! `explain` on what real clients print: curl, `openssl s_client` and
//! Python's `ssl` connect to lab servers with one known fault each; their
//! error text, explained, must rank the lab's expected code first (among
//! the codes tied for the top score: a client that prints "unable to get
//! local issuer certificate" cannot tell a missing intermediate from an
//! untrusted root, and `explain` says both).

use std::path::Path;
use std::process::Command;

use model::Code;

mod common;

use common::clients::{installed, LAB_FAILURES as FAULTS};

/// `(client, program, args)` for a server on `port` with the lab CA `ca`.
fn clients(port: u16, ca: &Path) -> Vec<(&'static str, String, Vec<String>)> {
    let ca = ca.display().to_string();
    let url = format!("https://localhost:{port}/");
    let python = format!(
        "import ssl,socket\nctx=ssl.create_default_context(cafile='{ca}')\ns=ctx.wrap_socket(socket.create_connection(('localhost',{port}),timeout=5),server_hostname='localhost')\ns.sendall(b'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n')\nprint(s.recv(100))"
    );
    vec![
        (
            "curl",
            "curl".into(),
            [
                "-sS",
                "--max-time",
                "5",
                "-o",
                "/dev/null",
                "--cacert",
                &ca,
                &url,
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "openssl",
            "openssl".into(),
            [
                "s_client",
                "-connect",
                &format!("localhost:{port}"),
                "-servername",
                "localhost",
                "-verify_return_error",
                "-verify_hostname",
                "localhost",
                "-CAfile",
                &ca,
                "-brief",
            ]
            .map(String::from)
            .to_vec(),
        ),
        ("python", "python3".into(), vec!["-c".into(), python]),
        (
            "gnutls",
            "gnutls-cli".into(),
            ["--x509cafile", &ca, "-p", &port.to_string(), "localhost"]
                .map(String::from)
                .to_vec(),
        ),
        (
            "node",
            "node".into(),
            vec![
                "-e".into(),
                format!(
                    "require('https').get({{host:'localhost',port:{port},path:'/',timeout:5000,ca:require('fs').readFileSync('{ca}')}},r=>{{console.log(r.statusCode);process.exit(0)}}).on('error',e=>{{console.error(e.code||'',e.message);process.exit(1)}})"
                ),
            ],
        ),
    ]
}

/// A one-file Java client (`java Client.java CA URL`): trusts only the CA
/// file, GETs the URL, prints the status or lets the exception end it.
const JAVA_CLIENT: &str = r#"
import javax.net.ssl.*;
import java.io.*;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
public class Client {
    public static void main(String[] a) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = new FileInputStream(a[0])) {
            int i = 0;
            for (java.security.cert.Certificate c : cf.generateCertificates(in)) ks.setCertificateEntry("c" + (i++), c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        HttpsURLConnection c = (HttpsURLConnection) new java.net.URL(a[1]).openConnection();
        c.setSSLSocketFactory(ctx.getSocketFactory());
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        System.out.println(c.getResponseCode());
    }
}
"#;

/// Runs whose message cannot name the lab's fault: GnuTLS ("The certificate
/// issuer is unknown") and Java ("PKIX path building failed") print the same
/// for a self-signed certificate as for an untrusted root. There the lab's
/// code must be among the candidates, not necessarily on top.
/// Chromium's `ERR_CERT_DATE_INVALID` is the same for a certificate not yet
/// valid as for an expired one, and `ERR_CERT_AUTHORITY_INVALID` for a
/// self-signed one as for an untrusted root; against a TLS 1.3 server that
/// requires a client certificate it says `ERR_BAD_SSL_CLIENT_AUTH_CERT` or,
/// when the server's alert arrives after its Finished,
/// `ERR_SOCKET_NOT_CONNECTED`, which a server closing after the handshake
/// also gives.
const INDISTINGUISHABLE: &[(&str, &str)] = &[
    ("gnutls", "self-signed"),
    ("java", "self-signed"),
    ("chromium", "not-yet-valid"),
    ("chromium", "self-signed"),
    ("chromium", "client-cert-required"),
];

/// Headless Chromium loading `url`, with nothing resolved but localhost (no
/// DNS traffic for its background services) and the lab CA in the NSS
/// database under `home`, as a user who imported it would have it.
fn chromium_args(url: &str, profile: &Path) -> Vec<String> {
    let mut args = common::clients::chromium_headless(profile);
    args.extend([
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost".into(),
        "--enable-logging=stderr".into(),
        "--dump-dom".into(),
        url.into(),
    ]);
    args
}

/// Makes `home/.pki/nssdb` trust `ca` (certutil from libnss3-tools); false
/// when certutil is missing or fails.
fn nss_trusting(home: &Path, ca: &Path) -> bool {
    let db = home.join(".pki/nssdb");
    if std::fs::create_dir_all(&db).is_err() {
        return false;
    }
    let db = format!("sql:{}", db.display());
    let ok = |args: &[&str]| {
        Command::new("certutil")
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    ok(&["-d", &db, "-N", "--empty-password"])
        && ok(&[
            "-d",
            &db,
            "-A",
            "-t",
            "C,,",
            "-n",
            "tlsdoctor-lab",
            "-i",
            &ca.display().to_string(),
        ])
}

#[tokio::test(flavor = "multi_thread")]
async fn what_real_clients_print_is_explained_with_the_labs_code() {
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(FAULTS.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let dir = std::env::temp_dir().join(format!("tlsdoctor-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let java_file = dir.join("Client.java");
    std::fs::write(&java_file, JAVA_CLIENT).expect("java client");
    let chromium_home = dir.join("chromium-home");
    let chromium = installed("chromium") && nss_trusting(&chromium_home, lab.ca_file());
    assert!(
        chromium || std::env::var_os("CI").is_none(),
        "chromium and certutil (libnss3-tools) are needed in CI"
    );
    let mut misses = Vec::new();
    let mut explained = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for name in FAULTS {
        let server = lab.server(name).expect("lab server");
        let expect = server.expect;
        let mut all = clients(server.addr.port(), lab.ca_file());
        all.push((
            "java",
            "java".into(),
            vec![
                java_file.display().to_string(),
                lab.ca_file().display().to_string(),
                format!("https://localhost:{}/", server.addr.port()),
            ],
        ));
        if chromium {
            all.push((
                "chromium",
                "chromium".into(),
                chromium_args(
                    &format!("https://localhost:{}/", server.addr.port()),
                    &dir.join(format!("chromium-profile-{name}")),
                ),
            ));
        }
        for (client, program, args) in all {
            if !installed(&program) {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{program} is missing in CI"
                );
                continue;
            }
            let home = (client == "chromium").then(|| chromium_home.clone());
            let out = tokio::task::spawn_blocking(move || {
                let mut command = Command::new("timeout");
                command.arg("20").arg(&program).args(&args);
                if let Some(home) = home {
                    // Chromium reads its trust settings from ~/.pki/nssdb.
                    command.env("HOME", home);
                }
                command
                    .stdin(std::process::Stdio::null())
                    .output()
                    .expect("client runs")
            })
            .await
            .expect("join");
            let mut text = format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            );
            let mut succeeded = out.status.success();
            if client == "chromium" {
                // The line a user sees as the error page's code; the rest of
                // the log is the browser's own chatter.
                text = text
                    .lines()
                    .filter(|l| l.contains("Page load failed"))
                    .collect::<Vec<_>>()
                    .join("\n");
                succeeded = text.is_empty();
            }
            if succeeded {
                // The client accepted what the lab serves (its own policy;
                // Chromium fetches a missing intermediate itself).
                continue;
            }
            let e = analysis::explain::explain(&text);
            let best = e.candidates.first().map(|c| c.score).unwrap_or(0);
            let top: Vec<Code> = e
                .candidates
                .iter()
                .filter(|c| c.score == best)
                .map(|c| c.code)
                .collect();
            let entry = explained.entry(client).or_default();
            entry.1 += 1;
            let listed = e.candidates.iter().any(|c| c.code.as_str() == expect);
            if top.iter().any(|c| c.as_str() == expect)
                || (listed && INDISTINGUISHABLE.contains(&(client, name)))
            {
                entry.0 += 1;
            } else {
                misses.push(format!(
                    "{client} vs {name} (expected {expect}): top {top:?} from {:?}",
                    text.lines()
                        .filter(|l| !l.trim().is_empty()
                            && !l.contains("File \"")
                            && !l.trim_start().starts_with("at ")
                            && !l.trim_start().starts_with("..."))
                        .rev()
                        .take(4)
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    lab.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("explained (client: lab code on top, or listed where the message cannot tell / failing runs): {explained:?}");
    assert!(misses.is_empty(), "{misses:#?}");
}
