//! The gateway's HTTP path end to end on loopback: `server::serve` → rewrite → `forward` to a
//! real recording upstream, and the denials the HTTP layer itself produces.

mod http_support;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Version};
use http_body_util::{BodyExt, Full};
use http_support::*;
use tokio::sync::mpsc;

#[tokio::test]
async fn the_upstream_receives_exactly_the_rewritten_headers() {
    let mut upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let req = Request::get("/fhir/Patient/1?_format=json&x=%7E")
        .header("host", "gateway.dvza.example.nl")
        .header("authorization", "Bearer abc")
        .header("medmij-request-id", "req-42")
        .header("x-correlation-id", "corr-7")
        .header("X-MedMij-Client", "evil.example")
        .header("x-medmij-glg", "glg-fake")
        .header("x-forwarded-for", "10.9.9.9")
        .header("connection", "x-drop-me")
        .header("x-drop-me", "1")
        .header("keep-alive", "timeout=99")
        .header("accept", "application/fhir+json")
        .body(Full::new(Bytes::new()))
        .unwrap();

    let response = send(gateway.addr, req).await;
    assert_eq!(response.status(), 200);
    let seen = upstream.recorded.recv().await.unwrap();

    assert_eq!(seen.uri, "/base/Patient/1?_format=json&x=%7E");
    assert_eq!(seen.version, Version::HTTP_11);
    let mut expected = HeaderMap::new();
    for (name, value) in [
        ("authorization", "Bearer abc"),
        ("medmij-request-id", "req-42"),
        ("x-correlation-id", "corr-7"),
        ("accept", "application/fhir+json"),
        ("x-medmij-zorgaanbieder", "umcharderwijk@medmij"),
        ("x-medmij-gegevensdienst", "51"),
        ("x-medmij-client", "medmij.deenigeechtepgo.nl"),
        ("x-medmij-glg", "glg-umch-51"),
        ("x-medmij-kopie-gegevensdienst", "9051"),
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-host", "gateway.dvza.example.nl"),
        ("host", upstream_authority_of(&upstream.base).as_str()),
    ] {
        expected.insert(name, HeaderValue::from_str(value).unwrap());
    }
    assert_eq!(sorted(&seen.headers), sorted(&expected));
}

#[tokio::test]
async fn hop_by_hop_response_headers_do_not_reach_the_client() {
    let upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let response = send(gateway.addr, empty_get(gateway.addr, "/fhir/Patient")).await;
    assert_eq!(response.status(), 200);
    let h = response.headers();
    assert_eq!(h.get("x-up-kept").unwrap(), "yes");
    assert_eq!(h.get("x-up-secret"), None);
    assert_eq!(h.get("keep-alive"), None);
    assert_eq!(h.get("proxy-authenticate"), None);
    assert_eq!(h.get("connection"), None);
    assert_eq!(
        body_bytes(response).await,
        Bytes::from_static(b"upstream-ok")
    );
}

#[tokio::test]
async fn a_request_without_request_id_gets_one_both_ways() {
    let mut upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let response = send(gateway.addr, empty_get(gateway.addr, "/fhir/Patient")).await;
    let seen = upstream.recorded.recv().await.unwrap();
    let sent = seen.headers.get("medmij-request-id").unwrap();
    assert_eq!(
        uuid::Uuid::parse_str(sent.to_str().unwrap())
            .unwrap()
            .get_version_num(),
        4
    );
    assert_eq!(response.headers().get("medmij-request-id"), Some(sent));
}

#[tokio::test]
async fn a_several_megabyte_chunked_body_is_streamed_through_intact() {
    let mut upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let chunks = 64; // 4 MiB
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let body = ChannelBody(rx);
    let req = Request::post("/fhir/Binary")
        .header("host", "gw")
        .body(body)
        .unwrap();
    let addr = gateway.addr;
    let response = tokio::spawn(async move { send(addr, req).await });

    tx.send(Bytes::from(chunk.clone())).await.unwrap();
    // The upstream sees bytes while the client still holds the rest: streamed, not buffered.
    upstream.first_bytes.recv().await.unwrap();
    for _ in 1..chunks {
        tx.send(Bytes::from(chunk.clone())).await.unwrap();
    }
    drop(tx);

    let response = response.await.unwrap();
    assert_eq!(response.status(), 200);
    let seen = upstream.recorded.recv().await.unwrap();
    assert_eq!(seen.headers.get("transfer-encoding").unwrap(), "chunked");
    assert_eq!(seen.headers.get("content-length"), None);
    let body = seen.body.unwrap();
    assert_eq!(body.len(), chunk.len() * chunks);
    assert!(body.chunks(chunk.len()).all(|c| c == chunk.as_slice()));
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_upstream() {
    let upstream = start_upstream(Mode::Answer).await;
    let limits = Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    };
    let gateway = start_gateway(upstream.base.clone(), limits).await;
    let req = Request::post("/fhir/Binary")
        .header("host", "gw")
        .body(Full::new(Bytes::from(vec![b'a'; 1025])))
        .unwrap();
    let response = send(gateway.addr, req).await;
    assert_denied(
        response,
        413,
        Some("Bearer realm=\"scopegate\", error=\"invalid_request\""),
        "invalid",
        "body_too_large",
    )
    .await;
    assert_eq!(
        upstream.requests.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused_and_the_upstream_sees_it_aborted() {
    let mut upstream = start_upstream(Mode::Answer).await;
    let limits = Limits {
        max_body_bytes: 100_000,
        ..Limits::default()
    };
    let gateway = start_gateway(upstream.base.clone(), limits).await;
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let req = Request::post("/fhir/Binary")
        .header("host", "gw")
        .body(ChannelBody(rx))
        .unwrap();
    let addr = gateway.addr;
    let response = tokio::spawn(async move { send(addr, req).await });
    for _ in 0..4 {
        // 160 KB in all; the client keeps its end open, so only the limit can end it.
        if tx.send(Bytes::from(vec![b'x'; 40_000])).await.is_err() {
            break;
        }
    }

    assert_denied(
        response.await.unwrap(),
        413,
        Some("Bearer realm=\"scopegate\", error=\"invalid_request\""),
        "invalid",
        "body_too_large",
    )
    .await;
    // The upstream got the head and part of the body, then an aborted stream: never a
    // complete request it could act on.
    let seen = upstream.recorded.recv().await.unwrap();
    assert!(
        seen.body.is_err(),
        "upstream saw a complete body: {:?}",
        seen.body.map(|b| b.len())
    );
    drop(tx);
}

#[tokio::test]
async fn an_unreachable_upstream_is_502_upstream_unavailable() {
    let gateway = start_gateway(dead_base().await, Limits::default()).await;
    let response = send(gateway.addr, empty_get(gateway.addr, "/fhir/Patient")).await;
    assert_denied(response, 502, None, "transient", "upstream_unavailable").await;
}

#[tokio::test]
async fn an_upstream_that_never_answers_is_504_upstream_timeout() {
    let mut upstream = start_upstream(Mode::Hang).await;
    let limits = Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    };
    let gateway = start_gateway(upstream.base.clone(), limits).await;
    let started = std::time::Instant::now();
    let response = send(gateway.addr, empty_get(gateway.addr, "/fhir/Patient")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_denied(response, 504, None, "transient", "upstream_timeout").await;
    assert!(upstream.recorded.recv().await.unwrap().body.is_ok());
}

#[tokio::test]
async fn a_response_body_still_streaming_at_the_deadline_is_cut_off() {
    let upstream = start_upstream(Mode::StallBody).await;
    let limits = Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    };
    let gateway = start_gateway(upstream.base.clone(), limits).await;
    let started = std::time::Instant::now();
    let response = send(gateway.addr, empty_get(gateway.addr, "/fhir/Binary/1")).await;
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(first, Bytes::from_static(b"partial"));
    // The deadline covers the whole exchange: the stream is aborted, not completed.
    let rest = tokio::time::timeout(Duration::from_secs(10), body.collect())
        .await
        .unwrap();
    assert!(rest.is_err());
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn http2_prior_knowledge_is_served_and_forwarded_as_http11() {
    let mut upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let req = Request::get("http://h2.dvza.example.nl/fhir/Patient")
        .version(Version::HTTP_2)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = send_h2(gateway.addr, req).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(
        body_bytes(response).await,
        Bytes::from_static(b"upstream-ok")
    );
    let seen = upstream.recorded.recv().await.unwrap();
    assert_eq!(seen.version, Version::HTTP_11);
    assert_eq!(seen.uri, "/base/Patient");
    assert_eq!(
        seen.headers.get("x-forwarded-host").unwrap(),
        "h2.dvza.example.nl"
    );
}

fn sorted(h: &HeaderMap) -> Vec<(String, String)> {
    let mut v: Vec<_> = h
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    v.sort();
    v
}

fn upstream_authority_of(base: &url::Url) -> String {
    scopegate::proxy::forward::upstream_authority(base).to_owned()
}
