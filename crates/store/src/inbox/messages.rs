//! Messages: stored once per (channel, platform message id) however often the platform
//! delivers them; replies the team writes are stored once per idempotency key and get their
//! platform id when sent. Threads read in the platform's time order.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use sellcast_domain::{DeliveryState, MessageDirection};
use sqlx::types::Json;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub org_id: String,
    pub conversation_id: String,
    pub channel_id: String,
    pub platform_message_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub direction: MessageDirection,
    pub author_user_id: Option<String>,
    pub shape: String,
    pub text: Option<String>,
    #[sqlx(json)]
    pub attachments: serde_json::Value,
    pub reply_to_id: Option<String>,
    #[sqlx(json)]
    pub reactions: serde_json::Value,
    #[sqlx(try_from = "Option<String>")]
    pub delivery: OptionalDelivery,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub idempotency_key: Option<String>,
    #[sqlx(json(nullable))]
    pub template: Option<serde_json::Value>,
    pub sent_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The nullable `delivery` column (None for what customers sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalDelivery(pub Option<DeliveryState>);

impl TryFrom<Option<String>> for OptionalDelivery {
    type Error = sellcast_domain::text_enum::UnknownValue;
    fn try_from(v: Option<String>) -> Result<Self, Self::Error> {
        Ok(OptionalDelivery(v.map(DeliveryState::try_from).transpose()?))
    }
}

const COLS: &str = "id, org_id, conversation_id, channel_id, platform_message_id, direction, author_user_id, shape, \
    text, attachments, reply_to_id, reactions, delivery, error_code, error_message, idempotency_key, template, \
    sent_at, edited_at, deleted_at, created_at, updated_at";

/// Insert a message; false when one with the same platform id (or idempotency key) is there.
pub async fn insert(c: Conn<'_>, m: &MessageRow) -> StoreResult<bool> {
    let sql = format!(
        "INSERT INTO messages ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                                               $17, $18, $19, $20, $21, $22)
         ON CONFLICT DO NOTHING"
    );
    Ok(exec!(
        c,
        sqlx::query(&sql)
            .bind(&m.id)
            .bind(&m.org_id)
            .bind(&m.conversation_id)
            .bind(&m.channel_id)
            .bind(&m.platform_message_id)
            .bind(m.direction.as_str())
            .bind(&m.author_user_id)
            .bind(&m.shape)
            .bind(&m.text)
            .bind(Json(&m.attachments))
            .bind(&m.reply_to_id)
            .bind(Json(&m.reactions))
            .bind(m.delivery.0.map(|d| d.as_str()))
            .bind(&m.error_code)
            .bind(&m.error_message)
            .bind(&m.idempotency_key)
            .bind(m.template.as_ref().map(Json))
            .bind(m.sent_at)
            .bind(m.edited_at)
            .bind(m.deleted_at)
            .bind(m.created_at)
            .bind(m.updated_at)
    )? == 1)
}

pub async fn by_id(c: Conn<'_>, org_id: &str, id: &str) -> StoreResult<Option<MessageRow>> {
    let sql = format!("SELECT {COLS} FROM messages WHERE org_id = $1 AND id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, MessageRow>(&sql).bind(org_id).bind(id).fetch_optional(c).await)?)
}

/// By id alone: for the send job, which knows only the id.
pub async fn by_id_any_org(c: Conn<'_>, id: &str) -> StoreResult<Option<MessageRow>> {
    let sql = format!("SELECT {COLS} FROM messages WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, MessageRow>(&sql).bind(id).fetch_optional(c).await)?)
}

pub async fn by_platform_id(c: Conn<'_>, channel_id: &str, platform_id: &str) -> StoreResult<Option<MessageRow>> {
    let sql = format!("SELECT {COLS} FROM messages WHERE channel_id = $1 AND platform_message_id = $2");
    Ok(on!(c, c => sqlx::query_as::<_, MessageRow>(&sql).bind(channel_id).bind(platform_id).fetch_optional(c).await)?)
}

pub async fn by_idempotency_key(c: Conn<'_>, conversation_id: &str, key: &str) -> StoreResult<Option<MessageRow>> {
    let sql = format!("SELECT {COLS} FROM messages WHERE conversation_id = $1 AND idempotency_key = $2");
    Ok(on!(c, c => sqlx::query_as::<_, MessageRow>(&sql).bind(conversation_id).bind(key).fetch_optional(c).await)?)
}

/// Where a page starts: older than this (time, id).
#[derive(Debug, Clone)]
pub struct Before {
    pub sent_at: DateTime<Utc>,
    pub id: String,
}

/// A page of the thread, newest first.
pub async fn list(
    c: Conn<'_>,
    conversation_id: &str,
    before: Option<&Before>,
    limit: i64,
) -> StoreResult<Vec<MessageRow>> {
    let (t, id) = match before {
        Some(b) => (Some(b.sent_at), Some(b.id.as_str())),
        None => (None, None),
    };
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE conversation_id = $1
           AND ($2 IS NULL OR sent_at < $2 OR (sent_at = $2 AND id < $3))
         ORDER BY sent_at DESC, id DESC LIMIT $4"
    );
    Ok(on!(c, c => sqlx::query_as::<_, MessageRow>(&sql).bind(conversation_id).bind(t).bind(id).bind(limit)
        .fetch_all(c).await)?)
}

/// Compare-and-set of the delivery state: false when it changed meanwhile (or is gone).
pub async fn set_delivery(
    c: Conn<'_>,
    id: &str,
    expected: Option<DeliveryState>,
    to: DeliveryState,
    error: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (code, message) = error.unzip();
    Ok(exec!(
        c,
        sqlx::query(
            "UPDATE messages SET delivery = $1, error_code = $2, error_message = $3, updated_at = $4
             WHERE id = $5 AND delivery IS NOT DISTINCT FROM $6"
        )
        .bind(to.as_str())
        .bind(code)
        .bind(message)
        .bind(now)
        .bind(id)
        .bind(expected.map(|d| d.as_str()))
    )? == 1)
}

/// The platform accepted a reply: its id there. A copy the platform echoed back before this
/// (a webhook faster than the send's answer) is removed, so the reply stays one message.
pub async fn mark_sent(
    mut c: Conn<'_>,
    id: &str,
    channel_id: &str,
    platform_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c.re(),
        sqlx::query(
            "DELETE FROM messages WHERE channel_id = $1 AND platform_message_id = $2 AND id <> $3
               AND author_user_id IS NULL AND direction = 'outbound'"
        )
        .bind(channel_id)
        .bind(platform_id)
        .bind(id)
    )?;
    exec!(
        c,
        sqlx::query(
            "UPDATE messages SET platform_message_id = $1,
                 delivery = CASE WHEN delivery = 'queued' THEN 'sent' ELSE delivery END, updated_at = $2
             WHERE id = $3"
        )
        .bind(platform_id)
        .bind(now)
        .bind(id)
    )?;
    Ok(())
}

/// The sender edited it.
pub async fn edit(c: Conn<'_>, id: &str, text: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE messages SET text = $1, edited_at = $2, updated_at = $3 WHERE id = $4")
            .bind(text)
            .bind(at)
            .bind(now)
            .bind(id)
    )?;
    Ok(())
}

/// The sender deleted it: the text and attachments go, the row stays as a tombstone.
pub async fn delete(c: Conn<'_>, id: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "UPDATE messages SET text = NULL, attachments = $1, deleted_at = $2, updated_at = $3 WHERE id = $4"
        )
        .bind(Json(serde_json::json!([])))
        .bind(at)
        .bind(now)
        .bind(id)
    )?;
    Ok(())
}

pub async fn set_reactions(
    c: Conn<'_>,
    id: &str,
    reactions: &serde_json::Value,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE messages SET reactions = $1, updated_at = $2 WHERE id = $3")
            .bind(Json(reactions))
            .bind(now)
            .bind(id)
    )?;
    Ok(())
}

/// Outbound messages to `participant`'s conversation sent up to `watermark` and not yet read
/// (a Messenger/Instagram read receipt covers all of them).
pub async fn unread_outbound_until(
    c: Conn<'_>,
    conversation_id: &str,
    watermark: DateTime<Utc>,
) -> StoreResult<Vec<MessageRow>> {
    let sql = format!(
        "SELECT {COLS} FROM messages WHERE conversation_id = $1 AND direction = 'outbound'
           AND delivery IN ('sent', 'delivered') AND sent_at <= $2 ORDER BY sent_at"
    );
    Ok(on!(c, c => sqlx::query_as::<_, MessageRow>(&sql).bind(conversation_id).bind(watermark).fetch_all(c).await)?)
}

pub async fn count_in_conversation(c: Conn<'_>, conversation_id: &str) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM messages WHERE conversation_id = $1";
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(sql).bind(conversation_id).fetch_one(c).await)?)
}

/// Every message of the org: for counting in tests and benchmarks.
pub async fn count_in_org(c: Conn<'_>, org_id: &str) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM messages WHERE org_id = $1";
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(sql).bind(org_id).fetch_one(c).await)?)
}

/// The attachments after their media was copied into the blob store.
pub async fn set_attachments(
    c: Conn<'_>,
    id: &str,
    attachments: &serde_json::Value,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE messages SET attachments = $1, updated_at = $2 WHERE id = $3")
            .bind(Json(attachments))
            .bind(now)
            .bind(id)
    )?;
    Ok(())
}

/// Serialize, until the transaction ends, everything that touches the message a platform
/// knows as `platform_id` on the channel: a status that finds no message keeps itself for
/// later, and the send that records that id takes what was kept; without this lock, on
/// PostgreSQL, each could miss the other's uncommitted row and strand the status. (SQLite
/// writers are serialized already.)
pub async fn lock_platform_id(c: Conn<'_>, channel_id: &str, platform_id: &str) -> StoreResult<()> {
    if let Conn::Pg(c) = c {
        let key = format!("{channel_id}/{platform_id}");
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(c).await?;
    }
    Ok(())
}
