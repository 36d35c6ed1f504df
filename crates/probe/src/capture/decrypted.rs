//! The TLS 1.3 handshake records of a captured connection, opened with the
//! secrets of a key log (`wire::tls13`): what TLS 1.3 hides from a capture
//! (the server's certificates and certificate request, the client's
//! certificate, both sides' alerts) read as if it were TLS 1.2.

use model::{AlertObservation, Bytes, CertificateRequestObservation};
use wire::handshake::{
    CertificateMessage as Certificate, CertificateRequest, CertificateRequestForm,
};
use wire::record::HandshakeReassembler;
use wire::registry::CipherSuite;
use wire::tls13::{RecordOpener, Secrets};

/// What the opened records showed.
#[derive(Debug, Default)]
pub(super) struct Opened {
    pub certificates: Vec<Bytes>,
    pub certificate_request: Option<CertificateRequestObservation>,
    pub server_finished: bool,
    pub server_alert: Option<AlertObservation>,
    pub client_alert: Option<AlertObservation>,
    pub client_certificate: Option<bool>,
    pub client_finished: bool,
    pub client_application_data: bool,
    /// What was read, a line per message, for the timeline.
    pub notes: Vec<String>,
}

/// Splits kept `application_data` records (header and body each).
fn records(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = bytes.get(at..at + 5)?;
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let record = bytes.get(at..at + 5 + len)?;
        at += 5 + len;
        Some(record)
    })
}

fn alert(content: &[u8]) -> Option<AlertObservation> {
    match content {
        [level, description] => Some(AlertObservation {
            level: *level,
            description: *description,
        }),
        _ => None,
    }
}

fn alert_note(side: &str, a: &AlertObservation) -> String {
    format!(
        "{side} (decrypted): alert {} ({}), {}",
        wire::registry::AlertDescription(a.description).name(),
        a.description,
        if a.level == 2 { "fatal" } else { "warning" }
    )
}

/// Opens the server's records (`encrypted[1]`) and the client's
/// (`encrypted[0]`) of a TLS 1.3 connection that chose `suite`.
pub(super) fn open(encrypted: &[Vec<u8>; 2], suite: CipherSuite, secrets: &Secrets) -> Opened {
    let mut o = Opened::default();
    walk(
        &encrypted[1],
        suite,
        [&secrets.server_handshake, &secrets.server_application],
        &mut o,
        &mut Server,
    );
    walk(
        &encrypted[0],
        suite,
        [&secrets.client_handshake, &secrets.client_application],
        &mut o,
        &mut Client,
    );
    o
}

/// What one side's opened records mean.
trait SideView {
    const NAME: &'static str;
    /// A handshake message of the handshake epoch.
    fn message(&mut self, typ: u8, body: &[u8], o: &mut Opened);
    /// An alert, in either epoch.
    fn alert(&mut self, alert: AlertObservation, o: &mut Opened);
    /// Application data after the side's Finished.
    fn application_data(&mut self, _o: &mut Opened) {}
}

/// Walks one side's records: the handshake epoch under its handshake traffic
/// secret until its Finished, then the application epoch under its first
/// application traffic secret (RFC 8446 §7.3). Stops at the first record
/// that opens under neither.
fn walk<S: SideView>(
    bytes: &[u8],
    suite: CipherSuite,
    [handshake_secret, application_secret]: [&Option<Vec<u8>>; 2],
    o: &mut Opened,
    side: &mut S,
) {
    let opener =
        |secret: &Option<Vec<u8>>| secret.as_deref().and_then(|s| RecordOpener::new(suite, s));
    let mut handshake = opener(handshake_secret);
    let mut application = opener(application_secret);
    let mut messages =
        HandshakeReassembler::with_max_message_len(HandshakeReassembler::LARGE_MAX_MESSAGE_LEN);
    for record in records(bytes) {
        if let Some((content_type, content)) = handshake.as_mut().and_then(|hs| hs.open(record)) {
            match content_type {
                22 => {
                    if messages.push(&content).is_err() {
                        break; // a message over the limit: nothing more to read
                    }
                    while let Some(m) = messages.next_message() {
                        let typ = m.typ.to_u8();
                        side.message(typ, &m.body, o);
                        if typ == 20 {
                            handshake = None; // the application epoch begins
                        }
                    }
                }
                21 => {
                    if let Some(a) = alert(&content) {
                        o.notes.push(alert_note(S::NAME, &a));
                        side.alert(a, o);
                    }
                }
                _ => {}
            }
            continue;
        }
        match application.as_mut().and_then(|app| app.open(record)) {
            Some((21, content)) => {
                if let Some(a) = alert(&content) {
                    o.notes.push(alert_note(S::NAME, &a));
                    side.alert(a, o);
                }
            }
            Some((23, _)) => side.application_data(o),
            Some(_) => {}
            None => break,
        }
    }
}

struct Server;

impl SideView for Server {
    const NAME: &'static str = "server";

    fn message(&mut self, typ: u8, body: &[u8], o: &mut Opened) {
        match typ {
            8 => o
                .notes
                .push("server (decrypted): EncryptedExtensions".into()),
            11 => {
                if let Ok(cert) = Certificate::read_bytes(body, true) {
                    o.certificates = cert.certificates().into_iter().map(Bytes::from).collect();
                    o.notes.push(format!(
                        "server (decrypted): Certificate ({} certificate(s))",
                        o.certificates.len()
                    ));
                }
            }
            13 => {
                if let Ok(req) = CertificateRequest::read_bytes(body, CertificateRequestForm::Tls13)
                {
                    o.certificate_request = Some(crate::hello::certificate_request(&req));
                    o.notes
                        .push("server (decrypted): CertificateRequest".into());
                }
            }
            15 => o.notes.push("server (decrypted): CertificateVerify".into()),
            20 => {
                o.server_finished = true;
                o.notes.push("server (decrypted): Finished".into());
            }
            _ => {}
        }
    }

    fn alert(&mut self, alert: AlertObservation, o: &mut Opened) {
        o.server_alert.get_or_insert(alert);
    }
}

struct Client;

impl SideView for Client {
    const NAME: &'static str = "client";

    fn message(&mut self, typ: u8, body: &[u8], o: &mut Opened) {
        match typ {
            11 => {
                let sent = Certificate::read_bytes(body, true).is_ok_and(|c| !c.is_empty());
                o.client_certificate = Some(sent);
                o.notes.push(format!(
                    "client (decrypted): Certificate ({})",
                    if sent { "with a certificate" } else { "empty" }
                ));
            }
            15 => o.notes.push("client (decrypted): CertificateVerify".into()),
            20 => {
                o.client_finished = true;
                o.notes.push("client (decrypted): Finished".into());
            }
            _ => {}
        }
    }

    fn alert(&mut self, alert: AlertObservation, o: &mut Opened) {
        o.client_alert.get_or_insert(alert);
    }

    fn application_data(&mut self, o: &mut Opened) {
        if !o.client_application_data {
            o.notes.push("client (decrypted): application data".into());
        }
        o.client_application_data = true;
    }
}
