//! What TLS costs the MedMij listener, measured in one run against in-process gateways.
//!
//! Run: `cargo bench --bench tls` (about 2 s per row; `-- --quick` for 0.5 s per row).
//!
//! Two gateways start on 127.0.0.1 with the same config and a recording plain-HTTP upstream:
//! one with `[server.tls]` (mTLS required, Whitelist checked), one plain. Every request is a
//! full allowed FHIR read (token verified — cached after the first —, decided, audited
//! buffered, forwarded). One client task at a time, so each figure is a sequential rate
//! (latency⁻¹), not the gateway's throughput under concurrency. Rows:
//! - full TLS handshake: TCP connect + TLS 1.3 handshake with a client certificate, no
//!   resumption; nothing sent afterwards (the server's client-certificate check still runs).
//! - new connection + 1 request, full handshake / resumed handshake (TLS 1.3 tickets).
//! - new plain TCP connection + 1 request, the same without TLS.
//! - kept-alive: requests on one open connection (TLS HTTP/1.1, TLS HTTP/2, plain HTTP/1.1).

#[path = "../tests/tls_support/mod.rs"]
mod tls_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::client::Resumption;
use tls_support::{Harness, Setup, WHITELISTED, connect, http1, http2};
use tokio::net::TcpStream;

/// Runs `op` repeatedly for `window`; operations per second.
async fn rate(window: Duration, mut op: impl AsyncFnMut()) -> (f64, u64) {
    // A short warm-up so first-use costs (token cache, pools) stay out of the figure.
    for _ in 0..20 {
        op().await;
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < window {
        op().await;
        n += 1;
    }
    (n as f64 / start.elapsed().as_secs_f64(), n)
}

async fn ok<B>(response: http::Response<B>)
where
    B: hyper::body::Body,
    B::Error: std::fmt::Debug,
{
    assert_eq!(response.status(), StatusCode::OK);
    let _ = response.into_body().collect().await.unwrap();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let window = Duration::from_millis(if quick { 500 } else { 2000 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(window));
}

async fn run(window: Duration) {
    let tls = Harness::start(Setup {
        audit_mode: "buffered",
        ..Setup::default()
    })
    .await;
    let plain = Harness::start(Setup {
        tls: None,
        audit_mode: "buffered",
        ..Setup::default()
    })
    .await;
    let cert = tls.pki.client(WHITELISTED);
    let resuming = tls.pki.client_config(Some(&cert), &[b"http/1.1"]);
    let mut fresh = (*tls.pki.client_config(Some(&cert), &[b"http/1.1"])).clone();
    fresh.resumption = Resumption::disabled();
    let fresh = std::sync::Arc::new(fresh);
    let addr = tls.addr();
    let mut rows: Vec<(&str, f64, u64)> = Vec::new();

    let (r, n) = rate(window, async || {
        let stream = connect(addr, fresh.clone()).await.unwrap();
        drop(stream);
    })
    .await;
    rows.push(("full TLS 1.3 handshake (mTLS), handshakes/s", r, n));

    let (r, n) = rate(window, async || {
        let mut send = http1(connect(addr, fresh.clone()).await.unwrap()).await;
        ok(send.send_request(tls.request()).await.unwrap()).await;
    })
    .await;
    rows.push(("new TLS connection + 1 request, full handshake", r, n));

    let resumed = AtomicU64::new(0);
    let (r, n) = rate(window, async || {
        let stream = connect(addr, resuming.clone()).await.unwrap();
        if stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
            resumed.fetch_add(1, Ordering::Relaxed);
        }
        let mut send = http1(stream).await;
        ok(send.send_request(tls.request()).await.unwrap()).await;
    })
    .await;
    rows.push(("new TLS connection + 1 request, resumed", r, n));

    let mut send = http1(connect(addr, resuming.clone()).await.unwrap()).await;
    let (r, n) = rate(window, async || {
        send.ready().await.unwrap();
        ok(send.send_request(tls.request()).await.unwrap()).await;
    })
    .await;
    rows.push(("kept-alive TLS HTTP/1.1, requests/s", r, n));

    let h2_config = tls.pki.client_config(Some(&cert), &[b"h2"]);
    let mut send = http2(connect(addr, h2_config).await.unwrap()).await;
    let (r, n) = rate(window, async || {
        send.ready().await.unwrap();
        ok(send.send_request(tls.request()).await.unwrap()).await;
    })
    .await;
    rows.push(("kept-alive TLS HTTP/2, requests/s", r, n));

    let plain_addr = plain.addr();
    let (r, n) = rate(window, async || {
        let tcp = TcpStream::connect(plain_addr).await.unwrap();
        let (mut send, conn) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tcp))
                .await
                .unwrap();
        tokio::spawn(conn);
        ok(send.send_request(plain.request()).await.unwrap()).await;
    })
    .await;
    rows.push(("new plain TCP connection + 1 request", r, n));

    let tcp = TcpStream::connect(plain.addr()).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let (r, n) = rate(window, async || {
        send.ready().await.unwrap();
        ok(send.send_request(plain.request()).await.unwrap()).await;
    })
    .await;
    rows.push(("kept-alive plain HTTP/1.1, requests/s", r, n));

    println!("scopegate TLS benchmark (cargo bench --bench tls), {window:?} per row, one client");
    println!("{:<50} {:>10} {:>8}", "measurement", "per second", "count");
    for (what, r, n) in &rows {
        println!("{what:<50} {r:>10.0} {n:>8}");
    }
    let resumed = resumed.load(Ordering::Relaxed);
    println!("resumed handshakes in the resumed row, warm-up included: {resumed}");
}
