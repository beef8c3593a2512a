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
