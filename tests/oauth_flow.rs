//! End to end through scopegate (SPEC §9) over real TLS with client certificates made at
//! test time: a DVP built on the `oauth2` crate runs the authorization code flow against a
//! real authorization server behind the gateway (the browser, without a certificate, on the
//! authorize endpoint; the DVP node, with its certificate, on the token endpoint), then reads
//! a FHIR resource with the token. Also the refusals: a non-GLG DVP at the authorization
//! endpoint and at the resource endpoint, a DVP whose certificate host is off the WHL (and a
//! request without a certificate) at the token and resource endpoints, an unknown client and
//! a foreign redirect_uri (error page, no redirect), token-endpoint errors, request ids and
//! audit.

mod oauth_support;
mod tls_support;

use oauth_support::{GLG_DVP, OFF_WHL, OTHER_DVP, Setup};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, CsrfToken, RedirectUrl, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};

type Client = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn dvp(setup: &Setup, client_id: &str) -> Client {
    BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(AuthUrl::new(setup.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(setup.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(format!("https://{client_id}/cb")).unwrap())
        // MedMij clients authenticate with their certificate; client_id goes in the body.
        .set_auth_type(AuthType::RequestBody)
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn a_glg_dvp_runs_the_code_flow_through_scopegate_and_reads_the_copy_service() {
    let setup = Setup::start().await;
    let (browser, node) = (setup.browser(), setup.node(GLG_DVP));
    let client = dvp(&setup, GLG_DVP);

    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("umcharderwijk~9051".into()))
        .url();
    let resp = browser.get(url.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("https://{GLG_DVP}/cb?")),
        "{location}"
    );
    let back = query_of(&location);
    assert_eq!(back["state"], *csrf.secret());

    let seen = setup.auth.take();
    assert_eq!(seen.len(), 1);
    // Forwarded unchanged: same path and query; forwarding headers ours; no X-MedMij-*.
    assert_eq!(
        seen[0].target,
        format!("{}?{}", url.path(), url.query().unwrap())
    );
    assert_eq!(
        seen[0].header("x-forwarded-host"),
        Some(oauth_support::ZA_HOST)
    );
    assert_eq!(seen[0].header("x-forwarded-proto"), Some("https"));
    assert!(seen[0].header("medmij-request-id").is_some());
    assert!(
        seen[0]
            .headers
            .keys()
            .all(|k| !k.as_str().starts_with("x-medmij-"))
    );

    let token = client
        .exchange_code(AuthorizationCode::new(back["code"].clone()))
        .request_async(&node)
        .await
        .unwrap();
    let seen = setup.auth.take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert!(String::from_utf8_lossy(&seen[0].body).contains("grant_type=authorization_code"));

    let resp = node
        .get(setup.url("/fhir-glg/Patient?_id=1"))
        .bearer_auth(token.access_token().secret())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let received = setup.upstream.take();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].target, "/umcharderwijk/Patient?_id=1");
    assert_eq!(received[0].header("x-medmij-gegevensdienst"), Some("51"));
    assert_eq!(
        received[0].header("x-medmij-kopie-gegevensdienst"),
        Some("9051")
    );
    assert_eq!(received[0].header("x-medmij-glg"), Some("glg-umch-51"));

    let records = setup.audit_records().await;
    let authorize = records
        .iter()
        .find(|r| r["kind"] == "authorize" && r["decision"] == "allow")
        .unwrap();
    assert_eq!(authorize["client"], GLG_DVP);
    assert_eq!(authorize["provider"], "umcharderwijk@medmij");
    assert_eq!(authorize["requested_service"], "9051");
    assert_eq!(authorize["effective_service"], "51");
    assert_eq!(authorize["glg"], "glg-umch-51");
    assert_eq!(authorize["path"], "/oauth/authorize");
    // The browser presented no certificate; the DVP node did.
    assert_eq!(authorize["cert_host"], serde_json::Value::Null);
    let token = records
        .iter()
        .find(|r| r["kind"] == "token" && r["decision"] == "allow" && r["status"] == 200)
        .unwrap();
    assert_eq!(token["client"], GLG_DVP);
    assert_eq!(token["cert_host"], GLG_DVP);
    let resource = records
        .iter()
        .find(|r| r["kind"] == "resource" && r["decision"] == "allow" && r["status"] == 200)
        .unwrap();
    assert_eq!(resource["client"], GLG_DVP);
    assert_eq!(resource["cert_host"], GLG_DVP);
    // No code, token or state reaches the audit trail.
    let all = records.iter().map(|r| r.to_string()).collect::<String>();
    assert!(!all.contains(back["code"].as_str()));
    assert!(!all.contains(csrf.secret().as_str()));
}

#[tokio::test]
async fn a_non_glg_dvp_is_sent_back_with_invalid_scope_and_refused_at_the_resource() {
    let setup = Setup::start().await;
    let (url, csrf) = dvp(&setup, OTHER_DVP)
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("umcharderwijk~9051".into()))
        .url();
    let resp = setup.browser().get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("https://{OTHER_DVP}/cb?")),
        "{location}"
    );
    let back = query_of(&location);
    assert_eq!(back["error"], "invalid_scope");
    assert!(back["error_description"].starts_with("copy_service_not_glg_dvp: "));
    assert_eq!(back["state"], *csrf.secret());
    assert!(!back.contains_key("code"));
    assert!(setup.auth.take().is_empty());

    // OTHER_DVP is on the WHL: the refusal is the GLG check's, not the whitelist's.
    let resp = setup
        .node(OTHER_DVP)
        .get(setup.url("/fhir-glg/Patient"))
        .bearer_auth(setup.token_for(OTHER_DVP, "umcharderwijk~9051"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let body: serde_json::Value = resp.json().await.unwrap();
    let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.starts_with("copy_service_not_glg_dvp: "),
        "{diagnostics}"
    );
    assert!(setup.upstream.take().is_empty());

    let records = setup.audit_records().await;
    let denied = records.iter().find(|r| r["kind"] == "authorize").unwrap();
    assert_eq!(denied["decision"], "deny");
    assert_eq!(denied["reason"], "copy_service_not_glg_dvp");
    assert_eq!(denied["status"], 302);
    assert_eq!(denied["client"], OTHER_DVP);
    let resource = records.iter().find(|r| r["kind"] == "resource").unwrap();
    assert_eq!(resource["reason"], "copy_service_not_glg_dvp");
    assert_eq!(resource["cert_host"], OTHER_DVP);
}

/// GET the authorize endpoint with these raw parameters.
async fn authorize_raw(setup: &Setup, client_id: &str, redirect_uri: &str) -> reqwest::Response {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "umcharderwijk~9051")
        .append_pair("state", "st-1")
        .finish();
    setup
        .browser()
        .get(format!("{}?{query}", setup.url("/oauth/authorize")))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page_and_no_redirect() {
    let setup = Setup::start().await;
    let resp = authorize_raw(&setup, "pgo.onbekend.nl", "https://pgo.onbekend.nl/cb").await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers().get("location"), None);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let page = resp.text().await.unwrap();
    assert!(page.contains("client_unknown: "), "{page}");
    assert!(setup.auth.take().is_empty());
}

#[tokio::test]
async fn a_foreign_redirect_uri_gets_an_error_page_and_no_redirect() {
    let setup = Setup::start().await;
    let resp = authorize_raw(&setup, GLG_DVP, "https://evil.example.com/cb").await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers().get("location"), None);
    let page = resp.text().await.unwrap();
    assert!(page.contains("redirect_uri_invalid: "), "{page}");
    assert!(setup.auth.take().is_empty());
}

#[tokio::test]
async fn an_unknown_client_at_the_token_endpoint_gets_invalid_client() {
    let setup = Setup::start().await;
    let result = dvp(&setup, "pgo.onbekend.nl")
        .exchange_code(AuthorizationCode::new("code-1".into()))
        .request_async(&setup.node(GLG_DVP))
        .await;
    let Err(RequestTokenError::ServerResponse(err)) = result else {
        panic!("expected an error response, got {result:?}");
    };
    assert_eq!(*err.error(), BasicErrorResponseType::InvalidClient);
    let resp = setup
        .node(GLG_DVP)
        .post(setup.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=authorization_code&code=c&client_id=pgo.onbekend.nl")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("client_unknown: ")
    );
    assert!(setup.auth.take().is_empty());
}

#[tokio::test]
async fn a_password_grant_is_refused_as_unsupported_grant_type() {
    let setup = Setup::start().await;
    let resp = setup
        .node(GLG_DVP)
        .post(setup.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&username=u&password=p&client_id={GLG_DVP}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
    assert!(setup.auth.take().is_empty());
    let records = setup.audit_records().await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["kind"], "token");
    assert_eq!(records[0]["reason"], "grant_type_unsupported");
    assert_eq!(records[0]["status"], 400);
}

#[tokio::test]
async fn request_ids_given_as_authorize_query_parameters_are_passed_on_and_recorded() {
    let setup = Setup::start().await;
    let (url, _) = dvp(&setup, GLG_DVP)
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("umcharderwijk~9051".into()))
        .add_extra_param("MedMij-Request-ID", "req-from-query")
        .add_extra_param("X-Correlation-ID", "corr-from-query")
        .url();
    let resp = setup.browser().get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["medmij-request-id"], "req-from-query");
    let seen = setup.auth.take();
    assert_eq!(seen[0].header("medmij-request-id"), Some("req-from-query"));
    assert_eq!(seen[0].header("x-correlation-id"), Some("corr-from-query"));
    let records = setup.audit_records().await;
    assert_eq!(records[0]["request_id"], "req-from-query");
    assert_eq!(records[0]["correlation_id"], "corr-from-query");
}

#[tokio::test]
async fn request_id_headers_on_the_token_endpoint_are_passed_on() {
    let setup = Setup::start().await;
    let resp = setup
        .node(GLG_DVP)
        .post(setup.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("medmij-request-id", "req-tok")
        .header("x-correlation-id", "corr-tok")
        .header("x-medmij-client", "spoofed")
        .body("grant_type=refresh_token&refresh_token=r")
        .send()
        .await
        .unwrap();
    // The authorization server knows no such refresh token; its answer comes back as is.
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["medmij-request-id"], "req-tok");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let seen = setup.auth.take();
    assert_eq!(seen[0].header("medmij-request-id"), Some("req-tok"));
    assert_eq!(seen[0].header("x-correlation-id"), Some("corr-tok"));
    assert_eq!(seen[0].header("x-medmij-client"), None);
    assert_eq!(
        &seen[0].body[..],
        b"grant_type=refresh_token&refresh_token=r"
    );
}

/// How every whitelist refusal explains itself, before its detail.
const WHL_TEXT: &str = "the client certificate host is not on the MedMij whitelist";

/// A code obtained through the front channel for GLG_DVP, as a browser would get it.
async fn code_for_glg_dvp(setup: &Setup) -> String {
    let (url, _) = dvp(setup, GLG_DVP)
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("umcharderwijk~9051".into()))
        .url();
    let resp = setup.browser().get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(setup.auth.take().len(), 1);
    query_of(&location)["code"].clone()
}

/// The RFC 6749 §5.2 answer of a whitelist refusal at the token endpoint.
async fn assert_token_refused_by_whitelist(resp: reqwest::Response, detail: &str) {
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(
        body["error_description"].as_str().unwrap(),
        format!("whitelist_denied: {WHL_TEXT} ({detail})")
    );
}

/// The FHIR answer of a whitelist refusal at the resource endpoint.
async fn assert_resource_refused_by_whitelist(resp: reqwest::Response, detail: &str) {
    assert_eq!(resp.status(), 403);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body["issue"][0]["diagnostics"].as_str().unwrap(),
        format!("whitelist_denied: {WHL_TEXT} ({detail})")
    );
}

fn token_form(code: &str) -> String {
    format!(
        "grant_type=authorization_code&code={code}&client_id={GLG_DVP}\
         &redirect_uri=https%3A%2F%2F{GLG_DVP}%2Fcb"
    )
}

#[tokio::test]
async fn a_dvp_whose_certificate_host_is_off_the_whitelist_is_refused_at_token_and_resource() {
    let setup = Setup::start().await;
    let code = code_for_glg_dvp(&setup).await;
    let node = setup.node(OFF_WHL);

    let result = dvp(&setup, GLG_DVP)
        .exchange_code(AuthorizationCode::new(code.clone()))
        .request_async(&node)
        .await;
    let Err(RequestTokenError::ServerResponse(err)) = result else {
        panic!("expected an error response, got {result:?}");
    };
    assert_eq!(*err.error(), BasicErrorResponseType::InvalidClient);
    let detail = format!("certificate host {OFF_WHL} is not on the whitelist");
    let resp = node
        .post(setup.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(token_form(&code))
        .send()
        .await
        .unwrap();
    assert_token_refused_by_whitelist(resp, &detail).await;
    assert!(setup.auth.take().is_empty());

    let resp = node
        .get(setup.url("/fhir-glg/Patient"))
        .bearer_auth(setup.token_for(GLG_DVP, "umcharderwijk~9051"))
        .send()
        .await
        .unwrap();
    assert_resource_refused_by_whitelist(resp, &detail).await;
    assert!(setup.upstream.take().is_empty());

    let records = setup.audit_records().await;
    let token = records.iter().find(|r| r["kind"] == "token").unwrap();
    assert_eq!(token["decision"], "deny");
    assert_eq!(token["reason"], "whitelist_denied");
    assert_eq!(token["status"], 401);
    assert_eq!(token["cert_host"], OFF_WHL);
    let resource = records.iter().find(|r| r["kind"] == "resource").unwrap();
    assert_eq!(resource["decision"], "deny");
    assert_eq!(resource["reason"], "whitelist_denied");
    assert_eq!(resource["status"], 403);
    assert_eq!(resource["cert_host"], OFF_WHL);
}

#[tokio::test]
async fn the_front_channel_needs_no_certificate_but_token_and_resource_requests_do() {
    let setup = Setup::start().await;
    // The browser's authorize request, certificate-less, went through: a code came back.
    let code = code_for_glg_dvp(&setup).await;
    let browser = setup.browser();
    let detail = "no client certificate host to check against the whitelist";

    let resp = browser
        .post(setup.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(token_form(&code))
        .send()
        .await
        .unwrap();
    assert_token_refused_by_whitelist(resp, detail).await;
    assert!(setup.auth.take().is_empty());

    let resp = browser
        .get(setup.url("/fhir-glg/Patient"))
        .bearer_auth(setup.token_for(GLG_DVP, "umcharderwijk~9051"))
        .send()
        .await
        .unwrap();
    assert_resource_refused_by_whitelist(resp, detail).await;
    assert!(setup.upstream.take().is_empty());

    let records = setup.audit_records().await;
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "authorize" && r["decision"] == "allow")
    );
    let back_channel: Vec<(&str, &str, Option<&str>)> = records
        .iter()
        .filter(|r| r["kind"] != "authorize")
        .map(|r| {
            (
                r["kind"].as_str().unwrap(),
                r["decision"].as_str().unwrap(),
                r["reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        back_channel,
        [
            ("token", "deny", Some("whitelist_denied")),
            ("resource", "deny", Some("whitelist_denied")),
        ]
    );
    assert!(records.iter().all(|r| r["cert_host"].is_null()));
}
