//! The mentions timeline on the fake X: `GET /2/users/:id/mentions`, the posts naming
//! `@username` and the replies to the user's posts, newest first, bounded by `since_id` and
//! `until_id`, paged with `pagination_token` (which keeps the `since_id` bound), with
//! `expansions=author_id` users and the `tweet.fields` asked for. Every answer carries
//! `x-rate-limit-*` headers; a spent window gets X's 429.
//!
//! Tests make other users write: [`XState::add_mention`], [`XState::add_reply`].

use super::tweets::{fields, shown, FakeTweet, PublicMetrics};
use super::{bearer_user, invalid_request, next_id, problem, Inner, XState, USERNAME};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::HashMap;

const RATE_LIMIT: u32 = 180;
const WINDOW_SECONDS: i64 = 900;

#[derive(Default)]
pub(super) struct Budget {
    /// Requests left before 429; None: never limited.
    remaining: Option<u32>,
    /// The raw query of every mentions request, oldest first.
    queries: Vec<String>,
}

impl XState {
    /// A post by `author_id` naming the default user (`@sellcast_fake ` is put in front when
    /// the text does not name it); its id.
    pub fn add_mention(&self, author_id: &str, text: &str) -> String {
        let handle = format!("@{USERNAME}");
        let text = if names(text, USERNAME) { text.to_string() } else { format!("{handle} {text}") };
        post(&mut self.lock(), author_id, text, None)
    }

    /// A reply by `author_id` to the post `parent_id`, starting with `@` the parent's author as
    /// X writes replies; its id.
    pub fn add_reply(&self, author_id: &str, parent_id: &str, text: &str) -> String {
        let mut s = self.lock();
        let parent_author =
            parent_id.parse().ok().and_then(|id: u64| s.tweets.by_id.get(&id)).map(|t| t.author_id.clone());
        let username = parent_author.and_then(|a| s.users.get(&a).map(|u| u.username.clone())).unwrap_or_default();
        let text = if username.is_empty() || names(text, &username) {
            text.to_string()
        } else {
            format!("@{username} {text}")
        };
        post(&mut s, author_id, text, Some(parent_id.to_string()))
    }

    /// Requests the mentions timeline answers before it refuses with 429 (None: no limit).
    pub fn set_rate_limit_remaining(&self, remaining: Option<u32>) {
        self.lock().mentions.remaining = remaining;
    }

    /// The raw query string of every mentions request so far.
    pub fn mention_queries(&self) -> Vec<String> {
        self.lock().mentions.queries.clone()
    }
}

fn post(s: &mut Inner, author_id: &str, text: String, in_reply_to: Option<String>) -> String {
    let id = next_id(s);
    let tweet = FakeTweet {
        id: id.to_string(),
        author_id: author_id.to_string(),
        text,
        media_ids: vec![],
        in_reply_to,
        created_at: Utc::now(),
        metrics: PublicMetrics::default(),
    };
    s.tweets.insert(id, tweet);
    id.to_string()
}

/// Whether `text` names `@username` (case-insensitively, as a whole handle).
fn names(text: &str, username: &str) -> bool {
    let wanted = username.to_ascii_lowercase();
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@'))
        .any(|word| word.strip_prefix('@').is_some_and(|w| w.to_ascii_lowercase() == wanted))
}

fn parent_of<'a>(s: &'a Inner, t: &FakeTweet) -> Option<&'a FakeTweet> {
    t.in_reply_to.as_ref()?.parse().ok().and_then(|id: u64| s.tweets.by_id.get(&id))
}

/// The first post of the reply chain `t` belongs to (a deleted post still names it).
fn conversation_id<'a>(s: &'a Inner, t: &'a FakeTweet) -> String {
    let mut current = t;
    for _ in 0..1000 {
        let Some(parent_id) = &current.in_reply_to else { break };
        match parent_of(s, current) {
            Some(parent) => current = parent,
            None => return parent_id.clone(),
        }
    }
    current.id.clone()
}

fn rate_headers(remaining: u32, reset: i64) -> [(&'static str, String); 3] {
    [
        ("x-rate-limit-limit", RATE_LIMIT.to_string()),
        ("x-rate-limit-remaining", remaining.to_string()),
        ("x-rate-limit-reset", reset.to_string()),
    ]
}

fn id_param(q: &HashMap<String, String>, key: &str) -> Result<Option<u64>, Response> {
    match q.get(key) {
        None => Ok(None),
        Some(v) => v
            .strip_prefix(if key == "pagination_token" { "p" } else { "" })
            .and_then(|n| n.parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| invalid_request(&format!("The `{key}` query parameter value [{v}] is not valid"))),
    }
}

pub(super) async fn list(
    State(state): State<XState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(r) = bearer_user(&state, &headers) {
        return r;
    }
    let mut s = state.lock();
    s.mentions.queries.push(raw.unwrap_or_default());
    let reset = Utc::now().timestamp() + WINDOW_SECONDS;
    let remaining = match s.mentions.remaining {
        None => RATE_LIMIT - 1,
        Some(0) => {
            let body = json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429});
            return (rate_headers(0, reset), problem(StatusCode::TOO_MANY_REQUESTS, body)).into_response();
        }
        Some(n) => {
            s.mentions.remaining = Some(n - 1);
            n - 1
        }
    };
    if user_id.parse::<u64>().is_err() {
        return invalid_request(&format!("The `id` query parameter value [{user_id}] is not valid"));
    }
    let max = match q.get("max_results").map(|m| m.parse::<usize>()) {
        None => 10,
        Some(Ok(m)) if (5..=100).contains(&m) => m,
        Some(_) => return invalid_request("The `max_results` query parameter value is not between 5 and 100"),
    };
    let bounds = (id_param(&q, "since_id"), id_param(&q, "until_id"), id_param(&q, "pagination_token"));
    let (since, until, token) = match bounds {
        (Ok(a), Ok(b), Ok(c)) => (a.unwrap_or(0), b.unwrap_or(u64::MAX), c.unwrap_or(u64::MAX)),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let Some(username) = s.users.get(&user_id).map(|u| u.username.clone()) else {
        return Json(json!({ "meta": { "result_count": 0 } })).into_response();
    };
    let mentions_user =
        |t: &FakeTweet| names(&t.text, &username) || parent_of(&s, t).is_some_and(|p| p.author_id == user_id);
    let mut ids: Vec<u64> = s
        .tweets
        .by_id
        .iter()
        .filter(|(id, t)| **id > since && **id < until.min(token) && mentions_user(t))
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let more = ids.len() > max;
    ids.truncate(max);
    let tweet_fields = fields(&q, "tweet.fields");
    let expand_authors = fields(&q, "expansions").iter().any(|e| e == "author_id");
    let mut data: Vec<Value> = Vec::new();
    let mut users: Vec<Value> = Vec::new();
    for t in ids.iter().filter_map(|id| s.tweets.by_id.get(id)) {
        let mut v = shown(t, &tweet_fields);
        if tweet_fields.iter().any(|f| f == "conversation_id") {
            v["conversation_id"] = json!(conversation_id(&s, t));
        }
        if let Some(parent) = parent_of(&s, t).filter(|_| tweet_fields.iter().any(|f| f == "in_reply_to_user_id")) {
            v["in_reply_to_user_id"] = json!(parent.author_id);
        }
        if expand_authors {
            v["author_id"] = json!(t.author_id);
            if let Some(u) = s.users.get(&t.author_id).filter(|_| !users.iter().any(|u| u["id"] == t.author_id)) {
                users.push(json!({ "id": t.author_id, "name": u.name, "username": u.username }));
            }
        }
        data.push(v);
    }
    let (Some(newest), Some(oldest)) = (ids.first(), ids.last()) else {
        return (rate_headers(remaining, reset), Json(json!({ "meta": { "result_count": 0 } }))).into_response();
    };
    let mut meta =
        json!({ "result_count": data.len(), "newest_id": newest.to_string(), "oldest_id": oldest.to_string() });
    if more {
        meta["next_token"] = json!(format!("p{oldest}"));
    }
    let mut answer = json!({ "data": data, "meta": meta });
    if !users.is_empty() {
        answer["includes"] = json!({ "users": users });
    }
    (rate_headers(remaining, reset), Json(answer)).into_response()
}
