//! Networks without webhooks (Bluesky, Mastodon, X): a sweep every 20 seconds enqueues a poll
//! per channel whose time has come; each poll asks the network for what arrived since the
//! stored cursor and stores it as one inbound event **with the new cursor in the same
//! transaction**, so the same pipeline as a webhook processes it and a crash can neither skip
//! nor lose a page. The network's rate-limit reset pushes the next poll back.

use super::receive::{ProcessInbound, SOURCE_POLL_PREFIX};
use crate::channels::{credentials, platform_of};
use crate::error::{AppError, AppResult};
use crate::App;
use chrono::Duration;
use sellcast_domain::Platform;
use sellcast_platforms::PlatformError;
use sellcast_queue::{ops as jobs, JobArgs, NewJob, Outcome};
use sellcast_store::channels;
use sellcast_store::inbox::{cursors, inbound_events};
use serde::{Deserialize, Serialize};

/// The networks polled for mentions, replies and direct messages.
pub const POLLED: [Platform; 3] = [Platform::Bluesky, Platform::Mastodon, Platform::X];
/// How often a channel is polled when the network asks for nothing else.
pub const POLL_EVERY_SECS: i64 = 60;
/// At most this many polls are enqueued per sweep (the rest wait for the next one).
const SWEEP_BATCH: i64 = 500;

#[derive(Debug, Serialize, Deserialize)]
pub struct PollSweep {}

impl JobArgs for PollSweep {
    const KIND: &'static str = "inbox.poll_sweep";
    const MAX_ATTEMPTS: i32 = 3;
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PollChannel {
    pub channel_id: String,
}

impl JobArgs for PollChannel {
    const KIND: &'static str = "inbox.poll";
    const QUEUE: &'static str = "inbox";
    const MAX_ATTEMPTS: i32 = 1;
}

/// Enqueue a poll for each channel that is due; how many.
pub async fn sweep(app: &App) -> AppResult<usize> {
    let now = app.clock.now();
    let names: Vec<&str> = POLLED.iter().map(|p| p.as_str()).collect();
    let due = {
        let mut c = app.db.read().await?;
        cursors::due(c.conn(), &names, now, SWEEP_BATCH).await?
    };
    let mut tx = app.db.begin().await?;
    for id in &due {
        let job = NewJob::of(&PollChannel { channel_id: id.clone() }).unique_key(format!("inbox.poll:{id}"));
        jobs::enqueue(tx.conn(), &job, now).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// Poll one channel. Failures are recorded on its cursor (and push the next poll back); the job
/// itself never retries: the next sweep is the retry.
pub async fn run(app: &App, channel_id: &str) -> Outcome {
    match poll(app, channel_id).await {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

async fn poll(app: &App, channel_id: &str) -> AppResult<()> {
    let (channel, cursor) = {
        let mut c = app.db.read().await?;
        let Some(ch) = channels::by_ids(c.conn(), &[channel_id.to_string()]).await?.into_iter().next() else {
            return Ok(());
        };
        (ch, cursors::get(c.conn(), channel_id).await?)
    };
    if !channel.status.can_publish() {
        return Ok(());
    }
    let platform = platform_of(&channel.platform)?;
    let creds = credentials::open(app, &channel)?;
    let adapter = crate::channels::adapter(app, platform)?;
    let polled = adapter.poll_inbox(&creds, cursor.as_ref().and_then(|k| k.cursor.as_deref())).await;
    let now = app.clock.now();
    let regular = now + Duration::seconds(POLL_EVERY_SECS);
    let mut tx = app.db.begin().await?;
    match polled {
        Ok(p) => {
            if !p.items.is_empty() {
                let body = serde_json::to_vec(&p.items).map_err(AppError::internal)?;
                let source = format!("{SOURCE_POLL_PREFIX}{channel_id}");
                let id = inbound_events::insert(tx.conn(), &source, &body, now).await?;
                jobs::enqueue(tx.conn(), &NewJob::of(&ProcessInbound { event_id: id }), now).await?;
            }
            let next = p.not_before.map_or(regular, |t| t.max(regular));
            cursors::save(tx.conn(), channel_id, p.cursor.as_deref(), next, None, now).await?;
        }
        Err(e) => {
            let failures = cursor.as_ref().map_or(0, |k| k.failures) + 1;
            let next = match &e {
                PlatformError::RateLimited { retry_at: Some(t), .. } => (*t).max(regular),
                // Back off: 1, 2, 4 … minutes, at most an hour.
                _ => now + Duration::seconds((POLL_EVERY_SECS << failures.clamp(0, 6)).min(3600)),
            };
            tracing::warn!(channel_id, error = %e, "polling the inbox failed");
            cursors::save(tx.conn(), channel_id, None, next, Some(&e.to_string()), now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
