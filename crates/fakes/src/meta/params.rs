//! Request parameters the way the Graph API reads them (query string, form or JSON body,
//! access token in the parameters or an `Authorization: Bearer/OAuth` header), token checks,
//! and Graph-shaped answers.

use super::state::{Subject, World};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;

pub(crate) struct Params {
    pub map: HashMap<String, String>,
    pub token: Option<String>,
}

impl Params {
    pub fn parse(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Params {
        let mut map = uri.query().map(decode_form).unwrap_or_default();
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if content_type.starts_with("application/json") {
            if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
                for (k, v) in obj {
                    let v = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    map.insert(k, v);
                }
            }
        } else if !body.is_empty() {
            map.extend(decode_form(&String::from_utf8_lossy(body)));
        }
        let from_header = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("OAuth ")))
            .map(str::to_string);
        let token = map.remove("access_token").or(from_header).filter(|t| !t.is_empty());
        Params { map, token }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A required parameter, or the Graph API's code 100 answer.
    pub fn require(&self, key: &str) -> Result<&str, Response> {
        self.get(key).ok_or_else(|| error(400, 100, None, &format!("(#100) The parameter {key} is required")))
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| v == "true" || v == "1")
    }

    pub fn since(&self) -> Option<DateTime<Utc>> {
        let raw = self.get("since")?;
        raw.parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .or_else(|| DateTime::parse_from_rfc3339(raw).ok().map(|t| t.with_timezone(&Utc)))
    }

    pub fn limit(&self) -> usize {
        self.get("limit").and_then(|l| l.parse().ok()).unwrap_or(25).clamp(1, 100)
    }

    pub fn cursor(&self) -> Option<usize> {
        self.get("after").and_then(|c| c.parse().ok())
    }

    pub fn fields(&self) -> &str {
        self.get("fields").unwrap_or("")
    }
}

/// `application/x-www-form-urlencoded` decoding.
pub(crate) fn decode_form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encode a query value (for redirects).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request parameters as JSON: nested objects arrive as JSON bodies or JSON-encoded form fields.
pub(crate) fn body_json(p: &Params) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in &p.map {
        let nested = (v.starts_with('{') || v.starts_with('[')).then(|| serde_json::from_str(v).ok()).flatten();
        out.insert(k.clone(), nested.unwrap_or_else(|| Value::String(v.clone())));
    }
    Value::Object(out)
}

/// A Graph API error body: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
pub(crate) fn error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let kind = if matches!(code, 100 | 102 | 104 | 190) || (200..300).contains(&code) {
        "OAuthException"
    } else {
        "GraphMethodException"
    };
    let mut body = json!({"error": {
        "message": message, "type": kind, "code": code,
        "fbtrace_id": format!("Fk{:010x}", rand::random::<u64>() >> 24),
    }});
    if let Some(sub) = subcode {
        body["error"]["error_subcode"] = json!(sub);
    }
    respond(status, body)
}

/// An error body with the user-facing title and message some Instagram errors carry.
pub(crate) fn user_error(code: i64, subcode: i64, message: &str, title: &str, user_msg: &str) -> Response {
    respond(
        400,
        json!({"error": {
            "message": message, "type": "OAuthException", "code": code, "error_subcode": subcode,
            "is_transient": false, "error_user_title": title, "error_user_msg": user_msg,
            "fbtrace_id": format!("Fk{:010x}", rand::random::<u64>() >> 24),
        }}),
    )
}

pub(crate) fn respond(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

pub(crate) fn ok(body: Value) -> Response {
    respond(200, body)
}

/// "Object does not exist, cannot be loaded due to missing permissions, or does not support
/// this operation": the Graph API's answer for an id the token cannot reach.
pub(crate) fn no_such_object(id: &str) -> Response {
    error(
        400,
        100,
        Some(33),
        &format!(
            "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
        ),
    )
}

/// The subject a token speaks for, or the Graph API's answer to a missing/bad/expired token.
/// `threads` says which API was called: each only knows its own tokens.
pub(crate) fn authenticate(world: &World, token: Option<&str>, threads: bool) -> Result<Subject, Response> {
    let Some(token) = token else {
        return Err(error(400, 104, None, "An access token is required to request this resource."));
    };
    let invalid = || error(400, 190, None, "Invalid OAuth access token - Cannot parse access token");
    let grant = world.tokens.get(token).ok_or_else(invalid)?;
    if threads != (grant.subject == Subject::ThreadsUser) {
        return Err(invalid());
    }
    if let Some(at) = grant.expires_at.filter(|at| *at <= Utc::now()) {
        let when = at.format("%A, %d-%b-%y %H:%M:%S UTC");
        return Err(error(
            400,
            190,
            Some(463),
            &format!("Error validating access token: Session has expired on {when}."),
        ));
    }
    Ok(grant.subject.clone())
}

/// Graph timestamps: `2024-05-01T12:00:00+0000`.
pub(crate) fn graph_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// `{"data": [...], "paging": {...}}` with an `after` cursor and `next` when there is more.
pub(crate) fn page_of(items: Vec<Value>, next: Option<usize>, uri: &Uri) -> Value {
    let mut body = json!({ "data": items });
    if let Some(pos) = next {
        body["paging"] = json!({
            "cursors": { "after": pos.to_string() },
            "next": format!("{}?after={pos}", uri.path()),
        });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        let m = decode_form("a=1&b=hello+world%21&c=%7B%22x%22%3A1%7D&d=&e=%zz&f=50%");
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "hello world!");
        assert_eq!(m["c"], "{\"x\":1}");
        assert_eq!(m["d"], "");
        assert_eq!(m["e"], "%zz");
        assert_eq!(m["f"], "50%");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
