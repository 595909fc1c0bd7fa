//! The HTTP client every adapter uses: timeouts on every call, transport failures split into
//! "not sent" (retry) and "sent, answer lost" (unknown outcome), status codes classified, and
//! the common rate-limit reset headers read.

use crate::error::{PlatformError, PlatformResult};
use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HttpClient {
    pub(crate) inner: reqwest::Client,
}

/// Timeouts for platform calls.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// The whole request, upload included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(60) }
    }
}

impl HttpClient {
    pub fn new(timeouts: Timeouts) -> PlatformResult<Self> {
        let inner = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .user_agent(concat!("Sellcast/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| PlatformError::retryable(format!("building the HTTP client: {e}")))?;
        Ok(HttpClient { inner })
    }

    pub fn raw(&self) -> &reqwest::Client {
        &self.inner
    }
}

/// Whether a request changes something on the platform: a lost answer to a create leaves
/// the outcome unknown; a lost answer to a read is simply retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Create,
}

/// Send; transport failures classified. The response may still be an error status.
pub async fn send(req: RequestBuilder, effect: Effect) -> PlatformResult<Response> {
    match req.send().await {
        Ok(resp) => Ok(resp),
        Err(e) => Err(transport_error(&e, effect)),
    }
}

fn transport_error(e: &reqwest::Error, effect: Effect) -> PlatformError {
    // A connect failure or a bad request never reached the platform.
    let not_sent = e.is_connect() || e.is_builder() || e.is_redirect();
    let text = describe(e);
    if not_sent || effect == Effect::Read {
        PlatformError::retryable(format!("could not reach the platform: {text}"))
    } else {
        PlatformError::unknown(format!("the request was sent but no answer came back: {text}"))
    }
}

/// A transport error without the URL (which may carry tokens in its query).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the response was cut off"
    } else if e.is_request() {
        "the connection was closed"
    } else {
        "transport error"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({detail})")
    }
}

/// Read a success body as JSON; a body cut off after a create leaves the outcome unknown.
pub async fn json<T: DeserializeOwned>(resp: Response, effect: Effect) -> PlatformResult<T> {
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Err(transport_error(&e, effect)),
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        let err = PlatformError::bad_response(format!("{e}"));
        match effect {
            Effect::Create => PlatformError::unknown(err.message().to_string()),
            Effect::Read => err,
        }
    })
}

/// The body of an error response, as text (bounded), for adapters to pull the message from.
pub async fn error_body(resp: Response) -> (StatusCode, HeaderMap, String) {
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    let body: String = body.chars().take(4000).collect();
    (status, headers, body)
}

/// Classify an error status, with the message the platform gave.
pub fn classify(status: StatusCode, headers: &HeaderMap, message: String, now: DateTime<Utc>) -> PlatformError {
    let code = status.as_u16();
    match code {
        401 => PlatformError::Auth { message },
        429 => PlatformError::RateLimited { message, retry_at: rate_limit_reset(headers, now) },
        408 | 425 => PlatformError::Retryable { message },
        500..=599 => PlatformError::Retryable { message: format!("the platform failed ({code}): {message}") },
        _ => PlatformError::Permanent { status: Some(code), message },
    }
}

/// When the platform says the limit resets: `Retry-After` (seconds or an HTTP date),
/// `x-rate-limit-reset` (X; epoch seconds), `ratelimit-reset` (Bluesky; epoch seconds),
/// `x-ratelimit-reset` (Mastodon; ISO 8601).
pub fn rate_limit_reset(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<i64>() {
            return Some(now + chrono::Duration::seconds(secs.clamp(0, 86_400)));
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(v) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for name in ["x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"] {
        if let Some(v) = get(name) {
            if let Ok(epoch) = v.parse::<i64>() {
                // Some servers send seconds until reset rather than an epoch time.
                if epoch < 1_000_000_000 {
                    return Some(now + chrono::Duration::seconds(epoch.clamp(0, 86_400)));
                }
                return Utc.timestamp_opt(epoch, 0).single();
            }
            if let Ok(at) = DateTime::parse_from_rfc3339(v) {
                return Some(at.with_timezone(&Utc));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reset_headers_of_each_platform() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            rate_limit_reset(&headers(&[("retry-after", "30")]), now),
            Some(now + chrono::Duration::seconds(30))
        );
        assert_eq!(
            rate_limit_reset(&headers(&[("x-rate-limit-reset", "1767225660")]), now),
            Some(Utc.timestamp_opt(1_767_225_660, 0).unwrap())
        );
        assert_eq!(
            rate_limit_reset(&headers(&[("x-ratelimit-reset", "2026-01-01T00:05:00.000Z")]), now),
            Some(now + chrono::Duration::minutes(5))
        );
        assert_eq!(rate_limit_reset(&headers(&[]), now), None);
    }

    #[test]
    fn statuses_are_classified() {
        let now = Utc::now();
        let h = HeaderMap::new();
        assert!(matches!(classify(StatusCode::UNAUTHORIZED, &h, "x".into(), now), PlatformError::Auth { .. }));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, &h, "x".into(), now),
            PlatformError::RateLimited { .. }
        ));
        assert!(matches!(classify(StatusCode::BAD_GATEWAY, &h, "x".into(), now), PlatformError::Retryable { .. }));
        assert!(matches!(
            classify(StatusCode::UNPROCESSABLE_ENTITY, &h, "too long".into(), now),
            PlatformError::Permanent { status: Some(422), .. }
        ));
    }
}
