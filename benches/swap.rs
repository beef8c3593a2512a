//! Load and swap of a 50,000-provider ZAL under traffic, in one run (issue 4).
//!
//! Serves `lists::synth::zal_xml(50_000)` (plus the one ZA the gateway serves) from a real
//! list server on loopback, starts the whole gateway, and measures
//! - the time `refresh::refresh_once` takes to download, parse, validate and swap in a ZAL
//!   with a higher Volgnummer, and
//! - the latency of allowed requests sent back to back over keep-alive connections, first in
//!   steady state, then while the ZAL is swapped repeatedly; p50, p99 and max of each.
//!
//! Run: `cargo bench --bench swap` (`SWAP_PROVIDERS=5000` for a smaller ZAL).

#[path = "../tests/refresh_support/mod.rs"]
mod refresh_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use refresh_support::*;
use scopegate::lists::synth;
use scopegate::refresh::refresh_once;

const CLIENTS: usize = 2;
const STEADY: Duration = Duration::from_secs(4);
const SWAPS: u64 = 3;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The synthetic ZAL with our served ZA added and the given Volgnummer.
fn big_zal(base: &str, ours: &str, volgnummer: u64) -> String {
    base.replacen(
        "<Volgnummer>1234</Volgnummer>",
        &format!("<Volgnummer>{volgnummer}</Volgnummer>"),
        1,
    )
    .replacen("</Zorgaanbieders>", &format!("{ours}</Zorgaanbieders>"), 1)
}

/// Sends allowed requests until `stop`; returns each latency.
async fn traffic(env: Arc<Env>, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let token = env.token(GLG_DVP, "umcharderwijk~51");
    let mut lat = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let t = Instant::now();
        let got = env.get_with(&http, &token, "/fhir-51/Patient").await;
        assert_eq!(got.unwrap(), (200, None));
        lat.push(t.elapsed());
    }
    lat
}

async fn phase(
    env: &Arc<Env>,
    during: impl Future<Output = Vec<Duration>>,
) -> (Vec<Duration>, Vec<Duration>) {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(traffic(env.clone(), stop.clone())))
        .collect();
    let swaps = during.await;
    stop.store(true, Ordering::SeqCst);
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    lat.sort();
    (lat, swaps)
}

fn main() {
    let providers: usize = std::env::var("SWAP_PROVIDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let base = synth::zal_xml(providers);
        let small = zal_xml(1, &["51", "9051"]);
        let start = small.find("<Zorgaanbieder>").unwrap();
        let end = small.find("</Zorgaanbieders>").unwrap();
        let ours = small[start..end].to_owned();
        let first = big_zal(&base, &ours, 1000);
        let mb = first.len() as f64 / 1e6;
        let env = Arc::new(
            Env::start(
                ConfigKnobs {
                    list_timeout: "60s",
                    ..ConfigKnobs::default()
                },
                Some(first),
                Some(ocl_xml(5, &[GLG_DVP])),
            )
            .await,
        );
        let loaded = env.gateway().current().snapshot.as_ref().unwrap().lists.zal.zorgaanbieders.len();
        assert_eq!(loaded, providers + 1);

        let (steady, _) = phase(&env, async {
            tokio::time::sleep(STEADY).await;
            Vec::new()
        })
        .await;
        let env2 = env.clone();
        let (swapping, swaps) = phase(&env, async move {
            let mut times = Vec::new();
            for v in 1..=SWAPS {
                env2.serve_zal(big_zal(&base, &ours, 1000 + v));
                let t = Instant::now();
                let report = refresh_once(env2.gateway()).await;
                times.push(t.elapsed());
                assert_eq!(report.replaced, [scopegate::lists::ListKind::Zal]);
            }
            times
        })
        .await;

        println!("scopegate list swap: ZAL of {} providers ({mb:.0} MB), {CLIENTS} keep-alive clients, 2 tokio workers", providers + 1);
        println!("command: cargo bench --bench swap");
        println!();
        let swap_list: Vec<String> = swaps.iter().map(|d| ms(*d)).collect();
        println!("load + validate + swap (refresh_once), {SWAPS} runs: {}", swap_list.join(", "));
        println!();
        println!("{:<22} {:>9} {:>11} {:>11} {:>11}", "requests", "count", "p50", "p99", "max");
        for (name, lat) in [("steady state", &steady), ("during swaps", &swapping)] {
            println!(
                "{:<22} {:>9} {:>11} {:>11} {:>11}",
                name,
                lat.len(),
                ms(percentile(lat, 0.50)),
                ms(percentile(lat, 0.99)),
                ms(lat.last().copied().unwrap_or_default()),
            );
        }
    });
}
