//! Repo records on the fake PDS: create (with `app.bsky.feed.post` validated as the lexicon
//! says), get, list, delete, and the AppView's `getPosts`.

use super::{authed, cid, invalid, json_body, required_str, xrpc_error, BlueskyState, Inner};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SubsecRound, Utc};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::ops::Bound;

pub(super) const POST: &str = "app.bsky.feed.post";
const TID_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

pub(super) struct Stored {
    seq: u64,
    cid: String,
    value: Value,
    created_at: DateTime<Utc>,
}

/// A record as tests see it.
#[derive(Debug, Clone)]
pub struct FakeRecord {
    pub uri: String,
    pub did: String,
    pub collection: String,
    pub rkey: String,
    pub cid: String,
    pub value: Value,
    /// Creation order across the whole fake.
    pub seq: u64,
    pub created_at: DateTime<Utc>,
}

impl FakeRecord {
    pub fn text(&self) -> &str {
        self.value.get("text").and_then(Value::as_str).unwrap_or("")
    }
}

impl Stored {
    pub(super) fn to_fake(&self, did: &str, collection: &str, rkey: &str) -> FakeRecord {
        FakeRecord {
            uri: format!("at://{did}/{collection}/{rkey}"),
            did: did.to_string(),
            collection: collection.to_string(),
            rkey: rkey.to_string(),
            cid: self.cid.clone(),
            value: self.value.clone(),
            seq: self.seq,
            created_at: self.created_at,
        }
    }
}

fn is_tid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 13 && b.iter().all(|c| TID_ALPHABET.contains(c)) && matches!(b[0], b'2'..=b'7' | b'a'..=b'j')
}

pub(super) fn new_tid() -> String {
    let micros = u64::try_from(Utc::now().timestamp_micros()).unwrap_or(0);
    let mut v = (micros << 10) | rand::thread_rng().gen_range(0..1024u64);
    let mut out = [b'2'; 13];
    for slot in out.iter_mut().rev() {
        *slot = TID_ALPHABET[(v & 31) as usize];
        v >>= 5;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The repo parameter (a DID or handle) as a DID.
fn repo_did(s: &Inner, repo: &str) -> Option<String> {
    if s.accounts.contains_key(repo) {
        return Some(repo.to_string());
    }
    s.handles.get(&repo.to_ascii_lowercase()).cloned()
}

fn blob_known(s: &Inner, blob: Option<&Value>) -> bool {
    blob.and_then(|b| b.pointer("/ref/$link")).and_then(Value::as_str).is_some_and(|cid| s.blobs.contains_key(cid))
}

/// `app.bsky.feed.post` as its lexicon defines it (the parts Sellcast uses).
fn validate_post(s: &Inner, record: &Value) -> Result<(), String> {
    let text = record.get("text").and_then(Value::as_str).ok_or("Record must have the property \"text\"")?;
    if text.len() > 3000 || text.chars().count() > 300 {
        return Err("Record/text must not be longer than 300 graphemes".into());
    }
    let created =
        record.get("createdAt").and_then(Value::as_str).ok_or("Record must have the property \"createdAt\"")?;
    if DateTime::parse_from_rfc3339(created).is_err() {
        return Err("Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)".into());
    }
    for (i, facet) in record.get("facets").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let start = facet.pointer("/index/byteStart").and_then(Value::as_u64);
        let end = facet.pointer("/index/byteEnd").and_then(Value::as_u64);
        match (start, end) {
            (Some(a), Some(b)) if a < b && b as usize <= text.len() => {}
            _ => return Err(format!("Record/facets/{i}/index must have byteStart < byteEnd within the text")),
        }
    }
    match record.pointer("/embed/$type").and_then(Value::as_str) {
        None if record.get("embed").is_some() => return Err("Record/embed must have the property \"$type\"".into()),
        Some("app.bsky.embed.images") => {
            let images = record
                .pointer("/embed/images")
                .and_then(Value::as_array)
                .ok_or("Record/embed/images must be an array")?;
            if images.is_empty() || images.len() > 4 {
                return Err("Record/embed/images must not have more than 4 elements".into());
            }
            for (i, image) in images.iter().enumerate() {
                if image.get("alt").and_then(Value::as_str).is_none() {
                    return Err(format!("Record/embed/images/{i} must have the property \"alt\""));
                }
                if !blob_known(s, image.get("image")) {
                    return Err(format!("Record/embed/images/{i}/image should be a blob ref"));
                }
            }
        }
        Some("app.bsky.embed.video") if !blob_known(s, record.pointer("/embed/video")) => {
            return Err("Record/embed/video should be a blob ref".into())
        }
        _ => {}
    }
    if let Some(reply) = record.get("reply") {
        for part in ["root", "parent"] {
            let ok = ["uri", "cid"]
                .iter()
                .all(|k| reply.get(part).and_then(|p| p.get(*k)).and_then(Value::as_str).is_some());
            if !ok {
                return Err(format!("Record/reply/{part} must have the properties \"uri\" and \"cid\""));
            }
        }
    }
    Ok(())
}

pub(super) fn create(state: &BlueskyState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Response> {
    let mut s = state.lock();
    let did = authed(&s, headers)?;
    let body = json_body(headers, body)?;
    let repo = required_str(&body, "repo")?;
    let collection = required_str(&body, "collection")?.to_string();
    let record =
        body.get("record").filter(|r| r.is_object()).ok_or_else(|| invalid("Missing required key \"record\" at $"))?;
    if repo_did(&s, repo).as_deref() != Some(did.as_str()) {
        return Err(xrpc_error(StatusCode::UNAUTHORIZED, "AuthenticationRequired", "Authentication Required"));
    }
    if let Some(t) = record.get("$type").and_then(Value::as_str).filter(|t| *t != collection) {
        return Err(invalid(&format!("Invalid $type: expected {collection}, got {t}")));
    }
    let rkey = match body.get("rkey").and_then(Value::as_str) {
        Some(k) => k.to_string(),
        None => new_tid(),
    };
    if collection == POST {
        validate_post(&s, record).map_err(|e| invalid(&format!("Invalid {POST} record: {e}")))?;
        if !is_tid(&rkey) {
            return Err(invalid(&format!("Invalid {POST} record key: must be a TID, got {rkey}")));
        }
    }
    let mut value = record.clone();
    value["$type"] = json!(collection);
    let Some(stored) = store(&mut s, &did, &collection, &rkey, value) else {
        // What @atproto/pds answers: the repo's tree refuses a second value at a key.
        return Err(xrpc_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "Internal Server Error"));
    };
    let (seq, record_cid) = (stored.seq, stored.cid);
    let commit = json!({ "cid": cid(0x71, format!("commit{seq}").as_bytes()), "rev": new_tid() });
    Ok(Json(json!({
        "uri": format!("at://{did}/{collection}/{rkey}"),
        "cid": record_cid,
        "commit": commit,
        "validationStatus": if collection == POST { "valid" } else { "unknown" },
    }))
    .into_response())
}

/// When a record is indexed: now, or just after the previous record when the clock has not
/// moved, so indexing times are strictly increasing.
pub(super) fn stamp(s: &mut Inner) -> DateTime<Utc> {
    // Microseconds: what `indexedAt` shows.
    let now = Utc::now().trunc_subsecs(6);
    let at = match s.appview.last_indexed {
        Some(last) if last >= now => last + chrono::Duration::microseconds(1),
        _ => now,
    };
    s.appview.last_indexed = Some(at);
    at
}

/// Put a record at a key; None when the key is taken (a repo holds one value per key).
pub(super) fn store(s: &mut Inner, did: &str, collection: &str, rkey: &str, value: Value) -> Option<FakeRecord> {
    let key = (did.to_string(), collection.to_string());
    if s.repos.get(&key).is_some_and(|m| m.contains_key(rkey)) {
        return None;
    }
    s.seq += 1;
    let seq = s.seq;
    let created_at = stamp(s);
    let record_cid = cid(0x71, format!("{value}{seq}").as_bytes());
    if collection == POST && value.get("reply").is_none() {
        s.posts += 1;
    }
    let stored = Stored { seq, cid: record_cid, value, created_at };
    let fake = stored.to_fake(did, collection, rkey);
    s.repos.entry(key).or_default().insert(rkey.to_string(), stored);
    Some(fake)
}

pub(super) fn delete(state: &BlueskyState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Response> {
    let mut s = state.lock();
    let did = authed(&s, headers)?;
    let body = json_body(headers, body)?;
    let repo = required_str(&body, "repo")?;
    let collection = required_str(&body, "collection")?.to_string();
    let rkey = required_str(&body, "rkey")?;
    if repo_did(&s, repo).as_deref() != Some(did.as_str()) {
        return Err(xrpc_error(StatusCode::UNAUTHORIZED, "AuthenticationRequired", "Authentication Required"));
    }
    let removed = s.repos.get_mut(&(did, collection.clone())).and_then(|m| m.remove(rkey));
    if collection == POST && removed.is_some_and(|r| r.value.get("reply").is_none()) {
        s.posts -= 1;
    }
    s.seq += 1;
    let seq = s.seq;
    Ok(Json(json!({ "commit": { "cid": cid(0x71, format!("commit{seq}").as_bytes()), "rev": new_tid() } }))
        .into_response())
}

fn param<'p>(params: &'p HashMap<String, String>, key: &str) -> Result<&'p str, Response> {
    params.get(key).map(String::as_str).ok_or_else(|| invalid(&format!("Params must have the property \"{key}\"")))
}

pub(super) fn get(state: &BlueskyState, params: &HashMap<String, String>) -> Result<Response, Response> {
    let (repo, collection, rkey) = (param(params, "repo")?, param(params, "collection")?, param(params, "rkey")?);
    let s = state.lock();
    let did = repo_did(&s, repo).unwrap_or_else(|| repo.to_string());
    let uri = format!("at://{did}/{collection}/{rkey}");
    match s.repos.get(&(did.clone(), collection.to_string())).and_then(|m| m.get(rkey)) {
        Some(r) => Ok(Json(json!({ "uri": uri, "cid": r.cid, "value": r.value })).into_response()),
        None => Err(xrpc_error(StatusCode::BAD_REQUEST, "RecordNotFound", &format!("Could not locate record: {uri}"))),
    }
}

/// Newest first (by record key) unless `reverse`; `cursor` is the last key of the previous page.
pub(super) fn list(state: &BlueskyState, params: &HashMap<String, String>) -> Result<Response, Response> {
    let (repo, collection) = (param(params, "repo")?, param(params, "collection")?);
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        Some(_) => return Err(invalid("limit must be an integer between 1 and 100")),
    };
    let reverse = params.get("reverse").is_some_and(|r| r == "true");
    let cursor = params.get("cursor").map(String::as_str);
    let s = state.lock();
    let did = repo_did(&s, repo).ok_or_else(|| invalid(&format!("Could not find repo: {repo}")))?;
    let empty = Default::default();
    let records = s.repos.get(&(did.clone(), collection.to_string())).unwrap_or(&empty);
    let page: Vec<(&String, &Stored)> = match (reverse, cursor) {
        (false, None) => records.iter().rev().take(limit).collect(),
        (false, Some(c)) => records.range::<str, _>((Bound::Unbounded, Bound::Excluded(c))).rev().take(limit).collect(),
        (true, None) => records.iter().take(limit).collect(),
        (true, Some(c)) => records.range::<str, _>((Bound::Excluded(c), Bound::Unbounded)).take(limit).collect(),
    };
    let next = (page.len() == limit).then(|| page.last().map(|(k, _)| k.to_string())).flatten();
    let items: Vec<Value> = page
        .iter()
        .map(|(rkey, r)| json!({ "uri": format!("at://{did}/{collection}/{rkey}"), "cid": r.cid, "value": r.value }))
        .collect();
    let mut answer = json!({ "records": items });
    if let Some(c) = next {
        answer["cursor"] = json!(c);
    }
    Ok(Json(answer).into_response())
}

/// The AppView's post views (through the PDS, which proxies `app.bsky.*`).
pub(super) fn get_posts(
    state: &BlueskyState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Response, Response> {
    let s = state.lock();
    authed(&s, headers)?;
    if s.lone_pds {
        return Err(invalid("No service configured for app.bsky.feed.getPosts"));
    }
    let uri = param(params, "uris")?;
    let found = uri.strip_prefix("at://").and_then(|rest| {
        let mut parts = rest.splitn(3, '/');
        let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
        let stored = s.repos.get(&(did.to_string(), collection.to_string()))?.get(rkey)?;
        let handle = s.accounts.get(did).map(|a| a.handle.clone()).unwrap_or_default();
        let (likes, reposts, replies, quotes) = s.counts.get(uri).copied().unwrap_or_default();
        Some(json!({
            "uri": uri, "cid": stored.cid, "author": { "did": did, "handle": handle }, "record": stored.value,
            "likeCount": likes, "repostCount": reposts, "replyCount": replies, "quoteCount": quotes,
            "indexedAt": stored.created_at.to_rfc3339(),
        }))
    });
    Ok(Json(json!({ "posts": found.into_iter().collect::<Vec<_>>() })).into_response())
}
