//! Shared harness for the `http_*` integration tests: a recording upstream, the gateway's
//! server wired to `forward` through a minimal service, and client helpers. Everything on
//! 127.0.0.1 with OS-assigned ports; readiness is a bound listener, never a sleep.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, Version};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use scopegate::proxy::forward::{UpstreamClient, upstream_authority, upstream_uri};
use scopegate::proxy::framing;
use scopegate::proxy::headers::{
    Forwarding, GlgHeaders, MEDMIJ_REQUEST_ID, UpstreamHeaders, client_host, request_id,
    rewrite_request,
};
use scopegate::proxy::respond::{Body, deny};
use scopegate::server::{ConnInfo, ServeOptions, ShutdownReport, serve};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

pub const ROUTE: UpstreamHeaders<'static> = UpstreamHeaders {
    provider: "umcharderwijk@medmij",
    effective_service: "51",
    client: "medmij.deenigeechtepgo.nl",
    glg: Some(GlgHeaders {
        id: "glg-umch-51",
        copy_service: "9051",
    }),
};

/// What the upstream saw of one request.
#[derive(Debug)]
pub struct Recorded {
    pub method: http::Method,
    pub uri: String,
    pub version: Version,
    pub headers: HeaderMap,
    /// The whole body, or the error that cut it short.
    pub body: Result<Bytes, String>,
}

#[derive(Clone)]
pub enum Mode {
    /// Answer 200 at once, with hop-by-hop headers that must not reach the client.
    Answer,
    /// Record the request, then never answer.
    Hang,
    /// Record the request, then answer once notified.
    Hold(Arc<Notify>),
    /// Answer 200 with a body that sends a few bytes and then never ends.
    StallBody,
}

pub struct Upstream {
    pub base: url::Url,
    pub requests: Arc<AtomicUsize>,
    pub recorded: mpsc::UnboundedReceiver<Recorded>,
    /// One message when the first body bytes of a request arrive.
    pub first_bytes: mpsc::UnboundedReceiver<()>,
}

pub async fn start_upstream(mode: Mode) -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let (record_tx, recorded) = mpsc::unbounded_channel();
    let (bytes_tx, first_bytes) = mpsc::unbounded_channel();
    let count = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (count, record_tx, bytes_tx, mode) = (
                count.clone(),
                record_tx.clone(),
                bytes_tx.clone(),
                mode.clone(),
            );
            let svc = service_fn(move |req: Request<Incoming>| {
                count.fetch_add(1, Ordering::SeqCst);
                let (record_tx, bytes_tx, mode) =
                    (record_tx.clone(), bytes_tx.clone(), mode.clone());
                async move {
                    let (parts, mut body) = req.into_parts();
                    let mut collected = Vec::new();
                    let outcome = loop {
                        match body.frame().await {
                            None => break Ok(Bytes::from(collected)),
                            Some(Err(e)) => break Err(e.to_string()),
                            Some(Ok(frame)) => {
                                if let Ok(data) = frame.into_data() {
                                    if collected.is_empty() && !data.is_empty() {
                                        let _ = bytes_tx.send(());
                                    }
                                    collected.extend_from_slice(&data);
                                }
                            }
                        }
                    };
                    let _ = record_tx.send(Recorded {
                        method: parts.method,
                        uri: parts.uri.to_string(),
                        version: parts.version,
                        headers: parts.headers,
                        body: outcome,
                    });
                    let body = match mode {
                        Mode::Answer => Either::Left(Full::new(Bytes::from_static(b"upstream-ok"))),
                        Mode::Hang => std::future::pending().await,
                        Mode::Hold(notify) => {
                            notify.notified().await;
                            Either::Left(Full::new(Bytes::from_static(b"upstream-ok")))
                        }
                        Mode::StallBody => Either::Right(StalledBody { sent: false }),
                    };
                    let response = Response::builder()
                        .header("connection", "x-up-secret")
                        .header("x-up-secret", "1")
                        .header("keep-alive", "timeout=5")
                        .header("proxy-authenticate", "Basic")
                        .header("x-up-kept", "yes")
                        .body(body)
                        .unwrap();
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(tcp), svc));
        }
    });
    Upstream {
        base: url::Url::parse(&format!("http://{addr}/base")).unwrap(),
        requests,
        recorded,
        first_bytes,
    }
}

/// An upstream base on a port nothing listens on.
pub async fn dead_base() -> url::Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    url::Url::parse(&format!("http://{addr}/base")).unwrap()
}

#[derive(Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: u64,
    pub deadline: Duration,
    pub header_read_timeout: Duration,
    pub max_header_bytes: usize,
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            deadline: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16384,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

pub struct Gateway {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<ShutdownReport>,
}

impl Gateway {
    /// Starts the drain and returns once `serve` has returned.
    pub async fn shut_down(mut self) -> ShutdownReport {
        self.begin_shutdown();
        self.task.await.unwrap()
    }

    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub async fn finished(self) -> ShutdownReport {
        self.task.await.unwrap()
    }
}

/// The minimal service of these tests: framing check, rewrite, forward, respond. The `/fhir`
/// prefix of the request path stands for the matched `ResourceEndpointuri`.
pub async fn start_gateway(base: url::Url, limits: Limits) -> Gateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = UpstreamClient::new();
    let base = Arc::new(base);
    let service = move |req: Request<Incoming>, info: ConnInfo| {
        let (client, base) = (client.clone(), base.clone());
        async move { gateway(req, info, &client, &base, limits).await }
    };
    let opts = ServeOptions {
        header_read_timeout: limits.header_read_timeout,
        max_header_bytes: limits.max_header_bytes,
        drain_timeout: limits.drain_timeout,
    };
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, service, opts, async move {
        let _ = rx.await;
    }));
    Gateway {
        addr,
        shutdown: Some(tx),
        task,
    }
}

async fn gateway(
    req: Request<Incoming>,
    info: ConnInfo,
    client: &UpstreamClient,
    base: &url::Url,
    limits: Limits,
) -> Response<Body> {
    let id = request_id(req.headers());
    if let Err(reason) = framing::check(req.headers(), limits.max_body_bytes) {
        return deny(reason, &id, None);
    }
    let (mut parts, body) = req.into_parts();
    let host = client_host(&parts.headers, &parts.uri);
    let fwd = Forwarding {
        peer: info.peer.ip(),
        tls: info.tls,
        client_host: host.as_deref(),
        upstream_authority: upstream_authority(base),
        request_id: &id,
        forward_authorization: true,
    };
    if rewrite_request(&mut parts.headers, &ROUTE, &fwd).is_err() {
        return deny(scopegate::reason::Reason::RequestMalformed, &id, None);
    }
    let rest = parts.uri.path().strip_prefix("/fhir").unwrap_or("");
    parts.uri = upstream_uri(base, rest, parts.uri.query()).unwrap();
    let req = Request::from_parts(parts, framing::limited_body(body, limits.max_body_bytes));
    match client.forward(req, limits.deadline).await {
        Ok(mut response) => {
            response
                .headers_mut()
                .insert(MEDMIJ_REQUEST_ID, id.parse().unwrap());
            response
        }
        Err(e) => deny(e.reason(), &id, None),
    }
}

/// Sends one request on a fresh HTTP/1.1 connection.
pub async fn send<B>(addr: SocketAddr, req: Request<B>) -> Response<Incoming>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender.send_request(req).await.unwrap()
}

/// Sends one request on a fresh HTTP/2 prior-knowledge connection.
pub async fn send_h2(addr: SocketAddr, req: Request<Full<Bytes>>) -> Response<Incoming> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    sender.send_request(req).await.unwrap()
}

pub async fn body_bytes(response: Response<Incoming>) -> Bytes {
    response.into_body().collect().await.unwrap().to_bytes()
}

/// Asserts a denial: exact status and `WWW-Authenticate`, FHIR content type, issue code and
/// the diagnostics' code prefix.
pub async fn assert_denied(
    response: Response<Incoming>,
    status: u16,
    www_authenticate: Option<&str>,
    issue: &str,
    code: &str,
) {
    assert_eq!(response.status().as_u16(), status);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(header("www-authenticate").as_deref(), www_authenticate);
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/fhir+json")
    );
    assert!(header("medmij-request-id").is_some());
    let body: serde_json::Value = serde_json::from_slice(&body_bytes(response).await).unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["code"], issue);
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.starts_with(&format!("{code}: ")),
        "{diagnostics}"
    );
}

pub fn empty_get(addr: SocketAddr, path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", addr.to_string())
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// A request body fed chunk by chunk from a channel; ends when the sender is dropped.
pub struct ChannelBody(pub mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(http_body::Frame::data(c))))
    }
}

/// Like [`send`], but hands back the client error instead of panicking.
pub async fn try_send(
    addr: SocketAddr,
    req: Request<Full<Bytes>>,
) -> Result<Response<Incoming>, hyper::Error> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    sender.send_request(req).await
}

/// Writes `bytes` on a fresh connection and reads until the server closes it (bounded).
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the server did not close the connection")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// A raw HTTP/1.1 response split into status, lowercase headers and body.
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn parse(text: &str) -> Self {
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Self {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `issue[0].code` and `issue[0].diagnostics` of an OperationOutcome body.
    pub fn issue(&self) -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        (
            v["issue"][0]["code"].as_str().unwrap().to_owned(),
            v["issue"][0]["diagnostics"].as_str().unwrap().to_owned(),
        )
    }
}

/// A response body that yields one chunk and then stays pending for ever.
pub struct StalledBody {
    sent: bool,
}

impl hyper::body::Body for StalledBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        if self.sent {
            return std::task::Poll::Pending;
        }
        self.sent = true;
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(
            b"partial",
        )))))
    }
}
