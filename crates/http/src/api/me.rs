//! /api/v1/me: the caller's account.

use crate::api::shared::{page, PageQuery};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use sellcast_app::accounts;
use sellcast_app::me::{self, ProfilePatch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub is_instance_admin: bool,
    pub mfa_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<accounts::User> for User {
    fn from(u: accounts::User) -> Self {
        User {
            id: u.id,
            email: u.email,
            name: u.name,
            timezone: u.timezone,
            is_instance_admin: u.is_instance_admin,
            mfa_enabled: u.mfa_enabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session of the access token making this request.
    pub current: bool,
}

impl Session {
    pub fn from_view(s: me::Session, current: Option<&str>) -> Self {
        Session {
            current: current == Some(s.id.as_str()),
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            revoked_at: s.revoked_at,
            ip: s.ip,
            user_agent: s.user_agent,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
    pub next_cursor: Option<String>,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])), responses((status = 200, body = User)))]
pub async fn get(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<User>> {
    Ok(Json(me::get(&s.app, &actor).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Needs `current_password`.
    pub email: Option<String>,
    /// IANA name, e.g. Europe/Paris.
    pub timezone: Option<String>,
    pub current_password: Option<String>,
    /// Needs `current_password`; signs out every session.
    pub new_password: Option<String>,
}

/// Update profile, email or password.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = UpdateMeRequest,
    responses((status = 200, body = User), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<UpdateMeRequest>,
) -> ApiResult<Json<User>> {
    let patch = ProfilePatch {
        name: r.name,
        email: r.email,
        timezone: r.timezone,
        current_password: r.current_password,
        new_password: r.new_password,
    };
    Ok(Json(me::update(&s.app, &actor, patch).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteMeRequest {
    /// The current password, to confirm.
    pub password: String,
}

/// Delete the account and every session at once (GDPR). Organizations where the user is the
/// only member are deleted too; being the last owner of a shared one is a 409.
#[utoipa::path(delete, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = DeleteMeRequest,
    responses((status = 204, description = "Deleted"), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<DeleteMeRequest>,
) -> ApiResult<StatusCode> {
    me::delete(&s.app, &actor, &r.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything stored about the user, as JSON (GDPR export).
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "Every row the user owns", body = Object)))]
pub async fn export(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(me::export(&s.app, &actor).await?))
}

/// The user's sessions (signed-in devices), newest first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = SessionList)))]
pub async fn sessions(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<SessionList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    let (rows, next_cursor) = me::sessions(&s.app, &actor, &p).await?;
    let current = actor.session_id.as_deref();
    Ok(Json(SessionList { items: rows.into_iter().map(|r| Session::from_view(r, current)).collect(), next_cursor }))
}

/// Sign out one session.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session_id}", tag = "me", security(("bearer" = [])),
    params(("session_id" = String, Path)), responses((status = 204, description = "Revoked")))]
pub async fn revoke_session(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(session_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    me::revoke_session(&s.app, &actor, &session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
