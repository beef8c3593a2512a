//! One immutable snapshot of everything a decision reads: the validated config, the four
//! MedMij lists, and indexes derived from both at build time.
//!
//! A request loads one `Arc<Snapshot>` once and decides against it, so it always sees one
//! consistent set of lists and config. Building a snapshot is the only place derived state
//! is computed; reloads and list refreshes build a whole new snapshot and swap it in. This
//! module does no IO.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Config, Provider};
use crate::lists::{Gnl, ListKind, Ocl, Whl, Zal};
use crate::policy::oauth::{EndpointIndex, OAuthEndpoint};

/// The four lists in force, each as last loaded successfully.
#[derive(Debug, Clone)]
pub struct ListSet {
    pub zal: Arc<Zal>,
    pub ocl: Arc<Ocl>,
    pub whl: Option<Arc<Whl>>,
    pub gnl: Option<Arc<Gnl>>,
    /// When each list was last loaded successfully (a load that found the same Volgnummer
    /// counts: the list server vouched for it again).
    pub loaded_at: LoadTimes,
}

/// The instant of the last good load of each list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadTimes {
    pub zal: DateTime<Utc>,
    pub ocl: DateTime<Utc>,
    pub whl: Option<DateTime<Utc>>,
    pub gnl: Option<DateTime<Utc>>,
}

impl LoadTimes {
    /// All lists loaded at the same instant.
    pub fn all(at: DateTime<Utc>) -> LoadTimes {
        LoadTimes {
            zal: at,
            ocl: at,
            whl: Some(at),
            gnl: Some(at),
        }
    }

    /// The last good load of each list that has one.
    pub fn each(&self) -> impl Iterator<Item = (ListKind, DateTime<Utc>)> {
        [
            (ListKind::Zal, Some(self.zal)),
            (ListKind::Ocl, Some(self.ocl)),
            (ListKind::Whl, self.whl),
            (ListKind::Gnl, self.gnl),
        ]
        .into_iter()
        .filter_map(|(k, t)| t.map(|t| (k, t)))
    }
}

impl ListSet {
    /// The list whose last good load is older than `max_stale` at `now`, if any (SPEC §7 row 1).
    pub fn stale(&self, now: DateTime<Utc>, max_stale: std::time::Duration) -> Option<ListKind> {
        let max = chrono::Duration::from_std(max_stale).unwrap_or(chrono::Duration::MAX);
        self.loaded_at
            .each()
            .find(|&(kind, at)| self.has(kind) && now.signed_duration_since(at) > max)
            .map(|(kind, _)| kind)
    }

    fn has(&self, kind: ListKind) -> bool {
        match kind {
            ListKind::Zal | ListKind::Ocl => true,
            ListKind::Whl => self.whl.is_some(),
            ListKind::Gnl => self.gnl.is_some(),
        }
    }
}

/// Config + lists + derived indexes. Immutable.
#[derive(Debug)]
pub struct Snapshot {
    pub config: Arc<Config>,
    pub lists: ListSet,
    /// Provider name → index into `config.providers`.
    providers: HashMap<Box<str>, usize>,
    /// The authorization and token endpoints of the served providers (SPEC §9).
    oauth: EndpointIndex,
}

impl Snapshot {
    pub fn new(config: Arc<Config>, lists: ListSet) -> Snapshot {
        let providers = config
            .providers
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str().into(), i))
            .collect();
        let oauth = EndpointIndex::build(&config, &lists.zal);
        Snapshot {
            config,
            lists,
            providers,
            oauth,
        }
    }

    /// The `[[providers]]` entry for a ZA (full name with `@medmij`), if this DVZA serves it.
    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.get(name).map(|&i| &self.config.providers[i])
    }

    /// The authorization or token endpoint a request addresses (exact path; host too when
    /// `match_host`), if any.
    pub fn oauth_endpoint(&self, host: Option<&str>, path: &str) -> Option<OAuthEndpoint<'_>> {
        self.oauth.find(host, path, self.config.server.match_host)
    }
}
