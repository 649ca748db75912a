//! Time. Use cases stamp records with [`now`]; the jobs read an injected [`Clock`], so
//! tests move time instead of waiting.

use std::sync::Mutex;

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// The current time at the precision both databases store (microseconds), so a record
/// reads back exactly as it was written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Where the jobs read the time.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        now()
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn at(time: DateTime<Utc>) -> Self {
        Self(Mutex::new(time))
    }

    pub fn set(&self, time: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = time;
    }

    /// The time now (as [`Clock::now`], without importing the trait).
    pub fn now_utc(&self) -> DateTime<Utc> {
        self.now()
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
