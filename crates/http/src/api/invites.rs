//! Invites: /api/v1/orgs/{org_id}/invites and the token routes /api/v1/invites/….

use crate::api::domain_schemas::RoleSchema;
use crate::api::orgs::Organization;
use crate::api::shared::{list_of, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use sellcast_app::invites;
use sellcast_domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    pub id: String,
    pub org_id: String,
    pub email: String,
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    pub status: InviteStatus,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Present only in the response that created the invite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl Invite {
    /// The invite as of `now` (the app clock, the one accept and preview use).
    pub fn at(i: invites::Invite, now: DateTime<Utc>) -> Self {
        let status = if i.accepted_at.is_some() {
            InviteStatus::Accepted
        } else if i.revoked_at.is_some() {
            InviteStatus::Revoked
        } else if i.expires_at <= now {
            InviteStatus::Expired
        } else {
            InviteStatus::Pending
        };
        Invite {
            id: i.id,
            org_id: i.org_id,
            email: i.email,
            role: i.role,
            status,
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            token: None,
        }
    }
}
list_of!(InviteList, Invite);

#[derive(Deserialize, ToSchema)]
pub struct InviteRequest {
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    #[schema(value_type = RoleSchema)]
    pub role: Role,
}

/// Invite someone by email (team:invite). The email carries a 7-day token; the response
/// carries it too, once, so it can be shared another way.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invites", tag = "invites", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = InviteRequest,
    responses((status = 201, body = Invite), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(r): ApiJson<InviteRequest>,
) -> ApiResult<(StatusCode, Json<Invite>)> {
    let created = invites::create(&s.app, &actor, &org_id, &r.email, r.role).await?;
    let mut dto = Invite::at(created.invite, s.app.clock.now());
    dto.token = Some(created.token);
    Ok((StatusCode::CREATED, Json(dto)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InviteQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Include accepted and revoked invites.
    pub all: Option<bool>,
}

/// Pending invites (or all with `all=true`).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invites", tag = "invites", security(("bearer" = [])),
    params(("org_id" = String, Path), InviteQuery), responses((status = 200, body = InviteList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<InviteQuery>,
) -> ApiResult<Json<InviteList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    let (rows, next_cursor) = invites::list(&s.app, &actor, &org_id, q.all.unwrap_or(false), &p).await?;
    let now = s.app.clock.now();
    Ok(Json(InviteList { items: rows.into_iter().map(|r| Invite::at(r, now)).collect(), next_cursor }))
}

/// Revoke a pending invite.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/invites/{invite_id}", tag = "invites", security(("bearer" = [])),
    params(("org_id" = String, Path), ("invite_id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 409, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, invite_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    invites::revoke(&s.app, &actor, &org_id, &invite_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct InvitePreview {
    pub organization_id: String,
    pub organization_name: String,
    pub email: String,
    pub role: String,
    pub expires_at: DateTime<Utc>,
}

/// What an invite token is for (no sign-in needed). Unknown or spent tokens are 404.
#[utoipa::path(get, path = "/api/v1/invites/{token}", tag = "invites",
    params(("token" = String, Path)), responses((status = 200, body = InvitePreview)))]
pub async fn preview(State(s): State<AppState>, ApiPath(token): ApiPath<String>) -> ApiResult<Json<InvitePreview>> {
    let p = invites::preview(&s.app, &token).await?;
    Ok(Json(InvitePreview {
        organization_id: p.organization_id,
        organization_name: p.organization_name,
        email: p.email,
        role: p.role.to_string(),
        expires_at: p.expires_at,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptRequest {
    pub token: String,
}

/// Join the organization of an invite as the signed-in user.
#[utoipa::path(post, path = "/api/v1/invites/accept", tag = "invites", security(("bearer" = [])),
    request_body = AcceptRequest, responses((status = 200, body = Organization), (status = 409, body = ErrorBody)))]
pub async fn accept(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<AcceptRequest>,
) -> ApiResult<Json<Organization>> {
    let (org, role) = invites::accept(&s.app, &actor, &r.token).await?;
    Ok(Json(Organization::with_role(org, role)))
}
