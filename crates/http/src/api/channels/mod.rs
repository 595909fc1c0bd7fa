//! /api/v1/orgs/{org_id}/channels: connected platform accounts.

pub mod responses;

use self::responses::{parse_platform, AuthorizeRedirect, Channel, ChannelHealth, ChannelList, ConnectedChannels};
use crate::api::domain_schemas::PlatformSchema;
use crate::api::shared::{nullable, page};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sellcast_app::channels;
use sellcast_app::channels::connect::{self, ConnectInput, Started};
use sellcast_domain::ChannelStatus;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// Only this platform (sandbox, bluesky, mastodon, x, linkedin, facebook, instagram, threads).
    pub platform: Option<String>,
    /// Only channels in this state: active, needs_reconnect or disconnected.
    pub status: Option<String>,
    /// Only channels of this client.
    pub client_id: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Channels of the organization, newest first. Credentials are never shown.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/channels", tag = "channels", security(("bearer" = [])),
    params(("org_id" = String, Path), ChannelQuery), responses((status = 200, body = ChannelList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChannelQuery>,
) -> ApiResult<Json<ChannelList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    let platform = q.platform.as_deref().map(|raw| parse_platform("platform", raw)).transpose()?;
    let status = q
        .status
        .as_deref()
        .map(|st| st.parse::<ChannelStatus>())
        .transpose()
        .map_err(|_| ApiError::field("status", "must be one of active, needs_reconnect, disconnected"))?;
    let filter =
        channels::ChannelQuery { platform: platform.map(|p| p.as_str()), status, client_id: q.client_id.as_deref() };
    let (rows, next_cursor) = channels::list(&s.app, &actor, &org_id, &filter, &p).await?;
    Ok(Json(ChannelList { items: rows.into_iter().map(Channel::from).collect(), next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// sandbox, bluesky, mastodon, x, linkedin, facebook, instagram, threads or whatsapp.
    #[schema(value_type = PlatformSchema)]
    pub platform: String,
    /// The client the new channels belong to.
    pub client_id: Option<String>,
    /// Mastodon: the instance (required). Bluesky: the PDS (default: the configured one).
    pub server_url: Option<String>,
    /// Bluesky: handle or email.
    pub identifier: Option<String>,
    /// Bluesky: an app password (Settings → App passwords), never the account password.
    pub app_password: Option<String>,
    /// Sandbox: the name to show.
    #[schema(max_length = 100)]
    pub name: Option<String>,
    /// WhatsApp: the business phone number's id (digits).
    pub phone_number_id: Option<String>,
    /// WhatsApp: the WhatsApp Business Account id (digits).
    pub waba_id: Option<String>,
    /// WhatsApp: a system user's access token (stored encrypted, never shown again).
    pub access_token: Option<String>,
    /// OAuth platforms: a path of this site to return to after authorizing (the callback
    /// then answers 303 there, with `?connected=<n>`); without it the callback answers JSON.
    pub redirect_after: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconnectRequest {
    pub client_id: Option<String>,
    pub server_url: Option<String>,
    pub identifier: Option<String>,
    pub app_password: Option<String>,
    #[schema(max_length = 100)]
    pub name: Option<String>,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub access_token: Option<String>,
    pub redirect_after: Option<String>,
}

/// 201 with the channels when connected at once, 200 with the URL to authorize at otherwise.
fn started(result: Started) -> Response {
    match result {
        Started::Connected(rows) => {
            let channels = rows.into_iter().map(Channel::from).collect();
            (StatusCode::CREATED, Json(ConnectedChannels { channels })).into_response()
        }
        Started::Authorize { authorize_url, expires_at } => {
            (StatusCode::OK, Json(AuthorizeRedirect { authorize_url, expires_at })).into_response()
        }
    }
}

/// Connect an account (owner, admin). The sandbox and Bluesky (handle + app password)
/// connect at once; OAuth platforms answer with the URL to send the user to, and the
/// platform sends them back to `/api/v1/oauth/{platform}/callback`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/channels/connect", tag = "channels", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = ConnectRequest,
    responses((status = 201, description = "Connected", body = ConnectedChannels),
        (status = 200, description = "Authorize on the platform first", body = AuthorizeRedirect),
        (status = 409, body = ErrorBody), (status = 502, description = "The platform failed", body = ErrorBody)))]
pub async fn connect(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(r): ApiJson<ConnectRequest>,
) -> ApiResult<Response> {
    let platform = parse_platform("platform", &r.platform)?;
    let input = ConnectInput {
        platform: Some(platform),
        client_id: r.client_id,
        server_url: r.server_url,
        identifier: r.identifier,
        app_password: r.app_password,
        name: r.name,
        phone_number_id: r.phone_number_id,
        waba_id: r.waba_id,
        access_token: r.access_token,
        redirect_after: r.redirect_after,
    };
    Ok(started(connect::start(&s.app, &actor, &org_id, input, None).await?))
}

/// Connect the same account again (new credentials); its held posts go out afterwards.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/channels/{channel_id}/reconnect", tag = "channels",
    security(("bearer" = [])), params(("org_id" = String, Path), ("channel_id" = String, Path)),
    request_body = ReconnectRequest,
    responses((status = 201, description = "Reconnected", body = ConnectedChannels),
        (status = 200, description = "Authorize on the platform first", body = AuthorizeRedirect),
        (status = 409, description = "Signed in as another account", body = ErrorBody),
        (status = 502, description = "The platform failed", body = ErrorBody)))]
pub async fn reconnect(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, channel_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<ReconnectRequest>,
) -> ApiResult<Response> {
    let input = ConnectInput {
        platform: None,
        client_id: r.client_id,
        server_url: r.server_url,
        identifier: r.identifier,
        app_password: r.app_password,
        name: r.name,
        phone_number_id: r.phone_number_id,
        waba_id: r.waba_id,
        access_token: r.access_token,
        redirect_after: r.redirect_after,
    };
    Ok(started(connect::start(&s.app, &actor, &org_id, input, Some(&channel_id)).await?))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/channels/{channel_id}", tag = "channels", security(("bearer" = [])),
    params(("org_id" = String, Path), ("channel_id" = String, Path)), responses((status = 200, body = Channel)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, channel_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(channels::get(&s.app, &actor, &org_id, &channel_id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannelRequest {
    /// The client this channel belongs to; null: none. Absent: unchanged.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub client_id: Option<Option<String>>,
}

/// Assign the channel to a client, or to none (owner, admin).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/channels/{channel_id}", tag = "channels", security(("bearer" = [])),
    params(("org_id" = String, Path), ("channel_id" = String, Path)), request_body = UpdateChannelRequest,
    responses((status = 200, body = Channel)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, channel_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<UpdateChannelRequest>,
) -> ApiResult<Json<Channel>> {
    let row = match r.client_id {
        Some(client_id) => channels::set_client(&s.app, &actor, &org_id, &channel_id, client_id).await?,
        None => channels::get(&s.app, &actor, &org_id, &channel_id).await?,
    };
    Ok(Json(row.into()))
}

/// Disconnect (owner, admin): the credentials are forgotten, the channel stays (status
/// `disconnected`) so published history keeps its links. Refused while posts are scheduled
/// to it.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/channels/{channel_id}", tag = "channels", security(("bearer" = [])),
    params(("org_id" = String, Path), ("channel_id" = String, Path)),
    responses((status = 200, description = "Disconnected", body = Channel), (status = 409, body = ErrorBody)))]
pub async fn disconnect(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, channel_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(channels::disconnect(&s.app, &actor, &org_id, &channel_id).await?.into()))
}

/// The channel's state, checked live against the platform with the stored token.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/channels/{channel_id}/health", tag = "channels",
    security(("bearer" = [])), params(("org_id" = String, Path), ("channel_id" = String, Path)),
    responses((status = 200, body = ChannelHealth)))]
pub async fn health(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, channel_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<ChannelHealth>> {
    Ok(Json(channels::health(&s.app, &actor, &org_id, &channel_id).await?.into()))
}
