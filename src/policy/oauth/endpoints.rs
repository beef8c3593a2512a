//! Which requests are OAuth requests: the index of the authorization and token endpoints of
//! every served provider, built once per snapshot.
//!
//! [`EndpointIndex::build`] walks the `[[providers]]` of the config, looks each up on the
//! ZAL and records the `AuthorizationEndpointuri` and `TokenEndpointuri` of all its
//! gegevensdiensten under their path. [`EndpointIndex::find`] answers, for one request, whether
//! its path (and host, when `match_host`) is exactly such an endpoint and of which providers.
//! One endpoint is commonly shared by all providers of a DVZA, so a match names a set.
//!
//! It does not decide whether a request is allowed ([`super::decide_authorize`],
//! [`super::decide_token`]) and does no IO; [`crate::snapshot::Snapshot::new`] builds it and
//! the proxy asks it on every request before the resource path.

use std::collections::HashMap;

use crate::config::Config;
use crate::lists::{EndpointUri, Zal};

/// The two OAuth endpoints of SPEC §9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointKind {
    /// `AuthorizationEndpointuri`: the front channel.
    Authorize,
    /// `TokenEndpointuri`: the back channel.
    Token,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: EndpointKind,
    /// Lowercase host of the ZAL URI.
    host: Box<str>,
    /// Served provider, with `@medmij`.
    provider: Box<str>,
}

/// Endpoint path → the (kind, host, provider) triples that use it.
#[derive(Debug, Clone, Default)]
pub struct EndpointIndex {
    by_path: HashMap<Box<str>, Vec<Entry>>,
}

/// A request that hit an OAuth endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthEndpoint<'a> {
    pub kind: EndpointKind,
    /// The endpoint path as on the ZAL (`""` for a URI without a path).
    pub path: &'a str,
    /// The request's host without port, when `match_host` compared it.
    pub host: Option<String>,
    /// The served providers whose ZAL entry lists this endpoint, sorted, without repeats.
    pub providers: Vec<&'a str>,
}

impl OAuthEndpoint<'_> {
    /// Whether a ZAL endpoint URI is the one this request addressed.
    pub fn is(&self, uri: &EndpointUri) -> bool {
        *uri.path == *self.path
            && self
                .host
                .as_deref()
                .is_none_or(|h| h.eq_ignore_ascii_case(&uri.host))
    }
}

impl EndpointIndex {
    /// The endpoints of every served provider on the ZAL; providers not on the ZAL add none.
    pub fn build(config: &Config, zal: &Zal) -> EndpointIndex {
        let mut by_path: HashMap<Box<str>, Vec<Entry>> = HashMap::new();
        for provider in &config.providers {
            let Some(za) = zal.get(&provider.name) else {
                continue;
            };
            for service in &za.services {
                for (kind, uri) in [
                    (EndpointKind::Authorize, &service.authorization_endpoint),
                    (EndpointKind::Token, &service.token_endpoint),
                ] {
                    let entry = Entry {
                        kind,
                        host: uri.host.clone(),
                        provider: provider.name.as_str().into(),
                    };
                    let entries = by_path.entry(uri.path.clone()).or_default();
                    if !entries.contains(&entry) {
                        entries.push(entry);
                    }
                }
            }
        }
        EndpointIndex { by_path }
    }

    /// The endpoint a request addresses, if any. `host` is the Host header (any case, port
    /// allowed) and is compared only when `match_host`. A path that is an authorization
    /// endpoint of one provider and a token endpoint of another (a ZAL nobody should publish)
    /// is taken as the authorization endpoint.
    pub fn find(
        &self,
        host: Option<&str>,
        path: &str,
        match_host: bool,
    ) -> Option<OAuthEndpoint<'_>> {
        let key = if path == "/" { "" } else { path };
        let (path, entries) = self.by_path.get_key_value(key)?;
        let host = match_host.then(|| host.map(host_without_port).unwrap_or_default());
        let matching = |e: &&Entry| host.is_none_or(|h| h.eq_ignore_ascii_case(&e.host));
        let kind = [EndpointKind::Authorize, EndpointKind::Token]
            .into_iter()
            .find(|&k| entries.iter().filter(matching).any(|e| e.kind == k))?;
        let mut providers: Vec<&str> = entries
            .iter()
            .filter(matching)
            .filter(|e| e.kind == kind)
            .map(|e| &*e.provider)
            .collect();
        providers.sort_unstable();
        providers.dedup();
        Some(OAuthEndpoint {
            kind,
            path,
            host: host.map(str::to_ascii_lowercase),
            providers,
        })
    }
}

fn host_without_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(i) if !host.ends_with(']') && host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &host[..i]
        }
        _ => host,
    }
}
