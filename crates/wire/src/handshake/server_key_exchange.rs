//! ServerKeyExchange (RFC 5246 §7.4.3, RFC 8422 §5.4, RFC 4346 §7.4.3 for
//! RSA export keys). Its grammar depends on the negotiated suite's key
//! exchange, so reading takes a [`KeyExchangeKind`].

use crate::codec::{
    encode_opaque, read_opaque_bounded, Codec, Context, DecodeError, LenPrefix, Reader,
};
use crate::registry::{
    Auth, CipherSuite, KeyExchange, NamedGroup, ProtocolVersion, SignatureScheme,
};

/// Which ServerKeyExchange grammar a suite uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyExchangeKind {
    /// Signed `ServerDHParams` (DHE_RSA, DHE_DSS).
    Dhe,
    /// Unsigned `ServerDHParams` (DH_anon).
    DhAnon,
    /// Signed `ServerECDHParams` (ECDHE_RSA, ECDHE_ECDSA).
    Ecdhe,
    /// Unsigned `ServerECDHParams` (ECDH_anon).
    EcdhAnon,
    /// Signed temporary `ServerRSAParams` of RSA_EXPORT suites.
    RsaExport,
}

impl KeyExchangeKind {
    /// The kind for a negotiated suite, from the registry; `None` when the suite
    /// is unknown or sends no (parsable) ServerKeyExchange.
    pub fn for_suite(suite: CipherSuite) -> Option<Self> {
        let info = suite.info()?;
        let anon = matches!(info.auth, Auth::Anon);
        Some(match info.kx {
            KeyExchange::Dhe if anon => Self::DhAnon,
            KeyExchange::Dhe => Self::Dhe,
            KeyExchange::Ecdhe if anon => Self::EcdhAnon,
            KeyExchange::Ecdhe => Self::Ecdhe,
            KeyExchange::Rsa if info.export => Self::RsaExport,
            _ => return None,
        })
    }

    /// True when the parameters are followed by a signature.
    pub fn is_signed(self) -> bool {
        !matches!(self, Self::DhAnon | Self::EcdhAnon)
    }
}

/// RFC 5246 §7.4.3:
/// ```text
/// struct {
///     opaque dh_p<1..2^16-1>;
///     opaque dh_g<1..2^16-1>;
///     opaque dh_Ys<1..2^16-1>;
/// } ServerDHParams;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhParams {
    pub p: Vec<u8>,
    pub g: Vec<u8>,
    pub ys: Vec<u8>,
}

impl DhParams {
    /// Size of the prime in bits (leading zero bytes and bits ignored).
    pub fn prime_bits(&self) -> usize {
        bit_len(&self.p)
    }
}

/// Number of significant bits of a big-endian unsigned integer.
pub(crate) fn bit_len(be: &[u8]) -> usize {
    match be.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => (be.len() - i - 1) * 8 + (8 - be[i].leading_zeros() as usize),
    }
}

/// RFC 8422 §5.4:
/// ```text
/// struct {
///     ECCurveType    curve_type;   /* named_curve(3) */
///     NamedCurve     namedcurve;
/// } ECParameters;
/// struct {
///     ECParameters    curve_params;
///     ECPoint         public;      /* opaque point <1..2^8-1>; */
/// } ServerECDHParams;
/// ```
/// The deprecated explicit_prime(1) and explicit_char2(2) curve types are
/// rejected as `InvalidValue`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcdhParams {
    /// `ECCurveType curve_type;` always named_curve(3) here.
    pub curve_type: u8,
    pub group: NamedGroup,
    /// `opaque point <1..2^8-1>;` (uncompressed 0x04 || X || Y, or 32 bytes for x25519).
    pub point: Vec<u8>,
}

/// RFC 4346 §7.4.3 (RSA_EXPORT temporary key):
/// ```text
/// struct {
///     opaque rsa_modulus<1..2^16-1>;
///     opaque rsa_exponent<1..2^16-1>;
/// } ServerRSAParams;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaExportParams {
    pub modulus: Vec<u8>,
    pub exponent: Vec<u8>,
}

impl RsaExportParams {
    /// Size of the temporary RSA modulus in bits.
    pub fn modulus_bits(&self) -> usize {
        bit_len(&self.modulus)
    }
}

/// RFC 5246 §4.7 `digitally-signed`: in TLS 1.2 the `SignatureAndHashAlgorithm
/// algorithm;` precedes `opaque signature<0..2^16-1>;`; in TLS 1.0/1.1 there is
/// only the opaque signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// `None` before TLS 1.2.
    pub scheme: Option<SignatureScheme>,
    pub signature: Vec<u8>,
}

impl DigitallySigned {
    fn encode(&self, out: &mut Vec<u8>) {
        if let Some(s) = self.scheme {
            s.encode(out);
        }
        encode_opaque(LenPrefix::U16, &self.signature, out);
    }

    fn read(r: &mut Reader<'_>, with_scheme: bool) -> Result<Self, DecodeError> {
        let scheme = if with_scheme {
            Some(SignatureScheme::read(r).context("SignatureAndHashAlgorithm")?)
        } else {
            None
        };
        let signature = read_opaque_bounded(LenPrefix::U16, r, "signature", 0, 0xffff)?;
        Ok(Self { scheme, signature })
    }
}

/// A ServerKeyExchange body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerKeyExchange {
    /// DHE or DH_anon parameters (signature `None` for anon).
    Dh {
        params: DhParams,
        signature: Option<DigitallySigned>,
    },
    /// ECDHE or ECDH_anon parameters (signature `None` for anon).
    Ecdh {
        params: EcdhParams,
        signature: Option<DigitallySigned>,
    },
    /// A temporary RSA key of an export suite.
    RsaExport {
        params: RsaExportParams,
        signature: DigitallySigned,
    },
    /// A body whose grammar is unknown (suite not in the registry, PSK, SRP, ...).
    Unknown(Vec<u8>),
}

impl ServerKeyExchange {
    /// Reads a body for a suite of key exchange `kind` negotiated at `version`
    /// (TLS 1.2 adds the signature scheme before the signature).
    pub fn read(
        r: &mut Reader<'_>,
        kind: KeyExchangeKind,
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let with_scheme = version.0 >= 0x0303;
        let signature = |r: &mut Reader<'_>| -> Result<Option<DigitallySigned>, DecodeError> {
            if kind.is_signed() {
                DigitallySigned::read(r, with_scheme).map(Some)
            } else {
                Ok(None)
            }
        };
        match kind {
            KeyExchangeKind::Dhe | KeyExchangeKind::DhAnon => {
                let p = read_opaque_bounded(LenPrefix::U16, r, "dh_p", 1, 0xffff)?;
                let g = read_opaque_bounded(LenPrefix::U16, r, "dh_g", 1, 0xffff)?;
                let ys = read_opaque_bounded(LenPrefix::U16, r, "dh_Ys", 1, 0xffff)?;
                Ok(Self::Dh {
                    params: DhParams { p, g, ys },
                    signature: signature(r)?,
                })
            }
            KeyExchangeKind::Ecdhe | KeyExchangeKind::EcdhAnon => {
                let curve_type = r.u8().context("ECCurveType")?;
                if curve_type != 3 {
                    return Err(DecodeError::InvalidValue {
                        what: "ECCurveType",
                        value: curve_type.into(),
                    });
                }
                let group = NamedGroup::read(r).context("namedcurve")?;
                let point = read_opaque_bounded(LenPrefix::U8, r, "ECPoint", 1, 0xff)?;
                Ok(Self::Ecdh {
                    params: EcdhParams {
                        curve_type,
                        group,
                        point,
                    },
                    signature: signature(r)?,
                })
            }
            KeyExchangeKind::RsaExport => {
                let modulus = read_opaque_bounded(LenPrefix::U16, r, "rsa_modulus", 1, 0xffff)?;
                let exponent = read_opaque_bounded(LenPrefix::U16, r, "rsa_exponent", 1, 0xffff)?;
                Ok(Self::RsaExport {
                    params: RsaExportParams { modulus, exponent },
                    signature: DigitallySigned::read(r, with_scheme)?,
                })
            }
        }
    }

    /// Parses a body that must be consumed entirely.
    pub fn read_bytes(
        bytes: &[u8],
        kind: KeyExchangeKind,
        version: ProtocolVersion,
    ) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r, kind, version)?;
        r.expect_empty("ServerKeyExchange")?;
        Ok(v)
    }

    /// Writes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Dh { params, signature } => {
                encode_opaque(LenPrefix::U16, &params.p, out);
                encode_opaque(LenPrefix::U16, &params.g, out);
                encode_opaque(LenPrefix::U16, &params.ys, out);
                if let Some(s) = signature {
                    s.encode(out);
                }
            }
            Self::Ecdh { params, signature } => {
                out.push(params.curve_type);
                params.group.encode(out);
                encode_opaque(LenPrefix::U8, &params.point, out);
                if let Some(s) = signature {
                    s.encode(out);
                }
            }
            Self::RsaExport { params, signature } => {
                encode_opaque(LenPrefix::U16, &params.modulus, out);
                encode_opaque(LenPrefix::U16, &params.exponent, out);
                signature.encode(out);
            }
            Self::Unknown(raw) => out.extend_from_slice(raw),
        }
    }

    /// The encoded body.
    pub fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The signature, when the parameters were signed.
    pub fn signature(&self) -> Option<&DigitallySigned> {
        match self {
            Self::Dh { signature, .. } | Self::Ecdh { signature, .. } => signature.as_ref(),
            Self::RsaExport { signature, .. } => Some(signature),
            Self::Unknown(_) => None,
        }
    }

    /// The TLS 1.2 signature scheme of the signature.
    pub fn signature_scheme(&self) -> Option<SignatureScheme> {
        self.signature().and_then(|s| s.scheme)
    }

    /// The DH prime size in bits (DHE only).
    pub fn dh_prime_bits(&self) -> Option<usize> {
        match self {
            Self::Dh { params, .. } => Some(params.prime_bits()),
            _ => None,
        }
    }

    /// The ECDHE group (ECDHE only).
    pub fn group(&self) -> Option<NamedGroup> {
        match self {
            Self::Ecdh { params, .. } => Some(params.group),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        assert_eq!(bit_len(&[0, 0x01, 0]), 9);
        assert_eq!(bit_len(&[0xff; 256]), 2048);
        assert_eq!(bit_len(&[]), 0);
    }

    #[test]
    fn ecdhe_tls12_round_trip() {
        let mut body = vec![3, 0, 0x17, 65, 4];
        body.extend([1u8; 64]);
        body.extend([0x04, 0x01, 0, 3, 9, 9, 9]);
        let ske =
            ServerKeyExchange::read_bytes(&body, KeyExchangeKind::Ecdhe, ProtocolVersion(0x0303))
                .unwrap();
        assert_eq!(ske.group(), Some(NamedGroup(0x17)));
        assert_eq!(ske.signature_scheme(), Some(SignatureScheme(0x0401)));
        assert_eq!(ske.get_encoding(), body);
        // TLS 1.0 form has no scheme: the same bytes do not parse exactly.
        assert!(ServerKeyExchange::read_bytes(
            &body,
            KeyExchangeKind::Ecdhe,
            ProtocolVersion(0x0301)
        )
        .is_err());
    }
}
