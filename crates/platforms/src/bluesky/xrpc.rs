//! XRPC over HTTP (https://atproto.com/specs/xrpc): queries are GETs, procedures are POSTs with
//! a JSON body, errors are `{"error": "<Name>", "message": "..."}`. Auth errors come as 400 or
//! 401 depending on the server, so they are recognised by name, not by status.

use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Error names meaning the session is not (or no longer) valid: refresh, then reconnect.
const AUTH_ERRORS: &[&str] = &[
    "ExpiredToken",
    "InvalidToken",
    "AuthMissing",
    "AuthRequired",
    "AuthenticationRequired",
    "AccountTakedown",
    "AccountDeactivated",
];

/// A failed XRPC call: the error name the server gave (when it gave one) and its class.
#[derive(Debug)]
pub(crate) struct XrpcFailure {
    pub name: Option<String>,
    pub error: PlatformError,
}

impl From<PlatformError> for XrpcFailure {
    fn from(error: PlatformError) -> Self {
        XrpcFailure { name: None, error }
    }
}

impl From<XrpcFailure> for PlatformError {
    fn from(f: XrpcFailure) -> Self {
        f.error
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Calls to one server, with an optional bearer token.
pub(crate) struct Xrpc<'a> {
    http: &'a HttpClient,
    base: String,
    token: Option<&'a str>,
}

impl<'a> Xrpc<'a> {
    pub fn new(http: &'a HttpClient, server: &str, token: Option<&'a str>) -> Self {
        Xrpc { http, base: server.trim_end_matches('/').to_string(), token }
    }

    fn url(&self, nsid: &str) -> String {
        format!("{}/xrpc/{nsid}", self.base)
    }

    fn authed(&self, req: RequestBuilder) -> RequestBuilder {
        match self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// A query (GET) with URL parameters.
    pub async fn query<T: DeserializeOwned>(&self, nsid: &str, params: &[(&str, &str)]) -> Result<T, XrpcFailure> {
        let req = self.authed(self.http.raw().get(self.url(nsid)).query(params));
        let resp = checked(client::send(req, Effect::Read).await?).await?;
        Ok(client::json(resp, Effect::Read).await?)
    }

    /// A query whose answer's headers matter too (the rate-limit budget of a poll).
    pub async fn query_with_headers<T: DeserializeOwned>(
        &self,
        nsid: &str,
        params: &[(&str, &str)],
    ) -> Result<(T, HeaderMap), XrpcFailure> {
        let req = self.authed(self.http.raw().get(self.url(nsid)).query(params));
        let resp = checked(client::send(req, Effect::Read).await?).await?;
        let headers = resp.headers().clone();
        Ok((client::json(resp, Effect::Read).await?, headers))
    }

    /// A procedure (POST) with a JSON body (or none).
    pub async fn procedure<T: DeserializeOwned>(
        &self,
        nsid: &str,
        body: Option<&Value>,
        effect: Effect,
    ) -> Result<T, XrpcFailure> {
        let mut req = self.authed(self.http.raw().post(self.url(nsid)));
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = checked(client::send(req, effect).await?).await?;
        Ok(client::json(resp, effect).await?)
    }

    /// A procedure whose body is raw bytes (uploadBlob).
    pub async fn upload<T: DeserializeOwned>(&self, nsid: &str, mime: &str, bytes: Vec<u8>) -> Result<T, XrpcFailure> {
        let req = self.authed(self.http.raw().post(self.url(nsid))).header("content-type", mime).body(bytes);
        // A repeated upload only leaves an unreferenced blob, which the PDS collects.
        let resp = checked(client::send(req, Effect::Read).await?).await?;
        Ok(client::json(resp, Effect::Read).await?)
    }
}

/// The response if it succeeded, else its error classified.
async fn checked(resp: Response) -> Result<Response, XrpcFailure> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let (status, headers, body) = client::error_body(resp).await;
    Err(classify(status, &headers, &body, Utc::now()))
}

/// Classify an XRPC error response by its error name first, then by status.
pub(crate) fn classify(status: StatusCode, headers: &HeaderMap, body: &str, now: DateTime<Utc>) -> XrpcFailure {
    let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
    let name = parsed.as_ref().and_then(|b| b.error.clone()).filter(|n| !n.is_empty());
    let message = parsed.as_ref().and_then(|b| b.message.clone()).filter(|m| !m.is_empty());
    let text = match (&name, &message) {
        (Some(n), Some(m)) => format!("{n}: {m}"),
        (Some(n), None) => n.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) if body.trim().is_empty() => format!("HTTP {}", status.as_u16()),
        (None, None) => body.chars().take(300).collect(),
    };
    let error = match name.as_deref() {
        Some(n) if AUTH_ERRORS.contains(&n) => PlatformError::auth(text),
        Some("RateLimitExceeded") => {
            PlatformError::RateLimited { message: text, retry_at: client::rate_limit_reset(headers, now) }
        }
        _ => client::classify(status, headers, text, now),
    };
    XrpcFailure { name, error }
}

/// The `exp` claim of a JWT, read without verifying it (only to schedule the refresh).
pub(crate) fn jwt_expiry(jwt: &str) -> Option<DateTime<Utc>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    Utc.timestamp_opt(exp, 0).single()
}

/// `jwt_expiry`, or two hours from now (the PDS's access token lifetime) when unreadable.
pub(crate) fn expiry_or_default(jwt: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    jwt_expiry(jwt).unwrap_or(now + chrono::Duration::hours(2))
}

/// Errors on calls that need an answer: a failure without one becomes retryable.
pub(crate) fn require<T>(value: Option<T>, what: &str) -> PlatformResult<T> {
    value.ok_or_else(|| PlatformError::bad_response(format!("missing {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn auth_errors_are_recognised_by_name_whatever_the_status() {
        let h = HeaderMap::new();
        let now = Utc::now();
        let f = classify(StatusCode::BAD_REQUEST, &h, r#"{"error":"ExpiredToken","message":"Token has expired"}"#, now);
        assert!(matches!(f.error, PlatformError::Auth { .. }));
        assert_eq!(f.name.as_deref(), Some("ExpiredToken"));
        let f = classify(StatusCode::BAD_REQUEST, &h, r#"{"error":"InvalidRequest","message":"bad"}"#, now);
        assert!(matches!(f.error, PlatformError::Permanent { status: Some(400), .. }));
        assert_eq!(f.error.message(), "InvalidRequest: bad");
        let f = classify(StatusCode::BAD_GATEWAY, &h, "<html>", now);
        assert!(matches!(f.error, PlatformError::Retryable { .. }));
    }

    #[test]
    fn rate_limit_uses_the_reset_header() {
        let mut h = HeaderMap::new();
        h.insert("ratelimit-reset", HeaderValue::from_static("1800000000"));
        let f = classify(StatusCode::TOO_MANY_REQUESTS, &h, r#"{"error":"RateLimitExceeded"}"#, Utc::now());
        match f.error {
            PlatformError::RateLimited { retry_at, .. } => {
                assert_eq!(retry_at, Utc.timestamp_opt(1_800_000_000, 0).single())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn jwt_expiry_is_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"did:plc:x","exp":1800000000}"#);
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        assert_eq!(jwt_expiry(&jwt), Utc.timestamp_opt(1_800_000_000, 0).single());
        assert_eq!(jwt_expiry("not a jwt"), None);
        let now = Utc::now();
        assert_eq!(expiry_or_default("x.y.z", now), now + chrono::Duration::hours(2));
    }
}
