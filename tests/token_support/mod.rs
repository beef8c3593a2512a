//! Helpers for the `token_*` integration tests: a small hyper 1.x server on 127.0.0.1:0
//! that counts requests and answers through a closure, a `[tokens]` config builder and a
//! log capture. Not a mock of scopegate: the validator under test talks real HTTP to it.
#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scopegate::config::{Introspection, Source, TokenMode, Tokens};
use tokio::net::TcpListener;

pub const ISS: &str = "https://auth.dvza.example.nl";

/// What the server received, handed to the handler.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: http::Method,
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Received {
    /// The value of a field of an `application/x-www-form-urlencoded` body.
    pub fn form(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A loopback HTTP/1.1 server; stops accepting when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start<F, Fut>(handler: F) -> TestServer
    where
        F: Fn(Received) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let counter = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = Arc::clone(&handler);
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = Arc::clone(&handler);
                        let counter = Arc::clone(&counter);
                        async move {
                            counter.fetch_add(1, Ordering::SeqCst);
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let received = Received {
                                method: parts.method,
                                path: parts.uri.path().to_owned(),
                                headers: parts.headers,
                                body,
                            };
                            Ok::<_, std::convert::Infallible>(handler(received).await)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer { addr, hits, task }
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{}", self.addr, path)).unwrap()
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(body.into()))
        .unwrap()
}

pub fn json_response(status: u16, body: &serde_json::Value) -> Response<Full<Bytes>> {
    response(status, "application/json", body.to_string())
}

/// A loopback URL nobody listens on (the port was bound, then released).
pub async fn refused_url(path: &str) -> url::Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    url::Url::parse(&format!("http://{addr}{path}")).unwrap()
}

/// A client like production's, but never through an environment proxy.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .unwrap()
}

/// `[tokens]` in JWT mode, ES256 and RS256 allowed, leeway 30 s, no audience.
pub fn jwt_tokens(jwks: Source) -> Tokens {
    Tokens {
        mode: TokenMode::Jwt,
        issuer: ISS.to_owned(),
        audience: None,
        algorithms: vec![
            jsonwebtoken::Algorithm::ES256,
            jsonwebtoken::Algorithm::RS256,
        ],
        jwks: Some(jwks),
        leeway: Duration::from_secs(30),
        scope_claim: "scope".to_owned(),
        client_claim: "client_id".to_owned(),
        forward_authorization: true,
        introspection: None,
    }
}

/// `[tokens]` in introspection mode, leeway 0.
pub fn introspection_tokens(
    url: url::Url,
    secret_file: std::path::PathBuf,
    ttl: Duration,
) -> Tokens {
    Tokens {
        mode: TokenMode::Introspection,
        issuer: ISS.to_owned(),
        audience: Some("scopegate".to_owned()),
        algorithms: vec![jsonwebtoken::Algorithm::ES256],
        jwks: None,
        leeway: Duration::ZERO,
        scope_claim: "scope".to_owned(),
        client_claim: "client_id".to_owned(),
        forward_authorization: true,
        introspection: Some(Introspection {
            url,
            client_id: "scopegate".to_owned(),
            client_secret_file: secret_file,
            cache_ttl: ttl,
        }),
    }
}

/// Standard claims for `client_id`/`scope`, issued by [`ISS`], expiring at `exp`.
pub fn claims(exp: i64) -> serde_json::Value {
    serde_json::json!({
        "iss": ISS,
        "exp": exp,
        "client_id": "medmij.deenigeechtepgo.nl",
        "scope": "umcharderwijk~48",
        "sub": "patient-1",
    })
}

#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every log event (all levels) on this thread while the guard lives.
pub fn capture_logs() -> (tracing::subscriber::DefaultGuard, LogBuffer) {
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (tracing::subscriber::set_default(subscriber), buffer)
}
