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
            upstream_ca: None,
        },
        lists: config::Lists {
            zal: config::Source::File("zal.xml".into()),
            ocl: config::Source::File("ocl.xml".into()),
            whl: None,
            gnl: None,
            refresh_interval: Duration::from_secs(300),
            max_stale: Duration::from_secs(86400),
            timeout: Duration::from_secs(30),
            max_bytes: 1 << 30,
            ca: None,
            client_cert: None,
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

mod token;
