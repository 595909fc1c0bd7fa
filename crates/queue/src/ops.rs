//! Every statement the queue runs, written once for both backends (see sellcast-store).

use crate::job::{JobError, JobRow, JobState, NewJob};
use crate::QueueResult;
use chrono::{DateTime, Utc};
use sellcast_store::{exec, on, Conn};
use sqlx::types::Json;

pub const COLS: &str = "id, kind, queue, args, priority, state, run_at, attempt, max_attempts, errors, unique_key, \
    timeout_ms, tags, meta, lease_owner, lease_expires_at, created_at, attempted_at, finished_at";

const CLAIMABLE: &str = "('available', 'scheduled', 'retryable')";
const INSERT_COLS: &str =
    "kind, queue, args, priority, state, run_at, attempt, max_attempts, errors, unique_key, timeout_ms, tags, meta, created_at";
const INSERT_ARITY: usize = 13;

fn initial_state(job: &NewJob, now: DateTime<Utc>) -> (JobState, DateTime<Utc>) {
    let run_at = job.run_at.unwrap_or(now);
    (if run_at > now { JobState::Scheduled } else { JobState::Available }, run_at)
}

fn validate(job: &NewJob) -> QueueResult<()> {
    if job.kind.is_empty() || job.queue.is_empty() || job.max_attempts < 1 {
        return Err(crate::QueueError::Invalid("kind and queue must be set and max_attempts ≥ 1".into()));
    }
    Ok(())
}

/// The inserted (or, for a live unique key, the existing) job id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: i64,
    /// False when a unique key matched an unfinished job and nothing was inserted.
    pub inserted: bool,
}

/// Insert a job inside the caller's transaction; it exists only if that transaction commits.
pub async fn enqueue(mut c: Conn<'_>, job: &NewJob, now: DateTime<Utc>) -> QueueResult<Enqueued> {
    validate(job)?;
    let (state, run_at) = initial_state(job, now);
    let sql = format!(
        "INSERT INTO jobs ({INSERT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'cancelled', 'dead')
         DO NOTHING RETURNING id"
    );
    let no_errors: Vec<JobError> = Vec::new();
    // A few rounds: the unfinished holder of the key may finish between our two statements.
    for _ in 0..5 {
        let inserted: Option<i64> = on!(c.re(), c => sqlx::query_scalar(&sql)
            .bind(&job.kind).bind(&job.queue).bind(Json(&job.args)).bind(job.priority).bind(state.as_str())
            .bind(run_at).bind(job.max_attempts).bind(Json(&no_errors)).bind(&job.unique_key)
            .bind(job.timeout.map(|t| t.as_millis() as i64)).bind(Json(&job.tags)).bind(Json(&job.meta)).bind(now)
            .fetch_optional(c).await)?;
        if let Some(id) = inserted {
            notify(c.re(), &job.queue).await?;
            return Ok(Enqueued { id, inserted: true });
        }
        let existing: Option<i64> = on!(c.re(), c => sqlx::query_scalar(
            "SELECT id FROM jobs WHERE unique_key = $1 AND state NOT IN ('completed', 'cancelled', 'dead')")
            .bind(&job.unique_key).fetch_optional(c).await)?;
        if let Some(id) = existing {
            return Ok(Enqueued { id, inserted: false });
        }
    }
    Err(crate::QueueError::Invalid("unique key kept changing hands; try again".into()))
}

/// Insert many jobs (no unique keys) in multi-row statements; returns how many.
pub async fn enqueue_many(mut c: Conn<'_>, jobs: &[NewJob], now: DateTime<Utc>) -> QueueResult<usize> {
    let no_errors: Vec<JobError> = Vec::new();
    let mut queues: Vec<&str> = Vec::new();
    // SQLite looks bound parameters up by name linearly, so long statements cost quadratic
    // time there; PostgreSQL prefers fewer, larger statements.
    let rows_per_statement = if matches!(c, Conn::Sqlite(_)) { 50 } else { 500 };
    for chunk in jobs.chunks(rows_per_statement) {
        let mut sql = format!("INSERT INTO jobs ({INSERT_COLS}) VALUES ");
        for (i, job) in chunk.iter().enumerate() {
            validate(job)?;
            if job.unique_key.is_some() {
                return Err(crate::QueueError::Invalid("enqueue_many takes no unique keys".into()));
            }
            let b = i * INSERT_ARITY;
            let p: Vec<String> = (1..=INSERT_ARITY).map(|k| format!("${}", b + k)).collect();
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "({}, {}, {}, {}, {}, {}, 0, {}, {}, {}, {}, {}, {}, {})",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12]
            ));
            if !queues.contains(&job.queue.as_str()) {
                queues.push(&job.queue);
            }
        }
        on!(c.re(), c => {
            let mut q = sqlx::query(&sql);
            for job in chunk {
                let (state, run_at) = initial_state(job, now);
                q = q.bind(&job.kind).bind(&job.queue).bind(Json(&job.args)).bind(job.priority).bind(state.as_str())
                    .bind(run_at).bind(job.max_attempts).bind(Json(no_errors.clone())).bind(None::<String>)
                    .bind(job.timeout.map(|t| t.as_millis() as i64)).bind(Json(&job.tags)).bind(Json(&job.meta)).bind(now);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    for q in queues {
        notify(c.re(), q).await?;
    }
    Ok(jobs.len())
}

/// Tell workers of other processes (PostgreSQL NOTIFY, delivered at commit). Workers of this
/// process are woken by the caller through `Db::job_wakeup`.
async fn notify(c: Conn<'_>, queue: &str) -> QueueResult<()> {
    if let Conn::Pg(c) = c {
        sqlx::query("SELECT pg_notify('sellcast_jobs', $1)").bind(queue).execute(c).await?;
    }
    Ok(())
}

/// Claim up to `limit` due jobs of `queue` under a lease held by `owner` until `lease_until`.
pub async fn claim(
    c: Conn<'_>,
    queue: &str,
    limit: i64,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueueResult<Vec<JobRow>> {
    let mut c = c;
    let lock = if matches!(c, Conn::Pg(_)) { "FOR UPDATE SKIP LOCKED" } else { "" };
    // One priority at a time, so each claim is a range scan of ix_jobs_claim (queue, priority,
    // run_at, id) over the due jobs only: with the priority left open, the scan walked every
    // waiting job of the queue, jobs due later included (O(waiting) per claim).
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempt = attempt + 1, attempted_at = $1, lease_owner = $2, lease_expires_at = $3
         WHERE id IN (SELECT id FROM jobs WHERE queue = $4 AND state IN {CLAIMABLE} AND priority = $6 AND run_at <= $1
                      ORDER BY run_at, id LIMIT $5 {lock})
         RETURNING {COLS}"
    );
    let mut rows: Vec<JobRow> = Vec::new();
    for priority in priorities(c.re(), queue).await? {
        let want = limit - rows.len() as i64;
        if want <= 0 {
            break;
        }
        let got: Vec<JobRow> = on!(c.re(), c => sqlx::query_as(&sql)
            .bind(now).bind(owner).bind(lease_until).bind(queue).bind(want).bind(priority).fetch_all(c).await)?;
        rows.extend(got);
    }
    rows.sort_by_key(|j| (j.priority, j.run_at, j.id));
    Ok(rows)
}

/// The distinct priorities of the queue's waiting jobs, lowest first: a skip scan of
/// ix_jobs_claim, one index seek per priority (there are few).
async fn priorities(c: Conn<'_>, queue: &str) -> QueueResult<Vec<i16>> {
    let sql = format!("{PRIORITIES} SELECT p FROM pr WHERE p IS NOT NULL ORDER BY p");
    let rows: Vec<i32> = on!(c, c => sqlx::query_scalar(&sql).bind(queue).fetch_all(c).await)?;
    Ok(rows.into_iter().filter_map(|p| i16::try_from(p).ok()).collect())
}

/// `pr(p)`: the priorities of the queue's ($1) waiting jobs, by a recursive skip scan.
const PRIORITIES: &str = "WITH RECURSIVE pr(p) AS (
    SELECT CAST(MIN(priority) AS INTEGER) FROM jobs WHERE queue = $1 AND state IN ('available', 'scheduled', 'retryable')
    UNION ALL
    SELECT (SELECT CAST(MIN(priority) AS INTEGER) FROM jobs
            WHERE queue = $1 AND state IN ('available', 'scheduled', 'retryable') AND priority > pr.p)
    FROM pr WHERE pr.p IS NOT NULL)";

/// Mark jobs completed if `owner` still holds their lease; returns how many were.
pub async fn complete_many(c: Conn<'_>, owner: &str, ids: &[i64], now: DateTime<Utc>) -> QueueResult<u64> {
    let done: Vec<(i64, String)> = ids.iter().map(|id| (*id, owner.to_string())).collect();
    complete_pairs(c, &done, now).await
}

/// Mark jobs completed where the paired owner still holds each one's lease, in one statement
/// per 1,000 jobs; returns how many were.
pub async fn complete_pairs(mut c: Conn<'_>, done: &[(i64, String)], now: DateTime<Utc>) -> QueueResult<u64> {
    let mut total = 0;
    for chunk in done.chunks(1000) {
        let sql = if matches!(c, Conn::Pg(_)) {
            // A join on the primary key: the plan stays an index lookup per job however many run.
            let pairs: Vec<String> =
                (0..chunk.len()).map(|i| format!("(${}::bigint, ${}::text)", 2 * i + 2, 2 * i + 3)).collect();
            format!(
                "UPDATE jobs SET state = 'completed', finished_at = $1, lease_owner = NULL, lease_expires_at = NULL
                 FROM (VALUES {}) AS done(id, owner)
                 WHERE jobs.id = done.id AND jobs.lease_owner = done.owner AND jobs.state = 'running'",
                pairs.join(", ")
            )
        } else {
            let pairs: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${})", 2 * i + 2, 2 * i + 3)).collect();
            format!(
                "UPDATE jobs SET state = 'completed', finished_at = $1, lease_owner = NULL, lease_expires_at = NULL
                 WHERE state = 'running' AND (id, lease_owner) IN (VALUES {})",
                pairs.join(", ")
            )
        };
        total += on!(c.re(), c => {
            let mut q = sqlx::query(&sql).bind(now);
            for (id, owner) in chunk {
                q = q.bind(id).bind(owner);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(total)
}

/// The new state of a job leaving `running`, written only while `owner` holds the lease.
pub struct Transition<'a> {
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempt: i32,
    pub errors: &'a [JobError],
    pub finished_at: Option<DateTime<Utc>>,
}

/// Apply a transition out of `running`; false when the lease was lost (fencing).
pub async fn transition(c: Conn<'_>, id: i64, owner: &str, t: &Transition<'_>) -> QueueResult<bool> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE jobs SET state = $1, run_at = $2, attempt = $3, errors = $4, finished_at = $5,
         lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $6 AND lease_owner = $7 AND state = 'running'"
        )
        .bind(t.state.as_str())
        .bind(t.run_at)
        .bind(t.attempt)
        .bind(Json(t.errors))
        .bind(t.finished_at)
        .bind(id)
        .bind(owner)
    )?;
    Ok(n == 1)
}

/// Extend the lease of every job held under `owner`.
pub async fn heartbeat(c: Conn<'_>, owner: &str, lease_until: DateTime<Utc>) -> QueueResult<u64> {
    Ok(exec!(
        c,
        sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE lease_owner = $2 AND state = 'running'")
            .bind(lease_until)
            .bind(owner)
    )?)
}

/// Extend the leases of every job held under any of `owners`, in one statement per 1,000.
/// On PostgreSQL rows locked by a concurrent completion are skipped (they are finishing), so
/// a heartbeat and a completion never deadlock.
pub async fn heartbeat_all(mut c: Conn<'_>, owners: &[String], lease_until: DateTime<Utc>) -> QueueResult<u64> {
    let skip_locked = if matches!(c, Conn::Pg(_)) { "FOR UPDATE SKIP LOCKED" } else { "" };
    let mut total = 0;
    for chunk in owners.chunks(1000) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "UPDATE jobs SET lease_expires_at = $1 WHERE id IN (SELECT id FROM jobs WHERE state = 'running'
             AND lease_owner IN ({}) {skip_locked})",
            list.join(", ")
        );
        total += on!(c.re(), c => {
            let mut q = sqlx::query(&sql).bind(lease_until);
            for owner in chunk {
                q = q.bind(owner);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(total)
}

/// Running jobs whose lease ran out (their worker died or stalled).
pub async fn expired_leases(c: Conn<'_>, now: DateTime<Utc>, limit: i64) -> QueueResult<Vec<JobRow>> {
    let sql = format!(
        "SELECT {COLS} FROM jobs WHERE state = 'running' AND lease_expires_at < $1 ORDER BY lease_expires_at LIMIT $2"
    );
    Ok(on!(c, c => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(c).await)?)
}

/// Give back the jobs still held by `owner` at shutdown: available again, the attempt not counted.
pub async fn release(c: Conn<'_>, owner: &str, now: DateTime<Utc>) -> QueueResult<u64> {
    Ok(exec!(c, sqlx::query(
        "UPDATE jobs SET state = 'available', attempt = attempt - 1, run_at = $1, lease_owner = NULL, lease_expires_at = NULL
         WHERE lease_owner = $2 AND state = 'running'")
        .bind(now).bind(owner))?)
}

/// When the next job of `queue` is due, if any is waiting.
pub async fn next_run_at(c: Conn<'_>, queue: &str) -> QueueResult<Option<DateTime<Utc>>> {
    // The earliest per priority: index seeks, where MIN(run_at) over the queue scanned it all.
    let sql = format!(
        "{PRIORITIES} SELECT MIN((SELECT MIN(run_at) FROM jobs WHERE queue = $1 AND state IN {CLAIMABLE} AND priority = pr.p))
         FROM pr WHERE pr.p IS NOT NULL"
    );
    Ok(on!(c, c => sqlx::query_scalar::<_, Option<DateTime<Utc>>>(&sql).bind(queue).fetch_one(c).await)?)
}

/// Delete finished jobs older than `before`, at most `limit` of them.
pub async fn prune(c: Conn<'_>, before: DateTime<Utc>, limit: i64) -> QueueResult<u64> {
    Ok(exec!(
        c,
        sqlx::query(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('completed', 'cancelled', 'dead')
         AND finished_at < $1 LIMIT $2)"
        )
        .bind(before)
        .bind(limit)
    )?)
}

/// Record a periodic tick; true only for the first process to claim it.
pub async fn claim_tick(c: Conn<'_>, name: &str, tick_at: DateTime<Utc>) -> QueueResult<bool> {
    let n = exec!(
        c,
        sqlx::query("INSERT INTO periodic_ticks (name, tick_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(tick_at)
    )?;
    Ok(n == 1)
}

pub async fn set_tick_job(c: Conn<'_>, name: &str, tick_at: DateTime<Utc>, job_id: i64) -> QueueResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE periodic_ticks SET job_id = $1 WHERE name = $2 AND tick_at = $3")
            .bind(job_id)
            .bind(name)
            .bind(tick_at)
    )?;
    Ok(())
}

pub async fn prune_ticks(c: Conn<'_>, before: DateTime<Utc>) -> QueueResult<u64> {
    Ok(exec!(c, sqlx::query("DELETE FROM periodic_ticks WHERE tick_at < $1").bind(before))?)
}

// ---- administration ----

pub async fn get(c: Conn<'_>, id: i64) -> QueueResult<Option<JobRow>> {
    let sql = format!("SELECT {COLS} FROM jobs WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?)
}

#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub queue: Option<String>,
}

/// Newest first, ids below `before`.
pub async fn list(c: Conn<'_>, f: &JobFilter, before: Option<i64>, limit: i64) -> QueueResult<Vec<JobRow>> {
    let sql = format!(
        "SELECT {COLS} FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR kind = $2)
         AND ($3 IS NULL OR queue = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
    );
    Ok(on!(c, c => sqlx::query_as(&sql)
        .bind(f.state.map(|s| s.as_str())).bind(&f.kind).bind(&f.queue).bind(before).bind(limit)
        .fetch_all(c).await)?)
}

/// Run a finished or waiting job again now; a dead job out of attempts gets one more.
pub async fn retry(c: Conn<'_>, id: i64, now: DateTime<Utc>) -> QueueResult<bool> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE jobs SET state = 'available', run_at = $1, finished_at = NULL,
         max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END
         WHERE id = $2 AND state IN ('dead', 'cancelled', 'retryable', 'scheduled', 'completed')"
        )
        .bind(now)
        .bind(id)
    )?;
    Ok(n == 1)
}

/// Cancel an unfinished job. A running one keeps running, but its result is discarded
/// (its lease is gone, so its completion is fenced out).
pub async fn cancel(c: Conn<'_>, id: i64, now: DateTime<Utc>) -> QueueResult<bool> {
    let n = exec!(
        c,
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $2 AND state NOT IN ('completed', 'cancelled', 'dead')"
        )
        .bind(now)
        .bind(id)
    )?;
    Ok(n == 1)
}

/// (queue, state, count) for every pair present.
pub async fn counts(c: Conn<'_>) -> QueueResult<Vec<(String, String, i64)>> {
    Ok(on!(c, c => sqlx::query_as("SELECT queue, state, COUNT(*) FROM jobs GROUP BY queue, state").fetch_all(c).await)?)
}

/// The unfinished job holding `unique_key`, if any.
pub async fn unfinished_by_unique_key(c: Conn<'_>, unique_key: &str) -> QueueResult<Option<JobRow>> {
    let sql =
        format!("SELECT {COLS} FROM jobs WHERE unique_key = $1 AND state NOT IN ('completed', 'cancelled', 'dead')");
    Ok(on!(c, c => sqlx::query_as::<_, JobRow>(&sql).bind(unique_key).fetch_optional(c).await)?)
}

/// Move the waiting (not running) job under `unique_key` to `run_at`; false when none waits.
pub async fn reschedule_waiting(
    c: Conn<'_>,
    unique_key: &str,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueueResult<bool> {
    let state = if run_at > now { "scheduled" } else { "available" };
    let n = exec!(
        c,
        sqlx::query(&format!("UPDATE jobs SET run_at = $1, state = $2 WHERE unique_key = $3 AND state IN {CLAIMABLE}"))
            .bind(run_at)
            .bind(state)
            .bind(unique_key)
    )?;
    Ok(n == 1)
}

/// Cancel the waiting (not running) job under `unique_key`; false when none waits.
pub async fn cancel_waiting(c: Conn<'_>, unique_key: &str, now: DateTime<Utc>) -> QueueResult<bool> {
    let n = exec!(
        c,
        sqlx::query(&format!(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE unique_key = $2 AND state IN {CLAIMABLE}"
        ))
        .bind(now)
        .bind(unique_key)
    )?;
    Ok(n == 1)
}
