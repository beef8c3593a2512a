//! Prometheus metrics (SPEC §10), on the maintained `prometheus-client` crate.
//!
//! Metric names are the constants below; every label value comes from a closed set (the
//! `Reason` codes, `allow`/`deny`, the list kinds, configured GLG ids), never from a client,
//! subject or token. Gauges that describe state (list age, GLG activity) are set by
//! [`Metrics::encode`] from the snapshot at scrape time, so they cannot go stale. The admin
//! listener serves the text; the proxy and the refresher record events.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::lists::ListKind;
use crate::reason::Reason;

pub const REQUESTS: &str = "scopegate_requests";
pub const REQUEST_DURATION: &str = "scopegate_request_duration_seconds";
pub const UPSTREAM_DURATION: &str = "scopegate_upstream_duration_seconds";
pub const LIST_AGE: &str = "scopegate_list_age_seconds";
pub const LIST_VOLGNUMMER: &str = "scopegate_list_volgnummer";
pub const LIST_REFRESH_FAILURES: &str = "scopegate_list_refresh_failures";
pub const LIST_CHANGES: &str = "scopegate_list_changes";
pub const LIST_ROWS_CHANGED: &str = "scopegate_list_rows_changed";
pub const GLG_LIST_CHANGES: &str = "scopegate_glg_list_changes";
pub const GLG_ACTIVE: &str = "scopegate_glg_active";
pub const AUDIT_RECORDS: &str = "scopegate_audit_records";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    decision: &'static str,
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListLabels {
    list: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListRowLabels {
    list: &'static str,
    /// `added` or `removed`.
    change: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GlgLabels {
    glg: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric scopegate exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<DecisionLabels, Counter>,
    request_duration: Histogram,
    upstream_duration: Histogram,
    list_age: Family<ListLabels, FloatGauge>,
    list_volgnummer: Family<ListLabels, FloatGauge>,
    list_refresh_failures: Family<ListLabels, Counter>,
    list_changes: Family<ListLabels, Counter>,
    list_rows_changed: Family<ListRowLabels, Counter>,
    glg_list_changes: Family<GlgLabels, Counter>,
    glg_active: Family<GlgLabels, Gauge>,
    audit_records: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// State read at scrape time.
pub struct ScrapeState<'a> {
    /// (list, seconds since its last good load, Volgnummer) for each loaded list.
    pub lists: Vec<(ListKind, f64, f64)>,
    /// (GLG id, live today) for every configured GLG.
    pub glgs: Vec<(&'a str, bool)>,
    /// Total audit records written by this process.
    pub audit_records: u64,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<DecisionLabels, Counter>::default();
        // 100 µs .. ~100 s
        let request_duration = Histogram::new(exponential_buckets(0.0001, 2.5, 16));
        let upstream_duration = Histogram::new(exponential_buckets(0.0001, 2.5, 16));
        let list_age = Family::<ListLabels, FloatGauge>::default();
        let list_volgnummer = Family::<ListLabels, FloatGauge>::default();
        let list_refresh_failures = Family::<ListLabels, Counter>::default();
        let list_changes = Family::<ListLabels, Counter>::default();
        let list_rows_changed = Family::<ListRowLabels, Counter>::default();
        let glg_list_changes = Family::<GlgLabels, Counter>::default();
        let glg_active = Family::<GlgLabels, Gauge>::default();
        let audit_records = Counter::default();
        registry.register(
            REQUESTS,
            "Decisions by outcome and reason",
            requests.clone(),
        );
        registry.register(
            REQUEST_DURATION,
            "Time from request head to response head",
            request_duration.clone(),
        );
        registry.register(
            UPSTREAM_DURATION,
            "Time the upstream took to answer with its response head",
            upstream_duration.clone(),
        );
        registry.register(
            LIST_AGE,
            "Seconds since the list was last loaded successfully",
            list_age.clone(),
        );
        registry.register(
            LIST_VOLGNUMMER,
            "Volgnummer of the list in force",
            list_volgnummer.clone(),
        );
        registry.register(
            LIST_REFRESH_FAILURES,
            "List loads that failed or were rejected",
            list_refresh_failures.clone(),
        );
        registry.register(
            LIST_CHANGES,
            "List replacements by a higher Volgnummer",
            list_changes.clone(),
        );
        registry.register(
            LIST_ROWS_CHANGED,
            "Rows added to and removed from a list by its replacements",
            list_rows_changed.clone(),
        );
        registry.register(
            GLG_LIST_CHANGES,
            "List changes that touched a configured GLG (copy service on the ZAL, DVP on the OCL)",
            glg_list_changes.clone(),
        );
        registry.register(
            GLG_ACTIVE,
            "1 while the GLG's copy service carries traffic",
            glg_active.clone(),
        );
        registry.register(
            AUDIT_RECORDS,
            "Audit records written",
            audit_records.clone(),
        );
        Metrics {
            registry,
            requests,
            request_duration,
            upstream_duration,
            list_age,
            list_volgnummer,
            list_refresh_failures,
            list_changes,
            list_rows_changed,
            glg_list_changes,
            glg_active,
            audit_records,
        }
    }

    /// One decision; `reason` is `None` for an allowed request.
    pub fn decision(&self, reason: Option<Reason>, elapsed: Duration) {
        let labels = DecisionLabels {
            decision: if reason.is_some() { "deny" } else { "allow" },
            reason: reason.map_or("", Reason::code),
        };
        self.requests.get_or_create(&labels).inc();
        self.request_duration.observe(elapsed.as_secs_f64());
    }

    pub fn upstream(&self, elapsed: Duration) {
        self.upstream_duration.observe(elapsed.as_secs_f64());
    }

    pub fn list_refresh_failed(&self, kind: ListKind) {
        self.list_refresh_failures
            .get_or_create(&ListLabels { list: kind.name() })
            .inc();
    }

    pub fn list_changed(&self, kind: ListKind) {
        self.list_changes
            .get_or_create(&ListLabels { list: kind.name() })
            .inc();
    }

    /// Rows added and removed by one list replacement.
    pub fn list_rows_changed(&self, kind: ListKind, added: u64, removed: u64) {
        for (change, n) in [("added", added), ("removed", removed)] {
            let labels = ListRowLabels {
                list: kind.name(),
                change,
            };
            self.list_rows_changed.get_or_create(&labels).inc_by(n);
        }
    }

    /// A list change that touched the configured GLG `glg`.
    pub fn glg_list_changed(&self, glg: &str) {
        self.glg_list_changes
            .get_or_create(&GlgLabels {
                glg: glg.to_owned(),
            })
            .inc();
    }

    /// Prometheus text exposition, with the state gauges set from `state` first.
    pub fn encode(&self, state: &ScrapeState<'_>) -> String {
        for &(kind, age, volgnummer) in &state.lists {
            let labels = ListLabels { list: kind.name() };
            self.list_age.get_or_create(&labels).set(age);
            self.list_volgnummer.get_or_create(&labels).set(volgnummer);
        }
        self.glg_active.clear();
        for &(id, live) in &state.glgs {
            self.glg_active
                .get_or_create(&GlgLabels { glg: id.to_owned() })
                .set(i64::from(live));
        }
        let written = state.audit_records;
        let counted = self.audit_records.get();
        if written > counted {
            self.audit_records.inc_by(written - counted);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> ScrapeState<'static> {
        ScrapeState {
            lists: vec![],
            glgs: vec![],
            audit_records: 0,
        }
    }

    #[test]
    fn a_denial_is_counted_under_its_reason_code() {
        let m = Metrics::new();
        m.decision(Some(Reason::GlgNotActive), Duration::from_millis(1));
        let text = m.encode(&empty());
        assert!(
            text.contains(r#"scopegate_requests_total{decision="deny",reason="glg_not_active"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn list_gauges_and_glg_activity_come_from_the_scrape_state() {
        let m = Metrics::new();
        let text = m.encode(&ScrapeState {
            lists: vec![(ListKind::Zal, 12.5, 6.0)],
            glgs: vec![("glg-umch-51", true), ("glg-old", false)],
            audit_records: 3,
        });
        assert!(
            text.contains(r#"scopegate_list_age_seconds{list="zal"} 12.5"#),
            "{text}"
        );
        assert!(
            text.contains(r#"scopegate_list_volgnummer{list="zal"} 6.0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"scopegate_glg_active{glg="glg-umch-51"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"scopegate_glg_active{glg="glg-old"} 0"#),
            "{text}"
        );
        assert!(text.contains("scopegate_audit_records_total 3"), "{text}");
    }

    #[test]
    fn list_row_changes_and_glg_list_changes_are_counted() {
        let m = Metrics::new();
        m.list_rows_changed(ListKind::Zal, 3, 1);
        m.glg_list_changed("glg-umch-51");
        let text = m.encode(&ScrapeState {
            lists: vec![],
            glgs: vec![],
            audit_records: 0,
        });
        for line in [
            "scopegate_list_rows_changed_total{list=\"zal\",change=\"added\"} 3",
            "scopegate_list_rows_changed_total{list=\"zal\",change=\"removed\"} 1",
            "scopegate_glg_list_changes_total{glg=\"glg-umch-51\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
    }

    #[test]
    fn histograms_are_exported_with_the_contract_names() {
        let m = Metrics::new();
        m.decision(None, Duration::from_micros(300));
        m.upstream(Duration::from_micros(200));
        let text = m.encode(&empty());
        assert!(
            text.contains("scopegate_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains("scopegate_upstream_duration_seconds_count 1"),
            "{text}"
        );
    }
}
