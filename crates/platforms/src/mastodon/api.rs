//! Calls to one Mastodon instance, and its error shape: `{"error": "..."}` (OAuth errors add
//! `error_description`), with `X-RateLimit-*` headers (https://docs.joinmastodon.org/api/rate-limits/).

use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

pub(crate) struct Api<'a> {
    http: &'a HttpClient,
    base: String,
    token: Option<&'a str>,
}

impl<'a> Api<'a> {
    pub fn new(http: &'a HttpClient, server: &str, token: Option<&'a str>) -> Self {
        Api { http, base: server.trim().trim_end_matches('/').to_string(), token }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authed(&self, req: RequestBuilder) -> RequestBuilder {
        match self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.authed(self.http.raw().get(self.url(path)))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.authed(self.http.raw().post(self.url(path)))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.authed(self.http.raw().delete(self.url(path)))
    }

    /// Send, check the status, read the JSON answer.
    pub async fn call<T: DeserializeOwned>(&self, req: RequestBuilder, effect: Effect) -> PlatformResult<T> {
        let resp = checked(client::send(req, effect).await?).await?;
        client::json(resp, effect).await
    }
}

/// The response if its status is a success, else its error classified.
pub(crate) async fn checked(resp: Response) -> PlatformResult<Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let (status, headers, body) = client::error_body(resp).await;
    Err(classify(status, &headers, &body, Utc::now()))
}

pub(crate) fn classify(status: StatusCode, headers: &HeaderMap, body: &str, now: DateTime<Utc>) -> PlatformError {
    let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|b| b.error.clone()).filter(|e| !e.is_empty());
    let description = parsed.as_ref().and_then(|b| b.error_description.clone()).filter(|e| !e.is_empty());
    let message = match (error, description) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e,
        (None, Some(d)) => d,
        (None, None) if body.trim().is_empty() || body.trim_start().starts_with('<') => {
            format!("HTTP {}", status.as_u16())
        }
        (None, None) => body.chars().take(300).collect(),
    };
    // A token without the needed scope gets 403 "This action is outside the authorized scopes".
    if status == StatusCode::FORBIDDEN && message.contains("authorized scopes") {
        return PlatformError::auth(message);
    }
    client::classify(status, headers, message, now)
}

/// Mastodon ids are decimal strings; anything else never reaches a URL path.
pub(crate) fn checked_id<'s>(id: &'s str, what: &str) -> PlatformResult<&'s str> {
    if !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(PlatformError::permanent(None, format!("not a Mastodon {what} id: {id:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    #[test]
    fn errors_are_classified_with_the_instance_message() {
        let h = HeaderMap::new();
        let now = Utc::now();
        let e = classify(
            StatusCode::UNPROCESSABLE_ENTITY,
            &h,
            r#"{"error":"Validation failed: Text can't be blank"}"#,
            now,
        );
        assert_eq!(e, PlatformError::permanent(Some(422), "Validation failed: Text can't be blank"));
        let e = classify(StatusCode::UNAUTHORIZED, &h, r#"{"error":"The access token is invalid"}"#, now);
        assert!(matches!(e, PlatformError::Auth { .. }));
        let e = classify(StatusCode::FORBIDDEN, &h, r#"{"error":"This action is outside the authorized scopes"}"#, now);
        assert!(matches!(e, PlatformError::Auth { .. }));
        let e = classify(
            StatusCode::BAD_REQUEST,
            &h,
            r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid"}"#,
            now,
        );
        assert_eq!(e.message(), "invalid_grant: The provided authorization grant is invalid");
        let e = classify(StatusCode::SERVICE_UNAVAILABLE, &h, "<html>", now);
        assert!(matches!(e, PlatformError::Retryable { .. }));
    }

    #[test]
    fn rate_limit_reset_is_iso8601() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", HeaderValue::from_static("2026-05-01T10:05:00.123456Z"));
        let e = classify(StatusCode::TOO_MANY_REQUESTS, &h, r#"{"error":"Too many requests"}"#, Utc::now());
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 10, 5, 0).unwrap() + chrono::Duration::microseconds(123_456);
        assert_eq!(e, PlatformError::RateLimited { message: "Too many requests".into(), retry_at: Some(at) });
    }

    #[test]
    fn ids_are_checked() {
        assert!(checked_id("109876543210", "status").is_ok());
        assert!(checked_id("../admin", "status").is_err());
        assert!(checked_id("", "status").is_err());
    }
}
