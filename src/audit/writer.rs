//! The one writer of an audit file: group commit on a dedicated thread.
//!
//! The writer wakes when a message that someone waits for is queued (a durable record, a
//! flush) or every [`BUFFER_INTERVAL`], takes everything queued, chains and encodes the
//! records, writes them with one `write_all`, syncs once and then answers every waiter of the
//! batch with the same outcome. While it syncs, new records queue up and form the next batch,
//! so many concurrent durable records cost about one `fdatasync` per batch. Records nobody
//! waits for (buffered mode, outcome records) wake no thread when queued; they are written
//! with the next batch, at the latest one [`BUFFER_INTERVAL`] later.
//!
//! A failed batch is cut back off the file (so the chain on disk stays whole) and reported
//! to all its waiters; the chain continues from the last good record, so the log works
//! again as soon as the disk does. It runs on its own thread with a current-thread tokio
//! runtime for its timers, so blocking file IO never stalls the gateway's runtime.
//!
//! Does not decide what is recorded; [`super::AuditLog`] feeds it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{Notify, mpsc, oneshot};

use super::AuditError;
use super::file::Sink;
use super::record::{Record, encode};
use crate::config::AuditMode;

/// Most records in one batch.
pub(crate) const MAX_BATCH: usize = 4096;
/// How long a buffered batch waits for company.
pub(crate) const BUFFER_INTERVAL: Duration = Duration::from_millis(50);

pub(crate) type Done = oneshot::Sender<Result<(), AuditError>>;

pub(crate) enum Msg {
    /// `done` is answered once the record is synced (durable mode) or is `None` (buffered).
    Record {
        rec: Box<Record>,
        done: Option<Done>,
    },
    /// Answered once everything queued before it is synced; `stop` then ends the writer.
    Flush { done: Done, stop: bool },
}

impl Msg {
    fn is_stop(&self) -> bool {
        matches!(self, Msg::Flush { stop: true, .. })
    }
}

/// Counters shared with every [`super::AuditLog`] handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub records: AtomicU64,
    pub batches: AtomicU64,
    pub failed_records: AtomicU64,
}

pub(crate) struct Writer<S> {
    sink: S,
    mode: AuditMode,
    /// `hash` of the last record on disk.
    prev_hash: String,
    /// Bytes of whole records written (synced, or pending in `unsynced`).
    len: u64,
    /// A failed batch could not be cut back yet.
    dirty: bool,
    /// Durable mode: lines written without a sync because no one waited for them (outcome
    /// records); the next batch's sync covers them, or [`BUFFER_INTERVAL`] at the latest.
    unsynced: bool,
    counters: Arc<Counters>,
}

impl<S: Sink> Writer<S> {
    pub(crate) fn new(
        sink: S,
        mode: AuditMode,
        prev_hash: String,
        len: u64,
        counters: Arc<Counters>,
    ) -> Writer<S> {
        Writer {
            sink,
            mode,
            prev_hash,
            len,
            dirty: false,
            unsynced: false,
            counters,
        }
    }

    /// Runs until a stop message, or until every sender is gone and the queue is empty.
    ///
    /// The writer never sleeps on the queue itself, so queuing a record nobody waits for (a
    /// buffered record, an outcome record) wakes no thread: it is picked up at the next tick
    /// ([`BUFFER_INTERVAL`]) or with the next urgent message, whose sender rings `urgent`.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Msg>, urgent: Arc<Notify>) {
        loop {
            let tick = tokio::select! {
                () = urgent.notified() => false,
                () = tokio::time::sleep(BUFFER_INTERVAL) => true,
            };
            loop {
                let mut batch = Vec::new();
                let mut closed = false;
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(msg) => batch.push(msg),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => {
                            closed = true;
                            break;
                        }
                    }
                }
                let stop = batch.iter().any(Msg::is_stop);
                if stop {
                    // Refuse new messages; what is already queued still goes in this batch.
                    rx.close();
                    while let Ok(msg) = rx.try_recv() {
                        batch.push(msg);
                    }
                }
                let full = batch.len() >= MAX_BATCH;
                if !batch.is_empty() {
                    self.commit(batch);
                }
                if stop || closed {
                    self.sync_pending();
                    return;
                }
                if !full {
                    break;
                }
            }
            // Outcome records written without a sync (durable mode) are synced at each tick.
            if tick {
                self.sync_pending();
            }
        }
    }

    /// Writes one batch, syncs it (in durable mode only when someone waits for it), then
    /// answers its waiters.
    fn commit(&mut self, batch: Vec<Msg>) {
        let mut bytes = Vec::new();
        let mut prev = self.prev_hash.clone();
        let mut count = 0u64;
        let mut waiters = Vec::new();
        for msg in batch {
            match msg {
                Msg::Record { rec, done } => match encode(&rec, &prev) {
                    Ok(line) => {
                        bytes.extend_from_slice(line.text.as_bytes());
                        prev = line.hash;
                        count += 1;
                        waiters.extend(done);
                    }
                    Err(e) => {
                        self.counters.failed_records.fetch_add(1, Ordering::Relaxed);
                        if let Some(done) = done {
                            let _ = done.send(Err(AuditError::Encode(Arc::new(e))));
                        }
                    }
                },
                Msg::Flush { done, .. } => waiters.push(done),
            }
        }
        // Durable mode syncs a batch only when someone waits for it; a batch of records that
        // nobody waits for (outcome records) rides on the next sync, or the next tick's.
        let sync = self.mode == AuditMode::Buffered || !waiters.is_empty();
        let outcome = self.persist(&bytes, sync).map_err(Arc::new);
        match &outcome {
            Ok(()) => {
                self.prev_hash = prev;
                self.len += bytes.len() as u64;
                if count > 0 {
                    self.counters.records.fetch_add(count, Ordering::Relaxed);
                    self.counters.batches.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(e) => {
                self.counters
                    .failed_records
                    .fetch_add(count, Ordering::Relaxed);
                tracing::error!(audit.records = count, error = %e, "audit batch not written");
            }
        }
        for done in waiters {
            let _ = done.send(outcome.clone().map_err(AuditError::Write));
        }
    }

    /// Appends and syncs `bytes`; on failure cuts the file back to its last whole record.
    fn persist(&mut self, bytes: &[u8], sync: bool) -> std::io::Result<()> {
        if self.dirty {
            self.sink.truncate(self.len)?;
            self.dirty = false;
        }
        if bytes.is_empty() {
            return if sync && self.unsynced {
                self.sink.sync().inspect(|()| self.unsynced = false)
            } else {
                Ok(())
            };
        }
        let written = self.sink.append(bytes).and_then(|()| {
            if sync {
                self.sink.sync().inspect(|()| self.unsynced = false)
            } else {
                self.unsynced = true;
                Ok(())
            }
        });
        if written.is_err() {
            self.dirty = self.sink.truncate(self.len).is_err();
        }
        written
    }

    /// Syncs lines written without a sync; a failure is logged (their records were never
    /// waited for) and retried with the next batch.
    fn sync_pending(&mut self) {
        if !self.unsynced {
            return;
        }
        match self.sink.sync() {
            Ok(()) => self.unsynced = false,
            Err(e) => tracing::error!(error = %e, "audit sync of queued records failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::{Decision, GENESIS_HASH, Kind};
    use crate::audit::verify::check_line;
    use std::io;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicBool;

    /// An in-memory file whose appends can be made to fail halfway, like a full disk.
    #[derive(Clone, Default)]
    struct FlakySink {
        bytes: Arc<Mutex<Vec<u8>>>,
        failing: Arc<AtomicBool>,
    }

    impl Sink for FlakySink {
        fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
            let mut file = self
                .bytes
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?;
            if self.failing.load(Ordering::SeqCst) {
                file.extend_from_slice(&bytes[..bytes.len() / 2]);
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            file.extend_from_slice(bytes);
            Ok(())
        }

        fn sync(&mut self) -> io::Result<()> {
            Ok(())
        }

        fn truncate(&mut self, len: u64) -> io::Result<()> {
            let mut file = self
                .bytes
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?;
            file.truncate(len as usize);
            Ok(())
        }
    }

    fn record(path: &str) -> Record {
        Record::new(
            chrono::Utc::now(),
            Kind::Resource,
            "req",
            Decision::Allow,
            "GET",
            path,
        )
    }

    async fn durable(
        tx: &mpsc::Sender<Msg>,
        urgent: &Notify,
        path: &str,
    ) -> Result<(), AuditError> {
        let (done, answer) = oneshot::channel();
        let msg = Msg::Record {
            rec: Box::new(record(path)),
            done: Some(done),
        };
        tx.send(msg).await.map_err(|_| AuditError::Closed)?;
        urgent.notify_one();
        answer.await.map_err(|_| AuditError::Closed)?
    }

    #[tokio::test]
    async fn a_failed_batch_is_cut_back_and_the_chain_resumes_when_the_disk_recovers() {
        let sink = FlakySink::default();
        let counters = Arc::new(Counters::default());
        let writer = Writer::new(
            sink.clone(),
            AuditMode::Durable,
            GENESIS_HASH.into(),
            0,
            counters.clone(),
        );
        let (tx, rx) = mpsc::channel(16);
        let urgent = Arc::new(Notify::new());
        let task = tokio::spawn(writer.run(rx, urgent.clone()));

        durable(&tx, &urgent, "/one").await.unwrap();
        sink.failing.store(true, Ordering::SeqCst);
        let failed = durable(&tx, &urgent, "/lost").await;
        assert!(matches!(failed, Err(AuditError::Write(_))), "{failed:?}");
        sink.failing.store(false, Ordering::SeqCst);
        durable(&tx, &urgent, "/two").await.unwrap();
        drop(tx);
        task.await.unwrap();

        let bytes = sink.bytes.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("\"path\":\"/one\""));
        assert!(lines[1].contains("\"path\":\"/two\""));
        let first = check_line(lines[0].as_bytes(), GENESIS_HASH).unwrap();
        assert!(check_line(lines[1].as_bytes(), &first).is_ok());
        assert_eq!(counters.records.load(Ordering::SeqCst), 2);
        assert_eq!(counters.failed_records.load(Ordering::SeqCst), 1);
    }
}
