//! The web application: server-rendered pages (maud, checked at compile time) over the same
//! app-layer use cases as the API, with our own CSS and a little JavaScript for progressive
//! enhancement. Every form works without JavaScript.
//!
//! URL map: `/signin`, `/signup`, `/forgot-password`, `/reset-password`, `/invites/accept`,
//! `/onboarding`, `/account`, `/notifications`, `/admin/jobs`, and each workspace under
//! `/o/{org_id}` (dashboard, compose, calendar, posts, channels, settings).
//!
//! Layout: a feature with several pages is a folder (`compose/`, `posts/`, …) whose `mod.rs`
//! holds its routes and whose files hold one page or form action each. Shared pieces sit
//! below every feature: `session` (cookies, CSRF, forms), `scope` (the signed-in extractors),
//! `layout` (the frames), `error`, `accept`, and the view helpers in `ui`.

pub mod accept;
pub mod account;
pub mod admin_inbound;
pub mod admin_jobs;
pub mod assets;
pub mod auth;
pub mod calendar;
pub mod channels;
pub mod compose;
pub mod dashboard;
pub mod error;
pub mod inbox;
pub mod invites;
pub mod layout;
pub mod notifications;
pub mod onboarding;
pub mod posts;
pub mod scope;
pub mod session;
pub mod settings;
pub mod ui;

use crate::state::AppState;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/assets/{name}", get(assets::serve))
        .route("/signin", get(auth::signin_form).post(auth::signin))
        .route("/signin/mfa", post(auth::signin_mfa))
        .route("/signup", get(auth::signup_form).post(auth::signup))
        .route("/signout", post(auth::signout))
        .route("/forgot-password", get(auth::forgot_form).post(auth::forgot))
        .route("/reset-password", get(auth::reset_form).post(auth::reset))
        .route("/invites/accept", get(invites::show).post(invites::accept))
        .route("/onboarding", get(onboarding::show).post(onboarding::create_org))
        .route("/onboarding/{org_id}/sandbox", post(onboarding::connect_sandbox))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_read))
        .merge(account::router())
        .merge(channels::router())
        .merge(settings::router())
        .merge(admin_jobs::router())
        .merge(admin_inbound::router())
        .merge(dashboard::router())
        .merge(calendar::router())
        .merge(compose::router())
        .merge(posts::router())
        .merge(inbox::router())
        .layer(axum::middleware::from_fn(session::clear_flash))
}

pub fn not_found_page() -> Response {
    error::WebError::not_found().into_response()
}
