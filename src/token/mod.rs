//! Token validation (SPEC §3 `[tokens]`, §7 rows 3–4): turns a bearer token into [`Claims`]
//! or into exactly one [`Reason`].
//!
//! [`TokenValidator`] is built once from [`config::Tokens`] and shared by the proxy's
//! authenticate phase; `/readyz` and reloads use [`TokenValidator::keys_available`] and
//! [`TokenValidator::refresh_keys`]. JWT mode is [`jwt`] over a [`jwks`] key set;
//! introspection mode is [`introspection`]; both end in the same claim checks
//! ([`claims`]). Successful verifications (and inactive introspection answers) are kept in a
//! bounded [`cache`] keyed by the token's SHA-256. The caller passes `now`: nothing here
//! reads the clock. This module does not find the token in the request (that is the
//! proxy's job, including `token_missing` and `token_in_query`), does not parse the scope,
//! and never logs a token or a secret. [`issuer`] is a test/demo token issuer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::config::{self, Source, TokenMode};
use crate::reason::Reason;

mod cache;
mod claims;
pub mod introspection;
pub mod issuer;
pub mod jwks;
mod jwt;

pub use cache::DEFAULT_CAPACITY as DEFAULT_CACHE_CAPACITY;
pub use claims::Claims;
pub use introspection::IntrospectionError;
pub use issuer::{Issuer, IssuerError};
pub use jwks::JwksError;
pub use jwt::DEFAULT_REFETCH_INTERVAL;

use cache::{TokenCache, Verdict};
use claims::ClaimRules;
use introspection::{Answer, Introspector, Secret};
use jwt::JwtVerifier;

/// Default timeout for JWKS and introspection requests.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// A verified JWT is cached at most this long, even when its `exp` is further away.
pub const JWT_CACHE_MAX_AGE: Duration = Duration::from_secs(300);

/// Why a token was not accepted. Each maps to one [`Reason`]; none carries token contents.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is not a well-formed JWT")]
    Malformed,
    #[error("token algorithm {alg:?} is not allowed")]
    AlgorithmNotAllowed { alg: Algorithm },
    #[error("no key in the JWKS matches the token")]
    UnknownKey,
    #[error("token algorithm {alg:?} does not fit the selected key")]
    KeyMismatch { alg: Algorithm },
    #[error("token signature does not verify")]
    BadSignature,
    #[error("token claim {claim} is missing")]
    MissingClaim { claim: String },
    #[error("token claim {claim} has the wrong type")]
    MistypedClaim { claim: String },
    #[error("token issuer does not match")]
    WrongIssuer,
    #[error("token audience does not match")]
    WrongAudience,
    #[error("token expired at {exp}")]
    Expired { exp: i64 },
    #[error("token is not valid before {nbf}")]
    NotYetValid { nbf: i64 },
    #[error("introspection: token is not active")]
    Inactive,
    #[error("no verification keys are available")]
    KeysUnavailable,
    #[error("JWKS could not be loaded")]
    Jwks(#[source] JwksError),
    #[error("introspection endpoint could not be consulted")]
    Introspection(#[source] IntrospectionError),
}

impl TokenError {
    /// The one denial reason of SPEC §7 this error stands for.
    pub fn reason(&self) -> Reason {
        match self {
            TokenError::Expired { .. } => Reason::TokenExpired,
            TokenError::KeysUnavailable | TokenError::Jwks(_) | TokenError::Introspection(_) => {
                Reason::TokenUnverifiable
            }
            TokenError::Malformed
            | TokenError::AlgorithmNotAllowed { .. }
            | TokenError::UnknownKey
            | TokenError::KeyMismatch { .. }
            | TokenError::BadSignature
            | TokenError::MissingClaim { .. }
            | TokenError::MistypedClaim { .. }
            | TokenError::WrongIssuer
            | TokenError::WrongAudience
            | TokenError::NotYetValid { .. }
            | TokenError::Inactive => Reason::TokenInvalid,
        }
    }
}

/// Why a [`TokenValidator`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TokenSetupError {
    #[error("[tokens] mode = \"jwt\" needs `jwks`")]
    MissingJwks,
    #[error("[tokens] mode = \"introspection\" needs [tokens.introspection]")]
    MissingIntrospection,
    #[error("cannot load the JWKS")]
    Jwks(#[source] JwksError),
    #[error("cannot read the introspection client secret {path}")]
    SecretUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the introspection client secret file {path} is empty")]
    SecretEmpty { path: PathBuf },
}

/// The HTTP client for JWKS and introspection requests: rustls, no redirects, `timeout` for
/// connecting and for the whole exchange.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
}

#[derive(Debug)]
enum Verifier {
    Jwt(JwtVerifier),
    Introspection(Introspector),
}

/// Validates bearer tokens as configured in `[tokens]`.
#[derive(Debug)]
pub struct TokenValidator {
    verifier: Verifier,
    /// Seconds.
    leeway: i64,
    cache: Option<TokenCache>,
}

impl TokenValidator {
    /// Builds the validator. In JWT mode the JWKS is loaded now: a JWKS *file* that cannot
    /// be loaded is an error; an unreachable JWKS *URL* is not (the validator starts without
    /// keys, tokens get `token_unverifiable` until a refetch or [`Self::refresh_keys`]
    /// succeeds). In introspection mode the client secret is read now.
    pub async fn new(
        tokens: &config::Tokens,
        http: reqwest::Client,
    ) -> Result<TokenValidator, TokenSetupError> {
        let rules = ClaimRules::from_config(tokens);
        let leeway = rules.leeway;
        let verifier = match tokens.mode {
            TokenMode::Jwt => {
                let source = tokens.jwks.clone().ok_or(TokenSetupError::MissingJwks)?;
                let jwt = JwtVerifier::new(source, http, &tokens.algorithms, rules);
                if let Err(error) = jwt.refresh().await {
                    if matches!(jwt.source(), Source::File(_)) {
                        return Err(TokenSetupError::Jwks(error));
                    }
                    tracing::warn!(
                        jwks.source = %jwt.source(),
                        error = %error,
                        "jwks unavailable at start; tokens are unverifiable until it loads"
                    );
                }
                Verifier::Jwt(jwt)
            }
            TokenMode::Introspection => {
                let cfg = tokens
                    .introspection
                    .as_ref()
                    .ok_or(TokenSetupError::MissingIntrospection)?;
                let secret = read_secret(&cfg.client_secret_file).await?;
                Verifier::Introspection(Introspector::new(
                    cfg.url.clone(),
                    cfg.client_id.clone(),
                    secret,
                    http,
                    cfg.cache_ttl,
                    rules,
                ))
            }
        };
        Ok(TokenValidator {
            verifier,
            leeway,
            cache: Some(TokenCache::new(DEFAULT_CACHE_CAPACITY)),
        })
    }

    /// Switches the verified-token cache on (the default, [`DEFAULT_CACHE_CAPACITY`]
    /// entries) or off.
    pub fn with_cache(self, enabled: bool) -> Self {
        self.with_cache_capacity(if enabled { DEFAULT_CACHE_CAPACITY } else { 0 })
    }

    /// Sets the cache bound; 0 switches the cache off.
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = (capacity > 0).then(|| TokenCache::new(capacity));
        self
    }

    /// Sets the minimum time between JWKS refetches caused by an unknown `kid`
    /// (default [`DEFAULT_REFETCH_INTERVAL`]). No effect in introspection mode.
    pub fn with_refetch_interval(mut self, interval: Duration) -> Self {
        if let Verifier::Jwt(jwt) = &mut self.verifier {
            jwt.set_refetch_interval(interval);
        }
        self
    }

    /// Validates `token` at `now_unix` (seconds since the Unix epoch).
    pub async fn validate(&self, token: &str, now_unix: i64) -> Result<Arc<Claims>, TokenError> {
        let now = now_unix;
        let fingerprint = self.cache.as_ref().map(|_| cache::fingerprint(token));
        if let (Some(cache), Some(fp)) = (&self.cache, &fingerprint) {
            match cache.get(fp, now, self.generation()) {
                Some(Verdict::Valid(claims)) => {
                    if now >= claims.exp.saturating_add(self.leeway) {
                        return Err(TokenError::Expired { exp: claims.exp });
                    }
                    return Ok(claims);
                }
                Some(Verdict::Inactive) => return Err(TokenError::Inactive),
                None => {}
            }
        }
        let remember = |verdict: Verdict, valid_from: i64, valid_until: i64, generation: u64| {
            if let (Some(cache), Some(fp)) = (&self.cache, fingerprint) {
                cache.insert(fp, verdict, valid_from, valid_until, generation, now);
            }
        };

        match &self.verifier {
            Verifier::Jwt(jwt) => {
                let (checked, generation) = jwt.verify(token, now).await?;
                let claims = Arc::new(checked.claims);
                let max_age = i64::try_from(JWT_CACHE_MAX_AGE.as_secs()).unwrap_or(i64::MAX);
                let until = claims
                    .exp
                    .saturating_add(self.leeway)
                    .min(now.saturating_add(max_age));
                let from = checked
                    .nbf
                    .map_or(i64::MIN, |nbf| nbf.saturating_sub(self.leeway));
                remember(Verdict::Valid(Arc::clone(&claims)), from, until, generation);
                Ok(claims)
            }
            Verifier::Introspection(introspector) => {
                let ttl_end = now.saturating_add(introspector.cache_ttl);
                match introspector.introspect(token, now).await? {
                    Answer::Active(checked) => {
                        let claims = Arc::new(checked.claims);
                        let from = checked
                            .nbf
                            .map_or(i64::MIN, |nbf| nbf.saturating_sub(self.leeway));
                        let until = ttl_end.min(claims.exp);
                        remember(Verdict::Valid(Arc::clone(&claims)), from, until, 0);
                        Ok(claims)
                    }
                    Answer::Inactive => {
                        remember(Verdict::Inactive, i64::MIN, ttl_end, 0);
                        Err(TokenError::Inactive)
                    }
                }
            }
        }
    }

    /// Reloads the JWKS now (reloads, `/readyz` retries) and returns the number of usable
    /// keys; on failure the current keys stay. Introspection mode has no keys: `Ok(0)`.
    pub async fn refresh_keys(&self) -> Result<usize, TokenError> {
        match &self.verifier {
            Verifier::Jwt(jwt) => jwt.refresh().await.map_err(TokenError::Jwks),
            Verifier::Introspection(_) => Ok(0),
        }
    }

    /// Whether tokens can be verified: a JWKS is loaded (always true in introspection mode,
    /// whose endpoint is only known to be up by asking it).
    pub fn keys_available(&self) -> bool {
        match &self.verifier {
            Verifier::Jwt(jwt) => jwt.keys_available(),
            Verifier::Introspection(_) => true,
        }
    }

    /// Number of tokens in the cache (for tests and metrics).
    pub fn cached_tokens(&self) -> usize {
        self.cache.as_ref().map_or(0, TokenCache::len)
    }

    fn generation(&self) -> u64 {
        match &self.verifier {
            Verifier::Jwt(jwt) => jwt.generation(),
            Verifier::Introspection(_) => 0,
        }
    }
}

async fn read_secret(path: &std::path::Path) -> Result<Secret, TokenSetupError> {
    let text = tokio::fs::read_to_string(path).await.map_err(|source| {
        TokenSetupError::SecretUnreadable {
            path: path.to_owned(),
            source,
        }
    })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TokenSetupError::SecretEmpty {
            path: path.to_owned(),
        });
    }
    Ok(Secret::new(trimmed.to_owned()))
}
