//! Stapled OCSP responses (RFC 6960): parse one, find the answer about the
//! server's certificate, and check who signed it.
//!
//! The staple is hostile input: the parser reads DER elements with asn1-rs
//! ([`crate::der::element`]) and only ever slices the bytes it was given (no
//! allocation sized by a length field it has not checked against the input),
//! never panics, and stops at
//! [`MAX_RESPONSES`] single responses and [`MAX_CERTS`] embedded certificates.
//! Pure: the time a staple is judged at comes in as a value.
//!
//! The signature is checked with webpki against the certificate's issuer when
//! the server sent it (or against a delegated responder certificate the
//! issuer signed, RFC 6960 §4.2.2.2); [`SignatureCheck`] says which it was, so
//! a caller can never present an unchecked staple as verified.

use std::fmt;

use rustls_pki_types::CertificateDer;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use webpki::EndEntityCert;
use x509_parser::prelude::{FromDer, X509Certificate};

/// At most this many SingleResponses are read; the rest are ignored.
pub const MAX_RESPONSES: usize = 64;
/// At most this many certificates embedded in a BasicOCSPResponse are read.
pub const MAX_CERTS: usize = 8;

/// `id-pkix-ocsp-basic` (1.3.6.1.5.5.7.48.1.1), DER content of the OID.
const OID_OCSP_BASIC: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];

// DER tags (X.690 §8.1.2): universal and context-specific.
const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_ENUMERATED: u8 = 0x0a;
const TAG_UTC_TIME: u8 = 0x17;
const TAG_GENERALIZED_TIME: u8 = 0x18;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_CTX0_PRIMITIVE: u8 = 0x80;
const TAG_CTX2_PRIMITIVE: u8 = 0x82;
const TAG_CTX0: u8 = 0xa0;
const TAG_CTX1: u8 = 0xa1;
const TAG_CTX2: u8 = 0xa2;

/// Why a staple could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspError {
    /// What was being read.
    pub context: &'static str,
    /// What was wrong with it.
    pub problem: &'static str,
}

impl fmt::Display for OcspError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.problem)
    }
}

impl std::error::Error for OcspError {}

pub type Result<T> = std::result::Result<T, OcspError>;

fn err<T>(context: &'static str, problem: &'static str) -> Result<T> {
    Err(OcspError { context, problem })
}

/// One DER element.
#[derive(Clone, Copy, Debug)]
struct Tlv<'a> {
    tag: u8,
    /// The contents octets.
    value: &'a [u8],
    /// Tag, length and contents: what a signature covers.
    whole: &'a [u8],
}

/// A cursor over DER elements; every read is bounded by the slice it holds.
struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.input.first().copied()
    }

    /// Reads one element of any tag (DER, through asn1-rs:
    /// [`crate::der::element`]).
    fn any(&mut self, context: &'static str) -> Result<Tlv<'a>> {
        if self.input.is_empty() {
            return err(context, "truncated (no element)");
        }
        let Some(e) = crate::der::element(self.input) else {
            return err(context, "not one well-formed DER element");
        };
        self.input = e.rest;
        Ok(Tlv {
            tag: e.tag,
            value: e.value,
            whole: e.whole,
        })
    }

    /// Reads one element that must have `tag`.
    fn expect(&mut self, tag: u8, context: &'static str) -> Result<Tlv<'a>> {
        let tlv = self.any(context)?;
        if tlv.tag != tag {
            return err(context, "unexpected tag");
        }
        Ok(tlv)
    }

    /// Reads the element if it has `tag`; leaves the cursor alone otherwise.
    fn optional(&mut self, tag: u8, context: &'static str) -> Result<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag, context).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// RFC 6960 §4.2.1 `OCSPResponseStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseStatus {
    Successful,
    MalformedRequest,
    InternalError,
    TryLater,
    SigRequired,
    Unauthorized,
    /// A value RFC 6960 does not define (4 is unused), kept as sent.
    Unknown(u8),
}

impl ResponseStatus {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Successful,
            1 => Self::MalformedRequest,
            2 => Self::InternalError,
            3 => Self::TryLater,
            5 => Self::SigRequired,
            6 => Self::Unauthorized,
            other => Self::Unknown(other),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Successful => "successful",
            Self::MalformedRequest => "malformedRequest",
            Self::InternalError => "internalError",
            Self::TryLater => "tryLater",
            Self::SigRequired => "sigRequired",
            Self::Unauthorized => "unauthorized",
            Self::Unknown(_) => "unknown status",
        }
    }
}

/// RFC 5280 §5.3.1 `CRLReason`; unknown values survive as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevocationReason(pub u8);

impl RevocationReason {
    pub const KEY_COMPROMISE: Self = Self(1);

    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "unspecified",
            1 => "keyCompromise",
            2 => "cACompromise",
            3 => "affiliationChanged",
            4 => "superseded",
            5 => "cessationOfOperation",
            6 => "certificateHold",
            8 => "removeFromCRL",
            9 => "privilegeWithdrawn",
            10 => "aACompromise",
            _ => "unknown reason",
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// RFC 6960 `CertStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// `good [0] IMPLICIT NULL`
    Good,
    /// `revoked [1] IMPLICIT RevokedInfo`
    Revoked {
        /// `revocationTime GeneralizedTime`
        time: OffsetDateTime,
        /// `revocationReason [0] EXPLICIT CRLReason OPTIONAL`
        reason: Option<RevocationReason>,
    },
    /// `unknown [2] IMPLICIT UnknownInfo`
    Unknown,
}

impl CertStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Revoked { .. } => "revoked",
            Self::Unknown => "unknown",
        }
    }
}

/// RFC 6960 `CertID`: which certificate a SingleResponse is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertId {
    /// `hashAlgorithm AlgorithmIdentifier`: the algorithm's OID content.
    pub hash_algorithm: Vec<u8>,
    /// `issuerNameHash OCTET STRING`: hash of the issuer's DER name.
    pub issuer_name_hash: Vec<u8>,
    /// `issuerKeyHash OCTET STRING`: hash of the issuer's public key bits.
    pub issuer_key_hash: Vec<u8>,
    /// `serialNumber CertificateSerialNumber`: INTEGER contents octets.
    pub serial: Vec<u8>,
}

/// RFC 6960 `SingleResponse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleResponse {
    pub cert_id: CertId,
    pub status: CertStatus,
    /// `thisUpdate GeneralizedTime`
    pub this_update: OffsetDateTime,
    /// `nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL`
    pub next_update: Option<OffsetDateTime>,
}

/// RFC 6960 `BasicOCSPResponse` with its `ResponseData`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicResponse {
    /// `producedAt GeneralizedTime`: when the responder signed this.
    pub produced_at: OffsetDateTime,
    /// `responses SEQUENCE OF SingleResponse` (at most [`MAX_RESPONSES`]).
    pub responses: Vec<SingleResponse>,
    /// `tbsResponseData` as DER: what the signature covers.
    pub tbs_response_data: Vec<u8>,
    /// `signatureAlgorithm AlgorithmIdentifier`: the SEQUENCE's contents.
    pub signature_algorithm: Vec<u8>,
    /// `signature BIT STRING`, without the unused-bits octet.
    pub signature: Vec<u8>,
    /// `certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL` (DER each).
    pub certs: Vec<Vec<u8>>,
}

/// RFC 6960 `OCSPResponse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspResponse {
    pub status: ResponseStatus,
    /// Present for a successful response of type `id-pkix-ocsp-basic`.
    pub basic: Option<BasicResponse>,
}

/// Parses a DER `OCSPResponse`.
///
/// ```text
/// OCSPResponse ::= SEQUENCE {
///    responseStatus         OCSPResponseStatus,
///    responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
/// ResponseBytes ::= SEQUENCE {
///    responseType   OBJECT IDENTIFIER,
///    response       OCTET STRING }
/// ```
pub fn parse(der: &[u8]) -> Result<OcspResponse> {
    let mut outer = Reader::new(der);
    let response = outer.expect(TAG_SEQUENCE, "OCSPResponse")?;
    let mut r = Reader::new(response.value);
    let status = r.expect(TAG_ENUMERATED, "responseStatus")?;
    let status = match status.value {
        [v] => ResponseStatus::from_u8(*v),
        _ => return err("responseStatus", "not a one-octet ENUMERATED"),
    };
    let Some(bytes) = r.optional(TAG_CTX0, "responseBytes")? else {
        return Ok(OcspResponse {
            status,
            basic: None,
        });
    };
    let mut explicit = Reader::new(bytes.value);
    let bytes = explicit.expect(TAG_SEQUENCE, "ResponseBytes")?;
    let mut b = Reader::new(bytes.value);
    let kind = b.expect(TAG_OID, "responseType")?;
    let body = b.expect(TAG_OCTET_STRING, "response")?;
    let basic = if kind.value == OID_OCSP_BASIC {
        Some(parse_basic(body.value)?)
    } else {
        None
    };
    Ok(OcspResponse { status, basic })
}

/// ```text
/// BasicOCSPResponse ::= SEQUENCE {
///    tbsResponseData      ResponseData,
///    signatureAlgorithm   AlgorithmIdentifier,
///    signature            BIT STRING,
///    certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ResponseData ::= SEQUENCE {
///    version              [0] EXPLICIT Version DEFAULT v1,
///    responderID              ResponderID,
///    producedAt               GeneralizedTime,
///    responses                SEQUENCE OF SingleResponse,
///    responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ```
fn parse_basic(der: &[u8]) -> Result<BasicResponse> {
    let mut outer = Reader::new(der);
    let basic = outer.expect(TAG_SEQUENCE, "BasicOCSPResponse")?;
    let mut r = Reader::new(basic.value);
    let tbs = r.expect(TAG_SEQUENCE, "tbsResponseData")?;
    let algorithm = r.expect(TAG_SEQUENCE, "signatureAlgorithm")?;
    let signature = r.expect(TAG_BIT_STRING, "signature")?;
    let signature = match signature.value.split_first() {
        Some((0, bits)) => bits,
        _ => return err("signature", "BIT STRING with unused bits"),
    };
    let mut certs = Vec::new();
    if let Some(list) = r.optional(TAG_CTX0, "certs")? {
        let mut explicit = Reader::new(list.value);
        let seq = explicit.expect(TAG_SEQUENCE, "certs")?;
        let mut c = Reader::new(seq.value);
        while !c.is_empty() && certs.len() < MAX_CERTS {
            certs.push(c.expect(TAG_SEQUENCE, "certs")?.whole.to_vec());
        }
    }

    let mut d = Reader::new(tbs.value);
    d.optional(TAG_CTX0, "version")?;
    let responder = d.any("responderID")?;
    if responder.tag != TAG_CTX1 && responder.tag != TAG_CTX2 {
        return err("responderID", "neither byName [1] nor byKey [2]");
    }
    let produced_at = time_value(d.any("producedAt")?, "producedAt")?;
    let list = d.expect(TAG_SEQUENCE, "responses")?;
    let mut l = Reader::new(list.value);
    let mut responses = Vec::new();
    while !l.is_empty() && responses.len() < MAX_RESPONSES {
        responses.push(parse_single(
            l.expect(TAG_SEQUENCE, "SingleResponse")?.value,
        )?);
    }
    Ok(BasicResponse {
        produced_at,
        responses,
        tbs_response_data: tbs.whole.to_vec(),
        signature_algorithm: algorithm.value.to_vec(),
        signature: signature.to_vec(),
        certs,
    })
}

/// ```text
/// SingleResponse ::= SEQUENCE {
///    certID                       CertID,
///    certStatus                   CertStatus,
///    thisUpdate                   GeneralizedTime,
///    nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///    singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// CertID ::= SEQUENCE {
///    hashAlgorithm       AlgorithmIdentifier,
///    issuerNameHash      OCTET STRING,
///    issuerKeyHash       OCTET STRING,
///    serialNumber        CertificateSerialNumber }
/// CertStatus ::= CHOICE {
///    good        [0]     IMPLICIT NULL,
///    revoked     [1]     IMPLICIT RevokedInfo,
///    unknown     [2]     IMPLICIT UnknownInfo }
/// RevokedInfo ::= SEQUENCE {
///    revocationTime              GeneralizedTime,
///    revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
/// ```
fn parse_single(der: &[u8]) -> Result<SingleResponse> {
    let mut r = Reader::new(der);
    let id = r.expect(TAG_SEQUENCE, "CertID")?;
    let mut c = Reader::new(id.value);
    let algorithm = c.expect(TAG_SEQUENCE, "hashAlgorithm")?;
    let hash_oid = Reader::new(algorithm.value).expect(TAG_OID, "hashAlgorithm")?;
    let name_hash = c.expect(TAG_OCTET_STRING, "issuerNameHash")?;
    let key_hash = c.expect(TAG_OCTET_STRING, "issuerKeyHash")?;
    let serial = c.expect(TAG_INTEGER, "serialNumber")?;
    let cert_id = CertId {
        hash_algorithm: hash_oid.value.to_vec(),
        issuer_name_hash: name_hash.value.to_vec(),
        issuer_key_hash: key_hash.value.to_vec(),
        serial: serial.value.to_vec(),
    };

    let status = r.any("certStatus")?;
    let status = match status.tag {
        TAG_CTX0_PRIMITIVE => CertStatus::Good,
        TAG_CTX2_PRIMITIVE => CertStatus::Unknown,
        TAG_CTX1 => {
            let mut info = Reader::new(status.value);
            let time = time_value(info.any("revocationTime")?, "revocationTime")?;
            let reason = match info.optional(TAG_CTX0, "revocationReason")? {
                Some(explicit) => {
                    let value =
                        Reader::new(explicit.value).expect(TAG_ENUMERATED, "revocationReason")?;
                    match value.value {
                        [v] => Some(RevocationReason(*v)),
                        _ => return err("revocationReason", "not a one-octet ENUMERATED"),
                    }
                }
                None => None,
            };
            CertStatus::Revoked { time, reason }
        }
        _ => return err("certStatus", "neither good, revoked nor unknown"),
    };
    let this_update = time_value(r.any("thisUpdate")?, "thisUpdate")?;
    let next_update = match r.optional(TAG_CTX0, "nextUpdate")? {
        Some(explicit) => Some(time_value(
            Reader::new(explicit.value).any("nextUpdate")?,
            "nextUpdate",
        )?),
        None => None,
    };
    Ok(SingleResponse {
        cert_id,
        status,
        this_update,
        next_update,
    })
}

/// A GeneralizedTime (`YYYYMMDDHHMMSS[.f*]Z`, RFC 5280 §4.1.2.5.2) or, leniently,
/// a UTCTime (`YYMMDDHHMMSSZ`).
fn time_value(tlv: Tlv<'_>, context: &'static str) -> Result<OffsetDateTime> {
    let text = tlv.value;
    let (year, rest) = match tlv.tag {
        TAG_GENERALIZED_TIME if text.len() >= 15 => (digits(&text[..4], context)?, &text[4..]),
        TAG_UTC_TIME if text.len() >= 13 => {
            let yy = digits(&text[..2], context)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        TAG_GENERALIZED_TIME | TAG_UTC_TIME => return err(context, "time too short"),
        _ => return err(context, "not a time"),
    };
    let field = |i: usize| digits(&rest[i..i + 2], context);
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    // Fractional seconds (GeneralizedTime only) are allowed and ignored.
    let tail = &rest[10..];
    let zone_ok = match tail {
        [b'Z'] => true,
        [b'.', frac @ .., b'Z'] => {
            tlv.tag == TAG_GENERALIZED_TIME && frac.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    if !zone_ok {
        return err(context, "not a UTC time ending in Z");
    }
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok());
    let date = month.and_then(|m| {
        Date::from_calendar_date(i32::try_from(year).ok()?, m, u8::try_from(day).ok()?).ok()
    });
    let clock = Time::from_hms(
        u8::try_from(hour).unwrap_or(99),
        u8::try_from(minute).unwrap_or(99),
        u8::try_from(second).unwrap_or(99),
    )
    .ok();
    match (date, clock) {
        (Some(d), Some(t)) => Ok(PrimitiveDateTime::new(d, t).assume_utc()),
        _ => err(context, "not a valid date and time"),
    }
}

fn digits(text: &[u8], context: &'static str) -> Result<u32> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return err(context, "not digits");
    }
    Ok(text
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Who signed the staple, as far as tlsdoctor could tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The signature verifies with the issuer's key, or with a delegated
    /// responder certificate (id-kp-OCSPSigning) the issuer signed.
    Verified { signer: String },
    /// It does not verify with the issuer's key nor with any delegated
    /// responder the issuer signed.
    Invalid,
    /// Not checked, and why (no issuer certificate, unsupported algorithm).
    NotChecked { reason: String },
}

impl SignatureCheck {
    /// One line of evidence.
    pub fn describe(&self) -> String {
        match self {
            Self::Verified { signer } => format!("OCSP signature verified (signed by {signer})"),
            Self::Invalid => "OCSP signature does NOT verify against the issuer's key".to_string(),
            Self::NotChecked { reason } => format!("OCSP signature not checked: {reason}"),
        }
    }
}

/// Whether the staple's SingleResponse is about this certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// Serial number, issuer name hash and (when the issuer is known)
    /// issuer key hash all match.
    Leaf(SingleResponse),
    /// The response is not about the server's certificate.
    OtherCertificate,
}

/// A staple judged for one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staple {
    pub status: ResponseStatus,
    /// `None` when the response holds no BasicOCSPResponse (status not
    /// successful, or an unknown response type).
    pub produced_at: Option<OffsetDateTime>,
    /// `None` together with `produced_at`.
    pub answer: Option<Match>,
    pub signature: SignatureCheck,
    /// The leaf's serial number, uppercase hex.
    pub serial_hex: String,
}

impl Staple {
    /// The SingleResponse about the leaf, when there is one.
    pub fn single(&self) -> Option<&SingleResponse> {
        match &self.answer {
            Some(Match::Leaf(single)) => Some(single),
            _ => None,
        }
    }

    /// The answer about the leaf is past its nextUpdate at `at` (a response
    /// without nextUpdate never goes stale by this rule).
    pub fn is_stale(&self, at: OffsetDateTime) -> bool {
        self.single()
            .and_then(|s| s.next_update)
            .is_some_and(|next| next < at)
    }
}

/// Parses `staple` and judges it for `leaf` (DER), whose issuer certificate
/// is `issuer` when the server sent it.
pub fn check(staple: &[u8], leaf: &[u8], issuer: Option<&[u8]>) -> Result<Staple> {
    let response = parse(staple)?;
    let Ok((_, leaf_cert)) = X509Certificate::from_der(leaf) else {
        return err("certificate", "the leaf cannot be parsed");
    };
    let serial = leaf_cert.tbs_certificate.raw_serial();
    let serial_hex = hex::encode_upper(serial);
    let issuer_cert = issuer.and_then(|der| {
        X509Certificate::from_der(der)
            .ok()
            .map(|(_, c)| c)
            .filter(|c| c.subject().as_raw() == leaf_cert.issuer().as_raw())
    });
    let issuer_name = leaf_cert.tbs_certificate.issuer.as_raw();
    let issuer_key = issuer_cert
        .as_ref()
        .map(|c| c.public_key().subject_public_key.data.as_ref());

    let Some(basic) = response.basic else {
        return Ok(Staple {
            status: response.status,
            produced_at: None,
            answer: None,
            signature: SignatureCheck::NotChecked {
                reason: "the response holds no signed data".into(),
            },
            serial_hex,
        });
    };
    let single = basic.responses.iter().find(|s| {
        let id = &s.cert_id;
        id.serial == serial
            && hash_matches(&id.hash_algorithm, issuer_name, &id.issuer_name_hash)
            && issuer_key.is_none_or(|k| hash_matches(&id.hash_algorithm, k, &id.issuer_key_hash))
    });
    let answer = Some(match single {
        Some(s) => Match::Leaf(s.clone()),
        None => Match::OtherCertificate,
    });
    let signature = match issuer.filter(|_| issuer_cert.is_some()) {
        Some(issuer) => verify_signature(&basic, issuer),
        None => SignatureCheck::NotChecked {
            reason: "the server did not send the issuer's certificate".into(),
        },
    };
    Ok(Staple {
        status: response.status,
        produced_at: Some(basic.produced_at),
        answer,
        signature,
        serial_hex,
    })
}

/// Whether `hash` is `data` hashed with the CertID's algorithm. An algorithm
/// tlsdoctor does not know cannot disprove a match.
fn hash_matches(algorithm_oid: &[u8], data: &[u8], hash: &[u8]) -> bool {
    use aws_lc_rs::digest;
    let algorithm = match algorithm_oid {
        // 1.3.14.3.2.26 id-sha1
        [0x2b, 0x0e, 0x03, 0x02, 0x1a] => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        // 2.16.840.1.101.3.4.2.{1,2,3} id-sha256, id-sha384, id-sha512
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01] => &digest::SHA256,
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02] => &digest::SHA384,
        [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03] => &digest::SHA512,
        _ => return true,
    };
    digest::digest(algorithm, data).as_ref() == hash
}

/// Verifies the response's signature with the issuer's key, or with a
/// delegated responder certificate from `certs` that the issuer signed and
/// that carries id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
fn verify_signature(basic: &BasicResponse, issuer: &[u8]) -> SignatureCheck {
    let issuer_der = CertificateDer::from(issuer);
    let Ok(issuer_key) = EndEntityCert::try_from(&issuer_der) else {
        return SignatureCheck::NotChecked {
            reason: "the issuer's certificate cannot be parsed".into(),
        };
    };
    let issuer_name = subject_cn(issuer).unwrap_or_else(|| "the issuer".into());
    match verify_with(
        &issuer_key,
        &basic.signature_algorithm,
        &basic.tbs_response_data,
        &basic.signature,
    ) {
        Verdict::Valid => {
            return SignatureCheck::Verified {
                signer: format!("the issuer, {issuer_name}"),
            }
        }
        Verdict::Unsupported => {
            return SignatureCheck::NotChecked {
                reason: "the signature algorithm is not supported".into(),
            }
        }
        Verdict::Invalid => {}
    }
    for cert in &basic.certs {
        if cert.as_slice() == issuer || !is_delegated_responder(cert, issuer, &issuer_key) {
            continue;
        }
        let der = CertificateDer::from(cert.as_slice());
        let Ok(responder) = EndEntityCert::try_from(&der) else {
            continue;
        };
        if verify_with(
            &responder,
            &basic.signature_algorithm,
            &basic.tbs_response_data,
            &basic.signature,
        ) == Verdict::Valid
        {
            let name = subject_cn(cert).unwrap_or_else(|| "a delegated responder".into());
            return SignatureCheck::Verified {
                signer: format!("{name}, a responder delegated by {issuer_name}"),
            };
        }
    }
    SignatureCheck::Invalid
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Valid,
    Invalid,
    Unsupported,
}

/// Tries every webpki algorithm whose AlgorithmIdentifier is `algorithm`.
fn verify_with(signer: &EndEntityCert<'_>, algorithm: &[u8], msg: &[u8], sig: &[u8]) -> Verdict {
    let mut verdict = Verdict::Unsupported;
    for alg in webpki::ALL_VERIFICATION_ALGS
        .iter()
        .filter(|a| a.signature_alg_id().as_ref() == algorithm)
    {
        match signer.verify_signature(*alg, msg, sig) {
            Ok(()) => return Verdict::Valid,
            Err(webpki::Error::InvalidSignatureForPublicKey) => verdict = Verdict::Invalid,
            Err(_) => {}
        }
    }
    verdict
}

/// A certificate the issuer signed, allowed to sign OCSP responses.
fn is_delegated_responder(cert: &[u8], issuer: &[u8], issuer_key: &EndEntityCert<'_>) -> bool {
    let Ok((_, parsed)) = X509Certificate::from_der(cert) else {
        return false;
    };
    let ocsp_signing = parsed
        .tbs_certificate
        .extended_key_usage()
        .ok()
        .flatten()
        .is_some_and(|eku| eku.value.ocsp_signing);
    let Ok((_, issuer_parsed)) = X509Certificate::from_der(issuer) else {
        return false;
    };
    if !ocsp_signing || parsed.issuer().as_raw() != issuer_parsed.subject().as_raw() {
        return false;
    }
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    let signed = (|| -> Result<(Tlv<'_>, Tlv<'_>, Tlv<'_>)> {
        let outer = Reader::new(cert).expect(TAG_SEQUENCE, "Certificate")?;
        let mut r = Reader::new(outer.value);
        Ok((
            r.expect(TAG_SEQUENCE, "tbsCertificate")?,
            r.expect(TAG_SEQUENCE, "signatureAlgorithm")?,
            r.expect(TAG_BIT_STRING, "signatureValue")?,
        ))
    })();
    let Ok((tbs, algorithm, signature)) = signed else {
        return false;
    };
    let Some((0, signature)) = signature.value.split_first() else {
        return false;
    };
    verify_with(issuer_key, algorithm.value, tbs.whole, signature) == Verdict::Valid
}

fn subject_cn(cert: &[u8]) -> Option<String> {
    let (_, parsed) = X509Certificate::from_der(cert).ok()?;
    let cn = parsed
        .subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(crate::text::sanitize);
    cn.or_else(|| Some(crate::text::sanitize(&parsed.subject().to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_refuses_lengths_past_the_end() {
        assert!(parse(&[0x30, 0x05, 0x0a, 0x01, 0x00]).is_err());
        assert!(parse(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(parse(&[0x30, 0x80, 0x00, 0x00]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn unsuccessful_response_has_no_basic_part() {
        // OCSPResponse { responseStatus tryLater(3) }
        let r = parse(&[0x30, 0x03, 0x0a, 0x01, 0x03]).unwrap();
        assert_eq!(r.status, ResponseStatus::TryLater);
        assert_eq!(r.basic, None);
    }

    #[test]
    fn times() {
        let t = |tag, s: &str| {
            time_value(
                Tlv {
                    tag,
                    value: s.as_bytes(),
                    whole: &[],
                },
                "t",
            )
        };
        let expect = time::macros::datetime!(2026-11-27 08:35:31 UTC);
        assert_eq!(t(TAG_GENERALIZED_TIME, "20261127083531Z"), Ok(expect));
        assert_eq!(t(TAG_GENERALIZED_TIME, "20261127083531.25Z"), Ok(expect));
        assert_eq!(t(TAG_UTC_TIME, "261127083531Z"), Ok(expect));
        assert!(t(TAG_GENERALIZED_TIME, "20261327083531Z").is_err());
        assert!(t(TAG_GENERALIZED_TIME, "2026112708353+Z").is_err());
        assert!(t(TAG_GENERALIZED_TIME, "20261127083531+0100").is_err());
        assert!(t(TAG_GENERALIZED_TIME, "20261127083531.Z1").is_err());
    }
}
