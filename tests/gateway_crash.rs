//! SIGKILL under load in durable mode: the built binary serves concurrent allowed requests
//! until the upstream has seen a few hundred, is killed, and the audit file it leaves has an
//! intact hash chain holding an `allow` decision record for every request the upstream saw.

mod gateway_support;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gateway_support::*;
use scopegate::demo::stub::{RecordingUpstream, StaticServer};
use scopegate::token::Issuer;

const URL: &str = "https://fhir.ziekenhuisamstelland.nl/medmij/medicatie/MedicationStatement";
const SCOPE: &str = "ziekenhuisamstelland~51";
const TASKS: usize = 8;
const SEEN: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_forwarded_before_a_sigkill_has_its_allow_record_in_an_intact_chain() {
    let upstream = RecordingUpstream::start().await.unwrap();
    let issuer = Issuer::generate(ISS, "crash-1").unwrap();
    let jwks = StaticServer::start("application/json", issuer.jwks_json())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let config = dir.path().join("scopegate.toml");
    let text = Setup::new().finish_toml(upstream.addr, &jwks.url("/jwks.json"), &audit);
    assert!(text.contains("mode = \"durable\""));
    std::fs::write(&config, text).unwrap();

    let mut gateway = Binary::start(&config, &[]).await;
    let now = chrono::Utc::now().timestamp();
    let token = Arc::new(issuer.sign(&claims(now, OTHER_DVP, SCOPE)));
    let stop = Arc::new(AtomicBool::new(false));
    let upstream = Arc::new(upstream);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (token, stop, upstream) = (token.clone(), stop.clone(), upstream.clone());
        let addr = gateway.addr;
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let sent = gateway_request(&http, addr, reqwest::Method::GET, URL)
                    .bearer_auth(token.as_str())
                    .header("medmij-request-id", format!("load-{t}-{n}"))
                    .send()
                    .await;
                if upstream.count() >= SEEN {
                    stop.store(true, Ordering::Relaxed);
                }
                if sent.is_err() {
                    break;
                }
            }
        }));
    }
    // Kill as soon as one client has seen the upstream pass SEEN, with requests in flight.
    while !stop.load(Ordering::Relaxed) {
        tokio::task::yield_now().await;
        if tasks.iter().all(|t| t.is_finished()) {
            break;
        }
    }
    gateway.kill();
    for t in tasks {
        t.await.unwrap();
    }

    let seen: HashSet<String> = upstream
        .take()
        .iter()
        .map(|r| r.header("medmij-request-id").unwrap().to_owned())
        .collect();
    assert!(seen.len() >= SEEN, "the upstream saw only {}", seen.len());
    let (code, out) = audit_verify(&audit);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("ok: ") && out.ends_with(" records, hash chain intact\n"),
        "{out}"
    );
    let allowed: HashSet<String> = read_audit(&audit)
        .into_iter()
        .filter(|r| r["decision"] == "allow" && r["status"].is_null())
        .map(|r| r["request_id"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&String> = seen.difference(&allowed).collect();
    assert!(
        missing.is_empty(),
        "forwarded without a record: {missing:?}"
    );
}
