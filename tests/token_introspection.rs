//! Introspection mode (RFC 7662) against a real endpoint on loopback: what counts as active,
//! what an unreachable or broken endpoint means (503, never a grant), client
//! authentication, and how long answers are reused.

mod token_support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use scopegate::reason::Reason;
use scopegate::token::{Claims, TokenError, TokenSetupError, TokenValidator};
use serde_json::json;
use token_support::{
    ISS, Received, TestServer, http_client, introspection_tokens, json_response, response,
};

const SECRET: &str = "s3cret-for-tests";

/// The endpoint's answer for each test token.
async fn answer(req: Received) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let active = |exp: i64| {
        json!({
            "active": true, "iss": ISS, "aud": "scopegate", "exp": exp,
            "client_id": "medmij.deenigeechtepgo.nl", "scope": "umcharderwijk~48", "sub": "p-1",
        })
    };
    match req.form("token").as_deref() {
        Some("tok-active") => json_response(200, &active(100_000)),
        Some("tok-short") => json_response(200, &active(1_010)),
        Some("tok-inactive") => json_response(200, &json!({"active": false})),
        Some("tok-string-true") => {
            let mut a = active(100_000);
            a["active"] = json!("true");
            json_response(200, &a)
        }
        Some("tok-wrong-iss") => {
            let mut a = active(100_000);
            a["iss"] = json!("https://evil.example");
            json_response(200, &a)
        }
        Some("tok-no-client") => {
            let mut a = active(100_000);
            a.as_object_mut().map(|o| o.remove("client_id"));
            json_response(200, &a)
        }
        Some("tok-500") => response(500, "text/plain", "boom"),
        Some("tok-html") => response(200, "text/html", "<html>login</html>"),
        Some("tok-hang") => {
            tokio::time::sleep(Duration::from_secs(3_600)).await;
            response(200, "text/plain", "too late")
        }
        _ => json_response(400, &json!({"error": "invalid_request"})),
    }
}

struct Setup {
    server: TestServer,
    last: Arc<Mutex<Option<Received>>>,
    _dir: tempfile::TempDir,
    secret_file: PathBuf,
}

async fn setup() -> Setup {
    let last = Arc::new(Mutex::new(None));
    let record = Arc::clone(&last);
    let server = TestServer::start(move |req: Received| {
        *record.lock().unwrap() = Some(req.clone());
        answer(req)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("introspection.secret");
    std::fs::write(&secret_file, format!("  {SECRET}\n")).unwrap();
    Setup {
        server,
        last,
        _dir: dir,
        secret_file,
    }
}

impl Setup {
    async fn validator(&self, ttl: Duration) -> TokenValidator {
        let tokens = introspection_tokens(
            self.server.url("/introspect"),
            self.secret_file.clone(),
            ttl,
        );
        TokenValidator::new(&tokens, http_client(Duration::from_millis(500)))
            .await
            .unwrap()
    }
}

fn reason(result: Result<Arc<Claims>, TokenError>) -> Option<Reason> {
    result.err().map(|e| e.reason())
}

#[tokio::test]
async fn an_active_token_yields_its_claims() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    let claims = v.validate("tok-active", 1_000).await.unwrap();
    assert_eq!(
        *claims,
        Claims {
            client_id: "medmij.deenigeechtepgo.nl".to_owned(),
            scope: "umcharderwijk~48".to_owned(),
            sub: Some("p-1".to_owned()),
            exp: 100_000,
        }
    );
}

#[tokio::test]
async fn the_request_is_a_basic_authenticated_form_post() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    v.validate("tok-active", 1_000).await.unwrap();
    let req = s.last.lock().unwrap().clone().unwrap();
    assert_eq!(req.method, http::Method::POST);
    assert_eq!(req.path, "/introspect");
    assert_eq!(req.form("token").as_deref(), Some("tok-active"));
    assert_eq!(req.form("token_type_hint").as_deref(), Some("access_token"));
    assert_eq!(
        req.headers.get(http::header::CONTENT_TYPE).unwrap(),
        "application/x-www-form-urlencoded"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("scopegate:{SECRET}"));
    assert_eq!(
        req.headers.get(http::header::AUTHORIZATION).unwrap(),
        &format!("Basic {basic}")
    );
}

#[tokio::test]
async fn an_inactive_token_is_invalid() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    let err = v.validate("tok-inactive", 1_000).await.err().unwrap();
    assert!(matches!(err, TokenError::Inactive));
    assert_eq!(err.reason(), Reason::TokenInvalid);
}

#[tokio::test]
async fn active_as_the_string_true_is_inactive() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    let err = v.validate("tok-string-true", 1_000).await.err().unwrap();
    assert!(matches!(err, TokenError::Inactive));
}

#[tokio::test]
async fn an_active_answer_from_another_issuer_is_invalid() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    let err = v.validate("tok-wrong-iss", 1_000).await.err().unwrap();
    assert!(matches!(err, TokenError::WrongIssuer));
}

#[tokio::test]
async fn an_active_answer_without_client_id_is_invalid() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    assert_eq!(
        reason(v.validate("tok-no-client", 1_000).await),
        Some(Reason::TokenInvalid)
    );
}

#[tokio::test]
async fn an_endpoint_error_is_unverifiable_and_not_cached() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    let err = v.validate("tok-500", 1_000).await.err().unwrap();
    assert!(matches!(
        err,
        TokenError::Introspection(scopegate::token::IntrospectionError::Status { status: 500 })
    ));
    assert_eq!(err.reason(), Reason::TokenUnverifiable);
    assert_eq!(
        reason(v.validate("tok-500", 1_001).await),
        Some(Reason::TokenUnverifiable)
    );
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn a_non_json_answer_is_unverifiable() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    assert_eq!(
        reason(v.validate("tok-html", 1_000).await),
        Some(Reason::TokenUnverifiable)
    );
}

#[tokio::test]
async fn a_hanging_endpoint_times_out_as_unverifiable() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    let started = std::time::Instant::now();
    let err = v.validate("tok-hang", 1_000).await.err().unwrap();
    assert!(matches!(
        err,
        TokenError::Introspection(scopegate::token::IntrospectionError::Timeout(_))
    ));
    assert_eq!(err.reason(), Reason::TokenUnverifiable);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_refused_connection_is_unverifiable() {
    let s = setup().await;
    let url = token_support::refused_url("/introspect").await;
    let tokens = introspection_tokens(url, s.secret_file.clone(), Duration::from_secs(60));
    let v = TokenValidator::new(&tokens, http_client(Duration::from_millis(500)))
        .await
        .unwrap();
    assert!(v.keys_available());
    let err = v.validate("tok-active", 1_000).await.err().unwrap();
    assert!(matches!(
        err,
        TokenError::Introspection(scopegate::token::IntrospectionError::Request(_))
    ));
    assert_eq!(err.reason(), Reason::TokenUnverifiable);
}

#[tokio::test]
async fn an_active_answer_is_reused_for_cache_ttl_only() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    v.validate("tok-active", 1_000).await.unwrap();
    v.validate("tok-active", 1_059).await.unwrap();
    assert_eq!(s.server.hits(), 1);
    v.validate("tok-active", 1_060).await.unwrap();
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn an_active_answer_is_never_reused_beyond_the_tokens_exp() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    v.validate("tok-short", 1_000).await.unwrap();
    v.validate("tok-short", 1_009).await.unwrap();
    assert_eq!(s.server.hits(), 1);
    assert_eq!(
        reason(v.validate("tok-short", 1_010).await),
        Some(Reason::TokenExpired)
    );
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn an_inactive_answer_is_reused_for_cache_ttl() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await;
    assert_eq!(
        reason(v.validate("tok-inactive", 1_000).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(
        reason(v.validate("tok-inactive", 1_059).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(s.server.hits(), 1);
    assert_eq!(
        reason(v.validate("tok-inactive", 1_060).await),
        Some(Reason::TokenInvalid)
    );
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn without_the_cache_every_validation_asks_the_endpoint() {
    let s = setup().await;
    let v = s.validator(Duration::from_secs(60)).await.with_cache(false);
    v.validate("tok-active", 1_000).await.unwrap();
    v.validate("tok-active", 1_000).await.unwrap();
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn an_empty_secret_file_is_a_setup_error() {
    let s = setup().await;
    std::fs::write(&s.secret_file, " \n").unwrap();
    let tokens = introspection_tokens(
        s.server.url("/introspect"),
        s.secret_file.clone(),
        Duration::ZERO,
    );
    let err = TokenValidator::new(&tokens, http_client(Duration::from_secs(1)))
        .await
        .err();
    assert!(matches!(err, Some(TokenSetupError::SecretEmpty { .. })));
}
