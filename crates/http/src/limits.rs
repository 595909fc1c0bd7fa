//! Request rate limits (seed 000): per IP for unauthenticated requests, per user for
//! authenticated ones, and per IP+email for sign-in attempts. In-process GCRA counters
//! (governor); with several processes each enforces its own share.

use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

pub struct Limits {
    ip: Option<Keyed<IpAddr>>,
    user: Option<Keyed<String>>,
    login: Option<Keyed<String>>,
}

fn per_minute<K: Hash + Eq + Clone>(n: u32) -> Option<Keyed<K>> {
    NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

fn check<K: Hash + Eq + Clone>(limiter: &Option<Keyed<K>>, key: &K) -> Result<(), ApiError> {
    let Some(l) = limiter else { return Ok(()) };
    l.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::rate_limited(wait.as_secs() + 1)
    })
}

impl Limits {
    /// Limits per minute; 0 turns one off.
    pub fn new(ip: u32, user: u32, login: u32) -> Self {
        Limits { ip: per_minute(ip), user: per_minute(user), login: per_minute(login) }
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        check(&self.ip, &ip)
    }

    pub fn check_user(&self, user_id: &str) -> Result<(), ApiError> {
        check(&self.user, &user_id.to_string())
    }

    pub fn check_login(&self, ip: Option<IpAddr>, email: &str) -> Result<(), ApiError> {
        let key = format!("{}|{}", ip.map(|i| i.to_string()).unwrap_or_default(), email.trim().to_lowercase());
        check(&self.login, &key)
    }

    /// Forget idle keys so memory stays bounded.
    pub fn prune(&self) {
        if let Some(l) = &self.ip {
            l.retain_recent();
        }
        if let Some(l) = &self.user {
            l.retain_recent();
        }
        if let Some(l) = &self.login {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_zero_disables() {
        let l = Limits::new(3, 0, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check_ip(a).is_ok());
        }
        let e = l.check_ip(a).unwrap_err();
        assert_eq!(e.code, "RATE_LIMITED");
        assert!(e.retry_after.unwrap() >= 1);
        assert!(l.check_ip(b).is_ok(), "other IPs are unaffected");
        for _ in 0..1000 {
            assert!(l.check_user("u").is_ok(), "0 disables");
        }
        assert!(l.check_login(Some(a), "X@y.co").is_ok());
        assert!(l.check_login(Some(a), "x@y.co").is_ok());
        assert!(l.check_login(Some(a), "x@y.co").is_err(), "email is case-insensitive");
        assert!(l.check_login(Some(a), "z@y.co").is_ok());
    }
}
