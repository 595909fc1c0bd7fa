//! Workspace settings: tabs for General (name, deletion), Members (roles, invites), Clients
//! and the audit log. Controls a role cannot use are hidden; the app layer checks again, so a
//! form posted directly by a role without the permission gets the 403 page.

pub mod audit;
pub mod clients;
mod frame;
pub mod general;
pub mod members;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/settings", get(general::show))
        .route("/o/{org_id}/settings/rename", post(general::rename))
        .route("/o/{org_id}/settings/delete", post(general::delete))
        .route("/o/{org_id}/settings/members", get(members::show))
        .route("/o/{org_id}/settings/members/{user_id}/role", post(members::change_role))
        .route("/o/{org_id}/settings/members/{user_id}/remove", post(members::remove))
        .route("/o/{org_id}/settings/invites", post(members::invite))
        .route("/o/{org_id}/settings/invites/{invite_id}/revoke", post(members::revoke))
        .route("/o/{org_id}/settings/clients", get(clients::list).post(clients::create))
        .route("/o/{org_id}/settings/clients/{client_id}", get(clients::edit).post(clients::update))
        .route("/o/{org_id}/settings/clients/{client_id}/delete", post(clients::delete))
        .route("/o/{org_id}/settings/audit", get(audit::show))
}
