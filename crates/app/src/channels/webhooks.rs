//! Subscribing connected accounts to the platform's webhooks, so their messages reach the
//! inbox: Facebook Pages at connect (`/{page-id}/subscribed_apps`), WhatsApp accounts
//! (`whatsapp.rs`). A refusal does not undo the connect: it is written as the channel's last
//! error, which its health shows, so the user knows why no messages arrive.

use super::credentials;
use crate::error::AppResult;
use crate::App;
use sellcast_domain::Platform;
use sellcast_platforms::messaging::meta_dm;
use sellcast_store::channels::{self, ChannelRow};

/// What a Page sends: Messenger messages and their events, and the feed's comments.
pub const PAGE_FIELDS: &[&str] = &[
    "messages",
    "messaging_postbacks",
    "message_reactions",
    "message_reads",
    "message_echoes",
    "message_deliveries",
    "feed",
];

/// Subscribe the Facebook Pages among `rows`; the rows as stored after.
pub(super) async fn subscribe_pages(app: &App, rows: Vec<ChannelRow>) -> AppResult<Vec<ChannelRow>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.platform != Platform::Facebook.as_str() {
            out.push(row);
            continue;
        }
        let creds = credentials::open(app, &row)?;
        let g = &app.graph;
        let outcome = meta_dm::subscribe(&g.http, &g.meta, &creds.access_token, &row.account_id, PAGE_FIELDS).await;
        let why = outcome.err().map(|e| format!("Facebook did not subscribe Sellcast to this Page's messages: {e}"));
        out.extend(record(app, vec![row], why).await?);
    }
    Ok(out)
}

/// Write the subscription's outcome as the channels' last error (None: it worked).
pub(super) async fn record(app: &App, rows: Vec<ChannelRow>, failure: Option<String>) -> AppResult<Vec<ChannelRow>> {
    let Some(why) = failure else { return Ok(rows) };
    tracing::warn!(reason = %why, "webhook subscription failed");
    let mut out = Vec::with_capacity(rows.len());
    let mut tx = app.db.begin().await?;
    for mut row in rows {
        row.last_error = Some(why.clone());
        row.updated_at = app.clock.now();
        channels::update(tx.conn(), &row).await?;
        out.push(row);
    }
    tx.commit().await?;
    Ok(out)
}
