//! The processing job of one stored inbound event: read its items, find the channels they
//! belong to by the ids in them (never by anything else), and apply them, all in one
//! transaction with the event's "processed" mark, so a retry after a crash redoes exactly
//! what was not committed. Failures retry; the last one leaves the event dead, with its body,
//! for instance admins.

use super::apply;
use super::receive::{scoped_channel, SOURCE_META};
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_domain::InboundState;
use sellcast_platforms::inbound::{InboundEvent, InboundItem};
use sellcast_platforms::meta::webhook;
use sellcast_queue::Outcome;
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::inbox::inbound_events::{self, Counts, InboundEventRow};
use sellcast_store::Conn;

pub async fn run(app: &App, event_id: i64, attempt: i32, max_attempts: i32) -> Outcome {
    let row = match read(app, event_id).await {
        Ok(Some(row)) if row.state == InboundState::Pending => row,
        Ok(_) => return Outcome::Done,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    let result = match items_of(&row) {
        Ok(items) => process(app, &row, &items).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Outcome::Done,
        Err(e) => {
            let dead = attempt >= max_attempts || matches!(e, AppError::Validation(_));
            let message = e.to_string();
            tracing::warn!(event_id, attempt, dead, error = %message, "inbound event not processed");
            let mut c = match app.db.begin().await {
                Ok(tx) => tx,
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            let marked = inbound_events::fail(c.conn(), event_id, &message, dead, app.clock.now()).await;
            if let Err(e) = marked {
                return Outcome::Retry(e.to_string());
            }
            if let Err(e) = c.commit().await {
                return Outcome::Retry(e.to_string());
            }
            if dead {
                Outcome::Discard(message)
            } else {
                Outcome::Retry(message)
            }
        }
    }
}

async fn read(app: &App, id: i64) -> AppResult<Option<InboundEventRow>> {
    let mut c = app.db.read().await?;
    Ok(inbound_events::get(c.conn(), id).await?)
}

/// The items of a stored body, by where it came from.
fn items_of(row: &InboundEventRow) -> AppResult<Vec<InboundItem>> {
    if row.source == SOURCE_META {
        return webhook::parse(&row.body).map_err(|e| AppError::validation("body", e.to_string()));
    }
    if scoped_channel(&row.source).is_some() {
        return serde_json::from_slice(&row.body).map_err(|e| AppError::validation("body", e.to_string()));
    }
    Err(AppError::validation("source", format!("unknown inbound source {:?}", row.source)))
}

async fn process(app: &App, row: &InboundEventRow, items: &[InboundItem]) -> AppResult<()> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut counts = Counts { items: items.len() as i32, ..Counts::default() };
    for item in items {
        if matches!(item.event, InboundEvent::Unknown { .. }) {
            counts.unknown += 1;
            continue;
        }
        let targets = route(tx.conn(), row, item).await?;
        if targets.is_empty() {
            counts.unmatched += 1;
        }
        for ch in &targets {
            apply::apply(tx.conn(), ch, &item.event, now).await?;
        }
    }
    inbound_events::finish(tx.conn(), row.id, counts, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The channels an item belongs to: those connected under its platform and account id (in
/// any org that connected that account); a sandbox or poll event only ever reaches its own
/// channel.
async fn route(mut c: Conn<'_>, row: &InboundEventRow, item: &InboundItem) -> AppResult<Vec<ChannelRow>> {
    let found = channels::receiving(c.re(), item.platform.as_str(), &item.account_id).await?;
    match scoped_channel(&row.source) {
        Some(channel_id) => Ok(found.into_iter().filter(|ch| ch.id == channel_id).collect()),
        None => Ok(found.into_iter().filter(|ch| ch.platform != "sandbox").collect()),
    }
}
