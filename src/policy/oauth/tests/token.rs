//! Token-endpoint decisions and the reason → OAuth error mapping.

use super::*;

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
