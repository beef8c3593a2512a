//! SPEC §7 end to end: every reason code a resource request can be denied with (except
//! `whitelist_denied`, which needs mTLS and is tested with the TLS listener), against the
//! real gateway on loopback. Each test checks the response (status, challenge,
//! `Retry-After`, OperationOutcome, request id), the audit record, and that the upstream
//! received nothing.

mod gateway_support;

use std::time::Duration;

use gateway_support::*;
use serde_json::json;

const GLG_URL: &str = "https://medmij.umcharderwijk.nl/fhir-glg/MedicationStatement";
const GLG_SCOPE: &str = "umcharderwijk~9051";

/// Sends a GLG request with `token` (if any) and request id `id`.
async fn glg_request(h: &Harness, token: Option<&str>, id: &str) -> reqwest::Response {
    let mut req = h.get(GLG_URL).header("medmij-request-id", id);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// The token-phase denials: nothing about the client is known yet.
async fn assert_early_denial(h: &Harness, resp: reqwest::Response, reason: &str, id: &str) {
    let status = resp.status().as_u16();
    assert_denied(resp, reason, Some(id)).await;
    let rec = h.record(id).await;
    assert_deny_record(&rec, reason, status, None, None, (None, None), None);
    assert_eq!(rec["path"], "/fhir-glg/MedicationStatement");
    assert_eq!(rec["sub_hash"], serde_json::Value::Null);
    assert_eq!(h.upstream.count(), 0);
}

#[tokio::test]
async fn lists_older_than_max_stale_are_refused_with_503_and_retry_after() {
    let h = Setup::new()
        .edit("refresh_interval = \"5m\"", "refresh_interval = \"1h\"")
        .edit("max_stale = \"24h\"", "max_stale = \"1h\"")
        .start()
        .await;
    h.clock.advance(Duration::from_secs(2 * 3600));
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let resp = glg_request(&h, Some(&token), "stale-1").await;
    assert_early_denial(&h, resp, "lists_unavailable", "stale-1").await;
}

#[tokio::test]
async fn a_gateway_whose_zal_url_is_unreachable_refuses_with_lists_unavailable() {
    let dead = closed_addr().await;
    let zal = format!(
        "{}/lists/MedMij_Zorgaanbiederslijst.xml",
        config_dir().display()
    );
    let h = Setup::new()
        .edit(&format!("\"{zal}\""), &format!("\"http://{dead}/zal.xml\""))
        .start()
        .await;
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let resp = glg_request(&h, Some(&token), "nolists-1").await;
    assert_early_denial(&h, resp, "lists_unavailable", "nolists-1").await;
}

#[tokio::test]
async fn a_request_without_authorization_is_token_missing_with_a_bare_realm() {
    let h = Setup::new().start().await;
    let resp = glg_request(&h, None, "missing-1").await;
    assert_early_denial(&h, resp, "token_missing", "missing-1").await;
}

#[tokio::test]
async fn a_denial_without_a_request_id_carries_a_generated_one_that_is_audited() {
    let h = Setup::new().start().await;
    let resp = h.get(GLG_URL).send().await.unwrap();
    let id = assert_denied(resp, "token_missing", None).await;
    let rec = h.record(&id).await;
    assert_deny_record(&rec, "token_missing", 401, None, None, (None, None), None);
}

#[tokio::test]
async fn an_access_token_in_the_query_is_refused_as_token_in_query() {
    let h = Setup::new().start().await;
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let resp = h
        .get(&format!("{GLG_URL}?_count=1&access_token={token}"))
        .header("medmij-request-id", "query-1")
        .send()
        .await
        .unwrap();
    assert_early_denial(&h, resp, "token_in_query", "query-1").await;
}

#[tokio::test]
async fn an_access_token_in_a_form_body_is_refused_as_token_in_query() {
    let h = Setup::new().start().await;
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let resp = h
        .request(reqwest::Method::POST, GLG_URL)
        .header("medmij-request-id", "form-1")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={token}&x=1"))
        .send()
        .await
        .unwrap();
    assert_early_denial(&h, resp, "token_in_query", "form-1").await;
}

#[tokio::test]
async fn a_token_signed_by_a_forged_key_with_the_same_kid_is_token_invalid() {
    let h = Setup::new().start().await;
    let forger = scopegate::token::Issuer::generate(ISS, h.issuer.kid()).unwrap();
    let token = forger.sign(&h.claims(GLG_DVP, GLG_SCOPE));
    let resp = glg_request(&h, Some(&token), "forged-1").await;
    assert_early_denial(&h, resp, "token_invalid", "forged-1").await;
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_token_invalid() {
    let h = Setup::new().start().await;
    let token = hs256_with_public_key(&h.issuer, &h.claims(GLG_DVP, GLG_SCOPE));
    let resp = glg_request(&h, Some(&token), "hs256-1").await;
    assert_early_denial(&h, resp, "token_invalid", "hs256-1").await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_token_invalid() {
    let h = Setup::new().start().await;
    let mut claims = h.claims(GLG_DVP, GLG_SCOPE);
    claims["iss"] = json!("https://auth.elders.example.nl");
    let resp = glg_request(&h, Some(&h.issuer.sign(&claims)), "iss-1").await;
    assert_early_denial(&h, resp, "token_invalid", "iss-1").await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_token_invalid() {
    let h = Setup::new().start().await;
    let mut claims = h.claims(GLG_DVP, GLG_SCOPE);
    claims["aud"] = json!("another-gateway");
    let resp = glg_request(&h, Some(&h.issuer.sign(&claims)), "aud-1").await;
    assert_early_denial(&h, resp, "token_invalid", "aud-1").await;
}

#[tokio::test]
async fn a_token_expired_beyond_the_leeway_is_token_expired() {
    let h = Setup::new().start().await;
    let mut claims = h.claims(GLG_DVP, GLG_SCOPE);
    claims["exp"] = json!(h.clock.unix() - 60);
    let resp = glg_request(&h, Some(&h.issuer.sign(&claims)), "exp-1").await;
    assert_early_denial(&h, resp, "token_expired", "exp-1").await;
}

#[tokio::test]
async fn a_token_is_unverifiable_while_the_jwks_url_is_down() {
    let dead = closed_addr().await;
    let h = Setup::new()
        .edit(
            "\"keys/jwks.json\"",
            &format!("\"http://{dead}/jwks.json\""),
        )
        .start()
        .await;
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let resp = glg_request(&h, Some(&token), "unverifiable-1").await;
    assert_early_denial(&h, resp, "token_unverifiable", "unverifiable-1").await;
}

/// Parses a raw HTTP/1.1 response (with a `Content-Length` body) into a reqwest response.
fn parse_raw(text: &str) -> reqwest::Response {
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut builder = http::Response::builder().status(status);
    for line in lines {
        let (k, v) = line.split_once(": ").unwrap();
        builder = builder.header(k, v);
    }
    reqwest::Response::from(builder.body(body.to_owned()).unwrap())
}

#[tokio::test]
async fn a_transfer_encoding_other_than_chunked_is_request_malformed() {
    let h = Setup::new().start().await;
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let raw = format!(
        "POST /fhir-glg/MedicationStatement HTTP/1.1\r\nHost: medmij.umcharderwijk.nl\r\n\
         Authorization: Bearer {token}\r\nMedMij-Request-ID: te-1\r\n\
         Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    );
    let resp = parse_raw(&raw_exchange(h.addr(), raw.as_bytes()).await);
    assert_early_denial(&h, resp, "request_malformed", "te-1").await;
}

#[tokio::test]
async fn a_dot_segment_in_the_raw_path_is_request_malformed() {
    let h = Setup::new().start().await;
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let raw = format!(
        "GET /fhir-glg/../fhir-bgz/Patient HTTP/1.1\r\nHost: medmij.umcharderwijk.nl\r\n\
         Authorization: Bearer {token}\r\nMedMij-Request-ID: dots-1\r\nConnection: close\r\n\r\n"
    );
    let resp = parse_raw(&raw_exchange(h.addr(), raw.as_bytes()).await);
    assert_denied(resp, "request_malformed", Some("dots-1")).await;
    let rec = h.record("dots-1").await;
    assert_deny_record(
        &rec,
        "request_malformed",
        400,
        Some(GLG_DVP),
        Some("umcharderwijk@medmij"),
        (None, None),
        None,
    );
    assert_eq!(rec["path"], "/fhir-glg/../fhir-bgz/Patient");
    assert_eq!(rec["sub_hash"], scopegate::audit::sub_hash("patient-e2e"));
    assert_eq!(h.upstream.count(), 0);
}

#[tokio::test]
async fn a_content_length_above_max_body_bytes_is_body_too_large() {
    let h = Setup::new()
        .edit("max_body_bytes = 10485760", "max_body_bytes = 1024")
        .start()
        .await;
    let token = h.token(GLG_DVP, GLG_SCOPE);
    let resp = h
        .request(reqwest::Method::POST, GLG_URL)
        .header("medmij-request-id", "big-1")
        .bearer_auth(&token)
        .body(vec![b'x'; 2048])
        .send()
        .await
        .unwrap();
    assert_early_denial(&h, resp, "body_too_large", "big-1").await;
}

/// A request by `client` with `scope` for `url`, denied with `reason`; returns the record.
async fn policy_denial(
    h: &Harness,
    client: &str,
    scope: &str,
    url: &str,
    reason: &str,
) -> serde_json::Value {
    let id = format!("{reason}-1");
    let token = h.token(client, scope);
    let resp = h
        .get(url)
        .header("medmij-request-id", &id)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_denied(resp, reason, Some(&id)).await;
    assert_eq!(h.upstream.count(), 0);
    let rec = h.record(&id).await;
    assert_eq!(rec["sub_hash"], scopegate::audit::sub_hash("patient-e2e"));
    for segment in segments(&token) {
        assert!(!rec.to_string().contains(&segment));
    }
    rec
}

#[tokio::test]
async fn a_scope_with_a_dash_instead_of_a_tilde_is_scope_malformed() {
    let h = Setup::new().start().await;
    let rec = policy_denial(
        &h,
        GLG_DVP,
        "umcharderwijk-9051",
        GLG_URL,
        "scope_malformed",
    )
    .await;
    assert_deny_record(
        &rec,
        "scope_malformed",
        403,
        Some(GLG_DVP),
        None,
        (None, None),
        None,
    );
}

#[tokio::test]
async fn a_client_not_on_the_ocl_is_client_unknown() {
    let h = Setup::new().start().await;
    let client = "medmij.onbekendepgo.nl";
    let rec = policy_denial(&h, client, GLG_SCOPE, GLG_URL, "client_unknown").await;
    assert_deny_record(
        &rec,
        "client_unknown",
        403,
        Some(client),
        Some("umcharderwijk@medmij"),
        (None, None),
        None,
    );
}

#[tokio::test]
async fn a_za_not_on_the_zal_is_provider_unknown() {
    let h = Setup::new().start().await;
    let rec = policy_denial(&h, GLG_DVP, "onbekendeza~1", GLG_URL, "provider_unknown").await;
    assert_deny_record(
        &rec,
        "provider_unknown",
        403,
        Some(GLG_DVP),
        Some("onbekendeza@medmij"),
        (None, None),
        None,
    );
}

#[tokio::test]
async fn a_za_on_the_zal_served_elsewhere_is_provider_not_served() {
    let h = Setup::new().start().await;
    let rec = policy_denial(
        &h,
        GLG_DVP,
        "radiologencentraalflevoland~4",
        "https://medmij.za983.xisbridge.net/fhir/ImagingStudy",
        "provider_not_served",
    )
    .await;
    assert_deny_record(
        &rec,
        "provider_not_served",
        403,
        Some(GLG_DVP),
        Some("radiologencentraalflevoland@medmij"),
        (None, None),
        None,
    );
}

#[tokio::test]
async fn a_service_the_za_does_not_offer_is_service_not_offered() {
    let h = Setup::new().start().await;
    let rec = policy_denial(
        &h,
        GLG_DVP,
        "umcharderwijk~48",
        GLG_URL,
        "service_not_offered",
    )
    .await;
    assert_deny_record(
        &rec,
        "service_not_offered",
        403,
        Some(GLG_DVP),
        Some("umcharderwijk@medmij"),
        (None, None),
        None,
    );
}

#[tokio::test]
async fn a_url_under_another_services_endpoint_is_endpoint_mismatch() {
    let h = Setup::new().start().await;
    let rec = policy_denial(
        &h,
        GLG_DVP,
        "umcharderwijk~1",
        "https://medmij.umcharderwijk.nl/fhir-lab/Observation",
        "endpoint_mismatch",
    )
    .await;
    assert_deny_record(
        &rec,
        "endpoint_mismatch",
        403,
        Some(GLG_DVP),
        Some("umcharderwijk@medmij"),
        (None, None),
        None,
    );
}

#[tokio::test]
async fn two_scope_ids_with_the_same_endpoint_are_endpoint_ambiguous() {
    // A test-only ZAL: huisartsenpraktijkdevries serves 1 and 49 on the same endpoint.
    let dir = tempfile::tempdir().unwrap();
    let zal_file = config_dir().join("lists/MedMij_Zorgaanbiederslijst.xml");
    let text = std::fs::read_to_string(&zal_file).unwrap();
    let tied = edit(
        &text,
        "https://medmij.huisartsenpraktijkdevries.nl/fhir/hag<",
        "https://medmij.huisartsenpraktijkdevries.nl/fhir/bgz<",
    );
    let path = dir.path().join("zal.xml");
    std::fs::write(&path, tied).unwrap();
    let h = Setup::new()
        .edit(
            &format!("\"{}\"", zal_file.display()),
            &format!("\"{}\"", path.display()),
        )
        .start()
        .await;
    let rec = policy_denial(
        &h,
        THIRD_DVP,
        "huisartsenpraktijkdevries~1 huisartsenpraktijkdevries~49",
        "https://medmij.huisartsenpraktijkdevries.nl/fhir/bgz/Patient",
        "endpoint_ambiguous",
    )
    .await;
    assert_deny_record(
        &rec,
        "endpoint_ambiguous",
        400,
        Some(THIRD_DVP),
        Some("huisartsenpraktijkdevries@medmij"),
        (None, None),
        None,
    );
}

#[tokio::test]
async fn the_copy_service_of_an_ended_glg_is_glg_not_active() {
    let h = Setup::new().start().await;
    let rec = policy_denial(
        &h,
        GLG_DVP,
        "ziekenhuisamstelland~9048",
        "https://fhir.ziekenhuisamstelland.nl/medmij/glg-bgz/Patient",
        "glg_not_active",
    )
    .await;
    assert_deny_record(
        &rec,
        "glg_not_active",
        403,
        Some(GLG_DVP),
        Some("ziekenhuisamstelland@medmij"),
        (Some("9048"), None),
        None,
    );
}

#[tokio::test]
async fn a_dvp_outside_the_glg_asking_for_the_copy_service_is_copy_service_not_glg_dvp() {
    let h = Setup::new().start().await;
    let rec = policy_denial(
        &h,
        OTHER_DVP,
        GLG_SCOPE,
        GLG_URL,
        "copy_service_not_glg_dvp",
    )
    .await;
    assert_deny_record(
        &rec,
        "copy_service_not_glg_dvp",
        403,
        Some(OTHER_DVP),
        Some("umcharderwijk@medmij"),
        (Some("9051"), None),
        Some("glg-umch-51"),
    );
}

#[tokio::test]
async fn a_client_whose_later_form_ocl_entry_lacks_the_service_is_client_not_qualified() {
    let h = Setup::new()
        .edit(
            "/lists/MedMij_OAuthclientlist.xml\"",
            "/lists/later-form/MedMij_OAuthclientlist.xml\"",
        )
        .start()
        .await;
    let rec = policy_denial(
        &h,
        OTHER_DVP,
        "ziekenhuisamstelland~51",
        "https://fhir.ziekenhuisamstelland.nl/medmij/medicatie/MedicationStatement",
        "client_not_qualified",
    )
    .await;
    assert_deny_record(
        &rec,
        "client_not_qualified",
        403,
        Some(OTHER_DVP),
        Some("ziekenhuisamstelland@medmij"),
        (Some("51"), Some("51")),
        None,
    );
}
