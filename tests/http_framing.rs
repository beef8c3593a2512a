//! Ambiguous request framing, written as raw bytes: what hyper 1.x refuses by itself (a bare
//! 400, our service never runs) and what reaches `proxy::framing` (a `request_malformed`
//! OperationOutcome). In every refused case the upstream receives nothing.

mod http_support;

use std::sync::atomic::Ordering;

use http_support::*;

async fn refused_by(request: &str) -> (RawResponse, usize) {
    let upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let response = RawResponse::parse(&raw(gateway.addr, request.as_bytes()).await);
    (response, upstream.requests.load(Ordering::SeqCst))
}

fn assert_bare_hyper_400(response: &RawResponse, upstream_requests: usize) {
    assert_eq!(response.status, 400);
    assert_eq!(response.header("www-authenticate"), None);
    assert_eq!(response.header("content-length"), Some("0"));
    assert_eq!(upstream_requests, 0);
}

fn assert_request_malformed(response: &RawResponse, upstream_requests: usize) {
    assert_eq!(response.status, 400);
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer realm=\"scopegate\", error=\"invalid_request\"")
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/fhir+json")
    );
    let (code, diagnostics) = response.issue();
    assert_eq!(code, "invalid");
    assert!(
        diagnostics.starts_with("request_malformed: "),
        "{diagnostics}"
    );
    assert_eq!(upstream_requests, 0);
}

#[tokio::test]
async fn hyper_refuses_differing_content_lengths() {
    let (r, n) = refused_by(
        "POST /fhir/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    )
    .await;
    assert_bare_hyper_400(&r, n);
}

#[tokio::test]
async fn hyper_refuses_a_non_numeric_content_length() {
    let (r, n) =
        refused_by("POST /fhir/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 5x\r\n\r\nhello").await;
    assert_bare_hyper_400(&r, n);
}

#[tokio::test]
async fn hyper_refuses_a_content_length_list() {
    let (r, n) =
        refused_by("POST /fhir/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 5, 5\r\n\r\nhello").await;
    assert_bare_hyper_400(&r, n);
}

#[tokio::test]
async fn hyper_refuses_a_transfer_encoding_not_ending_in_chunked() {
    let (r, n) =
        refused_by("POST /fhir/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip\r\n\r\n").await;
    assert_bare_hyper_400(&r, n);
}

#[tokio::test]
async fn hyper_refuses_transfer_encoding_on_http10() {
    let (r, n) = refused_by(
        "POST /fhir/x HTTP/1.0\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_bare_hyper_400(&r, n);
}

#[tokio::test]
async fn we_refuse_a_coding_before_chunked() {
    let (r, n) = refused_by(
        "POST /fhir/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_request_malformed(&r, n);
}

#[tokio::test]
async fn we_refuse_repeated_transfer_encoding_lines() {
    let (r, n) = refused_by(
        "POST /fhir/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_request_malformed(&r, n);
}

/// hyper drops the `Content-Length` of a request that also has `Transfer-Encoding: chunked`
/// (RFC 9112 §6.3) before our code sees it, decodes the body as chunked and closes the
/// connection after the response. We cannot refuse what we cannot see; what matters is that
/// the upstream receives one unambiguous framing: the decoded body, re-chunked, no length.
#[tokio::test]
async fn content_length_with_chunked_is_normalised_by_hyper_and_forwarded_as_chunked_only() {
    let mut upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let text = raw(
        gateway.addr,
        b"POST /fhir/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    // `raw` returned, so the server closed the connection after this one response.
    assert_eq!(RawResponse::parse(&text).status, 200);
    let seen = upstream.recorded.recv().await.unwrap();
    assert_eq!(seen.headers.get("content-length"), None);
    assert_eq!(seen.headers.get("transfer-encoding").unwrap(), "chunked");
    assert_eq!(seen.body.unwrap(), "hello");
}
