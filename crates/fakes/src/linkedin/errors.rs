//! The error bodies the fake LinkedIn answers with, shared by its posts, images and videos.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// LinkedIn's REST error body.
pub(super) fn rest_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "status": status.as_u16(), "code": code, "message": message }))).into_response()
}

/// A missing, unknown or expired bearer token.
pub(super) fn invalid_token() -> Response {
    let body = json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// LinkedIn's validation error: one `ERROR :: /path :: reason` line per problem.
pub(super) fn unprocessable(lines: &[String]) -> Response {
    let message: String = lines.iter().map(|l| format!("ERROR :: {l}\n")).collect();
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "message": message, "status": 422 }))).into_response()
}

/// An OAuth endpoint's error body.
pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

/// A member without the permission a call needs (e.g. r_member_social).
pub(super) fn forbidden(what: &str) -> Response {
    let body = json!({
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": format!("Not enough permissions to access: {what}"),
    });
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

pub(super) fn not_found(urn: &str) -> Response {
    rest_error(StatusCode::NOT_FOUND, "NOT_FOUND", &format!("Entity {urn} not found"))
}
