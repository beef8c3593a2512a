//! SPEC §7 row 14 and the audit row end to end: an upstream that refuses connections, one
//! that never answers, and an audit file that cannot be written (durable mode). The first
//! two were allowed and recorded as such before forwarding; the failure is a second record.

mod gateway_support;

use gateway_support::*;
use serde_json::Value;

const URL: &str = "https://medmij.huisartsenpraktijkdevries.nl/fhir/hag/Observation";
const SCOPE: &str = "huisartsenpraktijkdevries~49";
const UPSTREAM: &str = "\"http://127.0.0.1:8081/huisartsenpraktijkdevries\"";

async fn send(h: &Harness, id: &str) -> reqwest::Response {
    h.get(URL)
        .header("medmij-request-id", id)
        .bearer_auth(h.token(THIRD_DVP, SCOPE))
        .send()
        .await
        .unwrap()
}

/// The allow record written before forwarding, then the failure.
fn assert_allow_then_failure(records: &[Value], id: &str, reason: &str, status: u16) {
    let mine: Vec<&Value> = records.iter().filter(|r| r["request_id"] == id).collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    let (allow, failure) = (mine[0], mine[1]);
    assert_eq!(allow["decision"], "allow");
    assert_eq!(allow["reason"], Value::Null);
    assert_eq!(allow["status"], Value::Null);
    assert_eq!(allow["upstream_ms"], Value::Null);
    assert_eq!(failure["decision"], "deny");
    assert_eq!(failure["reason"], reason);
    assert_eq!(failure["status"], status);
    assert!(failure["upstream_ms"].is_u64(), "{failure}");
    for rec in [allow, failure] {
        assert_eq!(rec["client"], THIRD_DVP);
        assert_eq!(rec["provider"], "huisartsenpraktijkdevries@medmij");
        assert_eq!(rec["requested_service"], "49");
        assert_eq!(rec["effective_service"], "49");
        assert_eq!(rec["glg"], Value::Null);
    }
}

#[tokio::test]
async fn an_upstream_that_refuses_connections_is_upstream_unavailable() {
    let dead = closed_addr().await;
    let h = Setup::new()
        .edit(
            UPSTREAM,
            &format!("\"http://{dead}/huisartsenpraktijkdevries\""),
        )
        .start()
        .await;
    let resp = send(&h, "down-1").await;
    assert_denied(resp, "upstream_unavailable", Some("down-1")).await;
    assert_allow_then_failure(&h.audit().await, "down-1", "upstream_unavailable", 502);
}

#[tokio::test]
async fn an_upstream_that_never_answers_is_upstream_timeout() {
    let silent = SilentUpstream::start().await;
    let h = Setup::new()
        .edit("request_timeout = \"55s\"", "request_timeout = \"300ms\"")
        .edit(
            UPSTREAM,
            &format!("\"http://{}/huisartsenpraktijkdevries\"", silent.addr),
        )
        .start()
        .await;
    let resp = send(&h, "slow-1").await;
    assert_denied(resp, "upstream_timeout", Some("slow-1")).await;
    assert_eq!(*silent.accepted.lock().unwrap(), 1);
    assert_allow_then_failure(&h.audit().await, "slow-1", "upstream_timeout", 504);
}

#[tokio::test]
async fn an_allowed_request_whose_audit_record_cannot_be_written_is_refused_and_not_forwarded() {
    let h = Setup::new()
        .edit("\"audit/scopegate-audit.jsonl\"", "\"/dev/full\"")
        .start()
        .await;
    let resp = send(&h, "full-1").await;
    assert_denied(resp, "audit_unavailable", Some("full-1")).await;
    assert_eq!(h.upstream.count(), 0);
}
