//! Gecontroleerde livegangen (SPEC §6): calendar rules, phases and findings.
//! (Bodies filled in by the GLG work; the signatures are the contract other modules use.)

use chrono::{DateTime, NaiveDate, Utc};

use crate::lists::{Ocl, Zal};

/// One configured GLG, fields checked on their own (not the rules between GLGs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glg {
    pub id: String,
    /// With `@medmij`.
    pub provider: String,
    pub copy_service: String,
    pub original_service: String,
    pub dvps: Vec<String>,
    /// First day (Europe/Amsterdam).
    pub start: NaiveDate,
    /// Last day without extension.
    pub end: NaiveDate,
    pub extended_until: Option<NaiveDate>,
}

/// Where a GLG stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Planned,
    Active,
    Extended,
    Ended,
}

impl Phase {
    /// Does the copy service carry traffic in this phase?
    pub fn is_live(self) -> bool {
        matches!(self, Phase::Active | Phase::Extended)
    }
}

/// The calendar day in Europe/Amsterdam at instant `now`.
pub fn amsterdam_today(_now: DateTime<Utc>) -> NaiveDate {
    todo!()
}

impl Glg {
    pub fn phase(&self, _today: NaiveDate) -> Phase {
        todo!()
    }

    /// The last day traffic is allowed: `extended_until` when set, else `end`.
    pub fn last_day(&self) -> NaiveDate {
        self.extended_until.unwrap_or(self.end)
    }

    /// The earliest first day of a new GLG for the same ZA and original service.
    pub fn next_start_allowed(&self) -> NaiveDate {
        todo!()
    }

    pub fn has_dvp(&self, client: &str) -> bool {
        self.dvps.iter().any(|d| d == client)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One result of checking the GLG rules; `code` is stable (e.g. `glg_too_long`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub glg: String,
    pub message: String,
}

/// Applies every rule of SPEC §6 to the configured GLGs. Warnings that need the lists are
/// only produced when `lists` is given.
pub fn check(_glgs: &[Glg], _lists: Option<(&Zal, &Ocl)>, _today: NaiveDate) -> Vec<Finding> {
    todo!()
}

/// What a requested gegevensdienst id is for a ZA, on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyLookup<'a> {
    /// No GLG of this ZA has this id as its copy service.
    NotACopy,
    /// The live GLG whose copy service this is.
    Live(&'a Glg),
    /// Copy service of one or more GLGs of this ZA, none live on that day.
    NotLive,
}

/// Finds the GLG, if any, that makes `service` a copy service of `provider` on `today`.
pub fn lookup_copy<'a>(
    _glgs: &'a [Glg],
    _provider: &str,
    _service: &str,
    _today: NaiveDate,
) -> CopyLookup<'a> {
    todo!()
}
