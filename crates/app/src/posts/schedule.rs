//! Schedule, reschedule, unschedule, publish now, retry a variant. The post's new state and
//! its publish jobs (one per variant, unique per variant) are written in one transaction, so
//! a scheduled post always has its jobs and a draft never does.

use super::enqueue;
use super::input::VariantInput;
use super::load::{channel, current_inputs, load_view, record};
use super::status_event::emit_for_view;
use super::validate;
use super::view::PostView;
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use chrono::{DateTime, Duration, Utc};
use sellcast_domain::{JobState, Permission, VariantStatus};
use sellcast_queue::ops as jobs;
use sellcast_store::posts;
use sellcast_store::Conn;
use serde_json::json;

/// How far in the past a schedule time may be (a form submitted a few seconds late).
const PAST_GRACE_SECS: i64 = 60;
/// How far ahead posts can be scheduled.
const MAX_AHEAD_DAYS: i64 = 3 * 365;

/// Schedule (or reschedule) the post at `at`.
pub async fn schedule(app: &App, actor: &Actor, org_id: &str, id: &str, at: DateTime<Utc>) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostUpdate).await?;
    let now = app.clock.now();
    let at = check_time(at, now)?;
    let mut tx = app.db.begin().await?;
    let view = schedule_in(tx.conn(), actor, org_id, id, at, now, "post.schedule").await?;
    tx.commit().await?;
    app.db.job_wakeup().notify_waiters();
    Ok(view)
}

/// A schedule time the product accepts (a few seconds late becomes now).
pub(super) fn check_time(at: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    if at < now - Duration::seconds(PAST_GRACE_SECS) {
        return Err(AppError::validation("scheduled_at", "is in the past; pick a later time or publish now"));
    }
    if at > now + Duration::days(MAX_AHEAD_DAYS) {
        return Err(AppError::validation("scheduled_at", "is more than three years ahead"));
    }
    Ok(at.max(now))
}

/// Publish at once: schedule for now (needs the publish permission).
pub async fn publish_now(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostPublish).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let view = schedule_in(tx.conn(), actor, org_id, id, now, now, "post.publish_now").await?;
    tx.commit().await?;
    app.db.job_wakeup().notify_waiters();
    Ok(view)
}

pub(super) async fn schedule_in(
    mut c: Conn<'_>,
    actor: &Actor,
    org_id: &str,
    id: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    action: &str,
) -> AppResult<PostView> {
    let mut post = posts::by_id(c.re(), org_id, id).await?.ok_or(AppError::NotFound("post"))?;
    let Some(scheduled) = post.status.schedule() else {
        return Err(AppError::Conflict(format!("a {} post cannot be scheduled", post.status)));
    };
    let media_ids = posts::media_of(c.re(), id).await?;
    let inputs: Vec<VariantInput> = current_inputs(c.re(), id).await?;
    validate::check_for_schedule(c.re(), &post, &media_ids, &inputs).await?;
    for mut v in posts::variants_of(c.re(), id).await? {
        if v.platform_post_id.is_some() {
            continue;
        }
        let key = enqueue::unique_key(&v.id);
        match jobs::unfinished_by_unique_key(c.re(), &key).await? {
            Some(job) if job.state == JobState::Running => {
                return Err(AppError::Conflict("this post is being published right now".into()));
            }
            Some(_) => {
                jobs::reschedule_waiting(c.re(), &key, at, now).await?;
            }
            None => {
                enqueue::enqueue(c.re(), &v.id, at, now).await?;
            }
        }
        if v.status != VariantStatus::Unconfirmed {
            v.error = None;
        }
        v.status = v.status.on_schedule();
        v.updated_at = now;
        posts::update_variant(c.re(), &v).await?;
    }
    let from = post.scheduled_at;
    post.status = scheduled;
    post.scheduled_at = Some(at);
    post.updated_at = now;
    posts::update(c.re(), &post).await?;
    record(c.re(), actor, &post, action, json!({"scheduled_at": {"from": from, "to": at}})).await?;
    let view = load_view(c.re(), post).await?;
    emit_for_view(c, &view, now).await?;
    Ok(view)
}

/// Back to draft: waiting publish jobs are cancelled. Refused once publishing has started.
pub async fn unschedule(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostUpdate).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut post = posts::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("post"))?;
    let Some(unscheduled) = post.status.unschedule() else {
        return Err(AppError::Conflict(format!(
            "only a scheduled post can be unscheduled; this one is {}",
            post.status
        )));
    };
    enqueue::cancel_jobs(tx.conn(), &post).await?;
    for mut v in posts::variants_of(tx.conn(), id).await? {
        if v.platform_post_id.is_none() && v.status != VariantStatus::Unconfirmed {
            v.status = v.status.on_unschedule();
            v.updated_at = now;
            posts::update_variant(tx.conn(), &v).await?;
        }
    }
    post.status = unscheduled;
    post.scheduled_at = None;
    post.updated_at = now;
    posts::update(tx.conn(), &post).await?;
    record(tx.conn(), actor, &post, "post.unschedule", json!({})).await?;
    let view = load_view(tx.conn(), post).await?;
    emit_for_view(tx.conn(), &view, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// Try a failed variant again, now.
pub async fn retry_variant(
    app: &App,
    actor: &Actor,
    org_id: &str,
    post_id: &str,
    variant_id: &str,
) -> AppResult<PostView> {
    authorize(app, actor, org_id, Permission::PostUpdate).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut post = posts::by_id(tx.conn(), org_id, post_id).await?.ok_or(AppError::NotFound("post"))?;
    let mut v = posts::variant(tx.conn(), variant_id)
        .await?
        .filter(|v| v.post_id == post.id)
        .ok_or(AppError::NotFound("variant"))?;
    if !v.status.can_retry() {
        return Err(AppError::Conflict(format!("only a failed variant can be retried; this one is {}", v.status)));
    }
    let ch = channel(tx.conn(), org_id, &v.channel_id).await?;
    if !ch.status.can_publish() {
        return Err(AppError::Conflict(format!("{} must be reconnected first", ch.handle)));
    }
    v.status = VariantStatus::Scheduled;
    v.error = None;
    v.updated_at = now;
    posts::update_variant(tx.conn(), &v).await?;
    enqueue::enqueue(tx.conn(), &v.id, now, now).await?;
    post.status = post.status.from_variants(posts::variants_of(tx.conn(), post_id).await?.iter().map(|v| v.status));
    post.updated_at = now;
    posts::update(tx.conn(), &post).await?;
    record(tx.conn(), actor, &post, "post.retry", json!({"variant_id": variant_id})).await?;
    let view = load_view(tx.conn(), post).await?;
    emit_for_view(tx.conn(), &view, now).await?;
    tx.commit().await?;
    app.db.job_wakeup().notify_waiters();
    Ok(view)
}
