//! /api/v1/me: the caller's account.

use super::dto::{page, PageQuery, Session, SessionList, User};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sellcast_app::me::{self, ProfilePatch};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

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
