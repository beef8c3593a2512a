//! Shared harness for the `tls_*` integration tests and `benches/tls.rs`: a test PKI made
//! with rcgen at run time (a CA, a server certificate for localhost/127.0.0.1, client
//! certificates per DNS name), the real gateway started from a config file written to a
//! temporary folder, a recording upstream (plain or TLS), a token issuer whose JWKS is served
//! over HTTP, and TLS client helpers. Everything on 127.0.0.1 with OS-assigned ports.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use scopegate::clock::Clock;
use scopegate::demo::DEMO_NOW;
use scopegate::demo::stub::{RecordingUpstream, StaticServer};
use scopegate::gateway::{self, Running, StartOptions};
use scopegate::token::Issuer as TokenIssuer;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// On the example WHL, and the client of the example token.
pub const WHITELISTED: &str = "medmij.gezondheidskluis.nl";
/// Not on the example WHL.
pub const NOT_WHITELISTED: &str = "pgo.not-on-the-whitelist.example";
pub const SCOPE: &str = "huisartsenpraktijkdevries~49";
pub const HOST: &str = "medmij.huisartsenpraktijkdevries.nl";
pub const PATH: &str = "/fhir/hag/Observation";
pub const PROVIDER: &str = "huisartsenpraktijkdevries";

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A test CA that issues server and client certificates into a temporary folder.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca_pem: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    pub ca_der: CertificateDer<'static>,
}

/// A certificate and its key, as PEM text and DER.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl Leaf {
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        use rustls::pki_types::pem::PemObject;
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).unwrap()
    }
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "scopegate test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, ca.pem()).unwrap();
        Pki {
            ca_der: ca.der().clone(),
            issuer: Issuer::new(params, key),
            ca_pem,
            dir,
        }
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    pub fn server(&self) -> Leaf {
        self.leaf(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A server certificate for these DNS names.
    pub fn server_for(&self, names: &[&str]) -> Leaf {
        self.leaf(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate whose first DNS name is `host`.
    pub fn client(&self, host: &str) -> Leaf {
        self.leaf(&[host], ExtendedKeyUsagePurpose::ClientAuth)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `leaf` as `server.pem`/`server.key`, the files the gateway's config names.
    pub fn install_server(&self, leaf: &Leaf) {
        std::fs::write(self.path("server.pem"), &leaf.cert_pem).unwrap();
        std::fs::write(self.path("server.key"), &leaf.key_pem).unwrap();
    }

    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        roots
    }

    /// A client trusting the test CA, presenting `cert` when given, offering `alpn`.
    pub fn client_config(&self, cert: Option<&Leaf>, alpn: &[&[u8]]) -> Arc<ClientConfig> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(scopegate::tls::PROTOCOL_VERSIONS)
            .unwrap()
            .with_root_certificates(self.roots());
        let mut config = match cert {
            Some(leaf) => builder
                .with_client_auth_cert(vec![leaf.der.clone()], leaf.key_der())
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

/// How the gateway under test is set up.
pub struct Setup {
    /// `[server.tls]` with the test CA as `client_ca`; `None` for plain HTTP.
    pub tls: Option<TlsSetup>,
    /// An `https://` upstream with a certificate from the test CA, else a plain one.
    pub upstream_tls: bool,
    /// Write `upstream_ca = <test CA>`.
    pub upstream_ca: bool,
    /// `[audit] mode`: "durable" (fsync per decision) or "buffered" (the benchmark's).
    pub audit_mode: &'static str,
}

pub struct TlsSetup {
    pub require_client_cert: bool,
    pub whitelist_check: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            tls: Some(TlsSetup {
                require_client_cert: true,
                whitelist_check: true,
            }),
            upstream_tls: false,
            upstream_ca: false,
            audit_mode: "durable",
        }
    }
}

/// What an upstream received: the count, and for the plain one each request.
pub enum Upstream {
    Plain(RecordingUpstream),
    Tls(Arc<AtomicUsize>),
}

impl Upstream {
    pub fn count(&self) -> usize {
        match self {
            Upstream::Plain(u) => u.count(),
            Upstream::Tls(n) => n.load(Ordering::SeqCst),
        }
    }
}

/// A running gateway with its upstream, token issuer and files.
pub struct Harness {
    pub pki: Pki,
    pub running: Running,
    pub upstream: Upstream,
    pub issuer: TokenIssuer,
    pub clock: Clock,
    pub config_path: PathBuf,
    pub audit_path: PathBuf,
    _jwks: StaticServer,
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

impl Harness {
    pub async fn start(setup: Setup) -> Harness {
        let pki = Pki::new();
        pki.install_server(&pki.server());
        let (upstream, upstream_base) = if setup.upstream_tls {
            let (addr, count) = start_tls_upstream(&pki.server()).await;
            (Upstream::Tls(count), format!("https://{addr}"))
        } else {
            let up = RecordingUpstream::start().await.unwrap();
            let base = format!("http://{}", up.addr);
            (Upstream::Plain(up), base)
        };
        let issuer = TokenIssuer::generate("https://auth.dvza.example.nl", "tls-test").unwrap();
        let jwks = StaticServer::start("application/json", issuer.jwks_json())
            .await
            .unwrap();
        let audit_path = pki.path("audit.jsonl");
        let mut text =
            "[server]\nlisten = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n".to_owned();
        if setup.upstream_ca {
            text += &format!("upstream_ca = \"{}\"\n", pki.ca_pem.display());
        }
        if let Some(tls) = &setup.tls {
            text += &format!(
                "[server.tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n\
                 require_client_cert = {}\nwhitelist_check = {}\n",
                tls.require_client_cert, tls.whitelist_check
            );
        }
        text += &format!(
            "[lists]\nzal = \"{zal}\"\nocl = \"{ocl}\"\nwhl = \"{whl}\"\n\
             [tokens]\nissuer = \"https://auth.dvza.example.nl\"\naudience = \"scopegate\"\n\
             algorithms = [\"ES256\"]\njwks = \"{jwks}\"\n\
             [[providers]]\nname = \"{PROVIDER}@medmij\"\nupstream = \"{upstream_base}/{PROVIDER}\"\n\
             [audit]\npath = \"audit.jsonl\"\nmode = \"{mode}\"\n",
            zal = repo("config/lists/MedMij_Zorgaanbiederslijst.xml"),
            ocl = repo("config/lists/MedMij_OAuthclientlist.xml"),
            whl = repo("config/lists/MedMij_Whitelist.xml"),
            jwks = jwks.url("/jwks.json"),
            mode = setup.audit_mode,
        );
        let config_path = pki.path("scopegate.toml");
        std::fs::write(&config_path, text).unwrap();
        let config = scopegate::config::load(&config_path).unwrap();
        let now: DateTime<Utc> = DEMO_NOW.parse().unwrap();
        let clock = Clock::starting_at(now);
        let running = gateway::start(
            config,
            StartOptions {
                clock: clock.clone(),
                config_path: Some(config_path.clone()),
                ..StartOptions::default()
            },
        )
        .await
        .unwrap();
        Harness {
            pki,
            running,
            upstream,
            issuer,
            clock,
            config_path,
            audit_path,
            _jwks: jwks,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    /// A valid token for [`WHITELISTED`] with [`SCOPE`].
    pub fn token(&self) -> String {
        let iat = self.clock.unix();
        self.issuer.sign(&json!({
            "iss": "https://auth.dvza.example.nl",
            "aud": "scopegate",
            "sub": "patient-1",
            "client_id": WHITELISTED,
            "scope": SCOPE,
            "iat": iat,
            "exp": iat + 3600,
        }))
    }

    /// The resource request every test sends.
    pub fn request(&self) -> Request<Full<Bytes>> {
        Request::get(PATH)
            .header("host", HOST)
            .header("authorization", format!("Bearer {}", self.token()))
            .body(Full::new(Bytes::new()))
            .unwrap()
    }

    /// Every audit record written so far, as JSON.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.audit_path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// A TLS connection to `addr`, verifying the server as `localhost`.
pub async fn connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(config).connect(name, tcp).await
}

/// The end-entity certificate the server presented.
pub fn served_cert(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().unwrap()[0].clone()
}

/// HTTP/1.1 over an established stream; the connection task runs in the background.
pub async fn http1(
    stream: TlsStream<TcpStream>,
) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    send
}

/// HTTP/2 over an established stream.
pub async fn http2(
    stream: TlsStream<TcpStream>,
) -> hyper::client::conn::http2::SendRequest<Full<Bytes>> {
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

/// Status and body of a response.
pub async fn read(response: Response<Incoming>) -> (StatusCode, Bytes) {
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

/// A TLS upstream with `leaf` that answers every request 200 and counts them.
pub async fn start_tls_upstream(leaf: &Leaf) -> (SocketAddr, Arc<AtomicUsize>) {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(scopegate::tls::PROTOCOL_VERSIONS)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der.clone()], leaf.key_der())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, counter) = (acceptor.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = service_fn(move |_req: Request<Incoming>| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("tls-ok")))) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, count)
}
