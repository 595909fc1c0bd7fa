//! LinkedIn's error bodies, classified. The REST API answers
//! `{"status", "serviceErrorCode", "code", "message"}` (validation errors: `{"message", "status"}`
//! with one `ERROR :: /field :: reason` line per problem); the OAuth endpoints answer
//! `{"error", "error_description"}`. LinkedIn sends no rate-limit reset header: a 429 waits for
//! the retry schedule unless a `Retry-After` happens to be present.

use crate::client;
use crate::error::PlatformError;
use chrono::Utc;
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub(super) async fn from_response(resp: Response) -> PlatformError {
    let (status, headers, body) = client::error_body(resp).await;
    client::classify(status, &headers, message_of(status, &body), Utc::now())
}

/// The message LinkedIn gave, or the HTTP status when the body has none.
pub(super) fn message_of(status: StatusCode, body: &str) -> String {
    let fallback = || format!("LinkedIn answered HTTP {}", status.as_u16());
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return fallback();
    };
    let str_of = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let message = str_of("message")
        .or_else(|| str_of("error_description"))
        .or_else(|| str_of("error"))
        .or_else(|| str_of("code"));
    match message {
        Some(m) if m.chars().count() > 500 => m.chars().take(500).collect::<String>() + "…",
        Some(m) => m.to_string(),
        None => fallback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    #[test]
    fn rest_and_oauth_bodies() {
        let rest =
            r#"{"status":426,"code":"NONEXISTENT_VERSION","message":"Requested version 20230100 is not active"}"#;
        assert_eq!(message_of(StatusCode::UPGRADE_REQUIRED, rest), "Requested version 20230100 is not active");
        let oauth = r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#;
        assert_eq!(message_of(StatusCode::UNAUTHORIZED, oauth), "Client authentication failed");
        assert_eq!(message_of(StatusCode::BAD_GATEWAY, ""), "LinkedIn answered HTTP 502");
        let e = client::classify(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), "slow down".into(), Utc::now());
        assert_eq!(e, PlatformError::RateLimited { message: "slow down".into(), retry_at: None });
    }
}
