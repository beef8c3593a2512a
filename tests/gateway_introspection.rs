//! Introspection mode (RFC 7662) end to end: the gateway asks a real introspection server on
//! loopback about each token; active tokens are allowed, inactive ones are `token_invalid`,
//! and an unreachable server makes tokens `token_unverifiable` with nothing forwarded.

mod gateway_support;

use base64::Engine;
use gateway_support::*;

const URL: &str = "https://medmij.umcharderwijk.nl/fhir-glg/Patient";
const SCOPE: &str = "umcharderwijk~9051";
const SECRET: &str = "e2e-introspection-secret";

/// A setup in introspection mode against `url`; the secret file lives in `dir`.
fn introspection_setup(dir: &tempfile::TempDir, url: &str) -> Setup {
    let secret = dir.path().join("introspection.secret");
    std::fs::write(&secret, SECRET).unwrap();
    let mut s = Setup::new().edit("mode = \"jwt\"", "mode = \"introspection\"");
    s.toml.push_str(&format!(
        "\n[tokens.introspection]\nurl = \"{url}\"\nclient_id = \"scopegate\"\nclient_secret_file = \"{}\"\ncache_ttl = \"60s\"\n",
        secret.display()
    ));
    s
}

#[tokio::test]
async fn an_active_token_is_allowed_and_the_gateway_authenticates_to_the_endpoint() {
    let server = IntrospectionServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let h = introspection_setup(&dir, &server.url()).start().await;
    let token = h.token(GLG_DVP, SCOPE);
    let resp = h
        .get(URL)
        .bearer_auth(&token)
        .header("medmij-request-id", "intro-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let got = h.upstream.take();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("x-medmij-gegevensdienst"), Some("51"));
    let asked = server.received.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("scopegate:{SECRET}"));
    assert_eq!(
        asked[0].0["authorization"],
        format!("Basic {basic}").as_str()
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&asked[0].1)
        .into_owned()
        .collect();
    assert_eq!(
        form,
        vec![
            ("token".to_owned(), token),
            ("token_type_hint".to_owned(), "access_token".to_owned())
        ]
    );
}

#[tokio::test]
async fn an_inactive_token_is_token_invalid() {
    let server = IntrospectionServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let h = introspection_setup(&dir, &server.url()).start().await;
    let resp = h
        .get(URL)
        .bearer_auth("opaque-inactive-token")
        .header("medmij-request-id", "inactive-1")
        .send()
        .await
        .unwrap();
    assert_denied(resp, "token_invalid", Some("inactive-1")).await;
    let rec = h.record("inactive-1").await;
    assert_deny_record(&rec, "token_invalid", 401, None, None, (None, None), None);
    assert_eq!(server.received.lock().unwrap().len(), 1);
    assert_eq!(h.upstream.count(), 0);
}

#[tokio::test]
async fn an_unreachable_introspection_endpoint_is_token_unverifiable() {
    let dead = closed_addr().await;
    let dir = tempfile::tempdir().unwrap();
    let h = introspection_setup(&dir, &format!("http://{dead}/introspect"))
        .start()
        .await;
    let resp = h
        .get(URL)
        .bearer_auth(h.token(GLG_DVP, SCOPE))
        .header("medmij-request-id", "introdown-1")
        .send()
        .await
        .unwrap();
    assert_denied(resp, "token_unverifiable", Some("introdown-1")).await;
    let rec = h.record("introdown-1").await;
    assert_deny_record(
        &rec,
        "token_unverifiable",
        503,
        None,
        None,
        (None, None),
        None,
    );
    assert_eq!(h.upstream.count(), 0);
}
