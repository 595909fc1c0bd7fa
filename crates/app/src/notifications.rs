//! In-app notifications (publish failures, channels needing reconnection, accepted invites),
//! written in the same transaction as the change they report.

use crate::context::Actor;
use crate::error::AppResult;
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_domain::ids;
use sellcast_domain::pagination::Page;
use sellcast_store::notifications::{self, NotificationRow};
use sellcast_store::{orgs, Conn};
use sqlx::types::Json;

pub struct Notice<'a> {
    pub org_id: Option<&'a str>,
    pub kind: &'a str,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub data: serde_json::Value,
}

/// Notify each user (and tell their open event streams).
pub async fn notify(mut c: Conn<'_>, user_ids: &[String], n: &Notice<'_>, now: DateTime<Utc>) -> AppResult<()> {
    for user_id in user_ids {
        let row = NotificationRow {
            id: ids::new_id(),
            org_id: n.org_id.map(str::to_string),
            user_id: user_id.clone(),
            kind: n.kind.to_string(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            data: Json(n.data.clone()),
            read_at: None,
            created_at: now,
        };
        notifications::insert(c.re(), &row).await?;
        crate::events::notification_new(c.re(), &row).await?;
    }
    Ok(())
}

/// The owners and admins of an org, who hear about channel trouble: (user id, email).
pub async fn org_admins(mut c: Conn<'_>, org_id: &str) -> AppResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page = orgs::members(c.re(), org_id, before.as_deref(), 500).await?;
        let done = page.len() < 500;
        before = page.last().map(|m| m.user_id.clone());
        out.extend(page.into_iter().filter(|m| m.role == "owner" || m.role == "admin").map(|m| (m.user_id, m.email)));
        if done {
            return Ok(out);
        }
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: Option<&str>,
    unread_only: bool,
    page: &Page,
) -> AppResult<(Vec<NotificationRow>, Option<String>, i64)> {
    if let Some(org) = org_id {
        crate::authorize::member_role(app, actor, org).await?;
    }
    let mut c = app.db.read().await?;
    let rows =
        notifications::list(c.conn(), &actor.user_id, org_id, unread_only, page.before.as_deref(), page.fetch_limit())
            .await?;
    let unread = notifications::unread_count(c.conn(), &actor.user_id, org_id).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows, next, unread))
}

/// Mark one notification (or all, in the org when given) read; how many changed.
pub async fn mark_read(app: &App, actor: &Actor, org_id: Option<&str>, id: Option<&str>) -> AppResult<u64> {
    if let Some(org) = org_id {
        crate::authorize::member_role(app, actor, org).await?;
    }
    let mut tx = app.db.begin().await?;
    let n = notifications::mark_read(tx.conn(), &actor.user_id, org_id, id, app.clock.now()).await?;
    tx.commit().await?;
    Ok(n)
}

/// How many of the user's notifications (in the org, when given) are unread: the bell's count.
pub async fn unread_count(app: &App, actor: &Actor, org_id: Option<&str>) -> AppResult<i64> {
    let mut c = app.db.read().await?;
    Ok(notifications::unread_count(c.conn(), &actor.user_id, org_id).await?)
}
