//! The one place that turns a denial into an HTTP response (SPEC §7), and the gateway's
//! response [`Body`] type.
//!
//! [`deny`] maps a [`Reason`] to its status, `WWW-Authenticate` challenge (RFC 6750 §3),
//! `Retry-After` (503 only), `MedMij-Request-ID`, `Cache-Control: no-store` and a FHIR R4
//! `OperationOutcome` whose `diagnostics` begins with the reason code. The human text comes
//! from a closed table here; the optional `detail` is the caller's, and callers must never
//! pass a token, a secret or a body in it (it is shortened to [`MAX_DETAIL_CHARS`] and
//! control characters are dropped, as a last guard).
//!
//! It does not decide anything and does not log: the proxy phases and the server call it.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full, combinators::UnsyncBoxBody};

use super::headers::MEDMIJ_REQUEST_ID;
use crate::reason::Reason;

/// Errors a body can yield anywhere in the gateway.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every request to an upstream and every response to a client: streamed,
/// `Send`, boxed once.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Longest `detail` kept in a diagnostics text.
pub const MAX_DETAIL_CHARS: usize = 200;

/// `Retry-After` seconds for reasons that only time can cure.
pub const RETRY_AFTER_LISTS_SECS: u32 = 30;
pub const RETRY_AFTER_AUDIT_SECS: u32 = 5;

const REALM: &str = "Bearer realm=\"scopegate\"";

/// A body holding `bytes` whole.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A body with nothing in it.
pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// The response for a denied request.
pub fn deny(reason: Reason, request_id: &str, detail: Option<&str>) -> Response<Body> {
    let diagnostics = match detail {
        Some(d) => format!("{}: {} ({})", reason.code(), human(reason), clean_detail(d)),
        None => format!("{}: {}", reason.code(), human(reason)),
    };
    let outcome = serde_json::json!({
        "resourceType": "OperationOutcome",
        "issue": [{
            "severity": "error",
            "code": reason.issue_code().code(),
            "diagnostics": diagnostics,
        }],
    });

    let mut response = Response::new(full(outcome.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(reason.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(challenge) = www_authenticate(reason) {
        headers.insert(header::WWW_AUTHENTICATE, challenge);
    }
    if let Some(secs) = retry_after(reason) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(MEDMIJ_REQUEST_ID, id);
    }
    response
}

/// `WWW-Authenticate` for a reason: realm only for `token_missing`, none for 5xx.
pub fn www_authenticate(reason: Reason) -> Option<HeaderValue> {
    let bearer = reason.bearer_error()?;
    let value = match bearer.code() {
        Some(code) => format!("{REALM}, error=\"{code}\""),
        None => REALM.to_owned(),
    };
    HeaderValue::from_str(&value).ok()
}

/// `Retry-After` seconds for a 503, `None` for every other status.
pub const fn retry_after(reason: Reason) -> Option<u32> {
    match reason {
        Reason::ListsUnavailable | Reason::TokenUnverifiable => Some(RETRY_AFTER_LISTS_SECS),
        Reason::AuditUnavailable => Some(RETRY_AFTER_AUDIT_SECS),
        Reason::WhitelistDenied
        | Reason::TokenMissing
        | Reason::TokenInQuery
        | Reason::TokenInvalid
        | Reason::TokenExpired
        | Reason::RequestMalformed
        | Reason::BodyTooLarge
        | Reason::ScopeMalformed
        | Reason::ClientUnknown
        | Reason::ProviderUnknown
        | Reason::ProviderNotServed
        | Reason::ServiceNotOffered
        | Reason::EndpointMismatch
        | Reason::EndpointAmbiguous
        | Reason::GlgNotActive
        | Reason::CopyServiceNotGlgDvp
        | Reason::ClientNotQualified
        | Reason::OauthRequestInvalid
        | Reason::RedirectUriInvalid
        | Reason::ResponseTypeUnsupported
        | Reason::GrantTypeUnsupported
        | Reason::UpstreamUnavailable
        | Reason::UpstreamTimeout => None,
    }
}

/// The human half of `diagnostics`; never carries request data.
pub const fn human(reason: Reason) -> &'static str {
    match reason {
        Reason::ListsUnavailable => "the MedMij lists are not loaded or too old",
        Reason::WhitelistDenied => "the client certificate host is not on the MedMij whitelist",
        Reason::TokenMissing => "no bearer token in the Authorization header",
        Reason::TokenInQuery => "an access token in the query or form body is not accepted",
        Reason::TokenInvalid => "the access token is not valid",
        Reason::TokenExpired => "the access token has expired",
        Reason::TokenUnverifiable => "the access token cannot be verified right now",
        Reason::RequestMalformed => "the request framing is ambiguous or malformed",
        Reason::BodyTooLarge => "the request body is larger than allowed",
        Reason::ScopeMalformed => "the token scope is not a well-formed MedMij scope",
        Reason::ClientUnknown => "the client is not on the OAuth client list",
        Reason::ProviderUnknown => "the zorgaanbieder is not on the zorgaanbiederslijst",
        Reason::ProviderNotServed => "the zorgaanbieder is not served by this gateway",
        Reason::ServiceNotOffered => "the zorgaanbieder does not offer the gegevensdienst",
        Reason::EndpointMismatch => "the URL is not an endpoint of a gegevensdienst in scope",
        Reason::EndpointAmbiguous => "the URL matches endpoints of several gegevensdiensten",
        Reason::GlgNotActive => "the gecontroleerde livegang of this copy service is not active",
        Reason::CopyServiceNotGlgDvp => "the client is not a DVP of this gecontroleerde livegang",
        Reason::ClientNotQualified => "the client is not qualified for the gegevensdienst",
        Reason::OauthRequestInvalid => "an OAuth parameter, method or content type is wrong",
        Reason::RedirectUriInvalid => "the redirect_uri is not an https URI on the client's host",
        Reason::ResponseTypeUnsupported => "the response_type is not code",
        Reason::GrantTypeUnsupported => "the grant_type is not authorization_code or refresh_token",
        Reason::UpstreamUnavailable => "the upstream could not be reached",
        Reason::UpstreamTimeout => "the upstream did not answer in time",
        Reason::AuditUnavailable => "the audit record could not be written",
    }
}

fn clean_detail(detail: &str) -> String {
    detail
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DETAIL_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_json(response: Response<Body>) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn header(response: &Response<Body>, name: &str) -> Option<String> {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn a_missing_token_is_challenged_with_the_realm_only() {
        let r = deny(Reason::TokenMissing, "id-1", None);
        assert_eq!(r.status(), 401);
        assert_eq!(
            header(&r, "www-authenticate").as_deref(),
            Some("Bearer realm=\"scopegate\"")
        );
    }

    #[test]
    fn an_expired_token_is_challenged_as_invalid_token() {
        let r = deny(Reason::TokenExpired, "id-1", None);
        assert_eq!(
            header(&r, "www-authenticate").as_deref(),
            Some("Bearer realm=\"scopegate\", error=\"invalid_token\"")
        );
    }

    #[test]
    fn a_forbidden_request_is_challenged_as_insufficient_scope() {
        let r = deny(Reason::GlgNotActive, "id-1", None);
        assert_eq!(r.status(), 403);
        assert_eq!(
            header(&r, "www-authenticate").as_deref(),
            Some("Bearer realm=\"scopegate\", error=\"insufficient_scope\"")
        );
    }

    #[test]
    fn a_bad_request_is_challenged_as_invalid_request() {
        let r = deny(Reason::RequestMalformed, "id-1", None);
        assert_eq!(r.status(), 400);
        assert_eq!(
            header(&r, "www-authenticate").as_deref(),
            Some("Bearer realm=\"scopegate\", error=\"invalid_request\"")
        );
    }

    #[test]
    fn server_side_failures_carry_no_challenge() {
        for reason in [
            Reason::UpstreamUnavailable,
            Reason::UpstreamTimeout,
            Reason::AuditUnavailable,
        ] {
            assert_eq!(
                deny(reason, "id", None).headers().get("www-authenticate"),
                None
            );
        }
    }

    #[test]
    fn only_503s_carry_retry_after() {
        for reason in Reason::ALL {
            let r = deny(reason, "id", None);
            assert_eq!(
                r.status() == 503,
                r.headers().contains_key("retry-after"),
                "{reason}"
            );
        }
        let r = deny(Reason::AuditUnavailable, "id", None);
        assert_eq!(header(&r, "retry-after").as_deref(), Some("5"));
        let r = deny(Reason::ListsUnavailable, "id", None);
        assert_eq!(header(&r, "retry-after").as_deref(), Some("30"));
    }

    #[test]
    fn every_denial_carries_request_id_no_store_and_fhir_json() {
        for reason in Reason::ALL {
            let r = deny(reason, "req-77", None);
            assert_eq!(r.status().as_u16(), reason.status());
            assert_eq!(header(&r, "medmij-request-id").as_deref(), Some("req-77"));
            assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
            assert_eq!(
                header(&r, "content-type").as_deref(),
                Some("application/fhir+json")
            );
        }
    }

    #[tokio::test]
    async fn the_body_is_an_operation_outcome_whose_diagnostics_begin_with_the_code() {
        for reason in Reason::ALL {
            let body = body_json(deny(reason, "id", None)).await;
            assert_eq!(body["resourceType"], "OperationOutcome");
            assert_eq!(body["issue"][0]["severity"], "error");
            assert_eq!(body["issue"][0]["code"], reason.issue_code().code());
            let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
            assert_eq!(diagnostics, format!("{}: {}", reason.code(), human(reason)));
        }
    }

    #[tokio::test]
    async fn a_detail_is_appended_without_control_characters_and_shortened() {
        let detail = format!("line\nbreak {}", "x".repeat(300));
        let body = body_json(deny(Reason::EndpointMismatch, "id", Some(&detail))).await;
        let diagnostics = body["issue"][0]["diagnostics"].as_str().unwrap();
        let expected: String = format!("linebreak {}", "x".repeat(300))
            .chars()
            .take(200)
            .collect();
        assert_eq!(
            diagnostics,
            format!(
                "endpoint_mismatch: {} ({expected})",
                human(Reason::EndpointMismatch)
            )
        );
    }

    #[test]
    fn an_unusable_request_id_is_left_out_rather_than_panicking() {
        let r = deny(Reason::TokenInvalid, "bad\nid", None);
        assert_eq!(r.headers().get("medmij-request-id"), None);
    }
}
