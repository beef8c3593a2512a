//! The operator commands of SPEC §2: argument definitions and the offline commands
//! (`check`, `decide`, `glg status`, `audit verify`).
//!
//! Each command writes its report to the given writer and returns the exit code SPEC §2
//! promises; `main.rs` only parses arguments, sets up logging and calls in here. `serve` and
//! `demo` live in their own modules because they run the gateway.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::glg::{self, Severity};
use crate::policy::{self, ResourceRequest};
use crate::snapshot::{ListSet, Snapshot};
use crate::source;

/// Exit codes of SPEC §2.
pub const EXIT_OK: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

pub const DEFAULT_CONFIG: &str = "config/scopegate.toml";

#[derive(Debug, Parser)]
#[command(name = "scopegate", version, about = "MedMij scope gateway for DVZAs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway until SIGTERM/SIGINT.
    Serve {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Validate the config, load the lists once and apply every GLG rule.
    Check {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Check as of this instant (RFC 3339) instead of now.
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<FixedOffset>>,
    },
    /// Explain the decision for a resource request by a valid token (no network to upstreams).
    Decide {
        #[arg(long)]
        config: PathBuf,
        /// The token's client_id (the DVP's OCL hostname).
        #[arg(long)]
        client: String,
        /// The token's scope, e.g. `umcharderwijk~9051`.
        #[arg(long)]
        scope: String,
        /// The request URL as the client sent it.
        #[arg(long)]
        url: String,
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<FixedOffset>>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Gecontroleerde livegangen.
    Glg {
        #[command(subcommand)]
        command: GlgCommand,
    },
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// A self-contained tour on free loopback ports with the bundled example.
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum GlgCommand {
    /// One row per GLG: phase, days, extension, next allowed start.
    Status {
        #[arg(long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        #[arg(long, value_parser = parse_at)]
        at: Option<DateTime<FixedOffset>>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken line.
    Verify { path: PathBuf },
}

fn parse_at(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| format!("not an RFC 3339 instant ({e})"))
}

fn instant(at: Option<DateTime<FixedOffset>>) -> DateTime<Utc> {
    at.map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// Loads the lists a config names, printing one `error` line per failing list.
async fn load_lists(
    config: &Config,
    now: DateTime<Utc>,
    out: &mut impl Write,
) -> std::io::Result<Option<ListSet>> {
    let client = match source::http_client(Duration::from_secs(30)) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "error list_unavailable {e}")?;
            return Ok(None);
        }
    };
    match source::load_lists(&config.lists, &client, now).await {
        Ok(lists) => Ok(Some(lists)),
        Err(errors) => {
            for (kind, e) in errors {
                let code = match e {
                    source::ListLoadError::Source(_) => "list_unavailable",
                    source::ListLoadError::Invalid(_) => "list_invalid",
                };
                writeln!(out, "error {code} list={} {e}", kind.name())?;
            }
            Ok(None)
        }
    }
}

/// Loads the config, printing one `error config_invalid` line per problem when it fails.
fn load_config(path: &Path, out: &mut impl Write) -> std::io::Result<Option<Config>> {
    match config::load(path) {
        Ok(c) => Ok(Some(c)),
        Err(e) => {
            for line in e.to_string().lines() {
                writeln!(out, "error config_invalid {line}")?;
            }
            Ok(None)
        }
    }
}

/// `scopegate check`: 0 valid (warnings allowed), 1 invalid.
pub async fn check(
    path: &Path,
    at: Option<DateTime<FixedOffset>>,
    out: &mut impl Write,
) -> std::io::Result<u8> {
    let Some(config) = load_config(path, out)? else {
        return Ok(EXIT_INVALID);
    };
    let now = instant(at);
    let lists = load_lists(&config, now, out).await?;
    let today = glg::amsterdam_today(now);
    let findings = glg::check(
        &config.glgs,
        lists.as_ref().map(|l| (&*l.zal, &*l.ocl)),
        today,
    );
    let mut errors = usize::from(lists.is_none());
    let mut warnings = 0;
    for f in &findings {
        let severity = match f.severity {
            Severity::Error => {
                errors += 1;
                "error"
            }
            Severity::Warning => {
                warnings += 1;
                "warning"
            }
        };
        writeln!(out, "{severity} {} glg={} {}", f.code, f.glg, f.message)?;
    }
    if errors > 0 {
        writeln!(out, "invalid: {errors} error(s), {warnings} warning(s)")?;
        return Ok(EXIT_INVALID);
    }
    if let Some(l) = &lists {
        writeln!(
            out,
            "valid: {} provider(s) served, {} GLG(s), ZAL volgnummer {} with {} zorgaanbieder(s), OCL volgnummer {} with {} client(s), {warnings} warning(s)",
            config.providers.len(),
            config.glgs.len(),
            l.zal.header.volgnummer,
            l.zal.zorgaanbieders.len(),
            l.ocl.header.volgnummer,
            l.ocl.clients.len(),
        )?;
    }
    Ok(EXIT_OK)
}

/// `scopegate decide`: 0 allow, 1 deny, 2 usage (including a config or list that cannot be loaded).
pub async fn decide(
    path: &Path,
    client: &str,
    scope: &str,
    url: &str,
    at: Option<DateTime<FixedOffset>>,
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<u8> {
    let url = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => {
            writeln!(
                out,
                "error usage --url: scheme {} is not http or https",
                u.scheme()
            )?;
            return Ok(EXIT_USAGE);
        }
        Err(e) => {
            writeln!(out, "error usage --url: {e}")?;
            return Ok(EXIT_USAGE);
        }
    };
    let Some(config) = load_config(path, out)? else {
        return Ok(EXIT_USAGE);
    };
    let now = instant(at);
    let Some(lists) = load_lists(&config, now, out).await? else {
        return Ok(EXIT_USAGE);
    };
    let snap = Snapshot::new(Arc::new(config), lists);
    let req = ResourceRequest {
        host: url.host_str(),
        path: url.path(),
        query: url.query(),
        client_id: client,
        scope,
    };
    let d = policy::decide(&snap, &req, now);
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&d).map_err(std::io::Error::other)?
        )?;
    } else {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "decision           {}",
            if d.is_allow() { "allow" } else { "deny" }
        )?;
        if let Some(r) = d.reason {
            writeln!(
                out,
                "reason             {r} ({})",
                d.detail.as_deref().unwrap_or("")
            )?;
        }
        writeln!(out, "provider           {}", show(&d.provider))?;
        writeln!(out, "requested_service  {}", show(&d.requested_service))?;
        writeln!(out, "effective_service  {}", show(&d.effective_service))?;
        writeln!(out, "glg                {}", show(&d.glg))?;
        writeln!(out, "upstream           {}", show(&d.upstream))?;
    }
    Ok(if d.is_allow() { EXIT_OK } else { EXIT_INVALID })
}

/// `scopegate glg status`: always 0 once the config loads (1 when it does not).
pub fn glg_status(
    path: &Path,
    at: Option<DateTime<FixedOffset>>,
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<u8> {
    let Some(config) = load_config(path, out)? else {
        return Ok(EXIT_INVALID);
    };
    let today = glg::amsterdam_today(instant(at));
    let rows: Vec<glg::Status> = config.glgs.iter().map(|g| glg::status(g, today)).collect();
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&rows).map_err(std::io::Error::other)?
        )?;
        return Ok(EXIT_OK);
    }
    writeln!(
        out,
        "{:<20} {:<30} {:>6} {:>8} {:<9} {:<10} {:<10} {:>9} {:<9} {:<10}",
        "GLG",
        "PROVIDER",
        "COPY",
        "ORIGINAL",
        "PHASE",
        "FIRST_DAY",
        "LAST_DAY",
        "DAYS_LEFT",
        "EXTENSION",
        "NEXT_START"
    )?;
    for r in &rows {
        let phase = serde_json::to_value(r.phase).map_err(std::io::Error::other)?;
        writeln!(
            out,
            "{:<20} {:<30} {:>6} {:>8} {:<9} {:<10} {:<10} {:>9} {:<9} {:<10}",
            r.id,
            r.provider,
            r.copy_service,
            r.original_service,
            phase.as_str().unwrap_or("?"),
            r.first_day,
            r.last_day,
            r.days_left,
            if r.extension_used { "used" } else { "-" },
            r.next_start_allowed,
        )?;
    }
    Ok(EXIT_OK)
}

/// `scopegate audit verify`: 0 when the chain is intact, 1 at the first broken line.
pub fn audit_verify(path: &Path, out: &mut impl Write) -> std::io::Result<u8> {
    match crate::audit::verify(path) {
        Ok(report) => {
            writeln!(out, "ok: {} records, hash chain intact", report.records)?;
            Ok(EXIT_OK)
        }
        Err(e) => {
            writeln!(out, "broken: {e}")?;
            Ok(EXIT_INVALID)
        }
    }
}
