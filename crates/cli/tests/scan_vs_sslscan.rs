//! Suite lists per protocol equal sslscan's for real nginx, Apache and stunnel
//! configurations (the servers nobody here wrote, configured the way
//! operators do): every suite either tool finds accepted, the other finds
//! too, at every protocol. sslscan is installed by `.ci/run`.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::scan::scan_loopback;
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
    let out = Command::new("sslscan")
        .args(["--no-colour", "--xml=-", &format!("127.0.0.1:{port}")])
        .output()
        .expect("sslscan runs");
    let xml = String::from_utf8_lossy(&out.stdout);
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
