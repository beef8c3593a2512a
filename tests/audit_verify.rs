//! `audit::verify` on real files: an intact chain, and each way a file can be broken.

use std::path::{Path, PathBuf};

use chrono::Utc;
use scopegate::audit::{self, AuditLog, Decision, Fault, GENESIS_HASH, Kind, Record, VerifyError};
use scopegate::config::{Audit, AuditMode};

/// A file of five records, paths `/0` .. `/4`.
async fn five_records() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let cfg = Audit {
        path: path.clone(),
        mode: AuditMode::Buffered,
    };
    let log = AuditLog::open(&cfg).await.unwrap();
    for i in 0..5 {
        let rec = Record::new(
            Utc::now(),
            Kind::Token,
            "req",
            Decision::Deny,
            "POST",
            format!("/{i}"),
        );
        log.record(rec).await.unwrap();
    }
    log.shutdown().await.unwrap();
    (dir, path)
}

fn rewrite(path: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    edit(&mut lines);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn broken_at(path: &Path) -> (u64, Fault) {
    match audit::verify(path) {
        Err(VerifyError::Broken { line, fault }) => (line, fault),
        other => panic!("expected a broken line, got {other:?}"),
    }
}

#[tokio::test]
async fn an_intact_file_verifies_with_its_record_count_and_last_hash() {
    let (_dir, path) = five_records().await;
    let last = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let report = audit::verify(&path).unwrap();
    assert_eq!(report.records, 5);
    assert!(last.ends_with(&format!("\"hash\":\"{}\"}}", report.last_hash)));
    assert_eq!(
        report.to_string(),
        format!("ok records=5 last_hash={}", report.last_hash)
    );
}

#[test]
fn an_empty_file_verifies_with_no_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.jsonl");
    std::fs::write(&path, "").unwrap();
    let report = audit::verify(&path).unwrap();
    assert_eq!(report.records, 0);
    assert_eq!(report.last_hash, GENESIS_HASH);
}

#[tokio::test]
async fn a_tampered_field_is_a_hash_mismatch_on_its_line() {
    let (_dir, path) = five_records().await;
    rewrite(&path, |lines| {
        lines[2] = lines[2].replace("\"deny\"", "\"allow\"")
    });
    let (line, fault) = broken_at(&path);
    assert_eq!(line, 3);
    assert!(matches!(fault, Fault::HashMismatch { .. }), "{fault:?}");
}

#[tokio::test]
async fn a_deleted_line_breaks_the_chain_at_the_line_after_it() {
    let (_dir, path) = five_records().await;
    rewrite(&path, |lines| {
        lines.remove(1);
    });
    let (line, fault) = broken_at(&path);
    assert_eq!(line, 2);
    assert!(matches!(fault, Fault::PrevHashMismatch { .. }), "{fault:?}");
}

#[tokio::test]
async fn reordered_lines_break_the_chain_at_the_first_moved_line() {
    let (_dir, path) = five_records().await;
    rewrite(&path, |lines| lines.swap(3, 4));
    let (line, fault) = broken_at(&path);
    assert_eq!(line, 4);
    assert!(matches!(fault, Fault::PrevHashMismatch { .. }), "{fault:?}");
}

#[tokio::test]
async fn a_torn_last_line_is_reported() {
    let (_dir, path) = five_records().await;
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"ts\":");
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(broken_at(&path), (6, Fault::TornLine));
}

#[tokio::test]
async fn a_line_that_is_not_json_is_reported_with_its_number() {
    let (_dir, path) = five_records().await;
    rewrite(&path, |lines| lines[0] = "garbage".into());
    let (line, fault) = broken_at(&path);
    assert_eq!(line, 1);
    assert!(matches!(fault, Fault::BadJson(_)), "{fault:?}");
}

#[test]
fn a_missing_file_is_an_io_error_without_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let err = audit::verify(&dir.path().join("absent.jsonl")).unwrap_err();
    assert!(matches!(err, VerifyError::Io { .. }));
    assert_eq!(err.line(), None);
}
