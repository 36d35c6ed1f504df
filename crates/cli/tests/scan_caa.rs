//! DNS CAA in the scan, with dnsmasq on loopback as the DNS server (its
//! `--dns-rr` serves CAA records): the certificate's CA allowed, not
//! allowed (its renewal would be refused), allowed by a parent name's
//! records (RFC 8659 climbing), and no records anywhere. The CA is a test
//! root named like Let's Encrypt's intermediates, so that its CAA identifier
//! (`letsencrypt.org`) is the one tlsdoctor links to it.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::scan::{run_scan, scan_job};
use common::{free_port, openssl_server, TempDir};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use time::OffsetDateTime;

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// CAA RDATA (RFC 8659 §4.1): flags, tag length, tag, value.
fn caa(flags: u8, tag: &str, value: &str) -> String {
    format!("{flags:02x}{:02x}{}{}", tag.len(), hex(tag), hex(value))
}

struct Dnsmasq(std::process::Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// dnsmasq answering every name under tlsdoctor.test with 127.0.0.1 and
/// the given CAA records; nothing is forwarded anywhere.
fn dnsmasq(dir: &TempDir, records: &[(&str, String)]) -> Option<(Dnsmasq, SocketAddr)> {
    let program = common::servers::installed("dnsmasq", "--version")?;
    let port = free_port();
    let mut args = vec![
        "-k".to_string(),
        "--conf-file=/dev/null".into(),
        format!("--port={port}"),
        "--listen-address=127.0.0.1".into(),
        "--bind-interfaces".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        format!("--pid-file={}", dir.path("dnsmasq.pid").display()),
        "--local=/test/".into(),
        "--address=/tlsdoctor.test/127.0.0.1".into(),
        "--user=root".into(),
        "--group=root".into(),
    ];
    for (name, rdata) in records {
        args.push(format!("--dns-rr={name},257,{rdata}"));
    }
    let mut child = Command::new(program)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq starts");
    // UDP: wait until the pid file is written (dnsmasq listens by then).
    for _ in 0..100 {
        if dir.path("dnsmasq.pid").exists() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("dnsmasq exited with {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Some((Dnsmasq(child), SocketAddr::from(([127, 0, 0, 1], port))))
}

#[tokio::test(flavor = "multi_thread")]
async fn caa_says_whether_the_certificates_ca_may_issue() {
    let dir = TempDir::new("caa");
    let le = caa(0, "issue", "letsencrypt.org");
    let Some((_dns, resolver)) = dnsmasq(
        &dir,
        &[
            ("allowed.tlsdoctor.test", le.clone()),
            ("denied.tlsdoctor.test", caa(0, "issue", "digicert.com")),
            ("inherit.tlsdoctor.test", le),
        ],
    ) else {
        return;
    };

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "Let's Encrypt");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "R11 (test)");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let names = [
        "allowed.tlsdoctor.test",
        "denied.tlsdoctor.test",
        "sub.inherit.tlsdoctor.test",
        "none.tlsdoctor.test",
    ];
    let mut leaf = CertificateParams::new(names.map(String::from).to_vec()).unwrap();
    let now = OffsetDateTime::now_utc();
    leaf.not_before = now - time::Duration::days(1);
    leaf.not_after = now + time::Duration::days(60);
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    let cert_file = dir.write("leaf.pem", &cert.pem());
    let key_file = dir.write("leaf.key", &key.serialize_pem());
    let ca_file = dir.write("ca.pem", &ca.pem());
    let server = openssl_server(&cert_file, &key_file, &["-www"]);

    let mut reports = Vec::new();
    for name in names {
        let mut job = scan_job(name, server.port, &[&ca_file]);
        job.probe.resolver = Some(resolver);
        let report = run_scan(&job).await;
        reports.push(
            report
                .caa
                .unwrap_or_else(|| panic!("{name}: no CAA report")),
        );
    }
    let [allowed, denied, inherited, none] = &reports[..] else {
        unreachable!()
    };
    assert_eq!(allowed.allowed, Some(true), "{allowed:?}");
    assert_eq!(allowed.records, ["0 issue \"letsencrypt.org\""]);
    assert_eq!(denied.allowed, Some(false), "{denied:?}");
    assert!(denied.detail.contains("renewal"), "{}", denied.detail);
    assert_eq!(
        (inherited.name.as_str(), inherited.allowed),
        ("inherit.tlsdoctor.test", Some(true)),
        "{inherited:?}"
    );
    assert_eq!(none.allowed, Some(true), "{none:?}");
    assert!(none.records.is_empty() && none.detail.contains("every CA may issue"));
}
