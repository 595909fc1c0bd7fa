//! Conversations: one per channel, participant, kind and thread. Found or made by the first
//! message; each message moves its activity (count, preview, last times) in one statement, so
//! concurrent messages of one conversation never lose an update.

use crate::filter_sql::{bind_all, FilterSql, SqlValue};
use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::{ConversationKind, ConversationPriority, ConversationStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: String,
    pub org_id: String,
    pub channel_id: String,
    pub platform: String,
    #[sqlx(try_from = "String")]
    pub kind: ConversationKind,
    pub thread_key: String,
    pub participant_id: String,
    pub participant_name: Option<String>,
    pub participant_username: Option<String>,
    pub post_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: ConversationStatus,
    pub snoozed_until: Option<DateTime<Utc>>,
    #[sqlx(try_from = "String")]
    pub priority: ConversationPriority,
    pub message_count: i32,
    pub preview: String,
    pub last_message_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A conversation as one member sees it in a list: with its channel and their unread state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationListRow {
    #[sqlx(flatten)]
    pub conversation: ConversationRow,
    pub channel_handle: String,
    pub client_id: Option<String>,
    pub unread: bool,
}

const COLS: &str = "c.id, c.org_id, c.channel_id, c.platform, c.kind, c.thread_key, c.participant_id, \
    c.participant_name, c.participant_username, c.post_id, c.status, c.snoozed_until, c.priority, c.message_count, \
    c.preview, c.last_message_at, c.last_inbound_at, c.created_at, c.updated_at";

/// Unread for the member bound as `$1`: a customer message newer than their read mark.
const UNREAD: &str = "(c.last_inbound_at IS NOT NULL AND (r.read_at IS NULL OR c.last_inbound_at > r.read_at))";

/// The thread a message belongs to, and who it is with.
#[derive(Debug, Clone)]
pub struct ThreadKey<'a> {
    pub org_id: &'a str,
    pub channel_id: &'a str,
    pub platform: &'a str,
    pub kind: ConversationKind,
    pub thread_key: &'a str,
    pub participant_id: &'a str,
    pub participant_name: Option<&'a str>,
    pub participant_username: Option<&'a str>,
    pub post_id: Option<&'a str>,
}

/// The conversation of `key`, made if it is new (`new_id`, open, at `at`). A name or username
/// the platform now gives replaces the stored one.
pub async fn find_or_create(
    mut c: Conn<'_>,
    key: &ThreadKey<'_>,
    new_id: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<ConversationRow> {
    exec!(
        c.re(),
        sqlx::query(
            "INSERT INTO conversations (id, org_id, channel_id, platform, kind, thread_key, participant_id,
                 participant_name, participant_username, post_id, status, priority, last_message_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', 'none', $11, $12, $12)
             ON CONFLICT (channel_id, kind, participant_id, thread_key) DO UPDATE SET
                 participant_name = COALESCE(excluded.participant_name, conversations.participant_name),
                 participant_username = COALESCE(excluded.participant_username, conversations.participant_username),
                 post_id = COALESCE(conversations.post_id, excluded.post_id)"
        )
        .bind(new_id)
        .bind(key.org_id)
        .bind(key.channel_id)
        .bind(key.platform)
        .bind(key.kind.as_str())
        .bind(key.thread_key)
        .bind(key.participant_id)
        .bind(key.participant_name)
        .bind(key.participant_username)
        .bind(key.post_id)
        .bind(at)
        .bind(now)
    )?;
    let sql = format!(
        "SELECT {COLS} FROM conversations c
         WHERE c.channel_id = $1 AND c.kind = $2 AND c.participant_id = $3 AND c.thread_key = $4"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ConversationRow>(&sql).bind(key.channel_id).bind(key.kind.as_str())
        .bind(key.participant_id).bind(key.thread_key).fetch_one(c).await)?)
}

/// A new message in the conversation. `status`: the status it moves to, applied only when the
/// current status is `from` (None: whatever it is); the latest message gives the preview.
#[derive(Debug, Clone)]
pub struct Activity<'a> {
    pub at: DateTime<Utc>,
    pub inbound: bool,
    pub preview: &'a str,
    pub from: Option<ConversationStatus>,
    pub to: ConversationStatus,
}

pub async fn record_activity(c: Conn<'_>, id: &str, a: &Activity<'_>, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "UPDATE conversations SET
                 message_count = message_count + 1,
                 preview = CASE WHEN $1 >= last_message_at THEN $2 ELSE preview END,
                 last_message_at = CASE WHEN $1 > last_message_at THEN $1 ELSE last_message_at END,
                 last_inbound_at = CASE WHEN $3 AND (last_inbound_at IS NULL OR $1 > last_inbound_at) THEN $1
                                        ELSE last_inbound_at END,
                 snoozed_until = CASE WHEN $4 IS NULL OR status = $4 THEN
                                     CASE WHEN $5 = 'snoozed' THEN snoozed_until ELSE NULL END
                                 ELSE snoozed_until END,
                 status = CASE WHEN $4 IS NULL OR status = $4 THEN $5 ELSE status END,
                 updated_at = $6
             WHERE id = $7"
        )
        .bind(a.at)
        .bind(a.preview)
        .bind(a.inbound)
        .bind(a.from.map(|s| s.as_str()))
        .bind(a.to.as_str())
        .bind(now)
        .bind(id)
    )?;
    Ok(())
}

/// The conversation with one member's unread state; None outside the org.
pub async fn get(c: Conn<'_>, org_id: &str, user_id: &str, id: &str) -> StoreResult<Option<ConversationListRow>> {
    let sql = format!(
        "SELECT {COLS}, ch.handle AS channel_handle, ch.client_id, {UNREAD} AS unread
         FROM conversations c JOIN channels ch ON ch.id = c.channel_id
         LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = $1
         WHERE c.org_id = $2 AND c.id = $3"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ConversationListRow>(&sql).bind(user_id).bind(org_id).bind(id)
        .fetch_optional(c).await)?)
}

/// By id within the org, without a member's view (for use cases that change it).
pub async fn by_id(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<Option<ConversationRow>> {
    let sql = format!("SELECT {COLS} FROM conversations c WHERE c.org_id = $1 AND c.id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, ConversationRow>(&sql).bind(org_id).bind(id).fetch_optional(c).await)?)
}

/// The filters of the inbox list; each given one narrows it.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter<'a> {
    pub statuses: Vec<ConversationStatus>,
    pub channel_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub platform: Option<&'a str>,
    pub kind: Option<ConversationKind>,
    /// Some(true): only unread for the member; Some(false): only read.
    pub unread: Option<bool>,
    /// Last activity at or after.
    pub since: Option<DateTime<Utc>>,
    /// Last activity before.
    pub until: Option<DateTime<Utc>>,
}

/// Where a page starts: after this (last activity, id), newest first.
#[derive(Debug, Clone)]
pub struct After {
    pub last_message_at: DateTime<Utc>,
    pub id: String,
}

pub async fn list(
    c: Conn<'_>,
    org_id: &str,
    user_id: &str,
    f: &ConversationFilter<'_>,
    after: Option<&After>,
    limit: i64,
) -> StoreResult<Vec<ConversationListRow>> {
    let mut q = FilterSql::new(format!(
        "SELECT {COLS}, ch.handle AS channel_handle, ch.client_id, {UNREAD} AS unread
         FROM conversations c JOIN channels ch ON ch.id = c.channel_id
         LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = $1
         WHERE c.org_id = $2"
    ));
    q.values.push(SqlValue::Text(user_id.to_string()));
    q.values.push(SqlValue::Text(org_id.to_string()));
    if !f.statuses.is_empty() {
        let marks: Vec<String> = f.statuses.iter().map(|s| q.mark(SqlValue::Text(s.as_str().to_string()))).collect();
        q.sql.push_str(&format!(" AND c.status IN ({})", marks.join(", ")));
    }
    if let Some(v) = f.channel_id {
        let m = q.mark(SqlValue::Text(v.to_string()));
        q.sql.push_str(&format!(" AND c.channel_id = {m}"));
    }
    if let Some(v) = f.client_id {
        let m = q.mark(SqlValue::Text(v.to_string()));
        q.sql.push_str(&format!(" AND ch.client_id = {m}"));
    }
    if let Some(v) = f.platform {
        let m = q.mark(SqlValue::Text(v.to_string()));
        q.sql.push_str(&format!(" AND c.platform = {m}"));
    }
    if let Some(v) = f.kind {
        let m = q.mark(SqlValue::Text(v.as_str().to_string()));
        q.sql.push_str(&format!(" AND c.kind = {m}"));
    }
    match f.unread {
        Some(true) => q.sql.push_str(&format!(" AND {UNREAD}")),
        Some(false) => q.sql.push_str(&format!(" AND NOT {UNREAD}")),
        None => {}
    }
    if let Some(t) = f.since {
        let m = q.mark(SqlValue::Time(t));
        q.sql.push_str(&format!(" AND c.last_message_at >= {m}"));
    }
    if let Some(t) = f.until {
        let m = q.mark(SqlValue::Time(t));
        q.sql.push_str(&format!(" AND c.last_message_at < {m}"));
    }
    if let Some(a) = after {
        let t = q.mark(SqlValue::Time(a.last_message_at));
        let id = q.mark(SqlValue::Text(a.id.clone()));
        q.sql.push_str(&format!(" AND (c.last_message_at < {t} OR (c.last_message_at = {t} AND c.id < {id}))"));
    }
    let m = q.mark(SqlValue::Int(limit));
    q.sql.push_str(&format!(" ORDER BY c.last_message_at DESC, c.id DESC LIMIT {m}"));
    Ok(on!(c, c => bind_all(sqlx::query_as::<_, ConversationListRow>(&q.sql), &q.values).fetch_all(c).await)?)
}

/// Set the status (and the snooze time that goes with it).
pub async fn set_status(
    c: Conn<'_>,
    org_id: &str,
    id: &str,
    status: ConversationStatus,
    snoozed_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(exec!(
        c,
        sqlx::query(
            "UPDATE conversations SET status = $1, snoozed_until = $2, updated_at = $3 WHERE org_id = $4 AND id = $5"
        )
        .bind(status.as_str())
        .bind(snoozed_until)
        .bind(now)
        .bind(org_id)
        .bind(id)
    )? == 1)
}

pub async fn set_priority(
    c: Conn<'_>,
    org_id: &str,
    id: &str,
    priority: ConversationPriority,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(exec!(
        c,
        sqlx::query("UPDATE conversations SET priority = $1, updated_at = $2 WHERE org_id = $3 AND id = $4")
            .bind(priority.as_str())
            .bind(now)
            .bind(org_id)
            .bind(id)
    )? == 1)
}

/// Snoozed conversations whose time has come open again; their ids and orgs.
pub async fn wake_due(c: Conn<'_>, now: DateTime<Utc>) -> StoreResult<Vec<(String, String)>> {
    let sql = "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = $1
               WHERE status = 'snoozed' AND snoozed_until <= $1 RETURNING id, org_id";
    Ok(on!(c, c => sqlx::query_as::<_, (String, String)>(sql).bind(now).fetch_all(c).await)?)
}

/// The Sellcast post published as `platform_post_id` on the channel (comment threads link to it).
pub async fn post_published_as(c: Conn<'_>, channel_id: &str, platform_post_id: &str) -> StoreResult<Option<String>> {
    let sql = "SELECT post_id FROM post_variants WHERE channel_id = $1 AND platform_post_id = $2 LIMIT 1";
    Ok(
        on!(c, c => sqlx::query_scalar::<_, String>(sql).bind(channel_id).bind(platform_post_id).fetch_optional(c).await)?,
    )
}

/// The direct conversation with a participant (read receipts name the person, not the thread).
pub async fn direct_with(c: Conn<'_>, channel_id: &str, participant_id: &str) -> StoreResult<Option<ConversationRow>> {
    let sql = format!(
        "SELECT {COLS} FROM conversations c
         WHERE c.channel_id = $1 AND c.kind = 'direct' AND c.participant_id = $2 AND c.thread_key = ''"
    );
    Ok(on!(c, c => sqlx::query_as::<_, ConversationRow>(&sql).bind(channel_id).bind(participant_id)
        .fetch_optional(c).await)?)
}
