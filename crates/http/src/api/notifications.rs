//! /api/v1/orgs/{org_id}/notifications: the caller's in-app notifications in one
//! organization.

use crate::api::shared::page;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use sellcast_app::authorize::member_role;
use sellcast_app::notifications;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub org_id: Option<String>,
    /// e.g. post.failed, channel.needs_reconnect.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path in the web UI.
    pub link: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<notifications::Notification> for Notification {
    fn from(n: notifications::Notification) -> Self {
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

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<Notification>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Unread notifications in this organization (all pages).
    pub unread_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many notifications changed from unread to read.
    pub marked: u64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's notifications in this organization, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/notifications", tag = "notifications", security(("bearer" = [])),
    params(("org_id" = String, Path), NotificationQuery), responses((status = 200, body = NotificationList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<NotificationList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    // Notifications are the caller's own, but a non-member still gets the org's 404.
    member_role(&s.app, &actor, &org_id).await?;
    let (rows, next_cursor, unread_count) =
        notifications::list(&s.app, &actor, Some(&org_id), q.unread.unwrap_or(false), &p).await?;
    Ok(Json(NotificationList { items: rows.into_iter().map(Notification::from).collect(), next_cursor, unread_count }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadRequest {
    /// One notification; absent: all of the caller's in this organization.
    pub id: Option<String>,
}

/// Mark one notification, or all, read.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/notifications/read", tag = "notifications",
    security(("bearer" = [])), params(("org_id" = String, Path)), request_body = MarkReadRequest,
    responses((status = 200, body = MarkedRead)))]
pub async fn mark_read(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(r): ApiJson<MarkReadRequest>,
) -> ApiResult<Json<MarkedRead>> {
    member_role(&s.app, &actor, &org_id).await?;
    let marked = notifications::mark_read(&s.app, &actor, Some(&org_id), r.id.as_deref()).await?;
    Ok(Json(MarkedRead { marked }))
}
