//! `GET /webhooks/meta` (the subscription check) and `POST /webhooks/meta` (Instagram,
//! Facebook and WhatsApp deliveries, signed with `X-Hub-Signature-256`).

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// `subscribe`.
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    pub mode: Option<String>,
    /// Compared with `SELLCAST_META_WEBHOOK_VERIFY_TOKEN`.
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    /// Echoed back when the token matches.
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// Meta's subscription check: the challenge as text when the verify token matches, else 403.
#[utoipa::path(get, path = "/webhooks/meta", tag = "webhooks", params(VerifyQuery),
    responses((status = 200, description = "The challenge", content_type = "text/plain", body = String),
              (status = 403, body = ErrorBody)))]
pub async fn verify(State(s): State<AppState>, ApiQuery(q): ApiQuery<VerifyQuery>) -> ApiResult<impl IntoResponse> {
    let challenge = sellcast_app::inbox::verify_subscription(
        &s.app,
        q.mode.as_deref(),
        q.verify_token.as_deref(),
        q.challenge.as_deref(),
    )?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge))
}

/// A delivery: 200 only once it is stored (401 when the signature is missing or wrong, 400
/// when the body is not a Meta event, 413 over 3 MB).
#[utoipa::path(post, path = "/webhooks/meta", tag = "webhooks",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body with the app secret>")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "Stored", content_type = "text/plain", body = String),
              (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn receive(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<impl IntoResponse> {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    match sellcast_app::inbox::receive_meta(&s.app, &body, signature).await {
        Ok(_) => Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "EVENT_RECEIVED")),
        Err(e) => Err(ApiError::from(e)),
    }
}
