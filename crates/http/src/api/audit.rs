//! /api/v1/orgs/{org_id}/audit-log (owner, admin).

use crate::api::shared::{list_of, page};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use sellcast_app::audit;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// What changed; secrets are never recorded.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<audit::AuditEntry> for AuditEntry {
    fn from(a: audit::AuditEntry) -> Self {
        AuditEntry {
            id: a.id,
            org_id: a.org_id,
            actor_id: a.actor_id,
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            changes: a.changes,
            ip: a.ip,
            user_agent: a.user_agent,
            request_id: a.request_id,
            created_at: a.created_at,
        }
    }
}
list_of!(AuditList, AuditEntry);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub actor_id: Option<String>,
    /// e.g. `invite.create`, `member.role_change`.
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// Who changed what, newest first; filterable.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/audit-log", tag = "audit", security(("bearer" = [])),
    params(("org_id" = String, Path), AuditQuery), responses((status = 200, body = AuditList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    let filter = audit::AuditQuery {
        actor_id: q.actor_id,
        action: q.action,
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        since: q.since,
        until: q.until,
    };
    Ok(Json(AuditList::new(audit::list(&s.app, &actor, &org_id, filter, &p).await?)))
}
