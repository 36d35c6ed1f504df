//! The application step when the server chose HTTP/2 (ALPN `h2`): the
//! smallest client RFC 9113 allows, one `GET /` (or `HEAD /`) on stream 1,
//! read until the stream ends, the connection ends, 4 KiB of body or the
//! deadline. Records the same [`HttpObservation`] as [`crate::http`].
//!
//! HPACK (RFC 7541) is decoded only as far as the step needs: `:status`
//! (static-table index, raw literal, or Huffman-coded digits) and the
//! headers whose values are sent raw. A Huffman-coded value other than a
//! status is skipped, so over HTTP/2 the server's `Date` is often unknown.
//! Bounded: frames up to the default 16 KiB, one header block of 16 KiB.

use std::time::{Duration, Instant};

use model::{ConnectionEnd, HttpObservation};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;
use crate::http::MAX_BODY;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// SETTINGS_MAX_FRAME_SIZE default (RFC 9113 §6.5.2); we never raise it.
const MAX_FRAME: usize = 16_384;
const MAX_HEADER_BLOCK: usize = 16 * 1024;

const DATA: u8 = 0;
const HEADERS: u8 = 1;
const RST_STREAM: u8 = 3;
const SETTINGS: u8 = 4;
const GOAWAY: u8 = 7;
const CONTINUATION: u8 = 9;

const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

/// One frame header plus payload.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK integer with an `prefix`-bit prefix (RFC 7541 §5.1); `first`
/// holds the pattern bits above the prefix.
fn encode_int(out: &mut Vec<u8>, first: u8, prefix: u8, value: usize) {
    let max = (1usize << prefix) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    let mut rest = value - max;
    while rest >= 128 {
        out.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    out.push(rest as u8);
}

/// The request's header block: `:method`, `:scheme https`, `:path /` from
/// the static table, `:authority` as a literal without indexing.
fn request_block(method: &str, authority: &str) -> Vec<u8> {
    let mut block = Vec::new();
    if method == "GET" {
        block.push(0x82);
    } else {
        encode_int(&mut block, 0x00, 4, 2);
        encode_int(&mut block, 0x00, 7, method.len());
        block.extend_from_slice(method.as_bytes());
    }
    block.push(0x87); // :scheme https
    block.push(0x84); // :path /
    encode_int(&mut block, 0x00, 4, 1); // :authority, literal value
    encode_int(&mut block, 0x00, 7, authority.len());
    block.extend_from_slice(authority.as_bytes());
    block
}

/// Sends the preface, SETTINGS and the request; reads the answer. Never
/// fails: what went wrong is in the observation.
pub(crate) async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    method: &str,
    timeout: Duration,
) -> HttpObservation {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let cap_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    let mut out = PREFACE.to_vec();
    out.extend(frame(SETTINGS, 0, 0, &[]));
    out.extend(frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        &request_block(method, host),
    ));
    let mut answer = Answer::default();
    let write = async {
        stream.write_all(&out).await?;
        stream.flush().await
    };
    let mut end = None;
    let mut error = None;
    let mut first_byte_ms = None;
    match tokio::time::timeout_at(deadline, write).await {
        Err(_) => end = Some(ConnectionEnd::Timeout { after_ms: cap_ms }),
        Ok(Err(e)) => {
            end = Some(
                crate::http::ended(&e, started).unwrap_or(ConnectionEnd::Reset {
                    after_ms: elapsed_ms(started),
                }),
            )
        }
        Ok(Ok(())) => {
            let mut buf = Vec::with_capacity(4096);
            let mut chunk = [0u8; 4096];
            'read: loop {
                // Handle every complete frame in the buffer.
                while let Some((kind, flags, id, payload_len)) = frame_header(&buf) {
                    if payload_len > MAX_FRAME {
                        error = Some(format!(
                            "frame of {payload_len} bytes over the 16 KiB limit"
                        ));
                        break 'read;
                    }
                    if buf.len() < 9 + payload_len {
                        break;
                    }
                    let payload: Vec<u8> = buf[9..9 + payload_len].to_vec();
                    buf.drain(..9 + payload_len);
                    match answer.frame(kind, flags, id, &payload) {
                        Step::More => {}
                        Step::AckSettings => {
                            let ack = frame(SETTINGS, ACK, 0, &[]);
                            let send = async {
                                stream.write_all(&ack).await?;
                                stream.flush().await
                            };
                            let _ = tokio::time::timeout_at(deadline, send).await;
                        }
                        Step::Done => break 'read,
                        Step::Failed(message) => {
                            error = Some(message);
                            break 'read;
                        }
                    }
                }
                match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
                    Err(_) => {
                        end = Some(ConnectionEnd::Timeout { after_ms: cap_ms });
                        break;
                    }
                    Ok(Ok(0)) => {
                        end = Some(ConnectionEnd::CloseNotify {
                            after_ms: elapsed_ms(started),
                        });
                        break;
                    }
                    Ok(Ok(n)) => {
                        first_byte_ms.get_or_insert_with(|| elapsed_ms(started));
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    Ok(Err(e)) => {
                        match crate::http::ended(&e, started) {
                            Ok(how) => end = Some(how),
                            Err(message) => error = Some(message),
                        }
                        break;
                    }
                }
            }
        }
    }
    let mut obs = answer.observation();
    obs.request = Some(format!("{method} / HTTP/2 (:authority {host})"));
    obs.elapsed_ms = Some(first_byte_ms.unwrap_or_else(|| elapsed_ms(started)));
    obs.end = end;
    if obs.status.is_none() {
        obs.error = Some(error.or_else(|| answer.stopped.clone()).unwrap_or_else(
            || match obs.end {
                Some(ConnectionEnd::Timeout { .. }) => {
                    format!("no HTTP/2 answer within {} ms", timeout.as_millis())
                }
                _ => "the connection ended before any HTTP/2 answer".into(),
            },
        ));
    } else if let Some(message) = error {
        obs.error = Some(message);
    }
    obs
}

/// (type, flags, stream id, payload length) of the frame `buf` starts with.
fn frame_header(buf: &[u8]) -> Option<(u8, u8, u32, usize)> {
    let h = buf.get(..9)?;
    let len = (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
    let id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
    Some((h[3], h[4], id, len))
}

enum Step {
    More,
    AckSettings,
    Done,
    Failed(String),
}

/// What stream 1 has delivered so far.
#[derive(Default)]
struct Answer {
    block: Vec<u8>,
    headers_done: bool,
    fields: Vec<(String, Option<String>)>,
    body: Vec<u8>,
    /// Why the server stopped the stream or connection (GOAWAY, RST_STREAM).
    stopped: Option<String>,
}

impl Answer {
    fn frame(&mut self, kind: u8, flags: u8, id: u32, payload: &[u8]) -> Step {
        match kind {
            SETTINGS if id == 0 && flags & ACK == 0 => Step::AckSettings,
            GOAWAY if payload.len() >= 8 => {
                let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
                self.stopped = Some(format!("the server sent GOAWAY (error code {code})"));
                // Stream 1 may still complete; the server closes afterwards.
                Step::More
            }
            RST_STREAM if id == 1 && payload.len() >= 4 => {
                let code = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
                self.stopped = Some(format!(
                    "the server reset the stream (RST_STREAM error code {code})"
                ));
                Step::Done
            }
            HEADERS | CONTINUATION if id == 1 && !self.headers_done => {
                let Some(fragment) = unpad(kind, flags, payload) else {
                    return Step::Failed("malformed HEADERS frame".into());
                };
                if self.block.len() + fragment.len() > MAX_HEADER_BLOCK {
                    return Step::Failed("header block over 16 KiB".into());
                }
                self.block.extend_from_slice(fragment);
                if flags & END_HEADERS != 0 {
                    self.headers_done = true;
                    self.fields = decode_block(&self.block);
                    // An informational (1xx) answer: the real one follows.
                    if self.status().is_some_and(|s| s < 200) {
                        self.headers_done = false;
                        self.block.clear();
                        self.fields.clear();
                        return Step::More;
                    }
                }
                if flags & END_STREAM != 0 {
                    Step::Done
                } else {
                    Step::More
                }
            }
            DATA if id == 1 => {
                let Some(data) = unpad(kind, flags, payload) else {
                    return Step::Failed("malformed DATA frame".into());
                };
                let room = MAX_BODY.saturating_sub(self.body.len());
                self.body.extend_from_slice(&data[..data.len().min(room)]);
                if flags & END_STREAM != 0 || self.body.len() >= MAX_BODY {
                    Step::Done
                } else {
                    Step::More
                }
            }
            _ => Step::More,
        }
    }

    fn status(&self) -> Option<u16> {
        self.fields
            .iter()
            .find(|(n, _)| n == ":status")
            .and_then(|(_, v)| v.as_deref())
            .and_then(|v| v.parse().ok())
    }

    fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
            .map(|v| v.chars().filter(|c| !c.is_control()).take(512).collect())
    }

    fn observation(&self) -> HttpObservation {
        let status = self.status();
        let body = crate::http::clean_body(&self.body);
        HttpObservation {
            status_line: status.map(|s| format!("HTTP/2 {s}")),
            status,
            date: self.field("date"),
            server: self.field("server"),
            strict_transport_security: self.field("strict-transport-security"),
            content_security_policy: self.field("content-security-policy"),
            x_frame_options: self.field("x-frame-options"),
            x_content_type_options: self.field("x-content-type-options"),
            referrer_policy: self.field("referrer-policy"),
            permissions_policy: self.field("permissions-policy"),
            body: (!body.is_empty()).then_some(body),
            ..Default::default()
        }
    }
}

/// The fragment of a HEADERS/CONTINUATION or DATA payload without padding
/// and priority fields.
fn unpad(kind: u8, flags: u8, payload: &[u8]) -> Option<&[u8]> {
    let mut p = payload;
    let mut pad = 0usize;
    if kind != CONTINUATION && flags & PADDED != 0 {
        pad = usize::from(*p.first()?);
        p = &p[1..];
    }
    if kind == HEADERS && flags & PRIORITY != 0 {
        p = p.get(5..)?;
    }
    p.get(..p.len().checked_sub(pad)?)
}

/// RFC 7541 Appendix A: the static table's names (index 1..=61) and the
/// values of those that have one.
const STATIC: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// An HPACK integer (RFC 7541 §5.1) at the start of `p`; bounded.
fn decode_int(p: &[u8], prefix: u8) -> Option<(usize, usize)> {
    let max = (1usize << prefix) - 1;
    let first = usize::from(*p.first()?) & max;
    if first < max {
        return Some((first, 1));
    }
    let mut value = max;
    for (i, b) in p.iter().enumerate().skip(1).take(4) {
        value += usize::from(b & 0x7f) << (7 * (i - 1));
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// A string literal (RFC 7541 §5.2): raw bytes as text, Huffman-coded ones
/// only when they are digits (a status); `None` for other Huffman text.
fn decode_string(p: &[u8]) -> Option<(Option<String>, usize)> {
    let huffman = *p.first()? & 0x80 != 0;
    let (len, used) = decode_int(p, 7)?;
    let bytes = p.get(used..used.checked_add(len)?)?;
    let text = if huffman {
        huffman_digits(bytes)
    } else {
        Some(String::from_utf8_lossy(bytes).into_owned())
    };
    Some((text, used + len))
}

/// Decodes a Huffman string made only of the digits 0-9 (RFC 7541
/// Appendix B: `0`-`2` are the 5-bit codes 0-2, `3`-`9` the 6-bit codes
/// 0x19-0x1f); `None` for anything else.
fn huffman_digits(bytes: &[u8]) -> Option<String> {
    let bits: Vec<u8> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    let mut out = String::new();
    let mut at = 0;
    while at < bits.len() {
        let rest = &bits[at..];
        // Padding: fewer than 8 one-bits (the EOS prefix).
        if rest.len() < 8 && rest.iter().all(|&b| b == 1) {
            return Some(out);
        }
        let code = |n: usize| -> Option<u8> {
            rest.get(..n)
                .map(|b| b.iter().fold(0u8, |acc, &x| (acc << 1) | x))
        };
        if let c @ 0..=2 = code(5)? {
            out.push(char::from(b'0' + c));
            at += 5;
            continue;
        }
        match code(6)? {
            c @ 0x19..=0x1f => {
                out.push(char::from(b'3' + (c - 0x19)));
                at += 6;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The header fields of one block, in order; a value that could not be
/// decoded is `None`. Stops at the first malformed representation.
pub(crate) fn decode_block(block: &[u8]) -> Vec<(String, Option<String>)> {
    let mut dynamic: Vec<(String, Option<String>)> = Vec::new();
    let mut fields = Vec::new();
    let mut p = block;
    let lookup = |dynamic: &Vec<(String, Option<String>)>, index: usize| {
        if (1..=61).contains(&index) {
            let (name, value) = STATIC[index - 1];
            Some((name.to_string(), Some(value.to_string())))
        } else {
            dynamic.get(index.checked_sub(62)?).cloned()
        }
    };
    while let Some(&b) = p.first() {
        if b & 0x80 != 0 {
            // Indexed field.
            let Some((index, used)) = decode_int(p, 7) else {
                break;
            };
            let Some(field) = lookup(&dynamic, index) else {
                break;
            };
            fields.push(field);
            p = &p[used..];
        } else if b & 0xe0 == 0x20 {
            // Dynamic table size update.
            let Some((_, used)) = decode_int(p, 5) else {
                break;
            };
            p = &p[used..];
        } else {
            // Literal: with incremental indexing (6-bit prefix), or
            // without / never indexed (4-bit prefix).
            let indexing = b & 0xc0 == 0x40;
            let prefix = if indexing { 6 } else { 4 };
            let Some((index, used)) = decode_int(p, prefix) else {
                break;
            };
            p = &p[used..];
            let name = if index == 0 {
                let Some((name, used)) = decode_string(p) else {
                    break;
                };
                p = &p[used..];
                name.unwrap_or_default()
            } else {
                let Some((name, _)) = lookup(&dynamic, index) else {
                    break;
                };
                name
            };
            let Some((value, used)) = decode_string(p) else {
                break;
            };
            p = &p[used..];
            let field = (name.to_ascii_lowercase(), value);
            if indexing {
                dynamic.insert(0, field.clone());
                dynamic.truncate(64);
            }
            fields.push(field);
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip() {
        for value in [0usize, 14, 15, 16, 127, 1337, 70_000] {
            let mut out = Vec::new();
            encode_int(&mut out, 0, 4, value);
            assert_eq!(decode_int(&out, 4), Some((value, out.len())), "{value}");
        }
        // RFC 7541 C.1.2: 1337 with a 5-bit prefix.
        assert_eq!(decode_int(&[0x1f, 0x9a, 0x0a], 5), Some((1337, 3)));
        assert_eq!(decode_int(&[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff], 5), None);
    }

    #[test]
    fn the_request_block_decodes_to_the_request() {
        let fields = decode_block(&request_block("GET", "localhost:8443"));
        let text: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_deref().unwrap_or("?")))
            .collect();
        assert_eq!(
            text,
            [
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                (":authority", "localhost:8443"),
            ]
        );
        let head = decode_block(&request_block("HEAD", "x"));
        assert_eq!(head[0], (":method".to_string(), Some("HEAD".to_string())));
    }

    #[test]
    fn statuses_indexed_raw_and_huffman() {
        // Indexed :status 400 (static index 12).
        assert_eq!(decode_block(&[0x8c])[0].1.as_deref(), Some("400"));
        // nginx: literal with indexing, name :status (8), raw "421".
        let fields = decode_block(&[0x48, 0x03, b'4', b'2', b'1', 0xbe]);
        assert_eq!(fields[0].1.as_deref(), Some("421"));
        // The dynamic entry it added is index 62.
        assert_eq!(fields[1].1.as_deref(), Some("421"));
        // RFC 7541 C.6.1: Huffman "302" is 0x64 0x02.
        assert_eq!(huffman_digits(&[0x64, 0x02]).as_deref(), Some("302"));
        // Not digits: not decoded.
        assert_eq!(huffman_digits(&[0xa8, 0xeb]), None);
    }

    #[test]
    fn an_answer_with_a_body() {
        let mut answer = Answer::default();
        assert!(matches!(
            answer.frame(SETTINGS, 0, 0, &[]),
            Step::AckSettings
        ));
        // :status 400 (indexed), server: nginx (literal without indexing, name 54).
        let mut block = vec![0x8c];
        encode_int(&mut block, 0x00, 4, 54);
        block.push(5);
        block.extend_from_slice(b"nginx");
        assert!(matches!(
            answer.frame(HEADERS, END_HEADERS, 1, &block),
            Step::More
        ));
        // Padded DATA: pad length 2, "No required SSL certificate was sent", 2 padding bytes.
        let mut data = vec![2];
        data.extend_from_slice(b"No required SSL certificate was sent");
        data.extend_from_slice(&[0, 0]);
        assert!(matches!(
            answer.frame(DATA, END_STREAM | PADDED, 1, &data),
            Step::Done
        ));
        let obs = answer.observation();
        assert_eq!(obs.status, Some(400));
        assert_eq!(obs.status_line.as_deref(), Some("HTTP/2 400"));
        assert_eq!(obs.server.as_deref(), Some("nginx"));
        assert_eq!(
            obs.body.as_deref(),
            Some("No required SSL certificate was sent")
        );
    }

    #[test]
    fn hostile_frames_are_refused_not_trusted() {
        let mut answer = Answer::default();
        // Padding longer than the payload.
        assert!(matches!(
            answer.frame(DATA, PADDED, 1, &[9, 1, 2]),
            Step::Failed(_)
        ));
        // A header block that keeps growing without END_HEADERS.
        let big = vec![0u8; MAX_FRAME];
        assert!(matches!(answer.frame(HEADERS, 0, 1, &big), Step::More));
        assert!(matches!(
            answer.frame(CONTINUATION, 0, 1, &big),
            Step::Failed(_)
        ));
        // Garbage HPACK stops decoding instead of panicking.
        let _ = decode_block(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        let _ = decode_block(&[0x40, 0x7f]);
        assert!(answer.stopped.is_none());
        assert!(matches!(
            answer.frame(RST_STREAM, 0, 1, &[0, 0, 0, 2]),
            Step::Done
        ));
        assert!(answer.stopped.unwrap().contains("RST_STREAM error code 2"));
    }
}
