//! Graph API errors (Facebook, Instagram, Threads share the shape) classified for the publisher.
//!
//! Body: `{"error": {"message", "type", "code", "error_subcode", "error_user_title",
//! "error_user_msg", "is_transient", "fbtrace_id"}}`
//! (https://developers.facebook.com/docs/graph-api/guides/error-handling). Throttling codes and
//! the `X-App-Usage` / `X-Business-Use-Case-Usage` headers:
//! https://developers.facebook.com/docs/graph-api/overview/rate-limiting.

use crate::client;
use crate::error::PlatformError;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub error_user_title: Option<String>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: GraphError,
}

pub fn parse_graph_error(body: &str) -> Option<GraphError> {
    serde_json::from_str::<Envelope>(body).ok().map(|e| e.error)
}

impl GraphError {
    /// What the user sees: the platform's own words plus the codes support will ask for.
    fn describe(&self) -> String {
        let text = self.error_user_msg.as_deref().filter(|m| !m.is_empty()).unwrap_or(&self.message);
        let mut out = if text.is_empty() { "the platform refused the request".to_string() } else { text.to_string() };
        if let Some(code) = self.code {
            out.push_str(&format!(" (Graph API error {code}"));
            if let Some(sub) = self.error_subcode {
                out.push_str(&format!(", subcode {sub}"));
            }
            if let Some(trace) = self.fbtrace_id.as_deref().filter(|t| !t.is_empty()) {
                out.push_str(&format!(", fbtrace_id {trace}"));
            }
            out.push(')');
        }
        out
    }
}

/// Codes that mean "throttled": 4 app, 17 user, 32 Pages, 613 custom, 341 app limit,
/// 80001–80014 Business Use Case limits (Pages, Instagram, …).
fn is_rate_limit(code: i64, subcode: Option<i64>) -> bool {
    matches!(code, 4 | 17 | 32 | 341 | 613 | 80001..=80014)
        // Instagram's 24-hour content publishing limit ("code 9, subcode 2207042").
        || (code == 9 && subcode == Some(2207042))
}

/// 190 invalid/expired token, 102 session, 104 no token, 10 and 200–299 missing permission.
fn is_auth(code: i64) -> bool {
    matches!(code, 190 | 102 | 104 | 10 | 200..=299)
}

/// Classify an error response from any Meta API.
pub fn classify_graph_error(status: StatusCode, headers: &HeaderMap, body: &str, now: DateTime<Utc>) -> PlatformError {
    let Some(err) = parse_graph_error(body) else {
        let text: String = body.chars().take(300).collect();
        let message = if text.trim().is_empty() { format!("HTTP {}", status.as_u16()) } else { text };
        return client::classify(status, headers, message, now);
    };
    let message = err.describe();
    let code = err.code.unwrap_or(0);
    if is_rate_limit(code, err.error_subcode) || status == StatusCode::TOO_MANY_REQUESTS {
        let retry_at = usage_retry_at(headers, now).or_else(|| client::rate_limit_reset(headers, now));
        return PlatformError::RateLimited { message, retry_at };
    }
    if is_auth(code) || status == StatusCode::UNAUTHORIZED {
        return PlatformError::Auth { message };
    }
    // 1 unknown / 2 service: temporary. 9007/2207027: the container is not ready yet.
    let not_ready = code == 9007 && err.error_subcode == Some(2207027);
    if matches!(code, 1 | 2) || not_ready || err.is_transient == Some(true) || status.is_server_error() {
        return PlatformError::Retryable { message };
    }
    PlatformError::Permanent { status: Some(status.as_u16()), message }
}

/// When access comes back, from `estimated_time_to_regain_access` (minutes) in
/// `X-Business-Use-Case-Usage` (`{"<id>": [{"type", "call_count", …, "estimated_time_to_regain_access"}]}`)
/// or `X-App-Usage` / `X-Ad-Account-Usage` when they carry it. The longest wait wins.
pub fn usage_retry_at(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut minutes: Option<i64> = None;
    let mut consider = |v: &Value| {
        if let Some(m) = v.get("estimated_time_to_regain_access").and_then(Value::as_f64) {
            let m = m.ceil() as i64;
            if m > 0 {
                minutes = Some(minutes.map_or(m, |cur| cur.max(m)));
            }
        }
    };
    for name in ["x-business-use-case-usage", "x-app-usage", "x-ad-account-usage"] {
        let Some(raw) = headers.get(name).and_then(|v| v.to_str().ok()) else { continue };
        let Ok(parsed) = serde_json::from_str::<Value>(raw) else { continue };
        consider(&parsed);
        if let Some(map) = parsed.as_object() {
            for entries in map.values() {
                for entry in entries.as_array().into_iter().flatten() {
                    consider(entry);
                }
            }
        }
    }
    // A day at most: a larger number is a misreading, not a plan.
    minutes.map(|m| now + chrono::Duration::minutes(m.min(24 * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn body(code: i64, subcode: Option<i64>, transient: bool) -> String {
        serde_json::json!({"error": {
            "message": "(#x) something", "type": "OAuthException", "code": code,
            "error_subcode": subcode, "is_transient": transient, "fbtrace_id": "AbC"
        }})
        .to_string()
    }

    fn classify(status: u16, code: i64, subcode: Option<i64>, transient: bool, headers: &HeaderMap) -> PlatformError {
        classify_graph_error(
            StatusCode::from_u16(status).unwrap(),
            headers,
            &body(code, subcode, transient),
            Utc::now(),
        )
    }

    #[test]
    fn codes_are_classified() {
        let h = HeaderMap::new();
        assert!(matches!(classify(400, 190, Some(463), false, &h), PlatformError::Auth { .. }));
        assert!(matches!(classify(400, 104, None, false, &h), PlatformError::Auth { .. }));
        assert!(matches!(classify(403, 200, None, false, &h), PlatformError::Auth { .. }));
        for code in [4, 17, 32, 613, 80001, 80002, 80014] {
            assert!(matches!(classify(400, code, None, true, &h), PlatformError::RateLimited { .. }), "{code}");
        }
        assert!(matches!(classify(400, 9, Some(2207042), false, &h), PlatformError::RateLimited { .. }));
        assert!(matches!(classify(500, 1, None, false, &h), PlatformError::Retryable { .. }));
        assert!(matches!(classify(503, 2, None, true, &h), PlatformError::Retryable { .. }));
        assert!(matches!(classify(400, 9007, Some(2207027), false, &h), PlatformError::Retryable { .. }));
        let e = classify(400, 100, None, false, &h);
        assert!(matches!(e, PlatformError::Permanent { status: Some(400), .. }));
        assert!(e.message().contains("(#x) something") && e.message().contains("error 100"), "{}", e.message());
    }

    #[test]
    fn user_message_is_preferred() {
        let b = serde_json::json!({"error": {"message": "Invalid parameter", "code": 100,
            "error_user_msg": "The caption is too long.", "fbtrace_id": "T1"}})
        .to_string();
        let e = classify_graph_error(StatusCode::BAD_REQUEST, &HeaderMap::new(), &b, Utc::now());
        assert_eq!(e.message(), "The caption is too long. (Graph API error 100, fbtrace_id T1)");
    }

    #[test]
    fn business_use_case_header_gives_retry_at() {
        let now = Utc::now();
        let mut h = HeaderMap::new();
        h.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"1001":[{"type":"pages","call_count":100,"total_cputime":3,"total_time":4,"estimated_time_to_regain_access":7},{"type":"instagram","call_count":5,"estimated_time_to_regain_access":0}]}"#,
            ),
        );
        assert_eq!(usage_retry_at(&h, now), Some(now + chrono::Duration::minutes(7)));
        let h2 = {
            let mut h = HeaderMap::new();
            h.insert(
                "x-app-usage",
                HeaderValue::from_static(r#"{"call_count":100,"total_cputime":20,"total_time":30}"#),
            );
            h
        };
        assert_eq!(usage_retry_at(&h2, now), None);
    }

    #[test]
    fn non_graph_bodies_fall_back_to_status() {
        let e =
            classify_graph_error(StatusCode::BAD_GATEWAY, &HeaderMap::new(), "<html>bad gateway</html>", Utc::now());
        assert!(matches!(e, PlatformError::Retryable { .. }));
        let e = classify_graph_error(StatusCode::NOT_FOUND, &HeaderMap::new(), "", Utc::now());
        assert!(matches!(e, PlatformError::Permanent { status: Some(404), .. }));
    }
}
