//! Observations from a packet capture instead of a live connection: a
//! conversation read by [`wire::pcap::ConversationReader`] becomes the same
//! [`Observations`] a `diagnose` probe records (the client's hello as the
//! probe, the server's plaintext flight as its reply), plus the
//! [`CaptureFacts`] only a capture shows: what the client did after the
//! server's flight and who ended the connection. Nothing is judged here.

use std::net::IpAddr;

use model::{
    AlertObservation, CaptureFacts, DnsObservation, FlightEnd, HelloSpec, Observations, ProbeKind,
    ProbeRecord, ProbeRequest, Purpose, Target, TcpOutcome,
};
use wire::codec::Codec;
use wire::handshake::{ClientHello, HandshakeType};
use wire::pcap::{Conversation, Ending, Event, EventKind, Side, TcpClose};
use wire::record::{ContentType, HandshakeReassembler, RecordReader};
use wire::registry::AlertDescription;
use wire::tls13::KeyLog;

use crate::hello::FlightRecorder;

mod decrypted;

/// Lines of timeline kept per connection.
const MAX_TIMELINE: usize = 48;
/// Record lengths kept in [`CaptureFacts::client_records_after_flight`] and
/// [`CaptureFacts::server_records_after_client`].
const MAX_LENGTHS: usize = 4;

/// One captured connection, ready for analysis.
#[derive(Clone, Debug)]
pub struct CapturedConnection {
    pub observations: Observations,
    pub facts: CaptureFacts,
    /// The client's (first) ClientHello handshake message, when captured and
    /// parseable: the client profile analysis judges the server's choice against.
    pub client_hello: Option<ClientHello>,
}

/// Turns one conversation into observations and facts. With a key log that
/// holds this connection's secrets, its TLS 1.3 handshake records are opened
/// (the reader must have kept them: `ConversationReader::keep_encrypted`).
pub fn observe(conv: &Conversation, keylog: Option<&KeyLog>) -> CapturedConnection {
    let client_hello = first_client_hello(&conv.client_bytes);
    let sni = client_hello
        .as_ref()
        .and_then(|h| h.server_name().map(str::to_owned));
    let (server_ip, server_port) = conv.server;
    let mut facts = facts(conv);
    let target = Target {
        host: sni.clone().unwrap_or_else(|| server_ip.to_string()),
        port: server_port,
        sni: sni.clone(),
        connect_to: Some(server_ip),
        transport: Default::default(),
    };
    let mut observations = Observations::new(target);
    observations.dns = Some(DnsObservation {
        skipped: true,
        addresses: vec![server_ip],
        ..DnsObservation::default()
    });
    let elapsed_ms = facts.duration_ms.unwrap_or(0);
    let tcp = if facts.refused {
        TcpOutcome::Refused {
            message: "the server answered the SYN with a RST (connection refused)".into(),
        }
    } else if facts.syn_unanswered {
        TcpOutcome::Timeout {
            after_ms: elapsed_ms,
        }
    } else {
        TcpOutcome::Connected {
            elapsed_ms: syn_to_syn_ack_ms(conv).unwrap_or(0),
        }
    };
    let mut flight = (facts.client_hello_seen && tcp.is_connected()).then(|| server_flight(conv));
    if let (Some(flight), Some(hello), Some(keylog)) = (flight.as_mut(), &client_hello, keylog) {
        open_tls13(conv, hello, keylog, flight, &mut facts);
    }
    observations.probes.push(ProbeRecord {
        request: ProbeRequest {
            purpose: Purpose::ClientHello,
            kind: ProbeKind::Hello(HelloSpec {
                sni,
                ..HelloSpec::default()
            }),
        },
        ip: Some(server_ip),
        tcp,
        transport: None,
        flight,
        handshake: None,
        fetch: None,
        caa: None,
        elapsed_ms,
    });
    observations.elapsed_ms = facts.duration_ms;
    CapturedConnection {
        observations,
        facts,
        client_hello,
    }
}

/// Opens a TLS 1.3 connection's encrypted handshake with the key log, and
/// records what it shows as if the capture had shown it in the clear.
fn open_tls13(
    conv: &Conversation,
    hello: &ClientHello,
    keylog: &KeyLog,
    flight: &mut model::ServerFlight,
    facts: &mut CaptureFacts,
) {
    let Some(sh) = &flight.server_hello else {
        return;
    };
    if sh.version != wire::registry::ProtocolVersion::TLS1_3 {
        return;
    }
    let Some(secrets) = keylog.secrets(&hello.random) else {
        return;
    };
    let opened = decrypted::open(&conv.encrypted, sh.cipher_suite, secrets);
    if opened.notes.is_empty() {
        return; // nothing authenticated: not this connection's secrets
    }
    facts.decrypted = true;
    if !opened.certificates.is_empty() {
        flight.certificates = opened.certificates;
    }
    if opened.certificate_request.is_some() {
        flight.certificate_request = opened.certificate_request;
    }
    if let Some(a) = opened.client_alert {
        facts.client_alert.get_or_insert(a);
    }
    if let Some(a) = opened.server_alert {
        facts.server_alert_after_client.get_or_insert(a);
    }
    facts.client_certificate = facts.client_certificate.or(opened.client_certificate);
    facts.client_finished |= opened.client_finished;
    facts.server_finished |= opened.server_finished;
    facts.client_sent_application_data = Some(opened.client_application_data);
    for note in opened.notes {
        if facts.timeline.len() < MAX_TIMELINE + 16 {
            facts.timeline.push(note);
        }
    }
}

/// The server's plaintext records parsed as a live probe parses them; how
/// the flight ended comes from the capture when the bytes do not say.
fn server_flight(conv: &Conversation) -> model::ServerFlight {
    let mut recorder = FlightRecorder::default();
    let server_not_tls = conv
        .events
        .iter()
        .any(|e| e.side == Side::Server && e.kind == EventKind::NotTls);
    if server_not_tls && conv.server_bytes.is_empty() {
        recorder.push(&conv.first_bytes[1]);
    } else {
        recorder.push(&conv.server_bytes);
    }
    let encrypted_flight = conv
        .events
        .iter()
        .any(|e| e.side == Side::Server && matches!(e.kind, EventKind::ApplicationData { .. }));
    let end = if encrypted_flight {
        FlightEnd::Complete
    } else {
        match conv.closes[1] {
            Some((TcpClose::Rst, _)) => FlightEnd::Reset,
            Some((TcpClose::Fin, _)) => FlightEnd::Closed,
            None => FlightEnd::Timeout,
        }
    };
    recorder.finish(end)
}

/// The first ClientHello in the client's plaintext records (read with
/// `wire`'s record reader and handshake reassembler).
fn first_client_hello(records: &[u8]) -> Option<ClientHello> {
    let mut reader = RecordReader::new().with_max_buffered(records.len());
    reader.push(records).ok()?;
    let mut messages = HandshakeReassembler::new();
    while let Ok(Some(record)) = reader.next_record() {
        if record.content_type != ContentType::Handshake {
            continue;
        }
        messages.push(&record.payload).ok()?;
        if let Some(message) = messages.next_message() {
            if message.typ != HandshakeType::ClientHello {
                return None;
            }
            let mut bytes = Vec::with_capacity(4 + message.body.len());
            message.encode(&mut bytes);
            return ClientHello::read_handshake(&bytes).ok();
        }
    }
    None
}

fn syn_to_syn_ack_ms(conv: &Conversation) -> Option<u64> {
    let at = |kind: EventKind| {
        conv.events
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| e.time_us)
    };
    let (syn, syn_ack) = (at(EventKind::Syn)?, at(EventKind::SynAck)?);
    u64::try_from(syn_ack - syn).ok().map(|us| us / 1000)
}

fn endpoint((ip, port): (IpAddr, u16)) -> String {
    match ip {
        IpAddr::V6(_) => format!("[{ip}]:{port}"),
        IpAddr::V4(_) => format!("{ip}:{port}"),
    }
}

fn alert(level: u8, description: u8) -> AlertObservation {
    AlertObservation { level, description }
}

/// Reads the client's and the server's moves off the timeline.
fn facts(conv: &Conversation) -> CaptureFacts {
    let mut f = CaptureFacts {
        stream: conv.stream,
        client: endpoint(conv.client),
        server: endpoint(conv.server),
        roles_from: conv.roles_from.to_owned(),
        start_unix_ms: conv.start_us.map(|us| us / 1000),
        duration_ms: match (conv.start_us, conv.end_us) {
            (Some(a), Some(b)) => u64::try_from(b - a).ok().map(|us| us / 1000),
            _ => None,
        },
        mid_stream: conv.mid_stream,
        ending: match conv.ending {
            Ending::Closed => "closed",
            Ending::CaptureEnded => "capture_ended",
            Ending::Evicted => "evicted",
            Ending::Reused => "reused",
        }
        .to_owned(),
        refused: conv.refused(),
        ..CaptureFacts::default()
    };
    let is = |e: &Event, side: Side| e.side == side;
    let syn = conv.events.iter().any(|e| e.kind == EventKind::Syn);
    let answered = conv
        .events
        .iter()
        .any(|e| e.side == Side::Server && e.kind != EventKind::Syn);
    f.syn_unanswered = syn && !answered && !f.refused;
    // Phases: the server's flight starts with its ServerHello; the client's
    // second flight with its first message after that.
    let mut server_hello = false;
    let mut client_second_flight = false;
    let mut client_ccs = false;
    let mut server_ccs = false;
    let mut last_server_handshake_us = None;
    for e in &conv.events {
        match (&e.kind, e.side) {
            (EventKind::Handshake { msg_type: 1, .. }, Side::Client) => f.client_hello_seen = true,
            (EventKind::Handshake { msg_type: 2, .. }, Side::Server) => server_hello = true,
            (EventKind::Handshake { msg_type: 11, len }, Side::Client) => {
                // TLS ≤ 1.2 Certificate: a 3-byte list length, then the list.
                f.client_certificate = Some(*len > 3);
                client_second_flight = true;
            }
            (EventKind::Handshake { .. }, Side::Client) if server_hello => {
                client_second_flight = true
            }
            (EventKind::ChangeCipherSpec, Side::Client) => {
                client_ccs = true;
                client_second_flight |= server_hello;
            }
            (EventKind::ChangeCipherSpec, Side::Server) => server_ccs = true,
            (EventKind::EncryptedHandshake { .. }, Side::Client) if client_ccs => {
                f.client_finished = true
            }
            (EventKind::EncryptedHandshake { .. }, Side::Server) if server_ccs => {
                f.server_finished = true
            }
            (EventKind::Alert { level, description }, Side::Client) => {
                f.client_alert.get_or_insert(alert(*level, *description));
            }
            (EventKind::Alert { level, description }, Side::Server) if client_second_flight => {
                f.server_alert_after_client
                    .get_or_insert(alert(*level, *description));
            }
            (EventKind::EncryptedAlert { .. }, Side::Client) => f.client_encrypted_alerts += 1,
            (
                EventKind::ApplicationData {
                    first_len, bytes, ..
                },
                side,
            ) => {
                if side == Side::Client {
                    f.client_application_bytes += bytes;
                    if server_hello {
                        client_second_flight = true;
                        if f.client_records_after_flight.len() < MAX_LENGTHS {
                            f.client_records_after_flight.push(*first_len);
                        }
                    }
                } else {
                    f.server_application_bytes += bytes;
                    if client_second_flight && f.server_records_after_client.len() < MAX_LENGTHS {
                        f.server_records_after_client.push(*first_len);
                    }
                }
            }
            _ => {}
        }
        if is(e, Side::Server)
            && !client_second_flight
            && !matches!(e.kind, EventKind::Fin | EventKind::Rst | EventKind::SynAck)
        {
            last_server_handshake_us = e.time_us.or(last_server_handshake_us);
        }
    }
    f.closed_first = conv.first_close().map(|(side, how)| {
        let side = match side {
            Side::Client => "client",
            Side::Server => "server",
        };
        let how = match how {
            TcpClose::Fin => "fin",
            TcpClose::Rst => "rst",
        };
        format!("{side}_{how}")
    });
    let client_close_us = conv
        .events
        .iter()
        .find(|e| e.side == Side::Client && matches!(e.kind, EventKind::Fin | EventKind::Rst))
        .and_then(|e| e.time_us);
    if let (Some(close), Some(last)) = (client_close_us, last_server_handshake_us) {
        f.client_close_after_ms = u64::try_from(close - last).ok().map(|us| us / 1000);
    }
    for e in conv.events.iter().take(MAX_TIMELINE) {
        f.timeline
            .push(timeline_line(e, conv.start_us, &conv.first_bytes));
    }
    f.timeline_dropped = u32::try_from(conv.events.len().saturating_sub(MAX_TIMELINE))
        .unwrap_or(u32::MAX)
        .saturating_add(conv.events_dropped);
    f
}

/// RFC 8446 §4 and RFC 5246 §7.4 handshake message names.
fn handshake_name(msg_type: u8) -> String {
    match msg_type {
        0 => "HelloRequest".into(),
        1 => "ClientHello".into(),
        2 => "ServerHello".into(),
        4 => "NewSessionTicket".into(),
        8 => "EncryptedExtensions".into(),
        11 => "Certificate".into(),
        12 => "ServerKeyExchange".into(),
        13 => "CertificateRequest".into(),
        14 => "ServerHelloDone".into(),
        15 => "CertificateVerify".into(),
        16 => "ClientKeyExchange".into(),
        20 => "Finished".into(),
        22 => "CertificateStatus".into(),
        other => format!("handshake message type {other}"),
    }
}

/// Printable ASCII only: what a peer sent may hold terminal escapes.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(32)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect()
}

fn timeline_line(e: &Event, start_us: Option<i64>, first_bytes: &[Vec<u8>; 2]) -> String {
    let at = match (e.time_us, start_us) {
        (Some(t), Some(s)) => format!("{:>9.1} ms  ", (t - s) as f64 / 1000.0),
        _ => String::new(),
    };
    let side = match e.side {
        Side::Client => "client",
        Side::Server => "server",
    };
    let what = match &e.kind {
        EventKind::Syn => "SYN (opens the connection)".to_string(),
        EventKind::SynAck => "SYN-ACK (accepts it)".to_string(),
        EventKind::Fin => "FIN (closes its side)".to_string(),
        EventKind::Rst => "RST (resets the connection)".to_string(),
        EventKind::Handshake { msg_type, len } => {
            format!("{} ({len} bytes)", handshake_name(*msg_type))
        }
        EventKind::ChangeCipherSpec => "ChangeCipherSpec".to_string(),
        EventKind::Alert { level, description } => format!(
            "alert {} ({}), {}",
            AlertDescription(*description).name(),
            description,
            if *level == 2 { "fatal" } else { "warning" }
        ),
        EventKind::EncryptedAlert { len } => format!("encrypted alert ({len} bytes)"),
        EventKind::EncryptedHandshake { len } => {
            format!("encrypted handshake message ({len} bytes: its Finished)")
        }
        EventKind::ApplicationData {
            records,
            first_len,
            bytes,
        } => {
            if *records == 1 {
                format!("1 encrypted record ({first_len} bytes)")
            } else {
                format!("{records} encrypted records ({bytes} bytes, the first {first_len})")
            }
        }
        EventKind::NotTls => {
            let which = usize::from(e.side == Side::Server);
            format!(
                "bytes that are not TLS: \"{}\"",
                printable(&first_bytes[which])
            )
        }
    };
    format!("{at}{side}: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_strips_escapes() {
        assert_eq!(
            printable(b"HTTP/1.1 400\r\n\x1b[31m"),
            "HTTP/1.1 400...[31m"
        );
    }

    #[test]
    fn no_hello_in_garbage() {
        assert!(first_client_hello(&[22, 3, 1, 0, 4, 1, 0, 0, 9]).is_none());
        assert!(first_client_hello(&[22, 3, 1, 0xff, 0xff]).is_none());
        assert!(first_client_hello(&[]).is_none());
    }
}
