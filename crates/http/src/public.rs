//! Public routes outside /api: signed media links (platforms such as Meta fetch media by
//! URL), the iCal feed at its secret URL, and the sandbox network's published posts and
//! account profiles. None takes a bearer token; the signature, the secret or the post's or
//! account's id is the credential.

use crate::api::channels::responses::SandboxPost;
use crate::api::media::{file_response, variant_name};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use sellcast_app::channels::sandbox::profile::{ProfilePost, SandboxProfile as ProfileView};
use sellcast_app::{calendar, channels, media};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/media/{media_id}/{variant}", get(signed_media))
        .route("/ical/{file}", get(ical_feed))
        .route("/sandbox/{account_id}", get(sandbox_profile))
        .route("/sandbox/{channel_id}/{post_id}", get(sandbox_post))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignedQuery {
    /// Unix time after which the link stops working.
    pub expires: Option<i64>,
    /// HMAC of the media id, variant and expiry.
    pub sig: Option<String>,
}

/// A media file by signed link; an invalid or expired signature is a 404.
#[utoipa::path(get, path = "/media/{media_id}/{variant}", tag = "public",
    params(("media_id" = String, Path), ("variant" = String, Path, description = "original, thumbnail or a platform"), SignedQuery),
    responses((status = 200, description = "The bytes, with their Content-Type", content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"), (Vec<u8> = "image/gif"), (Vec<u8> = "video/mp4"), (Vec<u8> = "video/quicktime"))),
        (status = 400, description = "Malformed expiry or signature", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown, expired or wrongly signed", body = crate::error::ErrorBody)))]
pub async fn signed_media(
    State(s): State<AppState>,
    ApiPath((media_id, variant)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<SignedQuery>,
) -> ApiResult<Response> {
    let variant = variant_name(Some(&variant)).map_err(|_| ApiError::not_found("media not found"))?;
    let (Some(expires), Some(sig)) = (q.expires, q.sig.as_deref()) else {
        return Err(ApiError::not_found("media not found"));
    };
    let (bytes, mime) = media::signed_content(&s.app, &media_id, &variant, expires, sig).await?;
    Ok(file_response(bytes, &mime))
}

/// The iCal feed of the user's scheduled and published posts (RFC 5545), at the secret URL
/// made by `POST /api/v1/me/calendar-feed`.
#[utoipa::path(get, path = "/ical/{token}.ics", tag = "public",
    params(("token" = String, Path, description = "The feed's secret")),
    responses((status = 200, description = "text/calendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown or revoked feed", body = crate::error::ErrorBody)))]
pub async fn ical_feed(State(s): State<AppState>, ApiPath(file): ApiPath<String>) -> ApiResult<Response> {
    // axum cannot capture part of a segment: the segment is `{token}.ics`.
    let token =
        file.strip_suffix(".ics").filter(|t| !t.is_empty()).ok_or_else(|| ApiError::not_found("no such feed"))?;
    let body = calendar::feed(&s.app, token).await?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8")),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300")),
    ];
    Ok((headers, body).into_response())
}

/// A post on the sandbox network (the `platform_url` of a sandbox variant).
#[utoipa::path(get, path = "/sandbox/{channel_id}/{post_id}", tag = "public",
    params(("channel_id" = String, Path), ("post_id" = String, Path)),
    responses((status = 200, body = SandboxPost), (status = 404, description = "No such post", body = crate::error::ErrorBody)))]
pub async fn sandbox_post(
    State(s): State<AppState>,
    ApiPath((channel_id, post_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<SandboxPost>> {
    Ok(Json(channels::sandbox::post(&s.app, &channel_id, &post_id).await?.into()))
}

/// An account on the sandbox network and its posts, newest first (at most 50).
#[derive(Debug, Serialize, ToSchema)]
pub struct SandboxProfile {
    /// The account's id (its channel's id in Sellcast).
    pub account_id: String,
    pub name: String,
    pub posts: Vec<SandboxProfilePost>,
}

/// A post on a sandbox profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct SandboxProfilePost {
    pub id: String,
    pub text: String,
    /// The post this one replies to (a first comment).
    pub reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The post's own page.
    pub url: String,
}

impl From<ProfileView> for SandboxProfile {
    fn from(p: ProfileView) -> Self {
        SandboxProfile { account_id: p.account_id, name: p.name, posts: p.posts.into_iter().map(Into::into).collect() }
    }
}

impl From<ProfilePost> for SandboxProfilePost {
    fn from(p: ProfilePost) -> Self {
        SandboxProfilePost { id: p.id, text: p.text, reply_to: p.reply_to, created_at: p.created_at, url: p.url }
    }
}

/// An account on the sandbox network (the `profile_url` of a sandbox channel).
#[utoipa::path(get, path = "/sandbox/{account_id}", tag = "public",
    params(("account_id" = String, Path)),
    responses((status = 200, body = SandboxProfile), (status = 404, description = "No such account", body = crate::error::ErrorBody)))]
pub async fn sandbox_profile(
    State(s): State<AppState>,
    ApiPath(account_id): ApiPath<String>,
) -> ApiResult<Json<SandboxProfile>> {
    Ok(Json(channels::sandbox::profile::profile(&s.app, &account_id).await?.into()))
}
