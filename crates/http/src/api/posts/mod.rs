//! /api/v1/orgs/{org_id}/posts: compose, list, schedule, publish.

pub mod responses;

use self::responses::{Post, PostList};
use crate::api::shared::{nullable, page};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use sellcast_app::posts::{self, schedule, PostInput, VariantInput};
use sellcast_domain::PostStatus;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantRequest {
    /// The channel to publish to.
    pub channel_id: String,
    /// This channel's text; absent: the post's text.
    pub text: Option<String>,
    /// A subset of the post's media, in this order; absent: all of them.
    pub media_ids: Option<Vec<String>>,
    /// Posted as a reply right after the post, where the platform allows it.
    pub first_comment: Option<String>,
    /// Platform options.
    #[schema(value_type = Object)]
    pub options: Option<Value>,
}

impl From<VariantRequest> for VariantInput {
    fn from(v: VariantRequest) -> Self {
        VariantInput {
            channel_id: v.channel_id,
            text: v.text,
            media_ids: v.media_ids,
            first_comment: v.first_comment,
            options: v.options,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostRequest {
    #[schema(max_length = 63206)]
    pub text: Option<String>,
    /// Uploaded media, in order.
    pub media_ids: Option<Vec<String>>,
    /// At most 30; stored lower-cased without `#`.
    pub tags: Option<Vec<String>>,
    #[schema(max_length = 100)]
    pub campaign: Option<String>,
    pub client_id: Option<String>,
    /// One per target channel.
    pub variants: Option<Vec<VariantRequest>>,
    /// RFC 3339. When given, the post is created scheduled (one transaction: if scheduling is
    /// refused, nothing is stored).
    pub scheduled_at: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePostRequest {
    #[schema(max_length = 63206)]
    pub text: Option<String>,
    pub media_ids: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    /// null clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub campaign: Option<Option<String>>,
    /// null clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub client_id: Option<Option<String>>,
    /// The full set of targets: channels not listed are removed.
    pub variants: Option<Vec<VariantRequest>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// RFC 3339, e.g. 2026-05-01T09:30:00+02:00.
    pub scheduled_at: String,
}

fn instant(field: &str, raw: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| ApiError::field(field, "must be an RFC 3339 time such as 2026-05-01T09:30:00Z"))
}

fn variants(v: Option<Vec<VariantRequest>>) -> Option<Vec<VariantInput>> {
    v.map(|v| v.into_iter().map(VariantInput::from).collect())
}

/// Create a draft, or with `scheduled_at` a scheduled post: the post, its variants and their
/// publish jobs in one transaction, so a refused schedule stores nothing.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/posts", tag = "posts", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = CreatePostRequest,
    responses((status = 201, body = Post)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(r): ApiJson<CreatePostRequest>,
) -> ApiResult<Response> {
    // Parsed first: a malformed time must not leave a draft behind.
    let at = r.scheduled_at.as_deref().map(|t| instant("scheduled_at", t)).transpose()?;
    let input = PostInput {
        text: r.text,
        media_ids: r.media_ids,
        tags: r.tags,
        campaign: Some(r.campaign),
        client_id: Some(r.client_id),
        variants: variants(r.variants),
    };
    // One transaction: a post that cannot be scheduled is not stored either.
    let view = posts::create_scheduled(&s.app, &actor, &org_id, input, at).await?;
    Ok((StatusCode::CREATED, Json(Post::from(view))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostQuery {
    /// One status or several, comma-separated (draft,scheduled,…).
    pub status: Option<String>,
    /// Posts targeting this channel.
    pub channel_id: Option<String>,
    pub client_id: Option<String>,
    pub tag: Option<String>,
    /// Scheduled at or after this RFC 3339 time.
    pub from: Option<String>,
    /// Scheduled before this RFC 3339 time.
    pub to: Option<String>,
    /// Text contains (case-insensitive).
    pub q: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn statuses(raw: Option<&str>) -> ApiResult<Vec<PostStatus>> {
    let mut out = Vec::new();
    for s in raw.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let status = s
            .parse::<PostStatus>()
            .map_err(|e| ApiError::field("status", &format!("must be among {}", e.expected.join(", "))))?;
        out.push(status);
    }
    Ok(out)
}

/// Posts of the organization, newest first, with their variants.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/posts", tag = "posts", security(("bearer" = [])),
    params(("org_id" = String, Path), PostQuery), responses((status = 200, body = PostList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PostQuery>,
) -> ApiResult<Json<PostList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    // Tags are stored lower-cased without '#', text is searched lower-cased.
    let tag = q.tag.as_deref().map(|t| t.trim().trim_start_matches('#').to_lowercase()).filter(|t| !t.is_empty());
    let filter = posts::PostQuery {
        statuses: statuses(q.status.as_deref())?,
        channel_id: q.channel_id.as_deref(),
        client_id: q.client_id.as_deref(),
        tag: tag.as_deref(),
        from: q.from.as_deref().map(|t| instant("from", t)).transpose()?,
        to: q.to.as_deref().map(|t| instant("to", t)).transpose()?,
        text: q.q.as_deref().map(str::to_lowercase).filter(|t| !t.is_empty()),
    };
    let (rows, next_cursor) = posts::list(&s.app, &actor, &org_id, &filter, &p).await?;
    Ok(Json(PostList { items: rows.into_iter().map(Post::from).collect(), next_cursor }))
}

/// One post with its variants.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/posts/{post_id}", tag = "posts", security(("bearer" = [])),
    params(("org_id" = String, Path), ("post_id" = String, Path)), responses((status = 200, body = Post)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Post>> {
    Ok(Json(posts::get(&s.app, &actor, &org_id, &post_id).await?.into()))
}

/// Edit a draft, scheduled or failed post; absent fields stay, `campaign`/`client_id` null
/// clears them.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/posts/{post_id}", tag = "posts", security(("bearer" = [])),
    params(("org_id" = String, Path), ("post_id" = String, Path)), request_body = UpdatePostRequest,
    responses((status = 200, body = Post), (status = 409, description = "Publishing or published", body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<UpdatePostRequest>,
) -> ApiResult<Json<Post>> {
    let input = PostInput {
        text: r.text,
        media_ids: r.media_ids,
        tags: r.tags,
        campaign: r.campaign,
        client_id: r.client_id,
        variants: variants(r.variants),
    };
    Ok(Json(posts::update(&s.app, &actor, &org_id, &post_id, input).await?.into()))
}

/// Delete a post (owner, admin); its waiting publish jobs are cancelled. 409 while it is
/// being published.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/posts/{post_id}", tag = "posts", security(("bearer" = [])),
    params(("org_id" = String, Path), ("post_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    posts::delete(&s.app, &actor, &org_id, &post_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Schedule or reschedule. The post is checked against every target platform's rules, and
/// its publish jobs are written with it.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/posts/{post_id}/schedule", tag = "posts", security(("bearer" = [])),
    params(("org_id" = String, Path), ("post_id" = String, Path)), request_body = ScheduleRequest,
    responses((status = 200, body = Post), (status = 409, body = ErrorBody)))]
pub async fn schedule(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<ScheduleRequest>,
) -> ApiResult<Json<Post>> {
    let at = instant("scheduled_at", &r.scheduled_at)?;
    Ok(Json(schedule::schedule(&s.app, &actor, &org_id, &post_id, at).await?.into()))
}

/// Back to draft; waiting publish jobs are cancelled.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/posts/{post_id}/unschedule", tag = "posts",
    security(("bearer" = [])), params(("org_id" = String, Path), ("post_id" = String, Path)),
    responses((status = 200, body = Post), (status = 409, body = ErrorBody)))]
pub async fn unschedule(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Post>> {
    Ok(Json(schedule::unschedule(&s.app, &actor, &org_id, &post_id).await?.into()))
}

/// Publish now (owner, admin, manager).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/posts/{post_id}/publish", tag = "posts", security(("bearer" = [])),
    params(("org_id" = String, Path), ("post_id" = String, Path)),
    responses((status = 200, body = Post), (status = 409, body = ErrorBody)))]
pub async fn publish(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Post>> {
    Ok(Json(schedule::publish_now(&s.app, &actor, &org_id, &post_id).await?.into()))
}

/// A new draft with the same content and targets.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/posts/{post_id}/duplicate", tag = "posts",
    security(("bearer" = [])), params(("org_id" = String, Path), ("post_id" = String, Path)),
    responses((status = 201, body = Post)))]
pub async fn duplicate(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id)): ApiPath<(String, String)>,
) -> ApiResult<(StatusCode, Json<Post>)> {
    Ok((StatusCode::CREATED, Json(posts::duplicate(&s.app, &actor, &org_id, &post_id).await?.into())))
}

/// Try a failed variant again, now.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/posts/{post_id}/variants/{variant_id}/retry", tag = "posts",
    security(("bearer" = [])),
    params(("org_id" = String, Path), ("post_id" = String, Path), ("variant_id" = String, Path)),
    responses((status = 200, body = Post), (status = 409, description = "Not failed, or the channel needs reconnecting", body = ErrorBody)))]
pub async fn retry(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, post_id, variant_id)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<Post>> {
    Ok(Json(schedule::retry_variant(&s.app, &actor, &org_id, &post_id, &variant_id).await?.into()))
}
