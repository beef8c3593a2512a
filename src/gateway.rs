//! The running gateway: its shared state, start-up, reload and shutdown.
//!
//! [`Gateway`] holds what every request reads: one [`Current`] behind one `ArcSwap` (config,
//! the snapshot of lists, the token validator), the audit log, the upstream client, the
//! metrics and the clock. [`start`] builds it from a validated config, binds the two
//! listeners, and spawns the MedMij listener (over TLS when `[server.tls]` is set), the admin
//! listener and the list refresher;
//! [`Running`] stops them again. Updates of `Current` (refresh, reload) are serialized by one
//! lock and always build a whole new value; readers never lock.
//!
//! It does not decide (see [`crate::policy`]) or handle a request (see [`crate::proxy`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

use crate::audit::{AuditError, AuditLog};
use crate::clock::Clock;
use crate::config::{self, Config};
use crate::glg::{self, Finding, Severity};
use crate::metrics::Metrics;
use crate::proxy::forward::{HttpsUpstream, UpstreamClient};
use crate::server::{self, ServeOptions};
use crate::snapshot::{ListSet, Snapshot};
use crate::source::{self, SourceError};
use crate::tls::{TlsAcceptor, TlsError};
use crate::token::{TokenSetupError, TokenValidator};
use crate::{admin, proxy, refresh, tls};

/// What one request reads, swapped as a whole.
#[derive(Debug)]
pub struct Current {
    pub config: Arc<Config>,
    /// `None` until the lists have been loaded once.
    pub snapshot: Option<Arc<Snapshot>>,
    pub tokens: Arc<TokenValidator>,
}

impl Current {
    /// The same config and tokens with other lists.
    pub fn with_lists(&self, lists: ListSet) -> Current {
        Current {
            config: self.config.clone(),
            snapshot: Some(Arc::new(Snapshot::new(self.config.clone(), lists))),
            tokens: self.tokens.clone(),
        }
    }
}

/// The shared state of a running gateway.
#[derive(Debug)]
pub struct Gateway {
    current: ArcSwap<Current>,
    /// Serializes writers of `current` (refresh and reload); readers never take it.
    update: Mutex<()>,
    pub audit: AuditLog,
    pub upstream: UpstreamClient<HttpsUpstream>,
    /// The MedMij listener's TLS, when `[server.tls]` is set; `reload` swaps its certificate.
    tls: Option<Arc<TlsAcceptor>>,
    pub metrics: Metrics,
    pub clock: Clock,
    /// For list and key sources.
    pub http: reqwest::Client,
    /// The file `reload` reads, when the config came from one.
    pub config_path: Option<PathBuf>,
    /// The list refresher's client and conditional-request validators.
    pub refresh: refresh::RefreshState,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the GLG configuration has errors:\n{}", render(.0))]
    Glg(Vec<Finding>),
    #[error(transparent)]
    Tokens(#[from] TokenSetupError),
    #[error("cannot open the audit trail: {0}")]
    Audit(#[from] AuditError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Http(#[from] SourceError),
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("no config file to reload from")]
    NoConfigFile,
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("the new config's GLGs have errors:\n{}", render(.0))]
    Glg(Vec<Finding>),
    #[error(transparent)]
    Tokens(#[from] TokenSetupError),
    #[error("TLS: {0}; the certificate in force stays")]
    Tls(#[from] TlsError),
    #[error("turning [server.tls] on or off needs a restart")]
    TlsToggled,
}

fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("error {} glg={} {}", f.code, f.glg, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn glg_errors(config: &Config, lists: Option<&ListSet>, now: DateTime<Utc>) -> Vec<Finding> {
    let lists = lists.map(|l| (&*l.zal, &*l.ocl));
    glg::check(&config.glgs, lists, glg::amsterdam_today(now))
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

impl Gateway {
    /// The state a request reads; load it once per request.
    pub fn current(&self) -> Arc<Current> {
        self.current.load_full()
    }

    /// Replaces `Current` through `f`, serialized with every other update. Returns the value
    /// it replaced, so that the caller can drop it off the request path.
    pub async fn update<F>(&self, f: F) -> Option<Arc<Current>>
    where
        F: FnOnce(&Current) -> Option<Current>,
    {
        let _guard = self.update.lock().await;
        let cur = self.current.load_full();
        let next = f(&cur)?;
        self.current.store(Arc::new(next));
        Some(cur)
    }

    /// Reloads the config file (SIGHUP, `POST /admin/reload`): the new config is validated
    /// together with the lists in force and swapped in whole; on any error the running one
    /// stays. The token validator is rebuilt, which reloads the JWKS. The TLS certificate,
    /// key and client CA are read again and used for new connections; a pair that does not
    /// load fails the whole reload.
    pub async fn reload(&self) -> Result<(), ReloadError> {
        let path = self.config_path.as_ref().ok_or(ReloadError::NoConfigFile)?;
        let config = Arc::new(config::load(path)?);
        let _guard = self.update.lock().await;
        let cur = self.current.load_full();
        let lists = cur.snapshot.as_ref().map(|s| s.lists.clone());
        let errors = glg_errors(&config, lists.as_ref(), self.clock.now());
        if !errors.is_empty() {
            return Err(ReloadError::Glg(errors));
        }
        let tokens = Arc::new(TokenValidator::new(&config.tokens, self.http.clone()).await?);
        match (&self.tls, &config.server.tls) {
            (Some(acceptor), Some(tls)) => acceptor.reload(tls)?,
            (None, None) => {}
            _ => return Err(ReloadError::TlsToggled),
        }
        let snapshot = lists.map(|l| Arc::new(Snapshot::new(config.clone(), l)));
        self.current.store(Arc::new(Current {
            config,
            snapshot,
            tokens,
        }));
        tracing::info!("config reloaded");
        Ok(())
    }
}

/// Knobs for [`start`] that are not in the config file.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    pub clock: Clock,
    /// The file the config came from, for reloads.
    pub config_path: Option<PathBuf>,
    /// Disable the verified-token cache (for the overhead benchmark).
    pub no_token_cache: bool,
}

/// A started gateway.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// A future that resolves when `stop` is called.
    fn stopped(rx: &watch::Receiver<bool>) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    /// Stops accepting, drains in-flight requests, stops the refresher and flushes the audit
    /// trail.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        if let Err(e) = self.gateway.audit.shutdown().await {
            tracing::error!(error = %e, "audit trail flush at shutdown failed");
        }
    }
}

/// Builds the gateway from a validated config and starts its listeners and refresher.
pub async fn start(config: Config, opts: StartOptions) -> Result<Running, StartError> {
    let config = Arc::new(config);
    let clock = opts.clock;
    let http = source::http_client(Duration::from_secs(30))?;

    // Lists first: the GLG rules are checked against them when they load.
    let list_client = source::list_client(&config.lists)?;
    let lists = match source::load_lists(&config.lists, &list_client, clock.now()).await {
        Ok(lists) => Some(lists),
        Err(errors) => {
            for (kind, e) in &errors {
                tracing::error!(list = kind.name(), error = %e, "list unavailable at start; not ready until it loads");
            }
            None
        }
    };
    let errors = glg_errors(&config, lists.as_ref(), clock.now());
    if !errors.is_empty() {
        return Err(StartError::Glg(errors));
    }
    let mut tokens = TokenValidator::new(&config.tokens, http.clone()).await?;
    if opts.no_token_cache {
        tokens = tokens.with_cache(false);
    }
    let audit = AuditLog::open(&config.audit).await?;
    let upstream_tls = tls::upstream_client_config(config.server.upstream_ca.as_deref())?;
    let acceptor = match &config.server.tls {
        Some(t) => Some(Arc::new(TlsAcceptor::from_config(t)?)),
        None => None,
    };

    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })
    };
    let listener = bind(config.server.listen).await?;
    let admin_listener = bind(config.server.admin_listen).await?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.server.listen,
        source,
    })?;
    let admin_addr = admin_listener
        .local_addr()
        .map_err(|source| StartError::Bind {
            addr: config.server.admin_listen,
            source,
        })?;

    let current = Current {
        config: config.clone(),
        snapshot: lists.map(|l| Arc::new(Snapshot::new(config.clone(), l))),
        tokens: Arc::new(tokens),
    };
    let gateway = Arc::new(Gateway {
        current: ArcSwap::from_pointee(current),
        update: Mutex::new(()),
        audit,
        upstream: UpstreamClient::https(upstream_tls),
        tls: acceptor.clone(),
        metrics: Metrics::new(),
        clock,
        http,
        config_path: opts.config_path,
        refresh: refresh::RefreshState::default(),
    });

    let (stop, stop_rx) = watch::channel(false);
    let opts = ServeOptions::from_config(&config.server);
    let gw = gateway.clone();
    let main = tokio::spawn(async move {
        let service = move |req, conn| proxy::handle(gw.clone(), req, conn);
        let stopped = Running::stopped(&stop_rx);
        let report = match acceptor {
            Some(tls) => server::serve_with(listener, tls, service, opts, stopped).await,
            None => server::serve(listener, service, opts, stopped).await,
        };
        if report.aborted > 0 {
            tracing::warn!(
                connections = report.aborted,
                "connections aborted at the end of the drain"
            );
        }
    });
    let gw = gateway.clone();
    let stop_rx = stop.subscribe();
    let admin = tokio::spawn(async move {
        let service = move |req, _conn| admin::handle(gw.clone(), req);
        server::serve(admin_listener, service, opts, Running::stopped(&stop_rx)).await;
    });
    let gw = gateway.clone();
    let stop_rx = stop.subscribe();
    let refresher = tokio::spawn(refresh::run(gw, Running::stopped(&stop_rx)));

    tracing::info!(%addr, %admin_addr, "scopegate listening");
    Ok(Running {
        addr,
        admin_addr,
        gateway,
        stop,
        tasks: vec![main, admin, refresher],
    })
}
