//! Running the due publish jobs of chosen variants at once, in this process and at the app
//! clock's time, as the worker would. `sellcast seed --demo` replays a month of publishing
//! with it (the clock moved back), so its posts travel the real publish path.

use crate::error::AppResult;
use crate::posts::enqueue::PublishVariant;
use crate::posts::publish;
use crate::App;
use chrono::Duration;
use sellcast_queue::job::JobError;
use sellcast_queue::ops::{self as jobs, Transition};
use sellcast_queue::{Backoff, JobArgs, JobRow, JobState, Outcome};
use std::collections::HashSet;

/// Who runs these jobs (the lease owner in the job table).
const LEASE_OWNER: &str = "sellcast-seed-demo";

/// Run the publish jobs due now of the variants in `variant_ids`; the other due jobs (another
/// org's, on a shared instance) are handed back untouched.
pub async fn publish_due(app: &App, variant_ids: &HashSet<String>) -> AppResult<()> {
    let now = app.clock.now();
    let claimed = {
        let mut tx = app.db.begin().await?;
        let rows =
            jobs::claim(tx.conn(), PublishVariant::QUEUE, 1000, LEASE_OWNER, now, now + Duration::minutes(15)).await?;
        tx.commit().await?;
        rows
    };
    let mut foreign = false;
    for job in claimed {
        let variant = job.args.0.get("variant_id").and_then(|v| v.as_str()).map(str::to_string);
        match variant {
            Some(id) if job.kind == PublishVariant::KIND && variant_ids.contains(&id) => {
                let outcome = publish::run(app, &id, job.attempt, job.max_attempts).await;
                settle(app, &job, outcome).await?;
            }
            _ => foreign = true,
        }
    }
    if foreign {
        let mut tx = app.db.begin().await?;
        jobs::release(tx.conn(), LEASE_OWNER, now).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The job's next state after `outcome`, as the worker writes it.
async fn settle(app: &App, job: &JobRow, outcome: Outcome) -> AppResult<()> {
    let now = app.clock.now();
    let mut errors = job.errors.0.clone();
    let mut note =
        |e: &str| errors.push(JobError { attempt: job.attempt, at: now, error: e.chars().take(2000).collect() });
    let (state, run_at, attempt, finished_at) = match &outcome {
        Outcome::Done => (JobState::Completed, job.run_at, job.attempt, Some(now)),
        Outcome::Snooze(at) => (JobState::Scheduled, *at, (job.attempt - 1).max(0), None),
        Outcome::Retry(e) if job.attempt < job.max_attempts => {
            note(e);
            let wait = Duration::from_std(Backoff::publish().delay(job.attempt)).unwrap_or_default();
            (JobState::Retryable, now + wait, job.attempt, None)
        }
        Outcome::Retry(e) | Outcome::Discard(e) => {
            note(e);
            (JobState::Dead, job.run_at, job.attempt, Some(now))
        }
        Outcome::Cancel(e) => {
            note(e);
            (JobState::Cancelled, job.run_at, job.attempt, Some(now))
        }
    };
    let mut tx = app.db.begin().await?;
    let t = Transition { state, run_at, attempt, errors: &errors, finished_at };
    jobs::transition(tx.conn(), job.id, LEASE_OWNER, &t).await?;
    tx.commit().await?;
    Ok(())
}
