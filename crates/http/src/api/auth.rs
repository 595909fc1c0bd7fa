//! /api/v1/auth: register, login, refresh, logout, password reset, TOTP.

use crate::api::me::User;
use crate::api::orgs::Organization;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth, Meta};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sellcast_app::accounts::{self, RegisterInput, TokenPair};
use sellcast_app::mfa;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    /// 8–128 characters with an upper-case letter, a lower-case letter and a digit.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Required unless `invite_token` is given.
    #[schema(min_length = 1, max_length = 200)]
    pub organization_name: Option<String>,
    /// Join the inviting organization instead of creating one.
    pub invite_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user: User,
    pub organization: Organization,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// Create an account and its first organization (or join one by invite).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, body = ErrorBody)))]
pub async fn register(
    State(s): State<AppState>,
    Meta(meta): Meta,
    ApiJson(r): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<RegisterResponse>)> {
    let out = accounts::register(
        &s.app,
        &meta,
        RegisterInput {
            email: r.email,
            password: r.password,
            name: r.name,
            organization_name: r.organization_name,
            invite_token: r.invite_token,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse {
            user: out.user.into(),
            organization: Organization::with_role(out.organization, out.role),
            access_token: out.tokens.access_token,
            refresh_token: out.tokens.refresh_token,
            expires_in: out.tokens.expires_in,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The authenticator code (or a recovery code) when two-factor authentication is on.
    pub totp_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// Sign in. Five failures for one email lock it for 15 minutes (429 with Retry-After).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody,
        description = "Wrong credentials, or `details.mfa_required` when a TOTP code is needed")))]
pub async fn login(
    State(s): State<AppState>,
    Meta(meta): Meta,
    ApiJson(r): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    s.limits.check_login(meta.ip.as_deref().and_then(|ip| ip.parse().ok()), &r.email)?;
    let out = accounts::login(&s.app, &meta, &r.email, &r.password, r.totp_code.as_deref()).await?;
    Ok(Json(LoginResponse {
        user: out.user.into(),
        access_token: out.tokens.access_token,
        refresh_token: out.tokens.refresh_token,
        expires_in: out.tokens.expires_in,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// The new refresh token; the one sent is now spent.
    pub refresh_token: String,
    pub expires_in: i64,
}

impl From<TokenPair> for TokenResponse {
    fn from(t: TokenPair) -> Self {
        TokenResponse { access_token: t.access_token, refresh_token: t.refresh_token, expires_in: t.expires_in }
    }
}

/// Rotate tokens. Presenting a spent refresh token revokes its whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse)))]
pub async fn refresh(
    State(s): State<AppState>,
    Meta(meta): Meta,
    ApiJson(r): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    Ok(Json(accounts::refresh(&s.app, &meta, &r.refresh_token).await?.into()))
}

/// End this session; its access and refresh tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    accounts::logout(&s.app, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ForgotRequest {
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
}

/// Email a reset link if the account exists. Always 202, so it reveals nothing.
#[utoipa::path(post, path = "/api/v1/auth/password/forgot", tag = "auth", request_body = ForgotRequest,
    responses((status = 202, description = "Accepted")))]
pub async fn forgot(
    State(s): State<AppState>,
    Meta(meta): Meta,
    ApiJson(r): ApiJson<ForgotRequest>,
) -> ApiResult<StatusCode> {
    accounts::forgot_password(&s.app, &meta, &r.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    /// The token from the reset email.
    pub token: String,
    /// 8–128 characters with an upper-case letter, a lower-case letter and a digit.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// Set a new password with a reset token; every session is signed out.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "auth", request_body = ResetRequest,
    responses((status = 204, description = "Password changed")))]
pub async fn reset(
    State(s): State<AppState>,
    Meta(meta): Meta,
    ApiJson(r): ApiJson<ResetRequest>,
) -> ApiResult<StatusCode> {
    accounts::reset_password(&s.app, &meta, &r.token, &r.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TotpStatus {
    pub enabled: bool,
    pub recovery_codes_remaining: i64,
}

/// Whether two-factor authentication is on.
#[utoipa::path(get, path = "/api/v1/auth/mfa/totp", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TotpStatus)))]
pub async fn totp_status(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<TotpStatus>> {
    let (enabled, recovery_codes_remaining) = mfa::status(&s.app, &actor).await?;
    Ok(Json(TotpStatus { enabled, recovery_codes_remaining }))
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetupResponse {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

/// Start TOTP setup: a new secret, enforced only after `verify`.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/setup", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TotpSetupResponse), (status = 409, body = ErrorBody)))]
pub async fn totp_setup(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<TotpSetupResponse>> {
    let setup = mfa::setup(&s.app, &actor).await?;
    Ok(Json(TotpSetupResponse { secret: setup.secret, otpauth_uri: setup.otpauth_uri }))
}

#[derive(Deserialize, ToSchema)]
pub struct TotpCodeRequest {
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Single-use codes for when the authenticator is lost; shown only now.
    pub recovery_codes: Vec<String>,
}

/// Confirm setup with a current code; two-factor is on from now.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/verify", tag = "auth", security(("bearer" = [])),
    request_body = TotpCodeRequest, responses((status = 200, body = RecoveryCodes), (status = 409, body = ErrorBody)))]
pub async fn totp_verify(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<TotpCodeRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes { recovery_codes: mfa::verify(&s.app, &actor, &r.code).await? }))
}

#[derive(Deserialize, ToSchema)]
pub struct TotpConfirmRequest {
    pub password: String,
    /// A current authenticator code or an unused recovery code.
    pub code: String,
}

/// Turn two-factor off (password and code required).
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/disable", tag = "auth", security(("bearer" = [])),
    request_body = TotpConfirmRequest, responses((status = 204, description = "Disabled"), (status = 409, body = ErrorBody)))]
pub async fn totp_disable(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<TotpConfirmRequest>,
) -> ApiResult<StatusCode> {
    mfa::disable(&s.app, &actor, &r.password, &r.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the recovery codes (password and code required).
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/recovery-codes", tag = "auth", security(("bearer" = [])),
    request_body = TotpConfirmRequest, responses((status = 200, body = RecoveryCodes), (status = 409, body = ErrorBody)))]
pub async fn totp_recovery_codes(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(r): ApiJson<TotpConfirmRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(RecoveryCodes {
        recovery_codes: mfa::regenerate_recovery_codes(&s.app, &actor, &r.password, &r.code).await?,
    }))
}
