//! What happens after the composer's form is saved: the schedule time read from the form,
//! then scheduling or publishing the saved post as the pressed button asked. (A new post
//! that is scheduled is created and scheduled in one step instead: see `new.rs`.)

use super::form::{self, ComposeForm};
use super::page::rerender;
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::scope::OrgScope;
use crate::web::session::redirect_with_flash;
use crate::web::ui::Errors;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sellcast_app::posts::{self, schedule, PostView};
use sellcast_app::AppError;

/// The schedule time when the schedule button was pressed.
pub(super) fn when(form: &ComposeForm, scope: &OrgScope) -> Result<Option<DateTime<Utc>>, Errors> {
    if form.action == "schedule" {
        form.when(&scope.shell.timezone).map(Some)
    } else {
        Ok(None)
    }
}

/// The message after scheduling: the time in the viewer's timezone.
pub(super) fn scheduled_for(scope: &OrgScope, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&crate::web::ui::zone(&scope.shell.timezone));
    format!("Scheduled for {}.", local.format("%a %-d %b %Y, %H:%M"))
}

/// After the post was saved: schedule or publish it as asked, then go to its page. When that
/// step is refused, the saved post's edit page says why, next to the fields.
pub(super) async fn finish(
    state: &AppState,
    scope: &OrgScope,
    view: PostView,
    form: &ComposeForm,
    at: Option<DateTime<Utc>>,
    saved: &str,
) -> WebResult<Response> {
    let (app, actor, org) = (&state.app, scope.actor(), scope.org_id());
    let id = view.post.id.clone();
    let detail = scope.path(&format!("/posts/{id}"));
    let result = match (form.action.as_str(), at) {
        ("schedule", Some(at)) => schedule::schedule(app, actor, org, &id, at).await.map(|_| scheduled_for(scope, at)),
        ("publish_now", _) => schedule::publish_now(app, actor, org, &id).await.map(|_| "Publishing now.".to_string()),
        _ => return Ok(redirect_with_flash(state, &detail, saved)),
    };
    let error = match result {
        Ok(message) => return Ok(redirect_with_flash(state, &detail, &message)),
        Err(e) => e,
    };
    let (errors, general) = match error {
        AppError::Validation(e) => (form::page_errors(&e, &form.channels), None),
        AppError::Conflict(m) | AppError::Forbidden(m) => (Errors::default(), Some(crate::web::ui::capitalize(&m))),
        other => return Err(other.into()),
    };
    let note = "The post was saved, but not ".to_string()
        + if form.action == "schedule" { "scheduled." } else { "published." };
    let general = Some(match general {
        Some(m) => format!("{note} {m}"),
        None => note,
    });
    let current = posts::get(app, actor, org, &id).await.unwrap_or(view);
    rerender(state, scope, Some(&current), form, &errors, general).await
}
