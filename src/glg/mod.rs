//! Gecontroleerde livegangen (SPEC §6): the configured GLGs, their phase on a given day,
//! the rules between them, and which GLG (if any) makes a requested id a copy service.
//!
//! Everything here is pure: the day is an argument (see [`amsterdam_today`] to get it from
//! an instant) and nothing reads a clock, a file or the network. This module does not parse
//! the config (that is [`crate::config`], which checks each GLG's fields on their own) and
//! does not decide requests (that is [`crate::policy`], which calls [`lookup_copy`]).
//! `scopegate check` and config reloads call [`check`]; `scopegate glg status` and the admin
//! API call [`status()`].
//!
//! Submodules: [`calendar`] (Amsterdam days, calendar-month arithmetic), [`rules`] (the
//! findings of [`check`]), [`mod@status`] (the status row).

use chrono::NaiveDate;

pub mod calendar;
pub mod rules;
pub mod status;

pub use calendar::{add_months, amsterdam_today};
pub use rules::{Finding, Severity, check};
pub use status::{Status, status, statuses};

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
    /// The lowercase name used in status output and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Phase::Planned => "planned",
            Phase::Active => "active",
            Phase::Extended => "extended",
            Phase::Ended => "ended",
        }
    }

    /// Does the copy service carry traffic in this phase?
    pub fn is_live(self) -> bool {
        matches!(self, Phase::Active | Phase::Extended)
    }
}

impl Glg {
    /// [`Phase::Planned`] before `start`; [`Phase::Active`] from `start` through `end`;
    /// [`Phase::Extended`] after `end` through `extended_until`; [`Phase::Ended`] after the
    /// last day. All bounds are inclusive whole Amsterdam days.
    pub fn phase(&self, today: NaiveDate) -> Phase {
        if today < self.start {
            Phase::Planned
        } else if today <= self.end {
            Phase::Active
        } else if today <= self.last_day() {
            Phase::Extended
        } else {
            Phase::Ended
        }
    }

    /// The last day traffic is allowed: `extended_until` when set, else `end`.
    pub fn last_day(&self) -> NaiveDate {
        self.extended_until.unwrap_or(self.end)
    }

    /// The earliest first day of a new GLG for the same ZA and original service.
    /// That is (`last_day` + 1 day) + 3 calendar months, clamped to the month's end.
    pub fn next_start_allowed(&self) -> NaiveDate {
        add_months(calendar::next_day(self.last_day()), 3)
    }

    /// The first day the one extension may no longer reach: (`end` + 1 day) + 1 calendar
    /// month. `extended_until` must be before it.
    pub fn extension_limit(&self) -> NaiveDate {
        add_months(calendar::next_day(self.end), 1)
    }

    /// The first day `end` may no longer be: `start` + 3 calendar months.
    pub fn end_limit(&self) -> NaiveDate {
        add_months(self.start, 3)
    }

    /// Do the periods `start..=last_day` of the two GLGs share a day?
    pub fn overlaps(&self, other: &Glg) -> bool {
        self.start <= other.last_day() && other.start <= self.last_day()
    }

    pub fn has_dvp(&self, client: &str) -> bool {
        self.dvps.iter().any(|d| d == client)
    }
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
/// `provider` is the full ZA name (with `@medmij`). When several GLGs of the ZA share the
/// copy service (allowed when their periods do not overlap) the live one wins; if the rules
/// were broken and two are live, the first in config order wins. Allocation-free.
pub fn lookup_copy<'a>(
    glgs: &'a [Glg],
    provider: &str,
    service: &str,
    today: NaiveDate,
) -> CopyLookup<'a> {
    let mut found = CopyLookup::NotACopy;
    for glg in glgs
        .iter()
        .filter(|g| g.provider == provider && g.copy_service == service)
    {
        if glg.phase(today).is_live() {
            return CopyLookup::Live(glg);
        }
        found = CopyLookup::NotLive;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn glg(id: &str, copy: &str, start: &str, end: &str, until: Option<&str>) -> Glg {
        Glg {
            id: id.into(),
            provider: "umcharderwijk@medmij".into(),
            copy_service: copy.into(),
            original_service: "51".into(),
            dvps: vec!["medmij.deenigeechtepgo.nl".into()],
            start: d(start),
            end: d(end),
            extended_until: until.map(d),
        }
    }

    #[test]
    fn phase_on_each_boundary_day_with_extension() {
        let g = glg("g", "9051", "2026-11-01", "2027-01-31", Some("2027-02-28"));
        let cases = [
            ("2026-10-31", Phase::Planned),
            ("2026-11-01", Phase::Active),
            ("2027-01-31", Phase::Active),
            ("2027-02-01", Phase::Extended),
            ("2027-02-28", Phase::Extended),
            ("2027-03-01", Phase::Ended),
        ];
        for (day, want) in cases {
            assert_eq!(g.phase(d(day)), want, "{day}");
        }
    }

    #[test]
    fn phase_without_extension_ends_the_day_after_end() {
        let g = glg("g", "9051", "2026-11-01", "2027-01-31", None);
        assert_eq!(g.phase(d("2027-01-31")), Phase::Active);
        assert_eq!(g.phase(d("2027-02-01")), Phase::Ended);
    }

    #[test]
    fn a_one_day_glg_is_active_on_that_day_only() {
        let g = glg("g", "9051", "2026-11-01", "2026-11-01", None);
        assert_eq!(g.phase(d("2026-10-31")), Phase::Planned);
        assert_eq!(g.phase(d("2026-11-01")), Phase::Active);
        assert_eq!(g.phase(d("2026-11-02")), Phase::Ended);
    }

    #[test]
    fn only_active_and_extended_are_live() {
        assert!(!Phase::Planned.is_live());
        assert!(Phase::Active.is_live());
        assert!(Phase::Extended.is_live());
        assert!(!Phase::Ended.is_live());
    }

    #[test]
    fn next_start_allowed_is_three_months_after_the_day_after_the_last_day() {
        let cases = [
            ("2027-01-31", None, "2027-05-01"),
            ("2027-01-31", Some("2027-02-28"), "2027-06-01"),
            ("2027-11-29", None, "2028-02-29"),
            ("2026-11-29", None, "2027-02-28"),
            ("2026-12-31", None, "2027-04-01"),
        ];
        for (end, until, want) in cases {
            let g = glg("g", "9051", "2026-11-01", end, until);
            assert_eq!(g.next_start_allowed(), d(want), "{end} {until:?}");
        }
    }

    #[test]
    fn extension_limit_is_one_month_after_the_day_after_end() {
        assert_eq!(
            glg("g", "9", "2026-11-01", "2027-01-31", None).extension_limit(),
            d("2027-03-01")
        );
        assert_eq!(
            glg("g", "9", "2027-11-01", "2028-01-30", None).extension_limit(),
            d("2028-02-29")
        );
        assert_eq!(
            glg("g", "9", "2026-11-01", "2027-01-30", None).extension_limit(),
            d("2027-02-28")
        );
    }

    #[test]
    fn overlap_counts_shared_boundary_days() {
        let a = glg("a", "9051", "2026-11-01", "2027-01-31", None);
        let touching = glg("b", "9051", "2027-01-31", "2027-02-10", None);
        let after = glg("c", "9051", "2027-02-01", "2027-02-10", None);
        assert!(a.overlaps(&touching));
        assert!(touching.overlaps(&a));
        assert!(!a.overlaps(&after));
        assert!(!after.overlaps(&a));
    }

    #[test]
    fn lookup_finds_the_live_glg_for_its_copy_service() {
        let glgs = [glg("g", "9051", "2026-11-01", "2027-01-31", None)];
        let found = lookup_copy(&glgs, "umcharderwijk@medmij", "9051", d("2026-11-01"));
        assert_eq!(found, CopyLookup::Live(&glgs[0]));
    }

    #[test]
    fn lookup_reports_not_live_before_the_first_and_after_the_last_day() {
        let glgs = [glg(
            "g",
            "9051",
            "2026-11-01",
            "2027-01-31",
            Some("2027-02-10"),
        )];
        for day in ["2026-10-31", "2027-02-11"] {
            let found = lookup_copy(&glgs, "umcharderwijk@medmij", "9051", d(day));
            assert_eq!(found, CopyLookup::NotLive, "{day}");
        }
    }

    #[test]
    fn lookup_treats_originals_and_other_providers_as_not_a_copy() {
        let glgs = [glg("g", "9051", "2026-11-01", "2027-01-31", None)];
        let day = d("2026-12-01");
        assert_eq!(
            lookup_copy(&glgs, "umcharderwijk@medmij", "51", day),
            CopyLookup::NotACopy
        );
        assert_eq!(
            lookup_copy(&glgs, "anderza@medmij", "9051", day),
            CopyLookup::NotACopy
        );
        assert_eq!(
            lookup_copy(&[], "umcharderwijk@medmij", "9051", day),
            CopyLookup::NotACopy
        );
    }

    #[test]
    fn lookup_prefers_the_live_one_of_two_glgs_sharing_a_copy_service() {
        let glgs = [
            glg("old", "9051", "2026-01-01", "2026-02-28", None),
            glg("new", "9051", "2026-11-01", "2027-01-31", None),
        ];
        let found = lookup_copy(&glgs, "umcharderwijk@medmij", "9051", d("2026-12-01"));
        assert_eq!(found, CopyLookup::Live(&glgs[1]));
    }

    #[test]
    fn phase_names_match_the_json_names() {
        for p in [Phase::Planned, Phase::Active, Phase::Extended, Phase::Ended] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.name());
        }
    }
}
