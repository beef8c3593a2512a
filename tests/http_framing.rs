//! Ambiguous request framing, written as raw bytes: what hyper 1.x refuses by itself (a bare
//! 400, our service never runs) and what reaches `proxy::framing` (a `request_malformed`
//! OperationOutcome), including `Content-Length` with `Transfer-Encoding`, which the server's
//! HTTP/1 guard marks before hyper can drop the length. In every refused case the upstream
//! receives nothing.

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

/// hyper would drop the `Content-Length` of a request that also has `Transfer-Encoding` and
/// serve it as chunked; the server's HTTP/1 guard renames the length to a marker first, and
/// `proxy::framing` refuses the marker. A request hidden in the body never runs either.
#[tokio::test]
async fn content_length_with_transfer_encoding_is_refused_in_either_order_and_any_case() {
    let smuggled = "GET /fhir/y HTTP/1.1\r\nHost: gw\r\n\r\n";
    let chunked = format!("{:x}\r\n{smuggled}\r\n0\r\n\r\n", smuggled.len());
    for framing in [
        "Content-Length: 3\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 3",
        "content-length: 3\r\ntransfer-encoding: chunked",
        "TRANSFER-ENCODING: chunked\r\ncOnTeNt-LeNgTh: 3",
        "Content-Length: 3\r\nTransfer-Encoding: gzip, chunked",
    ] {
        let (r, n) = refused_by(&format!(
            "POST /fhir/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n{framing}\r\n\r\n{chunked}"
        ))
        .await;
        assert_request_malformed(&r, n);
        let outcome: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            outcome,
            serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [{
                    "severity": "error",
                    "code": "invalid",
                    "diagnostics": "request_malformed: the request framing is ambiguous or malformed",
                }],
            }),
            "{framing}"
        );
    }
}

/// A client sending the marker header itself is refused too; no real client sends it.
#[tokio::test]
async fn a_client_sent_marker_header_is_refused() {
    let (r, n) = refused_by(
        "POST /fhir/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Smuggle-Clen: 3\r\nContent-Length: 3\r\n\r\nabc",
    )
    .await;
    assert_request_malformed(&r, n);
}

/// The guard follows chunked and sized bodies across keep-alive requests without touching them.
#[tokio::test]
async fn a_keep_alive_sequence_of_chunked_and_sized_requests_reaches_the_upstream_intact() {
    let mut upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let text = raw(
        gateway.addr,
        b"POST /fhir/a HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n\
5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n\
POST /fhir/b HTTP/1.1\r\nHost: gw\r\nContent-Length: 30\r\n\r\n\
Content-Length: 1\r\n\r\nabcdefghi\
GET /fhir/c HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 3, "{text}");
    let a = upstream.recorded.recv().await.unwrap();
    assert_eq!(
        (a.uri.as_str(), a.body.unwrap()),
        ("/base/a", "hello, world".into())
    );
    let b = upstream.recorded.recv().await.unwrap();
    assert_eq!(b.headers.get("content-length").unwrap(), "30");
    assert_eq!(b.body.unwrap(), "Content-Length: 1\r\n\r\nabcdefghi");
    let c = upstream.recorded.recv().await.unwrap();
    assert_eq!((c.uri.as_str(), c.body.unwrap()), ("/base/c", "".into()));
    assert_eq!(upstream.requests.load(Ordering::SeqCst), 3);
}
