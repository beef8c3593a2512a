//! JWT mode: verifies a compact JWS against the JWKS and applies the claim checks.
//!
//! The order is fixed: parse the header; the `alg` must be on the allow-list (HS* are
//! removed from it whatever the configuration says, `none` cannot even be parsed); select
//! the key by `kid`; the `alg` must fit the key's type and the key's own `alg`; only then
//! is the signature verified, with that single algorithm, by `jsonwebtoken` (whose own time
//! checks are switched off: they read the system clock); then [`ClaimRules::check`] at the
//! caller's `now`. An unknown `kid` may trigger one JWKS refetch per interval; the new key
//! set replaces the old one atomically. Caching is [`super::cache`]'s business, not this
//! module's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::TokenError;
use super::claims::{Checked, ClaimRules};
use super::jwks::{self, JwksError, KeySet};
use crate::config::Source;

/// Default minimum time between two JWKS refetches caused by an unknown `kid`.
pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

pub(crate) struct JwtVerifier {
    source: Source,
    http: reqwest::Client,
    keys: ArcSwapOption<KeySet>,
    generation: AtomicU64,
    /// Never contains an HMAC algorithm.
    allowed: Vec<Algorithm>,
    rules: ClaimRules,
    /// When (Unix seconds, the caller's clock) the last unknown-`kid` refetch was tried.
    last_refetch: tokio::sync::Mutex<Option<i64>>,
    refetch_interval: i64,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("source", &self.source)
            .field("allowed", &self.allowed)
            .field("keys", &self.keys.load().as_ref().map(|k| k.len()))
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier without keys; call [`JwtVerifier::refresh`] to load them.
    pub fn new(
        source: Source,
        http: reqwest::Client,
        algorithms: &[Algorithm],
        rules: ClaimRules,
    ) -> Self {
        let allowed = algorithms
            .iter()
            .copied()
            .filter(|a| !matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
            .collect();
        JwtVerifier {
            source,
            http,
            keys: ArcSwapOption::empty(),
            generation: AtomicU64::new(0),
            allowed,
            rules,
            last_refetch: tokio::sync::Mutex::new(None),
            refetch_interval: secs(DEFAULT_REFETCH_INTERVAL),
        }
    }

    pub fn set_refetch_interval(&mut self, interval: Duration) {
        self.refetch_interval = secs(interval);
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn keys_available(&self) -> bool {
        self.keys.load().is_some()
    }

    /// The generation of the current key set (0 before the first load).
    pub fn generation(&self) -> u64 {
        self.keys.load().as_ref().map_or(0, |k| k.generation)
    }

    /// Loads the JWKS and stores it; on failure the current key set stays.
    pub async fn refresh(&self) -> Result<usize, JwksError> {
        let bytes = jwks::fetch(&self.source, &self.http).await?;
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        let set = KeySet::parse(&bytes, generation)?;
        let count = set.len();
        self.keys.store(Some(Arc::new(set)));
        tracing::info!(jwks.source = %self.source, jwks.keys = count, "jwks loaded");
        Ok(count)
    }

    /// Verifies `token` at `now`; returns the checked claims and the key-set generation.
    pub async fn verify(&self, token: &str, now: i64) -> Result<(Checked, u64), TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        let alg = header.alg;
        if !self.allowed.contains(&alg) {
            return Err(TokenError::AlgorithmNotAllowed { alg });
        }
        let kid = header.kid.as_deref();

        let mut keys = self.keys.load_full();
        if keys.as_ref().is_none_or(|k| k.select(kid).is_none()) {
            self.refetch_if_due(now).await;
            keys = self.keys.load_full();
        }
        let keys = keys.ok_or(TokenError::KeysUnavailable)?;
        let key = keys.select(kid).ok_or(TokenError::UnknownKey)?;
        if !key.accepts(alg) {
            return Err(TokenError::KeyMismatch { alg });
        }

        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &only(alg))
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                _ => TokenError::Malformed,
            })?;
        let checked = self.rules.check(&data.claims, now)?;
        Ok((checked, keys.generation))
    }

    /// Refetches the JWKS unless one was tried less than the interval before `now`.
    /// Concurrent callers wait for the one fetch and then see its result.
    async fn refetch_if_due(&self, now: i64) {
        let mut last = self.last_refetch.lock().await;
        if last.is_some_and(|t| now < t.saturating_add(self.refetch_interval)) {
            return;
        }
        *last = Some(now);
        if let Err(error) = self.refresh().await {
            tracing::warn!(jwks.source = %self.source, error = %error, "jwks refetch failed");
        }
    }
}

/// Signature verification for exactly `alg`, with every time and claim check left to
/// [`ClaimRules`] (jsonwebtoken would read the system clock).
fn only(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::Reason;
    use crate::token::issuer::Issuer;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    const ISS: &str = "https://auth.example";

    fn rules() -> ClaimRules {
        ClaimRules {
            issuer: ISS.to_owned(),
            audience: None,
            leeway: 30,
            client_claim: "client_id".to_owned(),
            scope_claim: "scope".to_owned(),
        }
    }

    fn claims() -> Value {
        json!({
            "iss": ISS,
            "exp": 2_000,
            "client_id": "medmij.pgo.example",
            "scope": "umcharderwijk~48",
        })
    }

    /// A verifier whose JWKS file holds the public keys of `issuers`.
    async fn verifier(
        issuers: &[&Issuer],
        algorithms: &[Algorithm],
    ) -> (JwtVerifier, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwks.json");
        let keys: Vec<Value> = issuers.iter().map(|i| i.public_jwk()).collect();
        std::fs::write(&path, json!({ "keys": keys }).to_string()).unwrap();
        let v = JwtVerifier::new(
            Source::File(path),
            reqwest::Client::new(),
            algorithms,
            rules(),
        );
        v.refresh().await.unwrap();
        (v, dir)
    }

    async fn reject(v: &JwtVerifier, token: &str) -> TokenError {
        match v.verify(token, 1_000).await {
            Ok(_) => panic!("token was accepted"),
            Err(e) => e,
        }
    }

    #[tokio::test]
    async fn accepts_an_es256_token_signed_by_a_jwks_key() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let (checked, generation) = v.verify(&issuer.sign(&claims()), 1_000).await.unwrap();
        assert_eq!(checked.claims.client_id, "medmij.pgo.example");
        assert_eq!(checked.claims.exp, 2_000);
        assert_eq!(generation, 1);
    }

    #[tokio::test]
    async fn rejects_a_token_signed_by_another_key_under_the_same_kid() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let impostor = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let err = reject(&v, &impostor.sign(&claims())).await;
        assert!(matches!(err, TokenError::BadSignature));
        assert_eq!(err.reason(), Reason::TokenInvalid);
    }

    #[tokio::test]
    async fn rejects_a_token_whose_payload_was_altered_after_signing() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let token = issuer.sign(&claims());
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = claims();
        forged["scope"] = json!("umcharderwijk~49");
        let payload = URL_SAFE_NO_PAD.encode(forged.to_string());
        let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
        assert!(matches!(
            reject(&v, &tampered).await,
            TokenError::BadSignature
        ));
    }

    #[tokio::test]
    async fn rejects_an_algorithm_that_is_not_on_the_allow_list() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::RS256]).await;
        let err = reject(&v, &issuer.sign(&claims())).await;
        assert!(matches!(
            err,
            TokenError::AlgorithmNotAllowed {
                alg: Algorithm::ES256
            }
        ));
        assert_eq!(err.reason(), Reason::TokenInvalid);
    }

    #[tokio::test]
    async fn rejects_an_unsigned_alg_none_token() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": "k1"}).to_string());
        let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        let err = reject(&v, &format!("{header}.{payload}.")).await;
        assert!(matches!(err, TokenError::Malformed));
        assert_eq!(err.reason(), Reason::TokenInvalid);
    }

    /// The classic confusion attack: HS256 with the verifier's public key as HMAC secret.
    fn hs256_with_public_key_as_secret(issuer: &Issuer) -> String {
        let secret = issuer.jwks_json();
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some("k1".to_owned());
        let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
        jsonwebtoken::encode(&header, &claims(), &key).unwrap()
    }

    #[tokio::test]
    async fn rejects_hs256_signed_with_the_public_key_as_secret() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let err = reject(&v, &hs256_with_public_key_as_secret(&issuer)).await;
        assert!(matches!(
            err,
            TokenError::AlgorithmNotAllowed {
                alg: Algorithm::HS256
            }
        ));
        assert_eq!(err.reason(), Reason::TokenInvalid);
    }

    #[tokio::test]
    async fn rejects_hs256_even_when_a_bad_allow_list_names_it() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::HS256, Algorithm::ES256]).await;
        let err = reject(&v, &hs256_with_public_key_as_secret(&issuer)).await;
        assert!(matches!(
            err,
            TokenError::AlgorithmNotAllowed {
                alg: Algorithm::HS256
            }
        ));
    }

    #[tokio::test]
    async fn rejects_an_rsa_algorithm_claimed_for_an_ec_key() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::RS256, Algorithm::ES256]).await;
        let token = issuer.sign_with_header(&json!({"alg": "RS256", "kid": "k1"}), &claims());
        let err = reject(&v, &token).await;
        assert!(matches!(
            err,
            TokenError::KeyMismatch {
                alg: Algorithm::RS256
            }
        ));
        assert_eq!(err.reason(), Reason::TokenInvalid);
    }

    #[tokio::test]
    async fn rejects_es384_claimed_for_a_p256_key() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256, Algorithm::ES384]).await;
        let token = issuer.sign_with_header(&json!({"alg": "ES384", "kid": "k1"}), &claims());
        assert!(matches!(
            reject(&v, &token).await,
            TokenError::KeyMismatch { .. }
        ));
    }

    #[tokio::test]
    async fn accepts_a_token_without_kid_when_the_jwks_holds_one_key() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let token = issuer.sign_with_header(&json!({"alg": "ES256"}), &claims());
        assert!(v.verify(&token, 1_000).await.is_ok());
    }

    #[tokio::test]
    async fn rejects_a_token_without_kid_when_the_jwks_holds_two_keys() {
        let one = Issuer::generate(ISS, "k1").unwrap();
        let two = Issuer::generate(ISS, "k2").unwrap();
        let (v, _dir) = verifier(&[&one, &two], &[Algorithm::ES256]).await;
        let token = one.sign_with_header(&json!({"alg": "ES256"}), &claims());
        assert!(matches!(reject(&v, &token).await, TokenError::UnknownKey));
    }

    #[tokio::test]
    async fn rejects_an_unknown_kid_as_invalid_when_no_refetch_is_due() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let stranger = Issuer::generate(ISS, "k9").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        // The first unknown kid spends the refetch budget; the second finds none left.
        assert!(matches!(
            reject(&v, &stranger.sign(&claims())).await,
            TokenError::UnknownKey
        ));
        let err = reject(&v, &stranger.sign(&claims())).await;
        assert!(matches!(err, TokenError::UnknownKey));
        assert_eq!(err.reason(), Reason::TokenInvalid);
        assert_eq!(v.generation(), 2);
    }

    #[tokio::test]
    async fn rejects_a_signed_token_without_exp() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let mut no_exp = claims();
        no_exp.as_object_mut().unwrap().remove("exp");
        let err = reject(&v, &issuer.sign(&no_exp)).await;
        assert!(matches!(err, TokenError::MissingClaim { claim } if claim == "exp"));
    }

    #[tokio::test]
    async fn rejects_a_signed_token_expired_beyond_the_leeway_as_expired() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        let err = v
            .verify(&issuer.sign(&claims()), 2_030)
            .await
            .err()
            .unwrap();
        assert_eq!(err.reason(), Reason::TokenExpired);
        assert!(v.verify(&issuer.sign(&claims()), 2_029).await.is_ok());
    }

    #[tokio::test]
    async fn rejects_garbage_as_malformed() {
        let issuer = Issuer::generate(ISS, "k1").unwrap();
        let (v, _dir) = verifier(&[&issuer], &[Algorithm::ES256]).await;
        for junk in ["", "abc", "a.b.c", "....", "eyJ.eyJ.sig"] {
            assert!(
                matches!(reject(&v, junk).await, TokenError::Malformed),
                "{junk}"
            );
        }
    }
}
