//! Graceful shutdown end to end: `Running::shutdown` while a request waits at a slow
//! upstream lets that request complete, and both of its audit records are on disk after.

mod gateway_support;

use std::time::Duration;

use gateway_support::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_shutdown_completes_and_is_audited() {
    let mut held = HeldUpstream::start().await;
    let mut h = Setup::new()
        .edit(
            "\"http://127.0.0.1:8081/huisartsenpraktijkdevries\"",
            &format!("\"http://{}/huisartsenpraktijkdevries\"", held.addr),
        )
        .start()
        .await;
    let addr = h.addr();
    let request = h
        .get("https://medmij.huisartsenpraktijkdevries.nl/fhir/hag/Observation")
        .bearer_auth(h.token(THIRD_DVP, "huisartsenpraktijkdevries~49"))
        .header("medmij-request-id", "inflight-1");
    let in_flight = tokio::spawn(request.send());
    let (target, release) = held.arrivals.recv().await.unwrap();
    assert_eq!(target, "/huisartsenpraktijkdevries/Observation");

    let running = h.running.take().unwrap();
    let stopping = tokio::spawn(running.shutdown());
    // The listener is closed once shutdown has begun; wait for that (bounded).
    let mut closed = false;
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(closed, "the gateway kept accepting after shutdown began");
    assert!(
        !stopping.is_finished(),
        "shutdown did not wait for the request"
    );

    release.send(()).unwrap();
    let resp = in_flight.await.unwrap().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["medmij-request-id"], "inflight-1");
    assert_eq!(resp.text().await.unwrap(), "{\"resourceType\":\"Bundle\"}");
    stopping.await.unwrap();

    let records = read_audit(&h.audit_path);
    let mine: Vec<&Value> = records
        .iter()
        .filter(|r| r["request_id"] == "inflight-1")
        .collect();
    assert_eq!(mine.len(), 2, "{records:?}");
    assert_eq!(mine[0]["decision"], "allow");
    assert_eq!(mine[0]["status"], Value::Null);
    assert_eq!(mine[1]["decision"], "allow");
    assert_eq!(mine[1]["status"], 200);
    scopegate::audit::verify(&h.audit_path).unwrap();
}
