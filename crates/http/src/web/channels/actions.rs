//! The forms on each channel's row: disconnect it, assign it to a client.

use crate::state::AppState;
use crate::web::error::WebResult;
use crate::web::scope::OrgScope;
use crate::web::session::{redirect_with_flash, Form, Nothing};
use axum::extract::{Path, State};
use axum::response::Response;
use sellcast_app::channels::{self};
use serde::Deserialize;

use super::page::{back_with_error, user_error};
pub async fn disconnect(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, channel_id)): Path<(String, String)>,
    Form(_): Form<Nothing>,
) -> WebResult<Response> {
    match channels::disconnect(&state.app, scope.actor(), scope.org_id(), &channel_id).await {
        Ok(row) => Ok(redirect_with_flash(&state, &scope.path("/channels"), &format!("{} disconnected.", row.handle))),
        Err(e) => match user_error(&e) {
            Some(m) => Ok(back_with_error(&scope, &m)),
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    client_id: String,
}

pub async fn assign_client(
    State(state): State<AppState>,
    scope: OrgScope,
    Path((_, channel_id)): Path<(String, String)>,
    Form(f): Form<ClientForm>,
) -> WebResult<Response> {
    let client_id = Some(f.client_id.trim().to_string()).filter(|c| !c.is_empty());
    match channels::set_client(&state.app, scope.actor(), scope.org_id(), &channel_id, client_id).await {
        Ok(row) => Ok(redirect_with_flash(&state, &scope.path("/channels"), &format!("{} updated.", row.handle))),
        Err(e) => match user_error(&e) {
            Some(m) => Ok(back_with_error(&scope, &m)),
            None => Err(e.into()),
        },
    }
}
