//! /api/v1/orgs and members.

use crate::api::domain_schemas::RoleSchema;
use crate::api::shared::{list_of, page, PageQuery};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use sellcast_app::{authorize, orgs};
use sellcast_domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// The caller's role in this organization.
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    pub fn with_role(o: orgs::Org, role: Role) -> Self {
        Organization { id: o.id, name: o.name, role, created_at: o.created_at, updated_at: o.updated_at }
    }
}

impl From<orgs::MyOrg> for Organization {
    fn from(o: orgs::MyOrg) -> Self {
        Organization { id: o.id, name: o.name, role: o.role, created_at: o.created_at, updated_at: o.updated_at }
    }
}
list_of!(OrganizationList, Organization);

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<orgs::Member> for Member {
    fn from(m: orgs::Member) -> Self {
        Member {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
            joined_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
list_of!(MemberList, Member);

/// Organizations the caller belongs to.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "organizations", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = OrganizationList)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<OrganizationList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(OrganizationList::new(orgs::list_mine(&s.app, &actor, &p).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct OrgRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// Create another organization, owned by the caller.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organizations", security(("bearer" = [])), request_body = OrgRequest,
    responses((status = 201, body = Organization)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<OrgRequest>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    let org = orgs::create(&s.app, &actor, &r.name).await?;
    Ok((StatusCode::CREATED, Json(Organization::with_role(org, Role::Owner))))
}

/// One organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}", tag = "organizations", security(("bearer" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = Organization)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
) -> ApiResult<Json<Organization>> {
    let (org, role) = orgs::get(&s.app, &actor, &org_id).await?;
    Ok(Json(Organization::with_role(org, role)))
}

/// Rename (settings:update: owner, admin).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}", tag = "organizations", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = OrgRequest, responses((status = 200, body = Organization)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(r): ApiJson<OrgRequest>,
) -> ApiResult<Json<Organization>> {
    let org = orgs::rename(&s.app, &actor, &org_id, &r.name).await?;
    let role = authorize::member_role(&s.app, &actor, &org_id).await?;
    Ok(Json(Organization::with_role(org, role)))
}

/// Delete the organization and everything in it (owner only).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}", tag = "organizations", security(("bearer" = [])),
    params(("org_id" = String, Path)), responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    orgs::delete(&s.app, &actor, &org_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Members and their roles.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/members", tag = "members", security(("bearer" = [])),
    params(("org_id" = String, Path), PageQuery), responses((status = 200, body = MemberList)))]
pub async fn members(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<MemberList>> {
    let p = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(MemberList::new(orgs::members(&s.app, &actor, &org_id, &p).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct RoleRequest {
    #[schema(value_type = RoleSchema)]
    pub role: Role,
}

/// Change a member's role (owner only). The last owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("org_id" = String, Path), ("user_id" = String, Path)), request_body = RoleRequest,
    responses((status = 200, body = Member), (status = 409, body = ErrorBody)))]
pub async fn change_role(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, user_id)): ApiPath<(String, String)>,
    ApiJson(r): ApiJson<RoleRequest>,
) -> ApiResult<Json<Member>> {
    Ok(Json(orgs::change_role(&s.app, &actor, &org_id, &user_id, r.role).await?.into()))
}

/// Remove a member (owner only), or leave (your own user id). The last owner cannot leave.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 409, body = ErrorBody)))]
pub async fn remove(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((org_id, user_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    orgs::remove_member(&s.app, &actor, &org_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
