//! What a calendar range shows, read at once: the org's posts scheduled in the range (only the
//! columns a calendar entry shows) and the channels each targets. On a SQLite file database
//! both statements run on one blocking reader (`readers.rs`, ADR 0013); otherwise on one
//! pooled connection.

use crate::readers::{time, word};
use crate::{on, Db, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row};
use sellcast_domain::{PostStatus, VariantStatus};
use std::sync::LazyLock;

/// The calendar's entries show this many characters of a post's text.
pub const TEXT_CHARS: usize = 280;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub status: PostStatus,
    pub scheduled_at: DateTime<Utc>,
    /// The first `TEXT_CHARS` characters.
    pub text: String,
    pub client_id: Option<String>,
}

/// One variant of an entry, with its channel (None fields: the channel row is gone).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TargetRow {
    pub post_id: String,
    pub channel_id: String,
    #[sqlx(try_from = "String")]
    pub status: VariantStatus,
    pub channel_org_id: Option<String>,
    pub channel_platform: Option<String>,
    pub channel_handle: Option<String>,
}

#[derive(Debug, Default)]
pub struct CalendarPage {
    /// In time order (then id).
    pub entries: Vec<EntryRow>,
    /// Grouped by post, in the order the variants were made.
    pub targets: Vec<TargetRow>,
}

pub struct Range<'a> {
    pub org_id: &'a str,
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
    pub client_id: Option<&'a str>,
    pub limit: i64,
}

/// `substr` counts characters on both backends, as Rust's `chars()` does.
fn entries_sql(by_client: bool) -> String {
    let (client, limit) = if by_client { (" AND client_id = $4", "$5") } else { ("", "$4") };
    format!(
        "SELECT id, status, scheduled_at, substr(text, 1, {TEXT_CHARS}) AS text, client_id FROM posts
         WHERE org_id = $1 AND scheduled_at >= $2 AND scheduled_at < $3{client}
         ORDER BY scheduled_at, id LIMIT {limit}"
    )
}

const TARGETS: &str = "v.post_id, v.channel_id, v.status, ch.org_id AS channel_org_id, \
    ch.platform AS channel_platform, ch.handle AS channel_handle \
    FROM post_variants v LEFT JOIN channels ch ON ch.id = v.channel_id";
const TARGETS_ORDER: &str = "ORDER BY v.post_id, v.created_at, v.id";
/// The targets of the posts whose ids are the JSON array `?1`: one statement text (and cached
/// statement) for any month.
static TARGETS_OF_JSON_IDS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {TARGETS} WHERE v.post_id IN (SELECT value FROM json_each(?1)) {TARGETS_ORDER}"));

pub async fn read(db: &Db, r: &Range<'_>) -> StoreResult<CalendarPage> {
    if let Some(readers) = db.readers() {
        let (org, client) = (r.org_id.to_string(), r.client_id.map(str::to_string));
        let (from, to, limit) = (stamp(r.from), stamp(r.to), r.limit);
        return readers.run(move |c| read_blocking(c, &org, &from, &to, client.as_deref(), limit)).await;
    }
    let mut conn = db.read().await?;
    let c = conn.conn();
    let sql = entries_sql(r.client_id.is_some());
    let entries: Vec<EntryRow> = on!(c, c => {
        let q = sqlx::query_as::<_, EntryRow>(&sql).bind(r.org_id).bind(r.from).bind(r.to);
        let q = match r.client_id { Some(id) => q.bind(id), None => q };
        q.bind(r.limit).fetch_all(c).await
    })?;
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let targets = crate::many::select_in(conn.conn(), TARGETS, "v.post_id", &ids, TARGETS_ORDER).await?;
    Ok(CalendarPage { entries, targets })
}

/// sqlx writes timestamps as RFC 3339 text and the range compares text, so bind the same text.
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

fn read_blocking(
    c: &Connection,
    org: &str,
    from: &str,
    to: &str,
    client: Option<&str>,
    limit: i64,
) -> rusqlite::Result<CalendarPage> {
    let mut stmt = c.prepare_cached(&entries_sql(client.is_some()))?;
    let entries = match client {
        Some(id) => stmt.query_map(rusqlite::params![org, from, to, id, limit], entry_row)?,
        None => stmt.query_map(rusqlite::params![org, from, to, limit], entry_row)?,
    }
    .collect::<rusqlite::Result<Vec<_>>>()?;
    if entries.is_empty() {
        return Ok(CalendarPage::default());
    }
    let ids = serde_json::to_string(&entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>())
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let targets =
        c.prepare_cached(&TARGETS_OF_JSON_IDS)?.query_map([ids], target_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(CalendarPage { entries, targets })
}

fn entry_row(r: &Row) -> rusqlite::Result<EntryRow> {
    Ok(EntryRow {
        id: r.get(0)?,
        status: word(r, 1)?,
        scheduled_at: time(r, 2)?,
        text: r.get(3)?,
        client_id: r.get(4)?,
    })
}

fn target_row(r: &Row) -> rusqlite::Result<TargetRow> {
    Ok(TargetRow {
        post_id: r.get(0)?,
        channel_id: r.get(1)?,
        status: word(r, 2)?,
        channel_org_id: r.get(3)?,
        channel_platform: r.get(4)?,
        channel_handle: r.get(5)?,
    })
}
