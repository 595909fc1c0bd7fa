//! /api/v1/orgs/{org_id}/conversations (the unified inbox) and the sandbox's "receive".

pub mod responses;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use responses::{
    BulkActionName, BulkRequest, BulkResult, Conversation, ConversationList, ConversationPatch, InboundEvent,
    InboundEventList, Message, MessageList, Received, ReplyRequest, SandboxReceiveRequest,
};
use sellcast_app::inbox::{self, sandbox, BulkAction, ConversationChange, ConversationQuery, TimePage};
use sellcast_domain::{ConversationKind, ConversationStatus, Platform};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationsQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Comma-separated statuses (`open,pending`); all when absent.
    pub status: Option<String>,
    pub channel_id: Option<String>,
    pub client_id: Option<String>,
    pub platform: Option<String>,
    /// `direct`, `comment` or `mention`.
    pub kind: Option<String>,
    /// Only unread (true) or only read (false) for the caller.
    pub unread: Option<bool>,
    /// Last activity at or after.
    pub since: Option<DateTime<Utc>>,
    /// Last activity before.
    pub until: Option<DateTime<Utc>>,
}

fn parse_statuses(raw: Option<&str>) -> ApiResult<Vec<ConversationStatus>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else { return Ok(vec![]) };
    raw.split(',')
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|e: sellcast_domain::text_enum::UnknownValue| ApiError::field("status", &e.to_string()))
        })
        .collect()
}

/// The inbox: conversations with the latest activity first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/conversations", tag = "inbox", security(("bearer" = [])),
    params(("org_id" = String, Path), ConversationsQuery), responses((status = 200, body = ConversationList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ConversationsQuery>,
) -> ApiResult<Json<ConversationList>> {
    let page = TimePage::parse(q.limit, q.cursor.as_deref())?;
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(k.parse::<ConversationKind>().map_err(|e| ApiError::field("kind", &e.to_string()))?),
        None => None,
    };
    let platform = match q.platform.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(p.parse::<Platform>().map_err(|e| ApiError::field("platform", &e))?.as_str()),
        None => None,
    };
    let query = ConversationQuery {
        statuses: parse_statuses(q.status.as_deref())?,
        channel_id: q.channel_id.as_deref().filter(|v| !v.is_empty()),
        client_id: q.client_id.as_deref().filter(|v| !v.is_empty()),
        platform,
        kind,
        unread: q.unread,
        since: q.since,
        until: q.until,
    };
    let (rows, next_cursor) = inbox::list(&s.app, &actor, &org_id, &query, &page).await?;
    let now = s.app.clock.now();
    Ok(Json(ConversationList { items: rows.into_iter().map(|c| Conversation::of(c, now)).collect(), next_cursor }))
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = Conversation)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Conversation>> {
    let c = inbox::get(&s.app, &actor, &org_id, &id).await?;
    Ok(Json(Conversation::of(c, s.app.clock.now())))
}

/// Change status (snooze with `snoozed_until`) or priority (owner, admin, manager, editor).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    request_body = ConversationPatch, responses((status = 200, body = Conversation)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<ConversationPatch>,
) -> ApiResult<Json<Conversation>> {
    let change = ConversationChange { status: r.status, snoozed_until: r.snoozed_until, priority: r.priority };
    let c = inbox::update(&s.app, &actor, &org_id, &id, &change).await?;
    Ok(Json(Conversation::of(c, s.app.clock.now())))
}

/// Mark read for the caller.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/read", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = Conversation)))]
pub async fn mark_read(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Conversation>> {
    let c = inbox::mark(&s.app, &actor, &org_id, &id, true).await?;
    Ok(Json(Conversation::of(c, s.app.clock.now())))
}

/// Mark unread for the caller.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/unread", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = Conversation)))]
pub async fn mark_unread(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Conversation>> {
    let c = inbox::mark(&s.app, &actor, &org_id, &id, false).await?;
    Ok(Json(Conversation::of(c, s.app.clock.now())))
}

/// Mark read or unread, resolve or reopen many conversations at once.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/conversations/bulk", tag = "inbox", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = BulkRequest, responses((status = 200, body = BulkResult)))]
pub async fn bulk(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(r): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkResult>> {
    let action = match r.action {
        BulkActionName::MarkRead => BulkAction::MarkRead,
        BulkActionName::MarkUnread => BulkAction::MarkUnread,
        BulkActionName::Resolve => BulkAction::Resolve,
        BulkActionName::Reopen => BulkAction::Reopen,
    };
    Ok(Json(BulkResult { updated: inbox::bulk(&s.app, &actor, &org_id, &r.ids, action).await? }))
}

/// The thread, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/messages", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("conversation_id" = String, Path),
    crate::api::shared::PageQuery), responses((status = 200, body = MessageList)))]
pub async fn messages(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<crate::api::shared::PageQuery>,
) -> ApiResult<Json<MessageList>> {
    let page = TimePage::parse(q.limit, q.cursor.as_deref())?;
    Ok(Json(MessageList::new(inbox::messages(&s.app, &actor, &org_id, &id, &page).await?)))
}

/// Reply: stored as `queued` and sent by the queue (201; 200 with the first reply when the
/// idempotency key was used before). WhatsApp outside its 24-hour window takes only `template`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/messages", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    request_body = ReplyRequest,
    responses((status = 201, body = Message), (status = 200, body = Message, description = "Already sent with this idempotency key")))]
pub async fn reply(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<ReplyRequest>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let input = inbox::ReplyInput {
        text: r.text,
        template: r.template.map(|t| inbox::TemplateInput {
            name: t.name,
            language: t.language,
            parameters: t.parameters,
        }),
        private: r.private,
        idempotency_key: r.idempotency_key,
    };
    let (message, created) = inbox::reply(&s.app, &actor, &org_id, &id, input).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(message.into())))
}

/// Sandbox channels: "receive" a message from a made-up customer, through the same stored
/// event and processing as a webhook (202: it shows in the inbox once processed).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/channels/{channel_id}/sandbox/receive", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("channel_id" = String, Path)),
    request_body = SandboxReceiveRequest, responses((status = 202, body = Received), (status = 404, body = ErrorBody)))]
pub async fn sandbox_receive(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, channel_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<SandboxReceiveRequest>,
) -> ApiResult<(StatusCode, Json<Received>)> {
    let input = sandbox::SandboxInbound {
        kind: r.kind,
        from_name: r.from_name,
        from_username: r.from_username,
        text: r.text,
        post_id: r.post_id,
    };
    let event_id = sandbox::receive(&s.app, &actor, &org_id, &channel_id, input).await?;
    Ok((StatusCode::ACCEPTED, Json(Received { event_id })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboundEventsQuery {
    /// 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_before` of the previous page.
    pub before: Option<i64>,
}

/// Instance admins: inbound events that are dead, or hold items for no connected channel or
/// of unknown shapes, with their raw bodies, newest first.
#[utoipa::path(get, path = "/api/v1/admin/inbound-events", tag = "admin", security(("bearer" = [])),
    params(InboundEventsQuery), responses((status = 200, body = InboundEventList)))]
pub async fn admin_inbound_events(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<InboundEventsQuery>,
) -> ApiResult<Json<InboundEventList>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 200"));
    }
    let mut rows = inbox::flagged_events(&s.app, &actor, q.before, limit + 1).await?;
    let next_before = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    });
    Ok(Json(InboundEventList {
        items: rows.into_iter().map(InboundEvent::from).collect(),
        next_before: next_before.flatten(),
    }))
}

/// An attachment of a message, as copied into Sellcast's storage (its `content_url`). Types
/// that are not images or videos Sellcast recognises by their bytes are served as downloads.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/messages/{message_id}/attachments/{index}", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("message_id" = String, Path), ("index" = usize, Path)),
    responses((status = 200, description = "The bytes, with their Content-Type", content((Vec<u8> = "application/octet-stream"))),
              (status = 404, body = ErrorBody)))]
pub async fn attachment(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, message_id, index)): ApiPath<(String, String, usize)>,
) -> ApiResult<axum::response::Response> {
    let (bytes, content_type, inline) = inbox::media::attachment(&s.app, &actor, &org_id, &message_id, index).await?;
    Ok(attachment_response(bytes, &content_type, inline))
}

/// The bytes as their sniffed type, or as a download when they are not a known image/video.
pub fn attachment_response(bytes: axum::body::Bytes, content_type: &str, inline: bool) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res =
        crate::api::media::file_response(bytes, if inline { content_type } else { "application/octet-stream" });
    if !inline {
        res.headers_mut()
            .insert(axum::http::header::CONTENT_DISPOSITION, axum::http::HeaderValue::from_static("attachment"));
    }
    res.into_response()
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TemplateItem {
    pub name: String,
    /// e.g. `en_US`.
    pub language: String,
    /// MARKETING, UTILITY or AUTHENTICATION.
    pub category: String,
    /// The body with its `{{1}}`, `{{2}}`… placeholders.
    pub body: String,
    /// How many parameters the body takes.
    pub parameters: usize,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateItem>,
}

/// WhatsApp: the account's approved templates, read from WhatsApp (what a reply outside the
/// 24-hour window can send).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/templates", tag = "inbox",
    security(("bearer" = [])), params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = TemplateList), (status = 502, body = ErrorBody)))]
pub async fn templates(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<TemplateList>> {
    let items = inbox::templates::for_conversation(&s.app, &actor, &org_id, &id).await?;
    Ok(Json(TemplateList {
        items: items
            .into_iter()
            .map(|t| TemplateItem {
                name: t.name,
                language: t.language,
                category: t.category,
                body: t.body,
                parameters: t.parameters,
            })
            .collect(),
    }))
}
