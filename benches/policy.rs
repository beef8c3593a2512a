//! `decide` per call on generated lists of 1,000, 10,000 and 50,000 zorgaanbieders.
//!
//! `cargo bench --bench policy`. The ZAL comes from `lists::synth`; the DVZA serves 100 of
//! its zorgaanbieders (spread over the list) and runs one GLG. Three requests per size: normal
//! traffic, GLG traffic mapped to the original service, and a non-GLG DVP refused on the copy
//! service. Lists are parsed once outside the measurement.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use scopegate::config;
use scopegate::lists::{ocl, synth, zal};
use scopegate::policy::{ResourceRequest, decide};
use scopegate::snapshot::{ListSet, LoadTimes, Snapshot};

fn snapshot(providers: usize) -> (Snapshot, String) {
    let zal = zal::parse(synth::zal_xml(providers).as_bytes()).expect("synthetic ZAL parses");
    let ocl = ocl::parse(synth::ocl_xml(500).as_bytes()).expect("synthetic OCL parses");
    let served: Vec<usize> = (0..100).map(|k| k * providers / 100).collect();
    let target = synth::provider_name(served[57]);
    let mut toml = String::from(
        r#"
[lists]
zal = "/nonexistent/zal.xml"
ocl = "/nonexistent/ocl.xml"
[tokens]
issuer = "https://auth.dvza.example.nl"
jwks = "/nonexistent/jwks.json"
[audit]
path = "/nonexistent/audit.jsonl"
"#,
    );
    for i in &served {
        toml.push_str(&format!(
            "[[providers]]\nname = \"{}\"\nupstream = \"http://127.0.0.1:8081/za{i}\"\n",
            synth::provider_name(*i)
        ));
    }
    toml.push_str(&format!(
        "[[glg]]\nid = \"glg-bench\"\nprovider = \"{target}\"\ncopy_service = \"49\"\noriginal_service = \"48\"\n\
         dvps = [\"{}\"]\nstart = \"2026-11-01\"\nend = \"2027-01-31\"\n",
        synth::client_hostname(7)
    ));
    let config = config::load_str(&toml, None).expect("bench config is valid");
    let now = "2026-12-03T11:00:00Z".parse().expect("instant");
    let lists = ListSet {
        zal: Arc::new(zal),
        ocl: Arc::new(ocl),
        whl: None,
        gnl: None,
        loaded_at: LoadTimes::all(now),
    };
    (Snapshot::new(Arc::new(config), lists), target)
}

fn bench_decide(c: &mut Criterion) {
    let now = "2026-12-03T11:00:00Z".parse().expect("instant");
    let glg_dvp = synth::client_hostname(7);
    let other_dvp = synth::client_hostname(8);
    let mut group = c.benchmark_group("decide");
    for providers in [1_000, 10_000, 50_000] {
        let (snap, target) = snapshot(providers);
        let za = target.trim_end_matches("@medmij").to_owned();
        let host = format!("fhir.{za}.nl:8443");
        let cases = [
            (
                "normal",
                other_dvp.clone(),
                format!("{za}~4"),
                "/medmij/4/Patient",
            ),
            (
                "glg",
                glg_dvp.clone(),
                format!("{za}~49"),
                "/medmij/49/Patient",
            ),
            (
                "deny_not_glg_dvp",
                other_dvp.clone(),
                format!("{za}~49"),
                "/medmij/49/Patient",
            ),
        ];
        for (name, client, scope, path) in &cases {
            let req = ResourceRequest {
                host: Some(&host),
                path,
                query: Some("_count=10"),
                client_id: client,
                scope,
            };
            let d = decide(&snap, &req, now);
            assert_eq!(
                d.is_allow(),
                *name != "deny_not_glg_dvp",
                "{name}: {:?}",
                d.detail
            );
            group.bench_with_input(BenchmarkId::new(*name, providers), &req, |b, req| {
                b.iter(|| decide(black_box(&snap), black_box(req), now))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_decide);
criterion_main!(benches);
