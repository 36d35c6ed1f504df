//! `diagnose` against more servers nobody here wrote, each configured the way
//! an operator would (and as found wrong or right by hand on 2026-12-03):
//! Python's `ssl` module, Java's `HttpsServer` (JSSE), stunnel and lighttpd.
//! Each expected code follows from the configuration.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::servers::{installed, rsa_pki, start, stunnel, Pki, Running};
use common::{free_port, openssl_self_signed, TempDir, OPENSSL_RSA_2048};
use model::{Code, Report};

fn codes(report: &Report) -> Vec<Code> {
    report.diagnoses.iter().map(|d| d.code).collect()
}

// ---------------------------------------------------------------- Python

/// `python3` serving HTTPS with `ssl.SSLContext`, configured by `setup`
/// (Python statements on `ctx`).
fn python(dir: &Path, cert: &Path, key: &Path, setup: &str) -> Option<Running> {
    installed("python3", "--version")?;
    let port = free_port();
    let script = dir.join(format!("server-{port}.py"));
    std::fs::write(
        &script,
        format!(
            "import ssl, http.server\nctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\nctx.load_cert_chain({cert:?}, {key:?})\n{setup}\nclass H(http.server.SimpleHTTPRequestHandler):\n    def log_message(self, *a): pass\nhttpd = http.server.HTTPServer(('127.0.0.1', {port}), H)\nhttpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)\nhttpd.serve_forever()\n"
        ),
    )
    .expect("script");
    let mut command = Command::new("python3");
    command.arg(&script).current_dir(dir);
    Some(start(command, port))
}

/// Python's `ssl` loads no DH parameters, so a DHE-only server refuses
/// every hello with handshake_failure: the same wire evidence as a key type
/// that fits no suite, and the diagnosis says both.
#[tokio::test]
async fn python_dhe_only_without_parameters_names_both_causes() {
    let dir = TempDir::new("python-dhe");
    let (cert, key) = openssl_self_signed(&dir, "rsa", OPENSSL_RSA_2048, &[]);
    let Some(server) = python(
        &dir.0,
        &cert,
        &key,
        "ctx.maximum_version = ssl.TLSVersion.TLSv1_2\nctx.set_ciphers('DHE-RSA-AES128-GCM-SHA256')",
    ) else {
        return;
    };
    let report = common::diagnose(server.port, Some(&cert), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::CertKeyTypeMismatch,
        "{report:#?}"
    );
    assert!(report.diagnoses[0].summary.contains("DHE-only"));
}

#[tokio::test]
async fn python_requiring_a_client_certificate_is_client_cert_required() {
    let pki = rsa_pki("python-mtls");
    let setup = format!(
        "ctx.verify_mode = ssl.CERT_REQUIRED\nctx.load_verify_locations({:?})",
        pki.client_ca
    );
    let Some(server) = python(&pki.dir.0, &pki.cert, &pki.key, &setup) else {
        return;
    };
    let report = common::diagnose(server.port, Some(&pki.ca), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
}

// ---------------------------------------------------------------- Java

/// A Java `HttpsServer` (JSSE) on the PKI's certificate; `parameters` are
/// Java statements on the `SSLParameters sp`.
fn java(pki: &Pki, parameters: &str) -> Option<Running> {
    installed("javac", "-version")?;
    let port = free_port();
    let dir = pki.dir.0.join(format!("java-{port}"));
    std::fs::create_dir_all(&dir).expect("java dir");
    let p12 = dir.join("server.p12");
    let status = Command::new("openssl")
        .args(["pkcs12", "-export", "-passout", "pass:changeit", "-in"])
        .arg(&pki.cert)
        .arg("-inkey")
        .arg(&pki.key)
        .arg("-out")
        .arg(&p12)
        .status()
        .expect("openssl pkcs12");
    assert!(status.success());
    let source = format!(
        r#"import com.sun.net.httpserver.*; import javax.net.ssl.*; import java.security.*; import java.io.*; import java.net.*;
public class Server {{ public static void main(String[] a) throws Exception {{
  KeyStore ks = KeyStore.getInstance("PKCS12"); ks.load(new FileInputStream({p12:?}), "changeit".toCharArray());
  KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509"); kmf.init(ks, "changeit".toCharArray());
  KeyStore ts = KeyStore.getInstance("PKCS12"); ts.load(null, null);
  ts.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(new FileInputStream({ca:?})));
  TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX"); tmf.init(ts);
  SSLContext ctx = SSLContext.getInstance("TLS"); ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
  HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", {port}), 0);
  s.setHttpsConfigurator(new HttpsConfigurator(ctx) {{ public void configure(HttpsParameters p) {{
    SSLParameters sp = ctx.getDefaultSSLParameters(); {parameters} p.setSSLParameters(sp); }} }});
  s.createContext("/", x -> {{ byte[] b = "hi\n".getBytes(); x.sendResponseHeaders(200, b.length); x.getResponseBody().write(b); x.close(); }});
  s.start(); }} }}
"#,
        p12 = p12.display().to_string(),
        ca = pki.client_ca.display().to_string(),
    );
    std::fs::write(dir.join("Server.java"), source).expect("source");
    let status = Command::new("javac")
        .arg("Server.java")
        .current_dir(&dir)
        .status()
        .expect("javac");
    assert!(status.success(), "javac failed");
    let mut command = Command::new("java");
    command.args(["-cp", ".", "Server"]).current_dir(&dir);
    Some(start(command, port))
}

#[tokio::test]
async fn java_need_client_auth_over_tls12_is_client_cert_required() {
    let pki = rsa_pki("java-need");
    let Some(server) = java(
        &pki,
        "sp.setNeedClientAuth(true); sp.setProtocols(new String[]{\"TLSv1.2\"});",
    ) else {
        return;
    };
    let report = common::diagnose(server.port, Some(&pki.ca), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
}

#[tokio::test]
async fn java_want_client_auth_is_ok_without_one() {
    let pki = rsa_pki("java-want");
    let Some(server) = java(&pki, "sp.setWantClientAuth(true);") else {
        return;
    };
    let report = common::diagnose(server.port, Some(&pki.ca), |_| {}).await;
    assert_eq!(report.failed_step, None, "{report:#?}");
    assert!(!codes(&report).contains(&Code::ClientCertRequired));
}

// ---------------------------------------------------------------- stunnel

/// stunnel's `verify = 0` asks for a client certificate and ignores the
/// answer. At TLS 1.1 (which rustls cannot speak) tlsdoctor's own engine
/// finishes curl's handshake without one: not `client_cert_required`.
#[tokio::test]
async fn stunnel_optional_client_certificate_at_tls11_is_not_required() {
    let pki = rsa_pki("stunnel-optional");
    let Some(server) = stunnel(
        &pki,
        "verify = 0\nsslVersionMin = TLSv1\nsslVersionMax = TLSv1.1\nciphers = AES128-SHA:@SECLEVEL=0",
    ) else {
        return;
    };
    let report = common::diagnose(server.port, Some(&pki.ca), |job| {
        job.context.client = analysis::profiles::by_name("curl-7.88").expect("profile");
    })
    .await;
    assert_eq!(report.failed_step, None, "{report:#?}");
    assert!(!codes(&report).contains(&Code::ClientCertRequired));
    assert!(codes(&report).contains(&Code::LegacyProtocolsEnabled));
}

#[tokio::test]
async fn stunnel_verify_2_is_client_cert_required() {
    let pki = rsa_pki("stunnel-verify");
    let Some(server) = stunnel(&pki, "verify = 2") else {
        return;
    };
    let report = common::diagnose(server.port, Some(&pki.ca), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
}

// ---------------------------------------------------------------- lighttpd

fn lighttpd(pki: &Pki, options: &str) -> Option<Running> {
    let program = installed("lighttpd", "-v")?;
    let port = free_port();
    let root = pki.dir.0.join(format!("lighttpd-{port}"));
    std::fs::create_dir_all(&root).expect("document root");
    std::fs::write(root.join("index.html"), "hi\n").expect("index");
    let conf: PathBuf = root.join("lighttpd.conf");
    std::fs::write(
        &conf,
        format!(
            "server.document-root = {:?}\nserver.port = {port}\nserver.bind = \"127.0.0.1\"\nserver.modules = (\"mod_openssl\")\nssl.engine = \"enable\"\nssl.pemfile = {:?}\nssl.privkey = {:?}\nssl.ca-file = {:?}\n{options}\n",
            root.display().to_string(),
            pki.cert.display().to_string(),
            pki.key.display().to_string(),
            pki.client_ca.display().to_string()
        ),
    )
    .expect("lighttpd.conf");
    let mut command = Command::new(program);
    command.arg("-D").arg("-f").arg(&conf);
    Some(start(command, port))
}

#[tokio::test]
async fn lighttpd_enforcing_client_certificates_is_client_cert_required() {
    let pki = rsa_pki("lighttpd-enforce");
    let Some(server) = lighttpd(
        &pki,
        "ssl.verifyclient.activate = \"enable\"\nssl.verifyclient.enforce = \"enable\"",
    ) else {
        return;
    };
    let report = common::diagnose(server.port, Some(&pki.ca), |_| {}).await;
    assert_eq!(
        report.primary_code(),
        Code::ClientCertRequired,
        "{report:#?}"
    );
}
