//! Warnings on an otherwise working server that belong to no single step
//! (legacy protocol versions).

use super::*;

/// TLS 1.0/1.1 still enabled: a warning on an otherwise healthy server.
pub(super) fn protocol_warnings(walk: &mut Walk<'_>) {
    let legacy: Vec<ProtocolVersion> = accepted_versions(walk.obs)
        .into_iter()
        .filter(|v| *v < ProtocolVersion::TLS1_2)
        .collect();
    if legacy.is_empty()
        || walk
            .diagnoses
            .iter()
            .any(|d| d.code == Code::ProtocolMismatch)
    {
        return;
    }
    walk.diagnose(
        Code::LegacyProtocolsEnabled,
        Severity::Warning,
        Step::ServerHello,
        format!("The server still accepts {}, deprecated since 2021 (RFC 8996) and refused by current browsers.", versions_text(&legacy)),
        vec![format!("accepted: {}", versions_text(&legacy))],
        fixes::enable_modern_protocols(),
    );
}
