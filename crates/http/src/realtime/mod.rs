//! Realtime: the organization's event stream as server-sent events (`sse`) and over a
//! WebSocket (`ws`, with typing indicators between teammates: `typing`).

pub mod sse;
pub mod typing;
pub mod ws;

use crate::error::ApiError;
use crate::extract::Auth;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::get;
use axum::Router;
use sellcast_app::Actor;

/// Routes under /api/v1.
pub fn router() -> Router<AppState> {
    Router::new().route("/orgs/{org_id}/events", get(sse::events)).route("/orgs/{org_id}/ws", get(ws::socket))
}

/// Who opens a stream. This is the one place that decides it: API clients send the Bearer
/// access token; the browser's `EventSource` cannot send headers, so the web UI's way in
/// (its session cookie) belongs here too, beside the token.
pub struct StreamActor(pub Actor);

impl FromRequestParts<AppState> for StreamActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // A stream only reads, so the cookie needs no CSRF token here.
        if crate::extract::bearer(parts).is_none() {
            if let Some(cookie) = crate::web::session::cookie(&parts.headers, crate::web::session::SESSION_COOKIE) {
                let meta = crate::extract::meta_from(parts, state);
                let actor = sellcast_app::web_session::authenticate(&state.app, &cookie, meta).await?;
                state.limits.check_user(&actor.user_id)?;
                return Ok(StreamActor(actor));
            }
        }
        let Auth(actor) = Auth::from_request_parts(parts, state).await?;
        Ok(StreamActor(actor))
    }
}
