//! The audit trail (SPEC §11): one hash-chained JSON line per decision, and its verifier.
//!
//! The proxy builds a [`Record`] for every decision, allowed or denied, and hands it to
//! [`AuditLog::record`]; `scopegate audit verify` calls [`verify`]. The admin listener reads
//! [`AuditLog::records_written`] for `scopegate_audit_records_total`.
//!
//! # Line format
//!
//! One JSON object per line, `\n`-terminated, with exactly these members in this order:
//! `ts` (RFC 3339 UTC with microseconds, `2026-11-02T09:30:00.001234Z`), `request_id`,
//! `correlation_id`, `kind` (`resource`, `authorize`, `token`), `client`, `cert_host`,
//! `provider`, `requested_service`, `effective_service`, `glg`, `decision` (`allow`, `deny`),
//! `reason` (a SPEC §7 code), `method`, `path`, `status`, `upstream_ms`, `sub_hash`,
//! `prev_hash`, `hash`. Absent values are `null`. `path` is the path only: anything from
//! `?` or `#` on is dropped, because a query string can carry an authorization code or a
//! token. `sub_hash` is the hex SHA-256 of the token's `sub` ([`sub_hash`]). There is no
//! member for a token, a credential or a body, so none can be written.
//!
//! # Hash chain
//!
//! `hash` = hex SHA-256 over the 64 hex characters of `prev_hash` followed by the line's
//! exact bytes without its `hash` member, that is the JSON text up to and including the
//! `prev_hash` member, closed with `}`. The first record's `prev_hash` is 64 zeros; every
//! other record's `prev_hash` is the previous line's `hash`. Hex is lowercase. Because
//! `hash` is always the last member, a verifier strips the trailing `,"hash":"<64 hex>"}`,
//! appends `}` and recomputes; no JSON re-serialization is involved. Editing, deleting,
//! inserting or reordering lines breaks the chain at the first affected line. Cutting lines
//! off the end, or rewriting the whole file with a fresh chain, is only detectable against a
//! last hash kept elsewhere ([`VerifyReport::last_hash`]).
//!
//! # Durability
//!
//! In [`AuditMode::Durable`] mode, [`AuditLog::record`] resolves only once the line is
//! written and `fdatasync`ed; concurrent records share one sync (group commit: one
//! writer thread, one `write_all` and one sync per batch). In [`AuditMode::Buffered`] mode it resolves once the record is queued, and
//! the writer takes the queue, writes and syncs it in the background every 50 ms; a failure is logged and counted
//! ([`AuditLog::records_failed`]). [`AuditLog::shutdown`] writes and syncs what is queued.
//!
//! One [`AuditLog`] owns its file: open a path once per process, and call
//! [`AuditLog::shutdown`] before opening it again (on a config reload that moves it, say).
//! Two writers on one file would interleave two chains.
//!
//! This module does not rotate or ship files, and logs nothing about a record's content.

mod file;
mod record;
mod verify;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{Notify, mpsc, oneshot};

pub use record::{Decision, FIELDS, GENESIS_HASH, Kind, Record, sub_hash};
pub use verify::{Fault, VerifyError, VerifyReport, verify};

use crate::config::{self, AuditMode};
use crate::reason::Reason;
use writer::{Counters, Msg, Writer};

/// Records queued before [`AuditLog::record`] waits for room.
const QUEUE_CAPACITY: usize = 16 * 1024;

/// Why a record could not be written. The proxy answers 503 `audit_unavailable`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open audit file {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The file's last complete line is not an audit record, so the chain cannot continue.
    #[error(
        "audit file {path} does not end in an audit record; check it with `scopegate audit verify` and move it aside"
    )]
    CorruptTail { path: PathBuf },
    #[error("cannot write the audit file: {0}")]
    Write(#[source] Arc<std::io::Error>),
    #[error("cannot encode an audit record: {0}")]
    Encode(#[source] Arc<serde_json::Error>),
    #[error("cannot start the audit writer: {0}")]
    Spawn(#[source] Arc<std::io::Error>),
    /// The writer has stopped ([`AuditLog::shutdown`] was called, or it failed to start).
    #[error("the audit writer has stopped")]
    Closed,
}

impl AuditError {
    /// Every audit failure denies with the same reason.
    pub const fn reason(&self) -> Reason {
        Reason::AuditUnavailable
    }
}

/// A handle on the audit trail; clones share one file and one writer thread.
#[derive(Debug, Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Msg>,
    /// Rung after queuing a message someone waits for, so that the writer takes it at once.
    urgent: Arc<Notify>,
    mode: AuditMode,
    counters: Arc<Counters>,
}

impl AuditLog {
    /// Opens or creates the audit file (continuing its chain, cutting off a torn last line) and starts its writer
    /// thread.
    pub async fn open(cfg: &config::Audit) -> Result<AuditLog, AuditError> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (ready_tx, ready_rx) = oneshot::channel();
        let counters = Arc::new(Counters::default());
        let path = cfg.path.clone();
        let mode = cfg.mode;
        let thread_counters = counters.clone();
        let urgent = Arc::new(Notify::new());
        let writer_urgent = urgent.clone();
        std::thread::Builder::new()
            .name("scopegate-audit".into())
            .spawn(move || {
                let started = start(&path, mode, thread_counters);
                match started {
                    Ok((runtime, writer)) => {
                        if ready_tx.send(Ok(())).is_ok() {
                            runtime.block_on(writer.run(rx, writer_urgent));
                        }
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| AuditError::Spawn(Arc::new(e)))?;
        ready_rx.await.map_err(|_| AuditError::Closed)??;
        Ok(AuditLog {
            tx,
            urgent,
            mode,
            counters,
        })
    }

    /// Writes one record. Durable mode: resolves once it is synced to disk. Buffered mode:
    /// resolves once it is queued (waiting for room when the queue is full).
    pub async fn record(&self, rec: Record) -> Result<(), AuditError> {
        match self.mode {
            AuditMode::Buffered => {
                let msg = Msg::Record {
                    rec: Box::new(rec),
                    done: None,
                };
                self.tx.send(msg).await.map_err(|_| AuditError::Closed)
            }
            AuditMode::Durable => {
                let (done, answer) = oneshot::channel();
                let msg = Msg::Record {
                    rec: Box::new(rec),
                    done: Some(done),
                };
                self.tx.send(msg).await.map_err(|_| AuditError::Closed)?;
                self.urgent.notify_one();
                answer.await.map_err(|_| AuditError::Closed)?
            }
        }
    }

    /// Queues a record without waiting for it to be written, in either mode, for records
    /// nothing waits on (the outcome of a forwarded request). It is queued before this
    /// returns, so a later [`AuditLog::flush`] or [`AuditLog::shutdown`] covers it; only
    /// when the queue is full is it handed to a task that waits for room.
    pub fn record_queued(&self, rec: Record) {
        let msg = Msg::Record {
            rec: Box::new(rec),
            done: None,
        };
        match self.tx.try_send(msg) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(msg)) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    if tx.send(msg).await.is_err() {
                        tracing::error!("audit record not written: the audit trail is closed");
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("audit record not written: the audit trail is closed");
            }
        }
    }

    /// Resolves once every record queued before the call is written and synced.
    pub async fn flush(&self) -> Result<(), AuditError> {
        self.send_flush(false).await
    }

    /// Writes and syncs everything queued, then stops the writer; later records fail with
    /// [`AuditError::Closed`]. An error means the final batch could not be written.
    pub async fn shutdown(&self) -> Result<(), AuditError> {
        self.send_flush(true).await
    }

    async fn send_flush(&self, stop: bool) -> Result<(), AuditError> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Msg::Flush { done, stop })
            .await
            .map_err(|_| AuditError::Closed)?;
        self.urgent.notify_one();
        answer.await.map_err(|_| AuditError::Closed)?
    }

    pub fn mode(&self) -> AuditMode {
        self.mode
    }

    /// Records written and synced since open (`scopegate_audit_records_total`).
    pub fn records_written(&self) -> u64 {
        self.counters.records.load(Ordering::Relaxed)
    }

    /// Batches written and synced since open: with group commit, far fewer than records.
    pub fn batches_committed(&self) -> u64 {
        self.counters.batches.load(Ordering::Relaxed)
    }

    /// Records that could not be written (reported to their waiters in durable mode, only
    /// logged in buffered mode).
    pub fn records_failed(&self) -> u64 {
        self.counters.failed_records.load(Ordering::Relaxed)
    }
}

/// On the writer thread: opens the file and builds the runtime that drives the writer.
fn start(
    path: &std::path::Path,
    mode: AuditMode,
    counters: Arc<Counters>,
) -> Result<(tokio::runtime::Runtime, Writer<file::AuditFile>), AuditError> {
    let opened = file::open(path)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| AuditError::Spawn(Arc::new(e)))?;
    let writer = Writer::new(opened.file, mode, opened.prev_hash, opened.len, counters);
    Ok((runtime, writer))
}
