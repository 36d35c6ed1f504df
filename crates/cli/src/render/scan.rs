//! The scan report as a person reads it: protocols, suites per protocol,
//! key exchange, certificates, features. Every string that came from the
//! network goes through [`clean`].

use std::fmt::Write as _;

use model::{Features, ScanReport};

use super::{clean, Style};

/// Renders a scan report.
pub fn scan(report: &ScanReport, style: Style) -> String {
    let mut out = String::new();
    let t = &report.target;
    let ip = t.ip.map(|ip| format!(" ({ip})")).unwrap_or_default();
    let sni = match &t.sni {
        Some(sni) => format!("SNI {}", clean(sni)),
        None => "no SNI".into(),
    };
    let sni = match &t.transport {
        Some(how) => format!("{sni}, {}", clean(how)),
        None => sni,
    };
    let _ = writeln!(
        out,
        "{} {}:{}{} — {}, {} connections in {} ms",
        style.bold("tlsdoctor scan"),
        clean(&t.host),
        t.port,
        ip,
        sni,
        report.connections,
        report.elapsed_ms
    );

    grade(&mut out, style, report);

    section(&mut out, style, "Protocols");
    for (name, p) in report.protocols.iter() {
        let mark = match p.supported {
            Some(true) if matches!(name, "ssl2" | "ssl3" | "tls1_0" | "tls1_1") => {
                style.yellow("yes")
            }
            Some(true) => style.green("yes"),
            Some(false) => style.dim("no "),
            None => style.yellow("?  "),
        };
        let _ = writeln!(
            out,
            "  {name:<7} {mark}  {}",
            style.dim(&clean(&p.evidence))
        );
    }

    section(&mut out, style, "Cipher suites");
    for (name, p) in report.protocols.iter().filter(|(_, p)| p.is_supported()) {
        let order = match p.server_order {
            Some(true) => "server order",
            Some(false) => "client order",
            None => "order n/a",
        };
        let _ = writeln!(out, "  {name} ({} suites, {order})", p.cipher_suites.len());
        for suite in &p.cipher_suites {
            let _ = writeln!(out, "    {}", clean(suite));
        }
        if let Some(why) = &p.cipher_suites_interrupted {
            let _ = writeln!(
                out,
                "    {}",
                style.yellow(&format!(
                    "… interrupted ({}): more may be accepted",
                    clean(why)
                ))
            );
        }
    }

    section(&mut out, style, "Key exchange");
    for (name, p) in report
        .protocols
        .iter()
        .filter(|(_, p)| p.is_supported() && !p.groups.is_empty())
    {
        let order = match p.group_server_order {
            Some(true) => ", server order",
            Some(false) => ", client order",
            None => "",
        };
        let at = p
            .groups_measured_at
            .as_ref()
            .map(|v| format!(", measured at {v}"))
            .unwrap_or_default();
        let groups: Vec<String> = p.groups.iter().map(|g| clean(g)).collect();
        let cut = if p.groups_interrupted.is_some() {
            style.yellow(" … interrupted")
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {name:<7} {}{cut}{order}{at}", groups.join(" "));
    }
    if let Some(dh) = &report.dh {
        let known = dh
            .well_known
            .as_deref()
            .map(|n| format!("well-known {n}"))
            .unwrap_or_else(|| "custom prime".into());
        let _ = writeln!(out, "  DHE     {} bits, {known}", dh.prime_bits);
    }
    if !report.signature_algorithms.is_empty() || report.signature_algorithms_interrupted.is_some()
    {
        let cut = if report.signature_algorithms_interrupted.is_some() {
            style.yellow(" … interrupted")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  signatures (TLS 1.2): {}{cut}",
            report.signature_algorithms.join(" ")
        );
    }

    if let Some(cr) = &report.client_certificate {
        section(&mut out, style, "Client certificate");
        let required = match cr.required {
            Some(true) => style.yellow("required"),
            Some(false) => "optional".to_string(),
            None => style.dim("requested (required or optional: unknown)"),
        };
        let _ = writeln!(out, "  {required}  {}", style.dim(&clean(&cr.evidence)));
        let cas = if cr.ca_names.is_empty() {
            "any (no CA names sent)".to_string()
        } else {
            cr.ca_names
                .iter()
                .map(|n| clean(n))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let _ = writeln!(out, "  accepted CAs: {cas}");
        if !cr.signature_algorithms.is_empty() {
            let _ = writeln!(out, "  signatures: {}", cr.signature_algorithms.join(" "));
        }
    }

    section(&mut out, style, "Certificates");
    if report.certificates.is_empty() {
        let _ = writeln!(out, "  {}", style.dim("none seen"));
    }
    for (i, chain) in report.certificates.iter().enumerate() {
        let trusted: Vec<String> = chain
            .trust
            .iter()
            .filter(|t| t.is_primary())
            .map(|t| {
                let text = format!("{}: {}", t.store, clean(&t.result));
                if t.trusted {
                    style.green(&text)
                } else {
                    style.yellow(&text)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "  chain {} ({}; seen with {})",
            i + 1,
            chain.key_type,
            chain.seen_with.join(", ")
        );
        let _ = writeln!(out, "    trust: {}", trusted.join(", "));
        let platforms = |trusted: bool| -> Vec<String> {
            chain
                .trust
                .iter()
                .filter(|t| !t.is_primary() && t.trusted == trusted)
                .map(|t| clean(&t.store))
                .collect()
        };
        let (yes, no) = (platforms(true), platforms(false));
        if !yes.is_empty() || !no.is_empty() {
            let _ = writeln!(
                out,
                "    platform stores (2017 snapshots): {}{}",
                if yes.is_empty() {
                    style.yellow("trusted by none")
                } else {
                    style.green(&format!("trusted by {}", yes.join(" ")))
                },
                if no.is_empty() {
                    String::new()
                } else {
                    format!("; {}", style.yellow(&format!("not by {}", no.join(" "))))
                }
            );
        }
        if let Some(code) = chain.verdict {
            let _ = writeln!(out, "    verdict: {code}");
            for e in &chain.verdict_evidence {
                let _ = writeln!(out, "      {}", clean(e));
            }
        }
        let host = if chain.hostname_match {
            style.green(&format!("matches {}", clean(&chain.hostname)))
        } else {
            style.red(&format!("does not match {}", clean(&chain.hostname)))
        };
        let _ = writeln!(
            out,
            "    name {host}; order {}; {}; OCSP staple {}",
            if chain.order_ok { "ok" } else { "wrong" },
            if chain.complete {
                "complete"
            } else {
                "incomplete"
            },
            if chain.ocsp_stapled { "yes" } else { "no" }
        );
        for (n, c) in chain.certificates.iter().enumerate() {
            let _ = writeln!(out, "    [{n}] {}", clean(&c.subject));
            let _ = writeln!(out, "        issuer  {}", clean(&c.issuer));
            if !c.sans.is_empty() {
                let sans: Vec<String> = c.sans.iter().map(|s| clean(s)).collect();
                let _ = writeln!(out, "        SANs    {}", sans.join(", "));
            }
            let curve = c
                .curve
                .as_deref()
                .map(|c| format!(" {}", clean(c)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "        key     {}{curve} {} bits, signed {}",
                c.key_type,
                c.key_bits,
                clean(&c.signature_algorithm)
            );
            let _ = writeln!(out, "        valid   {} .. {}", c.not_before, c.not_after);
            let _ = writeln!(out, "        sha256  {}", c.sha256_fingerprint);
            if !c.sha1_fingerprint.is_empty() {
                let _ = writeln!(out, "        sha1    {}", c.sha1_fingerprint);
            }
            let mut notes = Vec::new();
            if c.must_staple {
                notes.push("must-staple".to_string());
            }
            if c.embedded_scts > 0 {
                notes.push(format!("{} embedded SCTs", c.embedded_scts));
            }
            if !notes.is_empty() {
                let _ = writeln!(out, "        ext     {}", notes.join(", "));
            }
            for url in &c.ocsp_urls {
                let _ = writeln!(out, "        OCSP    {}", clean(url));
            }
            for url in &c.ca_issuers {
                let _ = writeln!(out, "        CA cert {}", clean(url));
            }
        }
    }

    if let Some(caa) = &report.caa {
        section(&mut out, style, "DNS CAA");
        let verdict = match caa.allowed {
            Some(true) => "allowed",
            Some(false) => "not allowed",
            None => "unknown",
        };
        let _ = writeln!(out, "  {verdict}: {}", clean(&caa.detail));
        for record in &caa.records {
            let _ = writeln!(out, "    {} CAA {}", clean(&caa.name), clean(record));
        }
    }

    section(&mut out, style, "Features");
    features(&mut out, style, &report.features);

    if !report.clients.is_empty() {
        section(&mut out, style, "Client simulation");
        client_rows(&mut out, style, report);
    }

    super::vulns::section(&mut out, style, &report.vulnerabilities);

    if !report.incomplete.is_empty() {
        section(&mut out, style, "Results may be incomplete");
        for note in &report.incomplete {
            let _ = writeln!(out, "  {}", style.yellow(&clean(note)));
        }
    }
    if !report.unknown.is_empty() {
        section(&mut out, style, "Unknown (not observed)");
        let _ = writeln!(out, "  {}", clean(&report.unknown.join(", ")));
    }
    out
}

fn section(out: &mut String, style: Style, title: &str) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.bold(title));
}

fn features(out: &mut String, style: Style, f: &Features) {
    // (name, value, whether `yes` is the good answer)
    let rows: [(&str, Option<bool>, bool); 9] = [
        ("secure renegotiation", f.secure_renegotiation, true),
        ("extended master secret", f.extended_master_secret, true),
        ("encrypt-then-MAC", f.encrypt_then_mac, true),
        ("TLS_FALLBACK_SCSV", f.fallback_scsv, true),
        ("OCSP stapling", f.ocsp_stapling, true),
        ("session IDs", f.session_id, true),
        ("session tickets", f.session_tickets, true),
        ("TLS compression", f.compression, false),
        ("heartbeat", f.heartbeat, false),
    ];
    for (name, value, good) in rows {
        let text = match value {
            Some(true) => "yes",
            Some(false) => "no",
            None => "n/a",
        };
        let painted = match value {
            Some(v) if v == good => style.green(text),
            Some(_) => style.yellow(text),
            None => style.dim(text),
        };
        let _ = writeln!(out, "  {name:<24} {painted}");
    }
    let alpn = f
        .alpn
        .as_deref()
        .map(clean)
        .unwrap_or_else(|| "none".into());
    let _ = writeln!(out, "  {:<24} {alpn}", "ALPN (h2, http/1.1)");
    if let Some(list) = &f.alpn_protocols {
        let list: Vec<String> = list.iter().map(|p| clean(p)).collect();
        let text = if list.is_empty() {
            "none (ALPN ignored)".to_string()
        } else {
            list.join(" ")
        };
        let _ = writeln!(out, "  {:<24} {text}", "ALPN protocols");
    }
    let yes_no = |v: Option<bool>| match v {
        Some(true) => style.green("yes"),
        Some(false) => style.yellow("no"),
        None => style.dim("n/a"),
    };
    let _ = writeln!(
        out,
        "  {:<24} {}",
        "resumption (session ID)",
        yes_no(f.resumption_session_id)
    );
    let at = f
        .resumption_tickets_at
        .as_deref()
        .map(|v| format!(" (at {v})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {:<24} {}{at}",
        "resumption (ticket)",
        yes_no(f.resumption_tickets)
    );
    if let Some(status) = &f.http_status {
        let _ = writeln!(out, "  {:<24} {}", "HTTP", clean(status));
        let hsts = f
            .hsts
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "none".into());
        let _ = writeln!(out, "  {:<24} {hsts}", "HSTS");
        if let Some(h) = &f.http_headers {
            for (name, value) in [
                ("CSP", &h.content_security_policy),
                ("X-Frame-Options", &h.x_frame_options),
                ("X-Content-Type-Options", &h.x_content_type_options),
                ("Referrer-Policy", &h.referrer_policy),
                ("Permissions-Policy", &h.permissions_policy),
            ] {
                if let Some(v) = value {
                    let _ = writeln!(out, "  {name:<24} {}", clean(v));
                }
            }
            if !h.obsolete.is_empty() {
                let _ = writeln!(
                    out,
                    "  {:<24} {}",
                    "obsolete headers",
                    style.yellow(&h.obsolete.join(", "))
                );
            }
            if !h.missing.is_empty() {
                let _ = writeln!(
                    out,
                    "  {:<24} {}",
                    "missing headers",
                    style.dim(&h.missing.join(", "))
                );
            }
        }
    }
}

fn grade(out: &mut String, style: Style, report: &ScanReport) {
    let Some(letter) = &report.grade else {
        return;
    };
    section(out, style, "Grade");
    let painted = match letter.as_str() {
        "A+" | "A" => style.green(letter),
        "A-" | "B" => style.yellow(letter),
        _ => style.red(letter),
    };
    let score = report
        .score
        .as_ref()
        .map(|s| {
            format!(
                "  score {} (protocol {}, key exchange {}, cipher {})",
                s.total, s.protocol, s.key_exchange, s.cipher
            )
        })
        .unwrap_or_default();
    let provisional = if report.grade_provisional {
        style.yellow(" (provisional: the scan is incomplete, see below)")
    } else {
        String::new()
    };
    let _ = writeln!(out, "  {}{provisional}{score}", style.bold(&painted));
    for cap in &report.grade_caps {
        let _ = writeln!(
            out,
            "  {:<3} {}",
            clean(&cap.cap),
            style.dim(&clean(&cap.reason))
        );
    }
}

/// The client simulation table alone (`scan --clients`).
pub fn clients(report: &ScanReport, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}:{}",
        style.bold("tlsdoctor scan --clients"),
        clean(&report.target.host),
        report.target.port
    );
    if report.clients.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            style.dim("no TLS protocol was supported; nothing to simulate")
        );
        return out;
    }
    client_rows(&mut out, style, report);
    out
}

fn client_rows(out: &mut String, style: Style, report: &ScanReport) {
    let width = report
        .clients
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0)
        .max(6);
    for c in &report.clients {
        let line = if c.outcome == "ok" {
            let group = c
                .group
                .as_deref()
                .map(|g| format!(" {}", clean(g)))
                .unwrap_or_default();
            format!(
                "{} {:<7} {}{group}",
                style.green("ok    "),
                c.version.as_deref().unwrap_or("?"),
                clean(c.cipher_suite.as_deref().unwrap_or("?"))
            )
        } else if c.outcome == "unknown" {
            format!(
                "{} {}",
                style.yellow("?     "),
                style.dim("unknown: the scan did not measure what decides it")
            )
        } else {
            let got = match (&c.version, &c.cipher_suite) {
                (Some(v), Some(s)) => format!(" (after {v} {})", clean(s)),
                (Some(v), None) => format!(" (at {v})"),
                _ => String::new(),
            };
            format!(
                "{} {}{got}",
                style.red("failed"),
                clean(c.code.as_deref().unwrap_or("unknown"))
            )
        };
        let _ = writeln!(out, "  {:<width$} {line}", clean(&c.name));
    }
    // Which roots judged the chain, for the clients not judged with
    // Mozilla's or this machine's store.
    let mut by_roots: Vec<(&str, Vec<&str>)> = Vec::new();
    for c in &report.clients {
        let Some(roots) = c.roots.as_deref() else {
            continue;
        };
        if matches!(
            roots,
            "Mozilla's current root store" | "this machine's trust store"
        ) {
            continue;
        }
        match by_roots.iter_mut().find(|(r, _)| *r == roots) {
            Some((_, names)) => names.push(&c.name),
            None => by_roots.push((roots, vec![&c.name])),
        }
    }
    for (roots, names) in by_roots {
        let _ = writeln!(
            out,
            "  {}",
            style.dim(&format!(
                "{}: chain judged with {}",
                names.join(", "),
                clean(roots)
            ))
        );
    }
}
