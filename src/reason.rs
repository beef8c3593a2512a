//! The closed set of denial reasons (SPEC §7) and their one mapping to HTTP.
//!
//! Every denial anywhere in scopegate is a [`Reason`]; its stable snake_case name is what
//! responses, metrics, audit records and tests use. The mapping to status, `WWW-Authenticate`
//! error and OperationOutcome issue code lives here, in exhaustive matches, so that a new
//! reason cannot be forgotten. Building the HTTP response itself is the proxy's job.

use serde::Serialize;

/// Why a request was denied. The order of variants follows the check order of SPEC §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    ListsUnavailable,
    WhitelistDenied,
    TokenMissing,
    TokenInQuery,
    TokenInvalid,
    TokenExpired,
    /// The introspection endpoint or the JWKS could not be consulted: never a grant (503).
    TokenUnverifiable,
    /// Ambiguous or broken HTTP framing (e.g. both `Content-Length` and `Transfer-Encoding`).
    RequestMalformed,
    /// The request body exceeds `max_body_bytes`.
    BodyTooLarge,
    ScopeMalformed,
    ClientUnknown,
    ProviderUnknown,
    ProviderNotServed,
    ServiceNotOffered,
    EndpointMismatch,
    EndpointAmbiguous,
    GlgNotActive,
    CopyServiceNotGlgDvp,
    ClientNotQualified,
    /// OAuth (SPEC §9): a parameter of an authorize or token request is missing or repeated,
    /// or the method or content type is not the endpoint's.
    OauthRequestInvalid,
    /// OAuth (SPEC §9): `redirect_uri` missing or not `https://<client_id>[/path]`.
    RedirectUriInvalid,
    /// OAuth (SPEC §9): `response_type` other than `code`.
    ResponseTypeUnsupported,
    /// OAuth (SPEC §9): `grant_type` other than `authorization_code` or `refresh_token`.
    GrantTypeUnsupported,
    UpstreamUnavailable,
    UpstreamTimeout,
    AuditUnavailable,
}

/// The `error` attribute of `WWW-Authenticate` (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// 401 without an error attribute (no credentials were offered).
    None,
    InvalidToken,
    InsufficientScope,
    InvalidRequest,
}

/// `OperationOutcome.issue[0].code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueCode {
    Security,
    Invalid,
    Transient,
}

impl Reason {
    pub const ALL: [Reason; 26] = [
        Reason::ListsUnavailable,
        Reason::WhitelistDenied,
        Reason::TokenMissing,
        Reason::TokenInQuery,
        Reason::TokenInvalid,
        Reason::TokenExpired,
        Reason::TokenUnverifiable,
        Reason::RequestMalformed,
        Reason::BodyTooLarge,
        Reason::ScopeMalformed,
        Reason::ClientUnknown,
        Reason::ProviderUnknown,
        Reason::ProviderNotServed,
        Reason::ServiceNotOffered,
        Reason::EndpointMismatch,
        Reason::EndpointAmbiguous,
        Reason::GlgNotActive,
        Reason::CopyServiceNotGlgDvp,
        Reason::ClientNotQualified,
        Reason::OauthRequestInvalid,
        Reason::RedirectUriInvalid,
        Reason::ResponseTypeUnsupported,
        Reason::GrantTypeUnsupported,
        Reason::UpstreamUnavailable,
        Reason::UpstreamTimeout,
        Reason::AuditUnavailable,
    ];

    /// The stable code of SPEC §7.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::ListsUnavailable => "lists_unavailable",
            Reason::WhitelistDenied => "whitelist_denied",
            Reason::TokenMissing => "token_missing",
            Reason::TokenInQuery => "token_in_query",
            Reason::TokenInvalid => "token_invalid",
            Reason::TokenExpired => "token_expired",
            Reason::TokenUnverifiable => "token_unverifiable",
            Reason::RequestMalformed => "request_malformed",
            Reason::BodyTooLarge => "body_too_large",
            Reason::ScopeMalformed => "scope_malformed",
            Reason::ClientUnknown => "client_unknown",
            Reason::ProviderUnknown => "provider_unknown",
            Reason::ProviderNotServed => "provider_not_served",
            Reason::ServiceNotOffered => "service_not_offered",
            Reason::EndpointMismatch => "endpoint_mismatch",
            Reason::EndpointAmbiguous => "endpoint_ambiguous",
            Reason::GlgNotActive => "glg_not_active",
            Reason::CopyServiceNotGlgDvp => "copy_service_not_glg_dvp",
            Reason::ClientNotQualified => "client_not_qualified",
            Reason::OauthRequestInvalid => "oauth_request_invalid",
            Reason::RedirectUriInvalid => "redirect_uri_invalid",
            Reason::ResponseTypeUnsupported => "response_type_unsupported",
            Reason::GrantTypeUnsupported => "grant_type_unsupported",
            Reason::UpstreamUnavailable => "upstream_unavailable",
            Reason::UpstreamTimeout => "upstream_timeout",
            Reason::AuditUnavailable => "audit_unavailable",
        }
    }

    /// HTTP status of a resource-request denial (the OAuth endpoints answer with their own
    /// statuses, see `policy::oauth::oauth_error`).
    pub const fn status(self) -> u16 {
        match self {
            Reason::ListsUnavailable => 503,
            Reason::WhitelistDenied => 403,
            Reason::TokenMissing => 401,
            Reason::TokenInQuery => 400,
            Reason::TokenInvalid => 401,
            Reason::TokenExpired => 401,
            Reason::TokenUnverifiable => 503,
            Reason::RequestMalformed => 400,
            Reason::BodyTooLarge => 413,
            Reason::ScopeMalformed => 403,
            Reason::ClientUnknown => 403,
            Reason::ProviderUnknown => 403,
            Reason::ProviderNotServed => 403,
            Reason::ServiceNotOffered => 403,
            Reason::EndpointMismatch => 403,
            Reason::EndpointAmbiguous => 400,
            Reason::GlgNotActive => 403,
            Reason::CopyServiceNotGlgDvp => 403,
            Reason::ClientNotQualified => 403,
            Reason::OauthRequestInvalid => 400,
            Reason::RedirectUriInvalid => 400,
            Reason::ResponseTypeUnsupported => 400,
            Reason::GrantTypeUnsupported => 400,
            Reason::UpstreamUnavailable => 502,
            Reason::UpstreamTimeout => 504,
            Reason::AuditUnavailable => 503,
        }
    }

    /// `WWW-Authenticate` error attribute, or `None` when the response carries no challenge
    /// (5xx responses).
    pub const fn bearer_error(self) -> Option<BearerError> {
        match self.status() {
            401 => match self {
                Reason::TokenMissing => Some(BearerError::None),
                _ => Some(BearerError::InvalidToken),
            },
            403 => Some(BearerError::InsufficientScope),
            400 | 413 => Some(BearerError::InvalidRequest),
            _ => None,
        }
    }

    pub const fn issue_code(self) -> IssueCode {
        match self.status() {
            401 | 403 => IssueCode::Security,
            400 | 413 => IssueCode::Invalid,
            _ => IssueCode::Transient,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl BearerError {
    pub const fn code(self) -> Option<&'static str> {
        match self {
            BearerError::None => None,
            BearerError::InvalidToken => Some("invalid_token"),
            BearerError::InsufficientScope => Some("insufficient_scope"),
            BearerError::InvalidRequest => Some("invalid_request"),
        }
    }
}

impl IssueCode {
    pub const fn code(self) -> &'static str {
        match self {
            IssueCode::Security => "security",
            IssueCode::Invalid => "invalid",
            IssueCode::Transient => "transient",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_serializes_as_its_code() {
        for r in Reason::ALL {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.code())
            );
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = Reason::ALL.iter().map(|r| r.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Reason::ALL.len());
    }

    #[test]
    fn unauthenticated_denials_challenge_with_invalid_token_except_a_missing_token() {
        assert_eq!(Reason::TokenMissing.bearer_error(), Some(BearerError::None));
        assert_eq!(
            Reason::TokenExpired.bearer_error(),
            Some(BearerError::InvalidToken)
        );
        assert_eq!(
            Reason::TokenInvalid.bearer_error(),
            Some(BearerError::InvalidToken)
        );
    }

    #[test]
    fn server_side_failures_carry_no_challenge_and_a_transient_issue() {
        for r in [
            Reason::ListsUnavailable,
            Reason::UpstreamTimeout,
            Reason::AuditUnavailable,
        ] {
            assert_eq!(r.bearer_error(), None);
            assert_eq!(r.issue_code(), IssueCode::Transient);
        }
    }
}
