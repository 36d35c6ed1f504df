//! Recognising the client's first flight before any TLS library sees it:
//! a TLS ClientHello (possibly spread over several records), an SSL 2.0 /
//! SSLv2-compatible CLIENT-HELLO, or something that is not TLS at all.
//!
//! Sans-IO: the caller pushes what it read and gets a verdict or "need more".
//! Every buffer is bounded by `max_len`; nothing is allocated by a length
//! field before the bytes are there, and nothing here panics on any input.

use wire::codec::Reader;
use wire::handshake::{ClientHello, HandshakeType};
use wire::record::{ContentType, HandshakeReassembler, RecordReader};
use wire::registry::ProtocolVersion;
use wire::sslv2::{Ssl2ClientHello, MSG_CLIENT_HELLO};

/// What the first bytes turned out to be.
#[derive(Debug)]
pub(crate) enum Sniffed {
    /// Not enough bytes yet.
    NeedMore,
    /// A complete TLS ClientHello.
    Tls {
        hello: Box<ClientHello>,
        /// The handshake message (header and body) as sent.
        message: Vec<u8>,
        record_version: ProtocolVersion,
    },
    /// A complete SSL 2.0-format CLIENT-HELLO.
    Ssl2 {
        hello: Ssl2ClientHello,
        /// The record body (the message) as sent.
        body: Vec<u8>,
    },
    /// The first bytes cannot start a TLS or SSL hello.
    NotTls,
    /// TLS framing, but not a well-formed ClientHello (or too large).
    Malformed(String),
}

enum Mode {
    Undecided,
    Tls {
        records: RecordReader,
        messages: HandshakeReassembler,
        record_version: Option<ProtocolVersion>,
    },
    Ssl2,
    Done,
}

/// Incremental sniffer of one connection's first flight.
pub(crate) struct HelloSniffer {
    /// Everything received, for replay into the TLS library.
    received: Vec<u8>,
    max_len: usize,
    mode: Mode,
}

impl HelloSniffer {
    /// A sniffer accepting a hello of at most `max_len` bytes in total.
    pub(crate) fn new(max_len: usize) -> Self {
        Self {
            received: Vec::new(),
            max_len,
            mode: Mode::Undecided,
        }
    }

    /// Every byte pushed so far.
    #[cfg(test)]
    pub(crate) fn received(&self) -> &[u8] {
        &self.received
    }

    /// Takes every byte pushed so far.
    pub(crate) fn into_received(self) -> Vec<u8> {
        self.received
    }

    /// Adds bytes read from the client and says what they are so far.
    /// After a verdict other than [`Sniffed::NeedMore`], further pushes
    /// return `Malformed`.
    pub(crate) fn push(&mut self, data: &[u8]) -> Sniffed {
        if matches!(self.mode, Mode::Done) {
            return Sniffed::Malformed("the sniffer already decided".into());
        }
        if self.received.len() + data.len() > self.max_len {
            self.mode = Mode::Done;
            return Sniffed::Malformed(format!(
                "the client's first flight exceeds {} bytes without completing a ClientHello",
                self.max_len
            ));
        }
        self.received.extend_from_slice(data);
        let verdict = self.step(data);
        if !matches!(verdict, Sniffed::NeedMore) {
            self.mode = Mode::Done;
        }
        verdict
    }

    fn step(&mut self, data: &[u8]) -> Sniffed {
        if matches!(self.mode, Mode::Undecided) {
            match classify(&self.received) {
                Some(Kind::Tls) => {
                    let mut records = RecordReader::new().with_max_buffered(self.max_len);
                    let messages = HandshakeReassembler::with_max_message_len(self.max_len);
                    // The bytes pushed so far (this push included) go in once.
                    if let Err(e) = records.push(&self.received) {
                        return Sniffed::Malformed(e.to_string());
                    }
                    self.mode = Mode::Tls {
                        records,
                        messages,
                        record_version: None,
                    };
                    return self.tls_step();
                }
                Some(Kind::Ssl2) => self.mode = Mode::Ssl2,
                Some(Kind::NotTls) => return Sniffed::NotTls,
                None => return Sniffed::NeedMore,
            }
        } else if let Mode::Tls { records, .. } = &mut self.mode {
            if let Err(e) = records.push(data) {
                return Sniffed::Malformed(e.to_string());
            }
            return self.tls_step();
        }
        // SSL 2.0: one record with a 2-byte header holds the whole hello.
        match wire::sslv2::read_record(&self.received) {
            Ok(None) => Sniffed::NeedMore,
            Ok(Some((body, _))) => {
                let mut r = Reader::new(body);
                match Ssl2ClientHello::read(&mut r) {
                    Ok(hello) => Sniffed::Ssl2 {
                        hello,
                        body: body.to_vec(),
                    },
                    Err(e) => Sniffed::Malformed(format!("SSL 2.0 CLIENT-HELLO: {e}")),
                }
            }
            Err(e) => Sniffed::Malformed(format!("SSL 2.0 record: {e}")),
        }
    }

    fn tls_step(&mut self) -> Sniffed {
        let Mode::Tls {
            records,
            messages,
            record_version,
        } = &mut self.mode
        else {
            return Sniffed::NeedMore;
        };
        loop {
            let record = match records.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => return Sniffed::NeedMore,
                Err(e) => return Sniffed::Malformed(e.to_string()),
            };
            if record.content_type != ContentType::Handshake {
                return Sniffed::Malformed(format!(
                    "a record of content type {} arrived before the ClientHello was complete",
                    record.content_type.to_u8()
                ));
            }
            record_version.get_or_insert(record.version);
            if let Err(e) = messages.push(&record.payload) {
                return Sniffed::Malformed(e.to_string());
            }
            if let Some(message) = messages.next_message() {
                if message.typ != HandshakeType::ClientHello {
                    return Sniffed::Malformed(format!(
                        "the first handshake message is {:?}, not a ClientHello",
                        message.typ
                    ));
                }
                let bytes = wire::handshake::encode_handshake(message.typ, &message.body);
                return match ClientHello::read_handshake(&bytes) {
                    Ok(hello) => Sniffed::Tls {
                        hello: Box::new(hello),
                        message: bytes,
                        record_version: record_version.unwrap_or(record.version),
                    },
                    Err(e) => Sniffed::Malformed(format!("ClientHello: {e}")),
                };
            }
        }
    }
}

enum Kind {
    Tls,
    Ssl2,
    NotTls,
}

/// Decides from the first bytes (`None`: too few to tell).
///
/// TLS: content type handshake (22) and a record version 3.x (RFC 8446 §5.1
/// lets `legacy_record_version` be 0x0301 or 0x0303; SSL 3.0 clients send
/// 0x0300). SSL 2.0: a 2-byte header (high bit set) then MSG-CLIENT-HELLO and
/// a version 0.2 or 3.x (RFC 5246 §E.2).
fn classify(bytes: &[u8]) -> Option<Kind> {
    let first = *bytes.first()?;
    if first == ContentType::Handshake.to_u8() {
        let major = *bytes.get(1)?;
        return Some(if major == 3 { Kind::Tls } else { Kind::NotTls });
    }
    if first & 0x80 != 0 {
        if bytes.len() < 4 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([first & 0x7f, bytes[1]]));
        return Some(
            if bytes[2] == MSG_CLIENT_HELLO && matches!(bytes[3], 0 | 3) && len >= 9 {
                Kind::Ssl2
            } else {
                Kind::NotTls
            },
        );
    }
    Some(Kind::NotTls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::handshake::ClientHelloBuilder;

    fn hello_bytes() -> Vec<u8> {
        ClientHelloBuilder::modern(Some("localhost"))
            .build()
            .encode_record(ProtocolVersion::TLS1_0)
    }

    proptest::proptest! {
        /// Whatever a client sends, in whatever pieces: no panic, a verdict
        /// within the bound, and nothing kept beyond it.
        #[test]
        fn any_first_flight_is_judged_within_the_bound(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
            cut in 1usize..64,
        ) {
            let mut sniffer = HelloSniffer::new(1024);
            for piece in bytes.chunks(cut) {
                if !matches!(sniffer.push(piece), Sniffed::NeedMore) {
                    break;
                }
            }
            proptest::prop_assert!(sniffer.received().len() <= 1024);
        }
    }

    #[test]
    fn byte_by_byte_and_fragmented() {
        let bytes = hello_bytes();
        let mut s = HelloSniffer::new(64 * 1024);
        for (i, b) in bytes.iter().enumerate() {
            match s.push(std::slice::from_ref(b)) {
                Sniffed::NeedMore => assert!(i + 1 < bytes.len()),
                Sniffed::Tls { record_version, .. } => {
                    assert_eq!(i + 1, bytes.len());
                    assert_eq!(record_version, ProtocolVersion::TLS1_0);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(s.received(), &bytes[..]);

        // The same message split over two records.
        let message = &bytes[5..];
        let (a, b) = message.split_at(40);
        let mut two =
            wire::record::write_record(ContentType::Handshake, ProtocolVersion::TLS1_2, a);
        two.extend(wire::record::write_record(
            ContentType::Handshake,
            ProtocolVersion::TLS1_2,
            b,
        ));
        let mut s = HelloSniffer::new(64 * 1024);
        assert!(matches!(s.push(&two), Sniffed::Tls { .. }));
    }

    #[test]
    fn hostile_and_foreign_first_bytes() {
        let verdict = |b: &[u8]| HelloSniffer::new(4096).push(b);
        assert!(matches!(verdict(b"GET / HTTP/1.1\r\n"), Sniffed::NotTls));
        assert!(matches!(verdict(b"SSH-2.0-OpenSSH"), Sniffed::NotTls));
        assert!(matches!(verdict(&[0x16]), Sniffed::NeedMore));
        assert!(matches!(verdict(&[0x16, 0x16, 0x16]), Sniffed::NotTls));
        // A record header claiming 65535 bytes.
        assert!(matches!(
            verdict(&[0x16, 3, 1, 0xff, 0xff]),
            Sniffed::Malformed(_)
        ));
        // A handshake message claiming 16 MiB.
        assert!(matches!(
            verdict(&[0x16, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]),
            Sniffed::Malformed(_)
        ));
        // An alert before any hello.
        assert!(matches!(
            verdict(&[0x15, 3, 3, 0, 2, 2, 40]),
            Sniffed::NotTls
        ));
        // A ServerHello instead of a ClientHello.
        assert!(matches!(
            verdict(&[0x16, 3, 3, 0, 4, 2, 0, 0, 0]),
            Sniffed::Malformed(_)
        ));
        // Garbage inside a ClientHello.
        assert!(matches!(
            verdict(&[0x16, 3, 3, 0, 6, 1, 0, 0, 2, 3, 3]),
            Sniffed::Malformed(_)
        ));
        // Too large in total.
        let mut s = HelloSniffer::new(100);
        assert!(matches!(s.push(&[0x16, 3, 3, 0x10, 0]), Sniffed::NeedMore));
        assert!(matches!(s.push(&[0; 200]), Sniffed::Malformed(_)));
    }

    #[test]
    fn ssl2_compatible_hello() {
        let hello = Ssl2ClientHello {
            version: ProtocolVersion::TLS1_0,
            cipher_specs: vec![wire::sslv2::Ssl2CipherSpec(0x2f)],
            session_id: vec![],
            challenge: vec![1; 16],
        };
        let rec = hello.build_record();
        let mut s = HelloSniffer::new(4096);
        assert!(matches!(s.push(&rec[..5]), Sniffed::NeedMore));
        match s.push(&rec[5..]) {
            Sniffed::Ssl2 { hello: got, .. } => assert_eq!(got, hello),
            other => panic!("{other:?}"),
        }
    }
}
