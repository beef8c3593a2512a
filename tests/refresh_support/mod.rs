//! Shared harness for the `refresh_*` tests (and `benches/swap.rs`): a real list server on
//! loopback whose answers the test sets (document with ETag, error status, hang), small valid
//! ZAL and OCL documents with a chosen Volgnummer, and a whole running gateway with a config
//! file, a token issuer with its JWKS served over HTTP, and a recording upstream.
//! Everything on 127.0.0.1 with OS-assigned ports; no sleeps.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scopegate::clock::Clock;
use scopegate::demo::stub::{RecordingUpstream, StaticServer};
use scopegate::gateway::{self, Running, StartOptions};
use scopegate::token::Issuer;
use serde_json::json;
use tokio::net::TcpListener;

/// How the list server answers one path.
#[derive(Clone)]
pub enum Answer {
    /// 200 with the document and an ETag; 304 when `If-None-Match` carries that ETag.
    Document {
        body: Bytes,
        etag: String,
    },
    Status(u16),
    /// Accept the request and never answer.
    Hang,
}

#[derive(Clone, Default)]
pub struct ListServerState {
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    pub requests: Arc<AtomicUsize>,
    pub not_modified: Arc<AtomicUsize>,
    /// Requests per path, counted once each has been answered; a test awaits a count.
    answered: Arc<tokio::sync::watch::Sender<HashMap<String, usize>>>,
}

pub struct ListServer {
    pub addr: SocketAddr,
    pub state: ListServerState,
    scheme: &'static str,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ListServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ListServer {
    pub async fn start() -> ListServer {
        ListServer::start_with(None).await
    }

    /// The same server behind TLS (`https`), e.g. one that requires a client certificate.
    pub async fn start_tls(tls: tokio_rustls::TlsAcceptor) -> ListServer {
        ListServer::start_with(Some(tls)).await
    }

    async fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> ListServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = ListServerState::default();
        let st = state.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let st = st.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(answer(&st, req).await) }
                    });
                    match tls {
                        None => {
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(tcp), svc)
                                .await;
                        }
                        Some(tls) => {
                            let Ok(stream) = tls.accept(tcp).await else {
                                return;
                            };
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), svc)
                                .await;
                        }
                    }
                });
            }
        });
        ListServer {
            addr,
            state,
            scheme,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    pub fn set(&self, path: &str, answer: Answer) {
        self.state
            .answers
            .lock()
            .unwrap()
            .insert(path.to_owned(), answer);
    }

    /// Serves `body` at `path` with an ETag derived from its length and a counter.
    pub fn serve(&self, path: &str, body: impl Into<Bytes>) {
        let body = body.into();
        let n = self.state.requests.load(Ordering::SeqCst);
        let etag = format!("\"{}-{}-{n}\"", path.len(), body.len());
        self.set(path, Answer::Document { body, etag });
    }

    /// Waits (at most 30 s) until `path` has been requested `n` times.
    pub async fn requested(&self, path: &str, n: usize) {
        let mut rx = self.state.answered.subscribe();
        let seen = rx.wait_for(|m| m.get(path).copied().unwrap_or(0) >= n);
        tokio::time::timeout(Duration::from_secs(30), seen)
            .await
            .unwrap_or_else(|_| panic!("{path} was not requested {n} times within 30 s"))
            .unwrap();
    }
}

async fn answer(st: &ListServerState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    st.requests.fetch_add(1, Ordering::SeqCst);
    let path = req.uri().path().to_owned();
    let resp = respond(st, req).await;
    st.answered
        .send_modify(|m| *m.entry(path).or_default() += 1);
    resp
}

async fn respond(st: &ListServerState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let a = st.answers.lock().unwrap().get(req.uri().path()).cloned();
    let mut resp = Response::new(Full::new(Bytes::new()));
    match a {
        None => *resp.status_mut() = StatusCode::NOT_FOUND,
        Some(Answer::Status(s)) => *resp.status_mut() = StatusCode::from_u16(s).unwrap(),
        Some(Answer::Hang) => std::future::pending::<()>().await,
        Some(Answer::Document { body, etag }) => {
            let inm = req.headers().get("if-none-match");
            resp.headers_mut().insert("etag", etag.parse().unwrap());
            if inm.is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
                st.not_modified.fetch_add(1, Ordering::SeqCst);
                *resp.status_mut() = StatusCode::NOT_MODIFIED;
            } else {
                *resp.body_mut() = Full::new(body);
            }
        }
    }
    resp
}

pub const ZA: &str = "umcharderwijk@medmij";
pub const ZA_HOST: &str = "medmij.umcharderwijk.nl";
pub const GLG_DVP: &str = "medmij.deenigeechtepgo.nl";
pub const OTHER_DVP: &str = "medmij.gezondheidskluis.nl";
pub const GLG_ID: &str = "glg-umch-9051";

/// The path of a gegevensdienst's resource endpoint on the ZA's host.
pub fn endpoint_path(id: &str) -> String {
    format!("/fhir-{id}")
}

/// A ZAL where the ZA offers the services `ids`, each at `https://ZA_HOST/fhir-<id>`.
pub fn zal_xml(volgnummer: u64, ids: &[&str]) -> String {
    let mut services = String::new();
    for id in ids {
        services.push_str(&format!(
            "<Gegevensdienst><GegevensdienstId>{id}</GegevensdienstId>\
             <AuthorizationEndpoint><AuthorizationEndpointuri>https://{ZA_HOST}/oauth/authorize</AuthorizationEndpointuri></AuthorizationEndpoint>\
             <TokenEndpoint><TokenEndpointuri>https://{ZA_HOST}/oauth/token</TokenEndpointuri></TokenEndpoint>\
             <Systeemrollen><Systeemrol><Systeemrolcode>X-1.0.0-FHIR</Systeemrolcode>\
             <ResourceEndpoint><ResourceEndpointuri>https://{ZA_HOST}{}</ResourceEndpointuri></ResourceEndpoint>\
             </Systeemrol></Systeemrollen></Gegevensdienst>",
            endpoint_path(id)
        ));
    }
    list_doc(
        "Zorgaanbiederslijst",
        "zorgaanbiederslijst/release2",
        volgnummer,
        &format!(
            "<Zorgaanbieders><Zorgaanbieder><Zorgaanbiedernaam>{ZA}</Zorgaanbiedernaam>\
             <Gegevensdiensten>{services}</Gegevensdiensten></Zorgaanbieder></Zorgaanbieders>"
        ),
    )
}

/// A list document: the root element in its MedMij namespace, the header, then `body`.
fn list_doc(root: &str, namespace: &str, volgnummer: u64, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <{root} xmlns=\"xmlns://afsprakenstelsel.medmij.nl/{namespace}/\">\
         <Tijdstempel>2026-12-03T06:00:00+01:00</Tijdstempel><Volgnummer>{volgnummer}</Volgnummer>\
         {body}</{root}>\n"
    )
}

/// An OCL (1.x form) with the clients `hosts`.
pub fn ocl_xml(volgnummer: u64, hosts: &[&str]) -> String {
    let clients: String = hosts
        .iter()
        .map(|h| {
            format!(
                "<OAuthclient><Hostname>{h}</Hostname><OAuthclientOrganisatienaam>PGO {h}</OAuthclientOrganisatienaam></OAuthclient>"
            )
        })
        .collect();
    list_doc(
        "OAuthclientlist",
        "oauthclientlist/release2",
        volgnummer,
        &format!("<OAuthclients>{clients}</OAuthclients>"),
    )
}

/// 2026-12-03 12:00 in Amsterdam.
pub const NOW: &str = "2026-12-03T11:00:00Z";

/// A Whitelist (release 1.1 form) naming `hosts`.
pub fn whl_xml(volgnummer: u64, hosts: &[&str]) -> String {
    let nodes: String = hosts
        .iter()
        .map(|h| format!("<MedMijNode><Hostname>{h}</Hostname></MedMijNode>"))
        .collect();
    list_doc(
        "Whitelist",
        "whitelist/release2",
        volgnummer,
        &format!("<MedMijNodes>{nodes}</MedMijNodes>"),
    )
}

/// A Gegevensdienstnamenlijst naming each `(id, name)`.
pub fn gnl_xml(volgnummer: u64, services: &[(&str, &str)]) -> String {
    let items: String = services
        .iter()
        .map(|(id, name)| {
            format!(
                "<Gegevensdienst><GegevensdienstId>{id}</GegevensdienstId>\
                 <Weergavenaam>{name}</Weergavenaam></Gegevensdienst>"
            )
        })
        .collect();
    list_doc(
        "Gegevensdienstnamenlijst",
        "gegevensdienstnamenlijst/release1",
        volgnummer,
        &format!("<Gegevensdiensten>{items}</Gegevensdiensten>"),
    )
}

/// What a test can change in the config file between reloads.
#[derive(Clone)]
pub struct ConfigKnobs {
    pub refresh_interval: &'static str,
    pub max_stale: &'static str,
    pub list_timeout: &'static str,
    /// The GLG's DVPs.
    pub glg_dvps: Vec<&'static str>,
    /// The GLG's first and last day.
    pub glg_days: (&'static str, &'static str),
    pub extra_providers: Vec<&'static str>,
    /// Extra lines for the `[lists]` table.
    pub extra_lists: String,
}

impl Default for ConfigKnobs {
    fn default() -> Self {
        ConfigKnobs {
            refresh_interval: "5m",
            max_stale: "8h",
            list_timeout: "2s",
            glg_dvps: vec![GLG_DVP],
            glg_days: ("2026-11-01", "2027-01-31"),
            extra_providers: vec![],
            extra_lists: String::new(),
        }
    }
}

pub struct Env {
    pub lists: ListServer,
    pub upstream: RecordingUpstream,
    pub issuer: Issuer,
    pub jwks: StaticServer,
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    pub clock: Clock,
    pub running: Running,
    pub http: reqwest::Client,
}

impl Env {
    /// Writes the config, serves the given lists and starts the gateway. `zal`/`ocl` `None`:
    /// the list server answers 503 for that list at start.
    pub async fn start(knobs: ConfigKnobs, zal: Option<String>, ocl: Option<String>) -> Env {
        Env::start_on(ListServer::start().await, knobs, zal, ocl).await
    }

    /// As [`Env::start`], with lists from the given server.
    pub async fn start_on(
        lists: ListServer,
        knobs: ConfigKnobs,
        zal: Option<String>,
        ocl: Option<String>,
    ) -> Env {
        match zal {
            Some(z) => lists.serve("/MedMij_Zorgaanbiederslijst.xml", z),
            None => lists.set("/MedMij_Zorgaanbiederslijst.xml", Answer::Status(503)),
        }
        match ocl {
            Some(o) => lists.serve("/MedMij_OAuthclientlist.xml", o),
            None => lists.set("/MedMij_OAuthclientlist.xml", Answer::Status(503)),
        }
        let upstream = RecordingUpstream::start().await.unwrap();
        let issuer = Issuer::generate("https://auth.dvza.example.nl", "k1").unwrap();
        let jwks = StaticServer::start("application/json", issuer.jwks_json())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("scopegate.toml");
        let clock = Clock::starting_at(NOW.parse().unwrap());
        let text = render_config(&lists, &upstream, &jwks, dir.path(), &knobs);
        std::fs::write(&config_path, text).unwrap();
        let config = scopegate::config::load(&config_path).unwrap();
        let running = gateway::start(
            config,
            StartOptions {
                clock: clock.clone(),
                config_path: Some(config_path.clone()),
                no_token_cache: false,
            },
        )
        .await
        .unwrap();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(16)
            .build()
            .unwrap();
        Env {
            lists,
            upstream,
            issuer,
            jwks,
            dir,
            config_path,
            clock,
            running,
            http,
        }
    }

    pub fn gateway(&self) -> &scopegate::gateway::Gateway {
        &self.running.gateway
    }

    pub fn serve_zal(&self, xml: String) {
        self.lists.serve("/MedMij_Zorgaanbiederslijst.xml", xml);
    }

    pub fn serve_ocl(&self, xml: String) {
        self.lists.serve("/MedMij_OAuthclientlist.xml", xml);
    }

    pub fn set_zal(&self, answer: Answer) {
        self.lists.set("/MedMij_Zorgaanbiederslijst.xml", answer);
    }

    /// Writes a new config file (reload it with `Gateway::reload`).
    pub fn write_config(&self, knobs: &ConfigKnobs) {
        let text = render_config(
            &self.lists,
            &self.upstream,
            &self.jwks,
            self.dir.path(),
            knobs,
        );
        std::fs::write(&self.config_path, text).unwrap();
    }

    pub fn token(&self, client: &str, scope: &str) -> String {
        let iat = self.clock.unix();
        self.issuer.sign(&json!({
            "iss": "https://auth.dvza.example.nl",
            "sub": "patient-1",
            "client_id": client,
            "scope": scope,
            "iat": iat,
            "exp": iat + 3600,
        }))
    }

    /// A resource request; returns the status and the reason code (None when allowed).
    pub async fn get(&self, client: &str, scope: &str, path: &str) -> (u16, Option<String>) {
        let token = self.token(client, scope);
        self.get_with(&self.http, &token, path).await.unwrap()
    }

    pub async fn get_with(
        &self,
        http: &reqwest::Client,
        token: &str,
        path: &str,
    ) -> Result<(u16, Option<String>), reqwest::Error> {
        let resp = http
            .get(format!("http://{}{path}", self.running.addr))
            .header("host", ZA_HOST)
            .bearer_auth(token)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        let reason = body["issue"][0]["diagnostics"]
            .as_str()
            .and_then(|d| d.split(':').next())
            .map(str::to_owned);
        Ok((status, reason))
    }

    /// `GET /readyz` status.
    pub async fn readyz(&self) -> u16 {
        self.http
            .get(format!("http://{}/readyz", self.running.admin_addr))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

pub fn render_config(
    lists: &ListServer,
    upstream: &RecordingUpstream,
    jwks: &StaticServer,
    dir: &std::path::Path,
    knobs: &ConfigKnobs,
) -> String {
    let dvps = knobs
        .glg_dvps
        .iter()
        .map(|d| format!("{d:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut extra = String::new();
    for p in &knobs.extra_providers {
        extra.push_str(&format!(
            "[[providers]]\nname = \"{p}\"\nupstream = \"http://{}/other\"\n\n",
            upstream.addr
        ));
    }
    format!(
        r#"[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[lists]
zal = "{zal}"
ocl = "{ocl}"
refresh_interval = "{refresh_interval}"
max_stale = "{max_stale}"
timeout = "{timeout}"
{extra_lists}

[tokens]
issuer = "https://auth.dvza.example.nl"
jwks = "{jwks}"

[[providers]]
name = "{ZA}"
upstream = "http://{up}/fhir"

{extra}[[glg]]
id = "{GLG_ID}"
provider = "{ZA}"
copy_service = "9051"
original_service = "51"
dvps = [{dvps}]
start = "{start}"
end = "{end}"

[audit]
path = "{audit}"
mode = "buffered"
"#,
        zal = lists.url("/MedMij_Zorgaanbiederslijst.xml"),
        ocl = lists.url("/MedMij_OAuthclientlist.xml"),
        refresh_interval = knobs.refresh_interval,
        max_stale = knobs.max_stale,
        timeout = knobs.list_timeout,
        extra_lists = knobs.extra_lists,
        jwks = jwks.url("/jwks.json"),
        up = upstream.addr,
        start = knobs.glg_days.0,
        end = knobs.glg_days.1,
        audit = dir.join("audit.jsonl").display(),
    )
}
