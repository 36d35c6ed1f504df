//! `tlsdoctor compare`: will this client connect to this server, and if not,
//! why? The server is scanned once (the scan engine, [`scan_server`]); the
//! client is a profile of the client-simulation set or a captured hello
//! ([`read_client_hello`]: hex of a handshake message or record, a pcap or
//! pcapng, a `listen --json-log` line); the answer is
//! [`analysis::simulate::predict`] for that pair ([`judge`]), the same walk
//! `scan`'s client table makes. `listen --against` uses the same three steps
//! for every client that connects.
//!
//! A captured hello is untrusted input: it is parsed with `wire`'s bounded
//! parsers and never executed or echoed raw to the terminal.

use std::fmt::Write as _;
use std::path::Path;

use analysis::client_hello::ClientOffer;
use analysis::ClientProfile;
use anyhow::{bail, Context as _, Result};
use model::{Compatibility, ScanReport};
use serde::Serialize;
use wire::codec::{Codec, Reader};
use wire::handshake::{ClientHello, HandshakeType};
use wire::record::{ContentType, HandshakeReassembler, RecordReader};
use wire::sslv2::Ssl2ClientHello;

use crate::render::{clean, Style};

/// A scanned server, judged against by every client.
#[derive(Clone, Debug)]
pub struct Server {
    /// `host:port`, as the user named it.
    pub name: String,
    pub report: ScanReport,
}

impl Server {
    /// The versions the server accepts, highest first, e.g. `TLS 1.3, TLS 1.2`.
    pub fn versions(&self) -> String {
        let mut v: Vec<String> = self
            .report
            .protocols
            .iter()
            .filter(|(_, p)| p.is_supported())
            .filter_map(|(n, _)| wire::registry::ProtocolVersion::from_name(n))
            .map(|v| v.display_name())
            .collect();
        v.reverse();
        v.join(", ")
    }
}

/// Scans the server once. Fails when the server completed no handshake in
/// any version (nothing to compare with; `diagnose` tells why).
pub async fn scan_server(job: &crate::scan::Scan) -> Result<Server> {
    let (report, _) = crate::scan::scan(job).await;
    let name = format!("{}:{}", job.target.host, job.target.port);
    if !report.protocols.iter().any(|(_, p)| p.is_supported()) {
        let mut why = format!(
            "{name} completed no TLS or SSL handshake in the scan, so there is nothing to compare with; `tlsdoctor diagnose {name}` tells why"
        );
        for note in &report.incomplete {
            let _ = write!(why, "\n  {}", clean(note));
        }
        bail!(why);
    }
    Ok(Server { name, report })
}

/// Would this client connect to this server?
pub fn judge(profile: &ClientProfile, server: &Server) -> Compatibility {
    analysis::simulate::predict(profile, &server.report).to_compatibility(&server.name)
}

/// A client read from a file.
#[derive(Clone, Debug)]
pub struct CapturedClient {
    pub offer: ClientOffer,
    /// Where in the file the hello was: `a listen log line 3`, `pcap stream 0
    /// (10.0.0.1:51234 → 10.0.0.2:443)`.
    pub origin: String,
}

impl CapturedClient {
    /// The client's profile (the lists as sent; the defaults of a current
    /// client for what a hello cannot show).
    pub fn profile(&self) -> ClientProfile {
        ClientProfile::from_offer(&self.offer)
    }
}

/// Reads a ClientHello from a file's bytes: a pcap or pcapng (the first
/// hello, or the one of TCP stream `stream`), `listen --json-log` lines (the
/// first record holding a hello, or the `stream`-th such record from 0), or
/// hex (whitespace and `:` ignored, `0x` allowed) or raw bytes of a
/// handshake message, of TLS records, or of an SSL 2.0 CLIENT-HELLO.
pub fn read_client_hello(bytes: &[u8], stream: Option<u32>) -> Result<CapturedClient> {
    if is_capture(bytes) {
        return hello_from_capture(bytes, stream);
    }
    hello_from_text_or_bytes(bytes, stream)
}

/// [`read_client_hello`] from a file: a capture is read as a stream (up to
/// [`crate::input::MAX_CAPTURE`], memory independent of its size), anything
/// else whole (up to [`crate::input::MAX_FILE`]).
pub fn read_client_hello_file(path: &Path, stream: Option<u32>) -> Result<CapturedClient> {
    use std::io::{Read as _, Seek as _};
    let mut file = crate::input::open_bounded(path, crate::input::MAX_CAPTURE)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).unwrap_or(0);
    if is_capture(&magic[..n]) {
        file.rewind()
            .with_context(|| format!("cannot read {}", path.display()))?;
        return hello_from_capture(std::io::BufReader::new(file), stream);
    }
    drop(file);
    let bytes = crate::input::read_bounded(path, crate::input::MAX_FILE)?;
    hello_from_text_or_bytes(&bytes, stream)
}

fn hello_from_capture(capture: impl std::io::Read, stream: Option<u32>) -> Result<CapturedClient> {
    // Hellos are read one at a time and only the wanted one is kept (a few
    // stream numbers of the others, for the error message).
    let mut reader = wire::pcap::HelloReader::new(capture).context("cannot read the capture")?;
    let mut others = StreamList::default();
    let found = loop {
        match reader.next_hello().context("cannot read the capture")? {
            Some(h) if stream.is_none_or(|n| h.stream == n) => break Some(h),
            Some(h) => others.add(h.stream),
            None => break None,
        }
    };
    let Some(h) = found else {
        let stats = reader.stats();
        match stream {
            Some(n) => bail!(
                "the capture holds no ClientHello in TCP stream {n} (streams with one: {}){}",
                others,
                dropped(&stats)
            ),
            None => bail!(
                "the capture holds no TLS ClientHello over TCP{}",
                dropped(&stats)
            ),
        }
    };
    let hello = ClientHello::read_handshake(&h.message)
        .context("the captured ClientHello does not parse")?;
    Ok(CapturedClient {
        offer: ClientOffer::from_hello(&hello),
        origin: format!(
            "pcap stream {} ({} → {})",
            h.stream,
            std::net::SocketAddr::new(h.src, h.src_port),
            std::net::SocketAddr::new(h.dst, h.dst_port)
        ),
    })
}

/// A `listen --json-log` file, hex, or raw bytes of one hello.
fn hello_from_text_or_bytes(bytes: &[u8], stream: Option<u32>) -> Result<CapturedClient> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(text) = text.filter(|t| t.starts_with('{')) {
        return from_log(text, stream);
    }
    if stream.is_some() {
        bail!("--stream applies to a pcap or a listen log, not to a single hello");
    }
    let raw = match text.and_then(decode_hex) {
        Some(raw) => raw,
        None if text.is_some_and(|t| {
            t.chars()
                .all(|c| c.is_ascii_hexdigit() || c.is_whitespace() || c == ':' || c == 'x')
        }) =>
        {
            bail!("the file looks like hex but is not (an odd number of digits?)")
        }
        None => bytes.to_vec(),
    };
    let offer = offer_from_bytes(&raw, None)?;
    Ok(CapturedClient {
        offer,
        origin: "a hello".into(),
    })
}

/// What the bounded capture reader forgot, when that may explain a missing hello.
fn dropped(stats: &wire::pcap::CaptureStats) -> String {
    if stats.evicted_with_data + stats.oversized_packets + stats.gaps == 0 {
        return String::new();
    }
    format!(
        " ({} of {} streams forgotten mid-hello to bound memory, {} oversized packets skipped, {} streams with an unfilled gap)",
        stats.evicted_with_data, stats.streams, stats.oversized_packets, stats.gaps
    )
}

/// The streams that held a hello other than the wanted one: the first few
/// and how many (a capture may hold millions).
#[derive(Default)]
struct StreamList {
    first: Vec<u32>,
    count: u64,
}

impl StreamList {
    const SHOWN: usize = 20;

    fn add(&mut self, stream: u32) {
        if self.first.last() == Some(&stream) {
            return;
        }
        self.count += 1;
        if self.first.len() < Self::SHOWN {
            self.first.push(stream);
        }
    }
}

impl std::fmt::Display for StreamList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first.is_empty() {
            return f.write_str("none");
        }
        let shown: Vec<String> = self.first.iter().map(u32::to_string).collect();
        f.write_str(&shown.join(", "))?;
        let more = self.count.saturating_sub(self.first.len() as u64);
        if more > 0 {
            write!(f, " and {more} more")?;
        }
        Ok(())
    }
}

fn is_capture(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
                | [0x0a, 0x0d, 0x0d, 0x0a]
        )
    )
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    digits
        .chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

/// One record of a `listen` log, as far as `compare` reads it.
#[derive(serde::Deserialize)]
struct LogLine {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    hello: Option<model::Bytes>,
}

fn from_log(text: &str, stream: Option<u32>) -> Result<CapturedClient> {
    let want = stream.unwrap_or(0) as usize;
    let mut seen = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let record: LogLine = serde_json::from_str(line)
            .with_context(|| format!("line {} is not a tlsdoctor listen record (JSON)", n + 1))?;
        let Some(hello) = record.hello else { continue };
        if seen < want {
            seen += 1;
            continue;
        }
        let offer = offer_from_bytes(&hello, record.format.as_deref())
            .with_context(|| format!("the hello on line {}", n + 1))?;
        return Ok(CapturedClient {
            offer,
            origin: format!("a listen record (line {})", n + 1),
        });
    }
    if seen == 0 {
        bail!("the log holds no record with a hello (records of clients that sent none cannot be compared)");
    }
    bail!("the log holds only {seen} record(s) with a hello; --stream counts them from 0")
}

/// A hello from bytes: a handshake message, TLS records, an SSL 2.0 record
/// or (as `listen` logs it) an SSL 2.0 record body.
fn offer_from_bytes(bytes: &[u8], format: Option<&str>) -> Result<ClientOffer> {
    let ssl2_body = |b: &[u8]| -> Result<ClientOffer> {
        let hello = Ssl2ClientHello::read(&mut Reader::new(b))
            .map_err(|e| anyhow::anyhow!("not an SSL 2.0 CLIENT-HELLO: {e}"))?;
        Ok(ClientOffer::from_ssl2(&hello))
    };
    if format == Some("sslv2") {
        return ssl2_body(bytes);
    }
    match bytes.first() {
        Some(0x16) => {
            let message = hello_from_records(bytes)?;
            let hello = ClientHello::read_handshake(&message)
                .map_err(|e| anyhow::anyhow!("the ClientHello does not parse: {e}"))?;
            Ok(ClientOffer::from_hello(&hello))
        }
        Some(0x01) => match ClientHello::read_handshake(bytes) {
            Ok(hello) => Ok(ClientOffer::from_hello(&hello)),
            // An SSL 2.0 record body also starts with 1 (CLIENT-HELLO).
            Err(e) => ssl2_body(bytes).map_err(|_| {
                anyhow::anyhow!("the ClientHello handshake message does not parse: {e}")
            }),
        },
        Some(b) if b & 0x80 != 0 => match wire::sslv2::read_record(bytes) {
            Ok(Some((body, _))) => ssl2_body(body),
            _ => bail!("the bytes are not a complete SSL 2.0 record"),
        },
        Some(b) => bail!(
            "not a ClientHello: the first byte is 0x{b:02x}; expected 0x16 (a TLS record) or 0x01 (a handshake message), as hex or raw bytes"
        ),
        None => bail!("the file is empty"),
    }
}

/// The first handshake message of a run of TLS records, which must be a ClientHello.
fn hello_from_records(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut records = RecordReader::new();
    records
        .push(bytes)
        .map_err(|e| anyhow::anyhow!("not TLS records: {e}"))?;
    let mut messages = HandshakeReassembler::new();
    loop {
        match records.next_record() {
            Ok(Some(r)) if r.content_type == ContentType::Handshake => {
                messages
                    .push(&r.payload)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if let Some(m) = messages.next_message() {
                    if m.typ != HandshakeType::ClientHello {
                        bail!("the first handshake message is not a ClientHello");
                    }
                    let mut out = Vec::with_capacity(m.body.len() + 4);
                    m.encode(&mut out);
                    return Ok(out);
                }
            }
            Ok(Some(_)) => bail!("a record before the ClientHello is not a handshake record"),
            Ok(None) => bail!("the records end before the ClientHello is complete"),
            Err(e) => bail!("not TLS records: {e}"),
        }
    }
}

/// What a client offers, in one line: `TLS 1.3, TLS 1.2; 31 suites; groups x25519, secp256r1`.
pub fn describe_profile(profile: &ClientProfile) -> String {
    let versions: Vec<String> = profile
        .versions
        .iter()
        .map(|v| v.display_name().to_string())
        .collect();
    let groups: Vec<String> = profile.groups.iter().map(|g| g.name()).collect();
    let suites = profile
        .cipher_suites
        .iter()
        .filter(|s| !s.is_scsv())
        .count();
    clean(&format!(
        "{}; {suites} suites; groups {}",
        if versions.is_empty() {
            "no version".to_string()
        } else {
            versions.join(", ")
        },
        if groups.is_empty() {
            "none".to_string()
        } else {
            groups.join(", ")
        }
    ))
}

/// The answer for people: the negotiated parameters, or the code, the
/// sentence, the missing overlap and the fix. Every line starts with `indent`.
pub fn explain(c: &Compatibility, indent: &str, style: Style) -> String {
    let mut out = String::new();
    if c.is_ok() {
        let mut what: Vec<String> = [&c.version, &c.cipher_suite, &c.group]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if let Some(v) = what.first_mut() {
            if let Some(p) = wire::registry::ProtocolVersion::from_name(v) {
                *v = p.display_name().to_string();
            }
        }
        let _ = writeln!(
            out,
            "{indent}{} the client would connect to {}: {}",
            style.green("✔"),
            clean(&c.server),
            what.join(", ")
        );
        return out;
    }
    let code = c.code.map(|c| c.as_str()).unwrap_or("failed");
    let _ = writeln!(
        out,
        "{indent}{} the client would not connect to {}: {}",
        style.red("✘"),
        clean(&c.server),
        style.bold(code)
    );
    let _ = writeln!(out, "{indent}  {}", clean(&c.summary));
    if let Some(m) = &c.missing {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                clean(&v.join(", "))
            }
        };
        let _ = writeln!(
            out,
            "{indent}  {} ({})",
            style.dim("missing overlap"),
            clean(&m.what)
        );
        let _ = writeln!(out, "{indent}    client offers  {}", list(&m.client));
        let _ = writeln!(out, "{indent}    server accepts {}", list(&m.server));
    }
    if !c.fix.is_empty() {
        let _ = writeln!(out, "{indent}  {}", style.dim("fix"));
        for line in &c.fix {
            let _ = writeln!(out, "{indent}    {}", clean(line));
        }
    }
    out
}

/// `compare --json`: the [`Compatibility`] with the schema version and the client.
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    pub schema_version: u32,
    /// The profile name, or where the captured hello came from.
    pub client: String,
    #[serde(flatten)]
    pub result: Compatibility,
}

/// `compare`'s terminal report.
pub fn terminal(
    client: &str,
    profile: &ClientProfile,
    server: &Server,
    c: &Compatibility,
    style: Style,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}: {}",
        style.dim("client"),
        clean(client),
        describe_profile(profile)
    );
    let ip = server
        .report
        .target
        .ip
        .as_ref()
        .map(|ip| format!(" ({ip})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} {}{ip}: accepts {}",
        style.dim("server"),
        clean(&server.name),
        server.versions()
    );
    out.push_str(&explain(c, "", style));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::handshake::ClientHelloBuilder;

    #[test]
    fn every_file_form_reads_the_same_hello() {
        let builder = ClientHelloBuilder::modern(Some("example.com"));
        let message = builder.build_handshake();
        let record = builder.build_record();
        let want = ClientOffer::from_hello(&builder.build());
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        for input in [
            message.clone(),
            record.clone(),
            hex(&message).into_bytes(),
            format!("0x{}\n", hex(&record)).into_bytes(),
            format!("{{\"format\":\"tls\",\"hello\":\"{}\"}}\n", hex(&message)).into_bytes(),
        ] {
            let got = read_client_hello(&input, None).unwrap();
            assert_eq!(got.offer, want);
        }
        assert!(read_client_hello(b"hello", None).is_err());
        assert!(read_client_hello(b"abc", None).is_err());
        assert!(read_client_hello(b"{\"peer\":\"1.2.3.4:5\"}", None).is_err());
        assert!(read_client_hello(&message[..20], None).is_err());
    }
}
