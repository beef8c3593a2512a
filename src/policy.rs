//! The pure decision for resource requests: SPEC §7 rows 5–13.
//!
//! [`decide`] takes one [`Snapshot`] (config + lists), the request's URL parts, the client and
//! scope of an already validated token, and `now`; it returns a [`Decision`] value. It does no
//! IO and reads no clock, so the gateway, `scopegate decide` and `GET /admin/decide` all give
//! the same answer for the same inputs. Rows 1–4 (list freshness, whitelist, token) and 14
//! (upstream) are the proxy's; they need the outside world.
//!
//! The checks run in the order of SPEC §7 and the first failure decides. The [`Decision`]
//! carries everything learned before that point (provider, requested and effective service,
//! GLG) so that a denial can be explained and audited.

pub mod oauth;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::glg::{self, CopyLookup};
use crate::lists::{EndpointUri, Zorgaanbieder};
use crate::reason::Reason;
use crate::scope::ScopeView;
use crate::snapshot::Snapshot;

/// The parts of a resource request that the decision reads.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRequest<'a> {
    /// Host the client addressed (Host header or URL authority), any case, port allowed.
    pub host: Option<&'a str>,
    /// The raw (still percent-encoded) path, starting with `/`.
    pub path: &'a str,
    /// The raw query string without `?`.
    pub query: Option<&'a str>,
    /// `client_id` of the validated token.
    pub client_id: &'a str,
    /// Scope of the validated token.
    pub scope: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Deny,
}

/// The outcome of [`decide`], serialized exactly as `scopegate decide --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub decision: Verdict,
    pub reason: Option<Reason>,
    /// The ZA the scope names (with `@medmij`), once the scope parsed.
    pub provider: Option<String>,
    /// The gegevensdienst id whose ZAL endpoint the URL matched.
    pub requested_service: Option<String>,
    /// What the upstream sees: the GLG's original service for GLG traffic, else the requested id.
    pub effective_service: Option<String>,
    /// The live GLG whose copy service was requested.
    pub glg: Option<String>,
    /// The upstream URL (allowed requests only).
    pub upstream: Option<String>,
    /// A sentence for humans explaining a denial; not part of the JSON contract.
    #[serde(skip)]
    pub detail: Option<String>,
}

impl Decision {
    pub fn is_allow(&self) -> bool {
        self.decision == Verdict::Allow
    }

    /// For GLG traffic: the copy service id that was requested.
    pub fn copy_service(&self) -> Option<&str> {
        self.glg.as_ref().and(self.requested_service.as_deref())
    }

    fn deny(mut self, reason: Reason, detail: String) -> Decision {
        self.decision = Verdict::Deny;
        self.reason = Some(reason);
        self.detail = Some(detail);
        self
    }
}

/// Decides a resource request (SPEC §7 rows 5–13) against one snapshot at instant `now`.
pub fn decide(snap: &Snapshot, req: &ResourceRequest<'_>, now: DateTime<Utc>) -> Decision {
    let d = Decision {
        decision: Verdict::Deny,
        reason: None,
        provider: None,
        requested_service: None,
        effective_service: None,
        glg: None,
        upstream: None,
        detail: None,
    };

    // 5. scope well formed
    let scope = match ScopeView::parse(req.scope) {
        Ok(s) => s,
        Err(e) => return d.deny(Reason::ScopeMalformed, format!("scope: {e}")),
    };
    let mut d = Decision {
        provider: Some(format!("{}@medmij", scope.za)),
        ..d
    };
    let provider_name = d.provider.as_deref().unwrap_or_default();

    // 6. client on the OCL
    let Some(client) = snap.lists.ocl.get(req.client_id) else {
        let detail = format!("client {} is not on the OCL", req.client_id);
        return d.deny(Reason::ClientUnknown, detail);
    };

    // 7. ZA on the ZAL
    let Some(za) = snap.lists.zal.get(provider_name) else {
        let detail = format!("{provider_name} is not on the ZAL");
        return d.deny(Reason::ProviderUnknown, detail);
    };

    // 8. ZA served by this gateway
    let Some(provider) = snap.provider(provider_name) else {
        let detail = format!("{provider_name} is not served by this gateway");
        return d.deny(Reason::ProviderNotServed, detail);
    };

    // 9. a scope id offered by the ZA
    let ids = &scope.ids;
    if !ids.iter().any(|id| za.offers(id)) {
        let detail = format!("{provider_name} offers none of {}", ids.join(", "));
        return d.deny(Reason::ServiceNotOffered, detail);
    }

    // 10. the URL falls under a resource endpoint of an offered scope id
    let host = if snap.config.server.match_host {
        req.host.map(host_without_port)
    } else {
        None
    };
    let (id, rest) = match match_endpoint(za, ids, host, req.path, snap.config.server.match_host) {
        EndpointMatch::One { id, rest } => (id, rest),
        EndpointMatch::None => {
            let detail = format!("{} is under no resource endpoint of the scope", req.path);
            return d.deny(Reason::EndpointMismatch, detail);
        }
        EndpointMatch::Tied(a, b) => {
            let detail = format!("{} matches the endpoints of both {a} and {b}", req.path);
            return d.deny(Reason::EndpointAmbiguous, detail);
        }
        EndpointMatch::DotSegment => {
            let detail = "the path holds a dot segment or an encoded '/' or '\\'".to_owned();
            return d.deny(Reason::RequestMalformed, detail);
        }
    };
    d.requested_service = Some(id.to_owned());

    // 11–12. copy service: its GLG is live today, and the client is one of its DVPs
    let today = glg::amsterdam_today(now);
    let effective = match glg::lookup_copy(&snap.config.glgs, provider_name, id, today) {
        CopyLookup::NotACopy => id,
        CopyLookup::NotLive => {
            let detail =
                format!("no GLG for copy service {id} of {provider_name} is live on {today}");
            return d.deny(Reason::GlgNotActive, detail);
        }
        CopyLookup::Live(g) => {
            d.glg = Some(g.id.clone());
            if !g.has_dvp(req.client_id) {
                let detail = format!("{} is not a DVP of {}", req.client_id, g.id);
                return d.deny(Reason::CopyServiceNotGlgDvp, detail);
            }
            g.original_service.as_str()
        }
    };
    d.effective_service = Some(effective.to_owned());

    // 13. client qualified on the OCL for the requested id
    if !client.qualified_for(id) {
        let detail = format!("{} is not qualified on the OCL for {id}", req.client_id);
        return d.deny(Reason::ClientNotQualified, detail);
    }

    d.upstream = Some(upstream_url(
        provider.upstream_for(effective).as_str(),
        rest,
        req.query,
    ));
    d.decision = Verdict::Allow;
    d
}

/// Base + rest of the path + query, without doubling the `/` between base and rest.
fn upstream_url(base: &str, rest: &str, query: Option<&str>) -> String {
    let base = base.strip_suffix('/').unwrap_or(base);
    let mut url = String::with_capacity(base.len() + rest.len() + query.map_or(0, |q| q.len() + 1));
    url.push_str(base);
    url.push_str(rest);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

fn host_without_port(host: &str) -> &str {
    // A bracketed IPv6 literal keeps its brackets; a ZAL host is never one.
    match host.rfind(':') {
        Some(i) if !host.ends_with(']') && host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &host[..i]
        }
        _ => host,
    }
}

enum EndpointMatch<'a> {
    One { id: &'a str, rest: &'a str },
    None,
    Tied(&'a str, &'a str),
    DotSegment,
}

/// SPEC §7 row 10: longest path prefix on a segment boundary among the resource endpoints of
/// the offered scope ids; the host must match too when `check_host`. Two ids tied → `Tied`.
fn match_endpoint<'a>(
    za: &'a Zorgaanbieder,
    ids: &[&'a str],
    host: Option<&str>,
    path: &'a str,
    check_host: bool,
) -> EndpointMatch<'a> {
    if unsafe_path(path) {
        return EndpointMatch::DotSegment;
    }
    // (prefix length, id, second id at the same length)
    let mut best: Option<(usize, &'a str, Option<&'a str>)> = None;
    for &id in ids {
        for service in za.service(id) {
            for rol in &service.systeemrollen {
                let Some(len) = prefix_len(&rol.resource_endpoint, host, path, check_host) else {
                    continue;
                };
                best = match best {
                    None => Some((len, id, None)),
                    Some((l, _, _)) if len > l => Some((len, id, None)),
                    Some((l, b, None)) if len == l && b != id => Some((l, b, Some(id))),
                    keep => keep,
                };
            }
        }
    }
    match best {
        None => EndpointMatch::None,
        Some((_, a, Some(b))) => EndpointMatch::Tied(a, b),
        Some((len, id, None)) => EndpointMatch::One {
            id,
            rest: &path[len..],
        },
    }
}

/// The length of the endpoint's path when `path` falls under it (segment boundary).
fn prefix_len(ep: &EndpointUri, host: Option<&str>, path: &str, check_host: bool) -> Option<usize> {
    if check_host && !host.is_some_and(|h| h.eq_ignore_ascii_case(&ep.host)) {
        return None;
    }
    let prefix: &str = &ep.path;
    let tail = path.strip_prefix(prefix)?;
    (tail.is_empty() || tail.starts_with('/')).then_some(prefix.len())
}

/// `.` or `..` segments (also percent-encoded) and encoded `/` or `\` would let a request
/// escape the matched endpoint once the upstream normalizes the path; such a path is refused.
fn unsafe_path(path: &str) -> bool {
    let b = path.as_bytes();
    if !b.iter().any(|&c| c == b'.' || c == b'%' || c == b'\\') {
        return false;
    }
    if b.contains(&b'\\') {
        return true;
    }
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") {
        return true;
    }
    lower.split('/').any(|seg| {
        let seg = seg.replace("%2e", ".");
        seg == "." || seg == ".."
    })
}

#[cfg(test)]
mod tests;
