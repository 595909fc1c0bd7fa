//! A post's publish jobs on the queue: one per variant, unique per variant, written in the
//! transaction that schedules, moves or withdraws the post.

use super::input::VariantInput;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sellcast_domain::JobState;
use sellcast_queue::{ops as jobs, JobArgs, NewJob};
use sellcast_store::posts::{self, PostRow};
use sellcast_store::Conn;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct PublishVariant {
    pub variant_id: String,
}

impl JobArgs for PublishVariant {
    const KIND: &'static str = "post.publish";
    const QUEUE: &'static str = "publish";
    /// The first try and seed 004's five retries (30 s, 2 min, 10 min, 30 min, 1 h).
    const MAX_ATTEMPTS: i32 = 6;
}

/// The unique key of a variant's publish job.
pub fn unique_key(variant_id: &str) -> String {
    format!("publish:{variant_id}")
}

pub async fn enqueue(c: Conn<'_>, variant_id: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<()> {
    let job = NewJob::of(&PublishVariant { variant_id: variant_id.to_string() })
        .run_at(at)
        .unique_key(unique_key(variant_id));
    jobs::enqueue(c, &job, now).await?;
    Ok(())
}

/// Cancel the post's waiting publish jobs; Conflict if one is running.
pub async fn cancel_jobs(mut c: Conn<'_>, post: &PostRow) -> AppResult<()> {
    let now = post.updated_at;
    for v in posts::variants_of(c.re(), &post.id).await? {
        let key = unique_key(&v.id);
        if let Some(job) = jobs::unfinished_by_unique_key(c.re(), &key).await? {
            if job.state == JobState::Running {
                return Err(AppError::Conflict("this post is being published right now; try again in a moment".into()));
            }
            jobs::cancel_waiting(c.re(), &key, now).await?;
        }
    }
    Ok(())
}

/// Variants leaving the post lose their waiting jobs.
pub async fn drop_removed_jobs(
    mut c: Conn<'_>,
    post: &PostRow,
    keep: &[VariantInput],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for v in posts::variants_of(c.re(), &post.id).await? {
        if keep.iter().any(|k| k.channel_id == v.channel_id) {
            continue;
        }
        if v.platform_post_id.is_some() {
            return Err(AppError::Conflict("a channel this post was already published to cannot be removed".into()));
        }
        let key = unique_key(&v.id);
        if let Some(job) = jobs::unfinished_by_unique_key(c.re(), &key).await? {
            if job.state == JobState::Running {
                return Err(AppError::Conflict("this post is being published right now".into()));
            }
            jobs::cancel_waiting(c.re(), &key, now).await?;
        }
    }
    Ok(())
}
