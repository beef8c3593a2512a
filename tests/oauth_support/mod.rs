//! Harness for `tests/oauth_flow.rs`: the real gateway (bundled example config and lists)
//! in front of a small real authorization server, a recording FHIR upstream and a JWKS
//! server, all on 127.0.0.1 with OS-assigned ports; readiness is a bound listener.
//!
//! The gateway listens with TLS: a server certificate for the ZAL host from a test CA made
//! at run time (`tests/tls_support`), `client_ca` that same CA, `whitelist_check = true`
//! and `require_client_cert = false`. Certificates are optional on the handshake because
//! the authorize endpoint is the front channel: in MedMij the patient's browser follows the
//! redirect there and has no MedMij client certificate. The token and resource endpoints
//! (the DVP node's back channel) are checked against the WHL, so there a certificate is
//! needed all the same.
//!
//! Clients reach the gateway under the ZAL host names themselves: every reqwest client here
//! has a DNS override sending `medmij.umcharderwijk.nl` to the gateway's address, so the
//! URLs are exactly the ZAL URIs, the server certificate is verified for the ZAL host and
//! `match_host = true` stays on. [`Setup::browser`] presents no certificate;
//! [`Setup::node`] presents a client certificate whose DNS name is the given host.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scopegate::clock::Clock;
use scopegate::config::{self, AuthorizationServer, Config, Source, Tls};
use scopegate::demo::stub::{RecordingUpstream, StaticServer};
use scopegate::gateway::{self, Running, StartOptions};
use scopegate::token::Issuer;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::tls_support::Pki;

pub const SCHEME: &str = "https";
/// The ZAL host of umcharderwijk@medmij's authorization, token and resource endpoints.
pub const ZA_HOST: &str = "medmij.umcharderwijk.nl";
/// A GLG DVP of glg-umch-51 (copy service 9051 of 51).
pub const GLG_DVP: &str = "medmij.deenigeechtepgo.nl";
/// On the OCL, not a DVP of any live GLG.
pub const OTHER_DVP: &str = "pgocluster68.personalhealthprovider.net";
/// Not on the example WHL (`config/lists/MedMij_Whitelist.xml`); GLG_DVP and OTHER_DVP are.
pub const OFF_WHL: &str = "pgo.not-on-the-whitelist.example";
/// 2026-12-03 12:00 in Amsterdam: glg-umch-51 is active.
pub const NOW: &str = "2026-12-03T11:00:00Z";

/// One request as the authorization server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct AuthState {
    /// code → (client_id, scope)
    codes: HashMap<String, (String, String)>,
    seen: Vec<Seen>,
}

/// A small authorization server: `/oauth/authorize` answers `302` to the `redirect_uri`
/// with a fresh `code` and the `state`; `/oauth/token` exchanges a code for an ES256 JWT
/// carrying `client_id` and `scope`. It checks nothing else: checking is scopegate's job.
pub struct AuthServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<AuthState>>,
    task: JoinHandle<()>,
}

impl AuthServer {
    pub async fn start(issuer: Arc<Issuer>, audience: String, now: i64) -> AuthServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(AuthState::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (state, issuer, audience) = (shared.clone(), issuer.clone(), audience.clone());
                let svc = service_fn(move |req: Request<Incoming>| {
                    let (state, issuer, audience) =
                        (state.clone(), issuer.clone(), audience.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let target = parts.uri.path_and_query().unwrap().as_str().to_owned();
                        let mut st = state.lock().unwrap();
                        st.seen.push(Seen {
                            method: parts.method.to_string(),
                            target,
                            headers: parts.headers,
                            body: body.clone(),
                        });
                        let resp = match parts.uri.path() {
                            "/oauth/authorize" => {
                                let q = form(parts.uri.query().unwrap_or_default().as_bytes());
                                let code = format!("code-{}", st.codes.len() + 1);
                                st.codes.insert(
                                    code.clone(),
                                    (q["client_id"].clone(), q["scope"].clone()),
                                );
                                let back = url::form_urlencoded::Serializer::new(String::new())
                                    .append_pair("code", &code)
                                    .append_pair("state", &q["state"])
                                    .finish();
                                Response::builder()
                                    .status(StatusCode::FOUND)
                                    .header("location", format!("{}?{back}", q["redirect_uri"]))
                                    .body(Full::new(Bytes::new()))
                                    .unwrap()
                            }
                            "/oauth/token" => {
                                let f = form(&body);
                                match f.get("code").and_then(|c| st.codes.remove(c)) {
                                    Some((client_id, scope)) => {
                                        let token = issuer.sign(&json!({
                                            "iss": issuer.issuer(),
                                            "aud": audience,
                                            "sub": "patient-1",
                                            "client_id": client_id,
                                            "scope": scope,
                                            "iat": now,
                                            "exp": now + 3600,
                                        }));
                                        json_response(
                                            StatusCode::OK,
                                            json!({
                                                "access_token": token,
                                                "token_type": "bearer",
                                                "expires_in": 3600,
                                                "scope": scope,
                                            }),
                                        )
                                    }
                                    None => json_response(
                                        StatusCode::BAD_REQUEST,
                                        json!({"error": "invalid_grant"}),
                                    ),
                                }
                            }
                            _ => Response::builder()
                                .status(StatusCode::NOT_FOUND)
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        };
                        Ok::<_, Infallible>(resp)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(tcp), svc));
            }
        });
        AuthServer { addr, state, task }
    }

    /// Everything received since the last call.
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.state.lock().unwrap().seen)
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// Everything one test needs, started.
pub struct Setup {
    pub running: Running,
    pub auth: AuthServer,
    pub upstream: RecordingUpstream,
    pub issuer: Arc<Issuer>,
    pub config: Config,
    pub audit_path: PathBuf,
    pub pki: Pki,
    _jwks: StaticServer,
    _dir: tempfile::TempDir,
}

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

impl Setup {
    /// The gateway with the bundled example config and lists, its provider upstreams on
    /// the recording upstream and `[authorization_server] upstream` on [`AuthServer`].
    pub async fn start() -> Setup {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/scopegate.toml");
        let mut config = config::load(&path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let issuer = Arc::new(Issuer::generate(&config.tokens.issuer, "oauth-test").unwrap());
        let jwks = StaticServer::start("application/json", issuer.jwks_json())
            .await
            .unwrap();
        let audience = config.tokens.audience.clone().unwrap_or_default();
        let auth = AuthServer::start(issuer.clone(), audience, now().timestamp()).await;
        let upstream = RecordingUpstream::start().await.unwrap();

        config.server.listen = "127.0.0.1:0".parse().unwrap();
        config.server.admin_listen = "127.0.0.1:0".parse().unwrap();
        assert!(config.server.match_host);
        config.tokens.jwks = Some(Source::Url(jwks.url("/jwks.json").parse().unwrap()));
        config.authorization_server = Some(AuthorizationServer {
            upstream: format!("http://{}", auth.addr).parse().unwrap(),
        });
        for p in &mut config.providers {
            p.authorization_server = None;
            p.upstream.set_ip_host(upstream.addr.ip()).unwrap();
            p.upstream.set_port(Some(upstream.addr.port())).unwrap();
        }
        let pki = Pki::new();
        pki.install_server(&pki.server_for(&[ZA_HOST]));
        config.server.tls = Some(Tls {
            cert: pki.path("server.pem"),
            key: pki.path("server.key"),
            client_ca: Some(pki.ca_pem.clone()),
            require_client_cert: false,
            whitelist_check: true,
        });
        assert!(config.lists.whl.is_some());
        let audit_path = dir.path().join("audit.jsonl");
        config.audit.path = audit_path.clone();

        let running = gateway::start(
            config.clone(),
            StartOptions {
                clock: Clock::starting_at(now()),
                ..StartOptions::default()
            },
        )
        .await
        .unwrap();
        Setup {
            running,
            auth,
            upstream,
            issuer,
            config,
            audit_path,
            pki,
            _jwks: jwks,
            _dir: dir,
        }
    }

    /// The DVP node of `host`: a client presenting a certificate for `host` from the test
    /// CA (the back channel: token and resource requests).
    pub fn node(&self, host: &str) -> reqwest::Client {
        self.client(Some(host))
    }

    /// A patient's browser: no client certificate (the front channel: authorize).
    pub fn browser(&self) -> reqwest::Client {
        self.client(None)
    }

    /// A client that trusts the test CA, reaches the gateway under the ZAL host, follows no
    /// redirects (as an OAuth client must not) and times out rather than hangs.
    fn client(&self, cert_host: Option<&str>) -> reqwest::Client {
        let leaf = cert_host.map(|h| self.pki.client(h));
        let tls = self.pki.client_config(leaf.as_ref(), &[b"http/1.1"]);
        reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .resolve(ZA_HOST, self.running.addr)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// `<SCHEME>://medmij.umcharderwijk.nl<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{SCHEME}://{ZA_HOST}{path}")
    }

    /// An access token signed by the authorization server's key, obtained without the flow.
    pub fn token_for(&self, client_id: &str, scope: &str) -> String {
        let now = now().timestamp();
        self.issuer.sign(&json!({
            "iss": self.issuer.issuer(),
            "aud": self.config.tokens.audience.clone().unwrap_or_default(),
            "sub": "patient-2",
            "client_id": client_id,
            "scope": scope,
            "iat": now,
            "exp": now + 3600,
        }))
    }

    /// Stops the gateway and returns the audit records written.
    pub async fn audit_records(self) -> Vec<serde_json::Value> {
        self.running.shutdown().await;
        std::fs::read_to_string(&self.audit_path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}
