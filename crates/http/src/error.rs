//! The one error body of the API: `{"error": {code, message, details, request_id}}`.

use crate::error_map::classify;
use crate::request_id;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sellcast_app::AppError;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// One of UNAUTHORIZED, FORBIDDEN, INVALID_TOKEN, TOKEN_EXPIRED, VALIDATION_ERROR,
    /// NOT_FOUND, CONFLICT, RATE_LIMITED, QUOTA_EXCEEDED, PLATFORM_ERROR,
    /// PAYLOAD_TOO_LARGE, INTERNAL_ERROR.
    pub code: String,
    pub message: String,
    /// Field errors (`[{field, message}]`) for VALIDATION_ERROR, an object or null otherwise.
    pub details: Value,
    pub request_id: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: Value::Null, retry_after: None }
    }

    pub fn validation(message: impl Into<String>, details: Value) -> Self {
        ApiError { details, ..Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message) }
    }

    pub fn field(field: &str, message: &str) -> Self {
        Self::validation(format!("{field} {message}"), json!([{"field": field, "message": message}]))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests; slow down")
        }
    }

    /// The error a bare status means, for responses produced outside our handlers.
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found("no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => {
                Self::new(status, "NOT_FOUND", "this method is not allowed on this resource")
            }
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(status, "PAYLOAD_TOO_LARGE", "request body is too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Self::new(status, "VALIDATION_ERROR", "expected a body with Content-Type: application/json")
            }
            StatusCode::UNAUTHORIZED => Self::unauthorized("authentication required"),
            StatusCode::FORBIDDEN => Self::new(status, "FORBIDDEN", "forbidden"),
            StatusCode::TOO_MANY_REQUESTS => Self::rate_limited(60),
            s if s.is_client_error() => Self::new(s, "VALIDATION_ERROR", "the request could not be understood"),
            s => Self::new(s, "INTERNAL_ERROR", "internal error"),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let c = classify(&e);
        ApiError { status: c.status, code: c.code, message: c.message, details: c.details, retry_after: c.retry_after }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                details: self.details,
                request_id: request_id::current(),
            },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}
