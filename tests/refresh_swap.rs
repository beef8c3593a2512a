//! Lists and config replaced under continuous keep-alive traffic (issue 4): while client
//! tasks send allowed and denied requests without pause, another task replaces the ZAL, the
//! OCL and the config 24 times. Every answer must be the one `policy::decide` gives for a
//! version that was in force while the request was in flight, and no request may fail or
//! hang.

mod refresh_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use refresh_support::*;
use scopegate::policy::{self, ResourceRequest};
use scopegate::refresh::refresh_once;

const SWAPS: usize = 24;
const CLIENTS: usize = 4;
/// Requests completed between two swaps, at least.
const PER_WINDOW: usize = 12;

/// (client, scope, path): each depends on one thing the swaps change, the last on nothing.
const PROBES: [(&str, &str, &str); 4] = [
    (GLG_DVP, "umcharderwijk~49", "/fhir-49/Patient"), // ZAL offers 49 or not
    (OTHER_DVP, "umcharderwijk~51", "/fhir-51/Patient"), // OTHER_DVP on the OCL or not
    (OTHER_DVP, "umcharderwijk~9051", "/fhir-9051/Patient"), // OTHER_DVP a GLG DVP or not
    (GLG_DVP, "umcharderwijk~51", "/fhir-51/Patient"), // always allowed
];

type Outcome = (u16, Option<String>);

/// What `policy::decide` says for each probe against the state in force now.
fn expected(env: &Env) -> Vec<Outcome> {
    let cur = env.gateway().current();
    let snap = cur.snapshot.as_ref().unwrap();
    PROBES
        .iter()
        .map(|&(client, scope, path)| {
            let req = ResourceRequest {
                host: Some(ZA_HOST),
                path,
                query: None,
                client_id: client,
                scope,
            };
            let d = policy::decide(snap, &req, env.clock.now());
            match d.reason {
                None => (200, None),
                Some(r) => (r.status(), Some(r.code().to_owned())),
            }
        })
        .collect()
}

struct Sample {
    probe: usize,
    sent: Instant,
    done: Instant,
    outcome: Result<Outcome, String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_match_the_lists_in_force_while_lists_and_config_are_replaced() {
    let env = Arc::new(
        Env::start(
            ConfigKnobs::default(),
            Some(zal_xml(10, &["51", "9051"])),
            Some(ocl_xml(5, &[GLG_DVP, OTHER_DVP])),
        )
        .await,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let completed = Arc::new(AtomicUsize::new(0));
    let tokens: Arc<Vec<String>> =
        Arc::new(PROBES.iter().map(|&(c, s, _)| env.token(c, s)).collect());

    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (env, stop, completed, tokens) =
            (env.clone(), stop.clone(), completed.clone(), tokens.clone());
        clients.push(tokio::spawn(async move {
            // One keep-alive connection per task.
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut samples = Vec::new();
            let mut i = c;
            while !stop.load(Ordering::SeqCst) {
                let probe = i % PROBES.len();
                let sent = Instant::now();
                let outcome = env
                    .get_with(&http, &tokens[probe], PROBES[probe].2)
                    .await
                    .map_err(|e| e.to_string());
                samples.push(Sample {
                    probe,
                    sent,
                    done: Instant::now(),
                    outcome,
                });
                completed.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
            samples
        }));
    }

    // versions[k]: expected outcomes; windows[k]: (swap started, swap returned) for k ≥ 1.
    let mut versions = vec![expected(&env)];
    let mut windows: Vec<(Instant, Instant)> = Vec::new();
    let mut knobs = ConfigKnobs::default();
    let wait_for_traffic = |from: usize| {
        let completed = completed.clone();
        async move {
            while completed.load(Ordering::SeqCst) < from + PER_WINDOW {
                tokio::task::yield_now().await;
            }
        }
    };
    for swap in 1..=SWAPS {
        wait_for_traffic(completed.load(Ordering::SeqCst)).await;
        let on = (swap / 3) % 2 == 0;
        let started = Instant::now();
        match swap % 3 {
            0 => {
                knobs.glg_dvps = if on {
                    vec![GLG_DVP, OTHER_DVP]
                } else {
                    vec![GLG_DVP]
                };
                env.write_config(&knobs);
                env.gateway().reload().await.unwrap();
            }
            1 => {
                let ids: &[&str] = if on {
                    &["51", "9051", "49"]
                } else {
                    &["51", "9051"]
                };
                env.serve_zal(zal_xml(10 + swap as u64, ids));
                assert_eq!(refresh_once(env.gateway()).await.replaced.len(), 1);
            }
            _ => {
                let hosts: &[&str] = if on {
                    &[GLG_DVP]
                } else {
                    &[GLG_DVP, OTHER_DVP]
                };
                env.serve_ocl(ocl_xml(5 + swap as u64, hosts));
                assert_eq!(refresh_once(env.gateway()).await.replaced.len(), 1);
            }
        }
        windows.push((started, Instant::now()));
        versions.push(expected(&env));
    }
    wait_for_traffic(completed.load(Ordering::SeqCst)).await;
    stop.store(true, Ordering::SeqCst);

    let mut samples = Vec::new();
    for c in clients {
        samples.extend(c.await.unwrap());
    }

    // Each probe's expected answer really changes across the versions (but the control's).
    for p in 0..PROBES.len() - 1 {
        let distinct: std::collections::HashSet<_> = versions.iter().map(|v| &v[p]).collect();
        assert!(distinct.len() >= 2, "probe {p} never changes: {distinct:?}");
    }
    // Version k is in force from the start of swap k (at the earliest) to the return of swap
    // k+1 (at the latest).
    let could_be_in_force = |k: usize, s: &Sample| {
        let from_ok = k == 0 || windows[k - 1].0 <= s.done;
        let until_ok = k == SWAPS || s.sent <= windows[k].1;
        from_ok && until_ok
    };
    let mut failures = Vec::new();
    for s in &samples {
        match &s.outcome {
            Err(e) => failures.push(format!("probe {} failed: {e}", s.probe)),
            Ok(got) => {
                let ok = (0..=SWAPS)
                    .filter(|&k| could_be_in_force(k, s))
                    .any(|k| versions[k][s.probe] == *got);
                if !ok {
                    failures.push(format!("probe {} got {got:?}", s.probe));
                }
            }
        }
    }
    assert!(
        samples.len() >= (SWAPS + 1) * PER_WINDOW,
        "{} samples",
        samples.len()
    );
    assert_eq!(
        failures,
        Vec::<String>::new(),
        "of {} samples",
        samples.len()
    );
}
