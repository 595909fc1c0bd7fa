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
