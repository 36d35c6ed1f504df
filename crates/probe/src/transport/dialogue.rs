//! The bounded conversation under every transport dialogue: send a command,
//! read the reply line by line (or a fixed number of bytes), record both
//! sides as printable text, and end with a [`DialogueOutcome`] when the
//! server closes, resets, alerts, stays silent past the deadline or talks
//! past the bounds.
//!
//! Reads never go past what the dialogue needs: after the server's go-ahead
//! the next bytes on the stream are TLS, and a read that swallowed them
//! would break the handshake. Servers do not send anything after their
//! go-ahead until the ClientHello, so reading whole chunks is safe; bytes
//! that do arrive early are reported ([`Dialogue::leftover`]).

use std::time::{Duration, Instant};

use model::{ConnectionEnd, DialogueLine, DialogueOutcome, Sender, Stage, StageObservation};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::elapsed_ms;

/// The longest reply line kept; longer lines are a protocol violation.
const MAX_LINE: usize = 8 * 1024;
/// The most bytes one dialogue reads in all.
const MAX_TOTAL: usize = 64 * 1024;
/// The most lines kept in the transcript (capability lists can be long).
const MAX_RECORDED_LINES: usize = 48;
/// The most characters of one recorded line.
const MAX_RECORDED_CHARS: usize = 300;

/// One dialogue on a stream, recording as it goes.
pub(crate) struct Dialogue<'a, S> {
    stream: &'a mut S,
    stage: Stage,
    lines: Vec<DialogueLine>,
    omitted: usize,
    buf: Vec<u8>,
    total: usize,
    deadline: tokio::time::Instant,
    started: Instant,
    timeout: Duration,
    /// A text protocol: binary first bytes end the dialogue at once.
    text: bool,
    /// A command line to append to the upgrade command in the same write
    /// (the STARTTLS injection probe; see [`Dialogue::send_upgrade`]).
    inject: Option<String>,
}

/// A dialogue step that did not get what it needed: how the dialogue ends.
pub(crate) type Stop = DialogueOutcome;

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Dialogue<'a, S> {
    /// A dialogue with one deadline (`timeout` from now) for all its steps.
    pub(crate) fn new(stream: &'a mut S, stage: Stage, timeout: Duration) -> Self {
        Self {
            stream,
            stage,
            lines: Vec::new(),
            omitted: 0,
            buf: Vec::new(),
            total: 0,
            deadline: tokio::time::Instant::now() + timeout,
            started: Instant::now(),
            timeout,
            text: true,
            inject: None,
        }
    }

    /// A dialogue in a binary protocol (PostgreSQL, MySQL, LDAP, SOCKS).
    pub(crate) fn binary(stream: &'a mut S, stage: Stage, timeout: Duration) -> Self {
        Self {
            text: false,
            ..Self::new(stream, stage, timeout)
        }
    }

    /// Appends `line` to the upgrade command, in the same write.
    pub(crate) fn injecting(mut self, line: Option<&str>) -> Self {
        self.inject = line.map(str::to_string);
        self
    }

    /// Sends the upgrade command `command` (a line, without CR LF), followed
    /// in the same write by the injected line when there is one; each is
    /// recorded as a line of its own.
    pub(crate) async fn send_upgrade(&mut self, command: &str) -> Result<(), Stop> {
        let mut bytes = format!("{command}\r\n");
        self.record(Sender::Client, command);
        if let Some(line) = self.inject.clone() {
            bytes.push_str(&line);
            bytes.push_str("\r\n");
            self.record(Sender::Client, &line);
        }
        self.write(bytes.as_bytes()).await
    }

    /// Sends `bytes`, recorded as `shown` (credentials never are).
    pub(crate) async fn send(&mut self, bytes: &[u8], shown: &str) -> Result<(), Stop> {
        self.record(Sender::Client, shown);
        self.write(bytes).await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout_at(self.deadline, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.ended(&e, "the server to accept the command")),
            Err(_) => Err(self.silent("the server to accept the command")),
        }
    }

    /// Reads one line (without its CR LF), recorded.
    pub(crate) async fn line(&mut self, waiting_for: &str) -> Result<String, Stop> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.buf.drain(..=end).collect();
                let text = printable(&raw);
                self.record(Sender::Server, &text);
                return Ok(text);
            }
            if self.buf.len() > MAX_LINE {
                let text = printable(&self.buf);
                return Err(DialogueOutcome::Unexpected {
                    reply: format!("a line longer than {MAX_LINE} bytes: {}", clip(&text)),
                    first_bytes: first_bytes(&self.buf),
                });
            }
            self.fill(waiting_for).await?;
        }
    }

    /// Reads exactly `n` bytes (binary protocols).
    pub(crate) async fn exact(&mut self, n: usize, waiting_for: &str) -> Result<Vec<u8>, Stop> {
        while self.buf.len() < n {
            self.fill(waiting_for).await?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Reads until `done` says the bytes so far are complete (XMPP's
    /// stream features, which are not line-based).
    pub(crate) async fn until(
        &mut self,
        waiting_for: &str,
        done: impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<u8>, Stop> {
        while !done(&self.buf) {
            self.fill(waiting_for).await?;
        }
        Ok(std::mem::take(&mut self.buf))
    }

    /// Bytes received (unread so far) before the first complete line; what
    /// an unexpected reply looks like.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Records a server message decoded from a binary reply.
    pub(crate) fn note_server(&mut self, text: &str) {
        self.record(Sender::Server, text);
    }

    /// Starts with bytes an earlier stage read past its end (a proxy's
    /// answer and the server's greeting can arrive in one read).
    pub(crate) fn carrying(mut self, bytes: Vec<u8>) -> Self {
        self.total += bytes.len();
        self.buf = bytes;
        self
    }

    /// Ends the dialogue, handing back the bytes read past its end, which
    /// belong to the next stage.
    pub(crate) fn finish_carrying(self, outcome: DialogueOutcome) -> (StageObservation, Vec<u8>) {
        let mut this = self;
        let rest = std::mem::take(&mut this.buf);
        (this.finish(outcome), rest)
    }

    /// Ends the dialogue.
    pub(crate) fn finish(mut self, outcome: DialogueOutcome) -> StageObservation {
        if self.omitted > 0 {
            let note = format!("({} more lines not kept)", self.omitted);
            self.lines.push(DialogueLine {
                from: Sender::Server,
                text: note,
            });
        }
        if !self.buf.is_empty() && matches!(outcome, DialogueOutcome::Ready { .. }) {
            self.lines.push(DialogueLine {
                from: Sender::Server,
                text: format!("({} bytes sent before TLS started)", self.buf.len()),
            });
        }
        StageObservation {
            stage: self.stage,
            lines: self.lines,
            outcome,
            elapsed_ms: elapsed_ms(self.started),
        }
    }

    /// The reply so far as an unexpected answer.
    pub(crate) fn unexpected(&self, reply: &str) -> Stop {
        DialogueOutcome::Unexpected {
            reply: clip(reply),
            first_bytes: first_bytes(reply.as_bytes()),
        }
    }

    async fn fill(&mut self, waiting_for: &str) -> Result<(), Stop> {
        if self.total >= MAX_TOTAL {
            let text = printable(&self.buf);
            return Err(DialogueOutcome::Unexpected {
                reply: format!(
                    "more than {MAX_TOTAL} bytes without the expected reply: {}",
                    clip(&text)
                ),
                first_bytes: first_bytes(&self.buf),
            });
        }
        let mut chunk = [0u8; 4096];
        let room = (MAX_TOTAL - self.total).min(chunk.len());
        match tokio::time::timeout_at(self.deadline, self.stream.read(&mut chunk[..room])).await {
            Err(_) => Err(self.silent(waiting_for)),
            Ok(Ok(0)) => Err(self.end_with(
                waiting_for,
                ConnectionEnd::Closed {
                    after_ms: elapsed_ms(self.started),
                },
            )),
            Ok(Ok(n)) => {
                // The very first bytes are TLS or another protocol: no line
                // will come; say what arrived instead of waiting for more.
                if self.text && self.total == 0 && looks_binary(&chunk[..n]) {
                    let reply = describe_binary(&chunk[..n]);
                    return Err(DialogueOutcome::Unexpected {
                        reply,
                        first_bytes: first_bytes(&chunk[..n]),
                    });
                }
                self.total += n;
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Ok(Err(e)) => Err(self.ended(&e, waiting_for)),
        }
    }

    fn silent(&self, waiting_for: &str) -> Stop {
        let after_ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        self.end_with(waiting_for, ConnectionEnd::Timeout { after_ms })
    }

    fn ended(&self, e: &std::io::Error, waiting_for: &str) -> Stop {
        let end = crate::http::ended(e, self.started).unwrap_or(ConnectionEnd::Reset {
            after_ms: elapsed_ms(self.started),
        });
        self.end_with(waiting_for, end)
    }

    fn end_with(&self, waiting_for: &str, end: ConnectionEnd) -> Stop {
        DialogueOutcome::Ended {
            waiting_for: waiting_for.to_string(),
            end,
        }
    }

    fn record(&mut self, from: Sender, text: &str) {
        if self.lines.len() >= MAX_RECORDED_LINES {
            self.omitted += 1;
            return;
        }
        self.lines.push(DialogueLine {
            from,
            text: clip(text),
        });
    }
}

/// Text for the transcript: UTF-8 (lossy) without the line end, control
/// characters shown as `\xNN`.
pub(crate) fn printable(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\r', '\n']);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", u32::from(c) & 0xff));
        } else {
            out.push(c);
        }
    }
    out
}

fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_RECORDED_CHARS {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(MAX_RECORDED_CHARS).collect();
    clipped.push('…');
    clipped
}

fn first_bytes(bytes: &[u8]) -> model::Bytes {
    bytes[..bytes.len().min(64)].to_vec().into()
}

/// A first chunk that cannot start a text protocol's reply: a TLS record
/// (the port speaks TLS from the first byte) or other binary data.
fn looks_binary(chunk: &[u8]) -> bool {
    match chunk.first() {
        Some(0x14..=0x17) if chunk.len() >= 3 && chunk[1] == 3 => true,
        Some(&b) => b != b'\t' && b != b'\r' && b != b'\n' && (b < 0x20 || b == 0x7f),
        None => false,
    }
}

fn describe_binary(chunk: &[u8]) -> String {
    let hex: Vec<String> = chunk.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let kind = match chunk {
        [0x15, 3, ..] => "a TLS alert record",
        [0x16, 3, ..] => "a TLS handshake record",
        [0x14..=0x17, 3, ..] => "a TLS record",
        _ => "binary data",
    };
    format!("{kind} instead of a greeting ({})", hex.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_lines_trimmed() {
        assert_eq!(printable(b"220 ok\r\n"), "220 ok");
        assert_eq!(printable(b"a\x1b[31mb\r\n"), "a\\x1b[31mb");
    }

    #[test]
    fn tls_and_binary_first_bytes_are_told_apart_from_text() {
        assert!(looks_binary(&[0x15, 3, 1, 0, 2, 2, 40]));
        assert!(looks_binary(&[0x16, 3, 3, 0, 0x50]));
        assert!(looks_binary(&[0, 0, 0, 8]));
        assert!(!looks_binary(b"220 mail.example ESMTP\r\n"));
        assert!(!looks_binary(b"* OK ready\r\n"));
        assert!(describe_binary(&[0x15, 3, 1, 0, 2, 2, 40]).starts_with("a TLS alert record"));
    }

    #[tokio::test]
    async fn a_silent_server_ends_the_dialogue_at_the_deadline() {
        let (mut client, _server) = tokio::io::duplex(64);
        let mut dialogue = Dialogue::new(&mut client, Stage::StartTls, Duration::from_millis(20));
        let stop = dialogue.line("the greeting").await.unwrap_err();
        assert!(matches!(
            stop,
            DialogueOutcome::Ended {
                end: ConnectionEnd::Timeout { .. },
                ..
            }
        ));
    }

    #[tokio::test]
    async fn endless_lines_are_cut_at_the_bound() {
        let (mut client, mut server) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            let junk = vec![b'a'; 20_000];
            let _ = server.write_all(&junk).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
        let mut dialogue = Dialogue::new(&mut client, Stage::StartTls, Duration::from_secs(2));
        let stop = dialogue.line("the greeting").await.unwrap_err();
        assert!(
            matches!(stop, DialogueOutcome::Unexpected { .. }),
            "{stop:?}"
        );
    }
}
