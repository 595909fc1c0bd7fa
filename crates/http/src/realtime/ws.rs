//! `GET /api/v1/orgs/{org_id}/ws`: the org's events over a WebSocket, beside the server-sent
//! events and with the same events, authentication and replay (`Last-Event-ID` header or
//! `?last_event_id=`). Browsers authenticate with the session cookie, so the `Origin` must be
//! this server's own (a page elsewhere cannot open a socket with the user's cookie). Clients
//! join a conversation to exchange typing indicators with teammates viewing it.
//!
//! Server → client, one JSON text frame per event: `{"id": 42, "event": "message.created",
//! "data": {…}}`; typing: `{"event": "typing", "data": {"conversation_id", "user_id", "typing"}}`.
//! Client → server: `{"type": "join", "conversation_id": "…"}`, `{"type": "leave"}`,
//! `{"type": "typing", "typing": true}` (for the joined conversation); anything else gets an
//! `{"event": "error", "data": {"message": …}}` frame and the socket stays open.

use super::typing::Typing;
use super::StreamActor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use sellcast_app::events::{self, Subscription};
use sellcast_app::{inbox, Actor};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Frames larger than this from a client are refused (they only send small commands).
const MAX_CLIENT_FRAME: usize = 4 * 1024;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Replay the events after this id first.
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub last_event_id: Option<String>,
}

/// The organization's events over a WebSocket (members only), with typing indicators.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/ws", tag = "realtime", security(("bearer" = [])),
    params(("org_id" = String, Path), WsQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol"),
              (status = 403, description = "A cookie-authenticated request from another origin")))]
pub async fn socket(
    State(s): State<AppState>,
    StreamActor(actor): StreamActor,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<WsQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    if crate::extract::bearer_header(&headers).is_none() && !same_origin(&s, &headers) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "a WebSocket opened with the session cookie must come from this site",
        ));
    }
    let last = match headers.get("last-event-id") {
        Some(h) => Some(super::sse::parse_id("Last-Event-ID", h.to_str().unwrap_or_default())?),
        None => q.last_event_id.as_deref().map(|v| super::sse::parse_id("last_event_id", v)).transpose()?,
    };
    let sub = events::subscribe(&s.app, &actor, &org_id, last).await?;
    let state = s.clone();
    Ok(upgrade.max_message_size(MAX_CLIENT_FRAME).on_upgrade(move |ws| serve(state, Arc::new(actor), org_id, sub, ws)))
}

/// The Origin names this server (its public URL, or the Host it was reached at).
fn same_origin(s: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else { return false };
    let public = s.app.config.public_url();
    if origin.trim_end_matches('/') == public.trim_end_matches('/') {
        return true;
    }
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Join { conversation_id: String },
    Leave,
    Typing { typing: bool },
}

async fn serve(s: AppState, actor: Arc<Actor>, org_id: String, mut sub: Subscription, mut ws: WebSocket) {
    let mut typing = s.typing.subscribe();
    let mut joined: Option<String> = None;
    loop {
        tokio::select! {
            event = sub.next() => {
                let Ok(Some(e)) = event else { break };
                let frame = json!({"id": e.id, "event": e.kind, "data": e.data});
                if ws.send(Message::Text(frame.to_string().into())).await.is_err() {
                    break;
                }
            }
            t = typing.recv() => {
                let Ok(t) = t else { continue };
                let mine = t.org_id == org_id && joined.as_deref() == Some(t.conversation_id.as_str());
                if mine && t.user_id != actor.user_id {
                    let frame = json!({"event": "typing", "data": {
                        "conversation_id": t.conversation_id, "user_id": t.user_id, "typing": t.typing}});
                    if ws.send(Message::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
            incoming = ws.recv() => {
                let Some(Ok(msg)) = incoming else { break };
                let reply = match msg {
                    Message::Text(text) => handle(&s, &actor, &org_id, &mut joined, text.as_str()).await,
                    Message::Close(_) => break,
                    _ => None,
                };
                if let Some(r) = reply {
                    if ws.send(Message::Text(r.to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    if let Some(c) = joined {
        s.typing.publish(Typing { org_id, conversation_id: c, user_id: actor.user_id.clone(), typing: false });
    }
}

/// A client's command; the frame to answer with, if any.
async fn handle(
    s: &AppState,
    actor: &Actor,
    org_id: &str,
    joined: &mut Option<String>,
    text: &str,
) -> Option<serde_json::Value> {
    let error = |m: &str| Some(json!({"event": "error", "data": {"message": m}}));
    let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else {
        return error("expected {\"type\": \"join\" | \"leave\" | \"typing\", …}");
    };
    match frame {
        ClientFrame::Join { conversation_id } => match inbox::get(&s.app, actor, org_id, &conversation_id).await {
            Ok(c) => {
                *joined = Some(c.id.clone());
                Some(json!({"event": "joined", "data": {"conversation_id": c.id}}))
            }
            Err(_) => error("no such conversation in this organization"),
        },
        ClientFrame::Leave => {
            *joined = None;
            None
        }
        ClientFrame::Typing { typing } => match joined {
            Some(c) => {
                let t = Typing {
                    org_id: org_id.into(),
                    conversation_id: c.clone(),
                    user_id: actor.user_id.clone(),
                    typing,
                };
                s.typing.publish(t);
                None
            }
            None => error("join a conversation before typing in it"),
        },
    }
}
