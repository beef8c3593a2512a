//! JWT mode against a real JWKS server on loopback: the refetch limit, key rotation, a JWKS
//! that was never loaded, and the verified-token cache.

mod token_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use scopegate::config::Source;
use scopegate::reason::Reason;
use scopegate::token::{Issuer, TokenError, TokenValidator};
use serde_json::json;
use token_support::{ISS, TestServer, claims, http_client, json_response, jwt_tokens, response};

/// A JWKS server whose answer (status, body) the test can change.
struct JwksServer {
    server: TestServer,
    answer: Arc<Mutex<(u16, String)>>,
}

impl JwksServer {
    async fn start(issuers: &[&Issuer]) -> JwksServer {
        let answer = Arc::new(Mutex::new((200, String::new())));
        let shared = Arc::clone(&answer);
        let server = TestServer::start(move |_| {
            let (status, body) = shared.lock().unwrap().clone();
            async move { response(status, "application/jwk-set+json", body) }
        })
        .await;
        let jwks = JwksServer { server, answer };
        jwks.publish(issuers);
        jwks
    }

    fn publish(&self, issuers: &[&Issuer]) {
        let keys: Vec<_> = issuers.iter().map(|i| i.public_jwk()).collect();
        *self.answer.lock().unwrap() = (200, json!({ "keys": keys }).to_string());
    }

    fn fail_with(&self, status: u16) {
        *self.answer.lock().unwrap() = (status, "unavailable".to_owned());
    }

    fn source(&self) -> Source {
        Source::Url(self.server.url("/jwks.json"))
    }

    fn fetches(&self) -> usize {
        self.server.hits()
    }
}

async fn validator(jwks: &JwksServer) -> TokenValidator {
    TokenValidator::new(
        &jwt_tokens(jwks.source()),
        http_client(Duration::from_secs(2)),
    )
    .await
    .unwrap()
    .with_refetch_interval(Duration::from_secs(30))
}

fn reason(result: Result<Arc<scopegate::token::Claims>, TokenError>) -> Option<Reason> {
    result.err().map(|e| e.reason())
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_at_most_once_per_interval() {
    let known = Issuer::generate(ISS, "k1").unwrap();
    let stranger = Issuer::generate(ISS, "k-unknown").unwrap();
    let jwks = JwksServer::start(&[&known]).await;
    let v = validator(&jwks).await;
    assert_eq!(jwks.fetches(), 1);
    let token = stranger.sign(&claims(5_000));

    assert_eq!(
        reason(v.validate(&token, 1_000).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(jwks.fetches(), 2);
    assert_eq!(
        reason(v.validate(&token, 1_010).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(
        reason(v.validate(&token, 1_029).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(jwks.fetches(), 2);
    assert_eq!(
        reason(v.validate(&token, 1_030).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(jwks.fetches(), 3);
}

#[tokio::test]
async fn a_known_kid_never_triggers_a_fetch() {
    let known = Issuer::generate(ISS, "k1").unwrap();
    let jwks = JwksServer::start(&[&known]).await;
    let v = validator(&jwks).await.with_cache(false);
    for now in [1_000, 1_001, 1_100] {
        assert!(v.validate(&known.sign(&claims(5_000)), now).await.is_ok());
    }
    assert_eq!(jwks.fetches(), 1);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_through_its_unknown_kid() {
    let old = Issuer::generate(ISS, "2026-01").unwrap();
    let new = Issuer::generate(ISS, "2026-02").unwrap();
    let jwks = JwksServer::start(&[&old]).await;
    let v = validator(&jwks).await;
    assert!(v.validate(&old.sign(&claims(5_000)), 1_000).await.is_ok());

    jwks.publish(&[&new]);
    let claims = v.validate(&new.sign(&claims(5_000)), 1_001).await.unwrap();
    assert_eq!(claims.client_id, "medmij.deenigeechtepgo.nl");
    assert_eq!(jwks.fetches(), 2);
}

#[tokio::test]
async fn a_key_removed_by_rotation_no_longer_verifies_even_from_the_cache() {
    let old = Issuer::generate(ISS, "2026-01").unwrap();
    let new = Issuer::generate(ISS, "2026-02").unwrap();
    let jwks = JwksServer::start(&[&old]).await;
    let v = validator(&jwks).await;
    let old_token = old.sign(&claims(5_000));
    assert!(v.validate(&old_token, 1_000).await.is_ok());
    assert_eq!(v.cached_tokens(), 1);

    jwks.publish(&[&new]);
    assert_eq!(v.refresh_keys().await.unwrap(), 1);
    assert_eq!(
        reason(v.validate(&old_token, 1_001).await),
        Some(Reason::TokenInvalid)
    );
}

#[tokio::test]
async fn tokens_are_unverifiable_while_the_jwks_was_never_loaded() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let jwks = JwksServer::start(&[&issuer]).await;
    jwks.fail_with(503);
    let v = validator(&jwks).await;
    assert!(!v.keys_available());
    let token = issuer.sign(&claims(5_000));
    let err = v.validate(&token, 1_000).await.err().unwrap();
    assert!(matches!(err, TokenError::KeysUnavailable));
    assert_eq!(err.reason(), Reason::TokenUnverifiable);

    jwks.publish(&[&issuer]);
    assert_eq!(v.refresh_keys().await.unwrap(), 1);
    assert!(v.keys_available());
    assert!(v.validate(&token, 1_001).await.is_ok());
}

#[tokio::test]
async fn a_refused_jwks_connection_at_start_leaves_tokens_unverifiable() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let url = token_support::refused_url("/jwks.json").await;
    let v = TokenValidator::new(
        &jwt_tokens(Source::Url(url)),
        http_client(Duration::from_secs(2)),
    )
    .await
    .unwrap();
    assert!(!v.keys_available());
    let err = v
        .validate(&issuer.sign(&claims(5_000)), 1_000)
        .await
        .err()
        .unwrap();
    assert_eq!(err.reason(), Reason::TokenUnverifiable);
    let refresh = v.refresh_keys().await.err().unwrap();
    assert_eq!(refresh.reason(), Reason::TokenUnverifiable);
}

#[tokio::test]
async fn a_failed_refetch_keeps_the_last_good_keys() {
    let known = Issuer::generate(ISS, "k1").unwrap();
    let stranger = Issuer::generate(ISS, "k9").unwrap();
    let jwks = JwksServer::start(&[&known]).await;
    let v = validator(&jwks).await.with_cache(false);
    jwks.fail_with(500);
    let err = v
        .validate(&stranger.sign(&claims(5_000)), 1_000)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, TokenError::UnknownKey));
    assert_eq!(jwks.fetches(), 2);
    assert!(v.keys_available());
    assert!(v.validate(&known.sign(&claims(5_000)), 1_001).await.is_ok());
}

#[tokio::test]
async fn the_jwks_is_not_fetched_through_a_redirect() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let target = JwksServer::start(&[&issuer]).await;
    let location = target.server.url("/jwks.json").to_string();
    let redirector = TestServer::start(move |_| {
        let location = location.clone();
        async move {
            let mut r = response(302, "text/plain", "moved");
            r.headers_mut()
                .insert(http::header::LOCATION, location.parse().unwrap());
            r
        }
    })
    .await;
    let tokens = jwt_tokens(Source::Url(redirector.url("/jwks.json")));
    let v = TokenValidator::new(&tokens, http_client(Duration::from_secs(2)))
        .await
        .unwrap();
    assert!(!v.keys_available());
    assert_eq!(target.fetches(), 0);
}

#[tokio::test]
async fn a_cached_token_still_expires_at_exp_plus_leeway() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let jwks = JwksServer::start(&[&issuer]).await;
    let v = validator(&jwks).await;
    let token = issuer.sign(&claims(1_100));
    assert!(v.validate(&token, 1_000).await.is_ok());
    assert_eq!(v.cached_tokens(), 1);
    assert!(v.validate(&token, 1_129).await.is_ok());
    assert_eq!(
        reason(v.validate(&token, 1_130).await),
        Some(Reason::TokenExpired)
    );
}

#[tokio::test]
async fn a_cached_token_is_not_valid_before_its_nbf() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let jwks = JwksServer::start(&[&issuer]).await;
    let v = validator(&jwks).await;
    let mut c = claims(5_000);
    c["nbf"] = json!(1_000);
    let token = issuer.sign(&c);
    assert!(v.validate(&token, 1_000).await.is_ok());
    assert_eq!(
        reason(v.validate(&token, 969).await),
        Some(Reason::TokenInvalid)
    );
}

#[tokio::test]
async fn without_the_cache_nothing_is_remembered() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let jwks = JwksServer::start(&[&issuer]).await;
    let v = validator(&jwks).await.with_cache(false);
    assert!(
        v.validate(&issuer.sign(&claims(5_000)), 1_000)
            .await
            .is_ok()
    );
    assert_eq!(v.cached_tokens(), 0);
}

#[tokio::test]
async fn an_invalid_token_is_never_cached() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let jwks = JwksServer::start(&[&issuer]).await;
    let v = validator(&jwks).await;
    let mut c = claims(5_000);
    c["iss"] = json!("https://evil.example");
    assert_eq!(
        reason(v.validate(&issuer.sign(&c), 1_000).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(v.cached_tokens(), 0);
}

#[tokio::test]
async fn the_audience_is_checked_when_configured() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let jwks = JwksServer::start(&[&issuer]).await;
    let mut tokens = jwt_tokens(jwks.source());
    tokens.audience = Some("scopegate".to_owned());
    let v = TokenValidator::new(&tokens, http_client(Duration::from_secs(2)))
        .await
        .unwrap();
    let mut c = claims(5_000);
    c["aud"] = json!("another-gateway");
    assert_eq!(
        reason(v.validate(&issuer.sign(&c), 1_000).await),
        Some(Reason::TokenInvalid)
    );
    c["aud"] = json!(["another-gateway", "scopegate"]);
    assert!(v.validate(&issuer.sign(&c), 1_000).await.is_ok());
}

#[tokio::test]
async fn a_missing_jwks_file_is_a_setup_error() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = jwt_tokens(Source::File(dir.path().join("absent.json")));
    let err = TokenValidator::new(&tokens, http_client(Duration::from_secs(2)))
        .await
        .err();
    assert!(matches!(
        err,
        Some(scopegate::token::TokenSetupError::Jwks(_))
    ));
}

#[tokio::test]
async fn a_500_answer_is_not_a_jwks() {
    let issuer = Issuer::generate(ISS, "k1").unwrap();
    let server = TestServer::start(|_| async { json_response(500, &json!({"keys": []})) }).await;
    let v = TokenValidator::new(
        &jwt_tokens(Source::Url(server.url("/jwks.json"))),
        http_client(Duration::from_secs(2)),
    )
    .await
    .unwrap();
    let err = v
        .validate(&issuer.sign(&claims(5_000)), 1_000)
        .await
        .err()
        .unwrap();
    assert_eq!(err.reason(), Reason::TokenUnverifiable);
}
