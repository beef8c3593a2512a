//! Secrecy end to end: the built binary at `RUST_LOG=trace`, in introspection mode, serves a
//! mix of allowed and denied requests carrying a distinctive token and body; neither its
//! stdout/stderr nor its audit file holds the token, any of its JWT segments, the body or
//! the introspection client secret.

mod gateway_support;

use base64::Engine;
use gateway_support::*;
use scopegate::demo::stub::{RecordingUpstream, StaticServer};
use scopegate::token::Issuer;

const SECRET: &str = "SECRET-e2e-4b1d9c2f";
const BODY: &str = "BODYMARKER-e2e-77aa31";
const OPAQUE: &str = "OPAQUETOKEN-e2e-93c0d1";
const URL: &str = "https://fhir.ziekenhuisamstelland.nl/medmij/medicatie/MedicationStatement";
const SCOPE: &str = "ziekenhuisamstelland~51";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_and_the_audit_file_hold_no_token_body_or_client_secret() {
    let upstream = RecordingUpstream::start().await.unwrap();
    let introspection = IntrospectionServer::start().await;
    let issuer = Issuer::generate(ISS, "secrecy-1").unwrap();
    let jwks = StaticServer::start("application/json", issuer.jwks_json())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let secret_file = dir.path().join("introspection.secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let mut setup = Setup::new().edit("mode = \"jwt\"", "mode = \"introspection\"");
    setup.toml.push_str(&format!(
        "\n[tokens.introspection]\nurl = \"{}\"\nclient_id = \"scopegate\"\nclient_secret_file = \"{}\"\n",
        introspection.url(),
        secret_file.display()
    ));
    let config = dir.path().join("scopegate.toml");
    std::fs::write(
        &config,
        setup.finish_toml(upstream.addr, &jwks.url("/jwks.json"), &audit),
    )
    .unwrap();

    let mut gateway = Binary::start(&config, &[("RUST_LOG", "trace")]).await;
    let mut claims = claims(chrono::Utc::now().timestamp(), THIRD_DVP, SCOPE);
    claims["sub"] = serde_json::json!("SUBJECT-e2e-5e6f");
    let token = issuer.sign(&claims);
    let http = client();
    let req =
        |method: reqwest::Method, url: &str| gateway_request(&http, gateway.addr, method, url);
    let form = "application/x-www-form-urlencoded";
    let statuses = vec![
        // allowed, with and without a body
        req(reqwest::Method::GET, URL)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        req(reqwest::Method::POST, URL)
            .bearer_auth(&token)
            .body(BODY)
            .send()
            .await
            .unwrap()
            .status(),
        // the token in the query and in a form body
        req(reqwest::Method::GET, &format!("{URL}?access_token={token}"))
            .send()
            .await
            .unwrap()
            .status(),
        req(reqwest::Method::POST, URL)
            .header("content-type", form)
            .body(format!("access_token={token}&note={BODY}"))
            .send()
            .await
            .unwrap()
            .status(),
        // an inactive opaque token, and a policy denial, both with a body
        req(reqwest::Method::POST, URL)
            .bearer_auth(OPAQUE)
            .body(BODY)
            .send()
            .await
            .unwrap()
            .status(),
        req(
            reqwest::Method::POST,
            "https://medmij.umcharderwijk.nl/fhir-glg/Patient",
        )
        .bearer_auth(issuer.sign(&{
            let mut c = claims.clone();
            c["scope"] = serde_json::json!("umcharderwijk~48");
            c
        }))
        .body(BODY)
        .send()
        .await
        .unwrap()
        .status(),
    ];
    assert_eq!(statuses, [200, 200, 400, 400, 401, 403]);
    assert_eq!(upstream.count(), 2);
    let output = gateway.kill();
    assert!(output.contains("scopegate listening"), "{output}");
    assert!(
        output.contains("TRACE") || output.contains("\"level\":\"TRACE\""),
        "no trace logs"
    );
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    assert_eq!(audit_text.lines().count(), 2 * 2 + 4);

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("scopegate:{SECRET}"));
    let mut needles = vec![
        token.clone(),
        BODY.to_owned(),
        OPAQUE.to_owned(),
        SECRET.to_owned(),
        basic,
        "SUBJECT-e2e-5e6f".to_owned(),
    ];
    needles.extend(segments(&token));
    for (what, text) in [("logs", &output), ("audit file", &audit_text)] {
        for needle in &needles {
            assert!(!text.contains(needle.as_str()), "{what} contain {needle:?}");
        }
    }
}
