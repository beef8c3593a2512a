//! Introspection mode (RFC 7662): asks the authorization server whether a token is active.
//!
//! POSTs `token=<t>&token_type_hint=access_token` with HTTP Basic client authentication
//! (RFC 6749 §2.3.1: id and secret form-encoded first). Only the JSON boolean `true` in
//! `active` counts as active; the answer's fields then go through the same
//! [`ClaimRules::check`] as a JWT's claims. Any failure to get a clear answer (connect error,
//! timeout, non-200, oversized or unparseable body) is an [`IntrospectionError`], which the
//! validator maps to `token_unverifiable` (503), never to a grant. Caching is
//! [`super::cache`]'s business; this module makes one request per call.

use std::time::Duration;

use serde_json::{Map, Value};

use super::TokenError;
use super::claims::{Checked, ClaimRules};

/// An introspection answer larger than this is refused.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IntrospectionError {
    #[error("introspection endpoint timed out")]
    Timeout(#[source] reqwest::Error),
    #[error("cannot reach the introspection endpoint")]
    Request(#[source] reqwest::Error),
    #[error("introspection endpoint answered HTTP {status}")]
    Status { status: u16 },
    #[error("introspection answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("introspection answer is not a JSON object")]
    Json(#[source] serde_json::Error),
}

impl From<reqwest::Error> for IntrospectionError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            IntrospectionError::Timeout(e)
        } else {
            IntrospectionError::Request(e)
        }
    }
}

/// The client secret; `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub fn new(secret: String) -> Self {
        Secret(secret)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What the endpoint said about a token.
#[derive(Debug)]
pub(crate) enum Answer {
    Active(Checked),
    Inactive,
}

#[derive(Debug)]
pub(crate) struct Introspector {
    url: url::Url,
    client_id: String,
    secret: Secret,
    http: reqwest::Client,
    /// Seconds an answer may be reused.
    pub cache_ttl: i64,
    rules: ClaimRules,
}

impl Introspector {
    pub fn new(
        url: url::Url,
        client_id: String,
        secret: Secret,
        http: reqwest::Client,
        cache_ttl: Duration,
        rules: ClaimRules,
    ) -> Self {
        let cache_ttl = i64::try_from(cache_ttl.as_secs()).unwrap_or(i64::MAX);
        Introspector {
            url,
            client_id,
            secret,
            http,
            cache_ttl,
            rules,
        }
    }

    /// Asks the endpoint about `token` and checks an active answer's claims at `now`.
    pub async fn introspect(&self, token: &str, now: i64) -> Result<Answer, TokenError> {
        let answer = self.ask(token).await.map_err(TokenError::Introspection)?;
        if answer.get("active") != Some(&Value::Bool(true)) {
            return Ok(Answer::Inactive);
        }
        self.rules.check(&answer, now).map(Answer::Active)
    }

    async fn ask(&self, token: &str) -> Result<Map<String, Value>, IntrospectionError> {
        let mut response = self
            .http
            .post(self.url.clone())
            .basic_auth(
                form_encode(&self.client_id),
                Some(form_encode(&self.secret.0)),
            )
            .header(http::header::ACCEPT, "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(IntrospectionError::Status {
                status: response.status().as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(IntrospectionError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(IntrospectionError::Json)
    }
}

/// `application/x-www-form-urlencoded` encoding, as RFC 6749 §2.3.1 asks for Basic auth.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_redacted_in_debug_output() {
        let secret = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn basic_auth_credentials_are_form_encoded() {
        assert_eq!(form_encode("scope gate:1"), "scope+gate%3A1");
        assert_eq!(form_encode("plain"), "plain");
    }
}
