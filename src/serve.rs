//! `scopegate serve`: runs the gateway from a config file until SIGTERM or SIGINT.
//!
//! SIGHUP reloads the config and lists (as `POST /admin/reload` does); a bad new config is
//! refused and the running one kept. On SIGTERM/SIGINT the listeners stop accepting,
//! in-flight requests drain and the audit trail is flushed before the process exits 0.
//!
//! Hidden switch, for the overhead benchmark only (`benches/overhead.rs`): with the
//! environment variable `SCOPEGATE_TOKEN_CACHE=off` the verified-token cache is disabled, so
//! every request verifies its token's signature. Any other value, or none, keeps the cache.

use std::path::Path;

use tokio::signal::unix::{SignalKind, signal};

use crate::clock::Clock;
use crate::config;
use crate::gateway::{self, StartOptions};

/// The hidden benchmark switch: `SCOPEGATE_TOKEN_CACHE=off` disables the token cache.
pub const TOKEN_CACHE_ENV: &str = "SCOPEGATE_TOKEN_CACHE";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Start(#[from] gateway::StartError),
    #[error("cannot install signal handlers: {0}")]
    Signals(#[from] std::io::Error),
}

/// Runs until a termination signal; returns the exit code (0 after a graceful shutdown).
pub async fn run(path: &Path) -> Result<u8, ServeError> {
    let config = config::load(path)?;
    let config_path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let running = gateway::start(
        config,
        StartOptions {
            clock: Clock::system(),
            config_path: Some(config_path),
            no_token_cache: std::env::var(TOKEN_CACHE_ENV).is_ok_and(|v| v == "off"),
        },
    )
    .await?;
    // One line on stdout for supervisors and tests that asked for port 0.
    println!(
        "scopegate listening addr={} admin_addr={}",
        running.addr, running.admin_addr
    );
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                if let Err(e) = running.gateway.reload().await {
                    tracing::warn!(error = %e, "reload refused; the running config stays");
                }
            }
        }
    }
    tracing::info!("shutting down: draining in-flight requests");
    running.shutdown().await;
    tracing::info!("stopped");
    Ok(0)
}
