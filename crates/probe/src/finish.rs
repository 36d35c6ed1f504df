//! Finishing the chosen client's own handshake with tlsdoctor's TLS 1.0–1.2
//! engine ([`wire::tls12`]) when the server picks what rustls cannot run:
//! DHE or RSA key exchange, CBC records, TLS 1.0/1.1.
//!
//! Sends the profile's ClientHello byte for byte as the ClientHello probe
//! does, completes the key exchange the server chose, sends the client
//! Finished and verifies the server's. Records what happened and never
//! judges. Authenticates nobody: neither the certificate nor the
//! ServerKeyExchange signature is verified (the certificate step judges the
//! chain), and no data is carried. Every read is bounded in bytes and time.

use std::time::{Duration, Instant};

use model::{
    Bytes, CertificateRequestObservation, FlightEnd, HandshakeError, HandshakeObservation,
    HelloSpec, ServerFlight,
};
use tokio::net::TcpStream;
use wire::codec::Codec;
use wire::handshake::{
    encode_handshake, Extension, HandshakeType, KeyExchangeKind, ServerHello, ServerKeyExchange,
};
use wire::record::{write_record, ContentType, HandshakeReassembler, RecordReader};
use wire::registry::{NamedGroup, ProtocolVersion};
use wire::tls12::protection::KeyPair;
use wire::tls12::suite::{KeyExchange, SuiteParams};
use wire::tls12::{kx, prf, EcdheKey};

use crate::hello::FlightRecorder;
use crate::renegotiation::{alert_of, Channel};

/// Runs the probe over `stream`.
pub(crate) async fn finish(
    stream: TcpStream,
    spec: &HelloSpec,
    timeout: Duration,
) -> (Option<ServerFlight>, HandshakeObservation) {
    let started = Instant::now();
    let mut conn = Channel {
        stream,
        records: RecordReader::new(),
        deadline: started + timeout,
        received: 0,
        recorder: Some(FlightRecorder::default()),
    };
    let mut obs = HandshakeObservation::default();
    let mut flight = None;
    if let Err(e) = run(&mut conn, spec, &mut obs, &mut flight).await {
        obs.error = Some(match e {
            Failure::End(FlightEnd::Timeout) => HandshakeError::Timeout {
                after_ms: started.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
            },
            Failure::End(FlightEnd::Reset) => HandshakeError::Reset,
            Failure::End(FlightEnd::Closed) => HandshakeError::Closed,
            Failure::End(other) => HandshakeError::Protocol {
                message: format!("{other:?}"),
            },
            Failure::Alert(description) => HandshakeError::AlertReceived { description },
            Failure::Unsupported(what) => HandshakeError::Unsupported { what },
            Failure::Protocol(message) => HandshakeError::Protocol { message },
        });
    }
    if let Some(recorder) = conn.recorder.take() {
        let end = match &obs.error {
            Some(HandshakeError::AlertReceived { .. }) => FlightEnd::Alert,
            Some(HandshakeError::Timeout { .. }) => FlightEnd::Timeout,
            Some(HandshakeError::Reset) => FlightEnd::Reset,
            _ => FlightEnd::Closed,
        };
        flight = Some(recorder.finish(end));
    }
    (flight, obs)
}

enum Failure {
    End(FlightEnd),
    Alert(u8),
    Unsupported(String),
    Protocol(String),
}

fn protocol(e: impl std::fmt::Display) -> Failure {
    Failure::Protocol(e.to_string())
}

/// The ClientHello handshake message of a one-record hello, its random and
/// its `client_version` (RFC 5246 §7.4.1.2).
fn split_hello(record: &[u8]) -> Option<(&[u8], [u8; 32], ProtocolVersion)> {
    let len = usize::from(u16::from_be_bytes([*record.get(3)?, *record.get(4)?]));
    let msg = record.get(5..)?;
    if record[0] != 22 || msg.len() != len || msg.first() != Some(&1) {
        return None;
    }
    let version = ProtocolVersion(u16::from_be_bytes([*msg.get(4)?, *msg.get(5)?]));
    let random = msg.get(6..38)?.try_into().ok()?;
    Some((msg, random, version))
}

async fn run(
    conn: &mut Channel,
    spec: &HelloSpec,
    obs: &mut HandshakeObservation,
    flight_out: &mut Option<ServerFlight>,
) -> Result<(), Failure> {
    // ---- the profile's ClientHello, as the ClientHello probe sends it
    let record = crate::hello::build(spec);
    let (hello, client_random, client_version) = split_hello(&record)
        .ok_or_else(|| Failure::Unsupported("a ClientHello larger than one record".into()))?;
    let mut transcript = hello.to_vec();
    conn.send(&record).await.map_err(Failure::End)?;

    // ---- ServerHello … ServerHelloDone
    let mut handshake = HandshakeReassembler::new();
    let mut server_hello: Option<ServerHello> = None;
    let mut params: Option<SuiteParams> = None;
    let mut ske: Option<ServerKeyExchange> = None;
    let mut certificate_requested = false;
    'flight: loop {
        let record = conn.record().await.map_err(Failure::End)?;
        match record.content_type {
            ContentType::Handshake => {
                handshake.push(&record.payload).map_err(protocol)?;
                while let Some(msg) = handshake.next_message() {
                    transcript.extend(msg.get_encoding());
                    match msg.typ {
                        HandshakeType::ServerHello => {
                            let sh = ServerHello::read_bytes(&msg.body)
                                .map_err(|e| protocol(format!("unreadable ServerHello: {e}")))?;
                            let version = sh.selected_version();
                            obs.version = Some(version);
                            obs.cipher_suite = Some(sh.cipher_suite);
                            params = Some(
                                SuiteParams::new(sh.cipher_suite, version)
                                    .map_err(Failure::Unsupported)?,
                            );
                            server_hello = Some(sh);
                        }
                        HandshakeType::ServerKeyExchange => {
                            let p = params
                                .ok_or_else(|| protocol("ServerKeyExchange before ServerHello"))?;
                            let kind = KeyExchangeKind::for_suite(p.suite)
                                .ok_or_else(|| protocol("unexpected ServerKeyExchange"))?;
                            let version = if p.version >= ProtocolVersion::TLS1_2 {
                                ProtocolVersion::TLS1_2
                            } else {
                                p.version
                            };
                            // The signature is recorded by the parser, not
                            // verified: the certificate step judges trust.
                            ske = Some(
                                ServerKeyExchange::read_bytes(&msg.body, kind, version).map_err(
                                    |e| protocol(format!("unreadable ServerKeyExchange: {e}")),
                                )?,
                            );
                        }
                        HandshakeType::CertificateRequest => certificate_requested = true,
                        HandshakeType::ServerHelloDone => break 'flight,
                        _ => {}
                    }
                }
            }
            ContentType::Alert => {
                let a = alert_of(&record.payload).ok_or_else(|| protocol("short alert"))?;
                return Err(Failure::Alert(a.description));
            }
            other => {
                return Err(protocol(format!(
                    "unexpected record type {} in the first flight",
                    other.to_u8()
                )))
            }
        }
    }
    let flight = conn
        .recorder
        .take()
        .map(|r| r.finish(FlightEnd::Complete))
        .unwrap_or_default();
    obs.chain = flight.certificates.clone();
    if certificate_requested {
        obs.client_cert_request = flight
            .certificate_request
            .clone()
            .or(Some(CertificateRequestObservation::default()));
    }
    let leaf: Option<Bytes> = flight.certificates.first().cloned();
    *flight_out = Some(flight);
    let sh = server_hello.ok_or_else(|| protocol("ServerHelloDone without ServerHello"))?;
    let p = params.ok_or_else(|| protocol("ServerHelloDone without ServerHello"))?;
    let version = p.version;

    // ---- key exchange
    let kx_error = |e: wire::tls12::Tls12Error| match e {
        wire::tls12::Tls12Error::UnsupportedGroup(_) | wire::tls12::Tls12Error::TooLarge(..) => {
            Failure::Unsupported(e.to_string())
        }
        other => protocol(other),
    };
    let exchange = match (p.kx, ske) {
        (KeyExchange::Rsa, _) => {
            let leaf = leaf.ok_or_else(|| protocol("RSA key exchange without a certificate"))?;
            kx::rsa(&leaf, client_version).map_err(kx_error)?
        }
        (KeyExchange::Dhe, Some(ServerKeyExchange::Dh { params, .. })) => {
            kx::dhe(&params).map_err(kx_error)?
        }
        (KeyExchange::Ecdhe, Some(ServerKeyExchange::Ecdh { params, .. })) => {
            obs.group = Some(params.group);
            let key = EcdheKey::generate(params.group).map_err(kx_error)?;
            // RFC 8422 §5.7: struct { opaque point <1..2^8-1>; } ECPoint.
            let mut message = vec![key.public().len() as u8];
            message.extend_from_slice(key.public());
            let pre_master = key.agree(&params.point).map_err(kx_error)?;
            kx::ClientKx {
                message,
                pre_master,
            }
        }
        (kind, _) => return Err(protocol(format!("no ServerKeyExchange for {kind:?}"))),
    };
    if p.kx == KeyExchange::Dhe {
        // RFC 7919: the server's finite-field group has no name; record none.
        obs.group = None::<NamedGroup>;
    }

    // ---- [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished
    let mut bytes = Vec::new();
    if certificate_requested {
        // RFC 5246 §7.4.6: a client without a certificate sends an empty list.
        let empty = encode_handshake(HandshakeType::Certificate, &[0, 0, 0]);
        transcript.extend_from_slice(&empty);
        bytes.extend(write_record(ContentType::Handshake, version, &empty));
    }
    let cke = encode_handshake(HandshakeType::ClientKeyExchange, &exchange.message);
    transcript.extend_from_slice(&cke);
    let ems = sh
        .extensions
        .iter()
        .any(|e| matches!(e, Extension::ExtendedMasterSecret));
    let session_hash = ems.then(|| prf::handshake_hash(p.prf, &transcript));
    let master = prf::master_secret(
        p.prf,
        &exchange.pre_master,
        &client_random,
        &sh.random,
        session_hash.as_deref(),
    );
    let key_block = prf::key_block(
        p.prf,
        &master,
        &client_random,
        &sh.random,
        p.key_block_len(),
    );
    let KeyPair {
        client: mut tx,
        server: mut rx,
    } = KeyPair::new(&p, &key_block).map_err(protocol)?;
    let client_verify = prf::verify_data(p.prf, &master, b"client finished", &transcript);
    let finished = encode_handshake(HandshakeType::Finished, &client_verify);
    transcript.extend_from_slice(&finished);
    bytes.extend(write_record(ContentType::Handshake, version, &cke));
    bytes.extend(write_record(ContentType::ChangeCipherSpec, version, &[1]));
    bytes.extend(
        tx.seal(ContentType::Handshake, version, &finished)
            .map_err(protocol)?,
    );
    conn.send(&bytes).await.map_err(Failure::End)?;

    // ---- [NewSessionTicket], ChangeCipherSpec, Finished from the server
    let mut changed = false;
    let mut handshake = HandshakeReassembler::new();
    loop {
        let record = conn.record().await.map_err(Failure::End)?;
        let payload = if changed {
            rx.open(record.content_type, version, &record.payload)
                .map_err(|e| protocol(format!("the server's records do not decrypt: {e}")))?
        } else {
            record.payload
        };
        match record.content_type {
            ContentType::ChangeCipherSpec if !changed => changed = true,
            ContentType::Handshake => {
                handshake.push(&payload).map_err(protocol)?;
                while let Some(msg) = handshake.next_message() {
                    if msg.typ == HandshakeType::Finished {
                        if !changed {
                            return Err(protocol("Finished before ChangeCipherSpec"));
                        }
                        let expected =
                            prf::verify_data(p.prf, &master, b"server finished", &transcript);
                        if msg.body != expected {
                            return Err(protocol("the server's Finished does not verify"));
                        }
                        obs.completed = true;
                        // Leave politely: a close_notify under the new keys.
                        if let Ok(close) = tx.seal(ContentType::Alert, version, &[1, 0]) {
                            conn.deadline = conn
                                .deadline
                                .min(Instant::now() + Duration::from_millis(200));
                            let _ = conn.send(&close).await;
                        }
                        return Ok(());
                    }
                    transcript.extend(msg.get_encoding());
                }
            }
            ContentType::Alert => {
                let a = alert_of(&payload).ok_or_else(|| protocol("short alert"))?;
                return Err(Failure::Alert(a.description));
            }
            other => {
                return Err(protocol(format!(
                    "unexpected record type {} before the server's Finished",
                    other.to_u8()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_hello_splits_into_message_random_and_version() {
        let spec = HelloSpec {
            versions: vec![ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_2],
            cipher_suites: vec![wire::registry::CipherSuite(0x009e)],
            groups: vec![NamedGroup::X25519],
            key_shares: vec![NamedGroup::X25519],
            modern_extensions: true,
            ..Default::default()
        };
        let record = crate::hello::build(&spec);
        let (msg, random, version) = split_hello(&record).unwrap();
        assert_eq!(msg.len() + 5, record.len());
        assert_eq!(version, ProtocolVersion::TLS1_2);
        assert_eq!(&record[11..43], &random);
        assert!(split_hello(&record[..20]).is_none());
        assert!(split_hello(&[]).is_none());
    }
}
