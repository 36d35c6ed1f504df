//! `explain FILE.pcap`: every TLS connection of a capture read
//! (`wire::pcap::ConversationReader`), turned into observations
//! (`probe::capture`), judged (`analysis::explain::capture`), printed.
//! The capture is read as a stream: memory does not grow with its size.

use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use analysis::explain::capture::{self, CaptureExplanation, Outcome};
use anyhow::{bail, Context as _, Result};

use crate::args::ExplainArgs;
use crate::input::{open_bounded, read_bounded, MAX_CAPTURE};
use crate::render::{self, Style};

/// The largest key log read: about 100,000 TLS 1.3 connections' secrets
/// (four lines of ~170 bytes each).
const MAX_KEYLOG: u64 = 64 * 1024 * 1024;
/// Connections printed at most; the rest are counted.
const MAX_SHOWN: usize = 200;

/// pcap (both byte orders, micro- and nanoseconds) and pcapng magic numbers.
const CAPTURE_MAGIC: [[u8; 4]; 5] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x0a, 0x0d, 0x0d, 0x0a],
];

/// Whether the file starts like a pcap or pcapng capture.
pub fn is_capture(path: &Path) -> Result<bool> {
    let mut magic = [0u8; 4];
    let mut file = open_bounded(path, MAX_CAPTURE)?;
    let n = file
        .read(&mut magic)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(n == 4 && CAPTURE_MAGIC.contains(&magic))
}

/// Explains every TLS connection in the capture at `path`. Exit 0 when at
/// least one TLS connection was found, 1 when none was.
pub fn explain(
    path: &Path,
    args: &ExplainArgs,
    context: analysis::Context,
    style: Style,
) -> Result<ExitCode> {
    let keylog = match &args.keylog {
        Some(file) => {
            let text = read_bounded(file, MAX_KEYLOG)?;
            let log = wire::tls13::KeyLog::parse(&String::from_utf8_lossy(&text));
            if log.is_empty() {
                bail!(
                    "{} holds no TLS 1.3 traffic secrets (lines such as SERVER_HANDSHAKE_TRAFFIC_SECRET <random> <secret>)",
                    file.display()
                );
            }
            Some(log)
        }
        None => None,
    };
    let file = open_bounded(path, MAX_CAPTURE)?;
    let mut reader = wire::pcap::ConversationReader::new(BufReader::new(file))
        .with_context(|| format!("cannot read the capture {}", path.display()))?;
    if keylog.is_some() {
        reader = reader.keep_encrypted();
    }
    let mut context = capture::CaptureContext::new(context);
    let mut shown = Vec::new();
    let mut omitted = 0usize;
    let mut found = 0usize;
    while let Some(conversation) = reader
        .next_conversation()
        .with_context(|| format!("cannot read the capture {}", path.display()))?
    {
        if args.stream.is_some_and(|s| s != conversation.stream) {
            continue;
        }
        found += 1;
        let captured = probe::capture::observe(&conversation, keylog.as_ref());
        let ctx = context.for_connection(captured.client_hello.as_ref(), &captured.facts);
        let judged = capture::connection(&captured.observations, &captured.facts, ctx);
        // By default: the failures, and the unknowns whose handshake is in the
        // capture (a connection seen only mid-way says nothing).
        let interesting = match judged.outcome {
            Outcome::Completed => false,
            Outcome::Failed => true,
            Outcome::Unknown => judged.facts.client_hello_seen,
        };
        let wanted = args.all || args.stream.is_some() || interesting;
        if wanted && shown.len() < MAX_SHOWN {
            shown.push(judged);
        } else {
            omitted += 1;
        }
    }
    let stats = reader.stats();
    let answer = CaptureExplanation::new(shown, omitted, stats.not_tls, stats.evicted);
    let text = if args.json {
        serde_json::to_string_pretty(&answer)? + "\n"
    } else if found == 0 {
        match args.stream {
            Some(s) => format!("Stream {s} of this capture holds no TLS connection.\n"),
            None => "This capture holds no TLS connection (no ClientHello, no TLS records, no connection attempt).\n".into(),
        }
    } else {
        render::explain::capture_terminal(&answer, style)
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if found > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
