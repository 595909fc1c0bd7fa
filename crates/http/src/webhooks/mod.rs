//! Inbound webhooks from the platforms (outside /api/v1: the platforms call them, not users).
//! Each checks its signature over the raw body, stores the delivery durably, and only then
//! answers 200; processing happens on the queue.

pub mod meta;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/webhooks/meta",
        get(meta::verify).post(meta::receive).layer(DefaultBodyLimit::max(sellcast_app::inbox::MAX_WEBHOOK_BYTES)),
    )
}
