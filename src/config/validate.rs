//! From the file as written ([`raw`](super::raw)) to the validated [`Config`].
//!
//! [`load`] and [`load_str`] parse the TOML (unknown keys and wrong types stop the parse,
//! named with their key and line), then check every value, collecting all problems before
//! reporting them together. Defaults of SPEC §3 are filled in here. Relative paths are
//! resolved against the config file's folder. The rules *between* GLGs and dates (SPEC §6)
//! are left to [`crate::glg::check`]. Called by the CLI at start-up and by every reload.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, Issue, Problem};
use super::parse::{line_of, parse};
use super::raw::{self, S, Table};
use super::{
    Audit, AuditMode, AuthorizationServer, ClientCert, Config, Introspection, Lists, Server,
    Source, Tls, TokenMode, Tokens, value,
};

const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);
const DEFAULT_ADMIN_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9090);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(55);
/// MedMij allows 60 s end to end; the gateway's own share must stay below that.
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(59);
const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_HEADER_BYTES: i64 = 16_384;
const MAX_HEADER_BYTES_RANGE: (i64, i64) = (1_024, 1_048_576);
const DEFAULT_MAX_BODY_BYTES: i64 = 10_485_760;
const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(5 * 60);
const DEFAULT_MAX_STALE: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_LIST_TIMEOUT: Duration = Duration::from_secs(30);
/// Four times a 50,000-provider ZAL (205 MB) would still fit; production ZALs are tens of MB.
const DEFAULT_LIST_MAX_BYTES: i64 = 1 << 30;
const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
const MAX_LEEWAY: Duration = Duration::from_secs(5 * 60);
const DEFAULT_ALGORITHMS: [jsonwebtoken::Algorithm; 2] = [
    jsonwebtoken::Algorithm::RS256,
    jsonwebtoken::Algorithm::ES256,
];
const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);
/// How a config given as text without a file is named in errors.
const NO_FILE: &str = "<config>";

/// Reads and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    load_str(&text, Some(path))
}

/// Validates configuration text. `path` names the file in errors and anchors relative
/// paths; without it they are resolved against the current directory.
pub fn load_str(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
    let file = path.map_or_else(|| NO_FILE.to_owned(), |p| p.display().to_string());
    let raw = parse(text).map_err(|issue| ConfigError::Invalid {
        file: file.clone(),
        issues: vec![issue],
    })?;
    // `absolute` only fails without a current directory; relative paths then stay relative.
    let abs_path = path.map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    let base = match abs_path.as_deref().and_then(Path::parent) {
        Some(dir) => dir.to_path_buf(),
        None => std::path::absolute(".").unwrap_or_default(),
    };
    let mut cx = Checker {
        text,
        base,
        issues: Vec::new(),
    };
    let config = cx.config(raw, abs_path);
    if cx.issues.is_empty() {
        return Ok(config);
    }
    let mut issues = cx.issues;
    issues.sort_by_key(|i| (i.line.is_none(), i.line));
    Err(ConfigError::Invalid { file, issues })
}

/// Stage two: walks the raw structs, records every problem and builds the `Config`. Where a
/// value is bad or missing a placeholder stands in so that checking can go on; the result
/// is only used when no issue was recorded.
pub(super) struct Checker<'a> {
    text: &'a str,
    pub(super) base: PathBuf,
    issues: Vec<Issue>,
}

impl Checker<'_> {
    pub(super) fn push(&mut self, key: String, span: Option<Range<usize>>, problem: Problem) {
        let line = span.map(|s| line_of(self.text, s.start));
        self.issues.push(Issue { line, key, problem });
    }

    /// Parses an optional value; `None` when absent or bad (the problem is recorded).
    pub(super) fn opt<V, T>(
        &mut self,
        key: &str,
        value: Option<&S<V>>,
        parse: impl FnOnce(&V) -> Result<T, Problem>,
    ) -> Option<T> {
        let value = value?;
        parse(value.get_ref())
            .map_err(|p| self.push(key.to_owned(), Some(value.span()), p))
            .ok()
    }

    /// Parses a required value of the table spanning `table`; a missing one is recorded.
    pub(super) fn req<V, T>(
        &mut self,
        key: &str,
        table: Option<Range<usize>>,
        value: Option<&S<V>>,
        parse: impl FnOnce(&V) -> Result<T, Problem>,
    ) -> Option<T> {
        if value.is_none() {
            self.push(key.to_owned(), table, Problem::Missing);
        }
        self.opt(key, value, parse)
    }

    fn config(&mut self, raw: raw::RawConfig, path: Option<PathBuf>) -> Config {
        let server = self.server(raw.server.as_ref());
        let lists = self.lists(raw.lists.as_ref());
        let tokens = self.tokens(raw.tokens.as_ref());
        let authorization_server = raw.authorization_server.as_ref().and_then(|a| {
            let upstream = self.req(
                "authorization_server.upstream",
                a.span.clone(),
                a.value.upstream.as_ref(),
                |s| value::upstream(s),
            );
            upstream.map(|upstream| AuthorizationServer { upstream })
        });
        if let (Some(tls), Some(t)) = (&server.tls, &raw.server) {
            if tls.whitelist_check && lists.whl.is_none() {
                let span = t.value.tls.as_ref().and_then(|t| t.span.clone());
                self.push(
                    "server.tls.whitelist_check".into(),
                    span,
                    Problem::Needs {
                        needs: "lists.whl (or whitelist_check = false)",
                    },
                );
            }
        }
        let (providers, served) = self.providers(&raw.providers);
        let glgs = raw
            .glg
            .iter()
            .enumerate()
            .map(|(i, g)| self.glg(i, g, &served))
            .collect();
        let audit = self.audit(raw.audit.as_ref());
        Config {
            path,
            server,
            lists,
            tokens,
            authorization_server,
            providers,
            glgs,
            audit,
        }
    }

    fn server(&mut self, raw: Option<&Table<raw::RawServer>>) -> Server {
        let span = raw.and_then(|r| r.span.clone());
        let s = raw.map(|r| &r.value);
        let listen = self
            .opt("server.listen", s.and_then(|s| s.listen.as_ref()), |v| {
                value::socket_addr(v)
            })
            .unwrap_or(DEFAULT_LISTEN);
        let admin_raw = s.and_then(|s| s.admin_listen.as_ref());
        let admin_listen = self
            .opt("server.admin_listen", admin_raw, |v| value::socket_addr(v))
            .unwrap_or(DEFAULT_ADMIN_LISTEN);
        if admin_listen == listen && listen.port() != 0 {
            let at = admin_raw.map(S::span).or(span);
            self.push(
                "server.admin_listen".into(),
                at,
                Problem::SameAsListen { value: listen },
            );
        }
        let request_timeout = self
            .opt(
                "server.request_timeout",
                s.and_then(|s| s.request_timeout.as_ref()),
                |v| {
                    let d = value::positive_duration(v)?;
                    if d > MAX_REQUEST_TIMEOUT {
                        return Err(Problem::DurationTooLong {
                            value: d,
                            max: MAX_REQUEST_TIMEOUT,
                            why: "MedMij allows 60 s end to end; the gateway must answer before that",
                        });
                    }
                    Ok(d)
                },
            )
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let header_read_timeout = self
            .opt(
                "server.header_read_timeout",
                s.and_then(|s| s.header_read_timeout.as_ref()),
                |v| value::positive_duration(v),
            )
            .unwrap_or(DEFAULT_HEADER_READ_TIMEOUT);
        let (min, max) = MAX_HEADER_BYTES_RANGE;
        let max_header_bytes = self
            .opt(
                "server.max_header_bytes",
                s.and_then(|s| s.max_header_bytes.as_ref()),
                |v| value::in_range(*v, min, max),
            )
            .unwrap_or(DEFAULT_MAX_HEADER_BYTES);
        let max_body_bytes = self
            .opt(
                "server.max_body_bytes",
                s.and_then(|s| s.max_body_bytes.as_ref()),
                |v| value::in_range(*v, 1, i64::MAX),
            )
            .unwrap_or(DEFAULT_MAX_BODY_BYTES);
        let base = self.base.clone();
        let upstream_ca = self.opt(
            "server.upstream_ca",
            s.and_then(|s| s.upstream_ca.as_ref()),
            |v| value::path(v, &base),
        );
        let tls = s.and_then(|s| s.tls.as_ref()).map(|t| self.tls(t));
        Server {
            listen,
            admin_listen,
            match_host: s.and_then(|s| s.match_host).unwrap_or(true),
            request_timeout,
            header_read_timeout,
            max_header_bytes: usize::try_from(max_header_bytes).unwrap_or(usize::MAX),
            max_body_bytes: u64::try_from(max_body_bytes).unwrap_or(u64::MAX),
            upstream_ca,
            tls,
        }
    }

    fn tls(&mut self, raw: &Table<raw::RawTls>) -> Tls {
        let span = raw.span.clone();
        let t = &raw.value;
        let base = self.base.clone();
        let cert = self.req("server.tls.cert", span.clone(), t.cert.as_ref(), |v| {
            value::path(v, &base)
        });
        let key = self.req("server.tls.key", span.clone(), t.key.as_ref(), |v| {
            value::path(v, &base)
        });
        let client_ca = self.opt("server.tls.client_ca", t.client_ca.as_ref(), |v| {
            value::path(v, &base)
        });
        let mtls = client_ca.is_some();
        let require_client_cert = self.flag_needing_ca(
            "server.tls.require_client_cert",
            t.require_client_cert.as_ref(),
            mtls,
        );
        let whitelist_check = self.flag_needing_ca(
            "server.tls.whitelist_check",
            t.whitelist_check.as_ref(),
            mtls,
        );
        Tls {
            cert: cert.unwrap_or_default(),
            key: key.unwrap_or_default(),
            client_ca,
            require_client_cert,
            whitelist_check,
        }
    }

    /// A client-certificate flag: defaults to whether mTLS is on; `true` needs `client_ca`.
    fn flag_needing_ca(&mut self, key: &str, raw: Option<&S<bool>>, mtls: bool) -> bool {
        match raw {
            None => mtls,
            Some(v) if *v.get_ref() && !mtls => {
                self.push(
                    key.to_owned(),
                    Some(v.span()),
                    Problem::Needs {
                        needs: "server.tls.client_ca",
                    },
                );
                false
            }
            Some(v) => *v.get_ref(),
        }
    }

    fn lists(&mut self, raw: Option<&Table<raw::RawLists>>) -> Lists {
        let Some(raw) = raw else {
            self.push("lists".into(), None, Problem::Missing);
            return Lists {
                zal: placeholder_source(),
                ocl: placeholder_source(),
                whl: None,
                gnl: None,
                refresh_interval: DEFAULT_REFRESH_INTERVAL,
                max_stale: DEFAULT_MAX_STALE,
                timeout: DEFAULT_LIST_TIMEOUT,
                max_bytes: list_max_bytes(DEFAULT_LIST_MAX_BYTES),
                ca: None,
                client_cert: None,
            };
        };
        let span = raw.span.clone();
        let l = &raw.value;
        let base = self.base.clone();
        let src = |v: &String| value::source(v, &base);
        let zal = self.req("lists.zal", span.clone(), l.zal.as_ref(), src);
        let ocl = self.req("lists.ocl", span.clone(), l.ocl.as_ref(), src);
        let whl = self.opt("lists.whl", l.whl.as_ref(), src);
        let gnl = self.opt("lists.gnl", l.gnl.as_ref(), src);
        let refresh_interval = self
            .opt("lists.refresh_interval", l.refresh_interval.as_ref(), |v| {
                value::positive_duration(v)
            })
            .unwrap_or(DEFAULT_REFRESH_INTERVAL);
        let max_stale = self
            .opt("lists.max_stale", l.max_stale.as_ref(), |v| {
                let d = value::positive_duration(v)?;
                if d < refresh_interval {
                    return Err(Problem::StaleBeforeRefresh {
                        value: d,
                        refresh: refresh_interval,
                    });
                }
                Ok(d)
            })
            .unwrap_or(DEFAULT_MAX_STALE);
        let timeout = self
            .opt("lists.timeout", l.timeout.as_ref(), |v| {
                value::positive_duration(v)
            })
            .unwrap_or(DEFAULT_LIST_TIMEOUT);
        let max_bytes = self
            .opt("lists.max_bytes", l.max_bytes.as_ref(), |v| {
                value::in_range(*v, 1, i64::MAX)
            })
            .unwrap_or(DEFAULT_LIST_MAX_BYTES);
        let path = |v: &String| value::path(v, &base);
        let ca = self.opt("lists.ca", l.ca.as_ref(), path);
        let cert = self.opt("lists.client_cert", l.client_cert.as_ref(), path);
        let key = self.opt("lists.client_key", l.client_key.as_ref(), path);
        let client_cert = match (cert, key) {
            (Some(cert), Some(key)) => Some(ClientCert { cert, key }),
            (Some(_), None) if l.client_key.is_none() => {
                let span = l.client_cert.as_ref().map(|v| v.span());
                let needs = "lists.client_key";
                self.push("lists.client_cert".into(), span, Problem::Needs { needs });
                None
            }
            (None, Some(_)) if l.client_cert.is_none() => {
                let span = l.client_key.as_ref().map(|v| v.span());
                let needs = "lists.client_cert";
                self.push("lists.client_key".into(), span, Problem::Needs { needs });
                None
            }
            _ => None,
        };
        Lists {
            zal: zal.unwrap_or_else(placeholder_source),
            ocl: ocl.unwrap_or_else(placeholder_source),
            whl,
            gnl,
            refresh_interval,
            max_stale,
            timeout,
            max_bytes: list_max_bytes(max_bytes),
            ca,
            client_cert,
        }
    }

    fn tokens(&mut self, raw: Option<&Table<raw::RawTokens>>) -> Tokens {
        let span = raw.and_then(|r| r.span.clone());
        if raw.is_none() {
            self.push("tokens".into(), None, Problem::Missing);
        }
        let t = raw.map(|r| &r.value);
        let base = self.base.clone();
        let mode = self
            .opt(
                "tokens.mode",
                t.and_then(|t| t.mode.as_ref()),
                |v| match v.as_str() {
                    "jwt" => Ok(TokenMode::Jwt),
                    "introspection" => Ok(TokenMode::Introspection),
                    _ => Err(Problem::NotOneOf {
                        value: v.clone(),
                        expected: "\"jwt\", \"introspection\"",
                    }),
                },
            )
            .unwrap_or(TokenMode::Jwt);
        let issuer = match t {
            Some(t) => self.req("tokens.issuer", span.clone(), t.issuer.as_ref(), |v| {
                value::non_empty(v)
            }),
            None => None,
        };
        let audience = self.opt(
            "tokens.audience",
            t.and_then(|t| t.audience.as_ref()),
            |v| value::non_empty(v),
        );
        let algorithms = self.algorithms(t.and_then(|t| t.algorithms.as_ref()));
        let jwks = self.opt("tokens.jwks", t.and_then(|t| t.jwks.as_ref()), |v| {
            value::source(v, &base)
        });
        let jwks_given = t.is_some_and(|t| t.jwks.is_some());
        if raw.is_some() && mode == TokenMode::Jwt && !jwks_given {
            let problem = Problem::RequiredForMode { mode: "jwt" };
            self.push("tokens.jwks".into(), span.clone(), problem);
        }
        let leeway = self
            .opt("tokens.leeway", t.and_then(|t| t.leeway.as_ref()), |v| {
                let d = value::duration(v)?;
                if d > MAX_LEEWAY {
                    return Err(Problem::DurationTooLong {
                        value: d,
                        max: MAX_LEEWAY,
                        why: "a longer leeway keeps expired tokens alive",
                    });
                }
                Ok(d)
            })
            .unwrap_or(DEFAULT_LEEWAY);
        let claim = |key: &str, v: Option<&S<String>>, default: &str, cx: &mut Self| {
            cx.opt(key, v, |v| value::non_empty(v))
                .unwrap_or_else(|| default.to_owned())
        };
        let scope_claim = claim(
            "tokens.scope_claim",
            t.and_then(|t| t.scope_claim.as_ref()),
            "scope",
            self,
        );
        let client_claim = claim(
            "tokens.client_claim",
            t.and_then(|t| t.client_claim.as_ref()),
            "client_id",
            self,
        );
        let raw_introspection = t.and_then(|t| t.introspection.as_ref());
        let introspection = raw_introspection.and_then(|i| self.introspection(i));
        if raw.is_some() && mode == TokenMode::Introspection && raw_introspection.is_none() {
            let problem = Problem::RequiredForMode {
                mode: "introspection",
            };
            self.push("tokens.introspection".into(), span, problem);
        }
        Tokens {
            mode,
            issuer: issuer.unwrap_or_default(),
            audience,
            algorithms,
            jwks,
            leeway,
            scope_claim,
            client_claim,
            forward_authorization: t.and_then(|t| t.forward_authorization).unwrap_or(true),
            introspection,
        }
    }

    fn algorithms(&mut self, raw: Option<&S<Vec<S<String>>>>) -> Vec<jsonwebtoken::Algorithm> {
        let Some(raw) = raw else {
            return DEFAULT_ALGORITHMS.to_vec();
        };
        if raw.get_ref().is_empty() {
            self.push("tokens.algorithms".into(), Some(raw.span()), Problem::Empty);
        }
        let mut out = Vec::new();
        for (i, name) in raw.get_ref().iter().enumerate() {
            let key = format!("tokens.algorithms[{i}]");
            if let Some(alg) = self.opt(&key, Some(name), |v| value::algorithm(v)) {
                if !out.contains(&alg) {
                    out.push(alg);
                }
            }
        }
        out
    }

    fn introspection(&mut self, raw: &Table<raw::RawIntrospection>) -> Option<Introspection> {
        let span = raw.span.clone();
        let i = &raw.value;
        let base = self.base.clone();
        let url = self.req(
            "tokens.introspection.url",
            span.clone(),
            i.url.as_ref(),
            |v| value::http_url(v),
        );
        let client_id = self.req(
            "tokens.introspection.client_id",
            span.clone(),
            i.client_id.as_ref(),
            |v| value::non_empty(v),
        );
        let client_secret_file = self.req(
            "tokens.introspection.client_secret_file",
            span,
            i.client_secret_file.as_ref(),
            |v| value::path(v, &base),
        );
        let cache_ttl = self
            .opt(
                "tokens.introspection.cache_ttl",
                i.cache_ttl.as_ref(),
                |v| value::duration(v),
            )
            .unwrap_or(DEFAULT_CACHE_TTL);
        Some(Introspection {
            url: url?,
            client_id: client_id?,
            client_secret_file: client_secret_file?,
            cache_ttl,
        })
    }

    fn audit(&mut self, raw: Option<&Table<raw::RawAudit>>) -> Audit {
        let Some(raw) = raw else {
            self.push("audit".into(), None, Problem::Missing);
            return Audit {
                path: PathBuf::new(),
                mode: AuditMode::Durable,
            };
        };
        let a = &raw.value;
        let base = self.base.clone();
        let path = self.req("audit.path", raw.span.clone(), a.path.as_ref(), |v| {
            value::path(v, &base)
        });
        let mode = self
            .opt("audit.mode", a.mode.as_ref(), |v| match v.as_str() {
                "durable" => Ok(AuditMode::Durable),
                "buffered" => Ok(AuditMode::Buffered),
                _ => Err(Problem::NotOneOf {
                    value: v.clone(),
                    expected: "\"durable\", \"buffered\"",
                }),
            })
            .unwrap_or(AuditMode::Durable);
        Audit {
            path: path.unwrap_or_default(),
            mode,
        }
    }
}

fn placeholder_source() -> Source {
    Source::File(PathBuf::new())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;

/// A validated (positive) byte count as a buffer bound; beyond the address space it is no bound.
fn list_max_bytes(n: i64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
