//! TLS to upstreams: an `https://` upstream whose certificate comes from a private CA is
//! reached when `[server] upstream_ca` names that CA, and refused (502) when it does not.

mod tls_support;

use http::StatusCode;
use tls_support::{Harness, Setup, WHITELISTED, connect, http1, read};

async fn status_through(h: &Harness) -> (StatusCode, serde_json::Value) {
    let client = h.pki.client(WHITELISTED);
    let stream = connect(h.addr(), h.pki.client_config(Some(&client), &[b"http/1.1"]))
        .await
        .unwrap();
    let mut send = http1(stream).await;
    let (status, body) = read(send.send_request(h.request()).await.unwrap()).await;
    let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// An upstream whose certificate (for 127.0.0.1) the test CA issued.
fn setup(upstream_ca: bool) -> Setup {
    Setup {
        upstream_tls: true,
        upstream_ca,
        ..Setup::default()
    }
}

#[tokio::test]
async fn an_https_upstream_signed_by_the_configured_ca_is_reached() {
    let h = Harness::start(setup(true)).await;
    let (status, _) = status_through(&h).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.upstream.count(), 1);
}

#[tokio::test]
async fn an_https_upstream_from_an_unknown_ca_is_refused_as_unavailable() {
    let h = Harness::start(setup(false)).await;
    let (status, body) = status_through(&h).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap_or_default();
    assert!(
        diagnostics.starts_with("upstream_unavailable"),
        "{diagnostics}"
    );
    assert_eq!(h.upstream.count(), 0);
}
