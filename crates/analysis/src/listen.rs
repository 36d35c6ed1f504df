//! `listen`'s judgement: what one client connection shows, from the
//! listener's [`ListenEvent`] and the offer's predicted overlap with what the
//! listener accepts ([`crate::client_hello::negotiate`]). The listener only
//! records; the code and the sentences come from here, so a saved log is
//! judged the same way again.

use model::{Code, HandshakeOutcome, Incompatibility, ListenEvent};

use crate::client_hello::Agreement;
use crate::mismatch::Mismatch;

/// What the judgement needs besides the event.
#[derive(Clone, Copy, Debug)]
pub struct ListenContext<'a> {
    /// The offer's overlap with the listener's support, once the hello was
    /// read (`None` before).
    pub prediction: Option<&'a Result<Agreement, Box<Mismatch>>>,
    /// The client's SNI names the listener's certificate (or it sent none).
    pub sni_is_ours: bool,
}

/// The handshake outcome and why, in sentences.
pub fn judge(event: &ListenEvent, ctx: ListenContext<'_>) -> (HandshakeOutcome, Vec<String>) {
    let failed = |code: Code, detail: String| (HandshakeOutcome::Failed(code), vec![detail]);
    // A handshake that failed although the offer has no overlap with what
    // the listener accepts: the missing overlap is the cause, whatever the
    // TLS library said.
    let mismatch = ctx.prediction.and_then(|p| p.as_ref().err());
    match event {
        ListenEvent::Completed => (HandshakeOutcome::Completed, Vec::new()),
        ListenEvent::ClosedBeforeHello { bytes: 0 } => failed(
            Code::HandshakeReset,
            "the client closed the connection without sending anything".into(),
        ),
        ListenEvent::ClosedBeforeHello { bytes } => failed(
            Code::HandshakeReset,
            format!("the client closed the connection after {bytes} bytes, before its hello was complete"),
        ),
        ListenEvent::HelloTimeout { bytes, timeout_ms } => failed(
            Code::HandshakeTimeout,
            format!(
                "no complete hello within {} s ({bytes} bytes received)",
                seconds(*timeout_ms)
            ),
        ),
        ListenEvent::NotTls { first, http } => {
            let mut detail = vec![format!(
                "the client's first bytes are not a TLS or SSL hello: {first}"
            )];
            if *http {
                detail.push("it spoke plain HTTP to a TLS port: use https:// instead of http://".into());
            }
            (HandshakeOutcome::Failed(Code::NotTls), detail)
        }
        ListenEvent::Malformed { why } => failed(
            Code::ProtocolViolation,
            format!("the client's hello is malformed: {why}"),
        ),
        ListenEvent::Ssl2Hello => match mismatch {
            Some(m) => with_fix(m, None),
            None => failed(
                Code::ProtocolMismatch,
                "the listener does not accept SSL 2.0-format hellos".into(),
            ),
        },
        ListenEvent::Busy { why } => failed(Code::HandshakeTimeout, format!("the listener is busy: {why}")),
        ListenEvent::HandshakeTimeout { timeout_ms } => failed(
            Code::HandshakeTimeout,
            format!("the handshake did not finish within {} s", seconds(*timeout_ms)),
        ),
        _ if mismatch.is_some() => with_fix(mismatch.expect("checked"), library_message(event)),
        ListenEvent::AlertReceived { description } => alert(*description, ctx.sni_is_ours),
        ListenEvent::Incompatible { what, message } => {
            let code = match what {
                Incompatibility::CipherSuites => Code::CipherMismatch,
                Incompatibility::Groups => Code::GroupMismatch,
                Incompatibility::SignatureSchemes => Code::SigalgMismatch,
                Incompatibility::Versions => Code::ProtocolMismatch,
                Incompatibility::Other => Code::ProtocolViolation,
            };
            failed(code, format!("the client is incompatible with the listener ({message})"))
        }
        ListenEvent::ClosedDuringHandshake { message } => failed(
            Code::HandshakeReset,
            format!("the client closed the connection during the handshake ({message})"),
        ),
        ListenEvent::Error { message } => {
            failed(Code::ProtocolViolation, format!("the handshake failed: {message}"))
        }
    }
}

/// The missing overlap, its fix, and what the TLS library said.
fn with_fix(m: &Mismatch, library: Option<&str>) -> (HandshakeOutcome, Vec<String>) {
    let mut detail = vec![m.summary.clone()];
    detail.extend(m.fix.iter().cloned());
    if let Some(said) = library {
        detail.push(format!("(the TLS library said: {said})"));
    }
    (HandshakeOutcome::Failed(m.code), detail)
}

fn library_message(event: &ListenEvent) -> Option<&str> {
    match event {
        ListenEvent::Incompatible { message, .. }
        | ListenEvent::ClosedDuringHandshake { message }
        | ListenEvent::Error { message } => Some(message),
        _ => None,
    }
}

/// The client refused the handshake with an alert. A certificate alert
/// means it refused the listener's certificate: its CA (not installed in
/// the client) or, when it asked for another name, the name.
fn alert(description: u8, sni_is_ours: bool) -> (HandshakeOutcome, Vec<String>) {
    let name = wire::registry::AlertDescription(description).name();
    // RFC 8446 §6.2: bad_certificate (42), unsupported_certificate (43),
    // certificate_expired (45), certificate_unknown (46), unknown_ca (48).
    if matches!(description, 42 | 43 | 45 | 46 | 48) {
        let (code, why) = if sni_is_ours {
            (
                Code::CertUntrustedRoot,
                "it does not trust the listener's CA; pass the printed ca.pem (curl --cacert, SSL_CERT_FILE) or ignore verification for this test (curl -k)",
            )
        } else {
            (
                Code::CertHostnameMismatch,
                "it asked for a name the listener's certificate does not cover (the certificate is for localhost, 127.0.0.1 and ::1)",
            )
        };
        return (
            HandshakeOutcome::Failed(code),
            vec![format!(
                "the client refused the listener's certificate (alert {name}): {why}"
            )],
        );
    }
    (
        HandshakeOutcome::Failed(Code::ServerAlert),
        vec![format!("the client ended the handshake with alert {name}")],
    )
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> ListenContext<'static> {
        ListenContext {
            prediction: None,
            sni_is_ours: true,
        }
    }

    #[test]
    fn events_before_the_hello() {
        let (outcome, detail) = judge(&ListenEvent::ClosedBeforeHello { bytes: 0 }, none());
        assert_eq!(outcome, HandshakeOutcome::Failed(Code::HandshakeReset));
        assert!(detail[0].contains("without sending anything"));
        let (outcome, detail) = judge(
            &ListenEvent::NotTls {
                first: "GET / HTTP/1.1".into(),
                http: true,
            },
            none(),
        );
        assert_eq!(outcome, HandshakeOutcome::Failed(Code::NotTls));
        assert!(detail[1].contains("https://"));
        let (outcome, _) = judge(
            &ListenEvent::HelloTimeout {
                bytes: 3,
                timeout_ms: 3000,
            },
            none(),
        );
        assert_eq!(outcome, HandshakeOutcome::Failed(Code::HandshakeTimeout));
    }

    /// curl without the listener's CA sends unknown_ca (48); with another
    /// name than the certificate's, the name is the cause.
    #[test]
    fn certificate_alerts_name_trust_or_the_name() {
        let alert = ListenEvent::AlertReceived { description: 48 };
        assert_eq!(
            judge(&alert, none()).0,
            HandshakeOutcome::Failed(Code::CertUntrustedRoot)
        );
        let other_name = ListenContext {
            prediction: None,
            sni_is_ours: false,
        };
        assert_eq!(
            judge(&alert, other_name).0,
            HandshakeOutcome::Failed(Code::CertHostnameMismatch)
        );
        let (outcome, detail) = judge(&ListenEvent::AlertReceived { description: 80 }, none());
        assert_eq!(outcome, HandshakeOutcome::Failed(Code::ServerAlert));
        assert!(detail[0].contains("internal_error"), "{detail:?}");
    }

    #[test]
    fn the_missing_overlap_is_the_cause_whatever_the_library_said() {
        let prediction: Result<Agreement, Box<Mismatch>> = Err(Box::new(Mismatch {
            code: Code::ProtocolMismatch,
            summary: "the client offers only TLS 1.0".into(),
            missing: model::Missing {
                what: "versions".into(),
                client: vec!["tls1_0".into()],
                server: vec!["tls1_2".into()],
            },
            fix: vec!["Client: enable TLS 1.2.".into()],
        }));
        let ctx = ListenContext {
            prediction: Some(&prediction),
            sni_is_ours: true,
        };
        let event = ListenEvent::Incompatible {
            what: Incompatibility::Other,
            message: "PeerIncompatible(SupportedVersionsExtensionRequired)".into(),
        };
        let (outcome, detail) = judge(&event, ctx);
        assert_eq!(outcome, HandshakeOutcome::Failed(Code::ProtocolMismatch));
        assert_eq!(detail[1], "Client: enable TLS 1.2.");
        assert!(detail[2].contains("SupportedVersionsExtensionRequired"));
        let event = ListenEvent::Incompatible {
            what: Incompatibility::CipherSuites,
            message: String::new(),
        };
        assert_eq!(
            judge(&event, none()).0,
            HandshakeOutcome::Failed(Code::CipherMismatch)
        );
    }
}
