//! The Channels page: the workspace's connected accounts with their health, reconnect,
//! disconnect and client assignment, and a connect button per platform.
//!
//! OAuth platforms: the CSP has `form-action 'self'`, and browsers apply it to the redirects
//! that follow a form submission (Chrome refuses a POST answered by a 303 to another origin).
//! So connecting answers the POST with a small page holding a plain link to the platform's
//! authorize URL ("Continue to X"); following a link is not a form submission, so the CSP
//! allows it. `channels.js` follows that link at once when JavaScript runs. The platform sends
//! the user back to `/api/v1/oauth/{platform}/callback`, which answers 303 to this page with
//! `?connected=<n>` or `?error=<message>` (the `redirect_after` given when connecting started).

mod actions;
mod connect;
mod connect_ui;
mod page;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/channels", get(page::show))
        .route("/o/{org_id}/channels/connect/{platform}", post(connect::connect_platform))
        .route("/o/{org_id}/channels/{channel_id}/reconnect", post(connect::reconnect))
        .route("/o/{org_id}/channels/{channel_id}/disconnect", post(actions::disconnect))
        .route("/o/{org_id}/channels/{channel_id}/client", post(actions::assign_client))
}
