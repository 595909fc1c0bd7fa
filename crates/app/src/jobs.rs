//! The product's background duties on the job queue (email delivery, nightly clean-up),
//! the worker that runs them, and their administration by instance admins.

use crate::audit::{self, Entry};
use crate::channels::refresh::{self, RefreshChannel, RefreshSweep};
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::mail::DeliverEmail;
use crate::media::{self, ProcessMedia};
use crate::posts::{self, enqueue::PublishVariant};
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_domain::JobState;
use sellcast_queue::job::JobError;
use sellcast_queue::ops::{self, JobFilter};
use sellcast_queue::{Backoff, JobArgs, JobRow, NewJob, Outcome, QueueError, Registry, Worker, WorkerConfig};
use sellcast_store::{sessions, users};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

impl From<QueueError> for AppError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Store(s) => s.into(),
            QueueError::Invalid(m) => AppError::validation("job", m),
        }
    }
}

/// Nightly: forget expired sessions, spent reset links and stale login failures.
#[derive(Debug, Serialize, Deserialize)]
pub struct PruneAuth {}

impl JobArgs for PruneAuth {
    const KIND: &'static str = "auth.prune";
    const MAX_ATTEMPTS: i32 = 3;
}

/// Every job kind the product runs, with its handler.
pub fn registry(app: Arc<App>) -> Registry {
    let mut r = Registry::new();
    let app_for_publishing = app.clone();
    let a = app.clone();
    r.register::<DeliverEmail, _, _>(move |_ctx, args| {
        let a = a.clone();
        async move { a.mailer.deliver(&a.db, &args.email_id, a.clock.now()).await }
    });
    let a = app;
    r.register::<PruneAuth, _, _>(move |_ctx, _args| {
        let a = a.clone();
        async move {
            let now = a.clock.now();
            let pruned = async {
                let mut tx = a.db.begin().await?;
                let s = sessions::prune(tx.conn(), now).await?;
                let u = users::prune_auth_leftovers(tx.conn(), now).await?;
                tx.commit().await?;
                sellcast_store::StoreResult::Ok(s + u)
            };
            match pruned.await {
                Ok(n) => {
                    tracing::info!(rows = n, "pruned expired sessions and auth leftovers");
                    Outcome::Done
                }
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
    });
    if let Err(e) = r.periodic("auth.prune", "17 3 * * *", NewJob::of(&PruneAuth {})) {
        tracing::error!(error = %e, "the auth.prune schedule is invalid");
    }
    crate::events::register(&mut r, app_for_publishing.clone());
    crate::inbox::register(&mut r, app_for_publishing.clone());
    register_publishing(&mut r, app_for_publishing);
    r
}

/// Publishing, media processing and token refresh.
fn register_publishing(r: &mut Registry, app: Arc<App>) {
    let a = app.clone();
    r.register::<PublishVariant, _, _>(move |ctx, args| {
        let a = a.clone();
        async move { posts::publish::run(&a, &args.variant_id, ctx.job.attempt, ctx.job.max_attempts).await }
    })
    .backoff(Backoff::publish())
    .timeout(Duration::from_secs(15 * 60));
    let a = app.clone();
    r.register::<ProcessMedia, _, _>(move |_ctx, args| {
        let a = a.clone();
        async move { media::process(&a, &args.media_id).await }
    })
    .timeout(Duration::from_secs(10 * 60));
    let a = app.clone();
    r.register::<RefreshChannel, _, _>(move |_ctx, args| {
        let a = a.clone();
        async move { refresh::run(&a, &args.channel_id).await }
    });
    let a = app;
    r.register::<RefreshSweep, _, _>(move |_ctx, _args| {
        let a = a.clone();
        async move {
            match refresh::sweep(&a).await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(channels = n, "token refreshes enqueued");
                    }
                    Outcome::Done
                }
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
    });
    if let Err(e) = r.periodic("channels.refresh_sweep", "0 */10 * * * *", NewJob::of(&RefreshSweep {})) {
        tracing::error!(error = %e, "the channels.refresh_sweep schedule is invalid");
    }
}

/// The worker of this process: every queue the product uses.
pub fn worker(app: &Arc<App>) -> Worker {
    let c = &app.config;
    let clock = app.clock.clone();
    Worker {
        db: app.db.clone(),
        registry: Arc::new(registry(app.clone())),
        config: WorkerConfig {
            queues: vec![
                ("default".into(), c.worker_concurrency as usize),
                ("email".into(), 4),
                ("publish".into(), c.publish_concurrency as usize),
                ("media".into(), 2),
                ("inbox".into(), 8),
            ],
            shutdown_grace: Duration::from_secs(c.shutdown_grace_secs),
            lease: Duration::from_secs(c.job_lease_secs),
            heartbeat: Duration::from_secs(c.job_lease_secs) / 4,
            retention: Duration::from_secs(u64::from(c.jobs_retention_days) * 24 * 3600),
            ..WorkerConfig::default()
        },
        now: Arc::new(move || clock.now()),
        metrics: app.queue_metrics.clone(),
    }
}

fn require_instance_admin(actor: &Actor) -> AppResult<()> {
    if actor.is_instance_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("only instance administrators manage jobs".into()))
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    query: &JobQuery,
    before: Option<i64>,
    limit: i64,
) -> AppResult<(Vec<Job>, Option<String>)> {
    require_instance_admin(actor)?;
    let mut c = app.db.read().await?;
    let filter = JobFilter { state: query.state, kind: query.kind.clone(), queue: query.queue.clone() };
    let mut rows = ops::list(c.conn(), &filter, before, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok((rows.into_iter().map(Job::from).collect(), next))
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<Job> {
    require_instance_admin(actor)?;
    let mut c = app.db.read().await?;
    Ok(ops::get(c.conn(), id).await?.ok_or(AppError::NotFound("job"))?.into())
}

/// How many jobs each (queue, state) pair holds.
pub async fn counts(app: &App, actor: &Actor) -> AppResult<Vec<(String, String, i64)>> {
    require_instance_admin(actor)?;
    let mut c = app.db.read().await?;
    Ok(ops::counts(c.conn()).await?)
}

/// Run a dead, cancelled, completed or waiting job again now.
pub async fn retry(app: &App, actor: &Actor, id: i64) -> AppResult<Job> {
    change(app, actor, id, "job.retry").await
}

/// Cancel an unfinished job.
pub async fn cancel(app: &App, actor: &Actor, id: i64) -> AppResult<Job> {
    change(app, actor, id, "job.cancel").await
}

async fn change(app: &App, actor: &Actor, id: i64, action: &str) -> AppResult<Job> {
    require_instance_admin(actor)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let job = ops::get(tx.conn(), id).await?.ok_or(AppError::NotFound("job"))?;
    let changed = if action == "job.retry" {
        ops::retry(tx.conn(), id, now).await?
    } else {
        ops::cancel(tx.conn(), id, now).await?
    };
    if !changed {
        return Err(AppError::Conflict(format!("job {id} is {} and cannot be changed that way", job.state)));
    }
    let id_text = id.to_string();
    let entry =
        Entry { changes: json!({"kind": job.kind, "from": job.state}), ..Entry::account(action, "job", &id_text) };
    audit::record(tx.conn(), Some(actor), now, entry).await?;
    let after = ops::get(tx.conn(), id).await?.ok_or(AppError::NotFound("job"))?;
    tx.commit().await?;
    app.db.job_wakeup().notify_waiters();
    Ok(after.into())
}

/// Which jobs to list; every field narrows.
#[derive(Debug, Default, Clone)]
pub struct JobQuery {
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub queue: Option<String>,
}

/// A background job as instance administrators see it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub queue: String,
    pub args: Value,
    pub priority: i16,
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempt: i32,
    pub max_attempts: i32,
    /// One entry per failed attempt, oldest first.
    pub errors: Vec<JobFailure>,
    pub unique_key: Option<String>,
    pub tags: Vec<String>,
    pub meta: Value,
    pub created_at: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub lease_expires_at: Option<DateTime<Utc>>,
}

/// One failed attempt of a job.
#[derive(Debug, Clone, Serialize)]
pub struct JobFailure {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub error: String,
}

impl From<JobRow> for Job {
    fn from(j: JobRow) -> Self {
        Job {
            state: j.state,
            id: j.id,
            kind: j.kind,
            queue: j.queue,
            args: j.args.0,
            priority: j.priority,
            run_at: j.run_at,
            attempt: j.attempt,
            max_attempts: j.max_attempts,
            errors: j
                .errors
                .0
                .into_iter()
                .map(|JobError { attempt, at, error }| JobFailure { attempt, at, error })
                .collect(),
            unique_key: j.unique_key,
            tags: j.tags.0,
            meta: j.meta.0,
            created_at: j.created_at,
            attempted_at: j.attempted_at,
            finished_at: j.finished_at,
            lease_expires_at: j.lease_expires_at,
        }
    }
}
