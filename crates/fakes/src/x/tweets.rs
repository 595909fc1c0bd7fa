//! Posts on the fake X: create, look up, delete, the user's timeline, and `/2/users/me`.

use super::{bearer_user, invalid_request, next_id, problem, XState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const TOO_LONG: &str = "Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text.";
const DUPLICATE: &str = "You are not allowed to create a Tweet with duplicate content.";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublicMetrics {
    pub retweet_count: u64,
    pub reply_count: u64,
    pub like_count: u64,
    pub quote_count: u64,
    pub bookmark_count: u64,
    pub impression_count: u64,
}

#[derive(Debug, Clone)]
pub struct FakeTweet {
    pub id: String,
    pub author_id: String,
    pub text: String,
    pub media_ids: Vec<String>,
    pub in_reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
    pub metrics: PublicMetrics,
}

/// Posts by id, each author's timeline ordered by (time, id), and the texts each author has
/// posted (X refuses duplicates): every operation is a map lookup or a range scan.
#[derive(Default)]
pub(super) struct Tweets {
    pub(super) by_id: HashMap<u64, FakeTweet>,
    timelines: HashMap<String, BTreeSet<(i64, u64)>>,
    texts: HashMap<(String, String), u64>,
    top_level: usize,
}

impl Tweets {
    pub(super) fn all(&self) -> Vec<FakeTweet> {
        let mut all: Vec<(u64, FakeTweet)> = self.by_id.iter().map(|(k, v)| (*k, v.clone())).collect();
        all.sort_by_key(|(k, _)| *k);
        all.into_iter().map(|(_, t)| t).collect()
    }

    pub(super) fn top_level_count(&self) -> usize {
        self.top_level
    }

    pub(super) fn set_metrics(&mut self, id: &str, metrics: PublicMetrics) {
        if let Some(t) = id.parse().ok().and_then(|id: u64| self.by_id.get_mut(&id)) {
            t.metrics = metrics;
        }
    }

    pub(super) fn insert(&mut self, id: u64, tweet: FakeTweet) {
        let key = (tweet.created_at.timestamp_millis(), id);
        self.timelines.entry(tweet.author_id.clone()).or_default().insert(key);
        if !tweet.text.is_empty() {
            self.texts.insert((tweet.author_id.clone(), tweet.text.clone()), id);
        }
        if tweet.in_reply_to.is_none() {
            self.top_level += 1;
        }
        self.by_id.insert(id, tweet);
    }

    fn remove(&mut self, id: u64) -> Option<FakeTweet> {
        let tweet = self.by_id.remove(&id)?;
        if let Some(timeline) = self.timelines.get_mut(&tweet.author_id) {
            timeline.remove(&(tweet.created_at.timestamp_millis(), id));
        }
        self.texts.remove(&(tweet.author_id.clone(), tweet.text.clone()));
        if tweet.in_reply_to.is_none() {
            self.top_level -= 1;
        }
        Some(tweet)
    }
}

/// Length as X counts it (twitter-text v3, simplified): a URL is 23, characters in the Latin
/// and common punctuation ranges weigh 1, everything else (CJK, emoji) 2; the limit is 280.
pub fn weighted_length(text: &str) -> usize {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let bare = word.trim_end();
            let tail = word.len() - bare.len();
            if bare.starts_with("http://") || bare.starts_with("https://") {
                23 + tail
            } else {
                word.chars().map(|c| if light(c) { 1 } else { 2 }).sum()
            }
        })
        .sum()
}

fn light(c: char) -> bool {
    matches!(c as u32, 0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247)
}

fn not_found(id: &str) -> Response {
    Json(json!({ "errors": [{
        "value": id,
        "detail": format!("Could not find tweet with id: [{id}]."),
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "id",
        "resource_id": id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }]}))
    .into_response()
}

fn parse_id(id: &str) -> Result<u64, Response> {
    id.parse::<u64>().map_err(|_| invalid_request(&format!("The `id` query parameter value [{id}] is not valid")))
}

pub(super) fn fields(q: &HashMap<String, String>, key: &str) -> Vec<String> {
    q.get(key).map(|v| v.split(',').map(str::to_string).collect()).unwrap_or_default()
}

/// A post as X lists it: entities escaped, links shortened, a link to the media appended.
pub(super) fn shown(t: &FakeTweet, tweet_fields: &[String]) -> Value {
    let mut text = t.text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    text = text
        .split(' ')
        .map(|w| if w.starts_with("http://") || w.starts_with("https://") { "https://t.co/fAkE1" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    if !t.media_ids.is_empty() {
        text.push_str(" https://t.co/mEdIa");
    }
    let mut v = json!({ "id": t.id, "text": text, "edit_history_tweet_ids": [t.id] });
    for f in tweet_fields {
        match f.as_str() {
            "created_at" => v["created_at"] = json!(t.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "author_id" => v["author_id"] = json!(t.author_id),
            "public_metrics" => v["public_metrics"] = json!(t.metrics),
            "referenced_tweets" => {
                if let Some(parent) = &t.in_reply_to {
                    v["referenced_tweets"] = json!([{ "type": "replied_to", "id": parent }]);
                }
            }
            _ => {}
        }
    }
    v
}

pub(super) async fn me(
    State(state): State<XState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let user_id = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(user) = state.lock().users.get(&user_id).cloned() else { return super::unauthorized() };
    let mut data = json!({ "id": user_id, "name": user.name, "username": user.username });
    if fields(&q, "user.fields").iter().any(|f| f == "profile_image_url") {
        data["profile_image_url"] = json!(format!("https://pbs.twimg.com/profile_images/{user_id}/avatar_normal.jpg"));
    }
    Json(json!({ "data": data })).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct CreateBody {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    media: Option<MediaField>,
    #[serde(default)]
    reply: Option<ReplyField>,
}

#[derive(Debug, Deserialize)]
pub(super) struct MediaField {
    #[serde(default)]
    media_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ReplyField {
    in_reply_to_tweet_id: String,
}

pub(super) async fn create(State(state): State<XState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let user_id = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let body: CreateBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return invalid_request(&format!("Request body is not valid JSON: {e}")),
    };
    let text = body.text.unwrap_or_default();
    let media_ids = body.media.map(|m| m.media_ids).unwrap_or_default();
    if text.trim().is_empty() && media_ids.is_empty() {
        return invalid_request("Post text is empty: a post needs text or media.");
    }
    if weighted_length(&text) > 280 {
        return invalid_request(TOO_LONG);
    }
    let mut s = state.lock();
    if let Err(message) = s.media.check_attachable(&user_id, &media_ids) {
        return invalid_request(message);
    }
    let in_reply_to = body.reply.map(|r| r.in_reply_to_tweet_id);
    if let Some(parent) = &in_reply_to {
        if parent.parse::<u64>().ok().and_then(|p| s.tweets.by_id.get(&p)).is_none() {
            return invalid_request("The Tweet you are replying to has been deleted or is not visible to you.");
        }
    }
    if s.reject_duplicates && !text.is_empty() && s.tweets.texts.contains_key(&(user_id.clone(), text.clone())) {
        return problem(
            StatusCode::FORBIDDEN,
            json!({"detail": DUPLICATE, "type": "about:blank", "title": "Forbidden", "status": 403}),
        );
    }
    let id = next_id(&mut s);
    let tweet = FakeTweet {
        id: id.to_string(),
        author_id: user_id,
        text: text.clone(),
        media_ids,
        in_reply_to,
        created_at: Utc::now(),
        metrics: PublicMetrics::default(),
    };
    s.tweets.insert(id, tweet);
    let id = id.to_string();
    (StatusCode::CREATED, Json(json!({ "data": { "id": id, "text": text, "edit_history_tweet_ids": [id] } })))
        .into_response()
}

pub(super) async fn lookup(
    State(state): State<XState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = bearer_user(&state, &headers) {
        return r;
    }
    let n = match parse_id(&id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let s = state.lock();
    match s.tweets.by_id.get(&n) {
        Some(t) => Json(json!({ "data": shown(t, &fields(&q, "tweet.fields")) })).into_response(),
        None => not_found(&id),
    }
}

pub(super) async fn delete(State(state): State<XState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let user_id = match bearer_user(&state, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let n = match parse_id(&id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let mut s = state.lock();
    match s.tweets.by_id.get(&n) {
        None => not_found(&id),
        Some(t) if t.author_id != user_id => problem(
            StatusCode::FORBIDDEN,
            json!({"detail": "You are not allowed to delete this Tweet.", "type": "about:blank", "title": "Forbidden", "status": 403}),
        ),
        Some(_) => {
            s.tweets.remove(n);
            Json(json!({ "data": { "deleted": true } })).into_response()
        }
    }
}

/// `GET /2/users/:id/tweets`: newest first from now back to `start_time`, paged with
/// `pagination_token`.
pub(super) async fn timeline(
    State(state): State<XState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = bearer_user(&state, &headers) {
        return r;
    }
    if user_id.parse::<u64>().is_err() {
        return invalid_request(&format!("The `id` query parameter value [{user_id}] is not valid"));
    }
    let max = match q.get("max_results").map(|m| m.parse::<usize>()) {
        None => 10,
        Some(Ok(m)) if (5..=100).contains(&m) => m,
        Some(_) => return invalid_request("The `max_results` query parameter value is not between 5 and 100"),
    };
    let start_ms = match q.get("start_time").map(|t| DateTime::parse_from_rfc3339(t)) {
        None => i64::MIN,
        Some(Ok(t)) => t.timestamp_millis(),
        Some(Err(_)) => return invalid_request("The `start_time` query parameter value is not a valid RFC 3339 time"),
    };
    // The token is the (time, id) of the last post of the previous page.
    let upper = match q.get("pagination_token") {
        None => None,
        Some(t) => match t.split_once('_').and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<u64>().ok()?))) {
            Some(key) => Some(key),
            None => return invalid_request("The `pagination_token` query parameter value is not valid"),
        },
    };
    let tweet_fields = fields(&q, "tweet.fields");
    let s = state.lock();
    let Some(timeline) = s.tweets.timelines.get(&user_id) else {
        return Json(json!({ "meta": { "result_count": 0 } })).into_response();
    };
    let range = match upper {
        Some(u) => timeline.range((start_ms, 0)..u),
        None => timeline.range((start_ms, 0)..),
    };
    let keys: Vec<(i64, u64)> = range.rev().take(max + 1).copied().collect();
    let more = keys.len() > max;
    let page = &keys[..keys.len().min(max)];
    let data: Vec<Value> =
        page.iter().filter_map(|(_, id)| s.tweets.by_id.get(id)).map(|t| shown(t, &tweet_fields)).collect();
    if data.is_empty() {
        return Json(json!({ "meta": { "result_count": 0 } })).into_response();
    }
    let mut meta = json!({
        "result_count": data.len(),
        "newest_id": page.first().map(|k| k.1.to_string()),
        "oldest_id": page.last().map(|k| k.1.to_string()),
    });
    if let (true, Some((ms, id))) = (more, page.last()) {
        meta["next_token"] = json!(format!("{ms}_{id}"));
    }
    Json(json!({ "data": data, "meta": meta })).into_response()
}

#[cfg(test)]
mod tests {
    use super::weighted_length;

    #[test]
    fn weights_like_twitter_text() {
        assert_eq!(weighted_length("hello"), 5);
        assert_eq!(weighted_length("see https://example.com/a/very/long/path ok"), 4 + 23 + 3);
        assert_eq!(weighted_length("日本"), 4);
    }
}
