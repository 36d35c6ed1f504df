//! The pcap reader against the shared JA4 captures: every ClientHello that the
//! reference implementation saw is found, in the right TCP stream, between the
//! right endpoints.

use std::collections::BTreeMap;
use std::path::PathBuf;

use wire::pcap::{client_hellos, CapturedHello};

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
    eprintln!("skipping: {} is absent", dir.display());
    None
}

fn captures(dir: &PathBuf) -> Vec<(PathBuf, serde_json::Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".pcap") || name.ends_with(".pcapng") {
            let json = dir.join(format!("{name}.expected.json"));
            let expected = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
            out.push((path, expected));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no captures in {}", dir.display());
    out
}

#[test]
fn finds_every_expected_hello_with_its_stream_and_endpoints() {
    let Some(dir) = testdata() else { return };
    let mut total = 0;
    for (path, expected) in captures(&dir) {
        let bytes = std::fs::read(&path).unwrap();
        let hellos = client_hellos(&bytes).unwrap();
        let mut by_stream: BTreeMap<u32, Vec<&CapturedHello>> = BTreeMap::new();
        for h in &hellos {
            by_stream.entry(h.stream).or_default().push(h);
        }
        for e in expected.as_array().unwrap() {
            let stream = e["stream"].as_u64().unwrap() as u32;
            let count = e
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| k.starts_with("JA4."))
                .count();
            let got = by_stream
                .get(&stream)
                .unwrap_or_else(|| panic!("{}: no hello in stream {stream}", path.display()));
            assert_eq!(got.len(), count, "{}: stream {stream}", path.display());
            let h = got[0];
            assert_eq!(
                h.src.to_string(),
                e["src"].as_str().unwrap(),
                "{}",
                path.display()
            );
            assert_eq!(h.dst.to_string(), e["dst"].as_str().unwrap());
            assert_eq!(h.src_port.to_string(), e["srcport"].as_str().unwrap());
            assert_eq!(h.dst_port.to_string(), e["dstport"].as_str().unwrap());
            for (i, h) in got.iter().enumerate() {
                assert_eq!(h.index_in_stream as usize, i);
                assert_eq!(h.message[0], 1, "a ClientHello handshake message");
            }
            total += count;
        }
        println!("{}: {} hellos", path.display(), hellos.len());
    }
    println!("{total} expected hellos found");
}
