//! Numbers with a fixed meaning in TLS error messages: alert descriptions
//! (RFC 8446 §6.2, RFC 5246 §7.2), OpenSSL's packed error codes (OpenSSL 3:
//! `ERR_PACK`, library in bits 23-30, reason in bits 0-22; OpenSSL 1.x:
//! library in bits 24-31, reason in bits 0-11; reasons from 1000 up are an
//! alert received, 1000 + its description) and X.509 verify results
//! (`X509_V_ERR_*`, include/openssl/x509_vfy.h). Facts, not heuristics.

use model::Code;

/// One decoded number.
pub(super) struct Found {
    pub family: &'static str,
    pub meaning: String,
    pub matched: String,
    pub codes: Vec<(Code, u32)>,
}

/// The OpenSSL library number of libssl (`ERR_LIB_SSL`).
const LIB_SSL: u32 = 20;

/// Codes with their weights.
type Weights = Vec<(Code, u32)>;

/// What an alert means for the diagnosis: `(name, codes when the line's
/// author received it from a server, codes when a server received it from
/// its client)`.
fn alert(description: u32) -> Option<(&'static str, Weights, Weights)> {
    use Code::*;
    Some(match description {
        10 => (
            "unexpected_message",
            vec![(ProtocolViolation, 6)],
            vec![(ProtocolViolation, 6)],
        ),
        20 => (
            "bad_record_mac",
            vec![(ProtocolViolation, 6), (Intercepted, 2)],
            vec![(ProtocolViolation, 6)],
        ),
        22 => (
            "record_overflow",
            vec![(ProtocolViolation, 8)],
            vec![(ProtocolViolation, 8)],
        ),
        40 => (
            "handshake_failure",
            vec![
                (CipherMismatch, 8),
                (GroupMismatch, 5),
                (SigalgMismatch, 5),
                (ProtocolMismatch, 4),
                (ClientCertRequired, 3),
            ],
            vec![
                (CertUntrustedRoot, 4),
                (CipherMismatch, 4),
                (SigalgMismatch, 3),
            ],
        ),
        42 => (
            "bad_certificate",
            vec![(ClientCertRejected, 8)],
            // OpenSSL's ssl_verify_alarm_type sends bad_certificate for a
            // certificate not yet valid, a host name mismatch and a weak
            // signature or key (security level), besides an unknown issuer.
            vec![
                (CertUntrustedRoot, 5),
                (CertHostnameMismatch, 3),
                (CertNotYetValid, 3),
                (CertWeakSignature, 3),
                (CertWeakKey, 2),
            ],
        ),
        43 => (
            "unsupported_certificate",
            vec![(ClientCertRejected, 8)],
            vec![(CertWeakKey, 4), (CertKeyTypeMismatch, 3)],
        ),
        44 => (
            "certificate_revoked",
            vec![(ClientCertRejected, 8)],
            vec![(CertRevoked, 10)],
        ),
        45 => (
            "certificate_expired",
            vec![(ClientCertRejected, 8)],
            vec![(CertExpired, 10), (ClientClockWrong, 2)],
        ),
        46 => (
            "certificate_unknown",
            vec![(ClientCertRejected, 8)],
            vec![
                (CertUntrustedRoot, 6),
                (CertChainIncomplete, 5),
                (CertHostnameMismatch, 4),
                (CertSelfSigned, 3),
            ],
        ),
        47 => (
            "illegal_parameter",
            vec![(ProtocolViolation, 5), (GroupMismatch, 3)],
            vec![(ProtocolViolation, 6)],
        ),
        48 => (
            "unknown_ca",
            vec![(ClientCertRejected, 8)],
            vec![
                (CertUntrustedRoot, 8),
                (CertChainIncomplete, 7),
                (CertSelfSigned, 5),
            ],
        ),
        49 => (
            "access_denied",
            vec![(ClientCertRejected, 6), (ServerAlert, 4)],
            vec![(ServerAlert, 4)],
        ),
        50 => (
            "decode_error",
            vec![(ProtocolViolation, 8)],
            vec![(ProtocolViolation, 8)],
        ),
        51 => (
            "decrypt_error",
            vec![
                (SigalgMismatch, 3),
                (ProtocolViolation, 4),
                (Intercepted, 2),
            ],
            vec![(ProtocolViolation, 4)],
        ),
        70 => (
            "protocol_version",
            vec![(ProtocolMismatch, 10)],
            vec![(ProtocolMismatch, 10)],
        ),
        71 => (
            "insufficient_security",
            vec![(CipherMismatch, 8), (WeakDhGroup, 3)],
            vec![(CipherMismatch, 6), (WeakDhGroup, 4)],
        ),
        80 => (
            "internal_error",
            vec![(ServerAlert, 8)],
            vec![(ServerAlert, 4)],
        ),
        86 => (
            "inappropriate_fallback",
            vec![(ProtocolMismatch, 6), (Intercepted, 3)],
            vec![(ProtocolMismatch, 6)],
        ),
        90 => (
            "user_canceled",
            vec![(ServerAlert, 3)],
            vec![(ServerAlert, 3)],
        ),
        100 => (
            "no_renegotiation",
            vec![(ServerAlert, 3)],
            vec![(ServerAlert, 3)],
        ),
        109 => (
            "missing_extension",
            vec![(ProtocolViolation, 6)],
            vec![(ProtocolViolation, 6)],
        ),
        110 => (
            "unsupported_extension",
            vec![(ProtocolViolation, 6)],
            vec![(ProtocolViolation, 6)],
        ),
        112 => (
            "unrecognized_name",
            vec![(SniRequired, 10)],
            vec![(SniRequired, 5)],
        ),
        113 => (
            "bad_certificate_status_response",
            vec![(ClientCertRejected, 3)],
            vec![(OcspStapleStale, 6), (CertRevoked, 3)],
        ),
        115 => (
            "unknown_psk_identity",
            vec![(ServerAlert, 4)],
            vec![(ServerAlert, 4)],
        ),
        116 => (
            "certificate_required",
            vec![(ClientCertRequired, 10)],
            vec![(ClientCertRequired, 10)],
        ),
        120 => (
            "no_application_protocol",
            vec![(ServerAlert, 6)],
            vec![(ServerAlert, 6)],
        ),
        _ => return None,
    })
}

/// An alert's name and the codes it points to: `sent_by_client` is an alert
/// the client sent (it refused something of the server's), otherwise the
/// server sent it.
pub(super) fn alert_weights(
    description: u8,
    sent_by_client: bool,
) -> Option<(&'static str, Weights)> {
    let (name, from_server, from_client) = alert(u32::from(description))?;
    Some((
        name,
        if sent_by_client {
            from_client
        } else {
            from_server
        },
    ))
}

/// libssl reason codes (include/openssl/sslerr.h) below 1000 that name a
/// cause: `(reason, name as printed, codes)`.
fn ssl_reason(reason: u32) -> Option<(&'static str, Vec<(Code, u32)>)> {
    use Code::*;
    Some(match reason {
        134 => (
            "certificate verify failed",
            vec![(CertUntrustedRoot, 2), (CertChainIncomplete, 2)],
        ),
        267 => ("wrong version number", vec![(NotTls, 10)]),
        252 => ("record layer failure", vec![(ProtocolViolation, 4)]),
        258 => ("unsupported protocol", vec![(ProtocolMismatch, 10)]),
        191 => ("no protocols available", vec![(ProtocolMismatch, 10)]),
        193 => ("no shared cipher", vec![(CipherMismatch, 10)]),
        181 => ("no ciphers available", vec![(CipherMismatch, 10)]),
        118 => (
            "no suitable signature algorithm",
            vec![(SigalgMismatch, 10)],
        ),
        333 => (
            "legacy sigalg disallowed or unsupported",
            vec![(SigalgMismatch, 10)],
        ),
        294 => ("unexpected eof while reading", vec![(HandshakeReset, 10)]),
        394 => ("dh key too small", vec![(WeakDhGroup, 10)]),
        397 => ("ca key too small", vec![(CertWeakKey, 10)]),
        398 => ("ca md too weak", vec![(CertWeakSignature, 10)]),
        399 => ("ee key too small", vec![(CertWeakKey, 10)]),
        338 => (
            "unsafe legacy renegotiation disabled",
            vec![(ServerAlert, 5)],
        ),
        198 => (
            "packet length too long",
            vec![(NotTls, 6), (ProtocolViolation, 4)],
        ),
        156 => ("http request", vec![(NotTls, 10)]),
        155 => ("http request", vec![(NotTls, 10)]),
        209 => ("no shared signature algorithms", vec![(SigalgMismatch, 10)]),
        410 => ("no suitable key share", vec![(GroupMismatch, 10)]),
        101 => ("bad key share", vec![(GroupMismatch, 6)]),
        _ => return None,
    })
}

/// X.509 verify results: `(number, name, codes)`.
fn verify_result(num: u32) -> Option<(&'static str, Vec<(Code, u32)>)> {
    use Code::*;
    Some(match num {
        2 => (
            "unable to get issuer certificate",
            vec![(CertChainIncomplete, 8), (CertUntrustedRoot, 6)],
        ),
        9 => (
            "certificate is not yet valid",
            vec![(CertNotYetValid, 10), (ClientClockWrong, 4)],
        ),
        10 => (
            "certificate has expired",
            vec![(CertExpired, 10), (ClientClockWrong, 2)],
        ),
        18 => ("self-signed certificate", vec![(CertSelfSigned, 10)]),
        19 => (
            "self-signed certificate in certificate chain",
            vec![(CertUntrustedRoot, 10)],
        ),
        20 => (
            "unable to get local issuer certificate",
            vec![(CertChainIncomplete, 8), (CertUntrustedRoot, 8)],
        ),
        21 => (
            "unable to verify the first certificate",
            vec![(CertChainIncomplete, 10), (CertUntrustedRoot, 4)],
        ),
        23 => ("certificate revoked", vec![(CertRevoked, 10)]),
        24 => ("invalid CA certificate", vec![(CertUntrustedRoot, 5)]),
        26 => (
            "unsupported certificate purpose",
            vec![(CertUntrustedRoot, 3)],
        ),
        27 => ("certificate not trusted", vec![(CertUntrustedRoot, 8)]),
        28 => ("certificate rejected", vec![(CertUntrustedRoot, 6)]),
        62 => ("hostname mismatch", vec![(CertHostnameMismatch, 10)]),
        64 => ("IP address mismatch", vec![(CertHostnameMismatch, 10)]),
        66 => ("EE certificate key too weak", vec![(CertWeakKey, 10)]),
        67 => ("CA certificate key too weak", vec![(CertWeakKey, 10)]),
        68 => (
            "CA signature digest algorithm too weak",
            vec![(CertWeakSignature, 10)],
        ),
        _ => return None,
    })
}

/// The decimal number right after `key` (case-insensitive) in `line`.
fn number_after(lower: &str, key: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower.get(from..).and_then(|s| s.find(key)) {
        let start = from + at + key.len();
        let digits: String = lower[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(6)
            .collect();
        if let Ok(n) = digits.parse() {
            out.push(n);
        }
        from = start;
        if out.len() >= 8 {
            break;
        }
    }
    out
}

/// Every number with a known meaning in `line`.
pub(super) fn decode(line: &str, server_side: bool) -> Vec<Found> {
    let lower = line.to_ascii_lowercase();
    let mut out = Vec::new();
    let alert_found = |n: u32, how: String| {
        alert(n).map(|(name, client_view, server_view)| Found {
            family: "TLS alert",
            meaning: if server_side {
                format!("the client sent alert {name} ({n}) to this server")
            } else {
                format!("the server sent alert {name} ({n})")
            },
            matched: how,
            codes: if server_side {
                server_view
            } else {
                client_view
            },
        })
    };
    for key in [
        "alert number ",
        "alert number:",
        "alert no. ",
        "tls alert ",
        "received alert [",
    ] {
        for n in number_after(&lower, key) {
            out.extend(alert_found(n, format!("{}{n}", key.trim_end())));
        }
    }
    // OpenSSL packed codes: `error:0A000086:` (3.x), `error:14094418:` (1.x).
    let mut from = 0;
    while let Some(at) = lower.get(from..).and_then(|s| s.find("error:")) {
        let start = from + at + 6;
        from = start;
        let Some(hex) = lower.get(start..start + 8) else {
            break;
        };
        let Ok(code) = u32::from_str_radix(hex, 16) else {
            continue;
        };
        let (lib, reason) = if hex.starts_with("0a") {
            ((code >> 23) & 0xff, code & 0x7f_ffff)
        } else {
            ((code >> 24) & 0xff, code & 0xfff)
        };
        if lib != LIB_SSL {
            continue;
        }
        let matched = format!("error:{}", &line[start..start + 8]);
        if reason >= 1000 {
            out.extend(alert_found(reason - 1000, matched));
        } else if let Some((name, codes)) = ssl_reason(reason) {
            out.push(Found {
                family: "OpenSSL",
                meaning: format!("OpenSSL reason {reason}: {name}"),
                matched,
                codes,
            });
        }
        if out.len() > 32 {
            break;
        }
    }
    for key in [
        "num=",
        "verify error:",
        "verify return code: ",
        "verify result: ",
    ] {
        for n in number_after(&lower, key) {
            if let Some((name, codes)) = verify_result(n) {
                out.push(Found {
                    family: "X.509 verify",
                    meaning: format!("certificate verification error {n}: {name}"),
                    matched: format!("{key}{n}"),
                    codes,
                });
            }
        }
    }
    out
}
