//! The accept loop: TCP connections in, one hyper connection task each, graceful drain out.
//!
//! [`serve`] accepts on a listener until `shutdown` resolves, serves each connection with
//! HTTP/1.1 (keep-alive) or HTTP/2 (prior knowledge, detected from the client preface) and
//! calls the given service with every request and its [`ConnInfo`]. On shutdown it stops
//! accepting, lets in-flight requests finish for at most [`ServeOptions::drain_timeout`],
//! aborts what is left and returns a [`ShutdownReport`].
//!
//! TLS seam: [`serve_with`] takes an [`Acceptor`] that turns a TCP stream into any
//! `AsyncRead + AsyncWrite` stream plus its [`ConnInfo`] and [`Protocol`]; a rustls acceptor
//! reports `tls: true`, the client certificate host, and `Http1`/`Http2` from ALPN. The
//! acceptor runs inside the connection task, bounded by `header_read_timeout`, so a slow
//! handshake never stalls the accept loop. [`PlainAcceptor`] is plain TCP with [`Protocol::Detect`].
//!
//! Limits, precisely:
//! - `header_read_timeout`: hyper's HTTP/1 header read timeout (a request head not complete
//!   in time closes the connection without a response), and separately the bound on the
//!   acceptor and on reading the 24-byte HTTP/2 preface. HTTP/2 has no per-request head
//!   timeout in hyper.
//! - `max_header_bytes`: HTTP/1 `max_header_size`, the bytes of the request line plus all
//!   header lines as received (also the cap for chunked trailers); over it hyper answers
//!   `431` and closes. (`max_buf_size`, with its 8192 minimum, bounds the read buffer instead
//!   and is left at hyper's default.) HTTP/2: `SETTINGS_MAX_HEADER_LIST_SIZE`, i.e. decoded
//!   name + value + 32 bytes per field (RFC 9113 §6.5.2).
//!
//! We detect the protocol ourselves instead of using `hyper_util::server::conn::auto`
//! because its HTTP/1 builder (hyper-util 0.1.21) does not expose `max_header_size`.
//!
//! HTTP/1 connections are read through [`h1_guard::H1Guard`], which follows request
//! boundaries and renames `Content-Length` to a marker when a head also carries
//! `Transfer-Encoding` (hyper would silently drop the length); `proxy::framing` refuses the
//! marker. HTTP/2 connections are not wrapped.
//!
//! It does not know MedMij, decide, or build denials: the service passed in does.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::proxy::respond::Body;

/// `AsyncWrite` for a read-side wrapper of a stream in its `inner` field: every write
/// goes straight through.
macro_rules! write_through {
    ($wrapper:ident) => {
        impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for $wrapper<S> {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                self.inner.is_write_vectored()
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
            }
        }
    };
}

mod h1_guard;

/// The client connection a request came in on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: bool,
    /// The DNS name of the client certificate (mTLS), when there is one.
    pub cert_host: Option<String>,
}

/// Which HTTP version to speak on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Read the first bytes: the HTTP/2 client preface means HTTP/2, anything else HTTP/1.
    Detect,
    Http1,
    Http2,
}

/// What an [`Acceptor`] makes of a TCP connection.
#[derive(Debug)]
pub struct Accepted<S> {
    pub stream: S,
    pub info: ConnInfo,
    pub protocol: Protocol,
}

/// Turns an accepted TCP stream into the stream HTTP is spoken on (TLS handshake, ALPN).
pub trait Acceptor: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    fn accept(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
    ) -> impl Future<Output = io::Result<Accepted<Self::Stream>>> + Send;
}

/// Plain TCP, version detected from the preface.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainAcceptor;

impl Acceptor for PlainAcceptor {
    type Stream = TcpStream;

    async fn accept(&self, tcp: TcpStream, peer: SocketAddr) -> io::Result<Accepted<TcpStream>> {
        tcp.set_nodelay(true)?;
        Ok(Accepted {
            stream: tcp,
            info: ConnInfo {
                peer,
                tls: false,
                cert_host: None,
            },
            protocol: Protocol::Detect,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    pub header_read_timeout: Duration,
    pub max_header_bytes: usize,
    /// How long in-flight requests may run on after shutdown began.
    pub drain_timeout: Duration,
}

impl ServeOptions {
    /// From `[server]`; the drain lasts one `request_timeout` plus five seconds, so a request
    /// that started just before shutdown can still get its upstream's answer.
    pub fn from_config(server: &crate::config::Server) -> Self {
        Self {
            header_read_timeout: server.header_read_timeout,
            max_header_bytes: server.max_header_bytes,
            drain_timeout: server.request_timeout + Duration::from_secs(5),
        }
    }
}

/// How the drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Connections still open when the drain timeout passed, aborted.
    pub aborted: usize,
}

/// Serves plain HTTP on `listener` until `shutdown` resolves, then drains.
pub async fn serve<F, Fut>(
    listener: TcpListener,
    service: F,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> ShutdownReport
where
    F: Fn(Request<Incoming>, ConnInfo) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    serve_with(listener, Arc::new(PlainAcceptor), service, opts, shutdown).await
}

/// Serves on `listener` through `acceptor` until `shutdown` resolves, then drains.
pub async fn serve_with<A, F, Fut>(
    listener: TcpListener,
    acceptor: Arc<A>,
    service: F,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> ShutdownReport
where
    A: Acceptor,
    F: Fn(Request<Incoming>, ConnInfo) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let task = connection(
                        acceptor.clone(), tcp, peer, service.clone(), opts, graceful.watcher(),
                    );
                    connections.spawn(task);
                }
                Err(e) => {
                    // EMFILE and friends: back off a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }

    drop(listener);
    tracing::info!(connections = graceful.count(), "draining");
    let drained = tokio::time::timeout(opts.drain_timeout, graceful.shutdown()).await;
    let aborted = if drained.is_ok() {
        0
    } else {
        connections.len()
    };
    connections.shutdown().await;
    ShutdownReport { aborted }
}

async fn connection<A, F, Fut>(
    acceptor: Arc<A>,
    tcp: TcpStream,
    peer: SocketAddr,
    service: F,
    opts: ServeOptions,
    watcher: Watcher,
) where
    A: Acceptor,
    F: Fn(Request<Incoming>, ConnInfo) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let limit = opts.header_read_timeout;
    let accepted = match tokio::time::timeout(limit, acceptor.accept(tcp, peer)).await {
        Ok(Ok(accepted)) => accepted,
        Ok(Err(e)) => return tracing::debug!(peer = %peer, error = %e, "accept handshake failed"),
        Err(_) => return tracing::debug!(peer = %peer, "accept handshake timed out"),
    };
    let Accepted {
        stream,
        info,
        protocol,
    } = accepted;
    let (protocol, io) = match protocol {
        Protocol::Detect => match tokio::time::timeout(limit, detect(stream)).await {
            Ok(Ok(detected)) => detected,
            Ok(Err(e)) => return tracing::debug!(peer = %peer, error = %e, "preface read failed"),
            Err(_) => return tracing::debug!(peer = %peer, "preface read timed out"),
        },
        known => (known, Rewind::new(Bytes::new(), stream)),
    };

    let svc = service_fn(move |req| {
        let response = service(req, info.clone());
        async move { Ok::<_, Infallible>(response.await) }
    });
    let result = match protocol {
        Protocol::Http2 => {
            let io = TokioIo::new(io);
            let mut builder = http2::Builder::new(TokioExecutor::new());
            builder
                .timer(TokioTimer::new())
                .max_header_list_size(u32::try_from(opts.max_header_bytes).unwrap_or(u32::MAX));
            watcher.watch(builder.serve_connection(io, svc)).await
        }
        Protocol::Http1 | Protocol::Detect => {
            let io = TokioIo::new(h1_guard::H1Guard::new(io, opts.max_header_bytes));
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .keep_alive(true)
                .header_read_timeout(opts.header_read_timeout)
                .max_header_size(opts.max_header_bytes);
            watcher.watch(builder.serve_connection(io, svc)).await
        }
    };
    if let Err(e) = result {
        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
    }
}

const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Reads until the bytes either are the HTTP/2 preface or cannot become it.
async fn detect<S: AsyncRead + Unpin>(mut stream: S) -> io::Result<(Protocol, Rewind<S>)> {
    let mut seen = Vec::with_capacity(H2_PREFACE.len());
    let mut chunk = [0u8; 24];
    while H2_PREFACE.starts_with(&seen) && seen.len() < H2_PREFACE.len() {
        let n = stream
            .read(&mut chunk[..H2_PREFACE.len() - seen.len()])
            .await?;
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&chunk[..n]);
    }
    let protocol = if seen == H2_PREFACE {
        Protocol::Http2
    } else {
        Protocol::Http1
    };
    Ok((protocol, Rewind::new(Bytes::from(seen), stream)))
}

/// A stream that first replays bytes already read from it.
struct Rewind<S> {
    prefix: Bytes,
    inner: S,
}

impl<S> Rewind<S> {
    fn new(prefix: Bytes, inner: S) -> Self {
        Self { prefix, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.prefix.has_remaining() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

write_through!(Rewind);

#[cfg(test)]
mod tests {
    use super::*;

    async fn detect_bytes(bytes: &'static [u8]) -> (Protocol, Vec<u8>) {
        let (protocol, mut rewind) = detect(bytes).await.unwrap();
        let mut replayed = Vec::new();
        rewind.read_to_end(&mut replayed).await.unwrap();
        (protocol, replayed)
    }

    #[tokio::test]
    async fn the_h2_preface_means_http2_and_is_replayed() {
        let input = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\x12\x04";
        assert_eq!(detect_bytes(input).await, (Protocol::Http2, input.to_vec()));
    }

    #[tokio::test]
    async fn a_request_line_means_http1_and_is_replayed_whole() {
        let input = b"GET /fhir/Patient HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(detect_bytes(input).await, (Protocol::Http1, input.to_vec()));
    }

    #[tokio::test]
    async fn a_truncated_preface_is_not_http2() {
        assert_eq!(
            detect_bytes(b"PRI * HTTP/2.0").await,
            (Protocol::Http1, b"PRI * HTTP/2.0".to_vec())
        );
    }

    #[tokio::test]
    async fn detection_stops_reading_at_the_first_byte_that_rules_http2_out() {
        // A reader that would block after "G" must not be read further.
        let (client, mut server) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut server, b"G")
            .await
            .unwrap();
        let (protocol, _rewind) = detect(client).await.unwrap();
        assert_eq!(protocol, Protocol::Http1);
    }
}
