//! Logs and `Debug` output never show a token or the introspection secret.
//!
//! One test in its own binary on purpose: the log capture is a thread-local subscriber, and
//! tracing caches callsite interest across threads, so parallel tests could hide events.

mod token_support;

use std::time::Duration;

use scopegate::config::Source;
use scopegate::token::{Issuer, TokenValidator};
use serde_json::json;
use token_support::{
    ISS, Received, TestServer, claims, http_client, introspection_tokens, json_response,
    jwt_tokens, response,
};

const SECRET: &str = "s3cret-for-log-test";

#[tokio::test]
async fn neither_logs_nor_debug_output_show_a_token_or_the_secret() {
    let (_guard, logs) = token_support::capture_logs();

    // JWT mode: a successful load, then a failed refetch caused by an unknown kid.
    let known = Issuer::generate(ISS, "k1").unwrap();
    let stranger = Issuer::generate(ISS, "k9").unwrap();
    let jwks_body = known.jwks_json();
    let fail = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let failing = std::sync::Arc::clone(&fail);
    let jwks = TestServer::start(move |_| {
        let status = if failing.load(std::sync::atomic::Ordering::SeqCst) {
            500
        } else {
            200
        };
        let body = jwks_body.clone();
        async move { response(status, "application/json", body) }
    })
    .await;
    let v = TokenValidator::new(
        &jwt_tokens(Source::Url(jwks.url("/jwks.json"))),
        http_client(Duration::from_secs(2)),
    )
    .await
    .unwrap();
    fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let bad = stranger.sign(&claims(5_000));
    let good = known.sign(&claims(5_000));
    assert!(v.validate(&bad, 1_000).await.is_err());
    assert!(v.validate(&good, 1_000).await.is_ok());

    // Introspection mode: active, inactive, broken and hanging answers.
    let endpoint = TestServer::start(|req: Received| async move {
        match req.form("token").as_deref() {
            Some("tok-active") => json_response(
                200,
                &json!({"active": true, "iss": ISS, "aud": "scopegate", "exp": 5_000,
                        "client_id": "c", "scope": "za~1"}),
            ),
            Some("tok-500") => response(500, "text/plain", "boom"),
            Some("tok-hang") => {
                tokio::time::sleep(Duration::from_secs(3_600)).await;
                response(200, "text/plain", "late")
            }
            _ => json_response(200, &json!({"active": false})),
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let tokens = introspection_tokens(
        endpoint.url("/introspect"),
        secret_file,
        Duration::from_secs(60),
    );
    let iv = TokenValidator::new(&tokens, http_client(Duration::from_millis(300)))
        .await
        .unwrap();
    for token in ["tok-active", "tok-inactive", "tok-500", "tok-hang"] {
        let _ = iv.validate(token, 1_000).await;
    }

    let text = logs.text();
    assert!(
        text.contains("jwks loaded"),
        "the capture saw nothing: {text}"
    );
    assert!(text.contains("jwks refetch failed"), "{text}");
    let debug = format!("{v:?} {iv:?}");
    assert!(debug.contains("<redacted>"), "{debug}");
    for output in [&text, &debug] {
        assert!(!output.contains(SECRET));
        assert!(!output.contains("tok-"));
        for token in [&bad, &good] {
            for part in token.split('.') {
                assert!(!output.contains(part), "a token part leaked");
            }
        }
    }
}
