//! In-app notifications (publish failures, channels needing reconnection, accepted invites),
//! written in the same transaction as the change they report.

use crate::context::Actor;
use crate::error::AppResult;
use crate::events::{emit, EventData};
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_domain::pagination::Page;
use sellcast_domain::{ids, Role};
use sellcast_store::notifications::{self, NotificationRow};
use sellcast_store::{orgs, Conn};
use serde::Serialize;

/// A notification as the notifications API and the event stream show it.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub data: serde_json::Value,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<NotificationRow> for Notification {
    fn from(n: NotificationRow) -> Self {
        Notification {
            id: n.id,
            org_id: n.org_id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            data: n.data,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// `notification:new`: the notification as the notifications API shows it, and the
/// recipient's unread count in the org.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationNew {
    pub notification: Notification,
    pub unread_count: i64,
}

impl EventData for NotificationNew {
    const KIND: &'static str = "notification:new";
}

/// Emit `notification:new` to the notification's recipient (org notifications only: the
/// stream is per org).
async fn notification_new(mut c: Conn<'_>, user_id: &str, n: Notification) -> AppResult<()> {
    let Some(org_id) = n.org_id.clone() else { return Ok(()) };
    let unread_count = notifications::unread_count(c.re(), user_id, Some(&org_id)).await?;
    let at = n.created_at;
    let data = NotificationNew { notification: n, unread_count };
    emit(c, &org_id, Some(user_id), &data, at).await
}

/// What to tell people; one notification per recipient is made of it.
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
            data: n.data.clone(),
            read_at: None,
            created_at: now,
        };
        notifications::insert(c.re(), &row).await?;
        notification_new(c.re(), user_id, row.into()).await?;
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
        out.extend(
            page.into_iter().filter(|m| matches!(m.role, Role::Owner | Role::Admin)).map(|m| (m.user_id, m.email)),
        );
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
) -> AppResult<(Vec<Notification>, Option<String>, i64)> {
    if let Some(org) = org_id {
        crate::authorize::member_role(app, actor, org).await?;
    }
    let mut c = app.db.read().await?;
    let rows =
        notifications::list(c.conn(), &actor.user_id, org_id, unread_only, page.before.as_deref(), page.fetch_limit())
            .await?;
    let unread = notifications::unread_count(c.conn(), &actor.user_id, org_id).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(Notification::from).collect(), next, unread))
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
