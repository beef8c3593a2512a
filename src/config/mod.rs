//! Configuration: the TOML file of SPEC §3, loaded in two stages.
//!
//! [`raw`] holds serde structs that mirror the file exactly (unknown keys refused, spans
//! kept); [`load`] turns them into the validated [`Config`] below, in which every path is
//! absolute, every duration parsed and every URL checked. Errors name the file, the key and
//! the line. GLG *rules* (SPEC §6) are not checked here but in [`crate::glg`], because some
//! need the lists; this module only checks each GLG's fields on their own.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod entries;
mod error;
mod parse;
pub mod raw;
mod validate;
mod value;

pub use error::{ConfigError, Issue, Problem, UrlProblem};
pub use validate::{load, load_str};

/// Where a list or a JWKS comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Url(url::Url),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Url(u) => write!(f, "{u}"),
        }
    }
}

/// The validated configuration. Immutable; a reload builds a new one.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was loaded from (absolute), `None` for an in-memory config.
    pub path: Option<PathBuf>,
    pub server: Server,
    pub lists: Lists,
    pub tokens: Tokens,
    pub authorization_server: Option<AuthorizationServer>,
    /// In file order; names are unique.
    pub providers: Vec<Provider>,
    /// In file order; ids are unique (checked by the GLG rules, reported with their code).
    pub glgs: Vec<crate::glg::Glg>,
    pub audit: Audit,
}

impl Config {
    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// The folder relative paths were resolved against.
    pub fn base_dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }
}

#[derive(Debug, Clone)]
pub struct Server {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub match_host: bool,
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_body_bytes: u64,
    /// Extra CA certificates (PEM) trusted for `https://` upstreams, besides the webpki roots.
    pub upstream_ca: Option<PathBuf>,
    pub tls: Option<Tls>,
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
    pub require_client_cert: bool,
    pub whitelist_check: bool,
}

#[derive(Debug, Clone)]
pub struct Lists {
    pub zal: Source,
    pub ocl: Source,
    pub whl: Option<Source>,
    pub gnl: Option<Source>,
    pub refresh_interval: Duration,
    pub max_stale: Duration,
    /// Connect and whole-fetch limit for one list download.
    pub timeout: Duration,
    /// The most bytes one list document may have; a larger one is refused unread.
    pub max_bytes: usize,
    /// Extra root certificates (PEM) trusted for an https list server, besides the public
    /// web roots (e.g. the PKIoverheid private root of the stelselnode).
    pub ca: Option<PathBuf>,
    /// The client certificate presented to an https list server, when it asks for one.
    pub client_cert: Option<ClientCert>,
}

/// A PEM certificate chain and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    Jwt,
    Introspection,
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub mode: TokenMode,
    pub issuer: String,
    pub audience: Option<String>,
    /// Never contains `none` or an HS* algorithm.
    pub algorithms: Vec<jsonwebtoken::Algorithm>,
    /// Required in JWT mode.
    pub jwks: Option<Source>,
    pub leeway: Duration,
    pub scope_claim: String,
    pub client_claim: String,
    pub forward_authorization: bool,
    /// Required in introspection mode.
    pub introspection: Option<Introspection>,
}

#[derive(Debug, Clone)]
pub struct Introspection {
    pub url: url::Url,
    pub client_id: String,
    /// The secret itself is read when the validator is built, never kept in `Config`.
    pub client_secret_file: PathBuf,
    pub cache_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct AuthorizationServer {
    pub upstream: url::Url,
}

/// One zorgaanbieder this DVZA serves.
#[derive(Debug, Clone)]
pub struct Provider {
    /// With `@medmij`.
    pub name: String,
    /// Default upstream base for every service; no trailing `/`.
    pub upstream: url::Url,
    /// Per-service upstream bases (gegevensdienst id → base).
    pub services: BTreeMap<String, url::Url>,
    pub authorization_server: Option<url::Url>,
}

impl Provider {
    /// The upstream base for a gegevensdienst (the per-service one, else the default).
    pub fn upstream_for(&self, service: &str) -> &url::Url {
        self.services.get(service).unwrap_or(&self.upstream)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditMode {
    /// A record is on disk before the request is forwarded.
    Durable,
    /// Records are written in the background.
    Buffered,
}

#[derive(Debug, Clone)]
pub struct Audit {
    pub path: PathBuf,
    pub mode: AuditMode,
}
