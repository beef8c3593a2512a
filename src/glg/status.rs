//! One status row per GLG, for `scopegate glg status` and `GET /admin/glg` (SPEC §2).
//!
//! Pure: the day is an argument. It does not print (the CLI formats the table or the JSON
//! array) and does not judge the rules ([`super::check`] does).

use chrono::NaiveDate;

use super::{Glg, Phase};

/// Where one GLG stands on a given day. Serializes to the object of `glg status --json`;
/// dates serialize as `YYYY-MM-DD` strings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub id: String,
    /// With `@medmij`.
    pub provider: String,
    pub copy_service: String,
    pub original_service: String,
    pub phase: Phase,
    /// `start`.
    pub first_day: NaiveDate,
    /// The last day traffic is allowed: `extended_until` when the GLG has an extension,
    /// else `end`.
    pub last_day: NaiveDate,
    /// Days of traffic left: when live (active or extended), from today through `last_day`,
    /// today included (so 1 on the last day); when planned, the whole period's length,
    /// `first_day` through `last_day`; 0 when ended (and for a period whose last day is
    /// before its first, which [`super::check`] reports as an error).
    pub days_left: u64,
    /// Whether the GLG's one extension is configured (`extended_until` is set), whatever
    /// the phase.
    pub extension_used: bool,
    /// The earliest first day of a new GLG for the same ZA and original service:
    /// (`last_day` + 1 day) + 3 calendar months.
    pub next_start_allowed: NaiveDate,
}

/// The status row of `glg` on `today` (an Amsterdam calendar day).
pub fn status(glg: &Glg, today: NaiveDate) -> Status {
    let phase = glg.phase(today);
    let last_day = glg.last_day();
    let days_left = match phase {
        Phase::Planned => days_through(glg.start, last_day),
        Phase::Active | Phase::Extended => days_through(today, last_day),
        Phase::Ended => 0,
    };
    Status {
        id: glg.id.clone(),
        provider: glg.provider.clone(),
        copy_service: glg.copy_service.clone(),
        original_service: glg.original_service.clone(),
        phase,
        first_day: glg.start,
        last_day,
        days_left,
        extension_used: glg.extended_until.is_some(),
        next_start_allowed: glg.next_start_allowed(),
    }
}

/// The status rows of all `glgs`, in config order.
pub fn statuses(glgs: &[Glg], today: NaiveDate) -> Vec<Status> {
    glgs.iter().map(|g| status(g, today)).collect()
}

/// The number of days `from..=to`, 0 when `to` is before `from`.
fn days_through(from: NaiveDate, to: NaiveDate) -> u64 {
    u64::try_from((to - from).num_days() + 1).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn glg(until: Option<&str>) -> Glg {
        Glg {
            id: "glg-umch-51".into(),
            provider: "umcharderwijk@medmij".into(),
            copy_service: "9051".into(),
            original_service: "51".into(),
            dvps: vec!["medmij.deenigeechtepgo.nl".into()],
            start: d("2026-11-01"),
            end: d("2027-01-31"),
            extended_until: until.map(d),
        }
    }

    #[test]
    fn planned_counts_the_whole_period() {
        let s = status(&glg(None), d("2026-10-01"));
        assert_eq!(s.phase, Phase::Planned);
        assert_eq!(s.days_left, 92);
    }

    #[test]
    fn planned_with_extension_counts_through_the_extension() {
        assert_eq!(
            status(&glg(Some("2027-02-28")), d("2026-10-31")).days_left,
            120
        );
    }

    #[test]
    fn active_counts_today_through_the_last_day() {
        assert_eq!(status(&glg(None), d("2026-11-01")).days_left, 92);
        assert_eq!(status(&glg(None), d("2027-01-31")).days_left, 1);
    }

    #[test]
    fn extended_counts_to_the_extensions_end() {
        let s = status(&glg(Some("2027-02-28")), d("2027-02-28"));
        assert_eq!((s.phase, s.days_left), (Phase::Extended, 1));
        assert_eq!(
            status(&glg(Some("2027-02-28")), d("2027-01-31")).days_left,
            29
        );
    }

    #[test]
    fn ended_has_no_days_left() {
        let s = status(&glg(None), d("2027-02-01"));
        assert_eq!((s.phase, s.days_left), (Phase::Ended, 0));
    }

    #[test]
    fn a_period_ending_before_it_starts_has_no_days() {
        let mut g = glg(None);
        g.end = d("2026-10-01");
        assert_eq!(status(&g, d("2026-09-01")).days_left, 0);
    }

    #[test]
    fn serializes_to_the_glg_status_json_object() {
        let s = status(&glg(Some("2027-02-28")), d("2027-02-01"));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "glg-umch-51",
                "provider": "umcharderwijk@medmij",
                "copy_service": "9051",
                "original_service": "51",
                "phase": "extended",
                "first_day": "2026-11-01",
                "last_day": "2027-02-28",
                "days_left": 28,
                "extension_used": true,
                "next_start_allowed": "2027-06-01"
            })
        );
    }

    #[test]
    fn statuses_keep_config_order() {
        let mut second = glg(None);
        second.id = "second".into();
        let rows = statuses(&[glg(None), second], d("2026-12-01"));
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["glg-umch-51", "second"]);
    }
}
