//! X's error bodies, classified. X answers errors as RFC 7807 problem details
//! (`{title, detail, type, status}`), sometimes with an `errors` array carrying the specific
//! message (validation), and the OAuth token endpoint as RFC 6749 (`{error, error_description}`).
//! A 200 may also carry `errors` for resources that were not found ("partial errors").

use crate::client;
use crate::error::PlatformError;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde_json::Value;

/// X's answer to a post whose text the account already posted.
const DUPLICATE_CONTENT: &str = "duplicate content";

/// An error response, classified with X's own message.
pub(super) async fn from_response(resp: Response) -> PlatformError {
    let (status, headers, body) = client::error_body(resp).await;
    classify(status, &headers, &body, Utc::now())
}

pub(super) fn classify(status: StatusCode, headers: &HeaderMap, body: &str, now: DateTime<Utc>) -> PlatformError {
    let message = message_of(status, body);
    if status == StatusCode::TOO_MANY_REQUESTS {
        return PlatformError::RateLimited { message, retry_at: retry_at(headers, now) };
    }
    client::classify(status, headers, message, now)
}

/// True for X's refusal of a post identical to one the account already made. It is permanent
/// for a first attempt; after an unknown outcome `find_published` decides (the earlier attempt
/// probably succeeded).
pub fn is_duplicate_content(e: &PlatformError) -> bool {
    matches!(e, PlatformError::Permanent { status: Some(403), message } if message.contains(DUPLICATE_CONTENT))
}

/// The most specific message in an X error body.
pub(super) fn message_of(status: StatusCode, body: &str) -> String {
    let fallback = || format!("X answered HTTP {}", status.as_u16());
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return fallback();
    };
    // Validation errors: the top-level detail is generic ("One or more parameters to your
    // request was invalid."), the items say what was wrong.
    if let Some(items) = v.get("errors").and_then(Value::as_array) {
        let messages: Vec<&str> =
            items.iter().filter_map(|e| str_of(e, "message").or_else(|| str_of(e, "detail"))).collect();
        if !messages.is_empty() {
            return truncate(messages.join("; "));
        }
    }
    str_of(&v, "detail")
        .or_else(|| str_of(&v, "error_description"))
        .or_else(|| str_of(&v, "title"))
        .or_else(|| str_of(&v, "error"))
        .map(|s| truncate(s.to_string()))
        .unwrap_or_else(fallback)
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn truncate(s: String) -> String {
    if s.chars().count() > 500 {
        s.chars().take(500).collect::<String>() + "…"
    } else {
        s
    }
}

/// When to try again after a 429: the 15-minute window's `x-rate-limit-reset`, or, when the
/// 24-hour post cap is spent (`x-user-limit-24hour-remaining` or `x-app-limit-24hour-remaining`
/// at 0), that cap's reset, whichever is later.
pub(super) fn retry_at(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let epoch =
        |name: &str| get(name).and_then(|v| v.parse::<i64>().ok()).and_then(|s| Utc.timestamp_opt(s, 0).single());
    let mut at = client::rate_limit_reset(headers, now);
    for scope in ["user", "app"] {
        if get(&format!("x-{scope}-limit-24hour-remaining")) == Some("0") {
            if let Some(reset) = epoch(&format!("x-{scope}-limit-24hour-reset")) {
                at = Some(at.map_or(reset, |a| a.max(reset)));
            }
        }
    }
    at
}

/// Whether a 200's `errors` all say "not found" (a deleted or unknown post).
pub(super) fn all_not_found(errors: &[Value]) -> bool {
    !errors.is_empty()
        && errors.iter().all(|e| {
            e.get("type").and_then(Value::as_str).is_some_and(|t| t.ends_with("/resource-not-found"))
                || e.get("title").and_then(Value::as_str) == Some("Not Found Error")
        })
}

/// A 200 that carried `errors` instead of `data`.
pub(super) fn partial_error(errors: &[Value], fallback: &str) -> PlatformError {
    let body = serde_json::json!({ "errors": errors }).to_string();
    let message = if errors.is_empty() { fallback.to_string() } else { message_of(StatusCode::OK, &body) };
    let status = if all_not_found(errors) { Some(404) } else { None };
    PlatformError::permanent(status, message)
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
    fn problem_details_and_errors_arrays() {
        let dup = r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#;
        let e = classify(StatusCode::FORBIDDEN, &HeaderMap::new(), dup, Utc::now());
        assert!(is_duplicate_content(&e), "{e:?}");
        let invalid = r#"{"errors":[{"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
        assert_eq!(message_of(StatusCode::BAD_REQUEST, invalid), "Your Tweet text is too long.");
        let oauth = r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#;
        assert_eq!(message_of(StatusCode::BAD_REQUEST, oauth), "Value passed for the token was invalid.");
        assert_eq!(message_of(StatusCode::BAD_GATEWAY, "<html>"), "X answered HTTP 502");
    }

    #[test]
    fn daily_cap_reset_wins_over_the_window_reset() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let h = headers(&[
            ("x-rate-limit-reset", "1767225900"),
            ("x-user-limit-24hour-remaining", "0"),
            ("x-user-limit-24hour-reset", "1767300000"),
        ]);
        assert_eq!(retry_at(&h, now), Utc.timestamp_opt(1_767_300_000, 0).single());
        let h = headers(&[("x-rate-limit-reset", "1767225900"), ("x-user-limit-24hour-remaining", "3")]);
        assert_eq!(retry_at(&h, now), Utc.timestamp_opt(1_767_225_900, 0).single());
    }
}
