use super::*;

fn first(text: &str) -> Code {
    let e = explain(text);
    e.candidates
        .first()
        .unwrap_or_else(|| panic!("nothing recognised in {text:?}"))
        .code
}

/// The codes with the top score.
fn top(text: &str) -> Vec<Code> {
    let e = explain(text);
    let best = e.candidates.first().map(|c| c.score).unwrap_or(0);
    e.candidates
        .iter()
        .filter(|c| c.score == best)
        .map(|c| c.code)
        .collect()
}

#[test]
fn every_catalogue_file_parses_and_every_example_is_recognised_by_its_entry() {
    assert!(
        catalogue::parse_errors().is_empty(),
        "{:?}",
        catalogue::parse_errors()
    );
    assert_eq!(catalogue().len(), 15);
    for family in catalogue() {
        for entry in &family.entries {
            assert!(!entry.seen.is_empty() && !entry.codes.is_empty());
            assert!(
                entry.matches(&normalise(&entry.example)).is_some(),
                "{}: the example {:?} does not match its own entry",
                family.family,
                entry.example
            );
        }
    }
}

#[test]
fn client_messages() {
    use Code::*;
    let cases: &[(&str, Code)] = &[
        ("curl: (60) SSL certificate problem: certificate has expired", CertExpired),
        ("curl: (60) SSL certificate problem: self-signed certificate", CertSelfSigned),
        ("curl: (60) SSL: no alternative certificate subject name matches target host name 'wrong.host'", CertHostnameMismatch),
        ("curl: (35) OpenSSL/3.0.15: error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported", SigalgMismatch),
        ("curl: (35) error:0A000102:SSL routines::unsupported protocol", ProtocolMismatch),
        ("curl: (35) OpenSSL/3.0.15: error:0A00010B:SSL routines::wrong version number", NotTls),
        ("javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is disabled or cipher suites are inappropriate)", ProtocolMismatch),
        ("javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching foo.example.com found.", CertHostnameMismatch),
        ("NET::ERR_CERT_AUTHORITY_INVALID", CertUntrustedRoot),
        ("ERR_SSL_VERSION_OR_CIPHER_MISMATCH", CipherMismatch),
        ("SSL_ERROR_NO_CYPHER_OVERLAP", CipherMismatch),
        ("Get \"https://api.example.com/\": x509: certificate signed by unknown authority", CertUntrustedRoot),
        ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'. (_ssl.c:1006)", CertHostnameMismatch),
        ("Error: certificate has expired\n    at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34) {\n  code: 'CERT_HAS_EXPIRED'\n}", CertExpired),
        ("Error 526: Invalid SSL certificate", CertExpired),
        ("The remote certificate is invalid because of errors in the certificate chain: RemoteCertificateNameMismatch", CertHostnameMismatch),
        ("curl: (56) OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0", ClientCertRequired),
        ("SEC_ERROR_UNKNOWN_ISSUER", CertChainIncomplete),
    ];
    for (text, code) in cases {
        let got = top(text);
        assert!(
            got.contains(code),
            "{text:?}: expected {code:?} first, got {got:?}"
        );
    }
}

/// Messages worded differently from every catalogue example: recognised by
/// their reason codes and key phrases.
#[test]
fn unseen_wordings_generalise() {
    use Code::*;
    assert_eq!(first("40E7B2F8:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1586:SSL alert number 48"), ClientCertRejected);
    // The same alert in a server's log: the client did not trust us.
    assert!(top("2026/12/03 10:00:00 [info] 123#0: *1 SSL_do_handshake() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) while SSL handshaking, client: 10.0.0.1").contains(&CertUntrustedRoot));
    // A bare OpenSSL 1.1 code: reason 1070 is alert 70.
    assert_eq!(
        first("error:1409442E:SSL routines:ssl3_read_bytes"),
        ProtocolMismatch
    );
    // A bare verify number.
    assert_eq!(first("verify error:num=10"), CertExpired);
    assert_eq!(
        first("Verify return code: 62 (hostname mismatch)"),
        CertHostnameMismatch
    );
    // Hyphens, underscores and case do not matter.
    assert_eq!(first("cert-has-expired"), CertExpired);
    assert_eq!(first("PEER SENT ALERT NUMBER 112"), SniRequired);
    // Other programs' wordings of known faults.
    assert_eq!(
        first("schannel: next InitializeSecurityContext failed: SEC_E_UNTRUSTED_ROOT (0x80090325)"),
        CertUntrustedRoot
    );
    assert_eq!(first("psql: error: connection to server at \"db\" failed: server does not support SSL, but SSL was required"), NotTls);
    assert_eq!(
        first("Get \"https://localhost:8080\": http: server gave HTTP response to HTTPS client"),
        NotTls
    );
    assert_eq!(first("OpenSSL::SSL::SSLError: SSL_connect returned=1 errno=0 peeraddr=1.2.3.4:443 state=error: certificate verify failed (certificate has expired)"), CertExpired);
    assert_eq!(first("  Issued certificate has expired."), CertExpired);
}

#[test]
fn hosts_are_taken_from_the_message() {
    let e = explain("curl: (7) Failed to connect to api.example.com port 8443 after 3 ms: Couldn't connect to server");
    assert_eq!(e.host.as_deref(), Some("api.example.com:8443"));
    assert_eq!(e.confirm, "tlsdoctor diagnose api.example.com:8443");
    let e = explain("fatal: unable to access 'https://git.example.org/repo.git/': server certificate verification failed. CAfile: none CRLfile: none");
    assert_eq!(e.host.as_deref(), Some("git.example.org"));
    let e = explain("x509: certificate is valid for example.com, not www.example.net");
    assert_eq!(e.host.as_deref(), Some("www.example.net"));
    let e = explain("SSL_ERROR_NO_CYPHER_OVERLAP");
    assert_eq!(e.host, None);
    assert_eq!(e.confirm, "tlsdoctor diagnose HOST");
}

#[test]
fn unknown_text_is_not_recognised() {
    let e = explain("the quick brown fox jumps over the lazy dog");
    assert!(!e.recognised_anything());
    assert!(e.recognised.is_empty());
}

proptest::proptest! {
    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let e = explain(&text);
        let _ = host_in(&text);
        proptest::prop_assert!(e.recognised.len() <= 200);
    }
}
