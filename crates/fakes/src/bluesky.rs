//! A fake Bluesky PDS that checks requests the way @atproto/pds 0.4 does, with the same error
//! bodies (`{"error": "<Name>", "message": "..."}`): a missing bearer gets 401 AuthMissing, an
//! unknown or expired token 400 InvalidToken/ExpiredToken, a wrong body 400 InvalidRequest, a
//! second create at one record key 500 InternalServerError. Records live in one ordered map
//! per (repo, collection), so 100,000 posts stay cheap.
//!
//! It also answers `app.bsky.feed.getPosts` as the AppView behind bsky.social would (counts
//! set with [`BlueskyState::set_counts`]), unless [`BlueskyState::set_lone_pds`] makes it refuse
//! like a PDS without an AppView, and `app.bsky.notification.listNotifications`: mentions,
//! replies and quotes derived from the posts of the other accounts (see `notifications`).

// Handlers return the platform's error response as the `Err` of their checks: it is large,
// but it is only ever built once per request.
#![allow(clippy::result_large_err)]

mod notifications;
mod records;

use crate::server::FakeServer;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

pub use records::FakeRecord;

pub const HANDLE: &str = "alice.test";
pub const DID: &str = "did:plc:sellcastfakealice0000000";
pub const PASSWORD: &str = "main-password";
pub const APP_PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const ACCESS_SECONDS: i64 = 2 * 3600;
const REFRESH_SECONDS: i64 = 90 * 24 * 3600;

/// What the fake holds; clone it freely (shared).
#[derive(Clone, Default)]
pub struct BlueskyState {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    accounts: HashMap<String, Account>,
    handles: HashMap<String, String>,
    access: HashMap<String, Token>,
    refresh: HashMap<String, String>,
    repos: HashMap<(String, String), BTreeMap<String, records::Stored>>,
    blobs: HashMap<String, (String, usize)>,
    counts: HashMap<String, (u64, u64, u64, u64)>,
    /// Top-level posts, kept up to date so `count()` is O(1).
    posts: usize,
    lone_pds: bool,
    seq: u64,
    /// The AppView's side: display names, the notification rate budget, the indexing clock.
    appview: notifications::AppView,
}

struct Account {
    handle: String,
    passwords: Vec<String>,
}

struct Token {
    did: String,
    expires_at: DateTime<Utc>,
}

/// Start the fake with one account ([`HANDLE`], [`DID`]; password [`PASSWORD`], app password
/// [`APP_PASSWORD`]).
pub async fn start() -> (FakeServer, BlueskyState) {
    let state = BlueskyState::default();
    state.add_account(DID, HANDLE, &[PASSWORD, APP_PASSWORD]);
    let app = Router::new()
        .route("/xrpc/{nsid}", any(xrpc))
        // Videos go up to 100 MB; axum's default body limit is 2 MB.
        .layer(DefaultBodyLimit::max(110 * 1024 * 1024))
        .with_state(state.clone());
    let server = FakeServer::start(app).await.expect("binding a local port for the fake Bluesky PDS");
    (server, state)
}

impl BlueskyState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Another account; `passwords` are its password and app passwords.
    pub fn add_account(&self, did: &str, handle: &str, passwords: &[&str]) {
        let mut s = self.lock();
        s.handles.insert(handle.to_string(), did.to_string());
        let passwords = passwords.iter().map(|p| p.to_string()).collect();
        s.accounts.insert(did.to_string(), Account { handle: handle.to_string(), passwords });
    }

    /// A session for `did`, as createSession would give: (accessJwt, refreshJwt).
    pub fn issue_session(&self, did: &str) -> (String, String) {
        let now = Utc::now();
        let access = jwt("com.atproto.appPass", did, now, ACCESS_SECONDS);
        let refresh = jwt("com.atproto.refresh", did, now, REFRESH_SECONDS);
        let mut s = self.lock();
        s.access.insert(
            access.clone(),
            Token { did: did.to_string(), expires_at: now + chrono::Duration::seconds(ACCESS_SECONDS) },
        );
        s.refresh.insert(refresh.clone(), did.to_string());
        (access, refresh)
    }

    /// Make an access token expired: calls with it get 400 ExpiredToken.
    pub fn expire(&self, access_token: &str) {
        if let Some(t) = self.lock().access.get_mut(access_token) {
            t.expires_at = Utc::now() - chrono::Duration::seconds(1);
        }
    }

    /// Answer `app.bsky.*` reads as a PDS without an AppView does (400).
    pub fn set_lone_pds(&self, on: bool) {
        self.lock().lone_pds = on;
    }

    /// The AppView's counts for a post: likes, reposts, replies, quotes.
    pub fn set_counts(&self, uri: &str, likes: u64, reposts: u64, replies: u64, quotes: u64) {
        self.lock().counts.insert(uri.to_string(), (likes, reposts, replies, quotes));
    }

    /// How many top-level posts exist: `app.bsky.feed.post` records that are not replies (O(1)).
    pub fn count(&self) -> usize {
        self.lock().posts
    }

    /// Every `app.bsky.feed.post` record, replies included, in creation order.
    pub fn post_records(&self) -> Vec<FakeRecord> {
        let s = self.lock();
        let mut all: Vec<FakeRecord> = s
            .repos
            .iter()
            .filter(|((_, collection), _)| collection == records::POST)
            .flat_map(|((did, collection), m)| m.iter().map(move |(rkey, r)| r.to_fake(did, collection, rkey)))
            .collect();
        all.sort_by_key(|r| r.seq);
        all
    }

    /// Top-level posts (not replies), in creation order.
    pub fn posts(&self) -> Vec<FakeRecord> {
        self.post_records().into_iter().filter(|r| r.value.get("reply").is_none()).collect()
    }

    /// Replies whose parent is the post `uri` (where first comments land).
    pub fn replies(&self, uri: &str) -> Vec<FakeRecord> {
        let parent =
            |r: &FakeRecord| r.value.pointer("/reply/parent/uri").and_then(serde_json::Value::as_str) == Some(uri);
        self.post_records().into_iter().filter(parent).collect()
    }

    /// One record by AT URI.
    pub fn record(&self, uri: &str) -> Option<FakeRecord> {
        let rest = uri.strip_prefix("at://")?;
        let mut parts = rest.splitn(3, '/');
        let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
        let s = self.lock();
        let stored = s.repos.get(&(did.to_string(), collection.to_string()))?.get(rkey)?;
        Some(stored.to_fake(did, collection, rkey))
    }

    /// An uploaded blob: (MIME type, size).
    pub fn blob(&self, cid: &str) -> Option<(String, usize)> {
        self.lock().blobs.get(cid).cloned()
    }
}

/// A JWT-shaped token (the fake only looks it up; the payload carries a real `exp`).
fn jwt(scope: &str, did: &str, now: DateTime<Utc>, seconds: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"at+jwt","alg":"HS256"}"#);
    let claims = json!({ "scope": scope, "sub": did, "aud": "did:web:localhost", "iat": now.timestamp(), "exp": now.timestamp() + seconds });
    let mut sig = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut sig);
    format!("{header}.{}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()), URL_SAFE_NO_PAD.encode(sig))
}

/// A CIDv1 (sha2-256) in base32: `codec` 0x55 for raw blobs, 0x71 for records.
fn cid(codec: u8, bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut data = vec![0x01, codec, 0x12, 0x20];
    data.extend_from_slice(&Sha256::digest(bytes));
    let mut out = String::from("b");
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in data {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The PDS's error body.
fn xrpc_error(status: StatusCode, name: &str, message: &str) -> Response {
    (status, Json(json!({ "error": name, "message": message }))).into_response()
}

fn invalid(message: &str) -> Response {
    xrpc_error(StatusCode::BAD_REQUEST, "InvalidRequest", message)
}

/// The DID a request's bearer access token stands for, or the PDS's refusal.
fn authed(s: &Inner, headers: &HeaderMap) -> Result<String, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(xrpc_error(StatusCode::UNAUTHORIZED, "AuthMissing", "Authentication Required"));
    };
    let Some(token) = value.strip_prefix("Bearer ") else {
        return Err(invalid_token("Unexpected authorization type"));
    };
    match s.access.get(token.trim()) {
        None if s.refresh.contains_key(token.trim()) => Err(invalid_token("Invalid token type")),
        None => Err(invalid_token("Token could not be verified")),
        Some(t) if t.expires_at <= Utc::now() => {
            Err(xrpc_error(StatusCode::BAD_REQUEST, "ExpiredToken", "Token has expired"))
        }
        Some(t) => Ok(t.did.clone()),
    }
}

fn invalid_token(message: &str) -> Response {
    xrpc_error(StatusCode::BAD_REQUEST, "InvalidToken", message)
}

/// A procedure's JSON body: the content type must say JSON and the body must be an object.
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(invalid(&format!("Wrong request encoding (Content-Type): {content_type}")));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(invalid("Invalid JSON body")),
    }
}

fn required_str<'v>(body: &'v Value, key: &str) -> Result<&'v str, Response> {
    body.get(key).and_then(Value::as_str).ok_or_else(|| invalid(&format!("Missing required key \"{key}\" at $")))
}

async fn xrpc(
    State(state): State<BlueskyState>,
    Path(nsid): Path<String>,
    method: axum::http::Method,
    Query(params): Query<HashMap<String, String>>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_post = method == axum::http::Method::POST;
    let result = match (nsid.as_str(), is_post) {
        ("com.atproto.server.createSession", true) => create_session(&state, &headers, &body),
        ("com.atproto.server.refreshSession", true) => refresh_session(&state, &headers),
        ("com.atproto.server.getSession", false) => get_session(&state, &headers),
        ("com.atproto.identity.resolveHandle", false) => resolve_handle(&state, &params),
        ("com.atproto.repo.uploadBlob", true) => upload_blob(&state, &headers, &body),
        ("com.atproto.repo.createRecord", true) => records::create(&state, &headers, &body),
        ("com.atproto.repo.deleteRecord", true) => records::delete(&state, &headers, &body),
        ("com.atproto.repo.getRecord", false) => records::get(&state, &params),
        ("com.atproto.repo.listRecords", false) => records::list(&state, &params),
        ("app.bsky.feed.getPosts", false) => records::get_posts(&state, &headers, &params),
        ("app.bsky.notification.listNotifications", false) => notifications::list(&state, &headers, &pairs),
        ("_health", false) => Ok(Json(json!({ "version": "fake" })).into_response()),
        (_, _) => Err(xrpc_error(StatusCode::NOT_IMPLEMENTED, "MethodNotImplemented", "Method Not Implemented")),
    };
    result.unwrap_or_else(|e| e)
}

fn create_session(state: &BlueskyState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Response> {
    let body = json_body(headers, body)?;
    let identifier = required_str(&body, "identifier")?.trim_start_matches('@').to_ascii_lowercase();
    let password = required_str(&body, "password")?;
    let did = {
        let s = state.lock();
        let did = s.handles.get(&identifier).cloned().unwrap_or(identifier);
        match s.accounts.get(&did) {
            Some(a) if a.passwords.iter().any(|p| p == password) => did,
            _ => {
                return Err(xrpc_error(
                    StatusCode::UNAUTHORIZED,
                    "AuthenticationRequired",
                    "Invalid identifier or password",
                ))
            }
        }
    };
    session_answer(state, &did)
}

fn session_answer(state: &BlueskyState, did: &str) -> Result<Response, Response> {
    let (access, refresh) = state.issue_session(did);
    let handle = state.lock().accounts.get(did).map(|a| a.handle.clone()).unwrap_or_default();
    Ok(Json(json!({
        "accessJwt": access,
        "refreshJwt": refresh,
        "handle": handle,
        "did": did,
        "active": true,
    }))
    .into_response())
}

fn refresh_session(state: &BlueskyState, headers: &HeaderMap) -> Result<Response, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| xrpc_error(StatusCode::UNAUTHORIZED, "AuthMissing", "Authentication Required"))?;
    let did = {
        let mut s = state.lock();
        if s.access.contains_key(token) {
            return Err(invalid_token("Invalid token type"));
        }
        // Refresh tokens rotate: the old one is spent.
        s.refresh
            .remove(token)
            .ok_or_else(|| xrpc_error(StatusCode::BAD_REQUEST, "ExpiredToken", "Token has been revoked"))?
    };
    session_answer(state, &did)
}

fn get_session(state: &BlueskyState, headers: &HeaderMap) -> Result<Response, Response> {
    let s = state.lock();
    let did = authed(&s, headers)?;
    let handle = s.accounts.get(&did).map(|a| a.handle.clone()).unwrap_or_default();
    Ok(Json(json!({ "did": did, "handle": handle, "active": true })).into_response())
}

fn resolve_handle(state: &BlueskyState, params: &HashMap<String, String>) -> Result<Response, Response> {
    let handle = params.get("handle").ok_or_else(|| invalid("Params must have the property \"handle\""))?;
    match state.lock().handles.get(&handle.to_ascii_lowercase()) {
        Some(did) => Ok(Json(json!({ "did": did })).into_response()),
        None => Err(invalid("Unable to resolve handle")),
    }
}

fn upload_blob(state: &BlueskyState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Response> {
    let mut s = state.lock();
    authed(&s, headers)?;
    let mime = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if mime.is_empty() || mime == "*/*" {
        return Err(invalid("Request encoding (Content-Type) required but not provided"));
    }
    if body.is_empty() {
        return Err(invalid("Request body required but not provided"));
    }
    let cid = cid(0x55, body);
    s.blobs.insert(cid.clone(), (mime.clone(), body.len()));
    let blob = json!({ "$type": "blob", "ref": { "$link": cid }, "mimeType": mime, "size": body.len() });
    Ok(Json(json!({ "blob": blob })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cids_look_like_the_pds_ones() {
        // What @atproto/pds 0.4.217 answered to uploadBlob of these bytes.
        assert_eq!(cid(0x55, b"notapng"), "bafkreieewq7w26njgnoqtkytsqsbsianfrfvhu5pocnnia5aeg3bpkexae");
        assert!(cid(0x71, b"{}").starts_with("bafyrei"));
    }
}
