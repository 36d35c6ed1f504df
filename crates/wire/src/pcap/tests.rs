use super::*;
use std::net::Ipv6Addr;

fn hello_record(body_len: usize) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.resize(body_len, 0);
    let mut msg = vec![1, 0, (body_len >> 8) as u8, body_len as u8];
    msg.extend_from_slice(&body);
    let mut rec = vec![22, 3, 1, (msg.len() >> 8) as u8, msg.len() as u8];
    rec.extend_from_slice(&msg);
    rec
}

fn ipv4_tcp(seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let total = 20 + 20 + payload.len();
    let mut p = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0x40,
        0,
        64,
        6,
        0,
        0,
    ];
    p.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
    p.extend_from_slice(&1234u16.to_be_bytes());
    p.extend_from_slice(&443u16.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

fn pcap_file(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&101u32.to_le_bytes()); // LINKTYPE_RAW
    for p in packets {
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(p);
    }
    f
}

#[test]
fn reassembles_out_of_order_and_retransmitted_segments() {
    let rec = hello_record(300);
    let (a, b) = rec.split_at(100);
    let file = pcap_file(&[
        ipv4_tcp(999, 0x02, &[]),
        ipv4_tcp(1100, 0x18, b),
        ipv4_tcp(1000, 0x18, a),
        ipv4_tcp(1000, 0x18, a),
    ]);
    let hellos = client_hellos(&file).unwrap();
    assert_eq!(hellos.len(), 1);
    assert_eq!(hellos[0].message, rec[5..]);
    assert_eq!(hellos[0].stream, 0);
    assert_eq!(hellos[0].src_port, 1234);
    assert_eq!(hellos[0].packet_index, 2);
}

#[test]
fn hello_spanning_records() {
    let rec = hello_record(300);
    let msg = &rec[5..];
    let mut data = Vec::new();
    for chunk in msg.chunks(64) {
        data.extend_from_slice(&[22, 3, 1, 0, chunk.len() as u8]);
        data.extend_from_slice(chunk);
    }
    let file = pcap_file(&[ipv4_tcp(5, 0x18, &data)]);
    let hellos = client_hellos(&file).unwrap();
    assert_eq!(hellos.len(), 1);
    assert_eq!(hellos[0].message, msg);
}

fn ipv6_tcp_with_hop_by_hop(payload: &[u8]) -> Vec<u8> {
    let mut tcp = Vec::new();
    tcp.extend_from_slice(&40000u16.to_be_bytes());
    tcp.extend_from_slice(&443u16.to_be_bytes());
    tcp.extend_from_slice(&7u32.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend_from_slice(payload);
    let hop = [6, 0, 0, 0, 0, 0, 0, 0]; // next header TCP, 8 bytes
    let len = hop.len() + tcp.len();
    let mut p = vec![0x60, 0, 0, 0, (len >> 8) as u8, len as u8, 0, 64];
    p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    p.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    p.extend_from_slice(&hop);
    p.extend_from_slice(&tcp);
    p
}

/// Wraps an IP packet in each supported link layer.
fn framed(link: u32, ip: &[u8]) -> Vec<u8> {
    let v6 = ip[0] >> 4 == 6;
    let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    let mut f = Vec::new();
    match link {
        0 => f.extend_from_slice(&(if v6 { 30u32 } else { 2 }).to_le_bytes()),
        1 => {
            f.extend_from_slice(&[0xaa; 12]);
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]); // 802.1Q tag, VLAN 5
            f.extend_from_slice(&ethertype);
        }
        113 => {
            f.extend_from_slice(&[0; 14]);
            f.extend_from_slice(&ethertype);
        }
        276 => {
            f.extend_from_slice(&ethertype);
            f.extend_from_slice(&[0; 18]);
        }
        _ => {}
    }
    f.extend_from_slice(ip);
    if link == 1 {
        f.extend_from_slice(&[0; 6]); // Ethernet padding must not become payload
    }
    f
}

fn pcapng_be(link: u16, packets: &[Vec<u8>]) -> Vec<u8> {
    let block = |typ: u32, body: &[u8]| {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        let mut b = typ.to_be_bytes().to_vec();
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&len.to_be_bytes());
        b
    };
    let mut f = block(
        0x0a0d_0d0a,
        &[
            0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    let mut idb = link.to_be_bytes().to_vec();
    idb.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff]);
    f.extend(block(1, &idb));
    for p in packets {
        let mut epb = vec![0; 12];
        epb.extend_from_slice(&(p.len() as u32).to_be_bytes());
        epb.extend_from_slice(&(p.len() as u32).to_be_bytes());
        epb.extend_from_slice(p);
        f.extend(block(6, &epb));
    }
    f
}

#[test]
fn every_link_type_and_file_format() {
    let rec = hello_record(120);
    let v4 = ipv4_tcp(5, 0x18, &rec);
    let v6 = ipv6_tcp_with_hop_by_hop(&rec);
    for link in [0u32, 1, 101, 113, 276] {
        for ip in [&v4, &v6] {
            let pkt = framed(link, ip);
            // Nanosecond big-endian classic pcap.
            let mut f = vec![0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4];
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(&65535u32.to_be_bytes());
            f.extend_from_slice(&link.to_be_bytes());
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(&(pkt.len() as u32).to_be_bytes());
            f.extend_from_slice(&(pkt.len() as u32).to_be_bytes());
            f.extend_from_slice(&pkt);
            let ng = pcapng_be(link as u16, std::slice::from_ref(&pkt));
            for file in [f, ng] {
                let hellos = client_hellos(&file).unwrap();
                assert_eq!(hellos.len(), 1, "link {link}");
                assert_eq!(hellos[0].message, rec[5..], "link {link}");
            }
        }
    }
    let h = &client_hellos(&pcapng_be(101, &[v6])).unwrap()[0];
    assert_eq!(h.src, IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_eq!((h.src_port, h.dst_port), (40000, 443));
}

#[test]
fn streams_are_numbered_by_first_appearance_and_port_reuse() {
    let rec = hello_record(60);
    let mut other = ipv4_tcp(1, 0x18, b"GET / HTTP/1.1\r\n\r\n");
    other[21] = 80; // a different source port: another stream
    let file = pcap_file(&[
        other,
        ipv4_tcp(99, 0x02, &[]),
        ipv4_tcp(100, 0x18, &rec),
        ipv4_tcp(200, 0x11, &[]),
        ipv4_tcp(5000, 0x02, &[]),
        ipv4_tcp(5001, 0x18, &rec),
    ]);
    let hellos = client_hellos(&file).unwrap();
    let streams: Vec<u32> = hellos.iter().map(|h| h.stream).collect();
    assert_eq!(streams, [1, 2]);
    assert!(hellos.iter().all(|h| h.index_in_stream == 0));
}

#[test]
fn second_hello_after_hello_retry_request() {
    let rec = hello_record(60);
    let mut data = rec.clone();
    data.extend_from_slice(&[20, 3, 3, 0, 1, 1]); // middlebox-compatibility CCS
    data.extend_from_slice(&rec);
    data.extend_from_slice(&[23, 3, 3, 0, 4, 1, 0, 0, 0]); // encrypted, looks like type 1
    data.extend_from_slice(&[22, 3, 3, 0, 4, 0x14, 0, 0, 0]); // encrypted Finished
    let hellos = client_hellos(&pcap_file(&[ipv4_tcp(1, 0x18, &data)])).unwrap();
    assert_eq!(hellos.len(), 2);
    assert_eq!(hellos[1].index_in_stream, 1);
}

#[test]
fn garbage_never_panics() {
    assert!(matches!(
        client_hellos(b"nope"),
        Err(PcapError::UnknownFormat(_))
    ));
    assert_eq!(client_hellos(&[]), Err(PcapError::TruncatedHeader));
    let mut file = pcap_file(&[ipv4_tcp(5, 0x18, &hello_record(80))]);
    for cut in 0..file.len() {
        let _ = client_hellos(&file[..cut]);
    }
    let mut seed = 0x1234_5678u32;
    for i in 24..file.len() {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        file[i] ^= (seed >> 16) as u8;
        let _ = client_hellos(&file);
    }
    let mut ng = vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a];
    ng.extend_from_slice(&[
        1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
    ]);
    ng.extend_from_slice(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f]);
    assert_eq!(client_hellos(&ng), Ok(vec![]));
}

/// A segment between 10.0.0.1:1234 (client) and 10.0.0.2:443 (server).
fn segment(from_server: bool, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = ipv4_tcp(seq, flags, payload);
    if from_server {
        // Swap the addresses and the ports.
        let (src, dst) = (p[12..16].to_vec(), p[16..20].to_vec());
        p[12..16].copy_from_slice(&dst);
        p[16..20].copy_from_slice(&src);
        let (sp, dp) = (p[20..22].to_vec(), p[22..24].to_vec());
        p[20..22].copy_from_slice(&dp);
        p[22..24].copy_from_slice(&sp);
    }
    p
}

fn conversations(file: &[u8]) -> Vec<Conversation> {
    ConversationReader::new(file)
        .expect("a capture")
        .collect::<Result<Vec<_>, _>>()
        .expect("readable")
}

#[test]
fn a_refused_hello_is_one_conversation_with_both_sides() {
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const RST: u8 = 0x04;
    let hello = hello_record(200);
    let alert = [21, 3, 3, 0, 2, 2, 40];
    let file = pcap_file(&[
        segment(false, 99, SYN, &[]),
        segment(true, 499, SYN | ACK, &[]),
        // The hello in two segments, the second captured first.
        segment(false, 100 + 50, ACK, &hello[50..]),
        segment(false, 100, ACK, &hello[..50]),
        segment(true, 500, ACK, &alert),
        segment(true, 507, RST | ACK, &[]),
    ]);
    let all = conversations(&file);
    assert_eq!(all.len(), 1);
    let c = &all[0];
    assert_eq!(c.roles_from, "syn");
    assert_eq!(c.client.1, 1234);
    assert_eq!(c.server.1, 443);
    assert!(!c.mid_stream && !c.refused());
    assert_eq!(c.ending, Ending::Closed);
    assert_eq!(c.client_bytes, hello);
    assert_eq!(c.server_bytes, alert);
    let kinds: Vec<(Side, EventKind)> = c.events.iter().map(|e| (e.side, e.kind.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (Side::Client, EventKind::Syn),
            (Side::Server, EventKind::SynAck),
            (
                Side::Client,
                EventKind::Handshake {
                    msg_type: 1,
                    len: 200
                }
            ),
            (
                Side::Server,
                EventKind::Alert {
                    level: 2,
                    description: 40
                }
            ),
            (Side::Server, EventKind::Rst),
        ]
    );
    assert_eq!(c.first_close(), Some((Side::Server, TcpClose::Rst)));
}

#[test]
fn a_refused_syn_and_a_mid_stream_connection() {
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const RST: u8 = 0x04;
    let refused = pcap_file(&[
        segment(false, 7, SYN, &[]),
        segment(true, 0, RST | ACK, &[]),
    ]);
    let all = conversations(&refused);
    assert_eq!(all.len(), 1);
    assert!(all[0].refused());

    // Application data only: TLS seen mid-way, roles guessed from the ports.
    let app = [23, 3, 3, 0, 3, 1, 2, 3];
    let mid = pcap_file(&[
        segment(false, 1000, ACK, &app),
        segment(true, 5000, ACK, &app),
    ]);
    let all = conversations(&mid);
    assert_eq!(all.len(), 1);
    assert!(all[0].mid_stream);
    assert_eq!(all[0].roles_from, "guess");
    assert_eq!(all[0].client.1, 1234);

    // Not TLS and no connection attempt: counted, not returned.
    let http = pcap_file(&[segment(false, 1, ACK, b"GET / HTTP/1.1\r\n\r\n")]);
    let mut reader = ConversationReader::new(&http[..]).expect("capture");
    assert!(reader.next_conversation().expect("readable").is_none());
    assert_eq!(reader.stats().not_tls, 1);
}
