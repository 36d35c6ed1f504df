//! A connection's record for people: the terminal summary `listen` prints,
//! and the HTML page it serves to browsers. Everything in a record came from
//! the client (SNI, ALPN, User-Agent are attacker-controlled): terminal text
//! goes through [`clean`], HTML through [`escape`].

use std::fmt::Write as _;

use model::{ClientHelloRecord, HandshakeOutcome, HelloFlag, Severity};

use crate::render::{clean, Style};

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        clean(&items.join(", "))
    }
}

fn suites(record: &ClientHelloRecord) -> Vec<String> {
    record
        .cipher_suites
        .iter()
        .map(|s| {
            if s.grease {
                format!("{} [{}]", s.name, s.code)
            } else if s.scsv {
                format!("{} [signal]", s.name)
            } else {
                s.name.clone()
            }
        })
        .collect()
}

fn outcome_line(record: &ClientHelloRecord) -> String {
    match (&record.handshake, &record.negotiated) {
        (HandshakeOutcome::Completed, Some(n)) => {
            let mut s = format!("completed: {} {}", n.version, n.cipher_suite);
            if let Some(g) = &n.group {
                let _ = write!(s, " {g}");
            }
            if let Some(a) = &n.alpn {
                let _ = write!(s, ", ALPN {a}");
            }
            clean(&s)
        }
        (outcome, _) => outcome.to_string(),
    }
}

fn mark(style: &Style, flag: &HelloFlag) -> String {
    match flag.severity {
        Severity::Error => style.red("✘"),
        Severity::Warning => style.yellow("!"),
        Severity::Info => style.dim("·"),
    }
}

/// The terminal summary of one connection.
pub fn terminal(record: &ClientHelloRecord, style: Style) -> String {
    let mut out = String::new();
    let time = record
        .time
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let outcome = outcome_line(record);
    let outcome = if record.handshake.is_completed() {
        style.green(&outcome)
    } else {
        style.red(&outcome)
    };
    let format = match record.format {
        model::HelloFormat::Tls => "TLS hello",
        model::HelloFormat::Sslv2 => "SSLv2-format hello",
        model::HelloFormat::NotTls => "not TLS",
        model::HelloFormat::None => "nothing sent",
    };
    let _ = writeln!(
        out,
        "{} {}  {}  {}  {}",
        style.bold("──"),
        style.bold(&record.peer.to_string()),
        time,
        format,
        outcome
    );
    for line in &record.handshake_detail {
        let _ = writeln!(out, "   {}", clean(line));
    }
    if let Some(against) = &record.against {
        out.push_str(&crate::compare::explain(against, "   ", style));
    }
    let mut row = |name: &str, value: String| {
        let _ = writeln!(out, "   {:<11} {}", style.dim(name), value);
    };
    if record.format == model::HelloFormat::NotTls {
        if let Some(bytes) = &record.first_bytes {
            row("first bytes", analysis::text::printable_prefix(bytes));
        }
    }
    if matches!(
        record.format,
        model::HelloFormat::Tls | model::HelloFormat::Sslv2
    ) {
        row(
            "SNI",
            record
                .sni
                .as_deref()
                .map(clean)
                .unwrap_or_else(|| "— (none sent)".into()),
        );
        row("versions", list(&record.versions));
        row(
            "suites",
            format!(
                "({}) {}",
                record.real_cipher_suites().count(),
                list(&suites(record))
            ),
        );
        row("groups", list(&record.groups));
        row("key shares", list(&record.key_shares));
        row("sigalgs", list(&record.signature_algorithms));
        row("ALPN", list(&record.alpn));
        row("extensions", list(&record.extensions));
        if let Some(ja3) = &record.ja3 {
            row("JA3", ja3.clone());
        }
        if let Some(ja4) = &record.ja4 {
            row("JA4", ja4.clone());
        }
    }
    if let Some(ua) = &record.user_agent {
        row("User-Agent", clean(ua));
    }
    for cut in &record.truncated {
        row("truncated", clean(cut));
    }
    for flag in &record.flags {
        let _ = writeln!(
            out,
            "   {} {}: {}",
            mark(&style, flag),
            flag.code,
            clean(&flag.summary)
        );
        for e in &flag.evidence {
            let _ = writeln!(out, "       {}", style.dim(&clean(e)));
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values, dropping
/// control characters.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// The HTML report served to browsers.
pub fn html(record: &ClientHelloRecord) -> String {
    let mut rows = String::new();
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(
            rows,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(value)
        );
    };
    row("Handshake", &outcome_line(record));
    row("Connection from", &record.peer.to_string());
    row("User-Agent", record.user_agent.as_deref().unwrap_or("—"));
    row(
        "Server name (SNI)",
        record.sni.as_deref().unwrap_or("— (none sent)"),
    );
    row("Versions offered", &record.versions.join(", "));
    row(
        &format!("Cipher suites ({})", record.real_cipher_suites().count()),
        &suites(record).join("\n"),
    );
    row("Groups", &record.groups.join(", "));
    row("Key shares", &record.key_shares.join(", "));
    row(
        "Signature algorithms",
        &record.signature_algorithms.join(", "),
    );
    row("ALPN", &record.alpn.join(", "));
    row("Extensions (in order)", &record.extensions.join(", "));
    row("JA3", record.ja3.as_deref().unwrap_or("—"));
    row("JA4", record.ja4.as_deref().unwrap_or("—"));

    let mut flags = String::new();
    if record.flags.is_empty() {
        flags.push_str(
            "<p class=\"ok\">Nothing weak, obsolete or missing was found in this hello.</p>\n",
        );
    } else {
        flags.push_str("<ul>\n");
        for f in &record.flags {
            let class = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let _ = write!(
                flags,
                "<li class=\"{class}\"><code>{}</code> {}",
                escape(&f.code),
                escape(&f.summary)
            );
            if !f.evidence.is_empty() {
                flags.push_str("<ul>");
                for e in &f.evidence {
                    let _ = write!(flags, "<li>{}</li>", escape(e));
                }
                flags.push_str("</ul>");
            }
            flags.push_str("</li>\n");
        }
        flags.push_str("</ul>\n");
    }
    let against = record
        .against
        .as_ref()
        .map(against_html)
        .unwrap_or_default();
    let json = serde_json::to_string_pretty(record).unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tlsdoctor listen: your client's TLS hello</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
th {{ text-align: left; vertical-align: top; padding-right: 1rem; white-space: nowrap; }}
td {{ white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 90%; }}
.error {{ color: #b00020; }} .warning {{ color: #8a5300; }} .info {{ color: #555; }} .ok {{ color: #1b5e20; }}
pre {{ background: #f4f4f4; padding: 1rem; overflow-x: auto; font-size: 80%; }}
</style></head>
<body>
<h1 id="tlsdoctor-listen">Your client's TLS hello</h1>
<p>This is what your client offered when it connected to <code>tlsdoctor listen</code>, read before the handshake.</p>
<table id="hello">
{rows}</table>
{against}<h2>Findings</h2>
{flags}<h2>As JSON</h2>
<pre id="record">{json}</pre>
</body></html>
"#,
        json = escape(&json)
    )
}

/// The `--against` section: could this client connect to that server?
fn against_html(c: &model::Compatibility) -> String {
    let mut out = format!("<h2 id=\"against\">Against {}</h2>\n", escape(&c.server));
    if c.is_ok() {
        let what: Vec<&str> = [&c.version, &c.cipher_suite, &c.group]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"ok\">Your client would connect: {}.</p>",
            escape(&what.join(", "))
        );
        return out;
    }
    let _ = writeln!(
        out,
        "<p class=\"error\">Your client would not connect: <code>{}</code>. {}</p>",
        escape(c.code.map(|c| c.as_str()).unwrap_or("failed")),
        escape(&c.summary)
    );
    if let Some(m) = &c.missing {
        let _ = writeln!(
            out,
            "<table><tr><th>Missing overlap</th><td>{}</td></tr><tr><th>Client offers</th><td>{}</td></tr><tr><th>Server accepts</th><td>{}</td></tr></table>",
            escape(&m.what),
            escape(&m.client.join(", ")),
            escape(&m.server.join(", "))
        );
    }
    if !c.fix.is_empty() {
        out.push_str("<h3>Fix</h3>\n<pre>");
        for line in &c.fix {
            out.push_str(&escape(line));
            out.push('\n');
        }
        out.push_str("</pre>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_neutralised() {
        let mut r = ClientHelloRecord::new(
            time::OffsetDateTime::UNIX_EPOCH,
            "127.0.0.1:1".parse().unwrap(),
        );
        r.format = model::HelloFormat::Tls;
        r.sni = Some("evil\x1b[31m<script>".into());
        r.user_agent = Some("ua\r\n<b>".into());
        let t = terminal(&r, Style { color: false });
        assert!(!t.contains('\x1b'), "{t}");
        let h = html(&r);
        assert!(!h.contains("<script>") && !h.contains("<b>"), "{h}");
        assert!(h.contains("&lt;script&gt;"));
    }
}
