//! Revocation from the CA itself, against OpenSSL's own OCSP responder
//! (`openssl ocsp -index`) and a CRL made by `openssl ca -gencrl`, served by
//! an HTTP server, both on loopback: a good and a revoked certificate each
//! way, a responder that is down (unknown, never "good"), and OCSP
//! Must-Staple without a staple. The server is `openssl s_server`, which
//! staples nothing.

mod common;

use std::path::Path;
use std::process::Command;

use common::{free_port, openssl_server, root, Ca, Server, TempDir};
use rcgen::{CertificateParams, CustomExtension, DnType, KeyPair};
use serde_json::Value;
use time::OffsetDateTime;

/// DER length octets (short or two-byte long form, enough for URLs).
fn len(n: usize) -> Vec<u8> {
    if n < 128 {
        vec![n as u8]
    } else {
        vec![0x82, (n >> 8) as u8, n as u8]
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(len(content.len()));
    out.extend_from_slice(content);
    out
}

/// What the leaf names: an OCSP responder, a CRL, Must-Staple.
#[derive(Default)]
struct Names<'a> {
    ocsp: Option<&'a str>,
    crl: Option<&'a str>,
    must_staple: bool,
}

/// A leaf for localhost issued by `ca`; returns (cert PEM, key PEM).
fn leaf(ca: &Ca, names: Names<'_>) -> (String, String) {
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    p.distinguished_name.push(DnType::CommonName, "localhost");
    let now = OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(1);
    p.not_after = now + time::Duration::days(60);
    if let Some(url) = names.ocsp {
        // AuthorityInfoAccess: SEQUENCE { SEQUENCE { id-ad-ocsp, [6] URI } }
        let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
        let mut desc = method.to_vec();
        desc.extend(tlv(0x86, url.as_bytes()));
        let aia = tlv(0x30, &tlv(0x30, &desc));
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 5, 5, 7, 1, 1],
            aia,
        ));
    }
    if let Some(url) = names.crl {
        // CRLDistributionPoints: SEQUENCE { SEQUENCE { [0] { [0] { [6] URI } } } }
        let point = tlv(0xa0, &tlv(0xa0, &tlv(0x86, url.as_bytes())));
        let points = tlv(0x30, &tlv(0x30, &point));
        p.custom_extensions
            .push(CustomExtension::from_oid_content(&[2, 5, 29, 31], points));
    }
    if names.must_staple {
        // TLS Feature: SEQUENCE { INTEGER 5 } (status_request), RFC 7633.
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 5, 5, 7, 1, 24],
            vec![0x30, 0x03, 0x02, 0x01, 0x05],
        ));
    }
    let key = KeyPair::generate().expect("key");
    let cert = p.signed_by(&key, ca).expect("leaf");
    (cert.pem(), key.serialize_pem())
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The CA's database: `index.txt` as `openssl ca` keeps it, with `revoked`
/// certificates marked revoked (keyCompromise) and the rest valid.
fn write_index(dir: &TempDir, valid: &[&Path], revoked: &[&Path]) {
    let mut index = String::new();
    for (path, is_revoked) in valid
        .iter()
        .map(|p| (p, false))
        .chain(revoked.iter().map(|p| (p, true)))
    {
        let path = path.to_str().unwrap();
        let serial = openssl(dir, &["x509", "-in", path, "-noout", "-serial"]);
        let serial = serial.trim().trim_start_matches("serial=").to_string();
        let expiry = "301231235959Z";
        if is_revoked {
            index.push_str(&format!(
                "R\t{expiry}\t240101000000Z,keyCompromise\t{serial}\tunknown\t/CN=localhost\n"
            ));
        } else {
            index.push_str(&format!(
                "V\t{expiry}\t\t{serial}\tunknown\t/CN=localhost\n"
            ));
        }
    }
    dir.write("index.txt", &index);
    dir.write("index.txt.attr", "unique_subject = no\n");
}

/// `openssl ocsp` answering from index.txt, signed by the CA itself.
fn ocsp_responder(dir: &TempDir, port: u16) -> Server {
    let mut child = Command::new("openssl")
        .args([
            "ocsp",
            "-index",
            "index.txt",
            "-port",
            &port.to_string(),
            "-CA",
            "ca.pem",
            "-rsigner",
            "ca.pem",
            "-rkey",
            "ca.key",
            "-nmin",
            "60",
        ])
        .current_dir(&dir.0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl ocsp starts");
    wait_for_responder(&dir.0, port, &mut child);
    Server { port, child }
}

/// Waits until the responder answers an OCSP request (`openssl ocsp` as a
/// client, about the CA certificate itself). Not with a bare connection:
/// OpenSSL's responder serves one connection at a time and waits on one
/// that sends nothing, so the next request would stall.
fn wait_for_responder(dir: &Path, port: u16, child: &mut std::process::Child) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let url = format!("http://127.0.0.1:{port}/");
    while std::time::Instant::now() < deadline {
        let out = Command::new("openssl")
            .args(["ocsp", "-issuer", "ca.pem", "-cert", "ca.pem", "-url", &url])
            .args(["-timeout", "2", "-no_nonce", "-noverify"])
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        if String::from_utf8_lossy(&out.stdout).contains("ca.pem:") {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("openssl ocsp exited with {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("openssl ocsp did not start on port {port}");
}

/// `crl/ca.crl` (DER) from index.txt, signed by the CA.
fn write_crl(dir: &TempDir) {
    dir.write(
        "ca.cnf",
        "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n",
    );
    dir.write("crlnumber", "01\n");
    std::fs::create_dir_all(dir.path("crl")).unwrap();
    openssl(
        dir,
        &[
            "ca",
            "-config",
            "ca.cnf",
            "-gencrl",
            "-keyfile",
            "ca.key",
            "-cert",
            "ca.pem",
            "-out",
            "ca.crl.pem",
        ],
    );
    openssl(
        dir,
        &[
            "crl",
            "-in",
            "ca.crl.pem",
            "-outform",
            "DER",
            "-out",
            "crl/ca.crl",
        ],
    );
}

fn diagnose(port: u16, ca: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsdoctor"))
        .args([
            "diagnose",
            &format!("localhost:{port}"),
            "--ca-file",
            ca.to_str().unwrap(),
            "--json",
            "--timeout",
            "5",
        ])
        .output()
        .expect("tlsdoctor runs");
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn certificate_detail(report: &Value) -> String {
    report["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == "certificate"))
        .and_then(|s| s["detail"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnoses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str().map(String::from))
        .collect()
}

#[test]
fn ocsp_and_crl_answers_from_the_ca() {
    let dir = TempDir::new("revocation");
    let ca = root("tlsdoctor revocation root");
    let ca_pem = dir.write("ca.pem", &ca.pem());
    dir.write("ca.key", &ca.key().serialize_pem());
    let ocsp_port = free_port();
    let crl_server_dir = dir.path("crl");
    std::fs::create_dir_all(&crl_server_dir).unwrap();
    let crl_http = common::http_server(&crl_server_dir);
    let ocsp_url = format!("http://127.0.0.1:{ocsp_port}/");
    let crl_url = format!("http://127.0.0.1:{}/ca.crl", crl_http.port);

    let make = |name: &str, names: Names<'_>| {
        let (cert, key) = leaf(&ca, names);
        (
            dir.write(&format!("{name}.pem"), &cert),
            dir.write(&format!("{name}.key"), &key),
        )
    };
    let good_ocsp = make(
        "good-ocsp",
        Names {
            ocsp: Some(&ocsp_url),
            ..Default::default()
        },
    );
    let revoked_ocsp = make(
        "revoked-ocsp",
        Names {
            ocsp: Some(&ocsp_url),
            ..Default::default()
        },
    );
    let good_crl = make(
        "good-crl",
        Names {
            crl: Some(&crl_url),
            ..Default::default()
        },
    );
    let revoked_crl = make(
        "revoked-crl",
        Names {
            crl: Some(&crl_url),
            ..Default::default()
        },
    );
    let must_staple = make(
        "must-staple",
        Names {
            must_staple: true,
            ..Default::default()
        },
    );
    write_index(
        &dir,
        &[&good_ocsp.0, &good_crl.0],
        &[&revoked_ocsp.0, &revoked_crl.0],
    );
    write_crl(&dir);

    // The responder is down: unknown, and the handshake stands.
    {
        let server = openssl_server(&good_ocsp.0, &good_ocsp.1, &["-www"]);
        let report = diagnose(server.port, &ca_pem);
        assert!(
            !codes(&report).contains(&"cert_revoked".to_string()),
            "{report:#}"
        );
        assert!(
            certificate_detail(&report).contains("revocation unknown"),
            "{}",
            certificate_detail(&report)
        );
    }

    let _responder = ocsp_responder(&dir, ocsp_port);
    for ((cert, key), revoked, source) in [
        (&good_ocsp, false, "OCSP responder"),
        (&revoked_ocsp, true, "OCSP responder"),
        (&good_crl, false, "CRL"),
        (&revoked_crl, true, "CRL"),
    ] {
        let server = openssl_server(cert, key, &["-www"]);
        let report = diagnose(server.port, &ca_pem);
        let name = cert.file_name().unwrap().to_string_lossy().to_string();
        if revoked {
            assert_eq!(
                codes(&report).first().map(String::as_str),
                Some("cert_revoked"),
                "{name}: {report:#}"
            );
            let summary = report["diagnoses"][0]["summary"].as_str().unwrap();
            assert!(
                summary.contains(source) && summary.contains("keyCompromise"),
                "{name}: {summary}"
            );
        } else {
            assert_eq!(report["verdict"], "ok", "{name}: {report:#}");
            let detail = certificate_detail(&report);
            assert!(
                detail.contains(&format!("not revoked, says the CA's {source}")),
                "{name}: {detail}"
            );
        }
    }

    let server = openssl_server(&must_staple.0, &must_staple.1, &["-www"]);
    let report = diagnose(server.port, &ca_pem);
    assert!(
        codes(&report).contains(&"must_staple_missing".to_string()),
        "{report:#}"
    );
}
