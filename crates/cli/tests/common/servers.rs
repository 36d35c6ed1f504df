//! Real servers the tests start on loopback as ordinary processes (nginx,
//! Apache, stunnel), each killed with its [`Running`] handle, and the certificates
//! they serve ([`Pki`]).
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{free_port, leaf, root, wait_for_port, TempDir};

/// A server process killed (and waited for) when the test ends.
pub struct Running {
    pub port: u16,
    pub child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of `program` when it runs (found on PATH, or in /usr/sbin,
/// where Debian puts nginx, apache2 and haproxy, outside a non-root PATH);
/// outside CI a missing one skips the test.
pub fn installed(program: &str, version_arg: &str) -> Option<PathBuf> {
    let found = [PathBuf::from(program), Path::new("/usr/sbin").join(program)]
        .into_iter()
        .find(|path| {
            Command::new(path)
                .arg(version_arg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} must be installed in CI"
        );
        eprintln!("skipped: {program} is not installed");
    }
    found
}

/// The files of one test: a server certificate for localhost from a root,
/// a client CA, a client certificate from it and one from a foreign CA.
pub struct Pki {
    pub dir: TempDir,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
    pub client: (PathBuf, PathBuf),
    pub foreign: (PathBuf, PathBuf),
}

pub fn pki(tag: &str) -> Pki {
    let dir = TempDir::new(tag);
    let ca = root("tlsdoctor app test root");
    let (cert, key) = leaf(&["localhost"], -1, 90, Some(&ca));
    let client_ca = root("tlsdoctor app client CA");
    let (client_cert, client_key) = leaf(&["client"], -1, 30, Some(&client_ca));
    let other_ca = root("tlsdoctor app other CA");
    let (foreign_cert, foreign_key) = leaf(&["client"], -1, 30, Some(&other_ca));
    Pki {
        ca: dir.write("ca.pem", &ca.pem()),
        cert: dir.write("cert.pem", &cert),
        key: dir.write("key.pem", &key),
        client_ca: dir.write("client-ca.pem", &client_ca.pem()),
        client: (
            dir.write("client.pem", &client_cert),
            dir.write("client.key", &client_key),
        ),
        foreign: (
            dir.write("foreign.pem", &foreign_cert),
            dir.write("foreign.key", &foreign_key),
        ),
        dir,
    }
}

/// nginx in the foreground, one process (`master_process off`, so it runs as
/// the test's user), with `server` as the body of its one TLS server block.
pub fn nginx(pki: &Pki, server: &str) -> Option<Running> {
    nginx_listening(pki, "ssl", server)
}

/// [`nginx`] with other `listen` parameters (`ssl http2`).
pub fn nginx_listening(pki: &Pki, listen: &str, server: &str) -> Option<Running> {
    let program = installed("nginx", "-v")?;
    let port = free_port();
    let prefix = pki.dir.0.join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).expect("nginx prefix");
    let temp = |name: &str| prefix.join(name).display().to_string();
    let conf = format!(
        "master_process off;\nworker_processes 1;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {}; proxy_temp_path {}; fastcgi_temp_path {}; uwsgi_temp_path {}; scgi_temp_path {};\n  server {{\n    listen 127.0.0.1:{port} {listen};\n    server_name localhost;\n    ssl_certificate {};\n    ssl_certificate_key {};\n{server}\n  }}\n}}\n",
        temp("body"),
        temp("proxy"),
        temp("fastcgi"),
        temp("uwsgi"),
        temp("scgi"),
        pki.cert.display(),
        pki.key.display(),
    );
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("write nginx.conf");
    let mut child = Command::new(&program)
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf_path)
        .arg("-g")
        .arg(format!(
            "daemon off; pid {}; error_log stderr;",
            prefix.join("nginx.pid").display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    wait_for_port(port, &mut child);
    Some(Running { port, child })
}

/// Apache (mod_ssl) as one process (`-X`, so killing it stops everything)
/// with `vhost` inside its one TLS virtual host.
pub fn apache(pki: &Pki, vhost: &str) -> Option<Running> {
    let program = installed("apache2", "-v")?;
    let modules = Path::new("/usr/lib/apache2/modules");
    let port = free_port();
    let root = pki.dir.0.join("apache");
    std::fs::create_dir_all(root.join("www")).expect("apache root");
    std::fs::write(root.join("www/index.html"), "hello\n").expect("index.html");
    let load =
        |name: &str, file: &str| format!("LoadModule {name} {}\n", modules.join(file).display());
    let conf = format!(
        "ServerRoot {root}\n{}{}{}{}ServerName localhost\nListen 127.0.0.1:{port}\nPidFile {root}/httpd.pid\nDefaultRuntimeDir {root}\nErrorLog {root}/error.log\nDocumentRoot {root}/www\nSSLSessionCache shmcb:{root}/ssl_scache(51200)\n<VirtualHost 127.0.0.1:{port}>\n  SSLEngine on\n  SSLCertificateFile {}\n  SSLCertificateKeyFile {}\n  SSLCACertificateFile {}\n{vhost}\n</VirtualHost>\n",
        load("mpm_event_module", "mod_mpm_event.so"),
        load("authz_core_module", "mod_authz_core.so"),
        load("socache_shmcb_module", "mod_socache_shmcb.so"),
        load("ssl_module", "mod_ssl.so"),
        pki.cert.display(),
        pki.key.display(),
        pki.client_ca.display(),
        root = root.display(),
    );
    let conf_path = root.join("httpd.conf");
    std::fs::write(&conf_path, conf).expect("write httpd.conf");
    let mut child = Command::new(&program)
        .arg("-f")
        .arg(&conf_path)
        .arg("-X")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("apache2 starts");
    wait_for_port(port, &mut child);
    Some(Running { port, child })
}

/// An RSA PKI made by `openssl` (a root and a leaf for localhost it signed,
/// the root also the client CA): what these servers' operators use, and RSA
/// so that RSA-only suite settings fit the key.
pub fn rsa_pki(tag: &str) -> Pki {
    let dir = TempDir::new(tag);
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(&dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=tlsdoctor more-servers root",
        "-days",
        "30",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
    ]);
    std::fs::write(dir.0.join("ext"), "subjectAltName=DNS:localhost\n").expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        "ext",
        "-out",
        "leaf.pem",
    ]);
    let path = |name: &str| dir.0.join(name);
    Pki {
        ca: path("ca.pem"),
        cert: path("leaf.pem"),
        key: path("leaf.key"),
        client_ca: path("ca.pem"),
        client: (path("leaf.pem"), path("leaf.key")),
        foreign: (path("leaf.pem"), path("leaf.key")),
        dir,
    }
}

/// A plain HTTP backend for stunnel: answers every connection with 200.
pub fn backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("backend");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n",
            );
        }
    });
    port
}

/// stunnel in the foreground with `options` in its one service.
pub fn stunnel(pki: &Pki, options: &str) -> Option<Running> {
    let program = installed("stunnel4", "-version")?;
    let port = free_port();
    let conf = pki.dir.0.join(format!("stunnel-{port}.conf"));
    std::fs::write(
        &conf,
        format!(
            "foreground = yes\npid =\n[test]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{}\ncert = {}\nkey = {}\nCAfile = {}\n{options}\n",
            backend(),
            pki.cert.display(),
            pki.key.display(),
            pki.client_ca.display()
        ),
    )
    .expect("stunnel.conf");
    let mut command = Command::new(program);
    command.arg(&conf);
    Some(start(command, port))
}

/// Starts `command` (output discarded) and waits until `port` accepts.
pub fn start(mut command: Command, port: u16) -> Running {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    wait_for_port(port, &mut child);
    Running { port, child }
}
