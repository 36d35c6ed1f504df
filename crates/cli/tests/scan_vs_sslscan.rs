//! Suite lists per protocol equal sslscan's for real nginx, Apache and stunnel
//! configurations (the servers nobody here wrote, configured the way
//! operators do): every suite either tool finds accepted, the other finds
//! too, at every protocol. sslscan is installed by `.ci/run`.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::recipes::tls_server;
use common::scan::{run_scan, scan_job, scan_loopback};
use common::servers::{apache, installed, nginx, pki, rsa_pki, stunnel};
use model::ScanReport;

/// (protocol, suite code) pairs.
type Accepted = BTreeSet<(String, u16)>;

fn tlsdoctor_lists(report: &ScanReport) -> Accepted {
    report
        .protocols
        .iter()
        .filter(|(name, _)| *name != "ssl2")
        .flat_map(|(name, p)| {
            assert!(
                p.cipher_suites_interrupted.is_none(),
                "{name}: {:?}",
                p.cipher_suites_interrupted
            );
            p.cipher_suites.iter().map(move |s| {
                let code = wire::registry::CipherSuite::from_name(s)
                    .unwrap_or_else(|| panic!("unknown suite name {s}"))
                    .0;
                (name.to_string(), code)
            })
        })
        .collect()
}

/// `sslscan --xml=-` against 127.0.0.1:`port`: the accepted suites.
fn sslscan_lists(port: u16) -> Accepted {
    sslscan_lists_with(port, &[])
}

/// [`sslscan_lists`] with more options (`--starttls-smtp`, ...).
fn sslscan_lists_with(port: u16, options: &[&str]) -> Accepted {
    // sslscan reads the STARTTLS greeting in one recv and gives up ("did not
    // appear to be an SMTP service") when it is slow: ask again.
    let mut xml = String::new();
    for _ in 0..5 {
        let out = Command::new("sslscan")
            .args(["--no-colour", "--xml=-"])
            .args(options)
            .arg(format!("127.0.0.1:{port}"))
            .output()
            .expect("sslscan runs");
        xml = String::from_utf8_lossy(&out.stdout).into_owned();
        if !xml.contains("<error>") {
            break;
        }
    }
    assert!(!xml.contains("<error>"), "sslscan failed: {xml}");
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(tag[start..start + len].to_string())
    };
    xml.split("<cipher ")
        .skip(1)
        .filter_map(|tag| {
            // The attributes, with the space that precedes each.
            let tag = format!(" {}", &tag[..tag.find('>')?]);
            let tag = tag.as_str();
            let status = attr(tag, "status")?;
            if status != "accepted" && status != "preferred" {
                return None;
            }
            let protocol = match attr(tag, "sslversion")?.as_str() {
                "SSLv3" => "ssl3",
                "TLSv1.0" => "tls1_0",
                "TLSv1.1" => "tls1_1",
                "TLSv1.2" => "tls1_2",
                "TLSv1.3" => "tls1_3",
                _ => return None,
            };
            let id = attr(tag, "id")?;
            let code = u16::from_str_radix(id.trim_start_matches("0x"), 16).ok()?;
            Some((protocol.to_string(), code))
        })
        .collect()
}

fn sslscan_installed() -> bool {
    installed("sslscan", "--version").is_some()
}

fn assert_same(server: &str, ours: &Accepted, theirs: &Accepted) {
    let only_ours: Vec<_> = ours.difference(theirs).collect();
    let only_theirs: Vec<_> = theirs.difference(ours).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "{server}: tlsdoctor only {only_ours:x?}, sslscan only {only_theirs:x?}; sslscan: {theirs:x?}"
    );
    assert!(!ours.is_empty(), "{server}: nothing accepted");
}

#[tokio::test(flavor = "multi_thread")]
async fn nginx_suite_lists_equal_sslscans() {
    if !sslscan_installed() {
        return;
    }
    for (name, config) in [
        ("nginx defaults", ""),
        (
            "nginx TLS 1.0-1.2, ALL, server order",
            "    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n    ssl_ciphers ALL:@SECLEVEL=0;\n    ssl_prefer_server_ciphers on;",
        ),
        (
            "nginx TLS 1.2-1.3, ECDHE AEAD only",
            "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;",
        ),
    ] {
        let pki = pki("scan-vs-sslscan-nginx");
        let Some(server) = nginx(&pki, config) else {
            return;
        };
        let ours = tlsdoctor_lists(&scan_loopback("localhost", server.port, &[&pki.ca]).await);
        assert_same(name, &ours, &sslscan_lists(server.port));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn apache_suite_lists_equal_sslscans() {
    if !sslscan_installed() {
        return;
    }
    for (name, vhost) in [
        ("apache defaults", ""),
        (
            "apache TLS 1.2 only, HIGH",
            "  SSLProtocol -all +TLSv1.2\n  SSLCipherSuite HIGH:!aNULL",
        ),
    ] {
        let pki = pki("scan-vs-sslscan-apache");
        let Some(server) = apache(&pki, vhost) else {
            return;
        };
        let ours = tlsdoctor_lists(&scan_loopback("localhost", server.port, &[&pki.ca]).await);
        assert_same(name, &ours, &sslscan_lists(server.port));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stunnel_suite_lists_equal_sslscans() {
    if !sslscan_installed() {
        return;
    }
    for (name, options) in [
        ("stunnel defaults", ""),
        (
            "stunnel TLS 1.0-1.1, AES128-SHA",
            "sslVersionMin = TLSv1\nsslVersionMax = TLSv1.1\nciphers = AES128-SHA:@SECLEVEL=0",
        ),
        (
            "stunnel TLS 1.2, ECDHE-RSA and DHE-RSA AES-GCM",
            "sslVersion = TLSv1.2\nciphers = ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
        ),
    ] {
        let pki = rsa_pki("scan-vs-sslscan-stunnel");
        let Some(server) = stunnel(&pki, options) else {
            return;
        };
        let ours = tlsdoctor_lists(&scan_loopback("localhost", server.port, &[&pki.ca]).await);
        assert_same(name, &ours, &sslscan_lists(server.port));
    }
}

/// Over STARTTLS, the same lists as sslscan's `--starttls-*` for Exim
/// (SMTP), Dovecot (IMAP, POP3) and PostgreSQL. Not slapd: sslscan 2.0.7
/// gives up on slapd 2.5's StartTLS answer (an ExtendedResponse without the
/// optional responseName, `30 0c 02 01 01 78 07 0a 01 00 04 00 04 00`) with
/// "failed with unknown error"; the LDAP scan is checked in
/// `starttls_servers.rs` instead.
#[tokio::test(flavor = "multi_thread")]
async fn starttls_suite_lists_equal_sslscans() {
    use model::StartTls;
    if !sslscan_installed() {
        return;
    }
    for (recipe, program, protocol, option) in [
        ("smtp", "exim4", StartTls::Smtp, "--starttls-smtp"),
        ("dovecot", "dovecot", StartTls::Imap, "--starttls-imap"),
        ("dovecot", "dovecot", StartTls::Pop3, "--starttls-pop3"),
        (
            "postgres",
            "pg_lsclusters",
            StartTls::Postgres,
            "--starttls-psql",
        ),
    ] {
        let pki = pki(&format!("scan-vs-sslscan-{recipe}"));
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
        let ours = tlsdoctor_lists(&run_scan(&job).await);
        assert_same(
            &format!("{recipe} {protocol}"),
            &ours,
            &sslscan_lists_with(port, &[option]),
        );
    }
}
