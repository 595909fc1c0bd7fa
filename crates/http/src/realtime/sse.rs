//! `GET /api/v1/orgs/{org_id}/events`: the org's events as they are committed, as
//! server-sent events (`id:` the event id, `event:` its kind, `data:` its JSON). A client
//! that reconnects sends `Last-Event-ID` (browsers do) and gets what it missed first.

use super::StreamActor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sellcast_app::events::{self, Subscription};
use sellcast_app::AppError;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::IntoParams;

/// Comment lines keep proxies and browsers from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Replay the events after this id (for a first connection that knows where it stopped;
    /// a `Last-Event-ID` header wins over it).
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub last_event_id: Option<String>,
}

/// The organization's event stream (server-sent events), for members only.
///
/// Kinds: `post:status` (`{post_id, status, variants: [{id, channel_id, status,
/// platform_url?, error?}]}`, whenever a post's or one of its variants' status changes) and
/// `notification:new` (`{notification, unread_count}`, only to the notification's
/// recipient). Events are kept 24 hours for clients reconnecting with `Last-Event-ID`. A
/// comment line comes every 15 seconds when there is nothing to send.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/events", tag = "realtime", security(("bearer" = [])),
    params(
        ("org_id" = String, Path),
        ("Last-Event-ID" = Option<String>, Header, nullable = false, pattern = r"^[0-9]{1,18}$",
            description = "The id of the last event received; the stream starts after it"),
        EventsQuery,
    ),
    responses((status = 200, description = "A stream of server-sent events", content_type = "text/event-stream",
        body = String)))]
pub async fn events(
    State(s): State<AppState>,
    StreamActor(actor): StreamActor,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let last = match headers.get("last-event-id") {
        Some(h) => Some(parse_id("Last-Event-ID", h.to_str().unwrap_or_default())?),
        None => q.last_event_id.as_deref().map(|v| parse_id("last_event_id", v)).transpose()?,
    };
    let sub = events::subscribe(&s.app, &actor, &org_id, last).await?;
    Ok(Sse::new(stream(sub)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

pub(super) fn parse_id(field: &str, v: &str) -> Result<i64, ApiError> {
    let v = v.trim();
    match v.parse::<i64>() {
        Ok(id) if id >= 0 && !v.starts_with('+') => Ok(id),
        _ => Err(AppError::validation(field, "must be the id of an event (a non-negative integer)").into()),
    }
}

/// The subscription as SSE events; ends at shutdown, when the user leaves the org, or when
/// the database fails (the client reconnects with `Last-Event-ID`).
fn stream(sub: Subscription) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(sub, |mut sub| async move {
        match sub.next().await {
            Ok(Some(e)) => {
                // Compact JSON has no newline, so the data is one `data:` line.
                let event = Event::default().id(e.id.to_string()).event(&e.kind).data(e.data.to_string());
                Some((Ok(event), sub))
            }
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(error = %err, "an event stream ended on an error");
                None
            }
        }
    })
}
