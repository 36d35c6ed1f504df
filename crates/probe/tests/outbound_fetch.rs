//! The outbound-request policy on the AIA caIssuers fetch, end to end: a
//! certificate URL whose host resolves (through the test's loopback DNS
//! server) to loopback is not fetched for a public target; metadata, private
//! and unique-local literals are refused without a packet; a loopback
//! target fetches from loopback (chunked body decoded); `allow_private_fetch`
//! lifts the refusal; a redirect to a private address is not followed.
//!
//! All traffic stays on 127.0.0.1: refused addresses are refused before any
//! connection, and the public target address is never contacted (a fetch
//! does not connect to the target).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use model::{
    DnsObservation, FetchObservation, ProbeKind, ProbeRequest, Purpose, Target, TcpOutcome,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAME: &str = "ca.public-looking.example";

/// An HTTP server on loopback that answers every request with `reply` and
/// remembers the requests' heads.
struct CaServer {
    port: u16,
    accepted: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn ca_server(reply: &'static [u8]) -> CaServer {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (count, seen) = (accepted.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = stream.write_all(reply).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    CaServer {
        port,
        accepted,
        requests,
    }
}

/// Fetches `url` for a target at `target`, resolving names through the
/// test's DNS server (which knows [`NAME`] as 127.0.0.1).
async fn fetch(url: &str, target: IpAddr, allow_private: bool) -> (TcpOutcome, FetchObservation) {
    let resolver = lab::start_dns(NAME, Ipv4Addr::LOCALHOST).unwrap();
    let dns = DnsObservation {
        skipped: true,
        addresses: vec![target],
        ..Default::default()
    };
    let request = ProbeRequest {
        purpose: Purpose::Issuer { url: url.into() },
        kind: ProbeKind::FetchIssuer { url: url.into() },
    };
    let options = probe::ProbeOptions {
        timeout: Duration::from_secs(5),
        resolver: Some(resolver),
        allow_private_fetch: allow_private,
        ..Default::default()
    };
    let mut records = probe::run(
        &Target::new("public.example", 443),
        &dns,
        vec![request],
        &options,
    )
    .await;
    let record = records.remove(0);
    (record.tcp, record.fetch.expect("a fetch record"))
}

const PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n\x30\x03\r\n3;x=y\r\n\x02\x01\x01\r\n0\r\n\r\n";

#[tokio::test]
async fn a_name_resolving_to_loopback_is_not_fetched_for_a_public_target() {
    let server = ca_server(CHUNKED).await;
    let url = format!("http://{NAME}:{}/intermediate.crt", server.port);
    let (tcp, fetched) = fetch(&url, PUBLIC, false).await;
    assert_eq!(tcp, TcpOutcome::NotAttempted);
    let error = fetched.error.expect("refused");
    assert!(error.contains("outbound-request policy"), "{error}");
    let refused = fetched.refused.expect("the refusal is recorded");
    assert!(
        refused.contains("127.0.0.1: a loopback address"),
        "{refused}"
    );
    assert!(fetched.body.0.is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        server.accepted.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn metadata_private_and_unique_local_literals_are_refused() {
    for (url, class) in [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://10.0.0.1/ca.crt", "private"),
        ("http://192.168.1.1:8080/", "private"),
        ("http://100.100.100.200/", "carrier-grade NAT"),
        ("http://[fd00:ec2::254]/", "unique-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
    ] {
        // A loopback target may fetch from loopback, not from these.
        let (tcp, fetched) = fetch(url, LOOPBACK, false).await;
        assert_eq!(tcp, TcpOutcome::NotAttempted, "{url}");
        let refused = fetched.refused.unwrap_or_default();
        assert!(refused.contains(class), "{url}: {refused}");
        assert!(fetched.error.is_some(), "{url}");
    }
}

#[tokio::test]
async fn a_loopback_target_fetches_from_loopback_and_decodes_chunks() {
    let server = ca_server(CHUNKED).await;
    let url = format!("http://{NAME}:{}/intermediate.crt", server.port);
    let (tcp, fetched) = fetch(&url, LOOPBACK, false).await;
    assert!(matches!(tcp, TcpOutcome::Connected { .. }), "{tcp:?}");
    assert_eq!(fetched.error, None);
    assert_eq!(fetched.refused, None);
    assert_eq!(fetched.body.0, b"\x30\x03\x02\x01\x01");
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("GET /intermediate.crt HTTP/1.1\r\n"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].contains(&format!("\r\nHost: {NAME}:{}\r\n", server.port)),
        "{}",
        requests[0]
    );
}

#[tokio::test]
async fn allow_private_fetch_lifts_the_refusal() {
    let server = ca_server(CHUNKED).await;
    let url = format!("http://{NAME}:{}/intermediate.crt", server.port);
    let (_, fetched) = fetch(&url, PUBLIC, true).await;
    assert_eq!(fetched.error, None);
    assert_eq!(fetched.body.0, b"\x30\x03\x02\x01\x01");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_not_followed() {
    let server = ca_server(
        b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let url = format!("http://127.0.0.1:{}/intermediate.crt", server.port);
    let (_, fetched) = fetch(&url, LOOPBACK, false).await;
    let error = fetched.error.expect("not a certificate");
    assert!(error.contains("302"), "{error}");
    assert_eq!(
        server.accepted.load(Ordering::SeqCst),
        1,
        "one request, no redirect"
    );
}
