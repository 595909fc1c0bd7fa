//! Channels: connected platform accounts of an organization. Connecting lives in `connect`,
//! token refresh in `refresh`, the sandbox network in `sandbox`.

pub mod connect;
mod connect_error;
pub mod credentials;
pub mod refresh;
pub mod sandbox;
mod view;
mod webhooks;
mod whatsapp;

pub use view::{Channel, ChannelQuery};

use crate::audit::{self, Entry};
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use sellcast_domain::pagination::Page;
use sellcast_domain::{ChannelStatus, Permission, Platform, VariantStatus};
use sellcast_platforms::PlatformAdapter;
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::{clients, posts};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// The platform a stored channel's `platform` names.
pub fn platform_of(name: &str) -> AppResult<Platform> {
    name.parse().map_err(AppError::internal)
}

pub fn adapter(app: &App, platform: Platform) -> AppResult<Arc<dyn PlatformAdapter>> {
    app.adapters.get(platform).ok_or_else(|| AppError::internal(format!("no adapter for {platform}")))
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    query: &ChannelQuery<'_>,
    page: &Page,
) -> AppResult<(Vec<Channel>, Option<String>)> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    let mut c = app.db.read().await?;
    let rows = channels::list(c.conn(), org_id, &query.into(), page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(Channel::from).collect(), next))
}

pub async fn get(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<Channel> {
    Ok(load(app, actor, org_id, id).await?.into())
}

/// The channel's row, credentials included (for the calls this module makes with them).
async fn load(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<ChannelRow> {
    authorize(app, actor, org_id, Permission::PostRead).await?;
    let mut c = app.db.read().await?;
    channels::by_id(c.conn(), org_id, id).await?.ok_or(AppError::NotFound("channel"))
}

/// Assign the channel to a client (or to none).
pub async fn set_client(
    app: &App,
    actor: &Actor,
    org_id: &str,
    id: &str,
    client_id: Option<String>,
) -> AppResult<Channel> {
    authorize(app, actor, org_id, Permission::SettingsUpdate).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut row = channels::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("channel"))?;
    if let Some(cid) = &client_id {
        clients::by_id(tx.conn(), org_id, cid)
            .await?
            .ok_or_else(|| AppError::validation("client_id", "no such client in this organization"))?;
    }
    let from = row.client_id.clone();
    row.client_id = client_id;
    row.updated_at = now;
    channels::update(tx.conn(), &row).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "channel.update",
            entity_type: "channel",
            entity_id: Some(id),
            changes: json!({"client_id": {"from": from, "to": row.client_id}}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Disconnect: forget the credentials, keep the row so published history stays. Refused
/// while posts are scheduled to it.
pub async fn disconnect(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<Channel> {
    authorize(app, actor, org_id, Permission::SettingsUpdate).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut row = channels::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("channel"))?;
    let mut waiting = 0;
    for status in VariantStatus::ALL.iter().filter(|s| s.is_pending()) {
        waiting += posts::variants_of_channel(tx.conn(), id, *status).await?.len();
    }
    if waiting > 0 {
        return Err(AppError::Conflict(format!(
            "{waiting} scheduled post(s) target this channel; unschedule them or remove the channel from them first"
        )));
    }
    let (sealed, key_id) = credentials::seal(app, &Default::default())?;
    row.credentials = sealed;
    row.key_id = key_id;
    row.status = ChannelStatus::Disconnected;
    row.token_expires_at = None;
    row.updated_at = now;
    channels::update(tx.conn(), &row).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "channel.disconnect",
            entity_type: "channel",
            entity_id: Some(id),
            changes: json!({"platform": row.platform, "handle": row.handle}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub status: ChannelStatus,
    /// The platform answered a profile request with the stored token just now.
    pub reachable: bool,
    pub detail: Option<String>,
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_refresh_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

/// The channel's state, checked live against the platform.
pub async fn health(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<Health> {
    let row = load(app, actor, org_id, id).await?;
    let (reachable, detail) = if row.status == ChannelStatus::Disconnected {
        (false, Some(ChannelStatus::Disconnected.to_string()))
    } else {
        let creds = credentials::open(app, &row)?;
        let checked = match platform_of(&row.platform)? {
            // A conversation channel without a publishing adapter: its number, on the Graph API.
            Platform::Whatsapp => {
                let g = &app.graph;
                sellcast_platforms::messaging::whatsapp::phone_number(
                    &g.http,
                    &g.meta,
                    &creds.access_token,
                    &creds.account_id,
                )
                .await
                .map(|_| ())
            }
            p => adapter(app, p)?.profile(&creds).await.map(|_| ()),
        };
        match checked {
            Ok(()) => (true, None),
            Err(e) => (false, Some(e.to_string())),
        }
    };
    Ok(Health {
        status: row.status,
        reachable,
        detail,
        token_expires_at: row.token_expires_at,
        last_refresh_at: row.last_refresh_at,
        last_error: row.last_error,
    })
}
