//! The inbox's form posts: reply, status (with the snooze time in the viewer's timezone),
//! priority, mark unread, and the bulk actions of the list. Each answers 303 back to the
//! inbox with the same filters; a refused form comes back as the page (400) with the message
//! next to its field and what was typed still in it.

use super::form::{Draft, FormState};
use super::page::rerender;
use super::when::parse_local;
use super::InboxQuery;
use crate::state::AppState;
use crate::web::error::{user_error, WebResult};
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form};
use crate::web::ui::Errors;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use sellcast_app::inbox::{self, BulkAction, ConversationChange};
use sellcast_app::{AppError, AppResult};
use sellcast_domain::{ConversationPriority, ConversationStatus, Permission};
use serde::Deserialize;

type Ids = Path<(String, String)>;

/// The value of the first `name` among a form's pairs.
fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// The inbox with conversation `id` open, on the filters it was sent from.
fn thread_link(scope: &OrgScope, q: &InboxQuery, id: &str) -> String {
    q.link(&scope.path("/inbox"), &[("c", id)])
}

/// The page with the conversation open again and `forms` in it, for a refusal the user can
/// act on; other errors get their own page.
async fn refused(
    state: &AppState,
    scope: &OrgScope,
    q: InboxQuery,
    id: &str,
    mut forms: FormState,
    e: AppError,
    shown: &[&str],
) -> WebResult<Response> {
    let q = InboxQuery { c: Some(id.to_string()), ..q };
    match e {
        AppError::Validation(v) => {
            let (mine, other): (Vec<_>, Vec<_>) = v.0.iter().partition(|f| shown.contains(&f.field.as_str()));
            forms.errors = Errors(mine.iter().map(|f| (f.field.clone(), f.message.clone())).collect());
            if !other.is_empty() {
                let text: Vec<String> = other.iter().map(|f| crate::web::ui::capitalize(&f.message)).collect();
                forms.general = Some(text.join(" "));
            }
            rerender(state, scope, &q, &forms).await
        }
        e => match user_error(&e) {
            Some(m) => {
                forms.general = Some(m);
                rerender(state, scope, &q, &forms).await
            }
            None => Err(e.into()),
        },
    }
}

pub async fn reply(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    scope.require(Permission::InboxReply)?;
    let q = InboxQuery::from_back(value(&pairs, "back"));
    let draft = Draft::from_pairs(&pairs);
    match inbox::reply(&state.app, scope.actor(), scope.org_id(), &id, draft.to_input()).await {
        Ok(_) => Ok(Redirect::to(&thread_link(&scope, &q, &id)).into_response()),
        Err(e) => {
            let forms = FormState { draft, ..Default::default() };
            refused(&state, &scope, q, &id, forms, e, &["text", "template", "private"]).await
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    snoozed_until: String,
    #[serde(default)]
    back: String,
}

pub async fn status(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(f): Form<StatusForm>,
) -> WebResult<Response> {
    scope.require(Permission::InboxReply)?;
    let q = InboxQuery::from_back(&f.back);
    let tz = scope.shell.timezone.clone();
    let change = parse_status(&f, &tz);
    let r = match change {
        Ok(change) => inbox::update(&state.app, scope.actor(), scope.org_id(), &id, &change).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(c) => {
            let message = match c.status {
                ConversationStatus::Resolved => "Resolved.".to_string(),
                ConversationStatus::Snoozed => "Snoozed.".to_string(),
                s => format!("Marked {s}."),
            };
            Ok(redirect_with_flash(&state, &thread_link(&scope, &q, &id), &message))
        }
        Err(e) => {
            let snooze = Some(f.snoozed_until.clone()).filter(|s| !s.is_empty());
            let forms = FormState { snooze, ..Default::default() };
            refused(&state, &scope, q, &id, forms, e, &["status", "snoozed_until"]).await
        }
    }
}

/// The change the status form asks for; the snooze time counts only for "snoozed".
fn parse_status(f: &StatusForm, tz: &str) -> AppResult<ConversationChange> {
    let status: ConversationStatus =
        f.status.parse().map_err(|_| AppError::validation("status", "choose open, pending, snoozed or resolved"))?;
    let snoozed_until = match (status, f.snoozed_until.trim()) {
        (ConversationStatus::Snoozed, "") => {
            return Err(AppError::validation("snoozed_until", "choose when the conversation comes back"))
        }
        (ConversationStatus::Snoozed, raw) => Some(
            parse_local(raw, tz)
                .ok_or_else(|| AppError::validation("snoozed_until", "use a date and time such as 2026-05-01 09:30"))?,
        ),
        _ => None,
    };
    Ok(ConversationChange { status: Some(status), snoozed_until, priority: None })
}

#[derive(Deserialize)]
pub struct PriorityForm {
    #[serde(default)]
    priority: String,
    #[serde(default)]
    back: String,
}

pub async fn priority(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(f): Form<PriorityForm>,
) -> WebResult<Response> {
    scope.require(Permission::InboxReply)?;
    let q = InboxQuery::from_back(&f.back);
    let r = match f.priority.parse::<ConversationPriority>() {
        Ok(p) => {
            let change = ConversationChange { priority: Some(p), ..Default::default() };
            inbox::update(&state.app, scope.actor(), scope.org_id(), &id, &change).await
        }
        Err(_) => Err(AppError::validation("priority", "choose none, low, medium, high or urgent")),
    };
    match r {
        Ok(c) => {
            let message = format!("Priority: {}.", c.priority);
            Ok(redirect_with_flash(&state, &thread_link(&scope, &q, &id), &message))
        }
        Err(e) => refused(&state, &scope, q, &id, FormState::default(), e, &["priority"]).await,
    }
}

#[derive(Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

/// Unread again for the viewer; back to the list, since opening it would read it.
pub async fn unread(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(f): Form<BackForm>,
) -> WebResult<Response> {
    let q = InboxQuery::from_back(&f.back);
    inbox::mark(&state.app, scope.actor(), scope.org_id(), &id, false).await?;
    Ok(redirect_with_flash(&state, &q.link(&scope.path("/inbox"), &[]), "Marked as unread."))
}

/// The list's selected conversations (`ids`, repeated) and the button pressed (`action`).
pub async fn bulk(
    State(state): State<AppState>,
    scope: OrgScope,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let q = InboxQuery::from_back(value(&pairs, "back")).with_open(value(&pairs, "c"));
    let to = q.current(&scope.path("/inbox"));
    let ids: Vec<String> = pairs.iter().filter(|(k, v)| k == "ids" && !v.is_empty()).map(|(_, v)| v.clone()).collect();
    let (action, done) = match value(&pairs, "action") {
        "read" => (BulkAction::MarkRead, "marked read"),
        "unread" => (BulkAction::MarkUnread, "marked unread"),
        "resolve" => (BulkAction::Resolve, "resolved"),
        "reopen" => (BulkAction::Reopen, "reopened"),
        _ => return Ok(redirect_with_flash(&state, &to, "Choose what to do with the selected conversations.")),
    };
    if ids.is_empty() {
        return Ok(redirect_with_flash(&state, &to, "Select one or more conversations first."));
    }
    match inbox::bulk(&state.app, scope.actor(), scope.org_id(), &ids, action).await {
        Ok(n) => {
            let noun = if n == 1 { "conversation" } else { "conversations" };
            Ok(redirect_with_flash(&state, &to, &format!("{n} {noun} {done}.")))
        }
        Err(e) => match user_error(&e) {
            Some(m) => Ok(redirect_with_flash(&state, &to, &format!("Nothing changed: {m}"))),
            None => Err(e.into()),
        },
    }
}
