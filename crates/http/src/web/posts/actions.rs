//! The post page's buttons, each a small POST form: publish now, unschedule, duplicate,
//! delete, retry a failed channel. Each goes back to the post with what happened.

use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form, Nothing};
use axum::extract::{Path, State};
use axum::response::Response;
use sellcast_app::posts::{self, schedule};
use sellcast_app::{AppError, AppResult};
use serde::Deserialize;

/// Back to the post with what happened; a refusal the user can act on (a conflict) becomes
/// the message, other errors their page.
fn done(state: &AppState, scope: &OrgScope, post_id: &str, r: AppResult<String>) -> WebResult<Response> {
    let to = scope.path(&format!("/posts/{post_id}"));
    match r {
        Ok(message) => Ok(redirect_with_flash(state, &to, &message)),
        Err(AppError::Conflict(m)) => Ok(redirect_with_flash(state, &to, &crate::web::ui::capitalize(&m))),
        Err(AppError::Validation(e)) => {
            let message = e.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" ");
            Ok(redirect_with_flash(state, &to, &format!("Not done: {message}")))
        }
        Err(e) => Err(e.into()),
    }
}

type Ids = Path<(String, String)>;

pub async fn publish_now(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    let r = schedule::publish_now(&state.app, scope.actor(), scope.org_id(), &id).await;
    done(&state, &scope, &id, r.map(|_| "Publishing now.".into()))
}

pub async fn unschedule(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    let r = schedule::unschedule(&state.app, scope.actor(), scope.org_id(), &id).await;
    done(&state, &scope, &id, r.map(|_| "Unscheduled: the post is a draft again.".into()))
}

pub async fn duplicate(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    match posts::duplicate(&state.app, scope.actor(), scope.org_id(), &id).await {
        Ok(copy) => {
            let to = scope.path(&format!("/posts/{}/edit", copy.post.id));
            Ok(redirect_with_flash(&state, &to, "Duplicated as a new draft."))
        }
        Err(e) => done(&state, &scope, &id, Err(e)),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    match posts::delete(&state.app, scope.actor(), scope.org_id(), &id).await {
        Ok(()) => Ok(redirect_with_flash(&state, &scope.path("/posts"), "Post deleted.")),
        Err(e) => done(&state, &scope, &id, Err(e)),
    }
}

#[derive(Deserialize)]
pub struct RetryInput {
    #[serde(default)]
    variant_id: String,
}

pub async fn retry(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, id)): Ids,
    Form(f): Form<RetryInput>,
) -> WebResult<Response> {
    let r = schedule::retry_variant(&state.app, scope.actor(), scope.org_id(), &id, &f.variant_id).await;
    done(&state, &scope, &id, r.map(|_| "Trying again now.".into()))
}
