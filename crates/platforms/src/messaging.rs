//! The inbox's outgoing side on Meta's networks: WhatsApp Cloud API messages, templates and
//! media (`whatsapp`), and Instagram/Messenger direct messages, private replies and comment
//! replies (`meta_dm`). Every call takes the Graph base (`MetaConfig`) and the channel's token,
//! sent as `Authorization: Bearer` with a JSON body.
//!
//! Sources:
//! WhatsApp send https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages,
//! phone numbers https://developers.facebook.com/docs/whatsapp/cloud-api/reference/phone-numbers,
//! templates https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates,
//! media https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media,
//! webhooks subscription https://developers.facebook.com/docs/whatsapp/embedded-signup/webhooks,
//! error codes https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes;
//! Messenger Send API https://developers.facebook.com/docs/messenger-platform/reference/send-api,
//! message tags https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags,
//! errors https://developers.facebook.com/docs/messenger-platform/error-codes,
//! Instagram messaging https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message,
//! private replies https://developers.facebook.com/docs/messenger-platform/instagram/features/private-replies,
//! Instagram comment replies https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/replies,
//! Page webhooks https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps.
//! Chatwoot's `whatsapp_cloud_service.rb` sends the same shapes.

pub mod meta_dm;
pub mod whatsapp;

use crate::client::{self, Effect, HttpClient};
use crate::error::{PlatformError, PlatformResult};
use crate::meta::{classify_graph_error, parse_graph_error, usage_retry_at};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message the network accepted: its id there (a WhatsApp `wamid.…`, a Messenger/Instagram
/// `mid`, a comment id), which its status webhooks will name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub platform_message_id: String,
}

/// WhatsApp's 131047 "Re-engagement message": more than 24 hours since the customer wrote.
pub const WHATSAPP_OUTSIDE_WINDOW: i64 = 131047;
/// Messenger's "sent outside of allowed window" (code 10).
pub const MESSENGER_OUTSIDE_WINDOW_SUBCODE: i64 = 2018278;
/// Instagram's "sent outside of allowed window" (code 10).
pub const INSTAGRAM_OUTSIDE_WINDOW_SUBCODE: i64 = 2534022;

/// Whether the network refused a free-form message because the customer's messaging window is
/// closed: WhatsApp then needs a template, Messenger/Instagram the customer to write again.
pub fn is_outside_window(err: &PlatformError) -> bool {
    matches!(err, PlatformError::Permanent { .. })
        && graph_error_code(err).is_some_and(|(code, sub)| window_rule(code, sub).is_some())
}

/// The Graph API code and subcode an error carries, read back from its message (the Graph
/// error classifier writes them as `(Graph API error 131047, subcode …)`).
pub fn graph_error_code(err: &PlatformError) -> Option<(i64, Option<i64>)> {
    let msg = err.message();
    let start = msg.rfind("(Graph API error ")? + "(Graph API error ".len();
    let rest = &msg[start..];
    let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).collect::<String>();
    let code = digits(rest).parse().ok()?;
    let sub = rest
        .split_once(", subcode ")
        .filter(|(before, _)| !before.contains(')'))
        .and_then(|(_, s)| digits(s).parse().ok());
    Some((code, sub))
}

/// What a window refusal means for the person writing the reply.
fn window_rule(code: i64, subcode: Option<i64>) -> Option<&'static str> {
    match (code, subcode) {
        (WHATSAPP_OUTSIDE_WINDOW, _) => Some(
            "the customer last wrote more than 24 hours ago: WhatsApp only allows an approved template until they write again",
        ),
        (10, Some(MESSENGER_OUTSIDE_WINDOW_SUBCODE)) => Some(
            "outside Messenger's messaging window (24 hours after the person's last message, 7 days for a human agent reply)",
        ),
        (10, Some(INSTAGRAM_OUTSIDE_WINDOW_SUBCODE)) => Some(
            "outside Instagram's messaging window (24 hours after the person's last message, 7 days for a human agent reply)",
        ),
        _ => None,
    }
}

/// WhatsApp throughput codes: 130429 throughput, 131048 spam rate limit, 131056 pair rate limit
/// (4 and 80007 are already Graph throttling codes).
fn is_messaging_rate_limit(code: i64) -> bool {
    matches!(code, 130429 | 131048 | 131056)
}

/// WhatsApp's "try again" codes: 131000 unknown, 131016 service unavailable, 133004 server
/// temporarily unavailable.
fn is_messaging_transient(code: i64) -> bool {
    matches!(code, 131000 | 131016 | 133004)
}

/// The Graph classification, with the messaging codes Graph's own table does not know: window
/// refusals are permanent (code 10 would otherwise read as a missing permission), WhatsApp
/// throughput codes are rate limits, and WhatsApp's `error_data.details` is kept.
pub(crate) fn classify(status: StatusCode, headers: &HeaderMap, body: &str, now: DateTime<Utc>) -> PlatformError {
    let base = classify_graph_error(status, headers, body, now);
    let Some(err) = parse_graph_error(body) else { return base };
    let code = err.code.unwrap_or(0);
    let details = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/error_data/details").and_then(Value::as_str).map(str::to_string))
        .filter(|d| !d.is_empty() && !base.message().contains(d.as_str()));
    let message = match details {
        Some(d) => format!("{d} — {}", base.message()),
        None => base.message().to_string(),
    };
    if let Some(rule) = window_rule(code, err.error_subcode) {
        return PlatformError::permanent(Some(status.as_u16()), format!("{rule}: {message}"));
    }
    if is_messaging_rate_limit(code) {
        let retry_at = usage_retry_at(headers, now).or_else(|| client::rate_limit_reset(headers, now));
        return PlatformError::RateLimited { message, retry_at };
    }
    if is_messaging_transient(code) {
        return PlatformError::retryable(message);
    }
    match base {
        PlatformError::Permanent { status, .. } => PlatformError::Permanent { status, message },
        PlatformError::RateLimited { retry_at, .. } => PlatformError::RateLimited { message, retry_at },
        PlatformError::Auth { .. } => PlatformError::auth(message),
        PlatformError::Retryable { .. } => PlatformError::retryable(message),
        PlatformError::Unknown { .. } => PlatformError::unknown(message),
    }
}

/// A success body as JSON, or the error classified for messaging.
pub(crate) async fn read<T: DeserializeOwned>(resp: reqwest::Response, effect: Effect) -> PlatformResult<T> {
    if resp.status().is_success() {
        return client::json(resp, effect).await;
    }
    let (status, headers, body) = client::error_body(resp).await;
    Err(classify(status, &headers, &body, Utc::now()))
}

/// GET with the token as a Bearer header (it stays out of URLs and logs).
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &HttpClient,
    url: &str,
    token: &str,
    query: &[(&str, &str)],
) -> PlatformResult<T> {
    let req = http.inner.get(url).query(query).bearer_auth(token);
    read(client::send(req, Effect::Read).await?, Effect::Read).await
}

/// POST a JSON body with the token as a Bearer header.
pub(crate) async fn post_json<T: DeserializeOwned>(
    http: &HttpClient,
    url: &str,
    token: &str,
    body: &Value,
    effect: Effect,
) -> PlatformResult<T> {
    let req = http.inner.post(url).bearer_auth(token).json(body);
    read(client::send(req, effect).await?, effect).await
}

/// `{"success": true}` (some endpoints answer the string `"true"`).
pub(crate) fn require_success(v: &Value, what: &str) -> PlatformResult<()> {
    match v.get("success") {
        Some(Value::Bool(true)) => Ok(()),
        Some(Value::String(s)) if s == "true" => Ok(()),
        _ => Err(PlatformError::bad_response(format!("{what} did not answer success: {v}"))),
    }
}

/// A text that must not be empty nor longer than the network allows.
pub(crate) fn check_text(text: &str, max_chars: usize, what: &str) -> PlatformResult<()> {
    if text.trim().is_empty() {
        return Err(PlatformError::permanent(None, format!("the {what} is empty")));
    }
    let n = text.chars().count();
    if n > max_chars {
        return Err(PlatformError::permanent(None, format!("the {what} has {n} characters; at most {max_chars} fit")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn classify_body(status: u16, body: Value, headers: &HeaderMap) -> PlatformError {
        classify(StatusCode::from_u16(status).unwrap(), headers, &body.to_string(), Utc::now())
    }

    fn graph(code: i64, subcode: Option<i64>, message: &str) -> Value {
        json!({"error": {"message": message, "type": "OAuthException", "code": code, "error_subcode": subcode,
            "error_data": {"messaging_product": "whatsapp", "details": "more detail"}, "fbtrace_id": "T"}})
    }

    #[test]
    fn window_refusals_are_permanent_and_recognised() {
        let h = HeaderMap::new();
        for (code, sub) in [(131047, None), (10, Some(2018278)), (10, Some(2534022))] {
            let e = classify_body(400, graph(code, sub, "(#x) window"), &h);
            assert!(matches!(e, PlatformError::Permanent { status: Some(400), .. }), "{e:?}");
            assert!(is_outside_window(&e), "{e:?}");
            assert_eq!(graph_error_code(&e), Some((code, sub)));
        }
        let e = classify_body(400, graph(10, None, "(#10) no permission"), &h);
        assert!(matches!(e, PlatformError::Auth { .. }) && !is_outside_window(&e));
        let e = classify_body(400, graph(131026, None, "(#131026) Message Undeliverable"), &h);
        assert!(matches!(e, PlatformError::Permanent { .. }) && !is_outside_window(&e));
        assert!(e.message().contains("more detail") && e.message().contains("131026"), "{}", e.message());
    }

    #[test]
    fn whatsapp_throughput_and_transient_codes() {
        let mut h = HeaderMap::new();
        for code in [130429, 131056, 131048, 4, 80007] {
            assert!(matches!(classify_body(400, graph(code, None, "x"), &h), PlatformError::RateLimited { .. }));
        }
        h.insert("retry-after", HeaderValue::from_static("60"));
        let e = classify_body(400, graph(130429, None, "x"), &h);
        assert!(matches!(e, PlatformError::RateLimited { retry_at: Some(_), .. }));
        assert!(matches!(classify_body(500, graph(131000, None, "x"), &h), PlatformError::Retryable { .. }));
        assert!(matches!(classify_body(400, graph(190, None, "x"), &h), PlatformError::Auth { .. }));
    }

    #[test]
    fn code_is_read_from_plain_messages_too() {
        let e = PlatformError::permanent(Some(400), "Nope (Graph API error 100, fbtrace_id X)");
        assert_eq!(graph_error_code(&e), Some((100, None)));
        assert_eq!(graph_error_code(&PlatformError::permanent(None, "no code")), None);
        assert!(check_text(" ", 10, "message").is_err() && check_text("héllo", 5, "message").is_ok());
    }
}
