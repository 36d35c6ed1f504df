//! Bounds on one connection's record. A client decides how long its lists
//! are: a 64 KiB hello of 30,000 cipher suites would otherwise become a
//! megabyte of JSON log and terminal output per connection (36× what the
//! client sent). Every list keeps its first [`MAX_LIST`] entries and every
//! text its first [`MAX_TEXT`] characters; `truncated` says what was cut and
//! how much there was, so the record stays honest.

use model::ClientHelloRecord;

/// Entries kept per list (a real hello has at most a few dozen).
pub(crate) const MAX_LIST: usize = 256;
/// Characters kept per text (JA3/JA4 strings, SNI, User-Agent, details).
pub(crate) const MAX_TEXT: usize = 4096;
/// A raw hello over this is not kept (real ones are under 2 KiB; post-quantum
/// key shares bring them to a few KiB).
pub(crate) const MAX_HELLO_KEPT: usize = 16 * 1024;

fn cut_list<T>(list: &mut Vec<T>, name: &str, notes: &mut Vec<String>) {
    if list.len() > MAX_LIST {
        notes.push(format!(
            "{name}: {} sent, the first {MAX_LIST} kept",
            list.len()
        ));
        list.truncate(MAX_LIST);
    }
}

fn cut_text(text: &mut String, name: &str, notes: &mut Vec<String>) {
    if text.char_indices().nth(MAX_TEXT).is_some() {
        notes.push(format!(
            "{name}: {} characters, cut to {MAX_TEXT}",
            text.chars().count()
        ));
        // MAX_TEXT characters with the ellipsis, so a second pass cuts nothing.
        let at = text
            .char_indices()
            .nth(MAX_TEXT - 1)
            .map(|(i, _)| i)
            .unwrap_or(text.len());
        text.truncate(at);
        text.push('…');
    }
}

/// Cuts `record` down to the bounds above; idempotent.
pub(crate) fn bound(record: &mut ClientHelloRecord) {
    let mut notes = Vec::new();
    cut_list(&mut record.versions, "versions", &mut notes);
    cut_list(&mut record.cipher_suites, "cipher_suites", &mut notes);
    cut_list(
        &mut record.compression_methods,
        "compression_methods",
        &mut notes,
    );
    cut_list(&mut record.groups, "groups", &mut notes);
    cut_list(&mut record.key_shares, "key_shares", &mut notes);
    cut_list(
        &mut record.signature_algorithms,
        "signature_algorithms",
        &mut notes,
    );
    cut_list(&mut record.alpn, "alpn", &mut notes);
    cut_list(&mut record.extensions, "extensions", &mut notes);
    cut_list(&mut record.flags, "flags", &mut notes);
    cut_list(&mut record.handshake_detail, "handshake_detail", &mut notes);
    for text in [
        (&mut record.sni, "sni"),
        (&mut record.ja3_string, "ja3_string"),
        (&mut record.ja4_r, "ja4_r"),
        (&mut record.user_agent, "user_agent"),
    ] {
        if let Some(value) = text.0 {
            cut_text(value, text.1, &mut notes);
        }
    }
    for detail in &mut record.handshake_detail {
        cut_text(detail, "handshake_detail", &mut notes);
    }
    for flag in &mut record.flags {
        cut_list(&mut flag.evidence, "flags.evidence", &mut notes);
        for e in &mut flag.evidence {
            cut_text(e, "flags.evidence", &mut notes);
        }
    }
    if let Some(against) = &mut record.against {
        cut_text(&mut against.summary, "against.summary", &mut notes);
        if let Some(missing) = &mut against.missing {
            cut_list(&mut missing.client, "against.missing.client", &mut notes);
            cut_list(&mut missing.server, "against.missing.server", &mut notes);
        }
    }
    if record
        .hello
        .as_ref()
        .is_some_and(|h| h.0.len() > MAX_HELLO_KEPT)
    {
        let len = record.hello.take().map(|h| h.0.len()).unwrap_or_default();
        notes.push(format!(
            "hello: {len} bytes, not kept (over {MAX_HELLO_KEPT})"
        ));
    }
    record.truncated.extend(notes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_and_texts_are_cut_with_counts() {
        let mut r = ClientHelloRecord::new(
            time::OffsetDateTime::UNIX_EPOCH,
            "127.0.0.1:1".parse().unwrap(),
        );
        r.groups = vec!["x25519".to_string(); 30_000];
        r.ja3_string = Some("1".repeat(100_000));
        r.hello = Some(model::Bytes(vec![0; 60_000]));
        r.versions = vec!["tls1_3".into()];
        bound(&mut r);
        assert_eq!(r.groups.len(), MAX_LIST);
        assert_eq!(r.versions.len(), 1);
        assert_eq!(r.ja3_string.as_ref().unwrap().chars().count(), MAX_TEXT);
        assert!(r.hello.is_none());
        assert_eq!(
            r.truncated,
            [
                "groups: 30000 sent, the first 256 kept",
                "ja3_string: 100000 characters, cut to 4096",
                "hello: 60000 bytes, not kept (over 16384)",
            ]
        );
        let once = r.clone();
        bound(&mut r);
        assert_eq!(r, once, "idempotent");
        assert!(serde_json::to_vec(&r).unwrap().len() < 30_000);
    }
}
