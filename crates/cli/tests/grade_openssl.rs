//! The grade of real servers (`openssl s_server` configurations and lab
//! servers), with the rating guide's arithmetic worked out in the comments
//! (docs/grading.md): protocol (best + worst)/2, key exchange by the weakest
//! key (RSA-equivalent bits), cipher (strongest + weakest)/2, total
//! 0.3 p + 0.3 k + 0.4 c, then the caps.

mod common;

use common::scan::scan_loopback;
use common::{leaf, root, TempDir};
use model::{ScanReport, Score};

fn rules(r: &ScanReport) -> Vec<&str> {
    r.grade_caps.iter().map(|c| c.rule.as_str()).collect()
}

fn score(protocol: u32, key_exchange: u32, cipher: u32, total: u32) -> Option<Score> {
    Some(Score {
        protocol,
        key_exchange,
        cipher,
        total,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn openssl_server_grades_follow_the_rating_guide() {
    let dir = TempDir::new("grade-openssl");
    let ca = root("tlsdoctor grade root");
    let ca_file = dir.write("ca.pem", &ca.pem());
    // rcgen's default key: ECDSA P-256 (128-bit security ≈ RSA 3072 → 90).
    let (cert, key) = leaf(&["localhost"], -1, 30, Some(&ca));
    let (cert, key) = (dir.write("leaf.pem", &cert), dir.write("leaf.key", &key));

    // TLS 1.2 only, ECDHE-ECDSA AES-128-GCM and AES-256-GCM, server order.
    // protocol (100 + 100)/2 = 100; key exchange: leaf P-256 ≈ 3072 and the
    // weakest group (x25519/P-256) ≈ 3072 → "< 4096" = 90; cipher
    // (128 bits → 80 + 256 bits → 100)/2 = 90; total 30 + 27 + 36 = 93 → A.
    // No HSTS (s_server -www sends none), so A+ is withheld.
    let server = common::openssl_server(
        &cert,
        &key,
        &[
            "-www",
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
            "-serverpref",
        ],
    );
    let r = scan_loopback("localhost", server.port, &[&ca_file]).await;
    assert_eq!(r.score, score(100, 90, 90, 93), "{:?}", r.grade_caps);
    assert_eq!(r.grade.as_deref(), Some("A"), "{:?}", r.grade_caps);
    assert_eq!(rules(&r), ["no_hsts"]);
    drop(server);

    // TLS 1.0 and TLS 1.2, ECDHE-ECDSA-AES128-SHA (CBC) only.
    // protocol (100 + 90)/2 = 95; key exchange 90; cipher (80 + 80)/2 = 80;
    // total 28.5 + 27 + 32 = 87.5 → 87 → A by score; caps: TLS 1.0 → B,
    // no AEAD suite → B. Grade B.
    let server = common::openssl_server(
        &cert,
        &key,
        &[
            "-www",
            "-no_tls1_3",
            "-no_tls1_1",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0",
        ],
    );
    let r = scan_loopback("localhost", server.port, &[&ca_file]).await;
    assert_eq!(r.score, score(95, 90, 80, 87), "{:?}", r.grade_caps);
    assert_eq!(r.grade.as_deref(), Some("B"));
    let caps = rules(&r);
    assert!(
        caps.contains(&"tls1_0_or_1_1") && caps.contains(&"no_aead"),
        "{caps:?}"
    );
    drop(server);

    // TLS 1.3 only, defaults: TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256
    // (256 → 100) and TLS_AES_128_GCM_SHA256 (128 → 80): cipher 90; protocol
    // 100; key exchange 90 → 93 → A (A+ withheld: no HSTS).
    let server = common::openssl_server(&cert, &key, &["-www", "-tls1_3"]);
    let r = scan_loopback("localhost", server.port, &[&ca_file]).await;
    assert_eq!(r.score, score(100, 90, 90, 93));
    assert_eq!(r.grade.as_deref(), Some("A"));
    drop(server);

    // The same TLS 1.3 server scanned without the CA: untrusted → T, and
    // the reason says which grade it would have. The leaf's issuer is
    // unknown, so the chain also counts as incomplete (an intermediate may
    // be missing) → B once trust is ignored.
    let server = common::openssl_server(&cert, &key, &["-www", "-tls1_3"]);
    let other = dir.write("other.pem", &root("some other root").pem());
    let r = scan_loopback("localhost", server.port, &[&other]).await;
    assert_eq!(r.grade.as_deref(), Some("T"));
    let t = r.grade_caps.iter().find(|c| c.cap == "T").expect("T cap");
    assert!(t.reason.contains("the grade is B"), "{}", t.reason);
    assert!(rules(&r).contains(&"incomplete_chain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lab_server_grades() {
    let lab = lab::Lab::start(lab::LabConfig {
        only: Some(
            ["good", "legacy-ciphers-only", "expired", "wrong-host"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        ..Default::default()
    })
    .await
    .expect("lab starts");
    let grade = |r: &ScanReport| r.grade.clone().unwrap_or_default();
    for server in lab.servers() {
        let r = scan_loopback(&server.host, server.addr.port(), &[lab.ca_file()]).await;
        eprintln!(
            "{}: {} {:?} {:?}",
            server.name,
            grade(&r),
            r.score,
            rules(&r)
        );
        match server.name {
            // TLS 1.2 + 1.3, AEAD suites only, rustls: protocol 100; cipher
            // (AES-128-GCM 80 + AES-256-GCM/ChaCha20 100)/2 = 90; key
            // exchange 90 (2048-3072-bit strength) → 93 → A, no HSTS.
            "good" => {
                assert_eq!(r.score.as_ref().map(|s| s.total), Some(93));
                assert_eq!(grade(&r), "A");
            }
            // TLS 1.2 only with 3DES and RC4 (RSA key exchange): cipher
            // (3DES 168 → 80 + RC4 128 → 80)/2 = 80; protocol 100; key
            // exchange 90 (RSA 2048) → 30 + 27 + 32 = 89 → A by score; caps:
            // RC4 with TLS 1.2 → C, 3DES with TLS 1.2 → C, no forward
            // secrecy → B, no AEAD → B. Grade C.
            "legacy-ciphers-only" => {
                assert_eq!(r.score.as_ref().map(|s| s.total), Some(89));
                assert_eq!(grade(&r), "C");
                let caps = rules(&r);
                for rule in ["rc4_modern_protocols", "no_forward_secrecy", "no_aead"] {
                    assert!(caps.contains(&rule), "{rule} in {caps:?}");
                }
            }
            "expired" => assert_eq!(grade(&r), "T"),
            "wrong-host" => assert_eq!(grade(&r), "M"),
            _ => {}
        }
    }
}
