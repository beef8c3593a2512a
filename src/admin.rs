//! The admin listener (SPEC §10): health, readiness, metrics, list and GLG status, the
//! decision explainer and reload. Never MedMij traffic.
//!
//! Every answer is computed from the gateway's current state at the time of the call; the
//! admin listener holds no state of its own. Bind it to loopback or a management network:
//! it has no authentication of its own.

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::gateway::Gateway;
use crate::glg;
use crate::lists::ListKind;
use crate::metrics::ScrapeState;
use crate::policy::{self, ResourceRequest};
use crate::proxy::respond::{self, Body};

/// Handles one admin request.
pub async fn handle(gw: Arc<Gateway>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path();
    match (req.method(), path) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => readyz(&gw),
        (&Method::GET, "/metrics") => metrics(&gw),
        (&Method::GET, "/admin/lists") => json_response(StatusCode::OK, &lists(&gw)),
        (&Method::GET, "/admin/glg") => json_response(StatusCode::OK, &glgs(&gw)),
        (&Method::GET, "/admin/decide") => decide(&gw, req.uri().query()),
        (&Method::POST, "/admin/reload") => match gw.reload().await {
            Ok(()) => json_response(StatusCode::OK, &json!({"reloaded": true})),
            Err(e) => {
                tracing::warn!(error = %e, "reload refused; the running config stays");
                json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({"reloaded": false, "error": e.to_string()}),
                )
            }
        },
        (
            _,
            "/healthz" | "/readyz" | "/metrics" | "/admin/lists" | "/admin/glg" | "/admin/decide"
            | "/admin/reload",
        ) => text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut resp = Response::new(respond::full(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut resp = Response::new(respond::full(value.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// What keeps the gateway from serving, empty when ready.
pub fn not_ready(gw: &Gateway) -> Vec<String> {
    let cur = gw.current();
    let mut missing = Vec::new();
    match &cur.snapshot {
        None => missing.push("lists: not loaded yet".to_owned()),
        Some(s) => {
            if let Some(kind) = s.lists.stale(gw.clock.now(), cur.config.lists.max_stale) {
                missing.push(format!("lists: {} older than max_stale", kind.name()));
            }
        }
    }
    if !cur.tokens.keys_available() {
        missing.push("keys: no token verification keys available".to_owned());
    }
    missing
}

fn readyz(gw: &Gateway) -> Response<Body> {
    let missing = not_ready(gw);
    if missing.is_empty() {
        json_response(StatusCode::OK, &json!({"ready": true}))
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"ready": false, "missing": missing}),
        )
    }
}

fn metrics(gw: &Gateway) -> Response<Body> {
    let cur = gw.current();
    let now = gw.clock.now();
    let today = glg::amsterdam_today(now);
    let lists = cur.snapshot.as_ref().map_or_else(Vec::new, |s| {
        s.lists
            .loaded_at
            .each()
            .filter_map(|(kind, at)| {
                let header = match kind {
                    ListKind::Zal => Some(&s.lists.zal.header),
                    ListKind::Ocl => Some(&s.lists.ocl.header),
                    ListKind::Whl => s.lists.whl.as_ref().map(|l| &l.header),
                    ListKind::Gnl => s.lists.gnl.as_ref().map(|l| &l.header),
                }?;
                let age = now.signed_duration_since(at).num_milliseconds() as f64 / 1000.0;
                Some((kind, age, header.volgnummer.as_f64()))
            })
            .collect()
    });
    let glgs = cur
        .config
        .glgs
        .iter()
        .map(|g| (g.id.as_str(), g.phase(today).is_live()))
        .collect();
    let text = gw.metrics.encode(&ScrapeState {
        lists,
        glgs,
        audit_records: gw.audit.records_written(),
    });
    let mut resp = Response::new(respond::full(text));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
    );
    resp
}

fn lists(gw: &Gateway) -> Value {
    let cur = gw.current();
    let now = gw.clock.now();
    let Some(s) = &cur.snapshot else {
        return json!({"loaded": false});
    };
    let l = &s.lists;
    let entry = |kind: ListKind,
                 source: Option<String>,
                 header: Option<&crate::lists::ListHeader>,
                 rows: usize| {
        let loaded_at = l.loaded_at.each().find(|(k, _)| *k == kind).map(|(_, t)| t);
        json!({
            "list": kind.name(),
            "source": source,
            "volgnummer": header.map(|h| h.volgnummer.to_string()),
            "tijdstempel": header.map(|h| h.tijdstempel.to_rfc3339()),
            "loaded_at": loaded_at.map(|t| t.to_rfc3339()),
            "age_seconds": loaded_at.map(|t| now.signed_duration_since(t).num_seconds()),
            "rows": rows,
        })
    };
    let c = &cur.config.lists;
    json!({
        "loaded": true,
        "stale": l.stale(now, c.max_stale).map(ListKind::name),
        "max_stale_seconds": c.max_stale.as_secs(),
        "lists": [
            entry(ListKind::Zal, Some(c.zal.to_string()), Some(&l.zal.header), l.zal.zorgaanbieders.len()),
            entry(ListKind::Ocl, Some(c.ocl.to_string()), Some(&l.ocl.header), l.ocl.clients.len()),
            entry(ListKind::Whl, c.whl.as_ref().map(ToString::to_string), l.whl.as_ref().map(|w| &w.header), l.whl.as_ref().map_or(0, |w| w.hosts.len())),
            entry(ListKind::Gnl, c.gnl.as_ref().map(ToString::to_string), l.gnl.as_ref().map(|g| &g.header), l.gnl.as_ref().map_or(0, |g| g.names.len())),
        ],
    })
}

fn glgs(gw: &Gateway) -> Value {
    let cur = gw.current();
    let today = glg::amsterdam_today(gw.clock.now());
    let rows: Vec<glg::Status> = cur
        .config
        .glgs
        .iter()
        .map(|g| glg::status(g, today))
        .collect();
    serde_json::to_value(rows).unwrap_or(Value::Null)
}

fn decide(gw: &Gateway, query: Option<&str>) -> Response<Body> {
    let mut client = None;
    let mut scope = None;
    let mut url = None;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*k {
            "client" => client = Some(v.into_owned()),
            "scope" => scope = Some(v.into_owned()),
            "url" => url = Some(v.into_owned()),
            _ => {}
        }
    }
    let (Some(client), Some(scope), Some(url)) = (client, scope, url) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "client, scope and url are required query parameters"}),
        );
    };
    let url = match url::Url::parse(&url) {
        Ok(u) => u,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("url: {e}")}),
            );
        }
    };
    let cur = gw.current();
    let Some(snap) = &cur.snapshot else {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"error": "the lists have not been loaded yet"}),
        );
    };
    let req = ResourceRequest {
        host: url.host_str(),
        path: url.path(),
        query: url.query(),
        client_id: &client,
        scope: &scope,
    };
    let d = policy::decide(snap, &req, gw.clock.now());
    json_response(
        StatusCode::OK,
        &serde_json::to_value(&d).unwrap_or(Value::Null),
    )
}
