//! The organization's event stream. An event is written by the use case that makes the change,
//! in the same transaction (`emit`), so a subscriber never hears of a change that was rolled
//! back and never misses one that was committed; the hub (`hub`) wakes subscribers after
//! commit, and each subscriber reads `org_events` after the last id it delivered.
//!
//! A new kind is one `impl EventData for MyData { const KIND: &'static str = "thing:happened"; }`
//! and an `emit` call where the change is written.

mod hub;

pub use hub::{Hub, Subscription};

use crate::context::Actor;
use crate::error::AppResult;
use crate::App;
use chrono::{DateTime, Duration, Utc};
use sellcast_queue::{JobArgs, NewJob, Outcome, Registry};
use sellcast_store::events;
use sellcast_store::notifications::NotificationRow;
use sellcast_store::posts::{PostRow, VariantRow};
use sellcast_store::Conn;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long events are kept for clients that reconnect with `Last-Event-ID`.
pub const RETENTION_HOURS: i64 = 24;

/// The data of one kind of event: its name on the stream (`event:`) and its JSON (`data:`).
pub trait EventData: Serialize {
    const KIND: &'static str;
}

/// Write `data` to the org's stream inside the caller's transaction; `user_id`: only that
/// member receives it.
pub async fn emit<E: EventData>(
    c: Conn<'_>,
    org_id: &str,
    user_id: Option<&str>,
    data: &E,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let json = serde_json::to_value(data).map_err(crate::AppError::internal)?;
    events::insert(c, org_id, user_id, E::KIND, &json, now).await?;
    Ok(())
}

/// `post:status`: a post's overall status and each variant's, after any of them changed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PostStatus {
    pub post_id: String,
    pub status: String,
    pub variants: Vec<VariantStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VariantStatus {
    pub id: String,
    pub channel_id: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl EventData for PostStatus {
    const KIND: &'static str = "post:status";
}

/// `notification:new`: the notification as the notifications API shows it, and the
/// recipient's unread count in the org.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationNew {
    pub notification: NotificationView,
    pub unread_count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub data: serde_json::Value,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&NotificationRow> for NotificationView {
    fn from(n: &NotificationRow) -> Self {
        NotificationView {
            id: n.id.clone(),
            org_id: n.org_id.clone(),
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            data: n.data.0.clone(),
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

impl EventData for NotificationNew {
    const KIND: &'static str = "notification:new";
}

/// Emit `post:status` for `post` with these (current) variants.
pub async fn post_status<'v>(
    c: Conn<'_>,
    post: &PostRow,
    variants: impl IntoIterator<Item = &'v VariantRow>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    emit(c, &post.org_id, None, &PostStatus::of(post, variants), now).await
}

impl PostStatus {
    /// The event for `post` with these (current) variants.
    pub fn of<'v>(post: &PostRow, variants: impl IntoIterator<Item = &'v VariantRow>) -> PostStatus {
        PostStatus {
            post_id: post.id.clone(),
            status: post.status.clone(),
            variants: variants
                .into_iter()
                .map(|v| VariantStatus {
                    id: v.id.clone(),
                    channel_id: v.channel_id.clone(),
                    status: v.status.clone(),
                    platform_url: v.platform_url.clone(),
                    error: v.error.clone(),
                })
                .collect(),
        }
    }
}

/// Emit `notification:new` to the notification's recipient (org notifications only: the
/// stream is per org).
pub async fn notification_new(mut c: Conn<'_>, n: &NotificationRow) -> AppResult<()> {
    let Some(org_id) = n.org_id.as_deref() else { return Ok(()) };
    let unread_count = sellcast_store::notifications::unread_count(c.re(), &n.user_id, Some(org_id)).await?;
    let data = NotificationNew { notification: n.into(), unread_count };
    emit(c, org_id, Some(&n.user_id), &data, n.created_at).await
}

/// Open the org's stream for `actor` (a member; others get the org's 404). `last_event_id`:
/// replay what came after it (a reconnecting client), else start with what comes next.
pub async fn subscribe(app: &App, actor: &Actor, org_id: &str, last_event_id: Option<i64>) -> AppResult<Subscription> {
    crate::authorize::member_role(app, actor, org_id).await?;
    app.events.subscribe(&app.db, org_id, &actor.user_id, last_event_id).await
}

/// Hourly: forget events older than the retention.
#[derive(Debug, Serialize, Deserialize)]
pub struct PruneEvents {}

impl JobArgs for PruneEvents {
    const KIND: &'static str = "events.prune";
    const MAX_ATTEMPTS: i32 = 3;
}

pub async fn prune(app: &App) -> AppResult<u64> {
    let before = app.clock.now() - Duration::hours(RETENTION_HOURS);
    let mut tx = app.db.begin().await?;
    let n = events::prune(tx.conn(), before).await?;
    tx.commit().await?;
    Ok(n)
}

/// The prune job and its hourly schedule.
pub fn register(r: &mut Registry, app: Arc<App>) {
    r.register::<PruneEvents, _, _>(move |_ctx, _args| {
        let a = app.clone();
        async move {
            match prune(&a).await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(rows = n, "pruned old stream events");
                    }
                    Outcome::Done
                }
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
    });
    if let Err(e) = r.periodic("events.prune", "0 41 * * * *", NewJob::of(&PruneEvents {})) {
        tracing::error!(error = %e, "the events.prune schedule is invalid");
    }
}
