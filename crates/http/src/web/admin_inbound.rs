//! Instance admin → Inbound events: webhook deliveries that are dead (with their last error)
//! or hold items no connected channel claimed or of shapes Sellcast does not know, each with
//! its raw body, newest first. Nothing a platform sent is dropped silently: it is here.

use super::error::{WebError, WebResult};
use super::layout::{self, Nav};
use super::scope::Signed;
use super::ui;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use sellcast_app::inbox;
use serde::Deserialize;

const PAGE_SIZE: i64 = 25;
/// Characters of a raw body shown before it is cut (the API has them whole).
const BODY_SHOWN: usize = 4000;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/inbound-events", get(list))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    before: Option<String>,
}

pub async fn list(State(state): State<AppState>, s: Signed, Query(q): Query<ListQuery>) -> WebResult<Markup> {
    if !s.viewer.user.is_instance_admin {
        return Err(WebError::forbidden("Only instance administrators see inbound events."));
    }
    let before = q.before.as_deref().and_then(|b| b.parse::<i64>().ok());
    let mut rows = inbox::flagged_events(&state.app, &s.viewer.actor, before, PAGE_SIZE + 1).await?;
    let older = (rows.len() as i64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|r| r.id)
    });
    let tz = &s.shell.timezone;
    let body = html! {
        div.page-head {
            div {
                h1 { "Inbound events" }
                p.muted {
                    "Webhook deliveries that could not be processed, or that held items for no connected channel "
                    "or of shapes Sellcast does not know. Each is kept with its raw body."
                }
            }
        }
        @if rows.is_empty() {
            (ui::empty_state("Nothing to look at", "Every delivery so far was processed and claimed.", None))
        } @else {
            @for e in &rows {
                section.card id={ "event-" (e.id) } {
                    h2 { "#" (e.id) " · " code { (e.source) } " · " (e.state.as_str()) }
                    p {
                        "Received " (ui::time(e.received_at, tz)) ". "
                        (e.items) " item(s): " (e.unmatched_items) " for no connected channel, "
                        (e.unknown_items) " of unknown shape; " (e.attempts) " attempt(s)."
                    }
                    @if let Some(err) = &e.last_error { p.field-error { "Last error: " (err) } }
                    details {
                        summary { "Raw body (" (e.body.len()) " bytes)" }
                        pre.raw { (ui::shorten(&e.body, BODY_SHOWN)) }
                    }
                }
            }
            @if let Some(Some(id)) = older {
                a.button href={ "/admin/inbound-events?before=" (id) } { "Older events" }
            }
        }
    };
    Ok(layout::page_with(&s.shell, Nav::AdminInbound, "Inbound events", body, &["settings.css"]))
}
