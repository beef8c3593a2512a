//! Keeps the MedMij lists current (SPEC §4): periodic reloads with jitter, the replacement
//! rules (a lower `Volgnummer` is a rollback and refused; an equal one changes nothing but
//! vouches for the list again; a higher one replaces it), and retries with backoff while no
//! list has loaded yet.
//!
//! Every candidate is parsed and validated in full before it is considered; a rejected or
//! unreachable list keeps the last good one in service. Staleness itself is judged per request
//! from the load times in the snapshot ([`crate::snapshot::ListSet::stale`]). Changes are
//! logged with the Volgnummer step and the rows added and removed; changes that touch a
//! configured GLG are logged at warning level.

use std::collections::HashSet;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{self, Config, Source};
use crate::gateway::{Current, Gateway};
use crate::lists::{self, ListError, ListHeader, ListKind};
use crate::snapshot::{ListSet, LoadTimes};
use crate::source::{self, ListLoadError};

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
            FIRST_RETRY
                .saturating_mul(2u32.saturating_pow(failures.min(16)))
                .min(interval)
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

/// What one refresh did, per list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefreshReport {
    pub replaced: Vec<ListKind>,
    pub unchanged: Vec<ListKind>,
    /// Refused (rollback, invalid) or unreachable.
    pub failed: Vec<ListKind>,
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

async fn fetch(
    kind: ListKind,
    source: &Source,
    http: &reqwest::Client,
) -> Result<Candidate, ListLoadError> {
    let bytes = source::fetch(source, http).await?;
    let parsed: Result<Candidate, ListError> = match kind {
        ListKind::Zal => lists::zal::parse(&bytes).map(|l| Candidate::Zal(Arc::new(l))),
        ListKind::Ocl => lists::ocl::parse(&bytes).map(|l| Candidate::Ocl(Arc::new(l))),
        ListKind::Whl => lists::whl::parse(&bytes).map(|l| Candidate::Whl(Arc::new(l))),
        ListKind::Gnl => lists::gnl::parse(&bytes).map(|l| Candidate::Gnl(Arc::new(l))),
    };
    Ok(parsed?)
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

/// Loads every configured list once and swaps in what the rules allow.
pub async fn refresh_once(gw: &Gateway) -> RefreshReport {
    let config = gw.current().config.clone();
    let loads = sources(&config.lists)
        .into_iter()
        .map(|(kind, source)| async move { (kind, fetch(kind, source, &gw.http).await) });
    let results = futures_util::future::join_all(loads).await;
    let now = gw.clock.now();
    let mut report = RefreshReport::default();
    gw.update(|cur| merge(cur, &config, results, now, gw, &mut report))
        .await;
    report
}

fn merge(
    cur: &Current,
    config: &Config,
    results: Vec<(ListKind, Result<Candidate, ListLoadError>)>,
    now: DateTime<Utc>,
    gw: &Gateway,
    report: &mut RefreshReport,
) -> Option<Current> {
    let old = cur.snapshot.as_ref().map(|s| &s.lists);
    let mut next: Option<ListSet> = old.cloned();
    let mut fresh: Vec<(ListKind, Candidate)> = Vec::new();
    for (kind, result) in results {
        match result {
            Err(e) => {
                gw.metrics.list_refresh_failed(kind);
                tracing::warn!(list = kind.name(), error = %e, "list not loaded; the last good one stays in service");
                report.failed.push(kind);
            }
            Ok(candidate) => {
                let current = old.and_then(|l| header_of(l, kind));
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
                        if let Some(n) = next.as_mut() {
                            touch(&mut n.loaded_at, kind, now);
                        }
                    }
                    Some(std::cmp::Ordering::Greater) | None => fresh.push((kind, candidate)),
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
        for (_, c) in fresh.drain(..) {
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
    for (kind, candidate) in fresh {
        gw.metrics.list_changed(kind);
        report.replaced.push(kind);
        log_change(&next, &candidate, config);
        touch(&mut next.loaded_at, kind, now);
        match candidate {
            Candidate::Zal(l) => next.zal = l,
            Candidate::Ocl(l) => next.ocl = l,
            Candidate::Whl(l) => next.whl = Some(l),
            Candidate::Gnl(l) => next.gnl = Some(l),
        }
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
fn log_change(old: &ListSet, new: &Candidate, config: &Config) {
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
}
