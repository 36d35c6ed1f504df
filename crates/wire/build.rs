//! Generates the registry tables from the data files under `data/`.
//!
//! The CSV files are the source of truth (the tls-parser idea): IANA registry
//! facts plus a few historical code points, and `openssl-names.txt`, the output of
//! `openssl ciphers -V` on the machine that last refreshed it. This script joins
//! the OpenSSL names onto the cipher suites by code point, checks every table for
//! duplicate code points and unknown column values, and writes one Rust file per
//! registry into `OUT_DIR`; `src/registry/*.rs` `include!` them.
//!
//! It must never reach the network or run `openssl`: a build is a pure function
//! of the files in `data/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let data = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("data");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    for file in [
        "cipher-suites.csv",
        "openssl-names.txt",
        "groups.csv",
        "signature-schemes.csv",
        "extensions.csv",
        "alerts.csv",
    ] {
        println!("cargo:rerun-if-changed=data/{file}");
    }
    println!("cargo:rerun-if-changed=build.rs");

    write(&out, "cipher_suites.rs", &cipher_suites(&data));
    write(&out, "groups.rs", &groups(&data));
    write(&out, "sigschemes.rs", &sigschemes(&data));
    write(&out, "extensions.rs", &extensions(&data));
    write(&out, "alerts.rs", &alerts(&data));
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("writing {name}: {e}"));
}

/// One parsed CSV file: the header's column names and the data rows, each with
/// its line number for error messages.
struct Csv {
    file: String,
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Csv {
    fn load(dir: &Path, file: &str) -> Self {
        let text = fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut header = None;
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = split_csv_line(line).unwrap_or_else(|e| panic!("{file}:{}: {e}", i + 1));
            if header.is_none() {
                header = Some(fields);
            } else {
                let width = header.as_ref().map_or(0, Vec::len);
                if fields.len() != width {
                    panic!(
                        "{file}:{}: {} fields, header has {width}",
                        i + 1,
                        fields.len()
                    );
                }
                rows.push((i + 1, fields));
            }
        }
        Self {
            file: file.to_owned(),
            header: header.unwrap_or_else(|| panic!("{file}: no header line")),
            rows,
        }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", self.file))
    }
}

/// Splits one CSV line; fields may be double-quoted (with `""` for a quote).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur).trim().to_owned());
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    fields.push(cur.trim().to_owned());
    Ok(fields)
}

fn parse_code(file: &str, line: usize, s: &str) -> u16 {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => s.parse(),
    };
    r.unwrap_or_else(|e| panic!("{file}:{line}: bad code point {s:?}: {e}"))
}

fn yes_no(file: &str, line: usize, s: &str) -> bool {
    match s {
        "Y" => true,
        "N" => false,
        _ => panic!("{file}:{line}: expected Y or N, got {s:?}"),
    }
}

/// Maps a CSV keyword to a Rust enum variant, or fails the build naming the line.
fn variant(file: &str, line: usize, what: &str, s: &str, table: &[(&str, &str)]) -> String {
    table
        .iter()
        .find(|(k, _)| *k == s)
        .map(|(_, v)| (*v).to_owned())
        .unwrap_or_else(|| panic!("{file}:{line}: unknown {what} {s:?}"))
}

/// A Rust constant name for a registry name: `ecdsa_secp256r1_sha256` →
/// `ECDSA_SECP256R1_SHA256`, `connection_id (deprecated)` → `CONNECTION_ID_DEPRECATED`.
fn const_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

/// Checks that code points are unique and returns the rows sorted by code.
fn sorted_unique<T>(file: &str, mut rows: Vec<(u16, T)>) -> Vec<(u16, T)> {
    rows.sort_by_key(|r| r.0);
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            panic!("{file}: duplicate code point 0x{:04x}", w[0].0);
        }
    }
    rows
}

fn check_unique_names<'a>(file: &str, names: impl Iterator<Item = &'a str>) {
    let mut seen = BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            panic!("{file}: duplicate name {n}");
        }
    }
}

fn version(file: &str, line: usize, s: &str) -> String {
    variant(
        file,
        line,
        "protocol version",
        s,
        &[
            ("ssl3", "SSL3"),
            ("tls1_0", "TLS1_0"),
            ("tls1_1", "TLS1_1"),
            ("tls1_2", "TLS1_2"),
            ("tls1_3", "TLS1_3"),
        ],
    )
}

/// Reads `openssl-names.txt` (`openssl ciphers -V` lines:
/// `0xC0,0x2F - NAME VERSION Kx=.. Au=.. Enc=.. Mac=..`) into code → name.
fn openssl_names(dir: &Path) -> BTreeMap<u16, String> {
    let file = "openssl-names.txt";
    let text = fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut names = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(code), Some("-"), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("{file}:{}: not an `openssl ciphers -V` line", i + 1);
        };
        let bytes: Vec<u8> = code
            .split(',')
            .map(|b| {
                u8::from_str_radix(b.trim_start_matches("0x"), 16)
                    .unwrap_or_else(|e| panic!("{file}:{}: {e}", i + 1))
            })
            .collect();
        let [hi, lo] = bytes[..] else {
            panic!("{file}:{}: code point {code} is not two bytes", i + 1);
        };
        let code = u16::from_be_bytes([hi, lo]);
        if let Some(old) = names.insert(code, name.to_owned()) {
            if old != name {
                panic!("{file}:{}: 0x{code:04x} named both {old} and {name}", i + 1);
            }
        }
    }
    names
}

fn cipher_suites(dir: &Path) -> String {
    let csv = Csv::load(dir, "cipher-suites.csv");
    let f = csv.file.as_str();
    let openssl = openssl_names(dir);
    let [c_code, c_name, c_legacy, c_kx, c_auth, c_enc, c_mode, c_bits, c_mac, c_export, c_min, c_max, c_iana, c_ref] =
        [
            "code",
            "iana_name",
            "openssl_legacy_name",
            "kx",
            "auth",
            "enc",
            "mode",
            "bits",
            "mac",
            "export",
            "min",
            "max",
            "iana",
            "reference",
        ]
        .map(|c| csv.col(c));
    let mut rows = Vec::new();
    for (line, r) in &csv.rows {
        let line = *line;
        let code = parse_code(f, line, &r[c_code]);
        let legacy = &r[c_legacy];
        let openssl_name = match (openssl.get(&code), legacy.is_empty()) {
            (Some(_), false) => panic!(
                "{f}:{line}: 0x{code:04x} has a legacy OpenSSL name although \
                 openssl-names.txt lists it; leave the column empty"
            ),
            (Some(n), true) => format!("Some({n:?})"),
            (None, false) => format!("Some({legacy:?})"),
            (None, true) => "None".to_owned(),
        };
        let kx = variant(
            f,
            line,
            "kx",
            &r[c_kx],
            &[
                ("rsa", "Rsa"),
                ("dhe", "Dhe"),
                ("ecdhe", "Ecdhe"),
                ("dh", "Dh"),
                ("ecdh", "Ecdh"),
                ("psk", "Psk"),
                ("dhe_psk", "DhePsk"),
                ("ecdhe_psk", "EcdhePsk"),
                ("rsa_psk", "RsaPsk"),
                ("srp", "Srp"),
                ("krb5", "Krb5"),
                ("null", "Null"),
                ("any", "Any"),
                ("gost", "Gost"),
                ("eccpwd", "Eccpwd"),
                ("fortezza", "Fortezza"),
            ],
        );
        let auth = variant(
            f,
            line,
            "auth",
            &r[c_auth],
            &[
                ("rsa", "Rsa"),
                ("dss", "Dss"),
                ("ecdsa", "Ecdsa"),
                ("anon", "Anon"),
                ("psk", "Psk"),
                ("krb5", "Krb5"),
                ("null", "Null"),
                ("any", "Any"),
                ("srp", "Srp"),
                ("gost", "Gost"),
                ("password", "Password"),
            ],
        );
        let enc = variant(
            f,
            line,
            "enc",
            &r[c_enc],
            &[
                ("null", "Null"),
                ("rc4", "Rc4"),
                ("rc2", "Rc2"),
                ("des", "Des"),
                ("3des", "TripleDes"),
                ("idea", "Idea"),
                ("aes128", "Aes128"),
                ("aes256", "Aes256"),
                ("camellia128", "Camellia128"),
                ("camellia256", "Camellia256"),
                ("aria128", "Aria128"),
                ("aria256", "Aria256"),
                ("seed", "Seed"),
                ("chacha20", "ChaCha20"),
                ("sm4", "Sm4"),
                ("gost89", "Gost"),
                ("kuznyechik", "Kuznyechik"),
                ("magma", "Magma"),
                ("aegis128l", "Aegis128L"),
                ("aegis256", "Aegis256"),
                ("fortezza", "Fortezza"),
            ],
        );
        let mode = variant(
            f,
            line,
            "mode",
            &r[c_mode],
            &[
                ("stream", "Stream"),
                ("cbc", "Cbc"),
                ("gcm", "Gcm"),
                ("ccm", "Ccm"),
                ("ccm8", "Ccm8"),
                ("poly1305", "Poly1305"),
                ("ctr", "Ctr"),
                ("none", "None"),
                ("mgm", "Mgm"),
                ("aegis", "Aegis"),
            ],
        );
        let mac = variant(
            f,
            line,
            "mac",
            &r[c_mac],
            &[
                ("md5", "Md5"),
                ("sha1", "Sha1"),
                ("sha256", "Sha256"),
                ("sha384", "Sha384"),
                ("aead", "Aead"),
                ("gost", "Gost"),
                ("null", "Null"),
                ("sm3", "Sm3"),
            ],
        );
        let bits: u16 = r[c_bits]
            .parse()
            .unwrap_or_else(|e| panic!("{f}:{line}: bits: {e}"));
        let export = yes_no(f, line, &r[c_export]);
        let min = version(f, line, &r[c_min]);
        let max = version(f, line, &r[c_max]);
        let iana = yes_no(f, line, &r[c_iana]);
        let name = r[c_name].clone();
        let reference = r[c_ref].clone();
        let entry = format!(
            "    CipherSuiteInfo {{ code: 0x{code:04x}, iana_name: {name:?}, openssl_name: {openssl_name}, \
             kx: KeyExchange::{kx}, auth: Auth::{auth}, enc: Encryption::{enc}, mode: Mode::{mode}, \
             bits: {bits}, mac: Mac::{mac}, export: {export}, min_version: ProtocolVersion::{min}, \
             max_version: ProtocolVersion::{max}, iana: {iana}, reference: {reference:?} }},\n"
        );
        rows.push((code, (name, entry)));
    }
    for code in openssl.keys() {
        if !rows.iter().any(|r| r.0 == *code) {
            panic!("openssl-names.txt: 0x{code:04x} has no row in {f}");
        }
    }
    emit(
        &Emit {
            sources: "data/cipher-suites.csv and data/openssl-names.txt",
            ty: "CipherSuite",
            info: "CipherSuiteInfo",
            table: "SUITES",
            consts_doc: "One constant per suite, named as in the IANA registry.",
            consts_attr: "#[allow(non_upper_case_globals)]\n",
            const_name: str::to_owned,
            code: hex_code,
            all_doc: None,
        },
        sorted_unique(f, rows),
    )
}

fn groups(dir: &Path) -> String {
    let kinds = [
        ("ecdhe", "Ecdhe"),
        ("ffdhe", "Ffdhe"),
        ("hybrid", "Hybrid"),
        ("pq", "PostQuantum"),
    ];
    u16_registry(
        dir,
        "groups.csv",
        ["NamedGroup", "NamedGroupInfo", "GROUPS"],
        &["kind", "bits"],
        |f, line, extra| {
            let kind = variant(f, line, "kind", extra[0], &kinds);
            let bits: u16 = extra[1]
                .parse()
                .unwrap_or_else(|e| panic!("{f}:{line}: bits: {e}"));
            format!("kind: GroupKind::{kind}, security_bits: {bits}, ")
        },
    )
}

fn sigschemes(dir: &Path) -> String {
    u16_registry(
        dir,
        "signature-schemes.csv",
        ["SignatureScheme", "SignatureSchemeInfo", "SCHEMES"],
        &[],
        |_, _, _| String::new(),
    )
}

fn extensions(dir: &Path) -> String {
    u16_registry(
        dir,
        "extensions.csv",
        ["ExtensionType", "ExtensionTypeInfo", "EXTENSIONS"],
        &[],
        |_, _, _| String::new(),
    )
}

/// The u16 registries with `code,name,...,iana,reference` columns: `extra` names
/// the columns between, and `fields` turns their values into the Rust fields
/// that sit between `name` and `iana` in the info struct.
fn u16_registry(
    dir: &Path,
    file: &str,
    [ty, info, table]: [&str; 3],
    extra: &[&str],
    fields: impl Fn(&str, usize, &[&str]) -> String,
) -> String {
    let csv = Csv::load(dir, file);
    let f = csv.file.as_str();
    let [c_code, c_name, c_iana, c_ref] = ["code", "name", "iana", "reference"].map(|c| csv.col(c));
    let c_extra: Vec<usize> = extra.iter().map(|c| csv.col(c)).collect();
    let mut rows = Vec::new();
    for (line, r) in &csv.rows {
        let code = parse_code(f, *line, &r[c_code]);
        let values: Vec<&str> = c_extra.iter().map(|&c| r[c].as_str()).collect();
        let extra = fields(f, *line, &values);
        let iana = yes_no(f, *line, &r[c_iana]);
        let (name, reference) = (&r[c_name], &r[c_ref]);
        let entry = format!(
            "    {info} {{ code: 0x{code:04x}, name: {name:?}, {extra}iana: {iana}, \
             reference: {reference:?} }},\n"
        );
        rows.push((code, (name.clone(), entry)));
    }
    emit(
        &Emit {
            sources: &format!("data/{f}"),
            ty,
            info,
            table,
            consts_doc: "One constant per entry, named after the registry name.",
            consts_attr: "",
            const_name,
            code: hex_code,
            all_doc: Some("Every value in the table, in code order."),
        },
        sorted_unique(f, rows),
    )
}

fn alerts(dir: &Path) -> String {
    let csv = Csv::load(dir, "alerts.csv");
    let f = csv.file.as_str();
    let [c_code, c_name, c_meaning, c_ref] =
        ["code", "name", "meaning", "reference"].map(|c| csv.col(c));
    let mut rows = Vec::new();
    for (line, r) in &csv.rows {
        let code: u8 = r[c_code]
            .parse()
            .unwrap_or_else(|e| panic!("{f}:{line}: code: {e}"));
        let (name, meaning, reference) = (&r[c_name], &r[c_meaning], &r[c_ref]);
        let sentence_end = meaning.ends_with('.') && meaning.matches(". ").count() == 0;
        if !sentence_end {
            panic!("{f}:{line}: the meaning must be one sentence ending in a full stop");
        }
        let entry = format!(
            "    AlertInfo {{ code: {code}, name: {name:?}, meaning: {meaning:?}, \
             reference: {reference:?} }},\n"
        );
        rows.push((u16::from(code), (name.clone(), entry)));
    }
    emit(
        &Emit {
            sources: "data/alerts.csv",
            ty: "AlertDescription",
            info: "AlertInfo",
            table: "ALERTS",
            consts_doc: "One constant per alert, named as in the IANA registry.",
            consts_attr: "",
            const_name,
            code: |code| code.to_string(),
            all_doc: Some("Every registered alert description, in code order."),
        },
        sorted_unique(f, rows),
    )
}

/// How [`emit`] writes one registry's generated file.
struct Emit<'a> {
    /// The data files named in the `@generated` line.
    sources: &'a str,
    /// The newtype, its info struct, and the name of the info table.
    ty: &'a str,
    info: &'a str,
    table: &'a str,
    /// Doc comment and attributes of the `impl` block holding the constants.
    consts_doc: &'a str,
    consts_attr: &'a str,
    /// The constant's name for a registry name.
    const_name: fn(&str) -> String,
    /// A code point as a Rust literal.
    code: fn(u16) -> String,
    /// Doc comment of the `ALL` slice of values, if there is one.
    all_doc: Option<&'a str>,
}

fn hex_code(code: u16) -> String {
    format!("0x{code:04x}")
}

/// The common shape of every generated registry file: an info table sorted by
/// code (`rows` are `(code, (name, entry))` from [`sorted_unique`]), one
/// constant per entry and optionally an `ALL` slice of the values. Fails the
/// build on duplicate names or constant names.
fn emit(e: &Emit<'_>, rows: Vec<(u16, (String, String))>) -> String {
    let file = e.sources;
    check_unique_names(file, rows.iter().map(|r| r.1 .0.as_str()));
    let consts: Vec<String> = rows.iter().map(|r| (e.const_name)(&r.1 .0)).collect();
    check_unique_names(file, consts.iter().map(String::as_str));
    let mut s = format!("// @generated by build.rs from {file}.\n\n");
    let _ = writeln!(s, "const {}: &[{}] = &[", e.table, e.info);
    for (_, (_, entry)) in &rows {
        s.push_str(entry);
    }
    let _ = write!(
        s,
        "];\n\n/// {}\n{}impl {} {{\n",
        e.consts_doc, e.consts_attr, e.ty
    );
    for ((code, _), name) in rows.iter().zip(&consts) {
        let _ = writeln!(s, "    pub const {name}: Self = Self({});", (e.code)(*code));
    }
    if let Some(doc) = e.all_doc {
        let _ = writeln!(s, "    /// {doc}");
        s.push_str("    pub const ALL: &'static [Self] = &[\n");
        for (code, _) in &rows {
            let _ = writeln!(s, "        Self({}),", (e.code)(*code));
        }
        s.push_str("    ];\n");
    }
    s.push_str("}\n");
    s
}
