//! Text from the network, made safe to print.

/// Removes control characters (terminal escapes, newlines) and bounds the
/// length: certificate fields and alerts are attacker-controlled.
pub fn sanitize(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(256).collect()
}

/// Shows bytes as text when they look like text (an HTTP or SSH banner), else hex.
pub fn printable_prefix(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .take(48)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    let printable = bytes
        .iter()
        .take(48)
        .filter(|b| (0x20..0x7f).contains(*b) || **b == b'\r' || **b == b'\n')
        .count();
    if printable * 10 >= bytes.len().min(48) * 9 {
        format!("\"{}\"", text.replace("..", " ").trim())
    } else {
        bytes
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}
