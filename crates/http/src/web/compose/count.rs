//! The live counters' endpoint (`POST /o/{org_id}/compose/count`): each channel's text
//! measured the way its platform counts, as the server checks it.

use super::page::LIST_MAX;
use super::view::{measure, Count};
use crate::state::AppState;
use crate::web::error::{WebError, WebResult};
use crate::web::scope::OrgScope;
use crate::web::session::{check_csrf, csrf_header};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sellcast_app::channels;
use sellcast_app::channels::ChannelQuery;
use sellcast_domain::pagination::Page;
use serde::Deserialize;
use serde_json::json;

/// Counters asked for at once (one per channel).
const COUNT_ITEMS_MAX: usize = 100;

#[derive(Deserialize)]
struct CountRequest {
    #[serde(default)]
    items: Vec<CountItem>,
}

#[derive(Deserialize)]
struct CountItem {
    channel_id: String,
    #[serde(default)]
    text: String,
}

/// `{items: [{channel_id, text}]}` → `{items: [{channel_id, platform, count, limit, ok,
/// method}]}`: each text measured the way its channel's platform counts, as the server checks.
pub async fn count(State(state): State<AppState>, scope: OrgScope, req: Request) -> WebResult<Response> {
    let (parts, body) = req.into_parts();
    check_csrf(&parts, &state, csrf_header(&parts).as_deref()).await?;
    let bytes = axum::body::to_bytes(body, state.app.config.json_body_limit).await.map_err(|_| {
        WebError::page(StatusCode::PAYLOAD_TOO_LARGE, "Too much text", "The text is too long to count.")
    })?;
    let r: CountRequest =
        serde_json::from_slice(&bytes).map_err(|e| WebError::bad_request(format!("Expected JSON: {e}.")))?;
    let (chans, _) =
        channels::list(&state.app, scope.actor(), scope.org_id(), &ChannelQuery::default(), &Page::first(LIST_MAX))
            .await?;
    let items: Vec<Count> = r
        .items
        .iter()
        .take(COUNT_ITEMS_MAX)
        .filter_map(|i| chans.iter().find(|c| c.id == i.channel_id).and_then(|c| measure(c, &i.text)))
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}
