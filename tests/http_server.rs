//! `server::serve` on its own terms: header limits and the graceful drain.

mod http_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

#[tokio::test]
async fn a_client_slow_with_its_headers_is_cut_off_after_the_header_read_timeout() {
    let upstream = start_upstream(Mode::Answer).await;
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let gateway = start_gateway(upstream.base.clone(), limits).await;
    let mut tcp = TcpStream::connect(gateway.addr).await.unwrap();
    let started = Instant::now();
    tcp.write_all(b"GET /fhir/Patient HTTP/1.1\r\nHost: gw\r\n")
        .await
        .unwrap();

    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the connection was not cut off")
        .unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    // hyper closes without a response (no 408).
    assert_eq!(String::from_utf8_lossy(&out), "");
    assert_eq!(
        upstream.requests.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[tokio::test]
async fn a_silent_connection_is_cut_off_after_the_header_read_timeout() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let gateway = start_gateway(dead_base().await, limits).await;
    let mut tcp = TcpStream::connect(gateway.addr).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the connection was not cut off")
        .unwrap();
    assert!(out.is_empty());
}

#[tokio::test]
async fn headers_over_max_header_bytes_get_431_and_under_it_pass() {
    let upstream = start_upstream(Mode::Answer).await;
    let limits = Limits {
        max_header_bytes: 16384,
        ..Limits::default()
    };
    let gateway = start_gateway(upstream.base.clone(), limits).await;

    let head = |filler: usize| {
        format!(
            "GET /fhir/Patient HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Filler: {}\r\n\r\n",
            "a".repeat(filler)
        )
    };
    let base_len = head(0).len();
    let over = raw(gateway.addr, head(16384 - base_len + 1).as_bytes()).await;
    assert!(
        over.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{over}"
    );
    let at = raw(gateway.addr, head(16384 - base_len).as_bytes()).await;
    assert!(at.starts_with("HTTP/1.1 200 OK\r\n"), "{at}");
}

#[tokio::test]
async fn graceful_shutdown_stops_accepting_and_finishes_an_in_flight_request() {
    let release = Arc::new(Notify::new());
    let mut upstream = start_upstream(Mode::Hold(release.clone())).await;
    let mut gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let addr = gateway.addr;
    let in_flight = tokio::spawn(async move { send(addr, empty_get(addr, "/fhir/Patient")).await });
    upstream.recorded.recv().await.unwrap();

    gateway.begin_shutdown();
    // The listener closes: wait for a refused connect (each try answers at once).
    tokio::time::timeout(Duration::from_secs(5), async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the gateway kept accepting after shutdown");

    release.notify_one();
    let response = in_flight.await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        body_bytes(response).await,
        bytes::Bytes::from_static(b"upstream-ok")
    );
    assert_eq!(gateway.finished().await.aborted, 0);
}

#[tokio::test]
async fn the_drain_ends_after_its_timeout_and_aborts_what_is_left() {
    let mut upstream = start_upstream(Mode::Hang).await;
    let limits = Limits {
        drain_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let gateway = start_gateway(upstream.base.clone(), limits).await;
    let addr = gateway.addr;
    let in_flight =
        tokio::spawn(async move { try_send(addr, empty_get(addr, "/fhir/Patient")).await });
    upstream.recorded.recv().await.unwrap();

    let started = Instant::now();
    assert_eq!(gateway.shut_down().await.aborted, 1);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(in_flight.await.unwrap().is_err());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_does_not_hold_up_shutdown() {
    let upstream = start_upstream(Mode::Answer).await;
    let gateway = start_gateway(upstream.base.clone(), Limits::default()).await;
    let mut tcp = TcpStream::connect(gateway.addr).await.unwrap();
    tcp.write_all(b"GET /fhir/Patient HTTP/1.1\r\nHost: gw\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    tcp.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    let report = tokio::time::timeout(Duration::from_secs(5), gateway.shut_down())
        .await
        .expect("an idle connection held up the drain");
    assert_eq!(report.aborted, 0);
}
