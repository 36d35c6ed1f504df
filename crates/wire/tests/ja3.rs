//! JA3 against the example in Salesforce's JA3 README: the string
//! `769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0` and its MD5
//! `ada70206e40642a3e4461f35503241d5`. The hello is built byte by byte here
//! (RFC 5246 §7.4.1.2 layout) with GREASE values added, which JA3 must drop.

use wire::handshake::ClientHello;
use wire::ja3::{ja3, ja3_string};

/// A ClientHello handshake message from its parts; `extensions` are (type, body).
fn hello_bytes(version: u16, suites: &[u16], extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&[7; 32]); // random
    body.push(0); // empty session id
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression
    let mut exts = Vec::new();
    for (typ, data) in extensions {
        exts.extend_from_slice(&typ.to_be_bytes());
        exts.extend_from_slice(&(data.len() as u16).to_be_bytes());
        exts.extend_from_slice(data);
    }
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut msg = vec![1];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    msg
}

fn u16_vec(values: &[u16]) -> Vec<u8> {
    let mut v = ((values.len() * 2) as u16).to_be_bytes().to_vec();
    for x in values {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

#[test]
fn salesforce_readme_example() {
    let sni = {
        let name = b"example.com";
        let mut entry = vec![0];
        entry.extend_from_slice(&(name.len() as u16).to_be_bytes());
        entry.extend_from_slice(name);
        let mut v = (entry.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(&entry);
        v
    };
    let msg = hello_bytes(
        0x0301,
        &[
            0x3a3a, 47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4,
        ],
        &[
            (0x0a0a, vec![]),
            (0, sni),
            (10, u16_vec(&[0x2a2a, 23, 24, 25])),
            (11, vec![1, 0]),
        ],
    );
    let hello = ClientHello::read_handshake(&msg).unwrap();
    assert_eq!(
        ja3_string(&hello),
        "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
    );
    let fp = ja3(&hello);
    assert_eq!(fp.hash, "ada70206e40642a3e4461f35503241d5");
    assert_eq!(fp.to_string(), fp.hash);
}

#[test]
fn missing_extensions_give_empty_fields() {
    let msg = hello_bytes(0x0303, &[0x1301, 0x00ff], &[]);
    let hello = ClientHello::read_handshake(&msg).unwrap();
    assert_eq!(ja3_string(&hello), "771,4865-255,,,");
}
