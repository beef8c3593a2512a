//! Keeps the MedMij lists current (SPEC §4): periodic reloads with jitter, the replacement
//! rules (a lower `Volgnummer` is a rollback and refused; an equal one changes nothing but
//! vouches for the list again; a higher one replaces it), conditional requests (a `304` for
//! the list in force vouches for it too), and retries with backoff while no list has loaded.
//!
//! Every candidate is parsed and validated in full before it is considered; a rejected or
//! unreachable list keeps the last good one in service. Staleness itself is judged per request
//! from the load times in the snapshot ([`crate::snapshot::ListSet::stale`]). Changes are
//! logged and counted with the Volgnummer step and the rows added and removed; changes that
//! touch a configured GLG are logged at warning level. Config reloads are
//! [`crate::gateway::Gateway::reload`]'s; this module only reads the config in force.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{self, Config, Source};
use crate::gateway::{Current, Gateway};
use crate::lists::{self, ListError, ListHeader, ListKind, Volgnummer};
use crate::snapshot::{ListSet, LoadTimes};
use crate::source::{self, Fetched, ListLoadError, SourceError, Validators};

/// First retry delay while no list has loaded; doubled per failure up to the refresh interval.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// Runs until `stop` resolves.
pub async fn run(gw: Arc<Gateway>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut failures: u32 = 0;
    loop {
        let cur = gw.current();
        let interval = cur.config.lists.refresh_interval;
        let delay = if cur.snapshot.is_none() {
            retry_delay(failures, interval)
        } else {
            jitter(interval)
        };
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(delay) => {}
        }
        let report = refresh_once(&gw).await;
        failures = if report.failed.is_empty() {
            0
        } else {
            failures.saturating_add(1)
        };
    }
}

/// The wait before the next attempt while no list has loaded, after `failures` failed ones.
fn retry_delay(failures: u32, interval: Duration) -> Duration {
    FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(failures.min(16)))
        .min(interval)
}

/// ±10 % so that many gateways do not hit the list server in step.
fn jitter(interval: Duration) -> Duration {
    let nanos = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0),
    );
    let spread = interval / 10;
    let offset = spread.mul_f64((nanos % 2001) as f64 / 1000.0);
    interval.saturating_sub(spread) + offset
}

/// What the refresher keeps between rounds: the list client (rebuilt when the timeout, the
/// roots or the client certificate files change) and, per list, the HTTP validators of the answer that
/// brought the list in force.
#[derive(Debug, Default)]
pub struct RefreshState {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    client: Option<(ClientKey, reqwest::Client)>,
    validators: HashMap<ListKind, Remembered>,
}

/// What the list client was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientKey {
    timeout: Duration,
    roots: Option<Vec<u8>>,
    identity: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct Remembered {
    source: Source,
    volgnummer: Volgnummer,
    validators: Validators,
}

impl RefreshState {
    /// The list client for `lists`, built again only when its settings or files changed.
    fn client(&self, lists: &config::Lists) -> Result<reqwest::Client, SourceError> {
        let identity = lists
            .client_cert
            .as_ref()
            .map(source::identity_pem)
            .transpose()?;
        let roots = lists.ca.as_ref().and_then(|p| std::fs::read(p).ok());
        let key = ClientKey {
            timeout: lists.timeout,
            roots,
            identity,
        };
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, c)) = &inner.client
            && *k == key
        {
            return Ok(c.clone());
        }
        let client = source::list_client(lists)?;
        inner.client = Some((key, client.clone()));
        Ok(client)
    }

    /// The validators to send for `kind`: only those of the answer that brought the list in
    /// force from this very source.
    fn conditional(
        &self,
        kind: ListKind,
        source: &Source,
        in_force: Option<&Volgnummer>,
    ) -> Option<(Validators, Volgnummer)> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let r = inner.validators.get(&kind)?;
        (r.source == *source && Some(&r.volgnummer) == in_force)
            .then(|| (r.validators.clone(), r.volgnummer.clone()))
    }

    fn remember(&self, kind: ListKind, r: Remembered) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if r.validators.is_empty() {
            inner.validators.remove(&kind);
        } else {
            inner.validators.insert(kind, r);
        }
    }
}

/// What one refresh did, per list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefreshReport {
    pub replaced: Vec<ListKind>,
    /// Same Volgnummer (or `304 Not Modified`): freshness renewed, nothing else changed.
    pub unchanged: Vec<ListKind>,
    /// Refused (rollback, invalid) or unreachable.
    pub failed: Vec<ListKind>,
    /// Replacements that touched a configured GLG, each also logged at warning level.
    pub glg_changes: Vec<GlgChange>,
}

/// A list replacement that changed what a configured GLG depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlgChange {
    pub glg: String,
    pub list: ListKind,
    /// The ZA (ZAL) or the DVP (OCL) whose entry changed.
    pub subject: String,
    /// ZAL: the copy service is now offered; OCL: the DVP is now qualified for it.
    pub now_listed: bool,
}

/// A loaded candidate.
enum Candidate {
    Zal(Arc<lists::Zal>),
    Ocl(Arc<lists::Ocl>),
    Whl(Arc<lists::Whl>),
    Gnl(Arc<lists::Gnl>),
}

impl Candidate {
    fn header(&self) -> &ListHeader {
        match self {
            Candidate::Zal(l) => &l.header,
            Candidate::Ocl(l) => &l.header,
            Candidate::Whl(l) => &l.header,
            Candidate::Gnl(l) => &l.header,
        }
    }
}

/// What one fetch brought.
enum Loaded {
    /// A valid document, with the validators of its answer.
    Document(Candidate, Validators),
    /// `304` for the list in force with this Volgnummer.
    NotModified(Volgnummer),
}

fn parse(kind: ListKind, bytes: &[u8]) -> Result<Candidate, ListError> {
    match kind {
        ListKind::Zal => lists::zal::parse(bytes).map(|l| Candidate::Zal(Arc::new(l))),
        ListKind::Ocl => lists::ocl::parse(bytes).map(|l| Candidate::Ocl(Arc::new(l))),
        ListKind::Whl => lists::whl::parse(bytes).map(|l| Candidate::Whl(Arc::new(l))),
        ListKind::Gnl => lists::gnl::parse(bytes).map(|l| Candidate::Gnl(Arc::new(l))),
    }
}

async fn fetch(
    kind: ListKind,
    source: &Source,
    http: &reqwest::Client,
    limit: usize,
    conditional: Option<(Validators, Volgnummer)>,
) -> Result<Loaded, ListLoadError> {
    let (validators, vouched) = conditional.unzip();
    match source::fetch_conditional(source, http, limit, validators.as_ref()).await? {
        Fetched::NotModified => vouched.map(Loaded::NotModified).ok_or_else(|| {
            SourceError::UnaskedNotModified {
                list: source.to_string(),
            }
            .into()
        }),
        Fetched::Body { bytes, validators } => {
            // Tens of MB of XML: parse off the async workers.
            let parsed = tokio::task::spawn_blocking(move || parse(kind, &bytes))
                .await
                .map_err(|_| SourceError::ParseAborted)?;
            Ok(Loaded::Document(parsed?, validators))
        }
    }
}

fn sources(lists: &config::Lists) -> Vec<(ListKind, &Source)> {
    let mut v = vec![(ListKind::Zal, &lists.zal), (ListKind::Ocl, &lists.ocl)];
    if let Some(s) = &lists.whl {
        v.push((ListKind::Whl, s));
    }
    if let Some(s) = &lists.gnl {
        v.push((ListKind::Gnl, s));
    }
    v
}

/// Loads every configured list once and swaps in what the rules allow. Returns after the
/// swap, so a caller (a test, the bench) knows the new lists are in force.
pub async fn refresh_once(gw: &Gateway) -> RefreshReport {
    let cur = gw.current();
    let config = cur.config.clone();
    let in_force = |kind| {
        cur.snapshot
            .as_ref()
            .and_then(|s| header_of(&s.lists, kind))
            .map(|h| h.volgnummer.clone())
    };
    let client = match gw.refresh.client(&config.lists) {
        Ok(c) => c,
        Err(e) => {
            let mut report = RefreshReport::default();
            for (kind, _) in sources(&config.lists) {
                gw.metrics.list_refresh_failed(kind);
                tracing::error!(list = kind.name(), error = %e, "list client unusable; the lists in force stay");
                report.failed.push(kind);
            }
            return report;
        }
    };
    let limit = config.lists.max_bytes;
    let loads = sources(&config.lists).into_iter().map(|(kind, source)| {
        let conditional = gw
            .refresh
            .conditional(kind, source, in_force(kind).as_ref());
        let client = &client;
        async move {
            (
                kind,
                source.clone(),
                fetch(kind, source, client, limit, conditional).await,
            )
        }
    });
    let results = futures_util::future::join_all(loads).await;
    drop(cur);
    let now = gw.clock.now();
    let mut report = RefreshReport::default();
    let mut accepted = Vec::new();
    let replaced = gw
        .update(|cur| merge(cur, &config, results, now, gw, &mut report, &mut accepted))
        .await;
    if let Some(old) = replaced {
        tokio::spawn(drop_when_unused(old, config.server.request_timeout));
    }
    for (kind, r) in accepted {
        gw.refresh.remember(kind, r);
    }
    report
}

/// Frees a replaced `Current` on a blocking thread once the requests still reading it are
/// done (or after `patience`), so that freeing a large ZAL never stalls a request.
async fn drop_when_unused(old: Arc<Current>, patience: Duration) {
    let deadline = tokio::time::Instant::now() + patience;
    let mut old = old;
    loop {
        match Arc::try_unwrap(old) {
            Ok(last) => {
                let _ = tokio::task::spawn_blocking(move || drop(last)).await;
                return;
            }
            Err(shared) if tokio::time::Instant::now() >= deadline => {
                drop(shared);
                return;
            }
            Err(shared) => {
                old = shared;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

type Fetches = Vec<(ListKind, Source, Result<Loaded, ListLoadError>)>;

fn merge(
    cur: &Current,
    config: &Config,
    results: Fetches,
    now: DateTime<Utc>,
    gw: &Gateway,
    report: &mut RefreshReport,
    accepted: &mut Vec<(ListKind, Remembered)>,
) -> Option<Current> {
    let old = cur.snapshot.as_ref().map(|s| &s.lists);
    let mut next: Option<ListSet> = old.cloned();
    let mut fresh: Vec<(ListKind, Candidate, Remembered)> = Vec::new();
    for (kind, source, result) in results {
        let current = old.and_then(|l| header_of(l, kind));
        match result {
            Err(e) => {
                gw.metrics.list_refresh_failed(kind);
                tracing::warn!(list = kind.name(), error = %e, "list refresh failed; the list in force stays");
                report.failed.push(kind);
            }
            Ok(Loaded::NotModified(v)) => {
                if current.is_some_and(|h| h.volgnummer == v) {
                    report.unchanged.push(kind);
                    if let Some(n) = next.as_mut() {
                        touch(&mut n.loaded_at, kind, now);
                    }
                } else {
                    // The list in force changed while this fetch ran; the next round asks again.
                    report.failed.push(kind);
                }
            }
            Ok(Loaded::Document(candidate, validators)) => {
                let remembered = Remembered {
                    source,
                    volgnummer: candidate.header().volgnummer.clone(),
                    validators,
                };
                let step = current.map(|h| candidate.header().volgnummer.cmp(&h.volgnummer));
                match step {
                    Some(std::cmp::Ordering::Less) => {
                        gw.metrics.list_refresh_failed(kind);
                        tracing::warn!(
                            list = kind.name(),
                            list.volgnummer = %candidate.header().volgnummer,
                            list.current = %current.map(|h| h.volgnummer.to_string()).unwrap_or_default(),
                            "list refused: lower Volgnummer than the one in force (rollback)"
                        );
                        report.failed.push(kind);
                    }
                    Some(std::cmp::Ordering::Equal) => {
                        report.unchanged.push(kind);
                        accepted.push((kind, remembered));
                        if let Some(n) = next.as_mut() {
                            touch(&mut n.loaded_at, kind, now);
                        }
                    }
                    Some(std::cmp::Ordering::Greater) | None => {
                        fresh.push((kind, candidate, remembered));
                    }
                }
            }
        }
    }
    if next.is_none() {
        // The first load needs every configured list.
        let mut zal = None;
        let mut ocl = None;
        let mut whl = None;
        let mut gnl = None;
        let mut remembered = Vec::new();
        for (kind, c, r) in fresh.drain(..) {
            remembered.push((kind, r));
            match c {
                Candidate::Zal(l) => zal = Some(l),
                Candidate::Ocl(l) => ocl = Some(l),
                Candidate::Whl(l) => whl = Some(l),
                Candidate::Gnl(l) => gnl = Some(l),
            }
        }
        let complete = zal.is_some()
            && ocl.is_some()
            && (config.lists.whl.is_none() || whl.is_some())
            && (config.lists.gnl.is_none() || gnl.is_some());
        let (Some(zal), Some(ocl), true) = (zal, ocl, complete) else {
            return None;
        };
        accepted.extend(remembered);
        report
            .replaced
            .extend(sources(&config.lists).iter().map(|(k, _)| *k));
        tracing::info!("lists loaded; ready");
        return Some(cur.with_lists(ListSet {
            zal,
            ocl,
            loaded_at: LoadTimes {
                zal: now,
                ocl: now,
                whl: whl.as_ref().map(|_| now),
                gnl: gnl.as_ref().map(|_| now),
            },
            whl,
            gnl,
        }));
    }
    let mut next = next?;
    if fresh.is_empty() && report.unchanged.is_empty() {
        return None;
    }
    for (kind, candidate, remembered) in fresh {
        gw.metrics.list_changed(kind);
        report.replaced.push(kind);
        accepted.push((kind, remembered));
        let (added, removed) = log_change(&next, &candidate, config, &mut report.glg_changes);
        gw.metrics
            .list_rows_changed(kind, added as u64, removed as u64);
        touch(&mut next.loaded_at, kind, now);
        match candidate {
            Candidate::Zal(l) => next.zal = l,
            Candidate::Ocl(l) => next.ocl = l,
            Candidate::Whl(l) => next.whl = Some(l),
            Candidate::Gnl(l) => next.gnl = Some(l),
        }
    }
    for change in &report.glg_changes {
        gw.metrics.glg_list_changed(&change.glg);
    }
    Some(cur.with_lists(next))
}

fn header_of(lists: &ListSet, kind: ListKind) -> Option<&ListHeader> {
    match kind {
        ListKind::Zal => Some(&lists.zal.header),
        ListKind::Ocl => Some(&lists.ocl.header),
        ListKind::Whl => lists.whl.as_ref().map(|l| &l.header),
        ListKind::Gnl => lists.gnl.as_ref().map(|l| &l.header),
    }
}

fn touch(times: &mut LoadTimes, kind: ListKind, now: DateTime<Utc>) {
    match kind {
        ListKind::Zal => times.zal = now,
        ListKind::Ocl => times.ocl = now,
        ListKind::Whl => times.whl = Some(now),
        ListKind::Gnl => times.gnl = Some(now),
    }
}

fn diff<K: Eq + Hash>(
    old: impl Iterator<Item = K>,
    new: impl Iterator<Item = K>,
) -> (usize, usize) {
    let old: HashSet<K> = old.collect();
    let new: HashSet<K> = new.collect();
    (new.difference(&old).count(), old.difference(&new).count())
}

/// One info line per replaced list; one warning per configured GLG the change touches.
/// Returns the rows added and removed.
fn log_change(
    old: &ListSet,
    new: &Candidate,
    config: &Config,
    glg_changes: &mut Vec<GlgChange>,
) -> (usize, usize) {
    let (kind, from, (added, removed)) = match new {
        Candidate::Zal(l) => (
            ListKind::Zal,
            Some(&old.zal.header),
            diff(old.zal.zorgaanbieders.keys(), l.zorgaanbieders.keys()),
        ),
        Candidate::Ocl(l) => (
            ListKind::Ocl,
            Some(&old.ocl.header),
            diff(old.ocl.clients.keys(), l.clients.keys()),
        ),
        Candidate::Whl(l) => (
            ListKind::Whl,
            old.whl.as_ref().map(|o| &o.header),
            match &old.whl {
                Some(o) => diff(o.hosts.iter(), l.hosts.iter()),
                None => (l.hosts.len(), 0),
            },
        ),
        Candidate::Gnl(l) => (
            ListKind::Gnl,
            old.gnl.as_ref().map(|o| &o.header),
            match &old.gnl {
                Some(o) => diff(o.names.keys(), l.names.keys()),
                None => (l.names.len(), 0),
            },
        ),
    };
    tracing::info!(
        list = kind.name(),
        list.volgnummer.from = %from.map(|h| h.volgnummer.to_string()).unwrap_or_default(),
        list.volgnummer.to = %new.header().volgnummer,
        list.rows.added = added,
        list.rows.removed = removed,
        "list replaced"
    );
    for g in &config.glgs {
        match new {
            Candidate::Zal(l) => {
                let before = old
                    .zal
                    .get(&g.provider)
                    .is_some_and(|z| z.offers(&g.copy_service));
                let after = l
                    .get(&g.provider)
                    .is_some_and(|z| z.offers(&g.copy_service));
                if before != after {
                    glg_changes.push(GlgChange {
                        glg: g.id.to_string(),
                        list: ListKind::Zal,
                        subject: g.provider.to_string(),
                        now_listed: after,
                    });
                    tracing::warn!(
                        glg.id = %g.id,
                        glg.copy_service = %g.copy_service,
                        provider = %g.provider,
                        on_zal = after,
                        "GLG copy service {} the ZAL",
                        if after { "appeared on" } else { "disappeared from" }
                    );
                }
            }
            Candidate::Ocl(l) => {
                for dvp in &g.dvps {
                    let before = old
                        .ocl
                        .get(dvp)
                        .is_some_and(|c| c.qualified_for(&g.copy_service));
                    let after = l.get(dvp).is_some_and(|c| c.qualified_for(&g.copy_service));
                    if before != after {
                        glg_changes.push(GlgChange {
                            glg: g.id.to_string(),
                            list: ListKind::Ocl,
                            subject: dvp.to_string(),
                            now_listed: after,
                        });
                        tracing::warn!(
                            glg.id = %g.id,
                            glg.copy_service = %g.copy_service,
                            client.id = %dvp,
                            qualified = after,
                            "GLG DVP {} for the copy service on the OCL",
                            if after { "became qualified" } else { "is no longer qualified" }
                        );
                    }
                }
            }
            Candidate::Whl(_) | Candidate::Gnl(_) => {}
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_before_the_first_load_double_from_one_second_up_to_the_interval() {
        let interval = Duration::from_secs(300);
        let delays: Vec<u64> = (0..10)
            .map(|f| retry_delay(f, interval).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
    }

    #[test]
    fn jitter_stays_within_ten_percent_of_the_interval() {
        let d = jitter(Duration::from_secs(300));
        assert!((270..=330).contains(&d.as_secs()), "{d:?}");
    }
}
