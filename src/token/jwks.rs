//! The JWKS: loading it from a file or an http(s) URL and turning it into verification keys.
//!
//! Only signature keys scopegate can verify are kept: RSA, and EC on P-256 or P-384. Symmetric
//! (`oct`) keys are always dropped, so a JWKS key can never be used as an HMAC secret; keys
//! marked for encryption or with an unsupported `alg` are dropped too, and one bad key does
//! not spoil the rest. This module does not decide when to fetch (that is [`super::jwt`]'s
//! rate-limited refetch) and does not verify tokens.

use std::path::PathBuf;

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::config::Source;

/// A JWKS larger than this is refused.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot read JWKS file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot fetch JWKS from {url}")]
    Fetch {
        url: url::Url,
        #[source]
        source: reqwest::Error,
    },
    #[error("JWKS endpoint {url} answered HTTP {status}")]
    Status { url: url::Url, status: u16 },
    #[error("JWKS is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("JWKS is not a JSON object with a `keys` array")]
    Json(#[source] serde_json::Error),
    #[error("JWKS holds no usable signature key")]
    NoUsableKeys,
}

/// The kind of a verification key, which fixes the algorithms it may verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    EcP256,
    EcP384,
}

impl KeyKind {
    /// Whether a token signed with `alg` can have been made with a key of this kind.
    pub fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyKind::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyKind::EcP256 => alg == ES256,
            KeyKind::EcP384 => alg == ES384,
        }
    }
}

/// One usable verification key.
#[derive(Clone)]
pub struct VerifyingKey {
    pub kid: Option<String>,
    pub kind: KeyKind,
    /// The JWK's own `alg`, when it names one.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("kind", &self.kind)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Whether this key may verify a token whose header says `alg`.
    pub fn accepts(&self, alg: Algorithm) -> bool {
        self.kind.fits(alg) && self.alg.is_none_or(|own| own == alg)
    }
}

/// An immutable set of verification keys; a refresh builds a new one.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
    /// Increases with every stored key set; cached verifications from an older one are void.
    pub generation: u64,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

impl KeySet {
    /// Parses a JWKS document, keeping the usable signature keys.
    pub fn parse(json: &[u8], generation: u64) -> Result<KeySet, JwksError> {
        let raw: RawSet = serde_json::from_slice(json).map_err(JwksError::Json)?;
        let keys: Vec<VerifyingKey> = raw
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| usable(&jwk))
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKeys);
        }
        Ok(KeySet { keys, generation })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key a token's `kid` names; without a `kid`, the only key when there is exactly one.
    pub fn select(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None => match self.keys.as_slice() {
                [only] => Some(only),
                _ => None,
            },
        }
    }
}

/// The verification key of a JWK, or `None` when scopegate cannot or must not use it.
fn usable(jwk: &Jwk) -> Option<VerifyingKey> {
    let common = &jwk.common;
    if common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    if let Some(ops) = &common.key_operations {
        if !ops.contains(&KeyOperations::Verify) {
            return None;
        }
    }
    let kind = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => KeyKind::Rsa,
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => KeyKind::EcP256,
            EllipticCurve::P384 => KeyKind::EcP384,
            _ => return None,
        },
        // Never HMAC, and no EdDSA: not part of the MedMij profile.
        AlgorithmParameters::OctetKey(_) | AlgorithmParameters::OctetKeyPair(_) => return None,
    };
    let alg = match common.key_algorithm {
        None => None,
        Some(ka) => Some(signature_algorithm(ka).filter(|a| kind.fits(*a))?),
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerifyingKey {
        kid: common.key_id.clone(),
        kind,
        alg,
        key,
    })
}

/// The JWS algorithm a JWK `alg` names, `None` for encryption and HMAC algorithms.
fn signature_algorithm(ka: KeyAlgorithm) -> Option<Algorithm> {
    match ka {
        KeyAlgorithm::ES256 => Some(Algorithm::ES256),
        KeyAlgorithm::ES384 => Some(Algorithm::ES384),
        KeyAlgorithm::RS256 => Some(Algorithm::RS256),
        KeyAlgorithm::RS384 => Some(Algorithm::RS384),
        KeyAlgorithm::RS512 => Some(Algorithm::RS512),
        KeyAlgorithm::PS256 => Some(Algorithm::PS256),
        KeyAlgorithm::PS384 => Some(Algorithm::PS384),
        KeyAlgorithm::PS512 => Some(Algorithm::PS512),
        KeyAlgorithm::HS256
        | KeyAlgorithm::HS384
        | KeyAlgorithm::HS512
        | KeyAlgorithm::EdDSA
        | KeyAlgorithm::RSA1_5
        | KeyAlgorithm::RSA_OAEP
        | KeyAlgorithm::RSA_OAEP_256 => None,
    }
}

/// Reads the JWKS document from its source. URLs are fetched with `http`, which the caller
/// builds without redirects and with timeouts (see [`super::http_client`]).
pub async fn fetch(source: &Source, http: &reqwest::Client) -> Result<Vec<u8>, JwksError> {
    match source {
        Source::File(path) => {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|source| JwksError::Read {
                    path: path.clone(),
                    source,
                })?;
            if bytes.len() > MAX_JWKS_BYTES {
                return Err(JwksError::TooLarge);
            }
            Ok(bytes)
        }
        Source::Url(url) => {
            let fetch_err = |source| JwksError::Fetch {
                url: url.clone(),
                source,
            };
            let mut response = http
                .get(url.clone())
                .header(
                    http::header::ACCEPT,
                    "application/json, application/jwk-set+json",
                )
                .send()
                .await
                .map_err(fetch_err)?;
            if response.status() != reqwest::StatusCode::OK {
                return Err(JwksError::Status {
                    url: url.clone(),
                    status: response.status().as_u16(),
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(fetch_err)? {
                if body.len() + chunk.len() > MAX_JWKS_BYTES {
                    return Err(JwksError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::issuer::Issuer;
    use serde_json::json;

    fn ec_key(kid: &str) -> serde_json::Value {
        let issuer = Issuer::generate("https://auth.example", kid).unwrap();
        let set: serde_json::Value = serde_json::from_str(&issuer.jwks_json()).unwrap();
        set["keys"][0].clone()
    }

    fn parse(keys: serde_json::Value) -> Result<KeySet, JwksError> {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes(), 1)
    }

    #[test]
    fn keeps_an_ec_p256_key_under_its_kid() {
        let set = parse(json!([ec_key("k1")])).unwrap();
        let key = set.select(Some("k1")).unwrap();
        assert_eq!(key.kind, KeyKind::EcP256);
        assert_eq!(key.alg, Some(Algorithm::ES256));
    }

    #[test]
    fn drops_a_symmetric_key_so_it_can_never_become_an_hmac_secret() {
        let oct = json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h1", "alg": "HS256"});
        let set = parse(json!([oct, ec_key("k1")])).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.select(Some("h1")).is_none());
    }

    #[test]
    fn refuses_a_jwks_with_only_symmetric_keys() {
        let oct = json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h1"});
        assert!(matches!(parse(json!([oct])), Err(JwksError::NoUsableKeys)));
    }

    #[test]
    fn drops_an_encryption_key() {
        let mut enc = ec_key("e1");
        enc["use"] = json!("enc");
        let set = parse(json!([enc, ec_key("k1")])).unwrap();
        assert!(set.select(Some("e1")).is_none());
    }

    #[test]
    fn drops_a_key_whose_alg_does_not_fit_its_type() {
        let mut wrong = ec_key("w1");
        wrong["alg"] = json!("RS256");
        let set = parse(json!([wrong, ec_key("k1")])).unwrap();
        assert!(set.select(Some("w1")).is_none());
    }

    #[test]
    fn skips_a_key_of_an_unknown_type_and_keeps_the_rest() {
        let odd = json!({"kty": "XYZ", "kid": "x1"});
        let set = parse(json!([odd, ec_key("k1")])).unwrap();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn selects_the_only_key_for_a_token_without_kid() {
        let set = parse(json!([ec_key("k1")])).unwrap();
        assert_eq!(set.select(None).and_then(|k| k.kid.as_deref()), Some("k1"));
    }

    #[test]
    fn selects_no_key_for_a_token_without_kid_when_there_are_two() {
        let set = parse(json!([ec_key("k1"), ec_key("k2")])).unwrap();
        assert!(set.select(None).is_none());
    }

    #[test]
    fn refuses_a_document_without_keys_array() {
        assert!(matches!(
            KeySet::parse(b"{\"kids\": []}", 1),
            Err(JwksError::Json(_))
        ));
    }

    #[test]
    fn an_rsa_key_verifies_rsa_algorithms_only() {
        assert!(KeyKind::Rsa.fits(Algorithm::RS256));
        assert!(KeyKind::Rsa.fits(Algorithm::PS512));
        assert!(!KeyKind::Rsa.fits(Algorithm::ES256));
        assert!(!KeyKind::Rsa.fits(Algorithm::HS256));
        assert!(!KeyKind::EcP256.fits(Algorithm::ES384));
        assert!(!KeyKind::EcP384.fits(Algorithm::HS384));
    }
}
