//! The `finished` step: whether the client's own handshake completed.

use super::*;

pub(super) fn finished_step(walk: &mut Walk<'_>, handshake: Option<&ProbeRecord>) {
    let Some(record) = handshake.and_then(|p| p.handshake.as_ref()) else {
        walk.step(
            Step::Finished,
            StepStatus::NotTested,
            "no full handshake was attempted",
        );
        return;
    };
    if record.completed {
        walk.step(
            Step::Finished,
            StepStatus::Ok,
            format!(
                "handshake complete: {}, {}",
                record.version.map(|v| v.display_name()).unwrap_or_default(),
                record
                    .cipher_suite
                    .map(|s| s.name().to_string())
                    .unwrap_or_default(),
            ),
        );
        return;
    }
    match record.error.clone() {
        Some(HandshakeError::AlertReceived { description }) => {
            server_alert(
                walk,
                Step::Finished,
                description,
                "after the server's hello and certificate",
            );
        }
        Some(HandshakeError::Timeout { after_ms }) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                format!("the handshake stalled after the server's hello ({after_ms} ms)"),
            );
            walk.diagnose(
                Code::HandshakeTimeout,
                Severity::Error,
                Step::Finished,
                "The server stopped answering in the middle of the handshake.",
                vec![format!("no progress within {after_ms} ms")],
                vec!["Server: check its load and error log; check for a middlebox that drops large packets (MTU).".into()],
            );
        }
        Some(HandshakeError::Protocol { message }) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                format!("the server broke the protocol: {}", sanitize(&message)),
            );
            walk.diagnose(
                Code::ProtocolViolation,
                Severity::Error,
                Step::Finished,
                "The server sent a message that breaks the TLS protocol.",
                vec![sanitize(&message)],
                vec!["Server: update the TLS library or the device terminating TLS.".into()],
            );
        }
        Some(HandshakeError::NotTls) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                "the server stopped speaking TLS",
            );
        }
        Some(other) => {
            walk.step(
                Step::Finished,
                StepStatus::Failed,
                format!("the connection was cut during the handshake ({other:?})"),
            );
            walk.diagnose(
                Code::HandshakeReset,
                Severity::Error,
                Step::Finished,
                "The connection was closed in the middle of the handshake without a TLS alert.",
                vec![format!("{other:?}")],
                vec!["Server: check its error log; check for a firewall or IPS that cuts TLS sessions.".into()],
            );
        }
        None => walk.step(
            Step::Finished,
            StepStatus::NotTested,
            "the handshake did not finish",
        ),
    }
}
