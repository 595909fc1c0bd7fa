//! Channels: connected platform accounts, their sealed credentials, OAuth connect states and
//! Sellcast's per-server Mastodon app registrations.

use crate::many::select_in;
use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::ChannelStatus;
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ChannelRow {
    pub id: String,
    pub org_id: String,
    pub client_id: Option<String>,
    pub platform: String,
    pub account_id: String,
    pub server_url: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: ChannelStatus,
    /// Sealed JSON; never serialized out.
    #[serde(skip)]
    pub credentials: String,
    #[serde(skip)]
    pub key_id: String,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub token_issued_at: Option<DateTime<Utc>>,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub connected_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const COLS: &str =
    "id, org_id, client_id, platform, account_id, server_url, handle, display_name, avatar_url, \
    profile_url, status, credentials, key_id, token_expires_at, token_issued_at, last_refresh_at, last_error, \
    connected_by, created_at, updated_at";

pub async fn insert(c: Conn<'_>, r: &ChannelRow) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO channels ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    );
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&r.id)
            .bind(&r.org_id)
            .bind(&r.client_id)
            .bind(&r.platform)
            .bind(&r.account_id)
            .bind(&r.server_url)
            .bind(&r.handle)
            .bind(&r.display_name)
            .bind(&r.avatar_url)
            .bind(&r.profile_url)
            .bind(r.status.as_str())
            .bind(&r.credentials)
            .bind(&r.key_id)
            .bind(r.token_expires_at)
            .bind(r.token_issued_at)
            .bind(r.last_refresh_at)
            .bind(&r.last_error)
            .bind(&r.connected_by)
            .bind(r.created_at)
            .bind(r.updated_at)
    )?;
    Ok(())
}

/// Write every mutable field back.
pub async fn update(c: Conn<'_>, r: &ChannelRow) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "UPDATE channels SET client_id = $1, handle = $2, display_name = $3, avatar_url = $4, profile_url = $5,
             status = $6, credentials = $7, key_id = $8, token_expires_at = $9, token_issued_at = $10,
             last_refresh_at = $11, last_error = $12, connected_by = $13, updated_at = $14
             WHERE org_id = $15 AND id = $16"
        )
        .bind(&r.client_id)
        .bind(&r.handle)
        .bind(&r.display_name)
        .bind(&r.avatar_url)
        .bind(&r.profile_url)
        .bind(r.status.as_str())
        .bind(&r.credentials)
        .bind(&r.key_id)
        .bind(r.token_expires_at)
        .bind(r.token_issued_at)
        .bind(r.last_refresh_at)
        .bind(&r.last_error)
        .bind(&r.connected_by)
        .bind(r.updated_at)
        .bind(&r.org_id)
        .bind(&r.id)
    )?;
    Ok(())
}

pub async fn by_id(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<Option<ChannelRow>> {
    let sql = format!("SELECT {COLS} FROM channels WHERE org_id = $1 AND id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, ChannelRow>(&sql).bind(org_id).bind(id).fetch_optional(c).await)?)
}

/// For background jobs, which know only the channel id.
/// The channels with these ids, whatever their org (callers check the org: a page's own
/// variants, a publish round that knows only ids).
pub async fn by_ids(c: Conn<'_>, ids: &[String]) -> StoreResult<Vec<ChannelRow>> {
    select_in(c, &format!("{COLS} FROM channels"), "id", ids, "").await
}

pub async fn by_id_any_org(c: Conn<'_>, id: &str) -> StoreResult<Option<ChannelRow>> {
    let sql = format!("SELECT {COLS} FROM channels WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, ChannelRow>(&sql).bind(id).fetch_optional(c).await)?)
}

pub async fn by_account(
    c: Conn<'_>,
    org_id: &str,
    platform: &str,
    server_url: &str,
    account_id: &str,
) -> StoreResult<Option<ChannelRow>> {
    let sql = format!(
        "SELECT {COLS} FROM channels WHERE org_id = $1 AND platform = $2 AND server_url = $3 AND account_id = $4"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ChannelRow>(&sql)
        .bind(org_id).bind(platform).bind(server_url).bind(account_id).fetch_optional(c).await)?)
}

#[derive(Debug, Default)]
pub struct ChannelFilter<'a> {
    pub platform: Option<&'a str>,
    pub status: Option<ChannelStatus>,
    pub client_id: Option<&'a str>,
}

pub async fn list(
    c: Conn<'_>,
    org_id: &str,
    f: &ChannelFilter<'_>,
    before: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<ChannelRow>> {
    let sql = format!(
        "SELECT {COLS} FROM channels WHERE org_id = $1 AND ($2 IS NULL OR platform = $2) AND ($3 IS NULL OR status = $3)
         AND ($4 IS NULL OR client_id = $4) AND ($5 IS NULL OR id < $5) ORDER BY id DESC LIMIT $6"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ChannelRow>(&sql)
        .bind(org_id).bind(f.platform).bind(f.status.map(ChannelStatus::as_str)).bind(f.client_id).bind(before).bind(limit)
        .fetch_all(c).await)?)
}

/// Active channels whose token expires before `before` (the refresh sweep).
pub async fn expiring(c: Conn<'_>, before: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ChannelRow>> {
    let sql = format!(
        "SELECT {COLS} FROM channels WHERE status = 'active' AND token_expires_at IS NOT NULL AND token_expires_at < $1
         ORDER BY token_expires_at LIMIT $2"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ChannelRow>(&sql).bind(before).bind(limit).fetch_all(c).await)?)
}

/// Channels whose credentials are sealed with a key other than `key_id` (key rotation).
pub async fn sealed_with_other_key(c: Conn<'_>, key_id: &str, limit: i64) -> StoreResult<Vec<ChannelRow>> {
    let sql = format!("SELECT {COLS} FROM channels WHERE key_id <> $1 ORDER BY id LIMIT $2");
    Ok(on!(c, c => sqlx::query_as::<_, ChannelRow>(&sql).bind(key_id).bind(limit).fetch_all(c).await)?)
}

pub async fn reseal(c: Conn<'_>, id: &str, credentials: &str, key_id: &str) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE channels SET credentials = $1, key_id = $2 WHERE id = $3")
            .bind(credentials)
            .bind(key_id)
            .bind(id)
    )?;
    Ok(())
}

pub async fn delete(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<bool> {
    Ok(exec!(c, sqlx::query("DELETE FROM channels WHERE org_id = $1 AND id = $2").bind(org_id).bind(id))? == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OAuthStateRow {
    pub state_hash: String,
    pub org_id: String,
    pub user_id: String,
    pub session_id: Option<String>,
    pub platform: String,
    pub server_url: String,
    pub client_id: Option<String>,
    /// The channel being reconnected, if any.
    pub channel_id: Option<String>,
    /// Sealed.
    pub code_verifier: Option<String>,
    pub key_id: String,
    pub redirect_after: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

const STATE_COLS: &str = "state_hash, org_id, user_id, session_id, platform, server_url, client_id, channel_id, \
    code_verifier, key_id, redirect_after, created_at, expires_at, used_at";

pub async fn insert_state(c: Conn<'_>, r: &OAuthStateRow) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO oauth_states ({STATE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&r.state_hash)
            .bind(&r.org_id)
            .bind(&r.user_id)
            .bind(&r.session_id)
            .bind(&r.platform)
            .bind(&r.server_url)
            .bind(&r.client_id)
            .bind(&r.channel_id)
            .bind(&r.code_verifier)
            .bind(&r.key_id)
            .bind(&r.redirect_after)
            .bind(r.created_at)
            .bind(r.expires_at)
            .bind(r.used_at)
    )?;
    Ok(())
}

/// Mark the state used and return it, if it was unused and unexpired: exactly one caller wins.
pub async fn take_state(mut c: Conn<'_>, state_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<OAuthStateRow>> {
    let n = exec!(
        c.re(),
        sqlx::query(
            "UPDATE oauth_states SET used_at = $1 WHERE state_hash = $2 AND used_at IS NULL AND expires_at > $1"
        )
        .bind(now)
        .bind(state_hash)
    )?;
    if n != 1 {
        return Ok(None);
    }
    let sql = format!("SELECT {STATE_COLS} FROM oauth_states WHERE state_hash = $1");
    Ok(on!(c, c => sqlx::query_as::<_, OAuthStateRow>(&sql).bind(state_hash).fetch_optional(c).await)?)
}

pub async fn prune_states(c: Conn<'_>, before: DateTime<Utc>) -> StoreResult<u64> {
    Ok(exec!(c, sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1").bind(before))?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MastodonAppRow {
    pub server_url: String,
    pub client_id: String,
    /// Sealed.
    pub client_secret: String,
    pub key_id: String,
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
}

pub async fn mastodon_app(c: Conn<'_>, server_url: &str) -> StoreResult<Option<MastodonAppRow>> {
    Ok(on!(c, c => sqlx::query_as::<_, MastodonAppRow>(
        "SELECT server_url, client_id, client_secret, key_id, redirect_uri, created_at FROM mastodon_apps WHERE server_url = $1")
        .bind(server_url).fetch_optional(c).await)?)
}

pub async fn save_mastodon_app(c: Conn<'_>, r: &MastodonAppRow) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "INSERT INTO mastodon_apps (server_url, client_id, client_secret, key_id, redirect_uri, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (server_url) DO UPDATE SET client_id = $2, client_secret = $3, key_id = $4, redirect_uri = $5,
             created_at = $6"
        )
        .bind(&r.server_url)
        .bind(&r.client_id)
        .bind(&r.client_secret)
        .bind(&r.key_id)
        .bind(&r.redirect_uri)
        .bind(r.created_at)
    )?;
    Ok(())
}

pub async fn mastodon_apps_with_other_key(c: Conn<'_>, key_id: &str) -> StoreResult<Vec<MastodonAppRow>> {
    Ok(on!(c, c => sqlx::query_as::<_, MastodonAppRow>(
        "SELECT server_url, client_id, client_secret, key_id, redirect_uri, created_at FROM mastodon_apps WHERE key_id <> $1")
        .bind(key_id).fetch_all(c).await)?)
}

/// Re-seal a Mastodon app secret under another key.
pub async fn reseal_mastodon_app(c: Conn<'_>, server_url: &str, client_secret: &str, key_id: &str) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE mastodon_apps SET client_secret = $1, key_id = $2 WHERE server_url = $3")
            .bind(client_secret)
            .bind(key_id)
            .bind(server_url)
    )?;
    Ok(())
}

/// Unused OAuth states sealed with another key are simply dropped at rotation (they live 15 minutes).
pub async fn drop_states_with_other_key(c: Conn<'_>, key_id: &str) -> StoreResult<u64> {
    Ok(exec!(c, sqlx::query("DELETE FROM oauth_states WHERE key_id <> $1 AND key_id <> ''").bind(key_id))?)
}

/// The connected channels of an account, in every org that connected it (a webhook names the
/// account, never the org). Disconnected channels hear nothing.
pub async fn receiving(c: Conn<'_>, platform: &str, account_id: &str) -> StoreResult<Vec<ChannelRow>> {
    let sql = format!(
        "SELECT {COLS} FROM channels WHERE platform = $1 AND account_id = $2 AND status <> 'disconnected' ORDER BY id"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ChannelRow>(&sql).bind(platform).bind(account_id).fetch_all(c).await)?)
}
