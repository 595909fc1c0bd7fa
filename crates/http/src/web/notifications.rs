//! The notifications page behind the bell: publish failures, channels that need
//! reconnecting, accepted invites; newest first, unread ones marked.

use super::error::WebResult;
use super::layout::{self, Nav};
use super::scope::Signed;
use super::session::{redirect_with_flash, Form};
use super::ui;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{html, Markup};
use sellcast_app::notifications;
use sellcast_domain::pagination::Page;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    unread: Option<String>,
}

const PAGE_SIZE: u32 = 30;

pub async fn list(State(state): State<AppState>, s: Signed, Query(q): Query<ListQuery>) -> WebResult<Markup> {
    let unread_only = q.unread.is_some();
    let page = Page { limit: PAGE_SIZE, before: q.cursor.clone() };
    let (rows, next, unread) = notifications::list(&state.app, &s.viewer.actor, None, unread_only, &page).await?;
    let tz = s.shell.timezone.clone();
    let body = html! {
        div.page-head {
            h1 { "Notifications" }
            div.actions {
                a.button.small href="/notifications" aria-current=[(!unread_only).then_some("page")] { "All" }
                a.button.small href="/notifications?unread=1" aria-current=[unread_only.then_some("page")] { "Unread (" (unread) ")" }
                @if unread > 0 {
                    form method="post" action="/notifications/read" {
                        (ui::csrf(&s.shell.csrf))
                        button.small type="submit" { "Mark all as read" }
                    }
                }
            }
        }
        @if rows.is_empty() {
            (ui::empty_state("You are all caught up",
                "Sellcast tells you here when a post fails, a channel needs reconnecting or someone joins your team.", None))
        } @else {
            ul.notification-list #notification-list {
                @for n in &rows {
                    li.notification.unread[n.read_at.is_none()] {
                        div.notification-main {
                            strong { (n.title) }
                            p { (n.body) }
                            span.muted { (ui::time(n.created_at, &tz)) }
                        }
                        div.notification-actions {
                            @if let Some(link) = n.link.as_deref().filter(|l| l.starts_with('/')) {
                                a.button.small href=(link) { "Open" }
                            }
                            @if n.read_at.is_none() {
                                form method="post" action="/notifications/read" {
                                    (ui::csrf(&s.shell.csrf))
                                    input type="hidden" name="id" value=(n.id);
                                    button.small.ghost type="submit" { "Mark read" }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(c) = next {
                a.button href={ "/notifications?cursor=" (c) @if unread_only { "&unread=1" } } { "Older" }
            }
        }
    };
    Ok(layout::page(&s.shell, Nav::Notifications, "Notifications", body))
}

#[derive(Deserialize)]
pub struct ReadInput {
    id: Option<String>,
}

pub async fn mark_read(State(state): State<AppState>, s: Signed, Form(f): Form<ReadInput>) -> WebResult<Response> {
    let id = f.id.as_deref().filter(|i| !i.is_empty());
    notifications::mark_read(&state.app, &s.viewer.actor, None, id).await?;
    let message = if id.is_some() { "Marked as read." } else { "All notifications marked as read." };
    Ok(redirect_with_flash(&state, "/notifications", message))
}
