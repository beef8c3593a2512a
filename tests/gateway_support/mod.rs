//! Shared harness for the `gateway_*` end-to-end tests: the bundled example config with its
//! ports and paths replaced, a real recording upstream, a real ES256 issuer whose JWKS is
//! served over HTTP, and the gateway itself (in-process through `scopegate::gateway::start`,
//! or the built binary), all on 127.0.0.1 with OS-assigned ports. Also: a silent upstream,
//! an upstream that holds a request until released, an RFC 7662 introspection server, and
//! the assertions every denial test shares.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scopegate::clock::Clock;
use scopegate::demo::stub::{Received, RecordingUpstream, StaticServer};
use scopegate::gateway::{self, Running, StartOptions};
use scopegate::token::Issuer;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

pub const ISS: &str = "https://auth.dvza.example.nl";
pub const AUD: &str = "scopegate";
pub const GLG_DVP: &str = "medmij.deenigeechtepgo.nl";
pub const OTHER_DVP: &str = "pgocluster68.personalhealthprovider.net";
pub const THIRD_DVP: &str = "medmij.gezondheidskluis.nl";
/// The instant the example config describes: 2026-12-03 12:00 in Amsterdam.
pub const NOW: &str = "2026-12-03T11:00:00Z";

/// The folder of the bundled example.
pub fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// The bundled example config with listeners on port 0 and absolute list paths.
pub fn example_toml() -> String {
    let text = std::fs::read_to_string(config_dir().join("scopegate.toml")).unwrap();
    let lists = format!("\"{}/lists/", config_dir().display());
    text.replace("\"127.0.0.1:8080\"", "\"127.0.0.1:0\"")
        .replace("\"127.0.0.1:9090\"", "\"127.0.0.1:0\"")
        .replace("\"lists/", &lists)
}

/// Replaces exactly one occurrence of `from`; a test edit that misses is a test bug.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "edit target {from:?}");
    text.replacen(from, to, 1)
}

/// A config being prepared; [`Setup::start`] fills in the JWKS, upstream and audit path
/// unless an edit already replaced them.
pub struct Setup {
    pub toml: String,
    pub clock: Clock,
}

impl Default for Setup {
    fn default() -> Self {
        Self::new()
    }
}

impl Setup {
    pub fn new() -> Setup {
        Setup {
            toml: example_toml(),
            clock: Clock::starting_at(NOW.parse().unwrap()),
        }
    }

    pub fn edit(mut self, from: &str, to: &str) -> Setup {
        self.toml = edit(&self.toml, from, to);
        self
    }

    /// The config text as [`Setup::start`] would use it, with these servers.
    pub fn finish_toml(&self, upstream: SocketAddr, jwks: &str, audit: &Path) -> String {
        let up = format!("http://{upstream}");
        self.toml
            .replace("http://127.0.0.1:8081", &up)
            .replace("http://127.0.0.1:8083", &up)
            .replace("\"keys/jwks.json\"", &format!("\"{jwks}\""))
            .replace(
                "\"audit/scopegate-audit.jsonl\"",
                &format!("\"{}\"", audit.display()),
            )
    }

    pub async fn start(self) -> Harness {
        let upstream = RecordingUpstream::start().await.unwrap();
        let issuer = Issuer::generate(ISS, "e2e-1").unwrap();
        let jwks = StaticServer::start("application/json", issuer.jwks_json())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let audit_path = dir.path().join("audit.jsonl");
        let toml = self.finish_toml(upstream.addr, &jwks.url("/jwks.json"), &audit_path);
        let config = scopegate::config::load_str(&toml, None).unwrap();
        let running = gateway::start(
            config,
            StartOptions {
                clock: self.clock.clone(),
                ..StartOptions::default()
            },
        )
        .await
        .unwrap();
        Harness {
            running: Some(running),
            upstream,
            issuer,
            _jwks: jwks,
            clock: self.clock,
            audit_path,
            _dir: dir,
            client: client(),
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A started gateway with its upstream, issuer and audit file.
pub struct Harness {
    pub running: Option<Running>,
    pub upstream: RecordingUpstream,
    pub issuer: Issuer,
    _jwks: StaticServer,
    pub clock: Clock,
    pub audit_path: PathBuf,
    _dir: tempfile::TempDir,
    pub client: reqwest::Client,
}

impl Harness {
    pub fn addr(&self) -> SocketAddr {
        self.running.as_ref().unwrap().addr
    }

    /// Claims for `client` and `scope`, valid for an hour from the gateway's clock.
    pub fn claims(&self, client: &str, scope: &str) -> Value {
        claims(self.clock.unix(), client, scope)
    }

    pub fn token(&self, client: &str, scope: &str) -> String {
        self.issuer.sign(&self.claims(client, scope))
    }

    /// A request to the gateway for a ZAL URL: its path and query, with its host as `Host`.
    pub fn request(&self, method: reqwest::Method, zal_url: &str) -> reqwest::RequestBuilder {
        gateway_request(&self.client, self.addr(), method, zal_url)
    }

    pub fn get(&self, zal_url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, zal_url)
    }

    /// Every audit record written so far (flushes first).
    pub async fn audit(&self) -> Vec<Value> {
        if let Some(r) = &self.running {
            r.gateway.audit.flush().await.unwrap();
        }
        read_audit(&self.audit_path)
    }

    /// The one audit record of `request_id`.
    pub async fn record(&self, request_id: &str) -> Value {
        let mut found: Vec<Value> = self
            .audit()
            .await
            .into_iter()
            .filter(|r| r["request_id"] == request_id)
            .collect();
        assert_eq!(found.len(), 1, "records of {request_id}: {found:?}");
        found.remove(0)
    }

    pub async fn shutdown(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

pub fn claims(now: i64, client: &str, scope: &str) -> Value {
    json!({
        "iss": ISS,
        "aud": AUD,
        "sub": "patient-e2e",
        "client_id": client,
        "scope": scope,
        "iat": now,
        "exp": now + 3600,
    })
}

pub fn gateway_request(
    client: &reqwest::Client,
    addr: SocketAddr,
    method: reqwest::Method,
    zal_url: &str,
) -> reqwest::RequestBuilder {
    let url: url::Url = zal_url.parse().unwrap();
    let target = format!(
        "http://{addr}{}{}",
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    client
        .request(method, target)
        .header("host", url.host_str().unwrap())
}

pub fn read_audit(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What every denial must look like (SPEC §7): status, challenge, `Retry-After`, content
/// type, OperationOutcome and the echoed request id. Returns the request id.
pub async fn assert_denied(resp: reqwest::Response, reason: &str, sent_id: Option<&str>) -> String {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body: Value = resp.json().await.unwrap();
    let (want_status, challenge, issue, retry) = expected(reason);
    assert_eq!(status, want_status, "status for {reason}: {body}");
    assert_eq!(
        headers.get("www-authenticate").map(|v| v.to_str().unwrap()),
        challenge,
        "WWW-Authenticate for {reason}"
    );
    assert_eq!(
        headers.get("retry-after").map(|v| v.to_str().unwrap()),
        retry,
        "Retry-After for {reason}"
    );
    assert_eq!(headers["content-type"], "application/fhir+json");
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["code"], issue, "issue code for {reason}");
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.starts_with(&format!("{reason}: ")),
        "diagnostics {diagnostics:?}"
    );
    let id = headers["medmij-request-id"].to_str().unwrap().to_owned();
    match sent_id {
        Some(sent) => assert_eq!(id, sent),
        None => assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4),
    }
    id
}

/// Status, `WWW-Authenticate`, issue code and `Retry-After` of a reason, written out from
/// SPEC §7 (not computed from `scopegate::reason`, so the two are checked against each other).
fn expected(
    reason: &str,
) -> (
    u16,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
) {
    const INVALID_TOKEN: &str = "Bearer realm=\"scopegate\", error=\"invalid_token\"";
    const SCOPE: &str = "Bearer realm=\"scopegate\", error=\"insufficient_scope\"";
    const REQUEST: &str = "Bearer realm=\"scopegate\", error=\"invalid_request\"";
    match reason {
        "lists_unavailable" | "token_unverifiable" => (503, None, "transient", Some("30")),
        "audit_unavailable" => (503, None, "transient", Some("5")),
        "token_missing" => (401, Some("Bearer realm=\"scopegate\""), "security", None),
        "token_invalid" | "token_expired" => (401, Some(INVALID_TOKEN), "security", None),
        "token_in_query" | "request_malformed" | "endpoint_ambiguous" => {
            (400, Some(REQUEST), "invalid", None)
        }
        "body_too_large" => (413, Some(REQUEST), "invalid", None),
        "upstream_unavailable" => (502, None, "transient", None),
        "upstream_timeout" => (504, None, "transient", None),
        _ => (403, Some(SCOPE), "security", None),
    }
}

/// Checks a denial's audit record: decision, reason, status, the routing fields as far as
/// they were known, and that nothing else from the token is in it.
pub fn assert_deny_record(
    rec: &Value,
    reason: &str,
    status: u16,
    client: Option<&str>,
    provider: Option<&str>,
    services: (Option<&str>, Option<&str>),
    glg: Option<&str>,
) {
    assert_eq!(rec["decision"], "deny", "{rec}");
    assert_eq!(rec["reason"], reason, "{rec}");
    assert_eq!(rec["status"], status, "{rec}");
    assert_eq!(rec["kind"], "resource");
    assert_eq!(rec["client"], json!(client), "{rec}");
    assert_eq!(rec["provider"], json!(provider), "{rec}");
    assert_eq!(rec["requested_service"], json!(services.0), "{rec}");
    assert_eq!(rec["effective_service"], json!(services.1), "{rec}");
    assert_eq!(rec["glg"], json!(glg), "{rec}");
    assert_eq!(rec["upstream_ms"], Value::Null, "{rec}");
    let keys: Vec<&str> = rec
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), scopegate::audit::FIELDS.len(), "{keys:?}");
}

/// A JWT's three segments, to look for in logs and files.
pub fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

/// `alg: HS256` signed with the issuer's public key bytes as the HMAC secret (the classic
/// algorithm-confusion attack).
pub fn hs256_with_public_key(issuer: &Issuer, claims: &Value) -> String {
    let jwk = issuer.public_jwk();
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": issuer.kid()});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, jwk.to_string().as_bytes());
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// A loopback address nobody listens on (bound, then released).
pub async fn closed_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// Accepts connections and never answers; keeps them open while it lives.
pub struct SilentUpstream {
    pub addr: SocketAddr,
    pub accepted: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl SilentUpstream {
    pub async fn start() -> SilentUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held: Vec<TcpStream> = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                *count.lock().unwrap() += 1;
                held.push(tcp);
            }
        });
        SilentUpstream {
            addr,
            accepted,
            task,
        }
    }
}

impl Drop for SilentUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An upstream that reports each request as it arrives and answers it only when the test
/// sends on the request's release channel.
pub struct HeldUpstream {
    pub addr: SocketAddr,
    pub arrivals: mpsc::UnboundedReceiver<(String, oneshot::Sender<()>)>,
    task: tokio::task::JoinHandle<()>,
}

impl HeldUpstream {
    pub async fn start() -> HeldUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, arrivals) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let tx = tx.clone();
                        async move {
                            let target = req.uri().to_string();
                            let (release, wait) = oneshot::channel();
                            let _ = tx.send((target, release));
                            let _ = wait.await;
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                                b"{\"resourceType\":\"Bundle\"}",
                            ))))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        HeldUpstream {
            addr,
            arrivals,
            task,
        }
    }
}

impl Drop for HeldUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An RFC 7662 endpoint: a JWT-shaped token is active with its payload as the answer;
/// anything else is `{"active": false}`. Records the requests it got.
pub struct IntrospectionServer {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<(http::HeaderMap, Bytes)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl IntrospectionServer {
    pub async fn start() -> IntrospectionServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let log = log.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            let answer = introspect(&body);
                            log.lock().unwrap().push((parts.headers, body));
                            let mut resp =
                                Response::new(Full::new(Bytes::from(answer.to_string())));
                            resp.headers_mut().insert(
                                http::header::CONTENT_TYPE,
                                http::HeaderValue::from_static("application/json"),
                            );
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        IntrospectionServer {
            addr,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/introspect", self.addr)
    }
}

fn introspect(form: &[u8]) -> Value {
    let token = url::form_urlencoded::parse(form)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let payload = token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    match payload {
        Some(Value::Object(mut claims)) => {
            claims.insert("active".into(), Value::Bool(true));
            Value::Object(claims)
        }
        _ => json!({"active": false}),
    }
}

impl Drop for IntrospectionServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends raw bytes to `addr` and returns everything read until the server closes or 5 s.
pub async fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The records the upstream received, as one string per request holding the target, every
/// header name and value, and the body: for "appears nowhere" checks.
pub fn everything(r: &Received) -> String {
    let mut s = format!("{} {}\n", r.method, r.target);
    for (k, v) in &r.headers {
        s.push_str(&format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes())));
    }
    s.push_str(&String::from_utf8_lossy(&r.body));
    s
}

/// The built `scopegate serve` binary on a config file, with its stdout's first line (the
/// bound addresses) read. Killed (SIGKILL) when dropped.
pub struct Binary {
    pub child: std::process::Child,
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    /// Every stdout line after the first and all of stderr, once the process has ended.
    output: Option<std::thread::JoinHandle<String>>,
}

impl Binary {
    /// Starts `scopegate serve --config <config>` with extra environment variables.
    pub async fn start(config: &Path, env: &[(&str, &str)]) -> Binary {
        use std::io::{BufRead, BufReader, Read};
        use std::process::{Command, Stdio};
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scopegate"));
        cmd.arg("serve")
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let (first_tx, first_rx) = oneshot::channel();
        let output = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = first_tx.send(first.clone());
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
            let err = err_reader.join().unwrap_or_default();
            format!("{first}{rest}{err}")
        });
        let first = first_rx.await.unwrap();
        let field = |name: &str| -> SocketAddr {
            first
                .split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .unwrap_or_else(|| panic!("no {name} in {first:?}"))
                .parse()
                .unwrap()
        };
        let (addr, admin_addr) = (field("addr="), field("admin_addr="));
        Binary {
            child,
            addr,
            admin_addr,
            output: Some(output),
        }
    }

    /// SIGKILLs the process and returns everything it wrote.
    pub fn kill(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.output
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `scopegate audit verify <path>`: exit code and stdout.
pub fn audit_verify(path: &Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scopegate"))
        .args(["audit", "verify"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
