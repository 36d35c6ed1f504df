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
    vec!["Client (private PKI): trust the CA's root — `tlsdoctor diagnose HOST:PORT --ca-file root.pem`, `curl --cacert root.pem https://HOST:PORT/`, Python REQUESTS_CA_BUNDLE=root.pem, Java keytool -importcert, Node NODE_EXTRA_CA_CERTS=root.pem, or the system store (update-ca-certificates).".into()]
}

/// Present a client certificate, with each tool's real flags. `target` is
/// `host:port`.
pub fn present_client_certificate(target: &str, accepted: &str) -> Vec<String> {
    vec![
        format!("Client: present a certificate issued by {accepted}:"),
        format!("  tlsdoctor: `tlsdoctor diagnose {target} --client-cert client.pem --client-key client.key`"),
        format!("  curl:      `curl --cert client.pem --key client.key https://{target}/`"),
        format!("  openssl:   `openssl s_client -connect {target} -cert client.pem -key client.key`"),
        "  Python: ssl_context.load_cert_chain('client.pem', 'client.key'); Java: -Djavax.net.ssl.keyStore=client.p12.".into(),
    ]
}

/// The certificate's key type matches none of the enabled TLS 1.2 suites:
/// enable suites for it, or serve a certificate of each type.
pub fn match_key_type_and_suites() -> Vec<String> {
    const BOTH: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
    vec![
        "Server: enable suites for the certificate's key type (ECDHE-ECDSA-* for an ECDSA key, ECDHE-RSA-* for an RSA key), or serve one certificate of each type. Check the key type with `openssl x509 -noout -text -in cert.pem` (Public Key Algorithm).".into(),
        format!("  nginx:   ssl_ciphers {BOTH};   (or a second ssl_certificate / ssl_certificate_key pair of the other key type)"),
        format!("  Apache:  SSLCipherSuite {BOTH}   (or a second SSLCertificateFile / SSLCertificateKeyFile pair)"),
        format!("  HAProxy: ssl-default-bind-ciphers {BOTH}"),
        "Server, if only DHE suites are enabled: the ECDHE suites above work without DH parameters; to keep DHE, give the server parameters (nginx ssl_dhparam, Apache SSLOpenSSLConfCmd DHParameters, Python SSLContext.load_dh_params with an RFC 7919 group).".into(),
    ]
}

/// A stale OCSP staple: whoever supplies it stopped refreshing it. Covers a
/// staple served from a file and one the server fetches itself.
pub fn refresh_ocsp_staple(ocsp_url: Option<&str>) -> Vec<String> {
    let url = ocsp_url.unwrap_or("OCSP_URL");
    vec![
        format!("Server, staple from a file (nginx ssl_stapling_file, HAProxy crt-name.ocsp): fetch a fresh response before nextUpdate and reload, on a timer: `openssl ocsp -issuer issuer.pem -cert cert.pem -url {url} -respout staple.der`; or remove the file setting and let the server fetch responses itself."),
        "Server, fetching itself (nginx ssl_stapling on, Apache SSLUseStapling on with an SSLStaplingCache, HAProxy's runtime API `set ssl ocsp-response`): check that it can resolve and reach the OCSP responder named in the certificate (outgoing HTTP through the firewall), then reload.".into(),
    ]
}

/// Turn on OCSP stapling (a Must-Staple certificate needs it).
pub fn enable_ocsp_stapling() -> Vec<String> {
    vec![
        "Server: staple OCSP responses. nginx: `ssl_stapling on; ssl_stapling_verify on;` with a `resolver`; Apache: `SSLUseStapling On` and `SSLStaplingCache shmcb:/var/run/ocsp(128000)`; HAProxy 2.8+: `ocsp-update on` on the crt line; Caddy staples by itself.".into(),
        "Server: the server must reach the OCSP responder the certificate names (outgoing HTTP through the firewall); or get a certificate without Must-Staple.".into(),
    ]
}

/// The target as it goes into a command line in a fix (`host:port`, IPv6
/// bracketed), or `HOST:PORT` when observations carry no target.
pub(crate) fn target_arg(target: Option<&model::Target>) -> String {
    target.map_or_else(|| "HOST:PORT".to_string(), model::Target::display)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_staple_fix_covers_a_static_file_and_never_blames_verify_or_resolver() {
        let fix = refresh_ocsp_staple(Some("http://ocsp.example.com")).join("\n");
        assert!(fix.contains("ssl_stapling_file"), "{fix}");
        assert!(fix.contains("-url http://ocsp.example.com"), "{fix}");
        assert!(!fix.contains("ssl_stapling_verify"), "{fix}");
        assert!(!fix.contains("resolver"), "{fix}");
    }

    #[test]
    fn client_certificate_fix_uses_each_tools_own_flags() {
        let fix = present_client_certificate("example.com:443", "CN=Client CA").join("\n");
        assert!(fix.contains(
            "`tlsdoctor diagnose example.com:443 --client-cert client.pem --client-key client.key`"
        ));
        assert!(fix.contains("`curl --cert client.pem --key client.key https://example.com:443/`"));
        assert!(!fix.contains("tlsdoctor/curl"));
    }
}
