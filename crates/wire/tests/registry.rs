//! Registry tables: sizes, uniqueness, agreement with the OpenSSL on this machine,
//! and spot checks of facts from the RFCs.
//!
//! `cargo test -p tlsdoctor-wire --test registry -- --nocapture` prints the counts.

use std::collections::HashSet;
use std::process::Command;

use wire::registry::{
    AlertDescription, Auth, CipherSuite, Encryption, ExtensionType, GroupKind, KeyExchange, Mac,
    Mode, NamedGroup, ProtocolVersion, SignatureScheme,
};

#[test]
fn counts() {
    let iana = CipherSuite::ALL.iter().filter(|i| i.iana).count();
    let openssl = CipherSuite::ALL
        .iter()
        .filter(|i| i.openssl_name.is_some())
        .count();
    println!(
        "cipher suites: {} ({iana} IANA, {} historical; {openssl} with an OpenSSL name)",
        CipherSuite::ALL.len(),
        CipherSuite::ALL.len() - iana
    );
    println!("named groups: {}", NamedGroup::ALL.len());
    println!("signature schemes: {}", SignatureScheme::ALL.len());
    println!("extension types: {}", ExtensionType::ALL.len());
    println!("alert descriptions: {}", AlertDescription::ALL.len());
    // The IANA registry had 352 assigned cipher suite code points when the table
    // was written; it only ever grows.
    assert!(iana >= 352, "{iana}");
    assert!(NamedGroup::ALL.len() >= 55);
    assert!(SignatureScheme::ALL.len() >= 50);
    assert!(ExtensionType::ALL.len() >= 65);
    assert!(AlertDescription::ALL.len() >= 37);
}

#[test]
fn no_duplicates_and_sorted() {
    fn check(what: &str, codes: impl Iterator<Item = u16>, names: impl Iterator<Item = String>) {
        let codes: Vec<u16> = codes.collect();
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "{what}: codes not strictly sorted"
        );
        let mut seen = HashSet::new();
        for n in names {
            assert!(seen.insert(n.clone()), "{what}: duplicate name {n}");
        }
    }
    check(
        "suites",
        CipherSuite::ALL.iter().map(|i| i.code),
        CipherSuite::ALL.iter().map(|i| i.iana_name.to_owned()),
    );
    let openssl: Vec<_> = CipherSuite::ALL
        .iter()
        .filter_map(|i| i.openssl_name)
        .collect();
    check("openssl names", 0..0, openssl.iter().map(|s| s.to_string()));
    check(
        "groups",
        NamedGroup::ALL.iter().map(|g| g.0),
        NamedGroup::ALL.iter().map(|g| g.name()),
    );
    check(
        "sigschemes",
        SignatureScheme::ALL.iter().map(|g| g.0),
        SignatureScheme::ALL.iter().map(|g| g.name()),
    );
    check(
        "extensions",
        ExtensionType::ALL.iter().map(|g| g.0),
        ExtensionType::ALL.iter().map(|g| g.name()),
    );
    check(
        "alerts",
        AlertDescription::ALL.iter().map(|g| u16::from(g.0)),
        AlertDescription::ALL.iter().map(|g| g.name()),
    );
}

#[test]
fn every_entry_round_trips_through_its_name() {
    for i in CipherSuite::ALL {
        let s = CipherSuite(i.code);
        assert_eq!(s.info(), Some(i));
        assert_eq!(
            CipherSuite::from_name(i.iana_name),
            Some(s),
            "{}",
            i.iana_name
        );
        if let Some(o) = i.openssl_name {
            assert_eq!(CipherSuite::from_name(o), Some(s), "{o}");
        }
        assert_eq!(s.to_string(), i.iana_name);
        assert!(i.min_version <= i.max_version, "{}", i.iana_name);
    }
    for g in NamedGroup::ALL {
        assert_eq!(NamedGroup::from_name(&g.name()), Some(*g));
        assert!(g.kind().is_some());
    }
    for g in SignatureScheme::ALL {
        assert_eq!(SignatureScheme::from_name(&g.name()), Some(*g));
    }
    for g in ExtensionType::ALL {
        assert_eq!(ExtensionType::from_name(&g.name()), Some(*g));
    }
    for a in AlertDescription::ALL {
        assert_eq!(AlertDescription::from_name(&a.name()), Some(*a));
        let m = a.meaning();
        assert!(m.ends_with('.') && !m.contains(". "), "{}: {m}", a.name());
    }
}

#[test]
fn cipher_suite_facts() {
    let c02f = CipherSuite(0xc02f).info().unwrap();
    assert_eq!(c02f.iana_name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_eq!(c02f.openssl_name, Some("ECDHE-RSA-AES128-GCM-SHA256"));
    assert_eq!(c02f.kx, KeyExchange::Ecdhe);
    assert_eq!(c02f.auth, Auth::Rsa);
    assert_eq!(c02f.enc, Encryption::Aes128);
    assert_eq!(c02f.bits, 128);
    assert_eq!(c02f.mode, Mode::Gcm);
    assert_eq!(c02f.mac, Mac::Aead);
    assert_eq!(
        (c02f.min_version, c02f.max_version),
        (ProtocolVersion::TLS1_2, ProtocolVersion::TLS1_2)
    );
    assert!(c02f.forward_secrecy() && c02f.is_aead() && !c02f.is_anonymous());
    assert!(c02f.usable_in(ProtocolVersion::TLS1_2) && !c02f.usable_in(ProtocolVersion::TLS1_3));
    assert_eq!(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite(0xc02f)
    );

    let rc4 = CipherSuite(0x0004).info().unwrap();
    assert_eq!(rc4.iana_name, "TLS_RSA_WITH_RC4_128_MD5");
    assert_eq!(
        (rc4.enc, rc4.mode, rc4.bits, rc4.mac),
        (Encryption::Rc4, Mode::Stream, 128, Mac::Md5)
    );
    assert!(!rc4.forward_secrecy() && !rc4.export);

    let exp = CipherSuite(0x0003).info().unwrap();
    assert_eq!(exp.iana_name, "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
    assert!(exp.export);
    assert_eq!(exp.bits, 40);
    assert_eq!(exp.max_version, ProtocolVersion::TLS1_0);
    // RFC 4346 §A.5: export suites must not be negotiated in TLS 1.1.
    for i in CipherSuite::ALL.iter().filter(|i| i.export) {
        assert!(!i.usable_in(ProtocolVersion::TLS1_1), "{}", i.iana_name);
    }

    let t13 = CipherSuite::TLS_AES_128_GCM_SHA256.info().unwrap();
    assert_eq!(t13.code, 0x1301);
    assert_eq!(
        (t13.min_version, t13.max_version),
        (ProtocolVersion::TLS1_3, ProtocolVersion::TLS1_3)
    );
    assert_eq!(t13.openssl_name, Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(t13.kx, KeyExchange::Any);
    assert!(t13.forward_secrecy());

    let anon = CipherSuite::from_name("ADH-AES128-SHA")
        .unwrap()
        .info()
        .unwrap();
    assert!(anon.is_anonymous());
    assert_eq!(anon.code, 0x0034);
    let null = CipherSuite::from_name("TLS_RSA_WITH_NULL_SHA256")
        .unwrap()
        .info()
        .unwrap();
    assert!(null.is_null_encryption());
    assert_eq!(
        CipherSuite::from_name("ecdhe-rsa-aes128-gcm-sha256"),
        Some(CipherSuite(0xc02f))
    );
    assert_eq!(CipherSuite::from_name("0xabcd"), Some(CipherSuite(0xabcd)));
    assert_eq!(CipherSuite::from_name("no such suite"), None);

    // Historical, non-IANA suites are present and marked.
    for code in [0x0062, 0x0064, 0xfefe, 0xfeff, 0xffe0, 0xffe1] {
        let i = CipherSuite(code).info().unwrap();
        assert!(!i.iana, "0x{code:04x}");
    }
    assert_eq!(
        CipherSuite(0x0062).openssl_name(),
        Some("EXP1024-DES-CBC-SHA")
    );

    assert!(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV.is_scsv());
    assert!(CipherSuite::TLS_FALLBACK_SCSV.is_scsv());
    assert!(CipherSuite(0x0a0a).is_grease());
    assert_eq!(CipherSuite(0xdada).name(), "GREASE");
    assert_eq!(CipherSuite(0x0a0b).name(), "0x0a0b");
    assert_eq!(format!("{}", CipherSuite(0x1302)), "TLS_AES_256_GCM_SHA384");
}

#[test]
fn other_registry_facts() {
    assert_eq!(NamedGroup(0x11ec).name(), "X25519MLKEM768");
    assert_eq!(NamedGroup(0x11ec).kind(), Some(GroupKind::Hybrid));
    assert_eq!(NamedGroup(0x11eb).name(), "SecP256r1MLKEM768");
    assert_eq!(NamedGroup(0x11ed).name(), "SecP384r1MLKEM1024");
    assert_eq!(NamedGroup(0x0201).kind(), Some(GroupKind::PostQuantum));
    assert_eq!(NamedGroup(0x0100).kind(), Some(GroupKind::Ffdhe));
    assert_eq!(NamedGroup::X25519.name(), "x25519");
    assert_eq!(
        NamedGroup::from_name("prime256v1"),
        Some(NamedGroup::SECP256R1)
    );
    assert_eq!(NamedGroup::from_name("X25519"), Some(NamedGroup::X25519));
    assert_eq!(NamedGroup(0x4a4a).name(), "GREASE");
    assert_eq!(NamedGroup(0x1f).name(), "brainpoolP256r1tls13");

    assert_eq!(SignatureScheme(0x0201).name(), "rsa_pkcs1_sha1");
    assert_eq!(SignatureScheme(0x0203).name(), "ecdsa_sha1");
    assert_eq!(SignatureScheme(0x0101).name(), "rsa_pkcs1_md5");
    assert_eq!(SignatureScheme(0x0202).name(), "dsa_sha1");
    assert_eq!(SignatureScheme(0x0905).name(), "mldsa65");
    assert_eq!(
        SignatureScheme(0x0804),
        SignatureScheme::RSA_PSS_RSAE_SHA256
    );

    assert_eq!(ExtensionType(0).name(), "server_name");
    assert_eq!(ExtensionType(10).name(), "supported_groups");
    assert_eq!(ExtensionType(11).name(), "ec_point_formats");
    assert_eq!(ExtensionType(13).name(), "signature_algorithms");
    assert_eq!(
        ExtensionType(16).name(),
        "application_layer_protocol_negotiation"
    );
    assert_eq!(ExtensionType(51).name(), "key_share");
    assert_eq!(ExtensionType(0xff01).name(), "renegotiation_info");
    assert_eq!(ExtensionType(0xfe0d).name(), "encrypted_client_hello");
    assert_eq!(ExtensionType::ALPN, ExtensionType(16));
    assert_eq!(ExtensionType(0x1a1a).name(), "GREASE");

    let pv = AlertDescription::PROTOCOL_VERSION;
    assert_eq!(pv.name(), "protocol_version");
    assert_eq!(
        pv.meaning(),
        "The peer does not support any protocol version this side offered."
    );
    assert_eq!(AlertDescription(40).name(), "handshake_failure");
    assert_eq!(AlertDescription(121).name(), "ech_required");
    assert_eq!(AlertDescription(200).name(), "alert(200)");
    assert_eq!(
        AlertDescription::from_name("unknown_ca"),
        Some(AlertDescription(48))
    );
    assert_eq!(AlertDescription(48).info().unwrap().code, 48);
}

/// One line of `openssl ciphers -V`: code point, name, minimum version.
fn parse_openssl_v(text: &str) -> Vec<(u16, String, String)> {
    text.lines()
        .filter_map(|line| {
            let mut p = line.split_whitespace();
            let code = p.next()?;
            if p.next()? != "-" {
                return None;
            }
            let name = p.next()?.to_owned();
            let version = p.next()?.to_owned();
            let bytes: Vec<u8> = code
                .split(',')
                .map(|b| u8::from_str_radix(b.trim_start_matches("0x"), 16).ok())
                .collect::<Option<_>>()?;
            let [hi, lo] = bytes[..] else { return None };
            Some((u16::from_be_bytes([hi, lo]), name, version))
        })
        .collect()
}

fn check_openssl_lines(lines: &[(u16, String, String)]) {
    for (code, name, version) in lines {
        let info = CipherSuite(*code)
            .info()
            .unwrap_or_else(|| panic!("OpenSSL lists 0x{code:04x} {name}, the table does not"));
        assert_eq!(info.openssl_name, Some(name.as_str()), "0x{code:04x}");
        assert_eq!(
            CipherSuite::from_name(name),
            Some(CipherSuite(*code)),
            "{name}"
        );
        let min = match version.as_str() {
            "SSLv3" => ProtocolVersion::SSL3,
            "TLSv1" => ProtocolVersion::TLS1_0,
            "TLSv1.2" => ProtocolVersion::TLS1_2,
            "TLSv1.3" => ProtocolVersion::TLS1_3,
            other => panic!("unexpected version {other} for {name}"),
        };
        assert_eq!(info.min_version, min, "{name}: minimum version");
    }
}

/// The checked-in `openssl-names.txt` agrees with the table (this runs everywhere).
#[test]
fn table_agrees_with_recorded_openssl_output() {
    let text = include_str!("../data/openssl-names.txt");
    let lines = parse_openssl_v(text);
    assert!(lines.len() >= 150, "{}", lines.len());
    check_openssl_lines(&lines);
}

/// Re-runs `openssl ciphers -V` on this machine, when OpenSSL is installed, and
/// checks that every suite it names is in the table under the same code point.
#[test]
fn table_agrees_with_local_openssl() {
    let run = |args: &[&str]| -> Option<String> {
        let out = Command::new("openssl").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let Some(all) = run(&["ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]) else {
        eprintln!("openssl not found: skipping the live comparison");
        return;
    };
    let mut lines = parse_openssl_v(&all);
    if let Some(t13) = run(&[
        "ciphers",
        "-V",
        "-s",
        "-tls1_3",
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256",
    ]) {
        lines.extend(parse_openssl_v(&t13));
    }
    assert!(
        !lines.is_empty(),
        "could not parse `openssl ciphers -V` output"
    );
    println!("openssl lists {} suites; all are in the table", lines.len());
    check_openssl_lines(&lines);
}
