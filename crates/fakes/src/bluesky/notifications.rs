//! The AppView's `app.bsky.notification.listNotifications`, as the PDS forwards it: the
//! notifications of the signed-in account, derived from the other accounts' posts the way the
//! AppView indexes them (a mention facet naming the account, a quote of one of its posts, a
//! reply under one of its posts), newest first, paged with an opaque `cursor`, filtered by
//! `reasons`. Answers carry the PDS's `ratelimit-*` headers; a spent budget gets 429
//! RateLimitExceeded.

use super::records::{self, FakeRecord, POST};
use super::{authed, invalid, xrpc_error, BlueskyState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;

const RATE_LIMIT: u32 = 3000;
const WINDOW_SECONDS: i64 = 300;

#[derive(Default)]
pub(super) struct AppView {
    display_names: HashMap<String, String>,
    /// Requests left before 429; None: never limited.
    budget: Option<u32>,
    /// The last indexing time handed out: every record gets a later one.
    pub(super) last_indexed: Option<DateTime<Utc>>,
}

impl BlueskyState {
    /// A post in `did`'s repo, as if its owner had created it (`$type` and `createdAt` filled
    /// in when missing). Another account's post that mentions, quotes or answers one of
    /// yours becomes one of your notifications.
    pub fn add_post(&self, did: &str, mut record: Value) -> FakeRecord {
        if !record.is_object() {
            record = json!({});
        }
        record["$type"] = json!(POST);
        if record.get("createdAt").is_none() {
            record["createdAt"] = json!(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
        }
        let mut s = self.lock();
        loop {
            if let Some(stored) = records::store(&mut s, did, POST, &records::new_tid(), record.clone()) {
                return stored;
            }
        }
    }

    /// The profile's display name, as the AppView shows it on notifications.
    pub fn set_display_name(&self, did: &str, name: &str) {
        self.lock().appview.display_names.insert(did.to_string(), name.to_string());
    }

    /// Requests `listNotifications` answers before it refuses with 429 (None: no limit).
    pub fn set_rate_limit_remaining(&self, remaining: Option<u32>) {
        self.lock().appview.budget = remaining;
    }
}

/// Why `account` is notified of `post`, and the post of the account it concerns.
fn reason(post: &FakeRecord, account: &str) -> Option<(&'static str, Option<String>)> {
    if post.did == account {
        return None;
    }
    let ours = |uri: Option<&Value>| {
        uri.and_then(Value::as_str).filter(|u| u.starts_with(&format!("at://{account}/"))).map(str::to_string)
    };
    let v = &post.value;
    let facets = v.get("facets").and_then(Value::as_array).into_iter().flatten();
    let mut features = facets.flat_map(|f| f.get("features").and_then(Value::as_array).into_iter().flatten());
    let mentioned = features.any(|f| {
        f.get("$type").and_then(Value::as_str) == Some("app.bsky.richtext.facet#mention")
            && f.get("did").and_then(Value::as_str) == Some(account)
    });
    if mentioned {
        return Some(("mention", None));
    }
    if let Some(quoted) = ours(v.pointer("/embed/record/uri")).or_else(|| ours(v.pointer("/embed/record/record/uri"))) {
        return Some(("quote", Some(quoted)));
    }
    let parent = ours(v.pointer("/reply/parent/uri"));
    if parent.is_some() || ours(v.pointer("/reply/root/uri")).is_some() {
        return Some(("reply", parent));
    }
    None
}

fn rate_headers(remaining: u32, reset: i64) -> [(&'static str, String); 4] {
    [
        ("ratelimit-limit", RATE_LIMIT.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset.to_string()),
        ("ratelimit-policy", format!("{RATE_LIMIT};w={WINDOW_SECONDS}")),
    ]
}

pub(super) fn list(
    state: &BlueskyState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<Response, Response> {
    let mut s = state.lock();
    let account = authed(&s, headers)?;
    if s.lone_pds {
        return Err(invalid("No service configured for app.bsky.notification.listNotifications"));
    }
    let reset = Utc::now().timestamp() + WINDOW_SECONDS;
    let remaining = match s.appview.budget {
        None => RATE_LIMIT - 1,
        Some(0) => {
            let refusal = xrpc_error(StatusCode::TOO_MANY_REQUESTS, "RateLimitExceeded", "Rate Limit Exceeded");
            return Err((rate_headers(0, reset), refusal).into_response());
        }
        Some(n) => {
            s.appview.budget = Some(n - 1);
            n - 1
        }
    };
    let param = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let limit = match param("limit").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        Some(_) => return Err(invalid("limit must be an integer between 1 and 100")),
    };
    let before = match param("cursor").map(str::parse::<u64>) {
        None => u64::MAX,
        Some(Ok(seq)) => seq,
        Some(Err(_)) => return Err(invalid("Malformed cursor")),
    };
    let reasons: Vec<&str> = pairs.iter().filter(|(k, _)| k == "reasons").map(|(_, v)| v.as_str()).collect();
    let mut found: Vec<(FakeRecord, &'static str, Option<String>)> = s
        .repos
        .iter()
        .filter(|((_, collection), _)| collection == POST)
        .flat_map(|((did, collection), m)| m.iter().map(move |(rkey, r)| r.to_fake(did, collection, rkey)))
        .filter(|r| r.seq < before)
        .filter_map(|r| reason(&r, &account).map(|(why, subject)| (r, why, subject)))
        .filter(|(_, why, _)| reasons.is_empty() || reasons.contains(why))
        .collect();
    found.sort_by_key(|(r, _, _)| std::cmp::Reverse(r.seq));
    let more = found.len() > limit;
    found.truncate(limit);
    let notifications: Vec<Value> = found
        .iter()
        .map(|(r, why, subject)| {
            let mut author = json!({ "did": r.did, "handle": s.accounts.get(&r.did).map(|a| a.handle.clone()) });
            if let Some(name) = s.appview.display_names.get(&r.did) {
                author["displayName"] = json!(name);
            }
            let mut n = json!({
                "uri": r.uri, "cid": r.cid, "author": author, "reason": why, "record": r.value,
                "isRead": false, "indexedAt": r.created_at.to_rfc3339_opts(SecondsFormat::Micros, true), "labels": [],
            });
            if let Some(subject) = subject {
                n["reasonSubject"] = json!(subject);
            }
            n
        })
        .collect();
    let mut answer = json!({ "notifications": notifications });
    if let (true, Some((last, _, _))) = (more, found.last()) {
        answer["cursor"] = json!(last.seq.to_string());
    }
    Ok((rate_headers(remaining, reset), Json(answer)).into_response())
}
