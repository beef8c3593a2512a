//! Header rewriting between the client and the upstream (SPEC §8), as pure functions over
//! [`http::HeaderMap`].
//!
//! - [`remove_hop_by_hop`] drops the hop-by-hop headers of RFC 9110 §7.6.1 and every header a
//!   `Connection` header names; used both ways.
//! - [`rewrite_request`] turns the client's headers into what the upstream receives: every
//!   client-sent `X-MedMij-*` and `X-Forwarded-*` (and `Forwarded`) is removed, ours are
//!   added, `Host` becomes the upstream's authority, `Authorization` is dropped when the
//!   config says so.
//! - [`request_id`] picks the `MedMij-Request-ID` of a request (the client's when sane).
//!
//! `X-Forwarded-For` is *replaced* with the peer address, never appended to: scopegate sits at
//! the MedMij edge, so whatever chain a client sends is unverified and must not reach a
//! zorgaanbieder's systems as if it were ours. For the same reason a client's `Forwarded`,
//! `X-Forwarded-Proto`, `-Host`, `-Port` and `-Prefix` are removed.
//!
//! This module does no IO, decides nothing and never looks at a header's value beyond what
//! framing and rewriting need; the proxy phases call it after a request was allowed, and
//! [`super::forward`] calls [`remove_hop_by_hop`] on upstream responses.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// The headers of RFC 9110 §7.6.1 plus the legacy ones proxies still meet.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

pub const MEDMIJ_REQUEST_ID: HeaderName = HeaderName::from_static("medmij-request-id");
pub const X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
pub const X_MEDMIJ_ZORGAANBIEDER: HeaderName = HeaderName::from_static("x-medmij-zorgaanbieder");
pub const X_MEDMIJ_GEGEVENSDIENST: HeaderName = HeaderName::from_static("x-medmij-gegevensdienst");
pub const X_MEDMIJ_CLIENT: HeaderName = HeaderName::from_static("x-medmij-client");
pub const X_MEDMIJ_GLG: HeaderName = HeaderName::from_static("x-medmij-glg");
pub const X_MEDMIJ_KOPIE_GEGEVENSDIENST: HeaderName =
    HeaderName::from_static("x-medmij-kopie-gegevensdienst");
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Longest client `MedMij-Request-ID` that is passed on as is.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// What the route decided, as the upstream must see it (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamHeaders<'a> {
    /// The zorgaanbieder, with `@medmij`.
    pub provider: &'a str,
    /// The original service for GLG traffic, else the requested one.
    pub effective_service: &'a str,
    /// The DVP's `client_id`.
    pub client: &'a str,
    /// Present for GLG traffic only.
    pub glg: Option<GlgHeaders<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlgHeaders<'a> {
    pub id: &'a str,
    pub copy_service: &'a str,
}

/// Facts about the connection and the target that are not part of the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarding<'a> {
    /// The TCP peer of the client connection.
    pub peer: IpAddr,
    /// Whether the client spoke TLS to scopegate.
    pub tls: bool,
    /// The client's `Host` (or HTTP/2 `:authority`), see [`client_host`].
    pub client_host: Option<&'a str>,
    /// `host[:port]` of the upstream base URL.
    pub upstream_authority: &'a str,
    /// From [`request_id`].
    pub request_id: &'a str,
    pub forward_authorization: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("value for {name} is not a valid header value")]
    InvalidValue { name: HeaderName },
}

/// Removes the hop-by-hop headers and every header named in any `Connection` header.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in HOP_BY_HOP.iter().chain(named.iter()) {
        headers.remove(name);
    }
}

/// Rewrites a client's request headers into the upstream's (SPEC §8).
pub fn rewrite_request(
    headers: &mut HeaderMap,
    route: &UpstreamHeaders<'_>,
    fwd: &Forwarding<'_>,
) -> Result<(), HeaderError> {
    remove_hop_by_hop(headers);
    remove_untrusted(headers);
    if !fwd.forward_authorization {
        headers.remove(header::AUTHORIZATION);
    }

    insert(headers, X_MEDMIJ_ZORGAANBIEDER, route.provider)?;
    insert(headers, X_MEDMIJ_GEGEVENSDIENST, route.effective_service)?;
    insert(headers, X_MEDMIJ_CLIENT, route.client)?;
    if let Some(glg) = route.glg {
        insert(headers, X_MEDMIJ_GLG, glg.id)?;
        insert(headers, X_MEDMIJ_KOPIE_GEGEVENSDIENST, glg.copy_service)?;
    }

    insert(headers, X_FORWARDED_FOR, &fwd.peer.to_string())?;
    insert(
        headers,
        X_FORWARDED_PROTO,
        if fwd.tls { "https" } else { "http" },
    )?;
    if let Some(host) = fwd.client_host {
        insert(headers, X_FORWARDED_HOST, host)?;
    }
    insert(headers, MEDMIJ_REQUEST_ID, fwd.request_id)?;
    insert(headers, header::HOST, fwd.upstream_authority)?;
    Ok(())
}

/// The request's `MedMij-Request-ID`: the client's when it is one header line of 1 to
/// [`MAX_REQUEST_ID_LEN`] visible ASCII characters, else a new UUID v4.
pub fn request_id(headers: &HeaderMap) -> String {
    let mut values = headers.get_all(MEDMIJ_REQUEST_ID).iter();
    match (values.next(), values.next()) {
        (Some(v), None) if is_sane_id(v.as_bytes()) => {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        }
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

/// The host the client addressed: the `Host` header, else the URI's authority (HTTP/2).
pub fn client_host(headers: &HeaderMap, uri: &http::Uri) -> Option<String> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
}

fn is_sane_id(bytes: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// Client-sent headers whose names we own or whose values only we may vouch for.
fn remove_untrusted(headers: &mut HeaderMap) {
    let untrusted: Vec<HeaderName> = headers
        .keys()
        .filter(|name| {
            // Header names are stored lowercase.
            let n = name.as_str();
            n.starts_with("x-medmij-") || n.starts_with("x-forwarded-") || n == "forwarded"
        })
        .cloned()
        .collect();
    for name in untrusted {
        headers.remove(name);
    }
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) -> Result<(), HeaderError> {
    let value = HeaderValue::from_str(value)
        .map_err(|_| HeaderError::InvalidValue { name: name.clone() })?;
    headers.insert(name, value);
    Ok(())
}

#[cfg(test)]
mod tests;
