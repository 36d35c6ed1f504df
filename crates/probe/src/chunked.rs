//! The chunked transfer coding (RFC 9112 §7.1), decoded as far as the bytes
//! go and never past a bound: the AIA fetch needs the whole body (a
//! certificate) and the application step as much as arrived (the first bytes
//! of an error page). Chunk extensions and trailers are ignored.

/// How decoding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChunkedEnd {
    /// The last chunk (size 0) was seen: the body is whole.
    Last,
    /// The bytes ended before the last chunk.
    Short,
    /// The body is longer than the bound; `data` holds the bound's worth.
    TooLong,
    /// A size line or a chunk's end is not what RFC 9112 §7.1 allows.
    Malformed(&'static str),
}

/// The decoded bytes (at most the bound) and how decoding stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dechunked {
    pub(crate) data: Vec<u8>,
    pub(crate) end: ChunkedEnd,
}

/// Decodes `bytes` (the body after the header block), keeping at most `max`
/// bytes of data.
pub(crate) fn dechunk(mut bytes: &[u8], max: usize) -> Dechunked {
    let mut data = Vec::new();
    let end = loop {
        // chunk-size [ chunk-ext ] CRLF
        let Some(line_end) = bytes.windows(2).position(|w| w == b"\r\n") else {
            break ChunkedEnd::Short;
        };
        let digits = bytes[..line_end]
            .split(|b| *b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        // More hex digits than a usize holds is no chunk size.
        let size = match std::str::from_utf8(digits) {
            Ok(d) if !d.is_empty() && d.len() <= 2 * size_of::<usize>() => {
                usize::from_str_radix(d, 16).ok()
            }
            _ => None,
        };
        let Some(size) = size else {
            break ChunkedEnd::Malformed("a malformed chunk size");
        };
        if size == 0 {
            break ChunkedEnd::Last;
        }
        bytes = &bytes[line_end + 2..];
        let room = max - data.len();
        data.extend_from_slice(&bytes[..size.min(bytes.len()).min(room)]);
        if size > room {
            break ChunkedEnd::TooLong;
        }
        // chunk-data CRLF
        if bytes.len() < size + 2 {
            break ChunkedEnd::Short;
        }
        if &bytes[size..size + 2] != b"\r\n" {
            break ChunkedEnd::Malformed("a chunk without its CRLF");
        }
        bytes = &bytes[size + 2..];
    };
    Dechunked { data, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_cut_long_and_malformed_bodies() {
        let whole = dechunk(b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n", 100);
        assert_eq!(whole.data, b"abcde");
        assert_eq!(whole.end, ChunkedEnd::Last);
        let cut = dechunk(b"5\r\nhel", 100);
        assert_eq!(
            (cut.data.as_slice(), cut.end),
            (&b"hel"[..], ChunkedEnd::Short)
        );
        assert_eq!(dechunk(b"3\r\nabc\r\n", 100).end, ChunkedEnd::Short);
        let long = dechunk(format!("ffffff\r\n{}", "x".repeat(5000)).as_bytes(), 4096);
        assert_eq!((long.data.len(), long.end), (4096, ChunkedEnd::TooLong));
        assert!(matches!(
            dechunk(b"fffffffffffffffffffff\r\nabc", 100).end,
            ChunkedEnd::Malformed(_)
        ));
        assert!(matches!(
            dechunk(b"zz\r\n", 100).end,
            ChunkedEnd::Malformed(_)
        ));
        assert!(matches!(
            dechunk(b"3\r\nabcXX0\r\n\r\n", 100).end,
            ChunkedEnd::Malformed(_)
        ));
    }

    /// Whatever the bytes, no panic and never more than the bound.
    #[test]
    fn any_bytes_are_bounded() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..2000 {
            let bytes: Vec<u8> = (0..len % 97)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    b"0123456789abcdef;\r\nx"[(state % 20) as usize]
                })
                .collect();
            assert!(dechunk(&bytes, 16).data.len() <= 16);
        }
    }
}
