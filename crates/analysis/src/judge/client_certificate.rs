//! The `client_certificate` step: whether the server asked for a client
//! certificate and what it did without one (or with the one given), and the
//! same as the next hurdle behind a failed certificate step.

use super::*;

pub(super) fn client_certificate_step(
    walk: &mut Walk<'_>,
    main: Option<&ProbeRecord>,
    handshake: Option<&ProbeRecord>,
) {
    let recorded = handshake.and_then(|p| p.handshake.as_ref());
    let request = recorded
        .and_then(|h| h.client_cert_request.clone())
        .or_else(|| {
            main.and_then(|m| m.flight.as_ref())
                .and_then(|f| f.certificate_request.clone())
        });
    let Some(request) = request else {
        walk.step(
            Step::ClientCertificate,
            StepStatus::Skipped,
            "the server did not ask for a client certificate",
        );
        return;
    };
    let names: Vec<String> = request
        .ca_names
        .iter()
        .filter_map(|dn| dn_text(dn))
        .collect();
    let accepted = if names.is_empty() {
        "any CA".to_string()
    } else {
        names.join("; ")
    };
    let Some(recorded) = recorded else {
        walk.step(
            Step::ClientCertificate,
            StepStatus::NotTested,
            format!("the server asks for a client certificate (accepted CAs: {accepted}); no handshake of this client went past it, so whether it requires one is not known"),
        );
        return;
    };
    let sent = recorded.client_cert_sent;
    let failure = if recorded.completed {
        None
    } else {
        recorded.error.clone()
    };
    match failure {
        None => walk.step(
            Step::ClientCertificate,
            StepStatus::Ok,
            if sent {
                format!("the server asked for a client certificate (accepted CAs: {accepted}); one was sent and the handshake completed")
            } else {
                format!("the server asked for a client certificate (accepted CAs: {accepted}) but went on without one")
            },
        ),
        Some(error) => {
            let reason = match &error {
                HandshakeError::AlertReceived { description } => format!("alert {}", alert_text(*description).0),
                other => format!("{other:?}"),
            };
            if sent {
                walk.step(Step::ClientCertificate, StepStatus::Failed, format!("the server rejected the client certificate ({reason})"));
                walk.diagnose(
                    Code::ClientCertRejected,
                    Severity::Error,
                    Step::ClientCertificate,
                    "The server asked for a client certificate, got one, and rejected it.",
                    vec![format!("server's answer: {reason}"), format!("CAs the server accepts: {accepted}")],
                    vec![
                        format!("Client: use a certificate issued by one of: {accepted}; check that it is not expired and that the key matches."),
                        "Server: check that the client CA file (nginx ssl_client_certificate, Apache SSLCACertificateFile) holds the CA that issued the client's certificate.".into(),
                    ],
                );
            } else {
                walk.step(Step::ClientCertificate, StepStatus::Failed, format!("the server requires a client certificate and none was sent ({reason})"));
                walk.diagnose(
                    Code::ClientCertRequired,
                    Severity::Error,
                    Step::ClientCertificate,
                    "The server requires a client certificate (mutual TLS), and the client sent none.",
                    vec![format!("server's answer: {reason}"), format!("CAs the server accepts: {accepted}")],
                    [
                        fixes::present_client_certificate(&target_text(walk.obs), &accepted),
                        vec!["Server: if client certificates should be optional, use `ssl_verify_client optional;` (nginx) or `SSLVerifyClient optional` (Apache).".into()],
                    ]
                    .concat(),
                );
            }
        }
    }
}

/// What the client will hit after fixing the failure: the handshake went on
/// (our verifier records instead of aborting), so later steps were seen.
/// `handshake` is the connection that carried the client's handshake.
pub(super) fn next_hurdles(
    walk: &mut Walk<'_>,
    main: Option<&ProbeRecord>,
    handshake: Option<&ProbeRecord>,
) {
    let failed_at = walk
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .map(|s| s.step);
    if failed_at != Some(Step::Certificate) {
        return;
    }
    let recorded = handshake.and_then(|p| p.handshake.as_ref());
    let requested = recorded
        .and_then(|h| h.client_cert_request.clone())
        .or_else(|| {
            main.and_then(|m| m.flight.as_ref())
                .and_then(|f| f.certificate_request.clone())
        });
    let Some(request) = requested else { return };
    // Only a handshake of the client that ended after the request says the
    // server requires a certificate (none that went on, none not run).
    if recorded.is_none_or(|h| h.completed || h.client_cert_sent) {
        return;
    }
    let names: Vec<String> = request
        .ca_names
        .iter()
        .filter_map(|dn| dn_text(dn))
        .collect();
    walk.diagnose(
        Code::ClientCertRequired,
        Severity::Info,
        Step::ClientCertificate,
        "Next, once the certificate is fixed: the server also requires a client certificate, and none was sent.",
        vec![format!(
            "CAs the server accepts: {}",
            if names.is_empty() { "any".to_string() } else { names.join("; ") }
        )],
        fixes::present_client_certificate(
            &target_text(walk.obs),
            if names.is_empty() { "a CA the server accepts".to_string() } else { names.join("; ") }.as_str(),
        ),
    );
}
