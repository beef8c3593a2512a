//! Criterion benches for the per-request pure functions of this area: `Scope::parse` and
//! `glg::lookup_copy`. Run briefly with
//! `cargo bench --bench scope -- --warm-up-time 1 --measurement-time 2`.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::glg::{Glg, lookup_copy};
use scopegate::scope::Scope;

fn parse(c: &mut Criterion) {
    let cases = [
        ("single", "umcharderwijk~9051"),
        ("typical", "umcharderwijk~48 umcharderwijk~49 onbehalfof"),
        (
            "encoded",
            "subscribe%7E30/umcharderwijk%7E48 umcharderwijk%7E49",
        ),
        ("malformed", "umcharderwijk~48 otherza~49"),
    ];
    let mut group = c.benchmark_group("scope_parse");
    for (name, scope) in cases {
        group.bench_function(name, |b| b.iter(|| Scope::parse(black_box(scope))));
    }
    group.finish();
}

fn lookup(c: &mut Criterion) {
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    let glgs: Vec<Glg> = (0..50)
        .map(|i| Glg {
            id: format!("glg-{i}"),
            provider: format!("za{i}@medmij"),
            copy_service: format!("90{i}"),
            original_service: format!("{i}"),
            dvps: vec!["medmij.deenigeechtepgo.nl".into()],
            start: day("2026-11-01"),
            end: day("2027-01-31"),
            extended_until: None,
        })
        .collect();
    let today = day("2026-12-01");
    c.bench_function("glg_lookup_copy_50", |b| {
        b.iter(|| lookup_copy(black_box(&glgs), "za49@medmij", "9049", today))
    });
}

criterion_group!(benches, parse, lookup);
criterion_main!(benches);
