//! Periodic jobs from cron expressions. Every process computes the same ticks; the
//! `periodic_ticks` table lets exactly one of them enqueue each tick.

use crate::job::NewJob;
use crate::{ops, QueueError, QueueResult};
use chrono::{DateTime, Utc};
use sellcast_store::Db;
use std::str::FromStr;

pub struct Periodic {
    pub name: String,
    schedule: cron::Schedule,
    job: NewJob,
}

impl Periodic {
    pub fn new(name: &str, expr: &str, job: NewJob) -> QueueResult<Periodic> {
        // Accept the common 5-field form by adding a seconds field.
        let full = if expr.split_whitespace().count() == 5 { format!("0 {expr}") } else { expr.to_string() };
        let schedule = cron::Schedule::from_str(&full)
            .map_err(|e| QueueError::Invalid(format!("cron '{expr}' for {name}: {e}")))?;
        Ok(Periodic { name: name.to_string(), schedule, job })
    }

    /// The first tick strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&t).next()
    }

    /// Enqueue this tick unless another process already did; true when this call did.
    pub async fn fire(&self, db: &Db, tick: DateTime<Utc>, now: DateTime<Utc>) -> QueueResult<bool> {
        let mut tx = db.begin().await?;
        if !ops::claim_tick(tx.conn(), &self.name, tick).await? {
            return Ok(false);
        }
        let mut job = self.job.clone();
        job.meta = serde_json::json!({"periodic": self.name, "tick": tick});
        let enqueued = ops::enqueue(tx.conn(), &job, now).await?;
        ops::set_tick_job(tx.conn(), &self.name, tick, enqueued.id).await?;
        tx.commit().await?;
        db.job_wakeup().notify_waiters();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn five_and_six_field_expressions() {
        let p = Periodic::new("p", "*/15 * * * *", NewJob::raw("k", serde_json::json!({}))).unwrap();
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 10, 7, 3).unwrap();
        assert_eq!(p.next_after(t), Some(Utc.with_ymd_and_hms(2026, 1, 1, 10, 15, 0).unwrap()));
        let s = Periodic::new("s", "*/10 * * * * *", NewJob::raw("k", serde_json::json!({}))).unwrap();
        assert_eq!(s.next_after(t), Some(Utc.with_ymd_and_hms(2026, 1, 1, 10, 7, 10).unwrap()));
        assert!(Periodic::new("bad", "every minute", NewJob::raw("k", serde_json::json!({}))).is_err());
    }
}
