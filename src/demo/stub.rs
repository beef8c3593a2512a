//! Small real HTTP servers for `scopegate demo` and the end-to-end tests: an upstream that
//! records what it receives, and a server that serves one fixed document (a JWKS).
//!
//! Both listen on 127.0.0.1 with a port from the OS, speak HTTP/1.1 through hyper, and stop
//! when dropped. They are not part of the gateway's request path.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A FHIR-ish upstream that answers every request with `200` and a small JSON body, and
/// records each request it received.
#[derive(Debug)]
pub struct RecordingUpstream {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl RecordingUpstream {
    pub async fn start() -> std::io::Result<RecordingUpstream> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let task = tokio::spawn(accept_loop(listener, move |req: Request<Incoming>| {
            let log = log.clone();
            async move {
                let (parts, body) = req.into_parts();
                let body = body
                    .collect()
                    .await
                    .map(|c| c.to_bytes())
                    .unwrap_or_default();
                let target = parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_owned());
                if let Ok(mut log) = log.lock() {
                    log.push(Received {
                        method: parts.method.to_string(),
                        target,
                        headers: parts.headers,
                        body,
                    });
                }
                let mut resp = Response::new(Full::new(Bytes::from_static(
                    br#"{"resourceType":"Bundle","type":"searchset","total":0}"#,
                )));
                resp.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/fhir+json"),
                );
                resp
            }
        }));
        Ok(RecordingUpstream {
            addr,
            received,
            task,
        })
    }

    /// Everything received since the last call.
    pub fn take(&self) -> Vec<Received> {
        self.received
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// How many requests arrived since the last `take`.
    pub fn count(&self) -> usize {
        self.received.lock().map(|v| v.len()).unwrap_or(0)
    }
}

impl Drop for RecordingUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves one fixed document (e.g. a JWKS) on every path, and counts the fetches.
#[derive(Debug)]
pub struct StaticServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl StaticServer {
    pub async fn start(content_type: &'static str, body: String) -> std::io::Result<StaticServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let body = Bytes::from(body);
        let task = tokio::spawn(accept_loop(listener, move |_req: Request<Incoming>| {
            let body = body.clone();
            async move {
                let mut resp = Response::new(Full::new(body));
                *resp.status_mut() = StatusCode::OK;
                resp.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(content_type),
                );
                resp
            }
        }));
        Ok(StaticServer { addr, task })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler(req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}
