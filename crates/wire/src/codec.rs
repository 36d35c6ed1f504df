//! The byte cursor and the `Codec` trait every wire type implements.
//!
//! `Reader` is a bounds-checked cursor over a borrowed buffer: every read checks
//! the bytes actually present, so a length field from the peer can never make us
//! allocate or index past the input. `Codec` pairs `encode` with `read` so that
//! each wire structure has exactly one encoder and one parser.
//!
//! This module must never panic on any input and never allocate by a length it
//! has not checked against the bytes remaining.

use crate::registry::{
    AlertDescription, CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme,
};

/// Why bytes could not be decoded. `what` names the innermost structure or
/// field that was being read (empty when only a primitive read failed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before `needed` bytes of `what` were present.
    #[error(
        "{}: truncated, needed {needed} bytes but only {available} present",
        name(what)
    )]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    /// A structure was complete but bytes followed it that its length did not cover.
    #[error("{}: {len} unexpected trailing bytes", name(what))]
    TrailingBytes { what: &'static str, len: usize },
    /// A length is outside the range the grammar allows (`<min..max>`).
    #[error("{}: length {len} outside the allowed range {min}..={max}", name(what))]
    BadLength {
        what: &'static str,
        len: usize,
        min: usize,
        max: usize,
    },
    /// A length is not a multiple of the element size of a list.
    #[error(
        "{}: length {len} is not a multiple of the element size {elem}",
        name(what)
    )]
    Misaligned {
        what: &'static str,
        len: usize,
        elem: usize,
    },
    /// A field holds a value the grammar does not allow.
    #[error("{}: invalid value {value}", name(what))]
    InvalidValue { what: &'static str, value: u64 },
}

fn name(what: &str) -> &str {
    if what.is_empty() {
        "data"
    } else {
        what
    }
}

impl DecodeError {
    /// Fills in `what` when the error came from a primitive read that had no name.
    /// The innermost named context wins.
    pub fn within(mut self, context: &'static str) -> Self {
        let what = match &mut self {
            Self::Truncated { what, .. }
            | Self::TrailingBytes { what, .. }
            | Self::BadLength { what, .. }
            | Self::Misaligned { what, .. }
            | Self::InvalidValue { what, .. } => what,
        };
        if what.is_empty() {
            *what = context;
        }
        self
    }

    /// The name of the structure or field that failed (may be empty).
    pub fn what(&self) -> &'static str {
        match self {
            Self::Truncated { what, .. }
            | Self::TrailingBytes { what, .. }
            | Self::BadLength { what, .. }
            | Self::Misaligned { what, .. }
            | Self::InvalidValue { what, .. } => what,
        }
    }
}

/// Adds a context name to a decode result (see [`DecodeError::within`]).
pub trait Context<T> {
    /// Names the structure being read if the error does not name one yet.
    fn context(self, what: &'static str) -> Result<T, DecodeError>;
}

impl<T> Context<T> for Result<T, DecodeError> {
    fn context(self, what: &'static str) -> Result<T, DecodeError> {
        self.map_err(|e| e.within(what))
    }
}

/// A bounds-checked cursor over untrusted bytes.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over all of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Takes exactly `n` bytes, or fails without consuming anything.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let available = self.left();
        if n > available {
            return Err(DecodeError::Truncated {
                what: "",
                needed: n,
                available,
            });
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..self.pos])
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// Reads a big-endian `uint16`.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Reads a big-endian `uint24`.
    pub fn u24(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    /// Reads a big-endian `uint32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a length of `len_bytes` (1, 2, 3 or 4) bytes and returns a reader over
    /// exactly that many following bytes. Fails (consuming nothing useful) when the
    /// length exceeds what is present.
    pub fn sub(&mut self, len_bytes: usize) -> Result<Reader<'a>, DecodeError> {
        let len = self.length(len_bytes)?;
        Ok(Reader::new(self.take(len)?))
    }

    /// Reads a big-endian length field of `len_bytes` bytes (1..=4; anything else
    /// reads as 0 bytes and yields 0).
    pub fn length(&mut self, len_bytes: usize) -> Result<usize, DecodeError> {
        Ok(match len_bytes {
            1 => usize::from(self.u8()?),
            2 => usize::from(self.u16()?),
            3 => self.u24()? as usize,
            4 => self.u32()? as usize,
            _ => 0,
        })
    }

    /// All remaining bytes (consumes them).
    pub fn rest(&mut self) -> &'a [u8] {
        let start = self.pos;
        self.pos = self.buf.len();
        &self.buf[start..]
    }

    /// The remaining bytes without consuming them.
    pub fn peek_rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// True when every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Number of bytes not yet consumed.
    pub fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Number of bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Fails with `TrailingBytes` unless every byte was consumed.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                what,
                len: self.left(),
            })
        }
    }
}

/// A wire type with one encoder and one parser.
pub trait Codec: Sized {
    /// Appends the wire encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from the cursor.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The wire encoding as a new vector.
    fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Parses a value that must fill all of `bytes`.
    fn read_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        r.expect_empty(std::any::type_name::<Self>())?;
        Ok(v)
    }
}

/// Width of a length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenPrefix {
    /// `<..2^8-1>`
    U8,
    /// `<..2^16-1>`
    U16,
    /// `<..2^24-1>`
    U24,
}

impl LenPrefix {
    /// Number of bytes of the prefix.
    pub const fn bytes(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16 => 2,
            Self::U24 => 3,
        }
    }

    /// The largest length the prefix can express.
    pub const fn max(self) -> usize {
        match self {
            Self::U8 => 0xff,
            Self::U16 => 0xffff,
            Self::U24 => 0xff_ffff,
        }
    }
}

/// Writes `value` as a big-endian `uint24` (the top byte of `value` is dropped).
pub fn put_u24(value: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&value.to_be_bytes()[1..]);
}

/// Runs `body` to write the contents of a length-prefixed vector, then fills in
/// the length. Contents longer than the prefix can express are written with
/// the length truncated to the prefix width (the builder lets tests send
/// deliberately broken messages; normal callers never reach that size).
pub fn with_len(prefix: LenPrefix, out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0u8; 3][..prefix.bytes()]);
    body(out);
    let len = (out.len() - at - prefix.bytes()) as u32;
    let be = len.to_be_bytes();
    let n = prefix.bytes();
    out[at..at + n].copy_from_slice(&be[4 - n..]);
}

/// Writes an opaque vector with a length prefix.
pub fn encode_opaque(prefix: LenPrefix, data: &[u8], out: &mut Vec<u8>) {
    with_len(prefix, out, |o| o.extend_from_slice(data));
}

/// Reads an opaque vector with a length prefix (`opaque x<0..2^N-1>`).
pub fn read_opaque(
    prefix: LenPrefix,
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<u8>, DecodeError> {
    let mut sub = r.sub(prefix.bytes()).context(what)?;
    Ok(sub.rest().to_vec())
}

/// Reads an opaque vector whose length must lie in `min..=max`.
pub fn read_opaque_bounded(
    prefix: LenPrefix,
    r: &mut Reader<'_>,
    what: &'static str,
    min: usize,
    max: usize,
) -> Result<Vec<u8>, DecodeError> {
    let v = read_opaque(prefix, r, what)?;
    check_len(what, v.len(), min, max)?;
    Ok(v)
}

/// Fails with `BadLength` unless `min <= len <= max`.
pub fn check_len(
    what: &'static str,
    len: usize,
    min: usize,
    max: usize,
) -> Result<(), DecodeError> {
    if len < min || len > max {
        Err(DecodeError::BadLength {
            what,
            len,
            min,
            max,
        })
    } else {
        Ok(())
    }
}

/// Writes a length-prefixed list of codec items (`T items<..>`).
pub fn encode_list<T: Codec>(prefix: LenPrefix, items: &[T], out: &mut Vec<u8>) {
    with_len(prefix, out, |o| {
        for item in items {
            item.encode(o);
        }
    });
}

/// Reads a length-prefixed list of codec items. The list's bytes are checked
/// against the input before any item is read; every item must be complete.
pub fn read_list<T: Codec>(
    prefix: LenPrefix,
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<T>, DecodeError> {
    let mut sub = r.sub(prefix.bytes()).context(what)?;
    let mut items = Vec::new();
    while !sub.is_empty() {
        items.push(T::read(&mut sub).context(what)?);
    }
    Ok(items)
}

/// Reads a length-prefixed list of fixed-size items; the byte length must be a
/// multiple of `elem` (catches odd-length `uint16` lists).
pub fn read_list_fixed<T: Codec>(
    prefix: LenPrefix,
    elem: usize,
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<T>, DecodeError> {
    let mut sub = r.sub(prefix.bytes()).context(what)?;
    let len = sub.left();
    if elem == 0 || len % elem != 0 {
        return Err(DecodeError::Misaligned { what, len, elem });
    }
    let mut items = Vec::with_capacity(len / elem);
    while !sub.is_empty() {
        items.push(T::read(&mut sub).context(what)?);
    }
    Ok(items)
}

/// Writes a length-prefixed list of opaque vectors, each with its own prefix
/// (`opaque name<..>; name names<..>`).
pub fn encode_opaque_list(
    outer: LenPrefix,
    inner: LenPrefix,
    items: &[Vec<u8>],
    out: &mut Vec<u8>,
) {
    with_len(outer, out, |o| {
        for item in items {
            encode_opaque(inner, item, o);
        }
    });
}

/// Reads a length-prefixed list of length-prefixed opaque vectors.
pub fn read_opaque_list(
    outer: LenPrefix,
    inner: LenPrefix,
    r: &mut Reader<'_>,
    what: &'static str,
) -> Result<Vec<Vec<u8>>, DecodeError> {
    let mut sub = r.sub(outer.bytes()).context(what)?;
    let mut items = Vec::new();
    while !sub.is_empty() {
        items.push(read_opaque(inner, &mut sub, what)?);
    }
    Ok(items)
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u8()
    }
}

impl Codec for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u16()
    }
}

impl Codec for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u32()
    }
}

macro_rules! codec_u16_newtype {
    ($($t:ty => $what:literal),* $(,)?) => {$(
        impl Codec for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0.to_be_bytes());
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                r.u16().context($what).map(Self)
            }
        }
    )*};
}

codec_u16_newtype!(
    CipherSuite => "CipherSuite",
    NamedGroup => "NamedGroup",
    SignatureScheme => "SignatureScheme",
    ExtensionType => "ExtensionType",
    ProtocolVersion => "ProtocolVersion",
);

impl Codec for AlertDescription {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u8().context("AlertDescription").map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_primitives() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 9]);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 2);
        assert_eq!(r.u24().unwrap(), 3);
        assert_eq!(r.u32().unwrap(), 4);
        assert_eq!(r.left(), 1);
        assert!(r.u16().is_err());
        assert_eq!(r.rest(), &[9]);
        assert!(r.is_empty());
    }

    #[test]
    fn sub_checks_length() {
        let mut r = Reader::new(&[0, 5, 1, 2]);
        let e = r.sub(2).context("cipher_suites").unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "cipher_suites",
                needed: 5,
                available: 2
            }
        );
    }

    #[test]
    fn list_round_trip() {
        let suites = vec![CipherSuite(0x1301), CipherSuite(0xc02f)];
        let mut out = Vec::new();
        encode_list(LenPrefix::U16, &suites, &mut out);
        assert_eq!(out, [0, 4, 0x13, 0x01, 0xc0, 0x2f]);
        let got: Vec<CipherSuite> =
            read_list_fixed(LenPrefix::U16, 2, &mut Reader::new(&out), "s").unwrap();
        assert_eq!(got, suites);
        let odd = [0, 3, 1, 2, 3];
        assert!(matches!(
            read_list_fixed::<CipherSuite>(LenPrefix::U16, 2, &mut Reader::new(&odd), "s"),
            Err(DecodeError::Misaligned { .. })
        ));
    }

    #[test]
    fn u24_length() {
        let mut out = Vec::new();
        encode_opaque(LenPrefix::U24, &[7; 300], &mut out);
        assert_eq!(&out[..3], &[0, 1, 44]);
        let v = read_opaque(LenPrefix::U24, &mut Reader::new(&out), "x").unwrap();
        assert_eq!(v.len(), 300);
    }
}
