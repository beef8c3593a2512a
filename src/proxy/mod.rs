//! The request path of the gateway: authenticate → authorize → route → rewrite → forward →
//! respond → audit. The phases themselves are written here by the lead; the HTTP mechanics
//! they call live in the submodules: [`framing`] (refuse ambiguous framing, cap bodies),
//! [`headers`] (SPEC §8 rewriting), [`forward`] (the pooled upstream client) and [`respond`]
//! (the one place a denial becomes a response). Requests to a ZAL authorization or token
//! endpoint are handed to `oauth` (SPEC §9) before the resource phases.

pub mod forward;
pub mod framing;
pub mod headers;
mod oauth;
pub mod respond;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Request, Response, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::audit::{self, Kind, Record};
use crate::gateway::{Current, Gateway};
use crate::policy::{self, Decision, ResourceRequest};
use crate::reason::Reason;
use crate::server::ConnInfo;
use crate::token::Claims;
use respond::Body;

/// How much of a form body is read to tell a token in the body from a missing token.
const FORM_PEEK_BYTES: usize = 64 * 1024;

/// What the phases learned, for the response, the audit record and the log.
struct Exchange {
    started: Instant,
    now: DateTime<Utc>,
    request_id: String,
    record: Record,
}

impl Exchange {
    /// Sends an allowed request upstream, timing it into the metrics and `upstream_ms`.
    async fn send_upstream(
        &mut self,
        gw: &Gateway,
        req: Request<Body>,
        timeout: std::time::Duration,
    ) -> Result<Response<Body>, forward::ForwardError> {
        let started = Instant::now();
        let result = gw.upstream.forward(req, timeout).await;
        let elapsed = started.elapsed();
        gw.metrics.upstream(elapsed);
        self.record.upstream_ms = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        result
    }

    /// The upstream's answer on its way back: request id header, status, metrics.
    fn answered(&mut self, gw: &Gateway, resp: &mut Response<Body>) {
        set_request_id(resp.headers_mut(), &self.request_id);
        self.record.status = Some(resp.status().as_u16());
        gw.metrics.decision(None, self.started.elapsed());
    }
}

/// Handles one request on the MedMij listener.
pub async fn handle(gw: Arc<Gateway>, req: Request<Incoming>, conn: ConnInfo) -> Response<Body> {
    let started = Instant::now();
    let now = gw.clock.now();
    let request_id = headers::request_id(req.headers());
    let mut record = Record::new(
        now,
        Kind::Resource,
        request_id.clone(),
        audit::Decision::Deny,
        req.method().as_str(),
        req.uri().path(),
    );
    record.correlation_id = req
        .headers()
        .get(headers::X_CORRELATION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    record.cert_host = conn.cert_host.clone();
    let mut ex = Exchange {
        started,
        now,
        request_id,
        record,
    };
    let cur = gw.current();
    if let Some(ep) = oauth::endpoint(&cur, &req) {
        return oauth::handle(&gw, &cur, ep, req, &conn, ex).await;
    }
    match authorize(&cur, req, &conn, &mut ex).await {
        Ok((req, decision)) => forward(&gw, &cur, req, &conn, decision, ex).await,
        Err((reason, detail)) => deny(&gw, ex, reason, detail).await,
    }
}

type Denial = (Reason, Option<String>);

/// SPEC §7 rows 1–13: everything before the upstream is involved.
async fn authorize(
    cur: &Current,
    req: Request<Incoming>,
    conn: &ConnInfo,
    ex: &mut Exchange,
) -> Result<(Request<Incoming>, Decision), Denial> {
    let config = &cur.config;
    framing::check(req.headers(), config.server.max_body_bytes).map_err(|r| (r, None))?;

    // 1. lists loaded and fresh
    let Some(snap) = &cur.snapshot else {
        return Err((
            Reason::ListsUnavailable,
            Some("the lists have not been loaded yet".into()),
        ));
    };
    if let Some(kind) = snap.lists.stale(ex.now, config.lists.max_stale) {
        let detail = format!("the {} is older than max_stale", kind.name());
        return Err((Reason::ListsUnavailable, Some(detail)));
    }

    // 2. client certificate host on the WHL
    if config
        .server
        .tls
        .as_ref()
        .is_some_and(|t| t.whitelist_check)
    {
        whitelisted(conn, snap).map_err(|d| (Reason::WhitelistDenied, Some(d)))?;
    }

    // 3. a bearer token in the Authorization header, and nowhere else
    if query_has_token(req.uri()) {
        return Err((
            Reason::TokenInQuery,
            Some("access_token in the query string".into()),
        ));
    }
    let token = match bearer(req.headers()) {
        Bearer::Missing if is_form(req.headers()) => {
            let (req, has_token) = form_has_token(req).await;
            drop(req);
            return Err(if has_token {
                (
                    Reason::TokenInQuery,
                    Some("access_token in the form body".into()),
                )
            } else {
                (Reason::TokenMissing, None)
            });
        }
        Bearer::Missing => return Err((Reason::TokenMissing, None)),
        Bearer::Malformed => {
            return Err((
                Reason::TokenInvalid,
                Some("the Authorization header is not one Bearer token".into()),
            ));
        }
        Bearer::Token(t) => t,
    };

    // 4. token valid
    let claims: Arc<Claims> = cur
        .tokens
        .validate(&token, ex.now.timestamp())
        .await
        .map_err(|e| (e.reason(), Some(e.to_string())))?;
    ex.record.client = Some(claims.client_id.clone());
    ex.record.sub_hash = claims.sub.as_deref().map(audit::sub_hash);

    // 5–13. the pure decision
    let host = headers::client_host(req.headers(), req.uri());
    let rreq = ResourceRequest {
        host: host.as_deref(),
        path: req.uri().path(),
        query: req.uri().query(),
        client_id: &claims.client_id,
        scope: &claims.scope,
    };
    let decision = policy::decide(snap, &rreq, ex.now);
    ex.record.provider.clone_from(&decision.provider);
    ex.record
        .requested_service
        .clone_from(&decision.requested_service);
    ex.record
        .effective_service
        .clone_from(&decision.effective_service);
    ex.record.glg.clone_from(&decision.glg);
    match decision.reason {
        Some(reason) => Err((reason, decision.detail)),
        None => Ok((req, decision)),
    }
}

/// Row 14: rewrite, record, forward, stream the answer back.
async fn forward(
    gw: &Gateway,
    cur: &Current,
    req: Request<Incoming>,
    conn: &ConnInfo,
    decision: Decision,
    mut ex: Exchange,
) -> Response<Body> {
    let config = &cur.config;
    let Some(upstream) = decision.upstream.as_deref() else {
        return deny(
            gw,
            ex,
            Reason::UpstreamUnavailable,
            Some("no upstream".into()),
        )
        .await;
    };
    let Ok(uri) = upstream.parse::<Uri>() else {
        return deny(
            gw,
            ex,
            Reason::UpstreamUnavailable,
            Some("upstream URL is not a URI".into()),
        )
        .await;
    };
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let client_host = headers::client_host(req.headers(), req.uri());
    let (mut parts, body) = req.into_parts();
    let route = headers::UpstreamHeaders {
        provider: decision.provider.as_deref().unwrap_or_default(),
        effective_service: decision.effective_service.as_deref().unwrap_or_default(),
        client: ex.record.client.as_deref().unwrap_or_default(),
        glg: decision.glg.as_deref().map(|id| headers::GlgHeaders {
            id,
            copy_service: decision.copy_service().unwrap_or_default(),
        }),
    };
    let fwd = headers::Forwarding {
        peer: conn.peer.ip(),
        tls: conn.tls,
        client_host: client_host.as_deref(),
        upstream_authority: &authority,
        request_id: &ex.request_id,
        forward_authorization: config.tokens.forward_authorization,
    };
    if let Err(e) = headers::rewrite_request(&mut parts.headers, &route, &fwd) {
        return deny(gw, ex, Reason::UpstreamUnavailable, Some(e.to_string())).await;
    }
    parts.uri = uri;

    // The decision is on disk (durable mode) before anything reaches the upstream.
    ex.record.decision = audit::Decision::Allow;
    if let Err(e) = gw.audit.record(ex.record.clone()).await {
        tracing::error!(request.id = %ex.request_id, error = %e, "audit record not written; request refused");
        return deny_unaudited(gw, &ex, Reason::AuditUnavailable, Some(e.to_string()));
    }

    let body = framing::limited_body(body, config.server.max_body_bytes);
    let req = Request::from_parts(parts, body);
    match ex
        .send_upstream(gw, req, config.server.request_timeout)
        .await
    {
        Ok(mut resp) => {
            ex.answered(gw, &mut resp);
            tracing::debug!(
                request.id = %ex.request_id,
                client.id = ex.record.client.as_deref().unwrap_or(""),
                provider = ex.record.provider.as_deref().unwrap_or(""),
                glg.id = ex.record.glg.as_deref().unwrap_or(""),
                status = resp.status().as_u16(),
                "forwarded"
            );
            // The outcome record needs no fsync before the answer (the decision is on disk),
            // but it is queued before the answer, so a graceful shutdown still writes it.
            gw.audit.record_queued(ex.record);
            resp
        }
        Err(e) => {
            let reason = e.reason();
            deny(gw, ex, reason, Some(e.to_string())).await
        }
    }
}

/// A denial: response, metrics, log and audit record (on disk first in durable mode).
async fn deny(
    gw: &Gateway,
    mut ex: Exchange,
    reason: Reason,
    detail: Option<String>,
) -> Response<Body> {
    ex.record.decision = audit::Decision::Deny;
    ex.record.reason = Some(reason);
    ex.record.status = Some(reason.status());
    if let Err(e) = gw.audit.record(ex.record.clone()).await {
        tracing::error!(request.id = %ex.request_id, error = %e, "audit record of a denial not written");
    }
    deny_unaudited(gw, &ex, reason, detail)
}

fn deny_unaudited(
    gw: &Gateway,
    ex: &Exchange,
    reason: Reason,
    detail: Option<String>,
) -> Response<Body> {
    gw.metrics.decision(Some(reason), ex.started.elapsed());
    tracing::info!(
        request.id = %ex.request_id,
        deny.reason = reason.code(),
        client.id = ex.record.client.as_deref().unwrap_or(""),
        provider = ex.record.provider.as_deref().unwrap_or(""),
        glg.id = ex.record.glg.as_deref().unwrap_or(""),
        "denied"
    );
    respond::deny(reason, &ex.request_id, detail.as_deref())
}

/// The client certificate's host is on the WHL (SPEC §7 row 2).
fn whitelisted(conn: &ConnInfo, snap: &crate::snapshot::Snapshot) -> Result<(), String> {
    match (&conn.cert_host, &snap.lists.whl) {
        (Some(host), Some(whl)) if whl.contains(host) => Ok(()),
        (Some(host), Some(_)) => Err(format!("certificate host {host} is not on the whitelist")),
        (Some(_), None) => {
            Err("no whitelist is configured to check the certificate against".into())
        }
        (None, _) => Err("no client certificate host to check against the whitelist".into()),
    }
}

fn set_request_id(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(headers::MEDMIJ_REQUEST_ID, v);
    }
}

enum Bearer {
    Missing,
    Malformed,
    Token(String),
}

/// RFC 6750 §2.1: exactly one `Authorization: Bearer <token>`; the scheme is
/// case-insensitive.
fn bearer(headers: &HeaderMap) -> Bearer {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return if headers.contains_key(AUTHORIZATION) {
            Bearer::Malformed
        } else {
            Bearer::Missing
        };
    };
    let Ok(value) = value.to_str() else {
        return Bearer::Malformed;
    };
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer")
                && !token.is_empty()
                && !token.contains(' ') =>
        {
            Bearer::Token(token.to_owned())
        }
        _ => Bearer::Malformed,
    }
}

/// RFC 6750 §2.3 (URI query parameter), refused.
fn query_has_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "access_token")
    })
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// RFC 6750 §2.2 (form-encoded body parameter), refused: reads at most
/// [`FORM_PEEK_BYTES`] of a request that is denied either way.
async fn form_has_token(req: Request<Incoming>) -> (Request<()>, bool) {
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, FORM_PEEK_BYTES);
    let bytes = match limited.collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let has = url::form_urlencoded::parse(&bytes).any(|(k, _)| k == "access_token");
    (Request::from_parts(parts, ()), has)
}
