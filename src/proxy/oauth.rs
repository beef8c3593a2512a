//! The OAuth phase of the request path (SPEC §9): requests to a ZAL authorization or token
//! endpoint of a served provider are checked here and, when allowed, forwarded unchanged to
//! the authorization server upstream, whose answer is streamed back.
//!
//! [`endpoint`] tells [`super::handle`] whether a request is one of these (exact path, host
//! too when `match_host`, from the snapshot's index); [`handle`] then owns it. The decisions
//! are the pure [`crate::policy::oauth`] functions; this module adds what needs the outside
//! world: list freshness, the whitelist (token endpoint, when `whitelist_check`), reading the
//! small token form body, the audit record (`kind` `authorize`/`token`, on disk before
//! forwarding in durable mode), metrics, and the three answer forms of [`answer`].
//!
//! Forwarding changes only what a proxy must: hop-by-hop headers are dropped, a client's
//! `Forwarded`/`X-Forwarded-*` are replaced by ours, `Host` becomes the upstream's, and
//! `MedMij-Request-ID` (and `X-Correlation-ID` when it came as a query parameter) are set.
//! Client-sent `X-MedMij-*` headers are removed, as on the resource path (SPEC §8: they
//! never survive), but none are added: the authorization server reads the client and scope
//! from the OAuth parameters themselves, and an added header would be a second, possibly
//! diverging source of truth. Path, query, body, cookies and `Authorization` pass unchanged.
//!
//! Without a snapshot (lists never loaded) no request is recognized as an OAuth request;
//! the resource path then answers 503 `lists_unavailable`.

mod answer;

use http::header::{CONTENT_TYPE, HOST};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::respond::{self, Body};
use super::{Exchange, framing, headers, whitelisted};
use crate::audit::{self, Kind};
use crate::gateway::{Current, Gateway};
use crate::policy::oauth::{
    self, AuthorizeOutcome, EndpointKind, OAuthEndpoint, TokenRequest, oauth_error,
};
use crate::reason::Reason;
use crate::server::ConnInfo;
use crate::snapshot::Snapshot;

/// The most of a token request body that is read; real ones are a few hundred bytes.
pub const TOKEN_BODY_MAX: usize = 64 * 1024;

/// How a denial is answered.
enum Form {
    /// Error page, no redirect (authorize, before the redirect target is trusted).
    Page,
    /// `302` back to the client (authorize, after).
    Redirect {
        redirect_uri: String,
        state: Option<String>,
    },
    /// RFC 6749 §5.2 JSON (token).
    Json,
}

/// The OAuth endpoint this request addresses, if any.
pub(super) fn endpoint<'a>(cur: &'a Current, req: &Request<Incoming>) -> Option<OAuthEndpoint<'a>> {
    let snap = cur.snapshot.as_deref()?;
    // As `headers::client_host`, without allocating: this runs for every request.
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    snap.oauth_endpoint(host, req.uri().path())
}

/// Handles a request to an authorization or token endpoint.
pub(super) async fn handle(
    gw: &Gateway,
    cur: &Current,
    ep: OAuthEndpoint<'_>,
    req: Request<Incoming>,
    conn: &ConnInfo,
    mut ex: Exchange,
) -> Response<Body> {
    let Some(snap) = cur.snapshot.as_deref() else {
        // `endpoint` found `ep` in this very snapshot.
        return deny(gw, ex, ep.kind, Form::Page, Reason::ListsUnavailable, None).await;
    };
    match ep.kind {
        EndpointKind::Authorize => {
            ex.record.kind = Kind::Authorize;
            adopt_query_ids(&req, &mut ex);
            authorize(gw, cur, snap, &ep, req, conn, ex).await
        }
        EndpointKind::Token => {
            ex.record.kind = Kind::Token;
            token(gw, cur, snap, &ep, req, conn, ex).await
        }
    }
}

async fn authorize(
    gw: &Gateway,
    cur: &Current,
    snap: &Snapshot,
    ep: &OAuthEndpoint<'_>,
    req: Request<Incoming>,
    conn: &ConnInfo,
    mut ex: Exchange,
) -> Response<Body> {
    let kind = EndpointKind::Authorize;
    if let Some((reason, detail)) = fresh_and_framed(cur, snap, &req, &ex) {
        return deny(gw, ex, kind, Form::Page, reason, detail).await;
    }
    let d = oauth::decide_authorize(snap, ep, req.method(), req.uri().query(), ex.now);
    let joined = |v: &[String]| (!v.is_empty()).then(|| v.join(" "));
    ex.record.client.clone_from(&d.client);
    ex.record.provider.clone_from(&d.provider);
    ex.record.requested_service = joined(&d.requested_services);
    ex.record.effective_service = joined(&d.effective_services);
    ex.record.glg = joined(&d.glgs);
    let reason = d.reason.unwrap_or(Reason::OauthRequestInvalid);
    match d.outcome {
        AuthorizeOutcome::Allow {
            upstream,
            redirect_uri,
            state,
        } => {
            let form = Form::Redirect {
                redirect_uri,
                state,
            };
            let (parts, body) = req.into_parts();
            let body = framing::limited_body(body, cur.config.server.max_body_bytes);
            forward(gw, cur, parts, body, conn, &upstream, ex, kind, form).await
        }
        AuthorizeOutcome::Page => deny(gw, ex, kind, Form::Page, reason, d.detail).await,
        AuthorizeOutcome::Redirect {
            redirect_uri,
            state,
        } => {
            let form = Form::Redirect {
                redirect_uri,
                state,
            };
            deny(gw, ex, kind, form, reason, d.detail).await
        }
    }
}

async fn token(
    gw: &Gateway,
    cur: &Current,
    snap: &Snapshot,
    ep: &OAuthEndpoint<'_>,
    req: Request<Incoming>,
    conn: &ConnInfo,
    mut ex: Exchange,
) -> Response<Body> {
    let kind = EndpointKind::Token;
    if let Some((reason, detail)) = fresh_and_framed(cur, snap, &req, &ex) {
        return deny(gw, ex, kind, Form::Json, reason, detail).await;
    }
    if cur
        .config
        .server
        .tls
        .as_ref()
        .is_some_and(|t| t.whitelist_check)
    {
        if let Err(detail) = whitelisted(conn, snap) {
            let reason = Reason::WhitelistDenied;
            return deny(gw, ex, kind, Form::Json, reason, Some(detail)).await;
        }
    }
    let (parts, body) = req.into_parts();
    let limit = usize::try_from(cur.config.server.max_body_bytes)
        .unwrap_or(usize::MAX)
        .min(TOKEN_BODY_MAX);
    let body = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            let detail = format!("a token request body is at most {limit} bytes");
            return deny(gw, ex, kind, Form::Json, Reason::BodyTooLarge, Some(detail)).await;
        }
        Err(_) => {
            let detail = "the request body could not be read".to_owned();
            let reason = Reason::RequestMalformed;
            return deny(gw, ex, kind, Form::Json, reason, Some(detail)).await;
        }
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let treq = TokenRequest {
        method: &parts.method,
        content_type,
        body: &body,
    };
    let d = oauth::decide_token(snap, ep, &treq);
    ex.record.client.clone_from(&d.client);
    ex.record.provider.clone_from(&d.provider);
    match (d.reason, d.upstream) {
        (None, Some(upstream)) => {
            let body = respond::full(body);
            forward(gw, cur, parts, body, conn, &upstream, ex, kind, Form::Json).await
        }
        (reason, _) => {
            let reason = reason.unwrap_or(Reason::UpstreamUnavailable);
            deny(gw, ex, kind, Form::Json, reason, d.detail).await
        }
    }
}

/// SPEC §7 row 1 and the framing checks, shared by both endpoints.
fn fresh_and_framed(
    cur: &Current,
    snap: &Snapshot,
    req: &Request<Incoming>,
    ex: &Exchange,
) -> Option<(Reason, Option<String>)> {
    let config = &cur.config;
    if let Some(kind) = snap.lists.stale(ex.now, config.lists.max_stale) {
        let detail = format!("the {} is older than max_stale", kind.name());
        return Some((Reason::ListsUnavailable, Some(detail)));
    }
    framing::check(req.headers(), config.server.max_body_bytes)
        .err()
        .map(|r| (r, None))
}

/// `MedMij-Request-ID` and `X-Correlation-ID` as query parameters of an authorize request,
/// used when the request has no such header.
fn adopt_query_ids(req: &Request<Incoming>, ex: &mut Exchange) {
    let Some(query) = req.uri().query() else {
        return;
    };
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let sane = (1..=headers::MAX_REQUEST_ID_LEN).contains(&v.len())
            && v.bytes().all(|b| b.is_ascii_graphic());
        if !sane {
            continue;
        }
        if k.eq_ignore_ascii_case(headers::MEDMIJ_REQUEST_ID.as_str())
            && !req.headers().contains_key(headers::MEDMIJ_REQUEST_ID)
        {
            ex.request_id = v.clone().into_owned();
            ex.record.request_id = v.into_owned();
        } else if k.eq_ignore_ascii_case(headers::X_CORRELATION_ID.as_str())
            && ex.record.correlation_id.is_none()
        {
            ex.record.correlation_id = Some(v.into_owned());
        }
    }
}

/// Forwards an allowed request unchanged (see the module docs) and streams the answer back.
#[allow(clippy::too_many_arguments)]
async fn forward(
    gw: &Gateway,
    cur: &Current,
    mut parts: Parts,
    body: Body,
    conn: &ConnInfo,
    upstream: &str,
    mut ex: Exchange,
    kind: EndpointKind,
    form: Form,
) -> Response<Body> {
    let target = format!(
        "{}{}{}",
        upstream.trim_end_matches('/'),
        parts.uri.path(),
        parts
            .uri
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    );
    let Ok(uri) = target.parse::<Uri>() else {
        let detail = Some("the authorization server URL is not a URI".to_owned());
        return deny(gw, ex, kind, form, Reason::UpstreamUnavailable, detail).await;
    };
    let client_host = headers::client_host(&parts.headers, &parts.uri);
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    if rewrite(
        &mut parts.headers,
        conn,
        client_host.as_deref(),
        &authority,
        &ex,
    )
    .is_err()
    {
        let detail = Some("a forwarding header is not a valid header value".to_owned());
        return deny(gw, ex, kind, form, Reason::UpstreamUnavailable, detail).await;
    }
    parts.uri = uri;

    // The decision is on disk (durable mode) before anything reaches the upstream.
    ex.record.decision = audit::Decision::Allow;
    if let Err(e) = gw.audit.record(ex.record.clone()).await {
        tracing::error!(request.id = %ex.request_id, error = %e, "audit record not written; request refused");
        return answer(gw, &ex, kind, &form, Reason::AuditUnavailable, None);
    }

    let req = Request::from_parts(parts, body);
    match ex
        .send_upstream(gw, req, cur.config.server.request_timeout)
        .await
    {
        Ok(mut resp) => {
            ex.answered(gw, &mut resp);
            tracing::debug!(
                request.id = %ex.request_id,
                client.id = ex.record.client.as_deref().unwrap_or(""),
                provider = ex.record.provider.as_deref().unwrap_or(""),
                status = resp.status().as_u16(),
                "oauth request forwarded"
            );
            // Queued before the answer leaves, so a graceful shutdown still writes it.
            gw.audit.record_queued(ex.record);
            resp
        }
        Err(e) => deny(gw, ex, kind, form, e.reason(), Some(e.to_string())).await,
    }
}

/// Hop-by-hop out, forwarding headers ours, `Host` the upstream's, request ids set.
fn rewrite(
    h: &mut HeaderMap,
    conn: &ConnInfo,
    client_host: Option<&str>,
    authority: &str,
    ex: &Exchange,
) -> Result<(), http::header::InvalidHeaderValue> {
    headers::remove_hop_by_hop(h);
    let untrusted: Vec<HeaderName> = h
        .keys()
        .filter(|n| {
            let n = n.as_str();
            n.starts_with("x-medmij-") || n.starts_with("x-forwarded-") || n == "forwarded"
        })
        .cloned()
        .collect();
    for name in untrusted {
        h.remove(name);
    }
    h.insert(
        headers::X_FORWARDED_FOR,
        HeaderValue::from_str(&conn.peer.ip().to_string())?,
    );
    h.insert(
        headers::X_FORWARDED_PROTO,
        HeaderValue::from_static(if conn.tls { "https" } else { "http" }),
    );
    if let Some(host) = client_host {
        h.insert(headers::X_FORWARDED_HOST, HeaderValue::from_str(host)?);
    }
    h.insert(
        headers::MEDMIJ_REQUEST_ID,
        HeaderValue::from_str(&ex.request_id)?,
    );
    if let (false, Some(id)) = (
        h.contains_key(headers::X_CORRELATION_ID),
        ex.record.correlation_id.as_deref(),
    ) {
        h.insert(headers::X_CORRELATION_ID, HeaderValue::from_str(id)?);
    }
    h.insert(HOST, HeaderValue::from_str(authority)?);
    Ok(())
}

/// A denial: audit record, then [`answer`].
async fn deny(
    gw: &Gateway,
    mut ex: Exchange,
    kind: EndpointKind,
    form: Form,
    reason: Reason,
    detail: Option<String>,
) -> Response<Body> {
    ex.record.decision = audit::Decision::Deny;
    ex.record.reason = Some(reason);
    ex.record.status = Some(match form {
        Form::Redirect { .. } => 302,
        Form::Page | Form::Json => oauth_error(kind, reason).status,
    });
    if let Err(e) = gw.audit.record(ex.record.clone()).await {
        tracing::error!(request.id = %ex.request_id, error = %e, "audit record of a denial not written");
    }
    answer(gw, &ex, kind, &form, reason, detail.as_deref())
}

/// Metrics, log line and the response of a denial.
fn answer(
    gw: &Gateway,
    ex: &Exchange,
    kind: EndpointKind,
    form: &Form,
    reason: Reason,
    detail: Option<&str>,
) -> Response<Body> {
    gw.metrics.decision(Some(reason), ex.started.elapsed());
    tracing::info!(
        request.id = %ex.request_id,
        deny.reason = reason.code(),
        client.id = ex.record.client.as_deref().unwrap_or(""),
        provider = ex.record.provider.as_deref().unwrap_or(""),
        glg.id = ex.record.glg.as_deref().unwrap_or(""),
        "oauth request denied"
    );
    let oauth = oauth_error(kind, reason);
    let text = answer::Text {
        reason,
        detail,
        request_id: &ex.request_id,
    };
    match form {
        Form::Page => answer::page(oauth, &text),
        Form::Redirect {
            redirect_uri,
            state,
        } => answer::redirect(redirect_uri, state.as_deref(), oauth, &text),
        Form::Json => answer::json(oauth, &text),
    }
}
