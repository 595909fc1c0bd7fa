//! How long to wait before the next attempt.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Backoff {
    /// base × 2^(attempt−1), capped, with ±`jitter` (a fraction) of randomness.
    Exponential { base: Duration, max: Duration, jitter: f64 },
    /// A fixed schedule: the n-th retry waits `steps[n-1]`; past its end, the last step.
    Schedule(Vec<Duration>),
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::Exponential { base: Duration::from_secs(1), max: Duration::from_secs(3600), jitter: 0.1 }
    }
}

impl Backoff {
    /// Seed 004's publishing schedule: 30 s, 2 min, 10 min, 30 min, 1 h, then dead
    /// (so six attempts in all).
    pub fn publish() -> Backoff {
        Backoff::Schedule([30, 120, 600, 1800, 3600].into_iter().map(Duration::from_secs).collect())
    }

    /// The wait after failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: i32) -> Duration {
        let n = attempt.max(1) as u32;
        match self {
            Backoff::Exponential { base, max, jitter } => {
                let exp = base.saturating_mul(2u32.saturating_pow(n - 1).max(1));
                let capped = exp.min(*max);
                let spread = capped.as_secs_f64() * jitter.clamp(0.0, 1.0);
                let offset = if spread > 0.0 { rand::thread_rng().gen_range(-spread..=spread) } else { 0.0 };
                Duration::from_secs_f64((capped.as_secs_f64() + offset).max(0.0))
            }
            Backoff::Schedule(steps) => {
                let i = (n as usize - 1).min(steps.len().saturating_sub(1));
                steps.get(i).copied().unwrap_or_default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_schedule_is_seed_004s() {
        let b = Backoff::publish();
        let secs: Vec<u64> = (1..=6).map(|a| b.delay(a).as_secs()).collect();
        assert_eq!(secs, vec![30, 120, 600, 1800, 3600, 3600]);
    }

    #[test]
    fn exponential_doubles_caps_and_jitters_within_bounds() {
        let b = Backoff::Exponential { base: Duration::from_secs(2), max: Duration::from_secs(60), jitter: 0.0 };
        let secs: Vec<u64> = (1..=7).map(|a| b.delay(a).as_secs()).collect();
        assert_eq!(secs, vec![2, 4, 8, 16, 32, 60, 60]);
        let j = Backoff::Exponential { base: Duration::from_secs(10), max: Duration::from_secs(3600), jitter: 0.1 };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = j.delay(3).as_secs_f64();
            assert!((36.0..=44.0).contains(&d), "{d}");
            seen.insert((d * 1000.0) as u64);
        }
        assert!(seen.len() > 10, "jitter varies the delay");
        assert!(b.delay(1_000).as_secs() <= 60, "huge attempt numbers do not overflow");
    }
}
