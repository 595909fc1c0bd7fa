//! /api/v1/admin/jobs: the job queue for instance administrators.

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use sellcast_app::jobs;
use sellcast_app::jobs::JobFailure;
use sellcast_domain::JobState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct JobErrorEntry {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub error: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub queue: String,
    #[schema(value_type = Object)]
    pub args: Value,
    pub priority: i16,
    /// scheduled, available, running, retryable, completed, cancelled or dead.
    pub state: String,
    pub run_at: DateTime<Utc>,
    pub attempt: i32,
    pub max_attempts: i32,
    /// One entry per failed attempt, oldest first.
    pub errors: Vec<JobErrorEntry>,
    pub unique_key: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub meta: Value,
    pub created_at: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub lease_expires_at: Option<DateTime<Utc>>,
}

impl From<jobs::Job> for Job {
    fn from(j: jobs::Job) -> Self {
        Job {
            id: j.id,
            kind: j.kind,
            queue: j.queue,
            args: j.args,
            priority: j.priority,
            state: j.state.to_string(),
            run_at: j.run_at,
            attempt: j.attempt,
            max_attempts: j.max_attempts,
            errors: j
                .errors
                .into_iter()
                .map(|JobFailure { attempt, at, error }| JobErrorEntry { attempt, at, error })
                .collect(),
            unique_key: j.unique_key,
            tags: j.tags,
            meta: j.meta,
            created_at: j.created_at,
            attempted_at: j.attempted_at,
            finished_at: j.finished_at,
            lease_expires_at: j.lease_expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    pub items: Vec<Job>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// scheduled, available, running, retryable, completed, cancelled or dead.
    pub state: Option<String>,
    pub kind: Option<String>,
    pub queue: Option<String>,
}

/// Jobs, newest first, filtered by state, kind and queue (instance admins).
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin", security(("bearer" = [])), params(JobQuery),
    responses((status = 200, body = JobList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> ApiResult<Json<JobList>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 200"));
    }
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::field("cursor", "is not a valid cursor"))?),
        None => None,
    };
    let state = match q.state.as_deref() {
        Some(st) => Some(st.parse::<JobState>().ok().ok_or_else(|| ApiError::field("state", "is not a job state"))?),
        None => None,
    };
    let filter = jobs::JobQuery { state, kind: q.kind, queue: q.queue };
    let (rows, next_cursor) = jobs::list(&s.app, &actor, &filter, before, limit).await?;
    Ok(Json(JobList { items: rows.into_iter().map(Job::from).collect(), next_cursor }))
}

/// One job with its error history.
#[utoipa::path(get, path = "/api/v1/admin/jobs/{job_id}", tag = "admin", security(("bearer" = [])),
    params(("job_id" = i64, Path)), responses((status = 200, body = Job)))]
pub async fn get(State(s): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Job>> {
    Ok(Json(jobs::get(&s.app, &actor, id).await?.into()))
}

/// Run a dead, cancelled, completed or waiting job again now.
#[utoipa::path(post, path = "/api/v1/admin/jobs/{job_id}/retry", tag = "admin", security(("bearer" = [])),
    params(("job_id" = i64, Path)), responses((status = 200, body = Job), (status = 409, body = ErrorBody)))]
pub async fn retry(State(s): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Job>> {
    Ok(Json(jobs::retry(&s.app, &actor, id).await?.into()))
}

/// Cancel an unfinished job (a running one's result is then discarded).
#[utoipa::path(post, path = "/api/v1/admin/jobs/{job_id}/cancel", tag = "admin", security(("bearer" = [])),
    params(("job_id" = i64, Path)), responses((status = 200, body = Job), (status = 409, body = ErrorBody)))]
pub async fn cancel(State(s): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Job>> {
    Ok(Json(jobs::cancel(&s.app, &actor, id).await?.into()))
}
