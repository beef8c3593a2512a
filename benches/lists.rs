//! ZAL parse throughput at 1,000 / 10,000 / 50,000 providers (synthetic, release 1.1 form).
//! Run: `cargo bench --bench lists`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scopegate::lists::{synth, zal};

fn zal_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("zal_parse");
    group.sample_size(10);
    for providers in [1_000usize, 10_000, 50_000] {
        let xml = synth::zal_xml(providers);
        group.throughput(Throughput::Bytes(xml.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(providers), &xml, |b, xml| {
            b.iter(|| zal::parse(xml.as_bytes()).map(|z| z.zorgaanbieders.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, zal_parse);
criterion_main!(benches);
