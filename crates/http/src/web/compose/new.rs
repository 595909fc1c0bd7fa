//! A new post: the empty composer (`GET /o/{org_id}/compose`) and its form sent
//! (`POST`): save a draft, schedule it or publish it now.

use super::finish::{finish, scheduled_for, when};
use super::form::{self, ComposeForm};
use super::page::{render, rerender};
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form};
use crate::web::ui::{capitalize, Errors};
use axum::extract::{Query, State};
use axum::response::Response;
use maud::Markup;
use sellcast_app::channels::ChannelQuery;
use sellcast_app::posts;
use sellcast_app::{channels, AppError};
use sellcast_domain::pagination::Page;
use sellcast_domain::Permission;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
pub struct NewQuery {
    media: Option<String>,
    date: Option<String>,
    time: Option<String>,
}

pub async fn new_post(State(state): State<AppState>, scope: OrgScope, Query(q): Query<NewQuery>) -> WebResult<Markup> {
    scope.require(Permission::PostCreate)?;
    let mut form =
        ComposeForm { date: q.date.unwrap_or_default(), time: q.time.unwrap_or_default(), ..Default::default() };
    form.media.extend(q.media.filter(|m| !m.is_empty()));
    // A workspace with one channel: it is the obvious target.
    let (all, _) =
        channels::list(&state.app, scope.actor(), scope.org_id(), &ChannelQuery::default(), &Page::first(2)).await?;
    if let [only] = all.as_slice() {
        if only.status == sellcast_domain::ChannelStatus::Active && only.publishes() {
            form.channels.push(only.id.clone());
        }
    }
    render(&state, &scope, None, &form, &Errors::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    scope: OrgScope,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    scope.require(Permission::PostCreate)?;
    let form = ComposeForm::from_pairs(pairs);
    // A malformed time must not leave a draft behind.
    let at = match when(&form, &scope) {
        Ok(at) => at,
        Err(errors) => return rerender(&state, &scope, None, &form, &errors, None).await,
    };
    // Created and scheduled in one transaction, as through the API: when the schedule is
    // refused nothing is stored, and the form comes back as typed with the reason.
    let input = form.input(&HashMap::new());
    match posts::create_scheduled(&state.app, scope.actor(), scope.org_id(), input, at).await {
        Ok(view) => match at {
            Some(at) => {
                let detail = scope.path(&format!("/posts/{}", view.post.id));
                Ok(redirect_with_flash(&state, &detail, &scheduled_for(&scope, at)))
            }
            None => finish(&state, &scope, view, &form, None, "Draft saved.").await,
        },
        Err(AppError::Validation(e)) => {
            let errors = form::page_errors(&e, &form.channels);
            rerender(&state, &scope, None, &form, &errors, None).await
        }
        Err(AppError::Conflict(m) | AppError::Forbidden(m)) if at.is_some() => {
            let general = Some(format!("The post was not saved. {}", capitalize(&m)));
            rerender(&state, &scope, None, &form, &Errors::default(), general).await
        }
        Err(e) => Err(e.into()),
    }
}
