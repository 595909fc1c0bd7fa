//! Extractors that turn every rejection into the API's error body.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use sellcast_app::{accounts, Actor, RequestMeta};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// A JSON body; malformed JSON, a wrong content type, a wrong shape and an oversized body
/// each get their own clear error.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")));
        if !is_json {
            return Err(ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                ApiError::validation("the body could not be read", json!({"reason": rej.body_text()}))
            }
        })?;
        if has_escaped_nul(&bytes) {
            return Err(ApiError::validation("text must not contain NUL characters", Value::Null));
        }
        axum::Json::<T>::from_bytes(&bytes).map(|j| ApiJson(j.0)).map_err(json_rejection)
    }
}

/// Whether a JSON text has a `\u0000` escape (a raw NUL is already invalid JSON). Storage
/// cannot hold NUL in text (PostgreSQL refuses it), so it is turned away at the door.
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    match &rej {
        JsonRejection::MissingJsonContentType(_) => ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        _ if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE),
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::validation("the body is not valid JSON", json!({"reason": rej.body_text()}))
        }
        _ => ApiError::validation(
            "the body does not have the expected fields and types",
            json!({"reason": rej.body_text()}),
        ),
    }
}

pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state).await.map(|q| ApiQuery(q.0)).map_err(
            |rej: QueryRejection| ApiError::validation("invalid query parameters", json!({"reason": rej.body_text()})),
        )
    }
}

pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|rej: PathRejection| ApiError::not_found(format!("no such resource: {}", rej.body_text())))
    }
}

/// Where the request came from: client IP (X-Forwarded-For only behind a trusted proxy),
/// user agent, request id.
pub fn meta_from(parts: &Parts, state: &AppState) -> RequestMeta {
    RequestMeta {
        ip: client_ip(parts, state.app.config.trust_proxy).map(|ip| ip.to_string()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(500).collect()),
        request_id: crate::request_id::current(),
    }
}

pub fn client_ip(parts: &Parts, trust_proxy: bool) -> Option<std::net::IpAddr> {
    if trust_proxy {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

pub struct Meta(pub RequestMeta);

impl FromRequestParts<AppState> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Meta(meta_from(parts, state)))
    }
}

/// The authenticated caller (Bearer access token), rate-limited per user.
pub struct Auth(pub Actor);

pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_header(&parts.headers)
}

/// The Bearer token of these headers.
pub fn bearer_header(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// The org a request's path names (`/api/v1/orgs/{org}/…`, `/o/{org}/…`), whose membership
/// authentication reads with the session (the handler's permission check then reads nothing).
pub fn org_named(parts: &Parts) -> Option<&str> {
    // Inside `nest("/api/v1", …)` the URI has lost its prefix; the original keeps it.
    let path = parts.extensions.get::<axum::extract::OriginalUri>().map(|u| u.0.path()).unwrap_or(parts.uri.path());
    org_in_path(path)
}

fn org_in_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1/orgs/").or_else(|| path.strip_prefix("/o/"))?;
    let org = rest.split('/').next()?;
    (!org.is_empty()).then_some(org)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let meta = meta_from(parts, state);
        let token = bearer(parts)
            .ok_or_else(|| ApiError::unauthorized("sign in first: send Authorization: Bearer <access token>"))?;
        let actor = accounts::authenticate(&state.app, token, meta, org_named(parts)).await?;
        state.limits.check_user(&actor.user_id)?;
        Ok(Auth(actor))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_org_of_org_paths_only() {
        use super::org_in_path;
        assert_eq!(org_in_path("/api/v1/orgs/abc/posts"), Some("abc"));
        assert_eq!(org_in_path("/api/v1/orgs/abc"), Some("abc"));
        assert_eq!(org_in_path("/o/abc/calendar"), Some("abc"));
        assert_eq!(org_in_path("/api/v1/orgs"), None);
        assert_eq!(org_in_path("/api/v1/orgs/"), None);
        assert_eq!(org_in_path("/api/v1/me"), None);
        assert_eq!(org_in_path("/other/o/abc"), None);
    }

    #[test]
    fn finds_only_real_nul_escapes() {
        assert!(super::has_escaped_nul(br#"{"a":"x\u0000y"}"#));
        assert!(!super::has_escaped_nul(br#"{"a":"x\\u0000y"}"#), "an escaped backslash then u0000 is plain text");
        assert!(super::has_escaped_nul(br#"{"a":"\u00001"}"#), "NUL followed by a digit");
        assert!(!super::has_escaped_nul(br#"{"a":"\u0001"}"#));
    }
}
