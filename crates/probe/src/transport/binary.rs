//! The binary upgrades: LDAP's StartTLS extended operation, PostgreSQL's
//! SSLRequest and MySQL's SSL Request packet. Each reply is decoded into a
//! line of text for the transcript.

use model::DialogueOutcome;
use tokio::io::{AsyncRead, AsyncWrite};

use super::dialogue::{printable, Dialogue, Stop};

/// The most bytes of one LDAP message or MySQL packet read.
const MAX_MESSAGE: usize = 16 * 1024;

/// RFC 4511 §4.14.1: ExtendedRequest { requestName "1.3.6.1.4.1.1466.20037" },
/// message ID 1.
const LDAP_START_TLS: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";
/// RFC 4532 §2.1: the "Who am I?" extended operation, message ID 2.
const LDAP_WHO_AM_I: &[u8] = b"\x30\x1e\x02\x01\x02\x77\x19\x80\x171.3.6.1.4.1.4203.1.11.3";

/// RFC 4511 §4.14: StartTLS, answered by an ExtendedResponse whose result
/// code is 0 (success) when TLS may start. protocolError (2) is what a
/// server answers an extended operation it does not know (§4.12).
pub(super) async fn ldap<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    d.send(
        LDAP_START_TLS,
        "ExtendedRequest StartTLS (1.3.6.1.4.1.1466.20037)",
    )
    .await?;
    let (code, text) = ldap_result(d, "the StartTLS response").await?;
    Ok(match code {
        0 => DialogueOutcome::Ready { advertised: true },
        2 => DialogueOutcome::NotOffered {
            capabilities: "the server does not know the StartTLS operation".into(),
            reply: Some(text),
        },
        _ => DialogueOutcome::Declined {
            reply: text,
            code: None,
        },
    })
}

/// After TLS: "Who am I?" must get a result (success, or an error that
/// proves the server reads LDAP inside TLS).
pub(super) async fn ldap_who_am_i<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<(), Stop> {
    d.send(
        LDAP_WHO_AM_I,
        "ExtendedRequest Who am I? (1.3.6.1.4.1.4203.1.11.3)",
    )
    .await?;
    let (code, text) = ldap_result(d, "the Who am I? response").await?;
    if code == 0 {
        Ok(())
    } else {
        Err(DialogueOutcome::Declined {
            reply: text,
            code: None,
        })
    }
}

/// Reads one LDAP message and returns its result code and a line of text.
async fn ldap_result<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
    waiting_for: &str,
) -> Result<(u64, String), Stop> {
    let head = d.exact(2, waiting_for).await?;
    if head[0] != 0x30 {
        let mut seen = head.clone();
        seen.extend_from_slice(d.pending());
        return Err(unexpected_bytes(&seen, "an LDAP message"));
    }
    let mut message = head.clone();
    let length = if head[1] & 0x80 == 0 {
        usize::from(head[1])
    } else {
        let count = usize::from(head[1] & 0x7f);
        if count == 0 || count > 3 {
            return Err(unexpected_bytes(&head, "an LDAP message"));
        }
        let bytes = d.exact(count, waiting_for).await?;
        message.extend_from_slice(&bytes);
        bytes.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b))
    };
    if length > MAX_MESSAGE {
        return Err(unexpected_bytes(&message, "an LDAP message"));
    }
    message.extend_from_slice(&d.exact(length, waiting_for).await?);
    match decode_ldap_result(&message) {
        Some((code, matched, diagnostic)) => {
            let mut text = format!("resultCode {code} ({})", ldap_result_name(code));
            if !diagnostic.is_empty() {
                text.push_str(&format!(": {diagnostic}"));
            }
            if !matched.is_empty() {
                text.push_str(&format!(" (matchedDN {matched})"));
            }
            d.note_server(&text);
            Ok((code, text))
        }
        None => Err(unexpected_bytes(&message, "an LDAP result")),
    }
}

/// LDAPMessage { messageID, protocolOp: [APPLICATION n] { resultCode,
/// matchedDN, diagnosticMessage, ... } } (RFC 4511 §4.1.1, §4.1.9).
fn decode_ldap_result(message: &[u8]) -> Option<(u64, String, String)> {
    use der_parser::ber::{parse_ber, parse_ber_enum, parse_ber_octetstring};

    let (_, envelope) = parse_ber(message).ok()?;
    let items = envelope.as_sequence().ok()?;
    // The protocol operation is application-tagged: its content is raw.
    let operation = items.get(1)?;
    let raw = operation.as_slice().ok()?;
    let (rest, code) = parse_ber_enum(raw).ok()?;
    let (rest, matched) = parse_ber_octetstring(rest).ok()?;
    let (_, diagnostic) = parse_ber_octetstring(rest).ok()?;
    Some((
        code.as_u64().ok()?,
        printable(matched.as_slice().ok()?),
        printable(diagnostic.as_slice().ok()?),
    ))
}

/// RFC 4511 §4.1.9 result codes a StartTLS answer may carry.
fn ldap_result_name(code: u64) -> &'static str {
    match code {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "unknown code",
    }
}

/// PostgreSQL's SSLRequest (protocol §55.2.10): length 8, code 80877103.
const POSTGRES_SSL_REQUEST: &[u8] = &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// One byte answers: `S` (go ahead) or `N` (this server does not do SSL).
/// Servers before 7.0 or in trouble answer with an ErrorResponse (`E`).
pub(super) async fn postgres<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    d.send(POSTGRES_SSL_REQUEST, "SSLRequest").await?;
    let answer = d.exact(1, "the answer to SSLRequest").await?;
    match answer[0] {
        b'S' => {
            d.note_server("S (SSL accepted)");
            Ok(DialogueOutcome::Ready { advertised: true })
        }
        b'N' => {
            d.note_server("N (SSL not accepted)");
            Ok(DialogueOutcome::NotOffered {
                capabilities:
                    "the server answered N to SSLRequest: it does not accept SSL connections".into(),
                reply: None,
            })
        }
        b'E' => {
            let message = postgres_error(d).await?;
            Ok(DialogueOutcome::Declined {
                reply: message,
                code: None,
            })
        }
        _ => {
            let mut seen = answer;
            seen.extend_from_slice(d.pending());
            Err(unexpected_bytes(&seen, "a PostgreSQL answer"))
        }
    }
}

/// After TLS: a StartupMessage (protocol 3.0) for user and database
/// `tlsdoctor`; any authentication request or error is a PostgreSQL
/// answer, which is all this step needs.
pub(super) async fn postgres_startup<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<(), Stop> {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes());
    for part in ["user", "tlsdoctor", "database", "tlsdoctor"] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = u32::try_from(body.len() + 4)
        .unwrap_or(0)
        .to_be_bytes()
        .to_vec();
    message.extend_from_slice(&body);
    d.send(&message, "StartupMessage user=tlsdoctor database=tlsdoctor")
        .await?;
    let kind = d.exact(1, "the answer to StartupMessage").await?;
    match kind[0] {
        b'R' => {
            d.note_server("R (authentication request)");
            Ok(())
        }
        b'E' => {
            postgres_error(d).await?;
            Ok(())
        }
        _ => {
            let mut seen = kind;
            seen.extend_from_slice(d.pending());
            Err(unexpected_bytes(&seen, "a PostgreSQL answer"))
        }
    }
}

/// An ErrorResponse after its `E`: length, then fields (type byte, text).
async fn postgres_error<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<String, Stop> {
    let length = d.exact(4, "the error message").await?;
    let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
    let body = d
        .exact(
            length.saturating_sub(4).min(MAX_MESSAGE),
            "the error message",
        )
        .await?;
    let fields: Vec<String> = body
        .split(|&b| b == 0)
        .filter(|f| matches!(f.first(), Some(b'S' | b'C' | b'M')))
        .map(|f| printable(&f[1..]))
        .collect();
    let text = format!("E {}", fields.join(" "));
    d.note_server(&text);
    Ok(text)
}

/// MySQL's CLIENT_SSL capability flag.
const CLIENT_SSL: u32 = 0x0800;
/// The flags a client sends with its SSL Request: CLIENT_LONG_PASSWORD,
/// CLIENT_PROTOCOL_41, CLIENT_SSL, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH.
const MYSQL_CLIENT_FLAGS: u32 = 0x0001 | 0x0200 | CLIENT_SSL | 0x8000 | 0x0008_0000;

/// The server speaks first (Initial Handshake, protocol 10); when its
/// capability flags include CLIENT_SSL the client sends an SSL Request
/// packet and starts TLS.
pub(super) async fn mysql<S: AsyncRead + AsyncWrite + Unpin>(
    d: &mut Dialogue<'_, S>,
) -> Result<DialogueOutcome, Stop> {
    let head = d.exact(4, "the greeting").await?;
    if matches!(head[..2], [0x15 | 0x16, 3]) {
        return Err(unexpected_bytes(&head, "a MySQL greeting"));
    }
    let length = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    if length == 0 || length > MAX_MESSAGE {
        return Err(unexpected_bytes(&head, "a MySQL greeting"));
    }
    let payload = d.exact(length, "the greeting").await?;
    if payload[0] == 0xff {
        // ERR packet: code (2 bytes), then the message.
        let text = format!("ERR {}", printable(payload.get(3..).unwrap_or_default()));
        d.note_server(&text);
        return Ok(DialogueOutcome::Declined {
            reply: text,
            code: None,
        });
    }
    if payload[0] != 10 {
        return Err(unexpected_bytes(&payload, "a MySQL protocol 10 greeting"));
    }
    let version_end = payload[1..].iter().position(|&b| b == 0).map(|p| p + 1);
    let Some(version_end) = version_end else {
        return Err(unexpected_bytes(&payload, "a MySQL greeting"));
    };
    let version = printable(&payload[1..version_end]);
    // After the version: connection id (4), auth data (8), filler (1), then
    // the lower capability flags (2), charset (1), status (2), upper flags (2).
    let at = version_end + 1 + 4 + 8 + 1;
    let lower = payload
        .get(at..at + 2)
        .map_or(0, |b| u32::from(u16::from_le_bytes([b[0], b[1]])));
    let upper = payload
        .get(at + 5..at + 7)
        .map_or(0, |b| u32::from(u16::from_le_bytes([b[0], b[1]])));
    let capabilities = lower | upper << 16;
    d.note_server(&format!(
        "greeting: server {version}, capability flags {capabilities:#010x}"
    ));
    if capabilities & CLIENT_SSL == 0 {
        return Ok(DialogueOutcome::NotOffered {
            capabilities: format!(
                "server {version} does not set CLIENT_SSL in its capability flags"
            ),
            reply: None,
        });
    }
    let mut packet = vec![32, 0, 0, head[3].wrapping_add(1)];
    packet.extend_from_slice(&(MYSQL_CLIENT_FLAGS & (capabilities | CLIENT_SSL)).to_le_bytes());
    packet.extend_from_slice(&0x0100_0000u32.to_le_bytes());
    packet.push(0x21);
    packet.extend_from_slice(&[0; 23]);
    d.send(&packet, "SSL Request (CLIENT_SSL)").await?;
    Ok(DialogueOutcome::Ready { advertised: true })
}

fn unexpected_bytes(bytes: &[u8], expected: &str) -> Stop {
    let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let kind = match bytes {
        [0x15, 3, ..] => "a TLS alert record",
        [0x16, 3, ..] => "a TLS handshake record",
        _ if bytes.starts_with(b"HTTP/") => "an HTTP answer",
        _ => "bytes",
    };
    DialogueOutcome::Unexpected {
        reply: format!("{kind} instead of {expected} ({})", hex.join(" ")),
        first_bytes: bytes[..bytes.len().min(64)].to_vec().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lengths_match_their_contents() {
        assert_eq!(LDAP_START_TLS.len(), 2 + 0x1d);
        assert_eq!(LDAP_WHO_AM_I.len(), 2 + 0x1e);
    }

    #[test]
    fn ldap_results_are_decoded() {
        // slapd without TLS: protocolError... here unavailable (52) with a message.
        let mut reply = vec![
            0x30, 0x00, 0x02, 0x01, 0x01, 0x78, 0x00, 0x0a, 0x01, 52, 0x04, 0x00, 0x04,
        ];
        let message = b"Could not initialize TLS";
        reply.push(message.len() as u8);
        reply.extend_from_slice(message);
        reply[6] = (reply.len() - 7) as u8;
        reply[1] = (reply.len() - 2) as u8;
        let (code, matched, diagnostic) = decode_ldap_result(&reply).unwrap();
        assert_eq!((code, matched.as_str()), (52, ""));
        assert_eq!(diagnostic, "Could not initialize TLS");
        assert!(decode_ldap_result(&[0x30, 0x05, 1, 2, 3]).is_none());
    }
}
