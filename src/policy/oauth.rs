//! The pure decisions for the OAuth endpoints (SPEC §9), and the one mapping from a
//! [`Reason`] to an OAuth error.
//!
//! - [`decide_authorize`]: the front channel. `client_id` on the OCL and a `redirect_uri`
//!   `https://<client_id>[/path]` come first; failing either, the answer is an error page and
//!   no redirect ([`AuthorizeOutcome::Page`]), because an unchecked redirect target is an
//!   open redirector. After that every failure is a redirect back to the client
//!   ([`AuthorizeOutcome::Redirect`]). The scope checks are §7 rows 6–9 and 11–13 for
//!   *every* id of the scope, in check order (row 9 first for all ids, then row 11, ...),
//!   plus the analogue of row 10: the scope's ZA must list the addressed endpoint as the
//!   `AuthorizationEndpointuri` of each id (`endpoint_mismatch`), so that one provider's
//!   authorization server never receives another's scope.
//! - [`decide_token`]: the back channel, after the proxy checked list freshness and the
//!   whitelist and read the (small) form body: `POST`, form content type, one `grant_type` of
//!   `authorization_code` or `refresh_token`, and a `client_id`, when the body has one, on
//!   the OCL.
//! - [`authorization_server`]: the upstream, the provider's `authorization_server` else
//!   `[authorization_server] upstream`. None configured, or a token endpoint shared by
//!   providers with different servers, is denied as `upstream_unavailable` (502, OAuth
//!   `server_error`): the gateway has nowhere safe to send the request, which is an operator
//!   problem, not the client's.
//! - [`oauth_error`]: every reason → OAuth error code and HTTP status, one exhaustive match.
//!   `invalid_scope` covers the scope, ZA, service, endpoint, GLG and qualification checks:
//!   the scope asks for something this client may not have. `unauthorized_client` (RFC 6749
//!   §4.1.2.1: the client may not use this grant at all) is what an unknown client means
//!   on the authorize endpoint; since an unknown client gets the error page before any
//!   redirect, scopegate itself never sends it in a redirect (the authorization server
//!   upstream still may). On the token endpoint an unknown client is `invalid_client` (401,
//!   RFC 6749 §5.2), as is a certificate host not on the whitelist.
//!
//! Parameters follow RFC 6749 §3.1: a parameter without a value is treated as absent, and a
//! repeated parameter is an error. Nothing here reads a clock, a socket or a file; the
//! proxy ([`crate::proxy`]) does that and builds the responses.

pub mod endpoints;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::glg::{self, CopyLookup};
use crate::reason::Reason;
use crate::scope::Scope;
use crate::snapshot::Snapshot;
pub use endpoints::{EndpointIndex, EndpointKind, OAuthEndpoint};

/// The OAuth error codes of RFC 6749 §4.1.2.1 and §5.2 scopegate answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    UnauthorizedClient,
    UnsupportedResponseType,
    UnsupportedGrantType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthError {
    pub const fn code(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::ServerError => "server_error",
            OAuthError::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// How a denial on an OAuth endpoint is answered: the error, and the HTTP status of a token
/// error or of the authorize error page (a redirect is always 302).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthAnswer {
    pub error: OAuthError,
    pub status: u16,
}

/// The one mapping from a reason to an OAuth error (see the module docs for the choices).
pub const fn oauth_error(kind: EndpointKind, reason: Reason) -> OAuthAnswer {
    let error = match reason {
        Reason::ListsUnavailable
        | Reason::TokenUnverifiable
        | Reason::UpstreamTimeout
        | Reason::AuditUnavailable => OAuthError::TemporarilyUnavailable,
        Reason::UpstreamUnavailable => OAuthError::ServerError,
        Reason::WhitelistDenied => OAuthError::InvalidClient,
        Reason::ClientUnknown => match kind {
            EndpointKind::Authorize => OAuthError::UnauthorizedClient,
            EndpointKind::Token => OAuthError::InvalidClient,
        },
        // Bearer-token reasons never arise on the OAuth endpoints; should one, it is the
        // request that is wrong.
        Reason::TokenMissing
        | Reason::TokenInQuery
        | Reason::TokenInvalid
        | Reason::TokenExpired
        | Reason::RequestMalformed
        | Reason::BodyTooLarge
        | Reason::OauthRequestInvalid
        | Reason::RedirectUriInvalid => OAuthError::InvalidRequest,
        Reason::ScopeMalformed
        | Reason::ProviderUnknown
        | Reason::ProviderNotServed
        | Reason::ServiceNotOffered
        | Reason::EndpointMismatch
        | Reason::EndpointAmbiguous
        | Reason::GlgNotActive
        | Reason::CopyServiceNotGlgDvp
        | Reason::ClientNotQualified => OAuthError::InvalidScope,
        Reason::ResponseTypeUnsupported => OAuthError::UnsupportedResponseType,
        Reason::GrantTypeUnsupported => OAuthError::UnsupportedGrantType,
    };
    let status = match error {
        OAuthError::InvalidClient => 401,
        OAuthError::ServerError | OAuthError::TemporarilyUnavailable => reason.status(),
        OAuthError::InvalidRequest
        | OAuthError::UnauthorizedClient
        | OAuthError::UnsupportedResponseType
        | OAuthError::UnsupportedGrantType
        | OAuthError::InvalidScope => 400,
    };
    OAuthAnswer { error, status }
}

/// One parameter of a query or form (RFC 6749 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param<'a> {
    /// Absent, or present with an empty value.
    Missing,
    One(&'a str),
    Repeated,
}

/// The decoded parameters of a query string or form body.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: HashMap<String, Vec<String>>,
}

impl Params {
    pub fn parse(input: &[u8]) -> Params {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(input) {
            if !v.is_empty() {
                values
                    .entry(k.into_owned())
                    .or_default()
                    .push(v.into_owned());
            }
        }
        Params { values }
    }

    pub fn get(&self, name: &str) -> Param<'_> {
        match self.values.get(name).map(Vec::as_slice) {
            None | Some([]) => Param::Missing,
            Some([one]) => Param::One(one),
            Some(_) => Param::Repeated,
        }
    }
}

/// What the front channel answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Forward the request unchanged to the authorization server base URL `upstream`;
    /// should forwarding fail, the client is sent back to `redirect_uri`.
    Allow {
        upstream: String,
        redirect_uri: String,
        state: Option<String>,
    },
    /// An error page, no redirect: the redirect target could not be trusted.
    Page,
    /// `302` to `redirect_uri` with `error`, `error_description` and `state` (when the
    /// request had exactly one).
    Redirect {
        redirect_uri: String,
        state: Option<String>,
    },
}

/// The decision on an authorize request, with what was learned for the audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeDecision {
    pub outcome: AuthorizeOutcome,
    pub reason: Option<Reason>,
    /// A sentence for humans; never holds a token, a code or a state.
    pub detail: Option<String>,
    pub client: Option<String>,
    /// The ZA the scope names (with `@medmij`), once the scope parsed.
    pub provider: Option<String>,
    /// The scope's gegevensdienst ids, in scope order, without repeats.
    pub requested_services: Vec<String>,
    /// The same ids with each live GLG copy service replaced by its original.
    pub effective_services: Vec<String>,
    /// The live GLGs whose copy services the scope asks for.
    pub glgs: Vec<String>,
}

impl AuthorizeDecision {
    fn page(mut self, reason: Reason, detail: String) -> AuthorizeDecision {
        self.outcome = AuthorizeOutcome::Page;
        self.reason = Some(reason);
        self.detail = Some(detail);
        self
    }
}

/// Decides an authorize request (SPEC §9, front channel) at `now`. `query` is the raw
/// query string; only `GET` carries its parameters there, so any other method is refused.
pub fn decide_authorize(
    snap: &Snapshot,
    ep: &OAuthEndpoint<'_>,
    method: &http::Method,
    query: Option<&str>,
    now: DateTime<Utc>,
) -> AuthorizeDecision {
    let d = AuthorizeDecision {
        outcome: AuthorizeOutcome::Page,
        reason: None,
        detail: None,
        client: None,
        provider: None,
        requested_services: Vec::new(),
        effective_services: Vec::new(),
        glgs: Vec::new(),
    };
    if method != http::Method::GET {
        let detail = format!("the authorization endpoint takes GET, not {method}");
        return d.page(Reason::OauthRequestInvalid, detail);
    }
    let params = Params::parse(query.unwrap_or_default().as_bytes());

    // No redirect before the client and its redirect_uri are known good.
    let client_id = match params.get("client_id") {
        Param::One(c) => c,
        Param::Missing => return d.page(Reason::OauthRequestInvalid, "no client_id".into()),
        Param::Repeated => {
            return d.page(Reason::OauthRequestInvalid, "client_id repeated".into());
        }
    };
    if snap.lists.ocl.get(client_id).is_none() {
        let detail = format!("client {client_id} is not on the OCL");
        return d.page(Reason::ClientUnknown, detail);
    }
    let d = AuthorizeDecision {
        client: Some(client_id.to_owned()),
        ..d
    };
    let redirect_uri = match params.get("redirect_uri") {
        Param::One(r) if redirect_uri_ok(r, client_id) => r,
        Param::One(_) => {
            let detail =
                format!("redirect_uri is not https://{client_id}[/path] without query or fragment");
            return d.page(Reason::RedirectUriInvalid, detail);
        }
        Param::Missing => return d.page(Reason::RedirectUriInvalid, "no redirect_uri".into()),
        Param::Repeated => {
            return d.page(Reason::RedirectUriInvalid, "redirect_uri repeated".into());
        }
    };

    let state = match params.get("state") {
        Param::One(s) => Some(s.to_owned()),
        Param::Missing | Param::Repeated => None,
    };
    let redirect_uri = redirect_uri.to_owned();
    let mut d = d;
    match authorize_checks(snap, ep, &params, client_id, now, &mut d) {
        Ok(upstream) => {
            d.outcome = AuthorizeOutcome::Allow {
                upstream,
                redirect_uri,
                state,
            };
        }
        Err((reason, detail)) => {
            d.outcome = AuthorizeOutcome::Redirect {
                redirect_uri,
                state,
            };
            d.reason = Some(reason);
            d.detail = Some(detail);
        }
    }
    d
}

type Denial = (Reason, String);

/// Everything after the redirect target is trusted; fills `d` with what it learns.
fn authorize_checks(
    snap: &Snapshot,
    ep: &OAuthEndpoint<'_>,
    params: &Params,
    client_id: &str,
    now: DateTime<Utc>,
    d: &mut AuthorizeDecision,
) -> Result<String, Denial> {
    let invalid = |what: &str| (Reason::OauthRequestInvalid, what.to_owned());
    match params.get("response_type") {
        Param::One("code") => {}
        Param::One(_) => {
            return Err((
                Reason::ResponseTypeUnsupported,
                "response_type is not code".into(),
            ));
        }
        Param::Missing => return Err(invalid("no response_type")),
        Param::Repeated => return Err(invalid("response_type repeated")),
    }
    match params.get("state") {
        Param::One(_) => {}
        Param::Missing => return Err(invalid("no state")),
        Param::Repeated => return Err(invalid("state repeated")),
    }
    let scope = match params.get("scope") {
        Param::One(s) => s,
        Param::Missing => "",
        Param::Repeated => return Err(invalid("scope repeated")),
    };

    // 5. scope well formed
    let scope = Scope::parse(scope).map_err(|e| (Reason::ScopeMalformed, format!("scope: {e}")))?;
    let provider_name = scope.provider();
    d.provider = Some(provider_name.clone());
    let ids = scope.service_ids();
    d.requested_services = ids.iter().map(|&id| id.to_owned()).collect();

    // 6. client on the OCL (found before any redirect)
    let Some(client) = snap.lists.ocl.get(client_id) else {
        return Err((
            Reason::ClientUnknown,
            format!("client {client_id} is not on the OCL"),
        ));
    };
    // 7. ZA on the ZAL
    let Some(za) = snap.lists.zal.get(&provider_name) else {
        return Err((
            Reason::ProviderUnknown,
            format!("{provider_name} is not on the ZAL"),
        ));
    };
    // 8. ZA served by this gateway
    let Some(provider) = snap.provider(&provider_name) else {
        let detail = format!("{provider_name} is not served by this gateway");
        return Err((Reason::ProviderNotServed, detail));
    };
    // 9. every scope id offered by the ZA
    if let Some(id) = ids.iter().find(|id| !za.offers(id)) {
        let detail = format!("{provider_name} does not offer {id}");
        return Err((Reason::ServiceNotOffered, detail));
    }
    // (10.) this is the authorization endpoint of every scope id
    if let Some(id) = ids
        .iter()
        .find(|id| !za.service(id).any(|s| ep.is(&s.authorization_endpoint)))
    {
        let detail = format!("this is not the authorization endpoint of {provider_name} for {id}");
        return Err((Reason::EndpointMismatch, detail));
    }
    // 11–12. copy services: GLG live today, client one of its DVPs
    let today = glg::amsterdam_today(now);
    for id in &ids {
        match glg::lookup_copy(&snap.config.glgs, &provider_name, id, today) {
            CopyLookup::NotACopy => d.effective_services.push((*id).to_owned()),
            CopyLookup::NotLive => {
                let detail =
                    format!("no GLG for copy service {id} of {provider_name} is live on {today}");
                return Err((Reason::GlgNotActive, detail));
            }
            CopyLookup::Live(g) => {
                d.glgs.push(g.id.clone());
                d.effective_services.push(g.original_service.clone());
            }
        }
    }
    for id in &ids {
        if let CopyLookup::Live(g) = glg::lookup_copy(&snap.config.glgs, &provider_name, id, today)
        {
            if !g.has_dvp(client_id) {
                let detail = format!("{client_id} is not a DVP of {}", g.id);
                return Err((Reason::CopyServiceNotGlgDvp, detail));
            }
        }
    }
    // 13. client qualified for every id
    if let Some(id) = ids.iter().find(|id| !client.qualified_for(id)) {
        let detail = format!("{client_id} is not qualified on the OCL for {id}");
        return Err((Reason::ClientNotQualified, detail));
    }
    authorization_server(snap, &[provider.name.as_str()])
}

/// `https://<client_id>` followed by nothing or by a path: no port, no user info, no query,
/// no fragment, no whitespace or control characters, and a parsable URL whose host is the
/// client's.
pub fn redirect_uri_ok(redirect_uri: &str, client_id: &str) -> bool {
    let Some(rest) = redirect_uri
        .strip_prefix("https://")
        .and_then(|r| r.strip_prefix(client_id))
    else {
        return false;
    };
    if !(rest.is_empty() || rest.starts_with('/'))
        || redirect_uri
            .bytes()
            .any(|b| b == b'?' || b == b'#' || b == b'\\' || b <= b' ' || b == 0x7f)
    {
        return false;
    }
    url::Url::parse(redirect_uri).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str() == Some(client_id)
            && u.port().is_none()
            && u.username().is_empty()
            && u.password().is_none()
    })
}

/// The parts of a token request the decision reads; the proxy has read the body already.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    pub method: &'a http::Method,
    /// The `Content-Type` header, if one.
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// The decision on a token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDecision {
    pub reason: Option<Reason>,
    pub detail: Option<String>,
    /// The body's `client_id`, when it had one.
    pub client: Option<String>,
    /// The one provider using this token endpoint; `None` when it is shared.
    pub provider: Option<String>,
    /// The authorization server base URL (allowed requests only).
    pub upstream: Option<String>,
}

/// Decides a token request (SPEC §9, back channel; list freshness and the whitelist are the
/// proxy's).
pub fn decide_token(
    snap: &Snapshot,
    ep: &OAuthEndpoint<'_>,
    req: &TokenRequest<'_>,
) -> TokenDecision {
    let mut d = TokenDecision {
        reason: None,
        detail: None,
        client: None,
        provider: match ep.providers.as_slice() {
            [one] => Some((*one).to_owned()),
            _ => None,
        },
        upstream: None,
    };
    match token_checks(snap, ep, req, &mut d) {
        Ok(upstream) => d.upstream = Some(upstream),
        Err((reason, detail)) => {
            d.reason = Some(reason);
            d.detail = Some(detail);
        }
    }
    d
}

fn token_checks(
    snap: &Snapshot,
    ep: &OAuthEndpoint<'_>,
    req: &TokenRequest<'_>,
    d: &mut TokenDecision,
) -> Result<String, Denial> {
    let invalid = |what: String| (Reason::OauthRequestInvalid, what);
    if req.method != http::Method::POST {
        return Err(invalid(format!(
            "the token endpoint takes POST, not {}",
            req.method
        )));
    }
    if !req.content_type.is_some_and(is_form) {
        return Err(invalid(
            "the body is not application/x-www-form-urlencoded".into(),
        ));
    }
    let params = Params::parse(req.body);
    match params.get("grant_type") {
        Param::One("authorization_code" | "refresh_token") => {}
        Param::One(_) => {
            let detail = "grant_type is not authorization_code or refresh_token".to_owned();
            return Err((Reason::GrantTypeUnsupported, detail));
        }
        Param::Missing => return Err(invalid("no grant_type".into())),
        Param::Repeated => return Err(invalid("grant_type repeated".into())),
    }
    match params.get("client_id") {
        Param::Missing => {}
        Param::Repeated => return Err(invalid("client_id repeated".into())),
        Param::One(client_id) => {
            d.client = Some(client_id.to_owned());
            if snap.lists.ocl.get(client_id).is_none() {
                let detail = format!("client {client_id} is not on the OCL");
                return Err((Reason::ClientUnknown, detail));
            }
        }
    }
    authorization_server(snap, &ep.providers)
}

/// `application/x-www-form-urlencoded`, parameters (a charset) allowed.
pub fn is_form(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|m| {
        m.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// The authorization server for requests of these providers: each one's
/// `authorization_server`, else `[authorization_server] upstream`; all must agree.
pub fn authorization_server(snap: &Snapshot, providers: &[&str]) -> Result<String, Denial> {
    let global = snap
        .config
        .authorization_server
        .as_ref()
        .map(|a| &a.upstream);
    let mut chosen: Option<&url::Url> = None;
    for name in providers {
        let own = snap
            .provider(name)
            .and_then(|p| p.authorization_server.as_ref());
        let Some(server) = own.or(global) else {
            let detail = format!("no authorization server is configured for {name}");
            return Err((Reason::UpstreamUnavailable, detail));
        };
        match chosen {
            Some(c) if c != server => {
                let detail =
                    "the endpoint is shared by providers with different authorization servers";
                return Err((Reason::UpstreamUnavailable, detail.into()));
            }
            _ => chosen = Some(server),
        }
    }
    chosen.map(|u| u.as_str().to_owned()).ok_or_else(|| {
        let detail = "the endpoint belongs to no served provider".to_owned();
        (Reason::UpstreamUnavailable, detail)
    })
}

#[cfg(test)]
mod tests;
