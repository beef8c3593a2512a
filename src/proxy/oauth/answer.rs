//! The three forms an OAuth denial takes (SPEC §9): an error page without a redirect, a
//! `302` back to the client's `redirect_uri`, and the RFC 6749 §5.2 JSON error of the token
//! endpoint. Each carries `Cache-Control: no-store` and `MedMij-Request-ID`.
//!
//! The `error_description` begins with the reason code, then the fixed human text of
//! [`crate::proxy::respond::human`], then the caller's detail; it is cut to the characters
//! RFC 6749 allows there (printable ASCII without `"` and `\`) and to
//! [`MAX_DESCRIPTION_CHARS`]. Callers never pass a token, a code or a state as detail.
//! This module decides nothing and does not log.

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::policy::oauth::OAuthAnswer;
use crate::proxy::headers::MEDMIJ_REQUEST_ID;
use crate::proxy::respond::{self, Body};
use crate::reason::Reason;

/// Longest `error_description`.
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// The words of a denial.
pub struct Text<'a> {
    pub reason: Reason,
    pub detail: Option<&'a str>,
    pub request_id: &'a str,
}

impl Text<'_> {
    /// `<code>: <human>[ (<detail>)]` in RFC 6749's `error_description` alphabet.
    pub fn description(&self) -> String {
        let text = match self.detail {
            Some(d) => format!(
                "{}: {} ({d})",
                self.reason.code(),
                respond::human(self.reason)
            ),
            None => format!("{}: {}", self.reason.code(), respond::human(self.reason)),
        };
        text.chars()
            .filter(|&c| matches!(c, ' '..='~') && c != '"' && c != '\\')
            .take(MAX_DESCRIPTION_CHARS)
            .collect()
    }
}

/// The page for a request whose redirect target cannot be trusted: plain text, no redirect.
pub fn page(oauth: OAuthAnswer, text: &Text<'_>) -> Response<Body> {
    let status = status(oauth.status);
    let body = format!(
        "{} {}\n\n{}: {}\n\nThe request was not passed on. You were not sent back to the \
         application because its client_id or redirect_uri could not be trusted.\n\
         MedMij-Request-ID: {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        oauth.error.code(),
        text.description(),
        text.request_id,
    );
    let mut resp = Response::new(respond::full(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    common(resp, text)
}

/// `302` to `redirect_uri` with `error`, `error_description` and `state` (RFC 6749
/// §4.1.2.1). `redirect_uri` has no query (the decision checked it).
pub fn redirect(
    redirect_uri: &str,
    state: Option<&str>,
    oauth: OAuthAnswer,
    text: &Text<'_>,
) -> Response<Body> {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", oauth.error.code());
    query.append_pair("error_description", &text.description());
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    let location = format!("{redirect_uri}?{}", query.finish());
    let mut resp = Response::new(respond::empty());
    *resp.status_mut() = StatusCode::FOUND;
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        // Unreachable for a checked redirect_uri; never redirect somewhere else instead.
        Err(_) => return page(oauth, text),
    }
    common(resp, text)
}

/// The RFC 6749 §5.2 error: JSON `error` and `error_description`.
pub fn json(oauth: OAuthAnswer, text: &Text<'_>) -> Response<Body> {
    let body = serde_json::json!({
        "error": oauth.error.code(),
        "error_description": text.description(),
    });
    let mut resp = Response::new(respond::full(body.to_string()));
    *resp.status_mut() = status(oauth.status);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    common(resp, text)
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

fn common(mut resp: Response<Body>, text: &Text<'_>) -> Response<Body> {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(secs) = respond::retry_after(text.reason) {
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if let Ok(id) = HeaderValue::from_str(text.request_id) {
        h.insert(MEDMIJ_REQUEST_ID, id);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::oauth::{EndpointKind, oauth_error};
    use http_body_util::BodyExt;

    fn text(reason: Reason, detail: Option<&'static str>) -> Text<'static> {
        Text {
            reason,
            detail,
            request_id: "req-9",
        }
    }

    async fn body(resp: Response<Body>) -> String {
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn a_redirect_carries_error_description_and_state_in_the_query() {
        let t = text(Reason::GlgNotActive, None);
        let oauth = oauth_error(EndpointKind::Authorize, t.reason);
        let r = redirect("https://pgo.example.nl/cb", Some("s 1"), oauth, &t);
        assert_eq!(r.status(), 302);
        assert_eq!(
            r.headers()["location"],
            "https://pgo.example.nl/cb?error=invalid_scope&error_description=glg_not_active%3A+\
             the+gecontroleerde+livegang+of+this+copy+service+is+not+active&state=s+1"
        );
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["medmij-request-id"], "req-9");
    }

    #[tokio::test]
    async fn a_page_has_no_location_and_names_the_reason() {
        let t = text(Reason::RedirectUriInvalid, Some("no redirect_uri"));
        let r = page(oauth_error(EndpointKind::Authorize, t.reason), &t);
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers().get("location"), None);
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
        assert!(body(r).await.contains(
            "invalid_request: redirect_uri_invalid: the redirect_uri is not an https URI on the \
             client's host (no redirect_uri)"
        ));
    }

    #[tokio::test]
    async fn a_token_error_is_the_rfc_6749_json_with_401_for_invalid_client() {
        let t = text(Reason::ClientUnknown, None);
        let r = json(oauth_error(EndpointKind::Token, t.reason), &t);
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let v: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
        assert_eq!(v["error"], "invalid_client");
        assert_eq!(
            v["error_description"],
            "client_unknown: the client is not on the OAuth client list"
        );
    }

    #[test]
    fn a_description_drops_quotes_backslashes_and_non_ascii() {
        let t = text(Reason::ClientUnknown, Some("é\"\\x\n"));
        assert_eq!(
            t.description(),
            "client_unknown: the client is not on the OAuth client list (x)"
        );
    }

    #[test]
    fn a_503_page_carries_retry_after() {
        let t = text(Reason::ListsUnavailable, None);
        let r = page(oauth_error(EndpointKind::Authorize, t.reason), &t);
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "30");
    }
}
