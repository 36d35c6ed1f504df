# One-off generator for the published (not captured) client profiles.
# The JSON files it writes are the data; this script only spells the code
# points as registry names.
import csv, json, os
W = "/work/main/crates/wire/data"
def table(f, key="code", name="name"):
    rows = [l for l in open(os.path.join(W, f)) if not l.startswith("#")]
    return {int(r[key], 16) if r[key].startswith("0x") or r[key].startswith("0X") else int(r[key]): r[name] for r in csv.DictReader(rows)}
SUITES = table("cipher-suites.csv", name="iana_name")
GROUPS = table("groups.csv")
SIGS = table("signature-schemes.csv")
def n(tab, codes): return [tab.get(c, "0x%04x" % c) for c in codes]
OUT = "/work/main/crates/analysis/data/clients"

CHROME_SIGS = [0x0403,0x0804,0x0401,0x0503,0x0805,0x0501,0x0806,0x0601]
def profile(name, description, source, versions, suites, groups, key_shares, sigs, *, alpn=("h2","http/1.1"),
            grease=False, sni=True, revocation=False, store="mozilla", min_dh=1024, min_rsa=1024, sha1=True, legacy=True, extensions=(), roots=None):
    d = {"name": name, "description": description, "source": source, "captured": False,
         "versions": versions, "cipher_suites": n(SUITES, suites), "groups": n(GROUPS, groups),
         "key_shares": n(GROUPS, key_shares), "signature_algorithms": n(SIGS, sigs),
         "extensions": list(extensions), "alpn": list(alpn), "grease": grease, "sni": sni,
         "checks_revocation": revocation, "trust_store": store, "min_dh_bits": min_dh,
         "min_rsa_bits": min_rsa, "rejects_sha1_certificates": sha1, "legacy_signatures": legacy}
    if roots:
        # The shipped snapshot of the platform's root store (crates/analysis/data/roots).
        d = {**{k: v for k, v in d.items() if k != "min_dh_bits" and k != "min_rsa_bits" and k != "rejects_sha1_certificates" and k != "legacy_signatures"},
             "root_store": roots, "min_dh_bits": min_dh, "min_rsa_bits": min_rsa,
             "rejects_sha1_certificates": sha1, "legacy_signatures": legacy}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(d, f, indent=2); f.write("\n")

CHROME_EXT = ["server_name","extended_master_secret","renegotiation_info","supported_groups","ec_point_formats",
              "session_ticket","application_layer_protocol_negotiation","status_request","signature_algorithms",
              "signed_certificate_timestamp","key_share","psk_key_exchange_modes","supported_versions",
              "compress_certificate","encrypted_client_hello"]
chrome131 = [0x1301,0x1302,0x1303,0xc02b,0xc02f,0xc02c,0xc030,0xcca9,0xcca8,0xc013,0xc014,0x009c,0x009d,0x002f,0x0035]
SRC_CHROME = ("Chromium/BoringSSL defaults: net/socket/ssl_client_socket_impl.cc and ssl/ssl_cipher.cc "
    "(https://chromium.googlesource.com/chromium/src/+/refs/tags/131.0.6778.69/net/socket/ssl_client_socket_impl.cc), "
    "X25519MLKEM768 by default since Chrome 131 (https://security.googleblog.com/2024/09/a-new-path-for-kyber-on-web.html); "
    "the lists match the chromium-156 capture here except that build's ML-DSA signature schemes; "
    "revocation through CRLSets only; extension order is randomised since Chrome 110")
profile("chrome-131", "Google Chrome 131 (desktop, 2024)", SRC_CHROME, ["tls1_3","tls1_2"], chrome131,
        [0x11ec,0x001d,0x0017,0x0018], [0x11ec,0x001d], CHROME_SIGS, grease=True, revocation=True,
        store="chrome", min_dh=0, extensions=CHROME_EXT)
profile("edge-131", "Microsoft Edge 131 (Chromium; Windows 11)",
        "Edge is Chromium with BoringSSL: the hello equals Chrome 131's (" + SRC_CHROME + "); "
        "certificates are verified by the Microsoft root program store",
        ["tls1_3","tls1_2"], chrome131, [0x11ec,0x001d,0x0017,0x0018], [0x11ec,0x001d], CHROME_SIGS,
        grease=True, revocation=True, store="microsoft", min_dh=0, extensions=CHROME_EXT, roots="windows-2017")
profile("chrome-70", "Google Chrome 70 (2018: first with final TLS 1.3; TLS 1.0/1.1 until Chrome 84, 3DES until Chrome 93)",
        "BoringSSL/Chromium 70 defaults (https://chromium.googlesource.com/chromium/src/+/refs/tags/70.0.3538.110/net/socket/ssl_client_socket_impl.cc); "
        "TLS 1.0/1.1 removed in Chrome 84 (https://chromestatus.com/feature/5759116003770368); "
        "DHE suites removed in Chrome 53 (https://www.chromestatus.com/feature/5128908798164992)",
        ["tls1_3","tls1_2","tls1_1","tls1_0"], chrome131 + [0x000a], [0x001d,0x0017,0x0018], [0x001d],
        CHROME_SIGS + [0x0201], grease=True, revocation=True, store="chrome", min_dh=0)
FF_SIGS = [0x0403,0x0503,0x0603,0x0804,0x0805,0x0806,0x0401,0x0501,0x0601,0x0203,0x0201]
SRC_NSS = ("NSS defaults as Firefox ships them (security/manager/ssl/nsNSSComponent.cpp, "
    "https://searchfox.org/mozilla-esr128/source/security/manager/ssl/nsNSSComponent.cpp, and "
    "https://wiki.mozilla.org/Security/Server_Side_TLS); TLS 1.0/1.1 off by default since Firefox 78; "
    "revocation: OCSP soft-fail and CRLite; trust: Mozilla's root program (NSS)")
profile("firefox-128", "Mozilla Firefox 128 ESR (2024)", SRC_NSS, ["tls1_3","tls1_2"],
        [0x1301,0x1303,0x1302,0xc02b,0xc02f,0xcca9,0xcca8,0xc02c,0xc030,0xc00a,0xc009,0xc013,0xc014,0x009c,0x009d,0x002f,0x0035],
        [0x001d,0x0017,0x0018,0x0019,0x0100,0x0101], [0x001d,0x0017], FF_SIGS, revocation=True)
profile("firefox-60", "Mozilla Firefox 60 ESR (2018)", SRC_NSS + "; Firefox 60 still offered DHE, 3DES and TLS 1.0/1.1",
        ["tls1_3","tls1_2","tls1_1","tls1_0"],
        [0x1301,0x1303,0x1302,0xc02b,0xc02f,0xcca9,0xcca8,0xc02c,0xc030,0xc00a,0xc009,0xc013,0xc014,0x0033,0x0039,0x002f,0x0035,0x000a],
        [0x001d,0x0017,0x0018,0x0019,0x0100,0x0101], [0x001d], FF_SIGS, revocation=True)
SRC_APPLE = ("Apple Secure Transport / Network.framework defaults as recorded in SSL Labs' client list "
    "(https://api.ssllabs.com/api/v3/getClients) and Apple's TLS notes (https://support.apple.com/en-us/103214); "
    "trust: Apple's root store (https://support.apple.com/en-us/103272)")
profile("safari-17", "Apple Safari 17 (macOS 14 / iOS 17)", SRC_APPLE, ["tls1_3","tls1_2","tls1_1","tls1_0"],
        [0x1301,0x1302,0x1303,0xc02c,0xc02b,0xcca9,0xc030,0xc02f,0xcca8,0xc00a,0xc009,0xc014,0xc013,0x009d,0x009c,0x0035,0x002f,0xc008,0xc012,0x000a],
        [0x001d,0x0017,0x0018,0x0019], [0x001d],
        [0x0403,0x0804,0x0401,0x0503,0x0203,0x0805,0x0501,0x0806,0x0601,0x0201], grease=True, revocation=True, store="apple", roots="macos-2017")
profile("safari-10", "Apple Safari 10 (macOS 10.12 / iOS 10, 2016; no TLS 1.3)", SRC_APPLE, ["tls1_2","tls1_1","tls1_0"],
        [0xc02c,0xc02b,0xc024,0xc023,0xc00a,0xc009,0xc030,0xc02f,0xc028,0xc027,0xc014,0xc013,0x009d,0x009c,0x003d,0x003c,0x0035,0x002f,0xc008,0xc012,0x000a],
        [0x0017,0x0018,0x0019], [], [0x0401,0x0201,0x0501,0x0601,0x0403,0x0203,0x0503,0x0603],
        revocation=True, store="apple", sha1=False, roots="macos-2017")
profile("edge-18", "Microsoft Edge 18 (EdgeHTML, Windows 10 1809; SChannel, no TLS 1.3)",
        "Windows 10 1809 SChannel default cipher suite order (https://learn.microsoft.com/en-us/windows/win32/secauthn/tls-cipher-suites-in-windows-10-v1809) "
        "and SSL Labs' client list (https://api.ssllabs.com/api/v3/getClients); trust: Microsoft root program",
        ["tls1_2","tls1_1","tls1_0"],
        [0xc02c,0xc02b,0xc030,0xc02f,0xc024,0xc023,0xc028,0xc027,0xc00a,0xc009,0xc014,0xc013,0x009d,0x009c,0x003d,0x003c,0x0035,0x002f,0x000a],
        [0x001d,0x0017,0x0018], [], [0x0804,0x0805,0x0806,0x0401,0x0501,0x0601,0x0403,0x0503,0x0603,0x0201,0x0203],
        revocation=True, store="microsoft", roots="windows-2017")
SRC_ANDROID = ("Android platform defaults (Conscrypt/BoringSSL; https://developer.android.com/reference/javax/net/ssl/SSLSocket#default-configuration-for-different-android-versions) "
    "and SSL Labs' client list (https://api.ssllabs.com/api/v3/getClients); trust: the Android system store")
profile("android-4.4", "Android 4.4.2 KitKat (OpenSSL 1.0.1-based; TLS 1.2 in its default HTTPS stack)",
        SRC_ANDROID + "; 0xcc13/0xcc14 are the pre-RFC ChaCha20-Poly1305 code points",
        ["tls1_2","tls1_1","tls1_0"],
        [0xcc14,0xcc13,0xc02b,0xc02f,0x009e,0xc00a,0xc009,0xc013,0xc014,0xc007,0xc011,0x0033,0x0032,0x0039,0x009c,0x002f,0x0035,0x000a,0x0005,0x0004],
        [0x0017,0x0018,0x0019], [], [0x0601,0x0603,0x0501,0x0503,0x0401,0x0403,0x0301,0x0303,0x0201,0x0203,0x0202,0x0402],
        alpn=("http/1.1",), store="android", sha1=False, roots="android-4.4")
profile("android-7.0", "Android 7.0 Nougat (BoringSSL; offers only the P-256 curve, a known 7.0 defect fixed in 7.1.1)",
        SRC_ANDROID + "; the P-256-only curve list: https://issuetracker.google.com/issues/37122132",
        ["tls1_2","tls1_1","tls1_0"],
        [0xc02b,0xc02c,0xcca9,0xc02f,0xc030,0xcca8,0xc009,0xc00a,0xc013,0xc014,0x009c,0x009d,0x002f,0x0035],
        [0x0017], [], [0x0601,0x0603,0x0501,0x0503,0x0401,0x0403,0x0201,0x0203],
        alpn=("h2","http/1.1"), store="android", min_dh=0)
profile("android-14", "Android 11 and later (Android 14, Conscrypt/BoringSSL, TLS 1.3)", SRC_ANDROID, ["tls1_3","tls1_2"],
        [0x1301,0x1302,0x1303,0xc02b,0xc02c,0xcca9,0xc02f,0xc030,0xcca8,0xc009,0xc00a,0xc013,0xc014,0x009c,0x009d,0x002f,0x0035],
        [0x001d,0x0017,0x0018], [0x001d], [0x0403,0x0804,0x0401,0x0503,0x0805,0x0501,0x0806,0x0601,0x0201],
        store="android", min_dh=0)
SRC_JAVA = ("JSSE defaults: the JDK Security Developer's Guide and java.security (jdk.tls.disabledAlgorithms) of that release "
    "(https://docs.oracle.com/javase/8/docs/technotes/guides/security/SunProviders.html, "
    "https://www.java.com/en/configure_crypto.html); trust: the JDK cacerts store")
profile("java-8", "Java 8u202 (Oracle/OpenJDK; TLS 1.2 at most by default, 2019)", SRC_JAVA + "; TLS 1.0/1.1 disabled from 8u291, TLS 1.3 client default from 8u341",
        ["tls1_2","tls1_1","tls1_0"],
        [0xc02c,0xc02b,0xc030,0x009d,0xc02e,0xc032,0x009f,0x00a3,0xc02f,0x009c,0xc02d,0xc031,0x009e,0x00a2,0xc024,0xc028,0x003d,0xc026,0xc02a,0x006b,0x006a,
         0xc00a,0xc014,0x0035,0xc005,0xc00f,0x0039,0x0038,0xc023,0xc027,0x003c,0xc025,0xc029,0x0067,0x0040,0xc009,0xc013,0x002f,0xc004,0xc00e,0x0033,0x0032,0x00ff],
        [0x0017,0x0018,0x0019,0x0009,0x000a,0x000b,0x000c,0x000d,0x000e,0x0016], [],
        [0x0603,0x0601,0x0503,0x0501,0x0403,0x0401,0x0303,0x0301,0x0203,0x0201,0x0202],
        alpn=(), sni=True, store="java", min_dh=1024)
java17 = json.load(open(os.path.join(OUT, "java-17.json")))
for name, desc, extra, drop_static in [
    ("java-11", "Java 11.0.11+ (OpenJDK; TLS 1.0/1.1 disabled since 11.0.11)",
     "the JDK 11 defaults equal the JDK 17 list captured here (java-17.json; JDK-8202343 and the TLS 1.3 backports keep them aligned)", False),
    ("java-21", "Java 21 (OpenJDK LTS)",
     "the JDK 17 list captured here (java-17.json) without the static ECDH suites JDK 20 removed from the defaults (JDK-8279164)", True)]:
    d = dict(java17)
    d["name"], d["description"], d["captured"] = name, desc, False
    d["source"] = SRC_JAVA + "; " + extra
    if drop_static:
        d["cipher_suites"] = [s for s in d["cipher_suites"] if not s.startswith("TLS_ECDH_")]
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(d, f, indent=2); f.write("\n")
OSSL_SIGS_102 = [0x0601,0x0602,0x0603,0x0501,0x0502,0x0503,0x0401,0x0402,0x0403,0x0301,0x0302,0x0303,0x0201,0x0202,0x0203]
profile("openssl-1.0.2", "OpenSSL 1.0.2 defaults (s_client, libcurl, Python 2.7 on RHEL 7 / Ubuntu 16.04; no TLS 1.3)",
        "OpenSSL 1.0.2u: `openssl ciphers -V DEFAULT` order and ssl/t1_lib.c (eccurves_default, tls12_sigalgs), https://github.com/openssl/openssl/blob/OpenSSL_1_0_2u/ssl/t1_lib.c; "
        "DH primes under 768 bits refused since 1.0.2b (Logjam)",
        ["tls1_2","tls1_1","tls1_0"],
        [0xc030,0xc02c,0xc028,0xc024,0xc014,0xc00a,0x00a5,0x00a3,0x00a1,0x009f,0x006b,0x006a,0x0069,0x0068,0x0039,0x0038,0x0037,0x0036,0x0088,0x0087,0x0086,0x0085,
         0xc032,0xc02e,0xc02a,0xc026,0xc00f,0xc005,0x009d,0x003d,0x0035,0x0084,0xc02f,0xc02b,0xc027,0xc023,0xc013,0xc009,0x00a4,0x00a2,0x00a0,0x009e,0x0067,0x0040,
         0x003f,0x003e,0x0033,0x0032,0x0031,0x0030,0x009a,0x0099,0x0098,0x0097,0x0045,0x0044,0x0043,0x0042,0xc031,0xc02d,0xc029,0xc025,0xc00e,0xc004,0x009c,0x003c,
         0x002f,0x0096,0x0041,0xc011,0xc007,0xc00c,0xc002,0x0005,0x0004,0xc012,0xc008,0x0016,0x0013,0x0010,0x000d,0xc00d,0xc003,0x000a,0x00ff],
        [0x000e,0x000d,0x0019,0x001c,0x000b,0x000c,0x001b,0x0018,0x0009,0x000a,0x001a,0x0016,0x0017,0x0008,0x0006,0x0007,0x0014,0x0015,0x0004,0x0005,0x0012,0x0013,0x0001,0x0002,0x0003,0x000f,0x0010,0x0011],
        [], OSSL_SIGS_102, alpn=(), store="system", min_dh=768, sha1=False)
profile("openssl-1.1.1", "OpenSSL 1.1.1 defaults (Debian 10/11, Ubuntu 18.04-20.04, RHEL 8)",
        "OpenSSL 1.1.1w: `openssl ciphers -V` default order, ssl/t1_lib.c (supported_groups_default, tls12_sigalgs), https://github.com/openssl/openssl/blob/OpenSSL_1_1_1w/ssl/t1_lib.c; "
        "default security level 1 (RSA/DH ≥ 1024 bits); SHA-1 still accepted at level 1 in 1.1.1",
        ["tls1_3","tls1_2","tls1_1","tls1_0"],
        [0x1302,0x1303,0x1301,0xc02c,0xc030,0x009f,0xcca9,0xcca8,0xccaa,0xc02b,0xc02f,0x009e,0xc024,0xc028,0x006b,0xc023,0xc027,0x0067,0xc00a,0xc014,0x0039,0xc009,0xc013,0x0033,0x009d,0x009c,0x003d,0x003c,0x0035,0x002f,0x00ff],
        [0x001d,0x0017,0x001e,0x0019,0x0018], [0x001d],
        [0x0403,0x0503,0x0603,0x0807,0x0808,0x0809,0x080a,0x080b,0x0804,0x0805,0x0806,0x0401,0x0501,0x0601,0x0303,0x0203,0x0301,0x0201,0x0302,0x0202,0x0402,0x0502,0x0602],
        alpn=(), store="system", sha1=False)
profile("go-1.22", "Go 1.22 crypto/tls client defaults (2024)",
        "Go crypto/tls defaults.go and common.go at go1.22 (https://github.com/golang/go/blob/go1.22.0/src/crypto/tls/cipher_suites.go); "
        "RSA key exchange suites left the default list in Go 1.22 (https://go.dev/doc/go1.22#crypto/tls); TLS 1.2 minimum for clients since Go 1.18; "
        "X25519Kyber768 by default from Go 1.23, X25519MLKEM768 from Go 1.24; trust: the system store",
        ["tls1_3","tls1_2"],
        [0x1301,0x1302,0x1303,0xc02b,0xc02f,0xc02c,0xc030,0xcca9,0xcca8,0xc009,0xc013,0xc00a,0xc014],
        [0x001d,0x0017,0x0018,0x0019], [0x001d],
        [0x0804,0x0805,0x0806,0x0401,0x0501,0x0601,0x0403,0x0503,0x0603,0x0807,0x0201,0x0203],
        alpn=(), store="system", min_dh=0)
profile("cloudflare-origin", "Cloudflare's edge connecting to an origin server (Full / Full strict SSL modes)",
        "Cloudflare docs, origin cipher suites (https://developers.cloudflare.com/ssl/origin-configuration/cipher-suites/) and "
        "post-quantum to origins (https://developers.cloudflare.com/ssl/post-quantum-cryptography/pqc-to-origin/); the edge offers TLS 1.0-1.3 "
        "to origins; trust: publicly trusted CAs or Cloudflare Origin CA in Full (strict) mode, none in Full mode (read as Mozilla's store here)",
        ["tls1_3","tls1_2","tls1_1","tls1_0"],
        [0x1301,0x1302,0x1303,0xc02b,0xcca9,0xc02f,0xcca8,0xc02c,0xc030,0xc023,0xc027,0xc024,0xc028,0xc009,0xc013,0x009c,0x003c,0x002f,0xc014,0x009d,0x003d,0x0035,0x000a],
        [0x001d,0x0017,0x0018,0x0019], [0x001d],
        [0x0403,0x0804,0x0401,0x0503,0x0805,0x0501,0x0806,0x0601,0x0201,0x0203],
        alpn=(), store="mozilla", min_dh=0)
