//! Calendar arithmetic for GLG dates: the Amsterdam calendar day of an instant, and adding
//! calendar months with clamping to the month's last day.
//!
//! Everything here is a pure function of its arguments; callers pass `now` in. It knows
//! nothing of GLGs themselves; [`super`] and [`super::rules`] build the SPEC §6 periods from
//! these helpers. Dates at the very end of chrono's range saturate at [`NaiveDate::MAX`]
//! instead of panicking: config dates are `YYYY-MM-DD`, so that range is never reached in
//! practice, but an input path must not panic.

use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Europe::Amsterdam;

/// The calendar day in Europe/Amsterdam at instant `now`, with daylight saving time:
/// `2026-03-28T23:30Z` is already `2026-03-29` there (CET, UTC+1), and `2026-07-01T22:30Z`
/// is already `2026-07-02` (CEST, UTC+2).
pub fn amsterdam_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Amsterdam).date_naive()
}

/// `date` + `months` calendar months. When the day does not exist in the target month it is
/// clamped to that month's last day: 31 Jan + 1 month is 28 Feb (29 Feb in a leap year),
/// 30 Nov + 3 months is 28 Feb (29 in a leap year). Saturates at [`NaiveDate::MAX`].
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The day after `date`, saturating at [`NaiveDate::MAX`].
pub fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn add_months_clamps_table() {
        let cases = [
            ("2026-01-31", 1, "2026-02-28"),
            ("2028-01-31", 1, "2028-02-29"),
            ("2100-01-31", 1, "2100-02-28"),
            ("2000-01-31", 1, "2000-02-29"),
            ("2026-11-30", 3, "2027-02-28"),
            ("2027-11-30", 3, "2028-02-29"),
            ("2026-11-01", 3, "2027-02-01"),
            ("2028-02-29", 1, "2028-03-29"),
            ("2028-02-29", 12, "2029-02-28"),
            ("2026-03-31", 1, "2026-04-30"),
            ("2026-08-31", 3, "2026-11-30"),
            ("2026-10-31", 3, "2027-01-31"),
            ("2026-12-15", 1, "2027-01-15"),
            ("2026-05-17", 0, "2026-05-17"),
        ];
        for (from, months, want) in cases {
            assert_eq!(add_months(d(from), months), d(want), "{from} + {months}");
        }
    }

    #[test]
    fn add_months_saturates_at_the_end_of_the_calendar() {
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn next_day_crosses_leap_day_and_saturates() {
        assert_eq!(next_day(d("2028-02-28")), d("2028-02-29"));
        assert_eq!(next_day(d("2028-02-29")), d("2028-03-01"));
        assert_eq!(next_day(NaiveDate::MAX), NaiveDate::MAX);
    }

    #[test]
    fn amsterdam_day_around_midnight_in_winter_time() {
        assert_eq!(
            amsterdam_today(utc("2026-01-15T22:59:59Z")),
            d("2026-01-15")
        );
        assert_eq!(
            amsterdam_today(utc("2026-01-15T23:00:00Z")),
            d("2026-01-16")
        );
    }

    #[test]
    fn amsterdam_day_around_midnight_in_summer_time() {
        assert_eq!(
            amsterdam_today(utc("2026-07-01T21:59:59Z")),
            d("2026-07-01")
        );
        assert_eq!(
            amsterdam_today(utc("2026-07-01T22:00:00Z")),
            d("2026-07-02")
        );
    }

    #[test]
    fn the_night_before_the_spring_change_is_already_the_next_day_at_23_30_utc() {
        assert_eq!(
            amsterdam_today(utc("2026-03-28T22:59:59Z")),
            d("2026-03-28")
        );
        assert_eq!(
            amsterdam_today(utc("2026-03-28T23:30:00Z")),
            d("2026-03-29")
        );
    }

    #[test]
    fn the_day_of_the_spring_change_ends_at_22_00_utc() {
        // 29 March 2026: clocks jump 02:00 CET → 03:00 CEST, so midnight is 22:00 UTC.
        assert_eq!(
            amsterdam_today(utc("2026-03-29T21:59:59Z")),
            d("2026-03-29")
        );
        assert_eq!(
            amsterdam_today(utc("2026-03-29T22:00:00Z")),
            d("2026-03-30")
        );
    }

    #[test]
    fn the_day_of_the_autumn_change_ends_at_23_00_utc() {
        // 25 October 2026: clocks go back 03:00 CEST → 02:00 CET.
        assert_eq!(
            amsterdam_today(utc("2026-10-24T21:59:59Z")),
            d("2026-10-24")
        );
        assert_eq!(
            amsterdam_today(utc("2026-10-24T22:00:00Z")),
            d("2026-10-25")
        );
        assert_eq!(
            amsterdam_today(utc("2026-10-25T22:59:59Z")),
            d("2026-10-25")
        );
        assert_eq!(
            amsterdam_today(utc("2026-10-25T23:00:00Z")),
            d("2026-10-26")
        );
    }

    #[test]
    fn amsterdam_today_accepts_any_instant_in_range() {
        let now = Utc.with_ymd_and_hms(2027, 2, 28, 23, 0, 0).unwrap();
        assert_eq!(amsterdam_today(now), d("2027-03-01"));
    }
}
