//! JA4 against the published vectors in `shared/testdata/ja4/`: every ClientHello
//! in every capture must give exactly the JA4, JA4_r, JA4_o and JA4_ro strings that
//! the reference implementation computed. Entries are matched by TCP stream and by
//! the order of the hellos within the stream (`JA4.1`, `JA4.2`, ...).

use std::collections::BTreeMap;
use std::path::PathBuf;

use wire::codec::Codec;
use wire::handshake::{ClientHello, HandshakeType};
use wire::ja4::ja4;
use wire::pcap::client_hellos;
use wire::record::{ContentType, HandshakeReassembler, RecordReader};

fn testdata() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ja4"
    ));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} is missing, and CI is set", dir.display());
    }
    eprintln!("skipping the JA4 vectors: {} is absent", dir.display());
    None
}

#[test]
fn every_hello_matches_the_published_fingerprints() {
    let Some(dir) = testdata() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captures in {}", dir.display());

    let (mut checked, mut failures) = (0usize, Vec::new());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let json = dir.join(format!("{name}.expected.json"));
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();

        let hellos = client_hellos(&std::fs::read(path).unwrap()).unwrap();
        let mut by_stream: BTreeMap<u64, Vec<ClientHello>> = BTreeMap::new();
        for h in &hellos {
            let parsed = ClientHello::read_handshake(&h.message)
                .unwrap_or_else(|e| panic!("{name}: stream {}: {e}", h.stream));
            by_stream
                .entry(u64::from(h.stream))
                .or_default()
                .push(parsed);
        }

        for entry in expected.as_array().unwrap() {
            let stream = entry["stream"].as_u64().unwrap();
            let got = by_stream
                .get(&stream)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for n in 1.. {
                let Some(want) = entry.get(format!("JA4.{n}")) else {
                    break;
                };
                let Some(hello) = got.get(n - 1) else {
                    failures.push(format!("{name}: stream {stream}: hello {n} not found"));
                    break;
                };
                let fp = ja4(hello);
                for (key, value) in [
                    ("JA4", &fp.ja4),
                    ("JA4_r", &fp.ja4_r),
                    ("JA4_o", &fp.ja4_o),
                    ("JA4_ro", &fp.ja4_ro),
                ] {
                    let want = if key == "JA4" {
                        want
                    } else {
                        &entry[format!("{key}.{n}")]
                    };
                    if want.as_str() != Some(value.as_str()) {
                        failures.push(format!(
                            "{name}: stream {stream} hello {n} {key}:\n  want {want}\n  got  {value}"
                        ));
                    }
                }
                checked += 1;
            }
        }
    }
    println!(
        "{checked} JA4 vectors checked, {} mismatches",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 146, "only {checked} vectors");
}

/// The worked example of the JA4 specification (`technical_details/JA4.md`),
/// built byte by byte: 15 suites, 16 extensions, ALPN h2, TLS 1.3, plus GREASE
/// values that must not count.
#[test]
fn specification_example() {
    fn u16_vec(values: &[u16]) -> Vec<u8> {
        let mut v = ((values.len() * 2) as u16).to_be_bytes().to_vec();
        for x in values {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }
    let suites = [
        0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
        0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
    ];
    let sigalgs = [
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
    ];
    let ext_order = [
        0x2a2a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
        0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
    ];
    let mut exts = Vec::new();
    for typ in ext_order {
        let data: Vec<u8> = match typ {
            0x0000 => {
                let mut v = vec![0, 14, 0, 0, 11];
                v.extend_from_slice(b"example.com");
                v
            }
            0x0010 => vec![0, 3, 2, b'h', b'2'],
            0x000d => u16_vec(&sigalgs),
            0x002b => {
                let mut v = vec![6];
                v.extend_from_slice(&[0x7a, 0x7a, 0x03, 0x04, 0x03, 0x03]);
                v
            }
            0x000a => u16_vec(&[0x001d, 0x0017]),
            0x000b => vec![1, 0],
            _ => vec![],
        };
        exts.extend_from_slice(&u16::to_be_bytes(typ));
        exts.extend_from_slice(&(data.len() as u16).to_be_bytes());
        exts.extend_from_slice(&data);
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0; 32]);
    body.push(0);
    body.extend_from_slice(&u16_vec(&suites));
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut msg = vec![1, 0];
    msg.extend_from_slice(&(body.len() as u16).to_be_bytes());
    msg.extend_from_slice(&body);

    let fp = ja4(&ClientHello::read_handshake(&msg).unwrap());
    assert_eq!(fp.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_eq!(
        fp.ja4_r,
        "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
    );
    assert_eq!(
        fp.ja4_ro,
        "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601"
    );
    assert_eq!(fp.ja4_o, "t13d1516h2_acb858a92679_18f69afefd3d");
}

/// The conversation reader (`explain FILE.pcap`) keeps the client's plaintext
/// records: the first ClientHello in them gives each stream's `JA4.1`.
#[test]
fn the_conversation_reader_sees_the_same_first_hellos() {
    let Some(dir) = testdata() else { return };
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng")
        {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let mut first: BTreeMap<u64, String> = BTreeMap::new();
        for c in wire::pcap::ConversationReader::new(&bytes[..]).unwrap() {
            let c = c.unwrap();
            // The first handshake message of the client's records.
            let mut records = RecordReader::new().with_max_buffered(c.client_bytes.len());
            records.push(&c.client_bytes).unwrap();
            let mut messages = HandshakeReassembler::new();
            let mut message = None;
            while let Ok(Some(r)) = records.next_record() {
                if r.content_type == ContentType::Handshake {
                    messages.push(&r.payload).unwrap();
                    message = messages.next_message();
                    if message.is_some() {
                        break;
                    }
                }
            }
            let Some(message) = message.filter(|m| m.typ == HandshakeType::ClientHello) else {
                continue;
            };
            let mut bytes = Vec::new();
            message.encode(&mut bytes);
            let hello = ClientHello::read_handshake(&bytes).unwrap();
            first.insert(u64::from(c.stream), ja4(&hello).ja4);
        }
        for e in expected.as_array().unwrap() {
            let stream = e["stream"].as_u64().unwrap();
            let Some(want) = e["JA4.1"].as_str() else {
                continue;
            };
            match first.get(&stream) {
                Some(got) if got == want => checked += 1,
                other => failures.push(format!(
                    "{name}: stream {stream}: want {want}, got {other:?}"
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 100, "only {checked} streams");
}
