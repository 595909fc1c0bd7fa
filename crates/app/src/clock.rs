//! Time comes from a clock the app is given, so tests can move it (lockouts, expiry).

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Clock {
    /// Offset added to the system time; only tests change it.
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(|p| p.into_inner());
        Utc::now() + offset
    }

    /// Whole Unix seconds of this clock (TOTP steps count from the epoch; never before it).
    pub fn unix_secs(&self) -> u64 {
        self.now().timestamp().max(0) as u64
    }

    /// Move this clock forward (tests only: expiry and lockout without waiting).
    pub fn advance(&self, by: Duration) {
        let mut o = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *o += by;
    }

    /// Make this clock read `at` from now on, still ticking (tests only: chosen instants such
    /// as a week's first day or a DST change, instead of whatever day the test runs on).
    pub fn set_now(&self, at: DateTime<Utc>) {
        let mut o = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *o = at - Utc::now();
    }
}
