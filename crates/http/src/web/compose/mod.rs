//! The composer: write a post once, adapt it per channel, attach media, then save a draft,
//! schedule it in the viewer's timezone or publish it now. Also the small endpoints its
//! script uses: the per-channel character counts (the server's own counting), uploads and
//! thumbnails.

mod count;
mod edit;
mod finish;
mod form;
pub mod media;
mod new;
mod page;
mod view;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/compose", get(new::new_post).post(new::create))
        .route("/o/{org_id}/posts/{post_id}/edit", get(edit::edit).post(edit::save))
        .route("/o/{org_id}/compose/count", post(count::count))
        // Uploads read their own, larger limit instead of the JSON one.
        .route("/o/{org_id}/compose/media", post(media::upload.layer(DefaultBodyLimit::disable())))
        .route("/o/{org_id}/compose/media/{media_id}", get(media::thumbnail))
}
