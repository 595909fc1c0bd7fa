//! The posts list (filters as a plain GET form, cursor pages) and the post page (per-channel
//! status, platform links, errors, and the actions: retry, unschedule, publish now,
//! duplicate, delete, edit). Rows carry `data-post-id` so the event stream updates them live.

mod actions;
mod detail;
mod list;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/posts", get(list::list))
        .route("/o/{org_id}/posts/{post_id}", get(detail::show))
        .route("/o/{org_id}/posts/{post_id}/publish", post(actions::publish_now))
        .route("/o/{org_id}/posts/{post_id}/unschedule", post(actions::unschedule))
        .route("/o/{org_id}/posts/{post_id}/duplicate", post(actions::duplicate))
        .route("/o/{org_id}/posts/{post_id}/delete", post(actions::delete))
        .route("/o/{org_id}/posts/{post_id}/retry", post(actions::retry))
}
