//! An existing post in the composer (`GET /o/{org_id}/posts/{post_id}/edit`) and its form
//! sent (`POST`): save the changes, then schedule or publish as asked.

use super::finish::{finish, when};
use super::form::{self, ComposeForm};
use super::page::{render, rerender};
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form};
use crate::web::ui::Errors;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use sellcast_app::posts::{self, PostView};
use sellcast_app::AppError;
use sellcast_domain::Permission;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
pub struct EditQuery {
    media: Option<String>,
}

async fn editable(state: &AppState, scope: &OrgScope, post_id: &str) -> WebResult<Result<PostView, Response>> {
    scope.require(Permission::PostUpdate)?;
    let view = posts::get(&state.app, scope.actor(), scope.org_id(), post_id).await?;
    if view.post.status.can_edit() {
        return Ok(Ok(view));
    }
    let message = format!("A {} post cannot be edited; duplicate it instead.", view.post.status.words());
    Ok(Err(redirect_with_flash(state, &scope.path(&format!("/posts/{post_id}")), &message)))
}

pub async fn edit(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, post_id)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> WebResult<Response> {
    let view = match editable(&state, &scope, &post_id).await? {
        Ok(v) => v,
        Err(redirect) => return Ok(redirect),
    };
    let mut form = ComposeForm::from_view(&view, &scope.shell.timezone);
    if let Some(m) = q.media.filter(|m| !m.is_empty() && !form.media.contains(m)) {
        form.media.push(m);
    }
    Ok(render(&state, &scope, Some(&view), &form, &Errors::default(), None).await?.into_response())
}

pub async fn save(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, post_id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let view = match editable(&state, &scope, &post_id).await? {
        Ok(v) => v,
        Err(redirect) => return Ok(redirect),
    };
    let form = ComposeForm::from_pairs(pairs);
    let at = match when(&form, &scope) {
        Ok(at) => at,
        Err(errors) => return rerender(&state, &scope, Some(&view), &form, &errors, None).await,
    };
    let options: HashMap<String, serde_json::Value> =
        view.variants.iter().map(|v| (v.variant.channel_id.clone(), v.variant.options.clone())).collect();
    match posts::update(&state.app, scope.actor(), scope.org_id(), &post_id, form.input(&options)).await {
        Ok(updated) => finish(&state, &scope, updated, &form, at, "Changes saved.").await,
        Err(AppError::Validation(e)) => {
            let errors = form::page_errors(&e, &form.channels);
            rerender(&state, &scope, Some(&view), &form, &errors, None).await
        }
        Err(AppError::Conflict(m)) => {
            let general = Some(crate::web::ui::capitalize(&m));
            rerender(&state, &scope, Some(&view), &form, &Errors::default(), general).await
        }
        Err(e) => Err(e.into()),
    }
}
