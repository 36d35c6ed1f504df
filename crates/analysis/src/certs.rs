//! Certificates: what each one says (x509-parser) and whether the chain is
//! trusted (webpki), judged against several trust stores and clocks.
//!
//! Pure: the trust stores come in as DER, the time as a value.

use ::time::OffsetDateTime;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
use x509_parser::prelude::{
    FromDer, GeneralName, ParsedExtension, SubjectPublicKeyInfo, X509Certificate, X509Name,
};
use x509_parser::public_key::PublicKey;

use crate::platform_roots::Platform;
use crate::text::sanitize;

/// The facts about one certificate that diagnoses and reports use.
/// Text fields are attacker-controlled and already stripped of control characters.
#[derive(Clone, Debug)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Raw DER of the subject and issuer names, to link a chain.
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
    pub common_name: Option<String>,
    pub issuer_organization: Option<String>,
    pub issuer_common_name: Option<String>,
    pub sans: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub key: KeyInfo,
    /// e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// SHA-1 or MD5 signature.
    pub weak_signature: bool,
    pub is_ca: bool,
    pub self_issued: bool,
    pub sha256_fingerprint: String,
    /// caIssuers URLs from Authority Information Access (RFC 5280 §4.2.2.1):
    /// where the issuer's certificate can be fetched. Public CAs set it;
    /// private CAs usually do not.
    pub ca_issuers: Vec<String>,
    /// OCSP responder URLs from Authority Information Access (id-ad-ocsp).
    pub ocsp_urls: Vec<String>,
    /// CRL distribution point URLs (RFC 5280 §4.2.1.13, full names only).
    pub crl_urls: Vec<String>,
    /// Upper-case hex SHA-1 of the DER (for matching with older tools).
    pub sha1_fingerprint: String,
    /// The TLS Feature extension (RFC 7633) lists status_request (5).
    pub must_staple: bool,
    /// Embedded SCTs (RFC 6962 §3.3): the log ID of each, lower-case hex.
    /// The count is the list's length.
    pub sct_log_ids: Vec<String>,
    /// subjectKeyIdentifier (RFC 5280 §4.2.1.2), to link a chain by key.
    pub subject_key_id: Option<Vec<u8>>,
    /// authorityKeyIdentifier's keyIdentifier (RFC 5280 §4.2.1.1): the
    /// issuer's subjectKeyIdentifier.
    pub authority_key_id: Option<Vec<u8>>,
}

/// The certificate's public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `Ed25519`, ...
    pub algorithm: String,
    pub bits: u32,
    /// Curve name for EC keys.
    pub curve: Option<String>,
}

impl KeyInfo {
    /// Keys that browsers and current libraries refuse: RSA/DSA under 2048
    /// bits (CA/Browser Forum Baseline Requirements §6.1.5), EC under 256.
    pub fn is_weak(&self) -> bool {
        match self.algorithm.as_str() {
            "RSA" | "DSA" => self.bits < 2048,
            "EC" => self.bits < 256,
            _ => false,
        }
    }

    pub fn describe(&self) -> String {
        match &self.curve {
            Some(curve) => format!("{} {} ({} bits)", self.algorithm, curve, self.bits),
            None => format!("{} {} bits", self.algorithm, self.bits),
        }
    }
}

/// Parses one DER certificate. `None` when it is not a certificate at all.
pub fn parse(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let first = |name: &X509Name<'_>, oid| {
        name.iter_by_oid(oid)
            .next()
            .and_then(|a| a.as_str().ok())
            .map(sanitize)
    };
    let sans = tbs
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(d) => Some(sanitize(d)),
                    GeneralName::IPAddress(ip) => ip_text(ip),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let signature_algorithm = signature_name(&sig_oid);
    let weak_signature = matches!(
        sig_oid.as_str(),
        "1.2.840.113549.1.1.5"
            | "1.2.840.113549.1.1.4"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3"
            | "1.3.14.3.2.29"
    );
    let is_ca = tbs
        .basic_constraints()
        .ok()
        .flatten()
        .map(|bc| bc.value.ca)
        .unwrap_or(false);
    Some(CertInfo {
        subject: sanitize(&tbs.subject.to_string()),
        issuer: sanitize(&tbs.issuer.to_string()),
        subject_der: tbs.subject.as_raw().to_vec(),
        issuer_der: tbs.issuer.as_raw().to_vec(),
        common_name: first(&tbs.subject, &OID_X509_COMMON_NAME),
        issuer_organization: first(&tbs.issuer, &OID_X509_ORGANIZATION_NAME),
        issuer_common_name: first(&tbs.issuer, &OID_X509_COMMON_NAME),
        sans,
        not_before: tbs.validity.not_before.to_datetime(),
        not_after: tbs.validity.not_after.to_datetime(),
        key: key_info(tbs.public_key()),
        signature_algorithm,
        weak_signature,
        is_ca,
        self_issued: tbs.subject.as_raw() == tbs.issuer.as_raw(),
        sha256_fingerprint: sha256_hex(der),
        ca_issuers: aia_urls(&cert, CA_ISSUERS),
        ocsp_urls: aia_urls(&cert, OCSP),
        crl_urls: crl_urls(&cert),
        sha1_fingerprint: sha1_hex(der),
        must_staple: must_staple(&cert),
        sct_log_ids: sct_log_ids(&cert),
        subject_key_id: key_ids(&cert).0,
        authority_key_id: key_ids(&cert).1,
    })
}

/// id-ad-caIssuers (RFC 5280 §4.2.2.1).
const CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";
/// id-ad-ocsp.
const OCSP: &str = "1.3.6.1.5.5.7.48.1";
/// id-pe-tlsfeature (RFC 7633 §6).
const TLS_FEATURE: &str = "1.3.6.1.5.5.7.1.24";
/// The TLS extension status_request (RFC 6066 §8).
const STATUS_REQUEST: u64 = 5;

/// Authority Information Access URLs for one access method.
fn aia_urls(cert: &X509Certificate<'_>, method: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for desc in &aia.accessdescs {
                if desc.access_method.to_id_string() == method {
                    if let GeneralName::URI(uri) = &desc.access_location {
                        urls.push(sanitize(uri));
                    }
                }
            }
        }
    }
    urls
}

/// The URIs among the CRL distribution points' full names.
fn crl_urls(cert: &X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::DistributionPointName;
    let mut urls = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::CRLDistributionPoints(points) = ext.parsed_extension() {
            for point in points.iter() {
                if let Some(DistributionPointName::FullName(names)) = &point.distribution_point {
                    for name in names {
                        if let GeneralName::URI(uri) = name {
                            urls.push(sanitize(uri));
                        }
                    }
                }
            }
        }
    }
    urls
}

/// RFC 7633: `Features ::= SEQUENCE OF INTEGER` holding status_request.
fn must_staple(cert: &X509Certificate<'_>) -> bool {
    cert.extensions()
        .iter()
        .filter(|e| e.oid.to_id_string() == TLS_FEATURE)
        .any(|e| tls_features(e.value).is_some_and(|f| f.contains(&STATUS_REQUEST)))
}

/// Decodes `SEQUENCE OF INTEGER`: every integer that fits in a u64.
/// `None` when the bytes are not that shape.
fn tls_features(der: &[u8]) -> Option<Vec<u64>> {
    crate::der::integer_sequence(der)
}

/// (subjectKeyIdentifier, authorityKeyIdentifier.keyIdentifier).
fn key_ids(cert: &X509Certificate<'_>) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let mut ids = (None, None);
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => ids.0 = Some(id.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                ids.1 = aki.key_identifier.as_ref().map(|id| id.0.to_vec());
            }
            _ => {}
        }
    }
    ids
}

/// The log ID of each embedded SCT (x509-parser decodes the list).
fn sct_log_ids(cert: &X509Certificate<'_>) -> Vec<String> {
    cert.extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::SCT(list) => Some(list),
            _ => None,
        })
        .flatten()
        .map(|sct| hex::encode(sct.id.key_id))
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string()),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            Some(std::net::Ipv6Addr::from(octets).to_string())
        }
        _ => None,
    }
}

fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => KeyInfo {
            algorithm: "RSA".into(),
            bits: u32::try_from(rsa.key_size()).unwrap_or(0),
            curve: None,
        },
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| curve_name(&oid.to_id_string()));
            KeyInfo {
                algorithm: "EC".into(),
                bits: u32::try_from(point.key_size()).unwrap_or(0),
                curve,
            }
        }
        Ok(PublicKey::DSA(_)) => KeyInfo {
            algorithm: "DSA".into(),
            bits: 0,
            curve: None,
        },
        _ => {
            let oid = spki.algorithm.algorithm.to_id_string();
            let (name, bits) = match oid.as_str() {
                "1.3.101.112" => ("Ed25519", 256),
                "1.3.101.113" => ("Ed448", 456),
                _ => ("unknown", 0),
            };
            KeyInfo {
                algorithm: name.into(),
                bits,
                curve: None,
            }
        }
    }
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        other => other.into(),
    }
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        other => return other.to_string(),
    }
    .to_string()
}

fn sha256_hex(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    hex::encode_upper(digest.as_ref())
}

fn sha1_hex(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    hex::encode_upper(digest.as_ref())
}

/// Where trust anchors come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    /// Mozilla's root program (webpki-roots), what browsers and most
    /// libraries trust.
    Mozilla,
    /// This machine's trust store.
    System,
    /// Roots the user passed with `--ca-file`.
    CaFile,
    /// A platform's shipped snapshot ([`crate::platform_roots`]).
    Platform(Platform),
}

impl Store {
    pub fn describe(self) -> String {
        match self {
            Store::Mozilla => "Mozilla's root store".into(),
            Store::System => "this machine's trust store".into(),
            Store::CaFile => "the --ca-file roots".into(),
            Store::Platform(p) => p.describe(),
        }
    }

    /// The store's name in scan reports (`trust[].store`). Never renamed.
    pub fn name(self) -> &'static str {
        match self {
            Store::Mozilla => "mozilla",
            Store::System => "system",
            Store::CaFile => "ca_file",
            Store::Platform(p) => p.store_name(),
        }
    }

    /// Anchors given as DER, `None` for Mozilla's (compiled in).
    pub(crate) fn anchors_der(self, stores: &TrustStores) -> Option<Vec<&[u8]>> {
        match self {
            Store::Mozilla => None,
            Store::System => Some(stores.system.iter().map(Vec::as_slice).collect()),
            Store::CaFile => Some(stores.ca_file.iter().map(Vec::as_slice).collect()),
            Store::Platform(p) => Some(p.roots().to_vec()),
        }
    }
}

/// Trust anchors, as DER, by store.
#[derive(Clone, Debug, Default)]
pub struct TrustStores {
    pub system: Vec<Vec<u8>>,
    pub ca_file: Vec<Vec<u8>>,
}

/// The outcome of verifying a chain against one store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathResult {
    Trusted,
    Expired,
    NotYetValid,
    UnknownIssuer,
    BadSignature,
    UnsupportedSignature,
    Other(String),
}

/// Verifies the served chain (leaf first) for server authentication at `at`,
/// against one store. Name checks are separate ([`valid_for_name`]).
pub fn verify_path(
    chain: &[Vec<u8>],
    stores: &TrustStores,
    store: Store,
    at: OffsetDateTime,
) -> PathResult {
    let Some(leaf) = chain.first() else {
        return PathResult::Other("no certificate".into());
    };
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let Ok(leaf) = EndEntityCert::try_from(&leaf_der) else {
        return PathResult::Other("the leaf certificate cannot be parsed".into());
    };
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    // Only roots named as the issuer of a certificate in the chain can end
    // a path (webpki matches anchors by exactly these bytes), so only those
    // are converted: a report verifies each chain against twelve stores.
    let issuers: Vec<&[u8]> = chain
        .iter()
        .filter_map(|c| crate::der::issuer_and_subject(c).map(|(issuer, _)| issuer))
        .collect();
    let owned_der: Vec<CertificateDer<'_>> = store
        .anchors_der(stores)
        .unwrap_or_default()
        .into_iter()
        .filter(|root| {
            crate::der::issuer_and_subject(root)
                .is_none_or(|(_, subject)| issuers.contains(&subject))
        })
        .map(CertificateDer::from)
        .collect();
    let owned: Vec<TrustAnchor<'_>> = owned_der
        .iter()
        .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
        .collect();
    let anchors: &[TrustAnchor<'_>] = match store {
        Store::Mozilla => webpki_roots::TLS_SERVER_ROOTS,
        _ => &owned,
    };
    if anchors.is_empty() {
        return PathResult::UnknownIssuer;
    }
    let secs = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    match leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        &intermediates,
        time,
        KeyUsage::server_auth(),
        None,
        None,
    ) {
        Ok(_) => PathResult::Trusted,
        Err(e) => classify(&e),
    }
}

fn classify(e: &webpki::Error) -> PathResult {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } => PathResult::Expired,
        E::CertNotValidYet { .. } => PathResult::NotYetValid,
        E::UnknownIssuer => PathResult::UnknownIssuer,
        E::InvalidSignatureForPublicKey => PathResult::BadSignature,
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            PathResult::UnsupportedSignature
        }
        other => PathResult::Other(snake_case(&format!("{other:?}"))),
    }
}

/// `CaUsedAsEndEntity` → `ca_used_as_end_entity` (the variant name only).
fn snake_case(debug: &str) -> String {
    let name = debug.split(['(', ' ', '{']).next().unwrap_or(debug);
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}

impl PathResult {
    /// A stable snake_case code (`trusted`, `unknown_issuer`,
    /// `ca_used_as_end_entity`, ...), for JSON.
    pub fn code(&self) -> String {
        match self {
            PathResult::Trusted => "trusted".into(),
            PathResult::Expired => "expired".into(),
            PathResult::NotYetValid => "not_yet_valid".into(),
            PathResult::UnknownIssuer => "unknown_issuer".into(),
            PathResult::BadSignature => "bad_signature".into(),
            PathResult::UnsupportedSignature => "unsupported_signature".into(),
            PathResult::Other(code) => code.clone(),
        }
    }

    /// The same for people.
    pub fn describe(&self) -> String {
        match self {
            PathResult::Trusted => "trusted".into(),
            PathResult::Expired => "expired".into(),
            PathResult::NotYetValid => "not yet valid".into(),
            PathResult::UnknownIssuer => "no path to a root in this store".into(),
            PathResult::BadSignature => "a signature in the chain does not verify".into(),
            PathResult::UnsupportedSignature => "a signature algorithm in the chain is not accepted (SHA-1, MD5, or a weak key)".into(),
            PathResult::Other(code) => match code.as_str() {
                "ca_used_as_end_entity" => "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which may not be used as a server certificate".into(),
                "end_entity_used_as_ca" => "a certificate that is not a CA signed another one".into(),
                "required_eku_not_found_context" | "required_eku_not_found" => "the certificate is not allowed for TLS servers (extendedKeyUsage lacks serverAuth)".into(),
                "name_constraint_violation" => "the certificate's names break its CA's name constraints".into(),
                "path_len_constraint_violated" => "the chain is longer than a CA allows (pathLenConstraint)".into(),
                "bad_der" | "bad_der_time" => "a certificate is not valid DER".into(),
                "unsupported_critical_extension" => "a certificate has a critical extension clients do not understand".into(),
                other => other.replace('_', " "),
            },
        }
    }
}

/// Whether the leaf is valid for the host name (or IP) the client checks.
pub fn valid_for_name(leaf: &[u8], name: &str) -> bool {
    let der = CertificateDer::from(leaf);
    let Ok(cert) = EndEntityCert::try_from(&der) else {
        return false;
    };
    let Ok(server_name) = ServerName::try_from(name) else {
        return false;
    };
    cert.verify_is_valid_for_subject_name(&server_name).is_ok()
}

/// Whether `issuer`'s subject is `subject`'s issuer name. Names, not
/// signatures: enough to tell the order a server sends its chain in.
pub fn names_issuer(subject: &CertInfo, issuer: &CertInfo) -> bool {
    subject.issuer_der == issuer.subject_der
}

/// Whether `issuer_subject`/`issuer_ski` can be `subject`'s issuer: the names
/// match and, when both key identifiers are present, so do they (a renewed
/// CA keeps its name but not always its key).
pub fn may_have_issued(
    subject: &CertInfo,
    issuer_subject: &[u8],
    issuer_ski: Option<&[u8]>,
) -> bool {
    subject.issuer_der == issuer_subject
        && match (subject.authority_key_id.as_deref(), issuer_ski) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
}

/// Whether `cert`'s signature verifies with `issuer_spki` (a DER
/// SubjectPublicKeyInfo). `None` when this build cannot check the algorithm
/// (or either input does not parse): the link is then by name only.
pub fn signed_by(cert: &[u8], issuer_spki: &[u8]) -> Option<bool> {
    let (_, cert) = X509Certificate::from_der(cert).ok()?;
    let (_, spki) = SubjectPublicKeyInfo::from_der(issuer_spki).ok()?;
    match cert.verify_signature(Some(&spki)) {
        Ok(()) => Some(true),
        Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => None,
        Err(_) => Some(false),
    }
}

/// The DER SubjectPublicKeyInfo of a certificate.
/// What a trust anchor is matched by: its subject (with its SEQUENCE
/// header, as [`CertInfo::subject_der`] holds it), its SubjectPublicKeyInfo
/// and its subjectKeyIdentifier, from one parse (a whole [`parse`] per root,
/// fingerprints and names included, was most of a report's time).
pub(crate) fn anchor_parts(cert: &[u8]) -> Option<AnchorParts> {
    let (_, cert) = X509Certificate::from_der(cert).ok()?;
    let tbs = &cert.tbs_certificate;
    Some(AnchorParts {
        subject: tbs.subject.as_raw().to_vec(),
        spki: tbs.subject_pki.raw.to_vec(),
        ski: key_ids(&cert).0,
    })
}

/// See [`anchor_parts`].
pub(crate) struct AnchorParts {
    pub(crate) subject: Vec<u8>,
    pub(crate) spki: Vec<u8>,
    pub(crate) ski: Option<Vec<u8>>,
}

pub fn spki_der(cert: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = X509Certificate::from_der(cert).ok()?;
    Some(cert.tbs_certificate.subject_pki.raw.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_features_decode_status_request() {
        // SEQUENCE { INTEGER 5 } (RFC 7633 must-staple).
        assert_eq!(tls_features(&[0x30, 0x03, 0x02, 0x01, 0x05]), Some(vec![5]));
        // SEQUENCE { INTEGER 5, INTEGER 17 } with a long-form length.
        assert_eq!(
            tls_features(&[0x30, 0x81, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x11]),
            Some(vec![5, 17])
        );
    }

    #[test]
    fn tls_features_refuse_hostile_lengths() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x02, 0x01, 0x05],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x80],
            &[0x31, 0x03, 0x02, 0x01, 0x05],
            &[0x30, 0x03, 0x04, 0x01, 0x05],
            &[0x30, 0x02, 0x02, 0x00],
            &[0x30, 0x03, 0x02, 0x01, 0x05, 0x00],
        ] {
            assert_eq!(tls_features(bad), None, "{bad:02x?}");
        }
    }
}
