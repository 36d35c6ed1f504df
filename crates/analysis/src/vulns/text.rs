//! What each vulnerability means and how to fix it: the `explanation` and
//! `fix` of every check, documented at length in docs/vulnerabilities.md.

/// `(explanation, fix)` for the check called `name`.
pub(super) fn about(name: &str) -> (&'static str, &'static str) {
    match name {
        "heartbleed" => (
            "Heartbleed (CVE-2014-0160): OpenSSL 1.0.1 through 1.0.1f answer a TLS heartbeat request with as many bytes as the request claims, copying past the real payload into the server's memory. Anyone who can connect reads up to 64 KiB of process memory per request, without a trace in the logs: private keys, session keys, passwords and cookies of other users.",
            "Upgrade OpenSSL (1.0.1g or later; every supported release is fixed) and restart every process linked to it, then replace the certificate and key (they may have leaked) and revoke the old certificate. Where an upgrade must wait, rebuild OpenSSL with -DOPENSSL_NO_HEARTBEATS.",
        ),
        "ccs_injection" => (
            "CCS injection (CVE-2014-0224): OpenSSL before 0.9.8za, 1.0.0m and 1.0.1h accepts a ChangeCipherSpec before the key exchange and switches to keys derived from an empty master secret. A man in the middle who can inject it into both sides' handshakes (both must be vulnerable for the full attack; a vulnerable server alone still allows hijacking with some clients) decrypts and modifies the traffic.",
            "Upgrade OpenSSL to a fixed release (0.9.8za, 1.0.0m, 1.0.1h or later; every supported release is fixed) and restart the services that use it.",
        ),
        "robot" => (
            "ROBOT (Return Of Bleichenbacher's Oracle Threat, 2017): the server answers RSA-encrypted ClientKeyExchange messages differently depending on whether their PKCS#1 v1.5 padding is valid. With tens of thousands of such queries an attacker decrypts a recorded session that used RSA key exchange, or signs messages with the server's key, without ever learning the key.",
            "Disable RSA key exchange (keep ECDHE/DHE suites), which also gives forward secrecy:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20\nand apply the vendor's ROBOT patch (F5, Citrix, Cisco, Radware and others issued fixes).",
        ),
        "poodle_ssl3" => (
            "POODLE (CVE-2014-3566): SSL 3.0 does not check CBC padding bytes, so a man in the middle who can make a browser send many requests (JavaScript on any page) and can force a fallback to SSL 3.0 decrypts a secret such as a cookie one byte per 256 requests.",
            "Disable SSL 3.0:\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2",
        ),
        "beast" => (
            "BEAST (CVE-2011-3389): in SSL 3.0 and TLS 1.0 the IV of each CBC record is the last ciphertext block of the previous one, so an attacker who injects chosen plaintext (script in the victim's browser) and watches the wire guesses a secret such as a cookie block by block. Current browsers split records (1/n-1) and are not affected; old clients and non-browser clients may be.",
            "Disable TLS 1.0 (and SSL 3.0); TLS 1.1 and later use explicit IVs:\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2",
        ),
        "sweet32" => (
            "SWEET32 (CVE-2016-2183): ciphers with a 64-bit block (3DES, DES, IDEA, RC2) repeat ciphertext blocks after about 2^32 blocks (32 GiB); an attacker who makes a client send that much on one connection (a long-lived HTTPS session with script) recovers secrets such as cookies from the collisions.",
            "Remove 64-bit block ciphers:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!3DES:!DES:!IDEA:!RC2;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20:!3DES\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!3DES",
        ),
        "freak" => (
            "FREAK (CVE-2015-0204): the server accepts export-grade RSA suites (512-bit temporary RSA keys). A man in the middle downgrades a vulnerable client to such a suite, factors the 512-bit key in hours (once per server restart, the key is reused), and then reads and changes the traffic.",
            "Remove export suites (they are in no current default):\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!EXPORT;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20:!EXP\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!EXPORT\nand upgrade OpenSSL if it still offers them.",
        ),
        "logjam" => (
            "Logjam (CVE-2015-4000): finite-field Diffie-Hellman with export groups (512 bits), small primes, or a 1024-bit prime shared by many servers can be broken: a man in the middle downgrades to export DHE and solves the discrete log in minutes, and a well-funded attacker precomputes a common 1024-bit prime once and then reads every session that used it.",
            "Prefer ECDHE, remove export suites, and give DHE a 2048-bit (or larger) group such as ffdhe2048:\n  nginx:   ssl_dhparam /etc/nginx/ffdhe2048.pem;   (or drop DHE: ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;)\n  Apache:  SSLOpenSSLConfCmd DHParameters /etc/ssl/ffdhe2048.pem\n  HAProxy: ssl-dh-param-file /etc/haproxy/ffdhe2048.pem   (or tune.ssl.default-dh-param 2048)",
        ),
        "drown" => (
            "DROWN (CVE-2016-0800): a server that speaks SSL 2.0 acts as a Bleichenbacher oracle that decrypts RSA key exchanges; an attacker who recorded a modern TLS session using the same RSA key (on this or any other server sharing the key or certificate) decrypts it with tens of thousands of SSLv2 connections.",
            "Disable SSL 2.0 everywhere the key or certificate is used (web, mail, other ports), and upgrade OpenSSL (1.0.2g / 1.0.1s or later drop SSLv2):\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2\nIf another server must keep SSLv2, give it a different key and certificate.",
        ),
        "crime" => (
            "CRIME (CVE-2012-4929): with TLS compression, the length of each encrypted record depends on how well secret and attacker-chosen text compress together; an attacker who injects requests and watches record sizes recovers secrets such as session cookies a few requests per byte.",
            "Disable TLS compression (OpenSSL 1.1.0 and later disable it by default; for older builds):\n  nginx:   compression is off since nginx 1.3.2 / 1.2.2 with OpenSSL 1.0\n  Apache:  SSLCompression off\n  HAProxy: built against OpenSSL 1.1.0 or later it never compresses; otherwise upgrade OpenSSL",
        ),
        "ticketbleed" => (
            "Ticketbleed (CVE-2016-9244): F5 BIG-IP TLS stacks answer a session-ticket resumption with a session ID shorter than 32 bytes by echoing 32 bytes anyway, the rest taken from uninitialised memory. Each connection leaks up to 31 bytes that may hold other users' session keys or data.",
            "Apply F5's fix for K05121675 (BIG-IP 11.6.1 HF2, 12.1.2 HF1, 13.0.0 or later), or until then disable session tickets in the Client SSL profile (Session Ticket: Disabled).",
        ),
        "insecure_renegotiation" => (
            "Insecure renegotiation (CVE-2009-3555): without RFC 5746 renegotiation_info, a man in the middle can open a connection to the server, send a request of its own, and then splice the victim's handshake into it as a renegotiation; the server treats the attacker's prefix as sent by the authenticated victim.",
            "Upgrade the TLS library (every release since 2010 supports RFC 5746), or disable renegotiation:\n  nginx:   renegotiation is disabled since 1.0.0 (upgrade)\n  Apache:  SSLInsecureRenegotiation off\n  HAProxy: disable renegotiation by upgrading OpenSSL (1.1.0 refuses client renegotiation)",
        ),
        "client_renegotiation" => (
            "Client-initiated renegotiation: a server that lets clients start a new handshake inside an existing connection gives them a cheap way to make it do expensive public-key operations over and over (a denial of service), and is needed for insecure-renegotiation attacks.",
            "Refuse client-initiated renegotiation:\n  nginx:   refused since nginx 0.8.23\n  Apache:  refused since 2.2.15 / 2.4 (do not set SSLInsecureRenegotiation on)\n  HAProxy: refused with OpenSSL 1.1.0 or later (SSL_OP_NO_RENEGOTIATION)\nand consider TLS 1.3, which has no renegotiation.",
        ),
        "fallback_scsv" => (
            "Missing TLS_FALLBACK_SCSV (RFC 7507): browsers that retry a failed handshake with an older protocol version mark the retry with this signal; a server that ignores it lets a man in the middle provoke such retries and downgrade the connection to the weakest version both sides speak (the POODLE and BEAST prerequisite).",
            "Upgrade the TLS library (OpenSSL 1.0.1j and later honour the SCSV), and disable old versions so that there is nothing weak to fall back to:\n  nginx:   ssl_protocols TLSv1.2 TLSv1.3;\n  Apache:  SSLProtocol -all +TLSv1.2 +TLSv1.3\n  HAProxy: ssl-default-bind-options ssl-min-ver TLSv1.2",
        ),
        "rc4" => (
            "RC4 (RFC 7465 forbids it): the RC4 keystream has biases that let an attacker who sees the same secret encrypted in many connections (cookies in millions of requests) recover it; RC4 suites are prohibited in TLS and current clients refuse them.",
            "Remove RC4:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!RC4;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20:!RC4\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!RC4",
        ),
        "lucky13" => (
            "LUCKY13 (CVE-2013-0169): CBC suites authenticate before they encrypt (MAC-then-encrypt), and implementations that take slightly different time for different padding leak plaintext through timing to an attacker on the network path. Fixed libraries are constant-time, so this finding is a heuristic: CBC is accepted, and only the implementation decides whether it leaks.",
            "Prefer AEAD suites (AES-GCM, ChaCha20-Poly1305) and drop CBC where clients allow:\n  nginx:   ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;\n  Apache:  SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20\n  HAProxy: ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20\nand keep the TLS library current (constant-time CBC, encrypt-then-MAC).",
        ),
        _ => ("", ""),
    }
}
