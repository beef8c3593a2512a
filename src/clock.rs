//! The gateway's notion of "now": the system clock plus an adjustable offset.
//!
//! Every time-dependent rule (token expiry, GLG phases, list staleness) reads the instant
//! from one `Clock`, so tests and the demo can move time (a GLG's first day, a list outage
//! longer than `max_stale`) without sleeping. In production the offset is zero. Monotonic
//! timeouts (request deadlines, drain) use tokio's timers, not this clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `at` now and runs on from there at the system clock's pace.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        let clock = Clock::default();
        clock.set(at);
        clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Seconds since the Unix epoch, for token checks.
    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Moves this clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Makes this clock (and every clone) read `at` now.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = at.signed_duration_since(Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_started_at_an_instant_reads_that_instant() {
        let at: DateTime<Utc> = "2026-12-03T11:00:00Z".parse().unwrap();
        let clock = Clock::starting_at(at);
        let drift = clock.now().signed_duration_since(at).num_milliseconds();
        assert!((0..1000).contains(&drift), "{drift}");
    }

    #[test]
    fn advancing_a_clone_moves_every_clone() {
        let a = Clock::system();
        let b = a.clone();
        let before = a.now();
        b.advance(std::time::Duration::from_secs(86_400));
        assert!(a.now().signed_duration_since(before).num_hours() >= 24);
    }
}
