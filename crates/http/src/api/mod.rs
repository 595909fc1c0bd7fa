//! The JSON API under /api/v1, one module per feature; each owns its request and response
//! types (a large feature keeps its responses in `responses.rs` beside its handlers). What
//! several features share is in `shared.rs`; the error body is `crate::error`.

pub mod admin_jobs;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod channels;
pub mod clients;
pub mod conversations;
pub mod domain_schemas;
pub mod invites;
pub mod me;
pub mod media;
pub mod notifications;
pub mod oauth;
pub mod orgs;
pub mod posts;
pub mod shared;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{delete, get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password/forgot", post(auth::forgot))
        .route("/auth/password/reset", post(auth::reset))
        .route("/auth/mfa/totp", get(auth::totp_status))
        .route("/auth/mfa/totp/setup", post(auth::totp_setup))
        .route("/auth/mfa/totp/verify", post(auth::totp_verify))
        .route("/auth/mfa/totp/disable", post(auth::totp_disable))
        .route("/auth/mfa/totp/recovery-codes", post(auth::totp_recovery_codes))
        .route("/me", get(me::get).patch(me::update).delete(me::delete))
        .route("/me/export", get(me::export))
        .route("/me/sessions", get(me::sessions))
        .route("/me/sessions/{session_id}", delete(me::revoke_session))
        .route("/orgs", get(orgs::list).post(orgs::create))
        .route("/orgs/{org_id}", get(orgs::get).patch(orgs::update).delete(orgs::delete))
        .route("/orgs/{org_id}/members", get(orgs::members))
        .route("/orgs/{org_id}/members/{user_id}", delete(orgs::remove).patch(orgs::change_role))
        .route("/orgs/{org_id}/invites", get(invites::list).post(invites::create))
        .route("/orgs/{org_id}/invites/{invite_id}", delete(invites::revoke))
        .route("/invites/accept", post(invites::accept))
        .route("/invites/{token}", get(invites::preview))
        .route("/orgs/{org_id}/clients", get(clients::list).post(clients::create))
        .route("/orgs/{org_id}/clients/{client_id}", get(clients::get).patch(clients::update).delete(clients::delete))
        .route("/orgs/{org_id}/audit-log", get(audit::list))
        .route("/admin/jobs", get(admin_jobs::list))
        .route("/admin/jobs/{job_id}", get(admin_jobs::get))
        .route("/admin/jobs/{job_id}/retry", post(admin_jobs::retry))
        .route("/admin/jobs/{job_id}/cancel", post(admin_jobs::cancel))
        .merge(publishing())
        .merge(inbox())
}

/// The unified inbox.
fn inbox() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/conversations", get(conversations::list))
        .route("/orgs/{org_id}/conversations/bulk", post(conversations::bulk))
        .route("/orgs/{org_id}/conversations/{conversation_id}", get(conversations::get).patch(conversations::update))
        .route("/orgs/{org_id}/conversations/{conversation_id}/read", post(conversations::mark_read))
        .route("/orgs/{org_id}/conversations/{conversation_id}/unread", post(conversations::mark_unread))
        .route(
            "/orgs/{org_id}/conversations/{conversation_id}/messages",
            get(conversations::messages).post(conversations::reply),
        )
        .route("/orgs/{org_id}/conversations/{conversation_id}/templates", get(conversations::templates))
        .route("/orgs/{org_id}/channels/{channel_id}/sandbox/receive", post(conversations::sandbox_receive))
        .route("/orgs/{org_id}/messages/{message_id}/attachments/{index}", get(conversations::attachment))
        .route("/admin/inbound-events", get(conversations::admin_inbound_events))
}

/// Channels, media, posts, calendar and notifications.
fn publishing() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/channels", get(channels::list))
        .route("/orgs/{org_id}/channels/connect", post(channels::connect))
        .route(
            "/orgs/{org_id}/channels/{channel_id}",
            get(channels::get).patch(channels::update).delete(channels::disconnect),
        )
        .route("/orgs/{org_id}/channels/{channel_id}/reconnect", post(channels::reconnect))
        .route("/orgs/{org_id}/channels/{channel_id}/health", get(channels::health))
        .route("/oauth/{platform}/callback", get(oauth::callback))
        // Uploads read their own, larger limit (media::upload_limit) instead of the JSON one.
        .route("/orgs/{org_id}/media", get(media::list).post(media::upload.layer(DefaultBodyLimit::disable())))
        .route("/orgs/{org_id}/media/{media_id}", get(media::get).patch(media::update).delete(media::delete))
        .route("/orgs/{org_id}/media/{media_id}/content", get(media::content))
        .route("/orgs/{org_id}/posts", get(posts::list).post(posts::create))
        .route("/orgs/{org_id}/posts/{post_id}", get(posts::get).patch(posts::update).delete(posts::delete))
        .route("/orgs/{org_id}/posts/{post_id}/schedule", post(posts::schedule))
        .route("/orgs/{org_id}/posts/{post_id}/unschedule", post(posts::unschedule))
        .route("/orgs/{org_id}/posts/{post_id}/publish", post(posts::publish))
        .route("/orgs/{org_id}/posts/{post_id}/duplicate", post(posts::duplicate))
        .route("/orgs/{org_id}/posts/{post_id}/variants/{variant_id}/retry", post(posts::retry))
        .route("/orgs/{org_id}/calendar", get(calendar::days))
        .route("/me/calendar-feed", post(calendar::create_feed).delete(calendar::delete_feed))
        .route("/orgs/{org_id}/notifications", get(notifications::list))
        .route("/orgs/{org_id}/notifications/read", post(notifications::mark_read))
}
