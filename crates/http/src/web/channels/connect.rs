//! Connecting an account (`POST /o/{org_id}/channels/connect/{platform}`) and reconnecting one
//! (`POST …/channels/{channel_id}/reconnect`): the sandbox and Bluesky connect at once, OAuth
//! platforms continue on the platform (see the module above for why through a link).

use super::connect_ui::{self, ConnectForm, FormState};
use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::scope::OrgScope;
use crate::web::session::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use sellcast_app::channels::{self, connect};
use sellcast_domain::{Permission, Platform};

use super::page::{back_with_error, render, user_error, ShowQuery};
pub async fn connect_platform(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, platform)): Path<(String, String)>,
    Form(f): Form<ConnectForm>,
) -> WebResult<Response> {
    let platform: Platform = platform.parse().map_err(|_| crate::web::error::WebError::not_found())?;
    scope.require(Permission::SettingsUpdate)?;
    let input = f.input(Some(platform), scope.path("/channels"));
    match connect::start(&state.app, scope.actor(), scope.org_id(), input, None).await {
        Ok(started) => Ok(connect_ui::started(&state, &scope, platform, started)),
        Err(e) => match FormState::from_error(platform, &f, &e) {
            Some(form) => Ok(render(&state, &scope, &ShowQuery::default(), Some(&form)).await?.into_response()),
            None => Err(e.into()),
        },
    }
}

pub async fn reconnect(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, channel_id)): Path<(String, String)>,
    Form(f): Form<ConnectForm>,
) -> WebResult<Response> {
    scope.require(Permission::SettingsUpdate)?;
    let row = channels::get(&state.app, scope.actor(), scope.org_id(), &channel_id).await?;
    let platform = channels::platform_of(&row.platform)?;
    // Bluesky needs a fresh app password: ask for it first.
    if platform == Platform::Bluesky && f.app_password.as_deref().unwrap_or("").is_empty() {
        return Ok(connect_ui::bluesky_reconnect_page(&scope, &row, &FormState::blank(platform)).into_response());
    }
    let input = f.input(None, scope.path("/channels"));
    match connect::start(&state.app, scope.actor(), scope.org_id(), input, Some(&row.id)).await {
        Ok(started) => Ok(connect_ui::started(&state, &scope, platform, started)),
        Err(e) if platform == Platform::Bluesky => match FormState::from_error(platform, &f, &e) {
            Some(form) => Ok(connect_ui::bluesky_reconnect_page(&scope, &row, &form).into_response()),
            None => Err(e.into()),
        },
        Err(e) => match user_error(&e) {
            Some(m) => Ok(back_with_error(&scope, &m)),
            None => Err(e.into()),
        },
    }
}
