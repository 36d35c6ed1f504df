//! The fix for each diagnosis: concrete steps for the side that must act,
//! with configuration lines for the common servers where a setting is the fix.

/// Server configuration lines that enable TLS 1.2 and 1.3 only.
pub fn enable_modern_protocols() -> Vec<String> {
    vec![
        "Server: enable TLS 1.2 and TLS 1.3 (and update the TLS library if it cannot).".into(),
        "  nginx:   ssl_protocols TLSv1.2 TLSv1.3;".into(),
        "  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3".into(),
        "  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2".into(),
        "  Caddy:   tls { protocols tls1.2 tls1.3 }".into(),
    ]
}

/// Server configuration lines for Mozilla's "intermediate" cipher list.
pub fn enable_modern_ciphers() -> Vec<String> {
    const SUITES: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
    vec![
        "Server: offer forward-secret AEAD cipher suites (Mozilla's \"intermediate\" list):".into(),
        format!("  nginx:   ssl_ciphers {SUITES};"),
        format!("  Apache:  SSLCipherSuite {SUITES}"),
        format!("  HAProxy: ssl-default-bind-ciphers {SUITES}"),
        "  Caddy:   its defaults are already modern; remove any `ciphers` override".into(),
    ]
}

/// Server configuration lines for the key-exchange groups clients offer.
pub fn enable_common_groups() -> Vec<String> {
    vec![
        "Server: accept the groups clients offer (X25519, P-256, P-384; X25519MLKEM768 where supported):".into(),
        "  nginx:   ssl_ecdh_curve X25519MLKEM768:X25519:prime256v1:secp384r1;".into(),
        "  Apache:  SSLOpenSSLConfCmd Curves X25519MLKEM768:X25519:prime256v1:secp384r1".into(),
        "  HAProxy: ssl-default-bind-curves X25519:P-256:P-384".into(),
        "  Caddy:   tls { curves x25519mlkem768 x25519 secp256r1 secp384r1 }".into(),
    ]
}

/// Install a full chain on the server.
pub fn install_full_chain() -> Vec<String> {
    vec![
        "Server: serve the leaf certificate followed by every intermediate, in order (leaf, then the certificate that signed it, and so on; the root may be left out).".into(),
        "  nginx:   ssl_certificate /etc/ssl/fullchain.pem;   (cat leaf.pem intermediate.pem > fullchain.pem)".into(),
        "  Apache:  SSLCertificateFile /etc/ssl/fullchain.pem   (2.4.8+; older: SSLCertificateChainFile intermediate.pem)".into(),
        "  HAProxy: crt /etc/haproxy/site.pem   (leaf, intermediates and key in one file)".into(),
        "  Caddy:   tls /etc/ssl/fullchain.pem /etc/ssl/key.pem".into(),
        "  Let's Encrypt / certbot: use fullchain.pem, not cert.pem.".into(),
    ]
}

/// Get a new certificate from a public CA.
pub fn reissue_certificate(why: &str) -> Vec<String> {
    vec![
        format!("Server: replace the certificate ({why}) with one from a publicly trusted CA, e.g. `certbot certonly --webroot -w /var/www/html -d HOST`, then reload the server."),
        "  nginx: ssl_certificate / ssl_certificate_key; Apache: SSLCertificateFile / SSLCertificateKeyFile; HAProxy: crt; Caddy: automatic HTTPS does this for you.".into(),
    ]
}

/// For a private CA: make the client trust its root, per client library.
pub fn trust_private_root() -> Vec<String> {
    vec!["Client (private PKI): trust the CA's root — tlsdoctor/curl --ca-file/--cacert, Python REQUESTS_CA_BUNDLE, Java keytool -importcert, Node NODE_EXTRA_CA_CERTS, or the system store (update-ca-certificates).".into()]
}
