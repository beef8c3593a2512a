//! Audit record throughput: 64 concurrent writers, durable (group commit) vs buffered.
//!
//! One iteration is 64 concurrent `record()` calls, one per writer, all awaited.
//! Run: `cargo bench --bench audit -- --warm-up-time 1 --measurement-time 2`.

use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scopegate::audit::{AuditLog, Decision, Kind, Record};
use scopegate::config::{Audit, AuditMode};

const WRITERS: usize = 64;

fn record(i: usize) -> Record {
    let mut rec = Record::new(
        Utc::now(),
        Kind::Resource,
        format!("req-{i}"),
        Decision::Allow,
        "GET",
        "/fhir/Observation",
    );
    rec.client = Some("medmij.deenigeechtepgo.nl".into());
    rec.provider = Some("umcharderwijk@medmij".into());
    rec.requested_service = Some("9051".into());
    rec.effective_service = Some("51".into());
    rec.glg = Some("glg-umch-51".into());
    rec.status = Some(200);
    rec.upstream_ms = Some(12);
    rec
}

fn record_64_writers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("audit_record_64_writers");
    group.throughput(Throughput::Elements(WRITERS as u64));
    group.sample_size(10);
    for (name, mode) in [
        ("durable", AuditMode::Durable),
        ("buffered", AuditMode::Buffered),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = Audit {
            path: dir.path().join("audit.jsonl"),
            mode,
        };
        let log = rt.block_on(AuditLog::open(&cfg)).expect("open");
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..WRITERS)
                        .map(|i| {
                            let log = log.clone();
                            tokio::spawn(async move { log.record(record(i)).await })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("join").expect("record");
                    }
                })
            })
        });
        rt.block_on(log.shutdown()).expect("shutdown");
        println!(
            "{name}: {} records in {} batches",
            log.records_written(),
            log.batches_committed()
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = record_64_writers
}
criterion_main!(benches);
