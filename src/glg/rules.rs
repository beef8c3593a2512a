//! The GLG rules of SPEC §6 as findings with stable codes.
//!
//! [`check`] applies every rule to the configured GLGs and returns errors (the config is
//! invalid) and warnings (it works but MedMij advises otherwise, or it will not work until
//! the lists catch up). It does not stop at the first problem, does not print, and does not
//! decide requests. Called by `scopegate check`, by config (re)loads and by the admin API.
//!
//! Rules between two GLGs are reported once, on the GLG that breaks them: the later one in
//! config order, or for the cooldown the one that starts later. Warnings are not produced
//! for GLGs that have ended on `today`: they stay in the config only as history for the
//! cooldown rule, and their ids are expected to have left the lists.
//!
//! `glg_copy_service_overlap` applies to any two GLGs, also of different ZAs, as SPEC §6
//! words it; `glg_cooldown` only to GLGs of the same ZA and original service.

use std::fmt;

use chrono::NaiveDate;

use super::{Glg, Phase};
use crate::lists::{Ocl, Zal};

/// The stable codes of [`Finding::code`].
pub mod code {
    pub const DUPLICATE_ID: &str = "glg_duplicate_id";
    pub const COPY_IS_ORIGINAL: &str = "glg_copy_is_original";
    pub const NO_DVPS: &str = "glg_no_dvps";
    /// Extra to SPEC §6: the same DVP twice in one GLG's `dvps`.
    pub const DUPLICATE_DVP: &str = "glg_duplicate_dvp";
    pub const END_BEFORE_START: &str = "glg_end_before_start";
    pub const TOO_LONG: &str = "glg_too_long";
    pub const EXTENSION_NOT_AFTER_END: &str = "glg_extension_not_after_end";
    pub const EXTENSION_TOO_LONG: &str = "glg_extension_too_long";
    pub const COPY_SERVICE_OVERLAP: &str = "glg_copy_service_overlap";
    /// Extra to SPEC §6: a GLG's copy service is another GLG's original service for the same
    /// ZA. Whatever the dates, requests for that id would be both an original and a copy.
    pub const COPY_IS_OTHER_ORIGINAL: &str = "glg_copy_is_other_original";
    pub const COOLDOWN: &str = "glg_cooldown";
    pub const COPY_NOT_ON_ZAL: &str = "glg_copy_not_on_zal";
    pub const ORIGINAL_ON_ZAL: &str = "glg_original_on_zal";
    pub const DVP_NOT_ON_OCL: &str = "glg_dvp_not_on_ocl";
    pub const DVP_NOT_QUALIFIED: &str = "glg_dvp_not_qualified";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One result of checking the GLG rules; `code` is stable (e.g. `glg_too_long`, see
/// [`code`]). `message` names the values involved; `glg` is the id of the GLG it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub glg: String,
    pub message: String,
}

/// The line `scopegate check` prints: `error glg_too_long glg=glg-umch-51 end ...`.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} glg={} {}",
            self.severity.name(),
            self.code,
            self.glg,
            self.message
        )
    }
}

/// Applies every rule of SPEC §6 to the configured GLGs. Warnings that need the lists are
/// only produced when `lists` is given; `today` decides which GLGs have ended (no
/// warnings) and which are live (`glg_original_on_zal`). Findings come sorted by the GLG's
/// position in `glgs`, then by code; findings with the same GLG and code keep the order in
/// which they were found (e.g. DVPs in config order).
pub fn check(glgs: &[Glg], lists: Option<(&Zal, &Ocl)>, today: NaiveDate) -> Vec<Finding> {
    let mut out = Collector::default();
    for (i, glg) in glgs.iter().enumerate() {
        own_fields(&mut out, i, glg);
        for (k, earlier) in glgs[..i].iter().enumerate() {
            between(&mut out, (k, earlier), (i, glg));
        }
        if let Some((zal, ocl)) = lists {
            against_lists(&mut out, i, glg, zal, ocl, today);
        }
    }
    out.finish()
}

#[derive(Default)]
struct Collector(Vec<(usize, Finding)>);

impl Collector {
    fn push(
        &mut self,
        at: usize,
        severity: Severity,
        code: &'static str,
        glg: &Glg,
        message: String,
    ) {
        self.0.push((
            at,
            Finding {
                severity,
                code,
                glg: glg.id.clone(),
                message,
            },
        ));
    }

    fn error(&mut self, at: usize, code: &'static str, glg: &Glg, message: String) {
        self.push(at, Severity::Error, code, glg, message);
    }

    fn warning(&mut self, at: usize, code: &'static str, glg: &Glg, message: String) {
        self.push(at, Severity::Warning, code, glg, message);
    }

    fn finish(mut self) -> Vec<Finding> {
        self.0
            .sort_by(|(a, fa), (b, fb)| a.cmp(b).then_with(|| fa.code.cmp(fb.code)));
        self.0.into_iter().map(|(_, f)| f).collect()
    }
}

/// Rules about one GLG on its own.
fn own_fields(out: &mut Collector, i: usize, glg: &Glg) {
    if glg.copy_service == glg.original_service {
        let msg = format!(
            "copy service {} is the same as the original service",
            glg.copy_service
        );
        out.error(i, code::COPY_IS_ORIGINAL, glg, msg);
    }
    if glg.dvps.is_empty() {
        out.error(
            i,
            code::NO_DVPS,
            glg,
            "dvps is empty; at least one DVP is needed".into(),
        );
    }
    for (n, dvp) in glg.dvps.iter().enumerate() {
        if glg.dvps[..n].contains(dvp) {
            out.error(
                i,
                code::DUPLICATE_DVP,
                glg,
                format!("DVP {dvp} is listed more than once"),
            );
        }
    }
    if glg.end < glg.start {
        let msg = format!("end {} is before start {}", glg.end, glg.start);
        out.error(i, code::END_BEFORE_START, glg, msg);
    } else if glg.end >= glg.end_limit() {
        let msg = format!(
            "end {} is not before start + 3 months ({})",
            glg.end,
            glg.end_limit()
        );
        out.error(i, code::TOO_LONG, glg, msg);
    }
    if let Some(until) = glg.extended_until {
        if until <= glg.end {
            let msg = format!("extended_until {until} is not after end {}", glg.end);
            out.error(i, code::EXTENSION_NOT_AFTER_END, glg, msg);
        } else if until >= glg.extension_limit() {
            let msg = format!(
                "extended_until {until} is not before end + 1 day + 1 month ({})",
                glg.extension_limit()
            );
            out.error(i, code::EXTENSION_TOO_LONG, glg, msg);
        }
    }
}

/// Rules between GLG `a` (earlier in config) and GLG `b` (later in config).
fn between(out: &mut Collector, (ka, a): (usize, &Glg), (kb, b): (usize, &Glg)) {
    if a.id == b.id {
        let msg = format!("id {} is used by an earlier GLG too", b.id);
        out.error(kb, code::DUPLICATE_ID, b, msg);
    }
    if a.copy_service == b.copy_service && a.overlaps(b) {
        let msg = format!(
            "copy service {} is also {}'s, whose period {}..{} overlaps {}..{}",
            b.copy_service,
            a.id,
            a.start,
            a.last_day(),
            b.start,
            b.last_day()
        );
        out.error(kb, code::COPY_SERVICE_OVERLAP, b, msg);
    }
    if a.provider != b.provider {
        return;
    }
    for ((k, this), other) in [((kb, b), a), ((ka, a), b)] {
        if this.copy_service == other.original_service {
            let msg = format!(
                "copy service {} is the original service of {} for {}",
                this.copy_service, other.id, this.provider
            );
            out.error(k, code::COPY_IS_OTHER_ORIGINAL, this, msg);
        }
    }
    if a.original_service == b.original_service {
        // The one that starts later must wait for the other; on a tie, the later in config.
        let ((k, later), first) = if b.start >= a.start {
            ((kb, b), a)
        } else {
            ((ka, a), b)
        };
        if later.start < first.next_start_allowed() {
            let msg = format!(
                "start {} is before {}'s next allowed start {} (last day {} + 1 day + 3 months) \
                 for {} service {}",
                later.start,
                first.id,
                first.next_start_allowed(),
                first.last_day(),
                later.provider,
                later.original_service
            );
            out.error(k, code::COOLDOWN, later, msg);
        }
    }
}

/// Warnings that compare a GLG with the ZAL and the OCL.
fn against_lists(out: &mut Collector, i: usize, glg: &Glg, zal: &Zal, ocl: &Ocl, today: NaiveDate) {
    let phase = glg.phase(today);
    if phase == Phase::Ended {
        return;
    }
    match zal.get(&glg.provider) {
        None => {
            let msg = format!(
                "{} is not on the ZAL, so neither is copy service {}; a GLG does not work without it",
                glg.provider, glg.copy_service
            );
            out.warning(i, code::COPY_NOT_ON_ZAL, glg, msg);
        }
        Some(za) => {
            if !za.offers(&glg.copy_service) {
                let msg = format!(
                    "copy service {} is not on the ZAL for {}; a GLG does not work without it",
                    glg.copy_service, glg.provider
                );
                out.warning(i, code::COPY_NOT_ON_ZAL, glg, msg);
            }
            if phase.is_live() && za.offers(&glg.original_service) {
                let msg = format!(
                    "original service {} is on the ZAL for {} while the GLG is {} \
                     (MedMij advises listing only copy service {})",
                    glg.original_service,
                    glg.provider,
                    phase.name(),
                    glg.copy_service
                );
                out.warning(i, code::ORIGINAL_ON_ZAL, glg, msg);
            }
        }
    }
    for (n, dvp) in glg.dvps.iter().enumerate() {
        if glg.dvps[..n].contains(dvp) {
            continue;
        }
        match ocl.get(dvp) {
            None => {
                let msg = format!("DVP {dvp} is not on the OCL");
                out.warning(i, code::DVP_NOT_ON_OCL, glg, msg);
            }
            Some(client) if !client.qualified_for(&glg.copy_service) => {
                let msg = format!(
                    "DVP {dvp}'s OCL entry lists gegevensdiensten but not copy service {}",
                    glg.copy_service
                );
                out.warning(i, code::DVP_NOT_QUALIFIED, glg, msg);
            }
            Some(_) => {}
        }
    }
}
