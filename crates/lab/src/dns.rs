//! A one-name DNS responder on loopback, so that tests can resolve a
//! public-looking name without asking any outside server: answers every A
//! query for its name with one address and everything else with NXDOMAIN
//! (RFC 1035 §4.1). Runs on its own thread until idle for 30 s.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// Starts a responder on 127.0.0.1 answering `name` with `address`;
/// returns the address to pass as the resolver.
pub fn start_dns(name: &str, address: Ipv4Addr) -> std::io::Result<SocketAddr> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(Duration::from_secs(30)))?;
    let local = socket.local_addr()?;
    let name = name.to_ascii_lowercase();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            if let Some(reply) = answer(&buf[..n], &name, address) {
                let _ = socket.send_to(&reply, peer);
            }
        }
    });
    Ok(local)
}

/// The reply to one query; `None` for a packet too short to answer.
fn answer(query: &[u8], name: &str, address: Ipv4Addr) -> Option<Vec<u8>> {
    let n = query.len();
    if n < 12 {
        return None;
    }
    // The question: QNAME labels, then QTYPE and QCLASS.
    let mut pos = 12;
    let mut labels = Vec::new();
    while pos < n && query[pos] != 0 {
        let len = query[pos] as usize;
        labels
            .push(String::from_utf8_lossy(&query[pos + 1..(pos + 1 + len).min(n)]).to_lowercase());
        pos += 1 + len;
    }
    if pos + 4 >= n {
        return None;
    }
    let question_end = pos + 5;
    let qtype = u16::from_be_bytes([query[pos + 1], query[pos + 2]]);
    let known = labels.join(".") == name;
    let mut reply = Vec::new();
    reply.extend_from_slice(&query[..2]); // ID
    let rcode = if known { 0 } else { 3 };
    reply.extend_from_slice(&[0x81, 0x80 | rcode]); // QR, RD, RA, RCODE
    let answers: u16 = if known && qtype == 1 { 1 } else { 0 };
    reply.extend_from_slice(&[0, 1]); // QDCOUNT
    reply.extend_from_slice(&answers.to_be_bytes()); // ANCOUNT
    reply.extend_from_slice(&[0, 0, 0, 0]); // NSCOUNT, ARCOUNT
    reply.extend_from_slice(&query[12..question_end]);
    if answers == 1 {
        reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        reply.extend_from_slice(&address.octets());
    }
    Some(reply)
}
