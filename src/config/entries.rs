//! Stage two for the array tables: `[[providers]]` and `[[glg]]`, entry by entry.
//!
//! Part of `validate`'s checker: names (ZAL form, unique), upstreams and per-service
//! upstreams of each provider, and each GLG's fields on their own. The rules between GLGs
//! and dates are [`crate::glg::check`]'s.

use std::collections::{BTreeMap, BTreeSet};

use super::error::Problem;
use super::parse::key_segment;
use super::raw::{self, S, Table};
use super::validate::Checker;
use super::{Provider, value};
use crate::glg::Glg;

impl Checker<'_> {
    /// The valid providers, and every valid provider name (also of entries left out for a
    /// bad upstream, so that their GLGs are not reported as unserved too).
    pub(super) fn providers(
        &mut self,
        raw: &[Table<raw::RawProvider>],
    ) -> (Vec<Provider>, BTreeSet<String>) {
        if raw.is_empty() {
            self.push("providers".into(), None, Problem::Missing);
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = Vec::new();
        for (i, entry) in raw.iter().enumerate() {
            let span = entry.span.clone();
            let p = &entry.value;
            let at = |key: &str| format!("providers[{i}].{key}");
            let name = self.req(&at("name"), span.clone(), p.name.as_ref(), |v| {
                value::provider_name(v)
            });
            if let (Some(name), Some(raw_name)) = (&name, &p.name) {
                if let Some(&first) = seen.get(name) {
                    let problem = Problem::DuplicateProvider {
                        value: name.clone(),
                        first,
                    };
                    self.push(at("name"), Some(raw_name.span()), problem);
                } else {
                    seen.insert(name.clone(), i);
                }
            }
            let upstream = self.req(&at("upstream"), span, p.upstream.as_ref(), |v| {
                value::upstream(v)
            });
            let mut services = BTreeMap::new();
            for (id, base) in p.services.as_ref().map(|t| &t.value).into_iter().flatten() {
                let key = format!("{}.{}", at("services"), key_segment(id));
                if let Err(problem) = value::service_id(id) {
                    self.push(key.clone(), Some(base.span()), problem);
                }
                if let Some(url) = self.opt(&key, Some(base), |v| value::upstream(v)) {
                    services.insert(id.clone(), url);
                }
            }
            let authorization_server = self.opt(
                &at("authorization_server"),
                p.authorization_server.as_ref(),
                |v| value::upstream(v),
            );
            if let (Some(name), Some(upstream)) = (name, upstream) {
                out.push(Provider {
                    name,
                    upstream,
                    services,
                    authorization_server,
                });
            }
        }
        (out, seen.into_keys().collect())
    }

    pub(super) fn glg(
        &mut self,
        i: usize,
        raw: &Table<raw::RawGlg>,
        served: &BTreeSet<String>,
    ) -> Glg {
        let span = raw.span.clone();
        let g = &raw.value;
        let at = |key: &str| format!("glg[{i}].{key}");
        let id = self.req(&at("id"), span.clone(), g.id.as_ref(), |v| {
            value::non_empty(v)
        });
        let provider = self.req(&at("provider"), span.clone(), g.provider.as_ref(), |v| {
            let name = value::provider_name(v)?;
            if !served.contains(&name) {
                return Err(Problem::ProviderNotServed { value: name });
            }
            Ok(name)
        });
        let copy_service = self.req(
            &at("copy_service"),
            span.clone(),
            g.copy_service.as_ref(),
            |v| value::service_id(v),
        );
        let original_service = self.req(
            &at("original_service"),
            span.clone(),
            g.original_service.as_ref(),
            |v| value::service_id(v),
        );
        let mut dvps = Vec::new();
        for (j, dvp) in g
            .dvps
            .as_ref()
            .map(S::get_ref)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(d) = self.opt(&format!("glg[{i}].dvps[{j}]"), Some(dvp), |v| {
                value::non_empty(v)
            }) {
                dvps.push(d);
            }
        }
        let start = self.req(&at("start"), span.clone(), g.start.as_ref(), |v| {
            value::date(v)
        });
        let end = self.req(&at("end"), span, g.end.as_ref(), |v| value::date(v));
        let extended_until = self.opt(&at("extended_until"), g.extended_until.as_ref(), |v| {
            value::date(v)
        });
        Glg {
            id: id.unwrap_or_default(),
            provider: provider.unwrap_or_default(),
            copy_service: copy_service.unwrap_or_default(),
            original_service: original_service.unwrap_or_default(),
            dvps,
            start: start.unwrap_or_default(),
            end: end.unwrap_or_default(),
            extended_until,
        }
    }
}
