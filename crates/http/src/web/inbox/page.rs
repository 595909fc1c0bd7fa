//! The inbox's reads: the page (list beside the open thread), the two fragments the script
//! swaps in on live events, and the conversation permalink. Opening a thread marks it read
//! for the viewer.

use super::form::FormState;
use super::thread::{self, Thread};
use super::{list, sandbox, Ctx, InboxQuery};
use crate::state::AppState;
use crate::web::error::{WebError, WebResult};
use crate::web::layout::{self, Nav};
use crate::web::scope::OrgScope;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use sellcast_app::channels::{self, Channel, ChannelQuery};
use sellcast_app::inbox::{self, Conversation, TimePage};
use sellcast_domain::pagination::Page;

const PAGE_SIZE: i64 = 30;
const THREAD_PAGE: i64 = 50;
const CHANNELS_MAX: u32 = 200;

/// The open conversation (marked read for the viewer) with its latest messages, oldest first.
pub(super) async fn open_thread(state: &AppState, scope: &OrgScope, q: &InboxQuery, id: &str) -> WebResult<Thread> {
    let (app, actor, org) = (&state.app, scope.actor(), scope.org_id());
    let conv = inbox::mark(app, actor, org, id, true).await?;
    // A cursor that does not decode starts from the newest message.
    let page = TimePage::parse(Some(THREAD_PAGE), q.before.as_deref())
        .or_else(|_| TimePage::parse(Some(THREAD_PAGE), None))?;
    let (mut messages, older) = inbox::messages(app, actor, org, id, &page).await?;
    messages.reverse();
    // The picker lists what WhatsApp has; if it cannot be asked, the free fields remain.
    let templates = if conv.needs_template(app.clock.now()) && scope.role.can(sellcast_domain::Permission::InboxReply) {
        inbox::templates::for_conversation(app, actor, org, id).await.unwrap_or_default()
    } else {
        vec![]
    };
    Ok(Thread { conv, messages, older, templates })
}

async fn conversations(
    state: &AppState,
    scope: &OrgScope,
    q: &InboxQuery,
) -> WebResult<(Vec<Conversation>, Option<String>)> {
    let page =
        TimePage::parse(Some(PAGE_SIZE), q.cursor.as_deref()).or_else(|_| TimePage::parse(Some(PAGE_SIZE), None))?;
    Ok(inbox::list(&state.app, scope.actor(), scope.org_id(), &q.to_query(), &page).await?)
}

/// Whether the workspace has any conversation at all, for the empty list's wording (the rows
/// shown answer it when there are some).
async fn any_conversation(state: &AppState, scope: &OrgScope, q: &InboxQuery, shown: usize) -> WebResult<bool> {
    if shown > 0 || (q.tab() == "all" && !q.filtered()) {
        return Ok(shown > 0);
    }
    let one = TimePage::parse(Some(1), None)?;
    let (rows, _) = inbox::list(&state.app, scope.actor(), scope.org_id(), &Default::default(), &one).await?;
    Ok(!rows.is_empty())
}

async fn org_channels(state: &AppState, scope: &OrgScope) -> WebResult<Vec<Channel>> {
    let page = Page::first(CHANNELS_MAX);
    let (mut rows, _) =
        channels::list(&state.app, scope.actor(), scope.org_id(), &ChannelQuery::default(), &page).await?;
    rows.sort_by(|a, b| (&a.platform, &a.handle).cmp(&(&b.platform, &b.handle)));
    Ok(rows)
}

/// The whole page; `forms` carries what a refused form sent.
pub(super) async fn render(state: &AppState, scope: &OrgScope, q: &InboxQuery, forms: &FormState) -> WebResult<Markup> {
    let ctx = Ctx::new(scope, q, state.app.clock.now());
    let thread = match q.open() {
        Some(id) => Some(open_thread(state, scope, q, id).await?),
        None => None,
    };
    let (items, next) = conversations(state, scope, q).await?;
    let chans = org_channels(state, scope).await?;
    let any = any_conversation(state, scope, q, items.len()).await?;
    let rows = list::Rows { items: &items, next: next.as_deref(), channels: &chans, any };
    let try_it = sandbox::section(state, &ctx, &chans, &forms.sandbox, &forms.errors, !any).await?;
    let body = html! {
        div.inbox.has-thread[thread.is_some()] data-list-url=(ctx.path("/list")) data-base=(ctx.path("")) {
            section.inbox-list-pane aria-labelledby="inbox-heading" {
                div.inbox-head {
                    h1 #inbox-heading { "Inbox" }
                    (shortcuts())
                }
                (list::tabs(&ctx))
                (list::filters(&ctx, &chans))
                (list::rows(&ctx, &rows))
                (try_it)
            }
            (thread::pane(&ctx, thread.as_ref(), forms))
        }
        div #inbox-announce .visually-hidden role="status" aria-live="polite" {}
    };
    let title = thread.as_ref().map(|t| format!("{} · Inbox", super::who(&t.conv))).unwrap_or_else(|| "Inbox".into());
    Ok(layout::page_with(&scope.shell, Nav::Inbox, &title, body, &["inbox.css", "inbox.js"]))
}

/// The page again with a refused form's values and errors (400, so scripts know).
pub(super) async fn rerender(
    state: &AppState,
    scope: &OrgScope,
    q: &InboxQuery,
    forms: &FormState,
) -> WebResult<Response> {
    let page = render(state, scope, q, forms).await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

/// The help the `?` key opens (the keys work only with the script, so it shows it).
fn shortcuts() -> Markup {
    html! {
        details #shortcuts .shortcuts.js-only hidden {
            summary { "Keyboard shortcuts" }
            dl {
                dt { kbd { "j" } " / " kbd { "k" } } dd { "Next / previous conversation" }
                dt { kbd { "r" } } dd { "Write a reply" }
                dt { kbd { "e" } } dd { "Resolve the open conversation" }
                dt { kbd { "Esc" } } dd { "Leave the reply box" }
                dt { kbd { "Ctrl" } " + " kbd { "Enter" } } dd { "Send the reply" }
                dt { kbd { "?" } } dd { "Show or hide these shortcuts" }
            }
        }
    }
}

pub async fn show(State(state): State<AppState>, scope: OrgScope, RawQuery(raw): RawQuery) -> WebResult<Markup> {
    let q = InboxQuery::parse(raw.as_deref().unwrap_or(""));
    render(&state, &scope, &q, &FormState::default()).await
}

/// A fragment: HTML that is no page, never cached.
fn fragment(m: Markup) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], m).into_response()
}

/// `#inbox-rows` alone, with the same filters as the page.
pub async fn list_fragment(
    State(state): State<AppState>,
    scope: OrgScope,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let q = InboxQuery::parse(raw.as_deref().unwrap_or(""));
    let ctx = Ctx::new(&scope, &q, state.app.clock.now());
    let (items, next) = conversations(&state, &scope, &q).await?;
    // The empty state's wording depends on the channels; a filled list does not need them.
    let chans = if items.is_empty() { org_channels(&state, &scope).await? } else { Vec::new() };
    let any = any_conversation(&state, &scope, &q, items.len()).await?;
    Ok(fragment(list::rows(&ctx, &list::Rows { items: &items, next: next.as_deref(), channels: &chans, any })))
}

/// `#inbox-thread` alone (and the conversation marked read, since the viewer has it open).
pub async fn thread_fragment(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let q = InboxQuery { c: Some(id.clone()), ..InboxQuery::parse(raw.as_deref().unwrap_or("")) };
    let ctx = Ctx::new(&scope, &q, state.app.clock.now());
    let t = open_thread(&state, &scope, &q, &id).await?;
    Ok(fragment(thread::pane(&ctx, Some(&t), &FormState::default())))
}

/// `/inbox/{id}`: the inbox with that conversation open.
pub async fn permalink(scope: OrgScope, Path((_, id)): Path<(String, String)>) -> WebResult<Response> {
    if id.is_empty() || id.len() > 100 {
        return Err(WebError::not_found());
    }
    let q = InboxQuery::default();
    let to = q.link(&scope.path("/inbox"), &[("c", &id)]);
    Ok(Redirect::to(&to).into_response())
}
