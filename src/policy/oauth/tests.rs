//! Table tests for the OAuth decisions: every error path of the authorize and token
//! endpoints, the no-redirect cases, the endpoint index and the error mapping.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::config::{self, Config};
use crate::glg::Glg;
use crate::lists::{
    EndpointUri, ListHeader, OAuthClient, Ocl, Systeemrol, Volgnummer, Zal, ZalService,
    Zorgaanbieder,
};
use crate::snapshot::{ListSet, LoadTimes, Snapshot};

const GLG_DVP: &str = "medmij.deenigeechtepgo.nl";
const OTHER_DVP: &str = "pgocluster68.personalhealthprovider.net";
/// Later OCL form, qualified for 51 only.
const NARROW_DVP: &str = "app.kleinepgo.nl";
const AUTHORIZE: &str = "https://auth.dvza.nl/oauth/authorize";
const TOKEN: &str = "https://auth.dvza.nl/oauth/token";
const GLOBAL_AS: &str = "http://127.0.0.1:8082/";
const AMSTEL_AS: &str = "http://127.0.0.1:8086/";

fn endpoint(uri: &str) -> EndpointUri {
    let url = url::Url::parse(uri).unwrap();
    EndpointUri {
        uri: uri.into(),
        host: url.host_str().unwrap().into(),
        port: url.port(),
        path: url.path().trim_end_matches('/').into(),
    }
}

fn service(id: &str, authorize: &str, token: &str) -> ZalService {
    ZalService {
        id: id.into(),
        interfaceversie: None,
        authorization_endpoint: endpoint(authorize),
        token_endpoint: endpoint(token),
        systeemrollen: vec![Systeemrol {
            code: "ROL".into(),
            resource_endpoint: endpoint(&format!("https://fhir.dvza.nl/{id}")),
        }],
    }
}

fn za(naam: &str, services: Vec<ZalService>) -> (Box<str>, Zorgaanbieder) {
    let naam: Box<str> = naam.into();
    (naam.clone(), Zorgaanbieder { naam, services })
}

fn header() -> ListHeader {
    ListHeader {
        tijdstempel: "2026-12-01T10:00:00+01:00".parse().unwrap(),
        volgnummer: Volgnummer::parse("7").unwrap(),
    }
}

fn zal() -> Zal {
    let shared = |id: &str| service(id, AUTHORIZE, TOKEN);
    Zal {
        header: header(),
        zorgaanbieders: HashMap::from([
            za(
                "umcharderwijk@medmij",
                vec![
                    shared("48"),
                    shared("51"),
                    shared("9051"),
                    shared("9048"),
                    service(
                        "4",
                        "https://lab.dvza.nl/authorize",
                        "https://lab.dvza.nl/token",
                    ),
                ],
            ),
            za("ziekenhuisamstelland@medmij", vec![shared("51")]),
            za("elderszorg@medmij", vec![shared("51")]),
        ]),
    }
}

fn client(host: &str, ids: Option<&[&str]>) -> (Box<str>, OAuthClient) {
    (
        host.into(),
        OAuthClient {
            hostname: host.into(),
            organisatienaam: "Een PGO".into(),
            gegevensdiensten: ids.map(|ids| ids.iter().map(|&i| i.into()).collect::<HashSet<_>>()),
        },
    )
}

fn ocl() -> Ocl {
    Ocl {
        header: header(),
        clients: HashMap::from([
            client(GLG_DVP, None),
            client(OTHER_DVP, None),
            client(NARROW_DVP, Some(&["51"])),
        ]),
    }
}

fn glg(id: &str, copy: &str, original: &str, dates: [&str; 2]) -> Glg {
    Glg {
        id: id.into(),
        provider: "umcharderwijk@medmij".into(),
        copy_service: copy.into(),
        original_service: original.into(),
        dvps: vec![GLG_DVP.into()],
        start: dates[0].parse().unwrap(),
        end: dates[1].parse().unwrap(),
        extended_until: None,
    }
}

fn provider(name: &str, authorization_server: Option<&str>) -> config::Provider {
    config::Provider {
        name: name.into(),
        upstream: "http://127.0.0.1:8081/fhir".parse().unwrap(),
        services: BTreeMap::new(),
        authorization_server: authorization_server.map(|u| u.parse().unwrap()),
    }
}

/// `global`: `[authorization_server] upstream`; `amstel`: that provider's own server.
fn config(match_host: bool, global: Option<&str>, amstel: Option<&str>) -> Config {
    Config {
        path: None,
        server: config::Server {
            listen: "127.0.0.1:0".parse().unwrap(),
            admin_listen: "127.0.0.1:0".parse().unwrap(),
            match_host,
            request_timeout: Duration::from_secs(55),
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16384,
            max_body_bytes: 10 << 20,
            tls: None,
        },
        lists: config::Lists {
            zal: config::Source::File("zal.xml".into()),
            ocl: config::Source::File("ocl.xml".into()),
            whl: None,
            gnl: None,
            refresh_interval: Duration::from_secs(300),
            max_stale: Duration::from_secs(86400),
        },
        tokens: config::Tokens {
            mode: config::TokenMode::Jwt,
            issuer: "https://auth.example.nl".into(),
            audience: None,
            algorithms: vec![jsonwebtoken::Algorithm::ES256],
            jwks: Some(config::Source::File("jwks.json".into())),
            leeway: Duration::from_secs(30),
            scope_claim: "scope".into(),
            client_claim: "client_id".into(),
            forward_authorization: true,
            introspection: None,
        },
        authorization_server: global.map(|u| config::AuthorizationServer {
            upstream: u.parse().unwrap(),
        }),
        providers: vec![
            provider("umcharderwijk@medmij", None),
            provider("ziekenhuisamstelland@medmij", amstel),
        ],
        glgs: vec![
            glg("glg-umch-51", "9051", "51", ["2026-11-01", "2027-01-31"]),
            glg("glg-umch-48", "9048", "48", ["2026-03-01", "2026-05-31"]),
        ],
        audit: config::Audit {
            path: "audit.jsonl".into(),
            mode: config::AuditMode::Durable,
        },
    }
}

fn snapshot_with(match_host: bool, global: Option<&str>, amstel: Option<&str>) -> Snapshot {
    Snapshot::new(
        Arc::new(config(match_host, global, amstel)),
        ListSet {
            zal: Arc::new(zal()),
            ocl: Arc::new(ocl()),
            whl: None,
            gnl: None,
            loaded_at: LoadTimes::all(now()),
        },
    )
}

fn snapshot() -> Snapshot {
    snapshot_with(true, Some(GLOBAL_AS), Some(GLOBAL_AS))
}

/// 2026-12-03 12:00 in Amsterdam.
fn now() -> DateTime<Utc> {
    "2026-12-03T11:00:00Z".parse().unwrap()
}

fn authorize_at(snap: &Snapshot, url: &str, method: http::Method) -> AuthorizeDecision {
    let url = url::Url::parse(url).unwrap();
    let ep = snap
        .oauth_endpoint(url.host_str(), url.path())
        .expect("an authorization endpoint");
    assert_eq!(ep.kind, EndpointKind::Authorize);
    decide_authorize(snap, &ep, &method, url.query(), now())
}

/// An authorize URL with these parameters; `None` leaves a parameter out.
fn query(client: Option<&str>, redirect: Option<&str>, rest: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(c) = client {
        q.append_pair("client_id", c);
    }
    if let Some(r) = redirect {
        q.append_pair("redirect_uri", r);
    }
    format!("{AUTHORIZE}?{}{rest}", q.finish())
}

fn good(client: &str, scope: &str) -> String {
    let redirect = format!("https://{client}/cb");
    query(
        Some(client),
        Some(&redirect),
        &format!("&response_type=code&state=st-1&scope={scope}"),
    )
}

enum Expect {
    Page(Reason),
    Redirect(Reason),
}

#[test]
fn authorize_error_paths_answer_with_a_page_or_a_redirect_as_the_table_says() {
    let glg_cb = format!("https://{GLG_DVP}/cb");
    let base = "&response_type=code&state=st-1&scope=umcharderwijk~51";
    let cases: Vec<(&str, String, Expect)> = vec![
        (
            "no client_id",
            query(None, Some(&glg_cb), base),
            Expect::Page(Reason::OauthRequestInvalid),
        ),
        (
            "client_id repeated",
            query(
                Some(GLG_DVP),
                Some(&glg_cb),
                &format!("{base}&client_id={GLG_DVP}"),
            ),
            Expect::Page(Reason::OauthRequestInvalid),
        ),
        (
            "unknown client",
            query(
                Some("pgo.onbekend.nl"),
                Some("https://pgo.onbekend.nl/cb"),
                base,
            ),
            Expect::Page(Reason::ClientUnknown),
        ),
        (
            "missing redirect_uri",
            query(Some(GLG_DVP), None, base),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "foreign redirect_uri",
            query(Some(GLG_DVP), Some("https://evil.example.com/cb"), base),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "redirect_uri with a query",
            query(Some(GLG_DVP), Some(&format!("{glg_cb}?x=1")), base),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "redirect_uri with a fragment",
            query(Some(GLG_DVP), Some(&format!("{glg_cb}#x")), base),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "redirect_uri over http",
            query(Some(GLG_DVP), Some(&format!("http://{GLG_DVP}/cb")), base),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "redirect_uri on a host that merely starts with the client_id",
            query(
                Some(GLG_DVP),
                Some(&format!("https://{GLG_DVP}.evil.nl/cb")),
                base,
            ),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "redirect_uri with user info",
            query(
                Some(GLG_DVP),
                Some(&format!("https://{GLG_DVP}@evil.nl/cb")),
                base,
            ),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "redirect_uri with a port",
            query(
                Some(GLG_DVP),
                Some(&format!("https://{GLG_DVP}:8443/cb")),
                base,
            ),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "redirect_uri repeated",
            query(
                Some(GLG_DVP),
                Some(&glg_cb),
                &format!("{base}&redirect_uri={glg_cb}"),
            ),
            Expect::Page(Reason::RedirectUriInvalid),
        ),
        (
            "no response_type",
            query(
                Some(GLG_DVP),
                Some(&glg_cb),
                "&state=st-1&scope=umcharderwijk~51",
            ),
            Expect::Redirect(Reason::OauthRequestInvalid),
        ),
        (
            "response_type token",
            query(
                Some(GLG_DVP),
                Some(&glg_cb),
                "&response_type=token&state=st-1&scope=umcharderwijk~51",
            ),
            Expect::Redirect(Reason::ResponseTypeUnsupported),
        ),
        (
            "no state",
            query(
                Some(GLG_DVP),
                Some(&glg_cb),
                "&response_type=code&scope=umcharderwijk~51",
            ),
            Expect::Redirect(Reason::OauthRequestInvalid),
        ),
        (
            "state repeated",
            query(Some(GLG_DVP), Some(&glg_cb), &format!("{base}&state=st-2")),
            Expect::Redirect(Reason::OauthRequestInvalid),
        ),
        (
            "scope repeated",
            query(
                Some(GLG_DVP),
                Some(&glg_cb),
                &format!("{base}&scope=umcharderwijk~48"),
            ),
            Expect::Redirect(Reason::OauthRequestInvalid),
        ),
        (
            "no scope",
            query(
                Some(GLG_DVP),
                Some(&glg_cb),
                "&response_type=code&state=st-1",
            ),
            Expect::Redirect(Reason::ScopeMalformed),
        ),
        (
            "malformed scope",
            good(GLG_DVP, "umcharderwijk~51~2"),
            Expect::Redirect(Reason::ScopeMalformed),
        ),
        (
            "ZA not on the ZAL",
            good(GLG_DVP, "onbekend~51"),
            Expect::Redirect(Reason::ProviderUnknown),
        ),
        (
            "ZA not served",
            good(GLG_DVP, "elderszorg~51"),
            Expect::Redirect(Reason::ProviderNotServed),
        ),
        (
            "one of two ids not offered",
            good(GLG_DVP, "umcharderwijk~51+umcharderwijk~77"),
            Expect::Redirect(Reason::ServiceNotOffered),
        ),
        (
            "an id whose authorization endpoint is another",
            good(GLG_DVP, "umcharderwijk~4"),
            Expect::Redirect(Reason::EndpointMismatch),
        ),
        (
            "copy service of an ended GLG",
            good(GLG_DVP, "umcharderwijk~9048"),
            Expect::Redirect(Reason::GlgNotActive),
        ),
        (
            "copy service, client not a GLG DVP",
            good(OTHER_DVP, "umcharderwijk~9051"),
            Expect::Redirect(Reason::CopyServiceNotGlgDvp),
        ),
        (
            "client not qualified for one id",
            good(NARROW_DVP, "umcharderwijk~51+umcharderwijk~48"),
            Expect::Redirect(Reason::ClientNotQualified),
        ),
    ];
    let snap = snapshot();
    for (name, url, expect) in cases {
        let d = authorize_at(&snap, &url, http::Method::GET);
        match expect {
            Expect::Page(reason) => {
                assert_eq!(d.outcome, AuthorizeOutcome::Page, "{name}");
                assert_eq!(d.reason, Some(reason), "{name}");
            }
            Expect::Redirect(reason) => {
                assert!(
                    matches!(&d.outcome, AuthorizeOutcome::Redirect { redirect_uri, .. }
                        if redirect_uri.starts_with("https://") && redirect_uri.ends_with("/cb")),
                    "{name}: {:?}",
                    d.outcome
                );
                assert_eq!(d.reason, Some(reason), "{name}");
            }
        }
    }
}

#[test]
fn a_glg_dvp_is_allowed_the_copy_service_and_the_decision_names_the_original() {
    let d = authorize_at(
        &snapshot(),
        &good(GLG_DVP, "umcharderwijk~9051"),
        http::Method::GET,
    );
    assert_eq!(
        d.outcome,
        AuthorizeOutcome::Allow {
            upstream: GLOBAL_AS.into(),
            redirect_uri: format!("https://{GLG_DVP}/cb"),
            state: Some("st-1".into()),
        }
    );
    assert_eq!(d.reason, None);
    assert_eq!(d.client.as_deref(), Some(GLG_DVP));
    assert_eq!(d.provider.as_deref(), Some("umcharderwijk@medmij"));
    assert_eq!(d.requested_services, ["9051"]);
    assert_eq!(d.effective_services, ["51"]);
    assert_eq!(d.glgs, ["glg-umch-51"]);
}

#[test]
fn a_redirect_keeps_the_state_of_the_request() {
    let d = authorize_at(
        &snapshot(),
        &good(OTHER_DVP, "umcharderwijk~9051"),
        http::Method::GET,
    );
    assert_eq!(
        d.outcome,
        AuthorizeOutcome::Redirect {
            redirect_uri: format!("https://{OTHER_DVP}/cb"),
            state: Some("st-1".into()),
        }
    );
}

#[test]
fn an_authorize_post_gets_the_page_because_its_parameters_are_not_in_the_query() {
    let d = authorize_at(
        &snapshot(),
        &good(GLG_DVP, "umcharderwijk~51"),
        http::Method::POST,
    );
    assert_eq!(d.outcome, AuthorizeOutcome::Page);
    assert_eq!(d.reason, Some(Reason::OauthRequestInvalid));
}

#[test]
fn a_provider_without_any_authorization_server_is_answered_with_server_error() {
    let snap = snapshot_with(true, None, None);
    let d = authorize_at(&snap, &good(GLG_DVP, "umcharderwijk~51"), http::Method::GET);
    assert_eq!(d.reason, Some(Reason::UpstreamUnavailable));
    assert!(matches!(d.outcome, AuthorizeOutcome::Redirect { .. }));
    assert_eq!(
        oauth_error(EndpointKind::Authorize, Reason::UpstreamUnavailable),
        OAuthAnswer {
            error: OAuthError::ServerError,
            status: 502
        }
    );
}

#[test]
fn a_providers_own_authorization_server_wins_over_the_global_one() {
    let snap = snapshot_with(true, Some(GLOBAL_AS), Some(AMSTEL_AS));
    let d = authorize_at(
        &snap,
        &good(GLG_DVP, "ziekenhuisamstelland~51"),
        http::Method::GET,
    );
    assert!(
        matches!(&d.outcome, AuthorizeOutcome::Allow { upstream, .. } if upstream == AMSTEL_AS),
        "{:?}",
        d.outcome
    );
}

#[test]
fn the_endpoint_index_finds_the_endpoint_on_its_host_only_when_match_host() {
    let snap = snapshot();
    let ep = snap
        .oauth_endpoint(Some("AUTH.dvza.nl:443"), "/oauth/authorize")
        .unwrap();
    assert_eq!(ep.kind, EndpointKind::Authorize);
    assert_eq!(
        ep.providers,
        ["umcharderwijk@medmij", "ziekenhuisamstelland@medmij"]
    );
    assert_eq!(
        snap.oauth_endpoint(Some("other.nl"), "/oauth/authorize"),
        None
    );
    assert_eq!(
        snap.oauth_endpoint(Some("auth.dvza.nl"), "/oauth/authorize/x"),
        None
    );
    assert_eq!(snap.oauth_endpoint(Some("fhir.dvza.nl"), "/51"), None);
    let loose = snapshot_with(false, Some(GLOBAL_AS), None);
    let ep = loose
        .oauth_endpoint(Some("127.0.0.1:8080"), "/oauth/token")
        .unwrap();
    assert_eq!(ep.kind, EndpointKind::Token);
}

#[test]
fn the_endpoint_index_leaves_out_providers_that_are_not_served() {
    let snap = snapshot();
    let ep = snap
        .oauth_endpoint(Some("lab.dvza.nl"), "/authorize")
        .unwrap();
    assert_eq!(ep.providers, ["umcharderwijk@medmij"]);
    let ep = snap
        .oauth_endpoint(Some("auth.dvza.nl"), "/oauth/token")
        .unwrap();
    assert!(!ep.providers.contains(&"elderszorg@medmij"));
}

fn token_at(
    snap: &Snapshot,
    method: http::Method,
    content_type: Option<&str>,
    body: &str,
) -> TokenDecision {
    let ep = snap
        .oauth_endpoint(Some("auth.dvza.nl"), "/oauth/token")
        .unwrap();
    let req = TokenRequest {
        method: &method,
        content_type,
        body: body.as_bytes(),
    };
    decide_token(snap, &ep, &req)
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=UTF-8");

#[test]
fn token_error_paths_give_the_reasons_of_the_table() {
    let code = "grant_type=authorization_code&code=c&redirect_uri=https%3A%2F%2Fx%2Fcb";
    let cases: Vec<(&str, http::Method, Option<&str>, String, Reason)> = vec![
        (
            "GET",
            http::Method::GET,
            FORM,
            code.into(),
            Reason::OauthRequestInvalid,
        ),
        (
            "JSON body",
            http::Method::POST,
            Some("application/json"),
            code.into(),
            Reason::OauthRequestInvalid,
        ),
        (
            "no content type",
            http::Method::POST,
            None,
            code.into(),
            Reason::OauthRequestInvalid,
        ),
        (
            "no grant_type",
            http::Method::POST,
            FORM,
            "code=c".into(),
            Reason::OauthRequestInvalid,
        ),
        (
            "grant_type repeated",
            http::Method::POST,
            FORM,
            format!("{code}&grant_type=refresh_token"),
            Reason::OauthRequestInvalid,
        ),
        (
            "password grant",
            http::Method::POST,
            FORM,
            "grant_type=password&username=u".into(),
            Reason::GrantTypeUnsupported,
        ),
        (
            "client_credentials grant",
            http::Method::POST,
            FORM,
            "grant_type=client_credentials".into(),
            Reason::GrantTypeUnsupported,
        ),
        (
            "unknown client",
            http::Method::POST,
            FORM,
            format!("{code}&client_id=pgo.onbekend.nl"),
            Reason::ClientUnknown,
        ),
        (
            "client_id repeated",
            http::Method::POST,
            FORM,
            format!("{code}&client_id={GLG_DVP}&client_id={GLG_DVP}"),
            Reason::OauthRequestInvalid,
        ),
    ];
    let snap = snapshot();
    for (name, method, content_type, body, reason) in cases {
        let d = token_at(&snap, method, content_type, &body);
        assert_eq!(d.reason, Some(reason), "{name}");
        assert_eq!(d.upstream, None, "{name}");
    }
}

#[test]
fn a_code_exchange_by_a_known_client_is_allowed_to_the_authorization_server() {
    let body = format!("grant_type=authorization_code&code=c&client_id={GLG_DVP}");
    let d = token_at(&snapshot(), http::Method::POST, FORM, &body);
    assert_eq!(d.reason, None);
    assert_eq!(d.upstream.as_deref(), Some(GLOBAL_AS));
    assert_eq!(d.client.as_deref(), Some(GLG_DVP));
    // The endpoint is shared by two providers, so none is named.
    assert_eq!(d.provider, None);
}

#[test]
fn a_refresh_without_client_id_is_allowed() {
    let d = token_at(
        &snapshot(),
        http::Method::POST,
        FORM,
        "grant_type=refresh_token&refresh_token=r",
    );
    assert_eq!(d.reason, None);
    assert_eq!(d.client, None);
}

#[test]
fn a_token_endpoint_shared_by_providers_with_different_servers_is_not_forwarded() {
    let snap = snapshot_with(true, Some(GLOBAL_AS), Some(AMSTEL_AS));
    let d = token_at(
        &snap,
        http::Method::POST,
        FORM,
        "grant_type=refresh_token&refresh_token=r",
    );
    assert_eq!(d.reason, Some(Reason::UpstreamUnavailable));
}

#[test]
fn a_token_endpoint_of_one_provider_names_it() {
    let snap = snapshot();
    let ep = snap.oauth_endpoint(Some("lab.dvza.nl"), "/token").unwrap();
    let req = TokenRequest {
        method: &http::Method::POST,
        content_type: FORM,
        body: b"grant_type=refresh_token&refresh_token=r",
    };
    let d = decide_token(&snap, &ep, &req);
    assert_eq!(d.provider.as_deref(), Some("umcharderwijk@medmij"));
}

#[test]
fn an_unknown_client_is_unauthorized_on_authorize_and_invalid_with_401_on_token() {
    assert_eq!(
        oauth_error(EndpointKind::Authorize, Reason::ClientUnknown).error,
        OAuthError::UnauthorizedClient
    );
    assert_eq!(
        oauth_error(EndpointKind::Token, Reason::ClientUnknown),
        OAuthAnswer {
            error: OAuthError::InvalidClient,
            status: 401
        }
    );
}

#[test]
fn scope_za_service_glg_and_qualification_problems_are_invalid_scope() {
    for reason in [
        Reason::ScopeMalformed,
        Reason::ProviderUnknown,
        Reason::ProviderNotServed,
        Reason::ServiceNotOffered,
        Reason::EndpointMismatch,
        Reason::GlgNotActive,
        Reason::CopyServiceNotGlgDvp,
        Reason::ClientNotQualified,
    ] {
        assert_eq!(
            oauth_error(EndpointKind::Authorize, reason),
            OAuthAnswer {
                error: OAuthError::InvalidScope,
                status: 400
            },
            "{reason}"
        );
    }
}

#[test]
fn the_oauth_specific_reasons_map_to_their_rfc_6749_errors() {
    let a = |r| oauth_error(EndpointKind::Authorize, r).error;
    let t = |r| oauth_error(EndpointKind::Token, r).error;
    assert_eq!(
        a(Reason::ResponseTypeUnsupported),
        OAuthError::UnsupportedResponseType
    );
    assert_eq!(a(Reason::OauthRequestInvalid), OAuthError::InvalidRequest);
    assert_eq!(a(Reason::RedirectUriInvalid), OAuthError::InvalidRequest);
    assert_eq!(
        t(Reason::GrantTypeUnsupported),
        OAuthError::UnsupportedGrantType
    );
    assert_eq!(t(Reason::WhitelistDenied), OAuthError::InvalidClient);
}

#[test]
fn server_side_failures_keep_their_5xx_status() {
    for (reason, error, status) in [
        (
            Reason::ListsUnavailable,
            OAuthError::TemporarilyUnavailable,
            503,
        ),
        (
            Reason::UpstreamTimeout,
            OAuthError::TemporarilyUnavailable,
            504,
        ),
        (
            Reason::AuditUnavailable,
            OAuthError::TemporarilyUnavailable,
            503,
        ),
        (Reason::UpstreamUnavailable, OAuthError::ServerError, 502),
    ] {
        assert_eq!(
            oauth_error(EndpointKind::Token, reason),
            OAuthAnswer { error, status }
        );
    }
}

#[test]
fn every_reason_maps_to_400_401_or_its_own_5xx() {
    for kind in [EndpointKind::Authorize, EndpointKind::Token] {
        for reason in Reason::ALL {
            let answer = oauth_error(kind, reason);
            assert!(
                answer.status == 400 || answer.status == 401 || answer.status == reason.status(),
                "{reason}"
            );
        }
    }
}

#[test]
fn an_empty_parameter_counts_as_missing_and_a_repeated_one_as_repeated() {
    let p = Params::parse(b"a=&b=1&b=2&c=3");
    assert_eq!(p.get("a"), Param::Missing);
    assert_eq!(p.get("b"), Param::Repeated);
    assert_eq!(p.get("c"), Param::One("3"));
    assert_eq!(p.get("d"), Param::Missing);
}
