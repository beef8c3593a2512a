//! The audit log against a real file: durability, group commit, reopen and recovery.

use std::path::{Path, PathBuf};

use chrono::Utc;
use scopegate::audit::{self, AuditError, AuditLog, Decision, FIELDS, Kind, Record};
use scopegate::config::{Audit, AuditMode};
use scopegate::reason::Reason;

fn cfg(path: &Path, mode: AuditMode) -> Audit {
    Audit {
        path: path.to_path_buf(),
        mode,
    }
}

fn record(path: &str) -> Record {
    Record::new(
        Utc::now(),
        Kind::Resource,
        "req-1",
        Decision::Allow,
        "GET",
        path,
    )
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn temp_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    (dir, path)
}

#[tokio::test]
async fn a_durable_record_is_in_the_file_when_record_returns() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    log.record(record("/fhir/Patient")).await.unwrap();
    let written = lines(&path);
    assert_eq!(written.len(), 1);
    assert!(written[0].contains("\"path\":\"/fhir/Patient\""));
    assert_eq!(log.records_written(), 1);
}

#[tokio::test]
async fn the_chain_continues_across_a_reopen() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    for i in 0..3 {
        log.record(record(&format!("/first/{i}"))).await.unwrap();
    }
    log.shutdown().await.unwrap();
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    for i in 0..2 {
        log.record(record(&format!("/second/{i}"))).await.unwrap();
    }
    log.shutdown().await.unwrap();
    let report = audit::verify(&path).unwrap();
    assert_eq!(report.records, 5);
}

#[tokio::test]
async fn a_torn_tail_is_cut_off_on_reopen_and_the_chain_continues() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    log.record(record("/a")).await.unwrap();
    log.record(record("/b")).await.unwrap();
    log.shutdown().await.unwrap();
    let whole = std::fs::read(&path).unwrap();
    let mut torn = whole.clone();
    torn.extend_from_slice(b"{\"ts\":\"2026-11-02T09:3");
    std::fs::write(&path, &torn).unwrap();

    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    log.record(record("/c")).await.unwrap();
    log.shutdown().await.unwrap();
    assert_eq!(audit::verify(&path).unwrap().records, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_durable_records_share_few_syncs() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let log = log.clone();
            tokio::spawn(async move { log.record(record(&format!("/r/{i}"))).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(log.records_written(), 1000);
    assert!(
        log.batches_committed() < 100,
        "{} batches for 1000 records",
        log.batches_committed()
    );
    assert_eq!(audit::verify(&path).unwrap().records, 1000);
}

#[tokio::test]
async fn buffered_records_reach_the_disk_on_shutdown() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Buffered))
        .await
        .unwrap();
    for i in 0..10 {
        log.record(record(&format!("/b/{i}"))).await.unwrap();
    }
    log.shutdown().await.unwrap();
    assert_eq!(lines(&path).len(), 10);
    assert_eq!(log.records_written(), 10);
    assert_eq!(audit::verify(&path).unwrap().records, 10);
}

#[tokio::test]
async fn a_record_after_shutdown_is_refused() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    log.shutdown().await.unwrap();
    let refused = log.record(record("/late")).await;
    assert!(matches!(refused, Err(AuditError::Closed)), "{refused:?}");
}

#[tokio::test]
async fn flush_makes_buffered_records_visible() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Buffered))
        .await
        .unwrap();
    log.record(record("/x")).await.unwrap();
    log.flush().await.unwrap();
    assert_eq!(lines(&path).len(), 1);
}

#[tokio::test]
async fn a_directory_in_place_of_the_file_fails_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let opened = AuditLog::open(&cfg(dir.path(), AuditMode::Durable)).await;
    assert!(matches!(opened, Err(AuditError::Open { .. })), "{opened:?}");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_failed_write_is_reported_to_the_caller() {
    // Every write to /dev/full fails with ENOSPC: a full disk.
    let log = AuditLog::open(&cfg(Path::new("/dev/full"), AuditMode::Durable))
        .await
        .unwrap();
    let failed = log.record(record("/full")).await;
    assert!(matches!(failed, Err(AuditError::Write(_))), "{failed:?}");
    assert_eq!(failed.unwrap_err().reason(), Reason::AuditUnavailable);
    assert_eq!(log.records_failed(), 1);
    assert_eq!(log.records_written(), 0);
}

#[tokio::test]
async fn a_file_that_does_not_end_in_a_record_is_not_continued() {
    let (_dir, path) = temp_file();
    std::fs::write(&path, "not an audit record\n").unwrap();
    let opened = AuditLog::open(&cfg(&path, AuditMode::Durable)).await;
    assert!(
        matches!(opened, Err(AuditError::CorruptTail { .. })),
        "{opened:?}"
    );
}

#[tokio::test]
async fn a_missing_folder_is_created_and_the_new_file_is_not_world_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/audit/trail.jsonl");
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    log.record(record("/x")).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}

#[tokio::test]
async fn a_full_record_has_exactly_the_spec_members() {
    let (_dir, path) = temp_file();
    let log = AuditLog::open(&cfg(&path, AuditMode::Durable))
        .await
        .unwrap();
    let mut rec = record("/fhir/Observation?patient=1&access_token=secret");
    rec.correlation_id = Some("corr".into());
    rec.client = Some("medmij.deenigeechtepgo.nl".into());
    rec.cert_host = Some("medmij.deenigeechtepgo.nl".into());
    rec.provider = Some("umcharderwijk@medmij".into());
    rec.requested_service = Some("9051".into());
    rec.effective_service = Some("51".into());
    rec.glg = Some("glg-umch-51".into());
    rec.reason = Some(Reason::UpstreamTimeout);
    rec.status = Some(504);
    rec.upstream_ms = Some(55000);
    rec.sub_hash = Some(audit::sub_hash("patient-1"));
    log.record(rec).await.unwrap();

    let line = &lines(&path)[0];
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = FIELDS.to_vec();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(value["path"], "/fhir/Observation");
    assert!(!line.contains("secret"));
    assert!(!line.contains("patient-1"));
}
