//! /api/v1/orgs/{org_id}/clients.

use crate::api::shared::{list_of, nullable, page};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use sellcast_app::clients::{self, ClientInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct Client {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub notes: String,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<clients::Client> for Client {
    fn from(c: clients::Client) -> Self {
        Client {
            id: c.id,
            org_id: c.org_id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            website: c.website,
            notes: c.notes,
            archived: c.archived,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}
list_of!(ClientList, Client);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientRequest {
    /// Required when creating.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    pub archived: Option<bool>,
}

impl From<ClientRequest> for ClientInput {
    fn from(r: ClientRequest) -> Self {
        ClientInput {
            name: r.name,
            email: r.email,
            phone: r.phone,
            website: r.website,
            notes: r.notes,
            archived: r.archived,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only archived (true) or only active (false) clients.
    pub archived: Option<bool>,
    /// Name contains (case-insensitive).
    pub q: Option<String>,
}

/// Clients of the organization, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/clients", tag = "clients", security(("bearer" = [])),
    params(("org_id" = String, Path), ClientQuery), responses((status = 200, body = ClientList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult<Json<ClientList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(ClientList::new(clients::list(&s.app, &actor, &org_id, q.archived, q.q.as_deref(), &p).await?)))
}

/// Add a client (owner, admin, manager).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/clients", tag = "clients", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = ClientRequest,
    responses((status = 201, body = Client), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(r): ApiJson<ClientRequest>,
) -> ApiResult<(StatusCode, Json<Client>)> {
    Ok((StatusCode::CREATED, Json(clients::create(&s.app, &actor, &org_id, r.into()).await?.into())))
}

/// One client.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/clients/{client_id}", tag = "clients", security(("bearer" = [])),
    params(("org_id" = String, Path), ("client_id" = String, Path)), responses((status = 200, body = Client)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, client_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Client>> {
    Ok(Json(clients::get(&s.app, &actor, &org_id, &client_id).await?.into()))
}

/// Change a client; absent fields stay, `null` clears email/phone/website.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/clients/{client_id}", tag = "clients", security(("bearer" = [])),
    params(("org_id" = String, Path), ("client_id" = String, Path)), request_body = ClientRequest,
    responses((status = 200, body = Client), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, client_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<ClientRequest>,
) -> ApiResult<Json<Client>> {
    Ok(Json(clients::update(&s.app, &actor, &org_id, &client_id, r.into()).await?.into()))
}

/// Delete a client.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/clients/{client_id}", tag = "clients", security(("bearer" = [])),
    params(("org_id" = String, Path), ("client_id" = String, Path)), responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, client_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    clients::delete(&s.app, &actor, &org_id, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
