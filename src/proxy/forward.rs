//! The pooled HTTP client to upstreams, and the upstream URL of SPEC §8.
//!
//! [`UpstreamClient::forward`] sends one already-rewritten request and gives back the
//! upstream's response with hop-by-hop headers removed. Bodies are streamed both ways and
//! never buffered whole: the request body is whatever the caller passes (normally
//! [`super::framing::limited_body`]), and the response body is wrapped so that it fails once
//! the deadline passes. The deadline covers the whole exchange (connect, send, response head
//! and response body), as `request_timeout` does in SPEC §3.
//!
//! The connector is a type parameter: [`HttpConnector`] for plain HTTP only, or
//! [`HttpsUpstream`] (the gateway's, from [`UpstreamClient::https`]) for `https://` upstreams
//! over rustls with the roots of [`crate::tls::upstream_client_config`], `http://` ones plain.
//!
//! It does not decide, rewrite request headers or build denial responses; the proxy phases
//! call it after a request was allowed and map [`ForwardError::reason`] through
//! [`super::respond::deny`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri, Version};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::TokioExecutor;
use tokio::time::{Instant, Sleep};

use super::framing::is_body_too_large;
use super::headers::remove_hop_by_hop;
use super::respond::{Body, BoxError};
use crate::reason::Reason;

/// How long an idle pooled upstream connection is kept.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// Connecting, sending or reading the response head failed.
    #[error("upstream unavailable")]
    Unavailable(#[source] hyper_util::client::legacy::Error),
    /// The deadline passed before the response head arrived.
    #[error("upstream did not answer within {0:?}")]
    Timeout(Duration),
    /// The request body passed the body limit while it was being sent.
    #[error("request body over the limit")]
    BodyTooLarge,
}

impl ForwardError {
    pub const fn reason(&self) -> Reason {
        match self {
            ForwardError::Unavailable(_) => Reason::UpstreamUnavailable,
            ForwardError::Timeout(_) => Reason::UpstreamTimeout,
            ForwardError::BodyTooLarge => Reason::BodyTooLarge,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UriError {
    #[error("upstream base {0} has no host")]
    NoHost(String),
    #[error("upstream URI {0} is not a valid URI")]
    Invalid(String),
}

/// The response body passed the exchange's deadline.
#[derive(Debug, thiserror::Error)]
#[error("upstream response body passed the deadline")]
pub struct BodyDeadline;

/// A keep-alive pool of upstream connections, shared by all requests (cheap to clone).
#[derive(Clone, Debug)]
pub struct UpstreamClient<C = HttpConnector> {
    client: Client<C, Body>,
}

impl UpstreamClient<HttpConnector> {
    /// Plain-HTTP upstreams.
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self::with_connector(connector)
    }
}

/// The connector for `https://` (rustls) and `http://` upstreams.
pub type HttpsUpstream = HttpsConnector<HttpConnector>;

impl UpstreamClient<HttpsUpstream> {
    /// `https://` upstreams verified with `tls`, `http://` upstreams plain.
    pub fn https(tls: rustls::ClientConfig) -> Self {
        Self::with_connector(crate::tls::upstream_connector(tls))
    }
}

impl Default for UpstreamClient<HttpConnector> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> UpstreamClient<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// Any hyper connector; the seam for TLS to upstreams.
    pub fn with_connector(connector: C) -> Self {
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        Self { client }
    }

    /// Sends `req` (URI from [`upstream_uri`], headers already rewritten) and returns the
    /// upstream's response, hop-by-hop headers removed, its body bounded by `deadline`.
    pub async fn forward(
        &self,
        mut req: Request<Body>,
        deadline: Duration,
    ) -> Result<Response<Body>, ForwardError> {
        let until = Instant::now() + deadline;
        // Upstreams speak HTTP/1.1 through this pool, whatever the client spoke to us.
        *req.version_mut() = Version::HTTP_11;
        let response = match tokio::time::timeout_at(until, self.client.request(req)).await {
            Err(_elapsed) => return Err(ForwardError::Timeout(deadline)),
            Ok(Err(e)) if is_body_too_large(&e) => return Err(ForwardError::BodyTooLarge),
            Ok(Err(e)) => return Err(ForwardError::Unavailable(e)),
            Ok(Ok(response)) => response,
        };
        let (mut parts, body) = response.into_parts();
        remove_hop_by_hop(&mut parts.headers);
        let body = DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep_until(until)),
            failed: false,
        };
        Ok(Response::from_parts(parts, body.boxed_unsync()))
    }
}

/// The upstream URI: the base's origin and path, then the rest of the request path (one `/`
/// between them, never two), then the client's query string exactly as it came.
pub fn upstream_uri(
    base: &url::Url,
    rest_of_path: &str,
    query: Option<&str>,
) -> Result<Uri, UriError> {
    if !base.has_host() {
        return Err(UriError::NoHost(base.to_string()));
    }
    let origin = &base[..url::Position::BeforePath];
    let base_path = base.path().trim_end_matches('/');
    let rest = rest_of_path.trim_start_matches('/');
    let mut uri = format!("{origin}{base_path}/{rest}");
    if rest.is_empty() && !base_path.is_empty() {
        uri.pop();
    }
    if let Some(q) = query {
        uri.push('?');
        uri.push_str(q);
    }
    uri.parse().map_err(|_| UriError::Invalid(uri))
}

/// `host[:port]` of an upstream base, for the `Host` header.
pub fn upstream_authority(base: &url::Url) -> &str {
    &base[url::Position::BeforeHost..url::Position::AfterPort]
}

/// The upstream's response body, failing once the exchange's deadline passes.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    failed: bool,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.failed = true;
            return Poll::Ready(Some(Err(BodyDeadline.into())));
        }
        Pin::new(&mut this.inner)
            .poll_frame(cx)
            .map_err(BoxError::from)
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn joins_base_path_and_rest_with_one_slash() {
        let uri = upstream_uri(&base("http://127.0.0.1:8081/fhir"), "/Patient/1", None).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:8081/fhir/Patient/1");
    }

    #[test]
    fn never_doubles_slashes_at_the_join() {
        let uri = upstream_uri(&base("http://up.example/fhir/"), "//Patient", None).unwrap();
        assert_eq!(uri.to_string(), "http://up.example/fhir/Patient");
    }

    #[test]
    fn an_empty_rest_gives_the_base_path_itself() {
        let uri = upstream_uri(&base("http://up.example/fhir"), "", None).unwrap();
        assert_eq!(uri.to_string(), "http://up.example/fhir");
    }

    #[test]
    fn a_base_without_path_gives_the_rest_from_the_root() {
        let uri = upstream_uri(&base("http://up.example"), "Patient", None).unwrap();
        assert_eq!(uri.to_string(), "http://up.example/Patient");
        let uri = upstream_uri(&base("http://up.example"), "", None).unwrap();
        assert_eq!(uri.to_string(), "http://up.example/");
    }

    #[test]
    fn passes_the_query_as_is() {
        let uri = upstream_uri(
            &base("http://up.example/fhir"),
            "/Observation",
            Some("code=http%3A%2F%2Floinc.org%7C1234&_count=5"),
        )
        .unwrap();
        assert_eq!(
            uri.to_string(),
            "http://up.example/fhir/Observation?code=http%3A%2F%2Floinc.org%7C1234&_count=5"
        );
    }

    #[test]
    fn refuses_a_rest_that_makes_no_uri() {
        let result = upstream_uri(&base("http://up.example/fhir"), "/a b", None);
        assert_eq!(
            result,
            Err(UriError::Invalid("http://up.example/fhir/a b".to_owned()))
        );
    }

    #[test]
    fn the_authority_keeps_a_non_default_port() {
        assert_eq!(
            upstream_authority(&base("http://127.0.0.1:8081/fhir")),
            "127.0.0.1:8081"
        );
        assert_eq!(
            upstream_authority(&base("https://up.example/fhir")),
            "up.example"
        );
    }

    #[test]
    fn errors_map_to_their_reasons() {
        assert_eq!(
            ForwardError::Timeout(Duration::from_secs(1)).reason(),
            Reason::UpstreamTimeout
        );
        assert_eq!(ForwardError::BodyTooLarge.reason(), Reason::BodyTooLarge);
    }
}
