//! SPEC §8 and §11 end to end for allowed requests: what the upstream receives for GLG
//! traffic (URL, the `X-MedMij-*` set, forwarding headers, hop-by-hop removal, the copy
//! service id nowhere but in `X-MedMij-Kopie-Gegevensdienst`), client-sent `X-MedMij-*`
//! headers never surviving, other ZAs' traffic side by side, and the two audit records of
//! an allowed request (the decision before forwarding, the outcome after).

mod gateway_support;

use gateway_support::*;
use scopegate::demo::stub::Received;
use serde_json::Value;

const GLG_URL: &str =
    "https://medmij.umcharderwijk.nl/fhir-glg/MedicationStatement?_count=1&patient=abc";
const GLG_SCOPE: &str = "umcharderwijk~9051";

/// A GLG request with every kind of header the gateway must rewrite or drop.
async fn send_glg(h: &Harness, id: &str) -> (reqwest::Response, String) {
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let resp = h
        .request(reqwest::Method::POST, GLG_URL)
        .bearer_auth(&token)
        .header("medmij-request-id", id)
        .header("x-correlation-id", "corr-e2e")
        .header("X-MedMij-Gegevensdienst", "9051")
        .header("x-medmij-glg", "glg-spoofed")
        .header("X-MEDMIJ-KOPIE-GEGEVENSDIENST", "9051")
        .header("X-Medmij-Zorgaanbieder", "anderza@medmij")
        .header("x-medmij-extra", "9051")
        .header("x-forwarded-for", "10.9.9.9")
        .header("x-forwarded-host", "spoofed.example")
        .header("connection", "keep-alive, x-hop-secret")
        .header("x-hop-secret", "dropme")
        .header("keep-alive", "timeout=5")
        .header("proxy-authorization", "Basic Zm9vOmJhcg==")
        .header("te", "trailers")
        .header("content-type", "application/fhir+json")
        .body(r#"{"resourceType":"Parameters"}"#)
        .send()
        .await
        .unwrap();
    (resp, token)
}

fn medmij_headers(r: &Received) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-medmij-"))
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_glg_request_reaches_the_original_services_upstream_with_the_medmij_headers() {
    let h = Setup::new().start().await;
    let (resp, token) = send_glg(&h, "glg-1").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["medmij-request-id"], "glg-1");
    let got = h.upstream.take();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.target,
        "/umcharderwijk/MedicationStatement?_count=1&patient=abc"
    );
    assert_eq!(
        medmij_headers(r),
        vec![
            ("x-medmij-client".into(), GLG_DVP.into()),
            ("x-medmij-gegevensdienst".into(), "51".into()),
            ("x-medmij-glg".into(), "glg-umch-51".into()),
            ("x-medmij-kopie-gegevensdienst".into(), "9051".into()),
            (
                "x-medmij-zorgaanbieder".into(),
                "umcharderwijk@medmij".into()
            ),
        ]
    );
    assert_eq!(r.header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(r.header("x-forwarded-proto"), Some("http"));
    assert_eq!(
        r.header("x-forwarded-host"),
        Some("medmij.umcharderwijk.nl")
    );
    assert_eq!(r.headers.get_all("x-forwarded-for").iter().count(), 1);
    assert_eq!(r.header("medmij-request-id"), Some("glg-1"));
    assert_eq!(r.header("x-correlation-id"), Some("corr-e2e"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(r.header("host"), Some(h.upstream.addr.to_string().as_str()));
    assert_eq!(&r.body[..], br#"{"resourceType":"Parameters"}"#);
}

#[tokio::test]
async fn hop_by_hop_headers_and_those_named_in_connection_are_not_forwarded() {
    let h = Setup::new().start().await;
    let (resp, _) = send_glg(&h, "hop-1").await;
    assert_eq!(resp.status(), 200);
    let r = &h.upstream.take()[0];
    for name in [
        "x-hop-secret",
        "keep-alive",
        "proxy-authorization",
        "te",
        "upgrade",
        "trailer",
    ] {
        assert_eq!(r.header(name), None, "{name} was forwarded");
    }
    assert_ne!(r.header("connection"), Some("keep-alive, x-hop-secret"));
}

#[tokio::test]
async fn the_copy_service_id_reaches_the_upstream_only_in_the_kopie_header() {
    let h = Setup::new().start().await;
    let (resp, token) = send_glg(&h, "copy-1").await;
    assert_eq!(resp.status(), 200);
    let r = &h.upstream.take()[0];
    assert!(!r.target.contains("9051"), "{}", r.target);
    assert!(!String::from_utf8_lossy(&r.body).contains("9051"));
    for (name, value) in &r.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        if name == "x-medmij-kopie-gegevensdienst" {
            assert_eq!(value, "9051");
        } else if name == "authorization" {
            // The DVP's own token, passed on unchanged (forward_authorization = true).
            assert_eq!(value, format!("Bearer {token}"));
        } else {
            assert!(!value.contains("9051"), "{name}: {value}");
        }
    }
}

#[tokio::test]
async fn client_sent_medmij_headers_never_reach_the_upstream_of_a_normal_request() {
    let h = Setup::new().start().await;
    let resp = h
        .get("https://fhir.ziekenhuisamstelland.nl/medmij/medicatie/MedicationStatement")
        .bearer_auth(h.token(THIRD_DVP, "ziekenhuisamstelland~51"))
        .header("X-MedMij-GLG", "glg-umch-51")
        .header("x-MEDMIJ-kopie-gegevensdienst", "9051")
        .header("X-MedMij-Gegevensdienst", "9051")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r = &h.upstream.take()[0];
    assert_eq!(r.target, "/ziekenhuisamstelland/MedicationStatement");
    assert_eq!(
        medmij_headers(r),
        vec![
            ("x-medmij-client".into(), THIRD_DVP.into()),
            ("x-medmij-gegevensdienst".into(), "51".into()),
            (
                "x-medmij-zorgaanbieder".into(),
                "ziekenhuisamstelland@medmij".into()
            ),
        ]
    );
}

#[tokio::test]
async fn glg_traffic_and_other_zas_traffic_interleave_each_routed_on_its_own() {
    let h = Setup::new().start().await;
    let cases = [
        (
            GLG_DVP,
            GLG_SCOPE,
            "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
            "/umcharderwijk/Patient",
            "51",
            Some("glg-umch-51"),
        ),
        (
            OTHER_DVP,
            "ziekenhuisamstelland~51",
            "https://fhir.ziekenhuisamstelland.nl/medmij/medicatie-pdf/DocumentReference",
            "/ziekenhuisamstelland/DocumentReference",
            "51",
            None,
        ),
        (
            THIRD_DVP,
            "huisartsenpraktijkdevries~49",
            "https://medmij.huisartsenpraktijkdevries.nl/fhir/hag/Observation",
            "/huisartsenpraktijkdevries/Observation",
            "49",
            None,
        ),
        (
            GLG_DVP,
            "umcharderwijk~4",
            "https://medmij.umcharderwijk.nl/fhir-lab/Observation",
            "/lab/Observation",
            "4",
            None,
        ),
    ];
    let mut sends = Vec::new();
    for round in 0..3 {
        for (i, (client, scope, url, ..)) in cases.iter().enumerate() {
            let req = h
                .get(url)
                .bearer_auth(h.token(client, scope))
                .header("medmij-request-id", format!("mix-{round}-{i}"));
            sends.push(tokio::spawn(req.send()));
        }
    }
    for s in sends {
        assert_eq!(s.await.unwrap().unwrap().status(), 200);
    }
    let got = h.upstream.take();
    assert_eq!(got.len(), 12);
    for r in &got {
        let id = r.header("medmij-request-id").unwrap();
        let i: usize = id.rsplit('-').next().unwrap().parse().unwrap();
        let (client, _, _, target, effective, glg) = cases[i];
        assert_eq!(r.target, target, "{id}");
        assert_eq!(r.header("x-medmij-client"), Some(client), "{id}");
        assert_eq!(r.header("x-medmij-gegevensdienst"), Some(effective), "{id}");
        assert_eq!(r.header("x-medmij-glg"), glg, "{id}");
        assert_eq!(
            r.header("x-medmij-kopie-gegevensdienst"),
            glg.map(|_| "9051"),
            "{id}"
        );
    }
}

#[tokio::test]
async fn an_allowed_request_leaves_a_decision_record_then_an_outcome_record() {
    let h = Setup::new().start().await;
    let (resp, _) = send_glg(&h, "rec-1").await;
    assert_eq!(resp.status(), 200);
    let records = h.audit().await;
    let mine: Vec<&Value> = records
        .iter()
        .filter(|r| r["request_id"] == "rec-1")
        .collect();
    assert_eq!(mine.len(), 2, "{records:?}");
    let (decision, outcome) = (mine[0], mine[1]);
    for rec in [decision, outcome] {
        assert_eq!(rec["decision"], "allow");
        assert_eq!(rec["reason"], Value::Null);
        assert_eq!(rec["kind"], "resource");
        assert_eq!(rec["correlation_id"], "corr-e2e");
        assert_eq!(rec["client"], GLG_DVP);
        assert_eq!(rec["provider"], "umcharderwijk@medmij");
        assert_eq!(rec["requested_service"], "9051");
        assert_eq!(rec["effective_service"], "51");
        assert_eq!(rec["glg"], "glg-umch-51");
        assert_eq!(rec["method"], "POST");
        assert_eq!(rec["path"], "/fhir-glg/MedicationStatement");
        assert_eq!(rec["sub_hash"], scopegate::audit::sub_hash("patient-e2e"));
    }
    assert_eq!(decision["status"], Value::Null);
    assert_eq!(decision["upstream_ms"], Value::Null);
    assert_eq!(outcome["status"], 200);
    assert!(outcome["upstream_ms"].is_u64(), "{outcome}");
    assert_eq!(outcome["prev_hash"], decision["hash"]);
}
