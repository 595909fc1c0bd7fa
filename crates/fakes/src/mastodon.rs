//! A fake Mastodon instance that checks requests the way Mastodon 4.3 does: app registration,
//! OAuth authorization code with PKCE (S256), bearer tokens on every API call (401
//! `{"error": "The access token is invalid"}` otherwise), statuses with `Idempotency-Key`
//! (the same key gives back the same status), media that must be processed before it is
//! attached, 422 `{"error": "Validation failed: ..."}` for bad content, mention notifications
//! (`notifications`). Statuses live in one ordered map per account, so 100,000 of them stay
//! cheap.
//!
//! The authorize step is a browser page: `GET /oauth/authorize` approves at once as the
//! default account and redirects to the client with `code` and `state`.

// Handlers return the platform's error response as the `Err` of their checks: it is large,
// but it is only ever built once per request.
#![allow(clippy::result_large_err)]

mod notifications;
mod statuses;

use crate::server::FakeServer;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub use statuses::FakeStatus;

pub const ACCOUNT_ID: &str = "109000000000000001";
pub const USERNAME: &str = "sellcast";

/// What the fake holds; clone it freely (shared).
#[derive(Clone, Default)]
pub struct MastodonState {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    apps: HashMap<String, App>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Token>,
    accounts: HashMap<String, String>,
    statuses: statuses::Statuses,
    next_id: u64,
    /// How many polls a video answers 206 before it is processed.
    video_polls: u32,
    inbox: notifications::Inbox,
}

#[derive(Clone)]
struct App {
    secret: String,
    redirect_uris: Vec<String>,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: Option<String>,
    account_id: String,
}

struct Token {
    account_id: String,
    revoked: bool,
}

/// Start the fake with one account ([`ACCOUNT_ID`], [`USERNAME`]).
pub async fn start() -> (FakeServer, MastodonState) {
    let state = MastodonState::default();
    {
        let mut s = state.lock();
        s.accounts.insert(ACCOUNT_ID.into(), USERNAME.into());
        s.next_id = 110_000_000_000_000_000;
        s.video_polls = 2;
    }
    let app = Router::new()
        .route("/api/v1/apps", post(register_app))
        .route("/oauth/authorize", get(authorize_page))
        .route("/oauth/token", post(token))
        .route("/api/v1/accounts/verify_credentials", get(verify_credentials))
        .route("/api/v1/accounts/{id}/statuses", get(statuses::account_statuses))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/statuses", post(statuses::create))
        .route("/api/v1/statuses/{id}", get(statuses::show).delete(statuses::delete))
        .route("/api/v2/media", post(statuses::upload_media))
        .route("/api/v1/media/{id}", get(statuses::show_media))
        .layer(DefaultBodyLimit::max(110 * 1024 * 1024))
        .with_state(state.clone());
    let server = FakeServer::start(app).await.expect("binding a local port for the fake Mastodon");
    (server, state)
}

impl MastodonState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An access token for `account_id`, as if the OAuth flow had run.
    pub fn issue_token(&self, account_id: &str) -> String {
        let token = random_token();
        self.lock().tokens.insert(token.clone(), Token { account_id: account_id.into(), revoked: false });
        token
    }

    /// Revoke a token: calls with it get 401 "The access token was revoked".
    pub fn revoke(&self, access_token: &str) {
        if let Some(t) = self.lock().tokens.get_mut(access_token) {
            t.revoked = true;
        }
    }

    pub fn add_account(&self, id: &str, username: &str) {
        self.lock().accounts.insert(id.into(), username.into());
    }

    /// How many polls of `GET /api/v1/media/:id` answer 206 before a video is ready.
    pub fn set_video_processing_polls(&self, polls: u32) {
        self.lock().video_polls = polls;
    }

    /// How many apps were registered.
    pub fn app_count(&self) -> usize {
        self.lock().apps.len()
    }

    /// Top-level statuses (not replies), oldest first.
    pub fn posts(&self) -> Vec<FakeStatus> {
        self.lock().statuses.all().into_iter().filter(|s| s.in_reply_to_id.is_none()).collect()
    }

    /// How many top-level statuses exist (O(1)).
    pub fn count(&self) -> usize {
        self.lock().statuses.top_level_count()
    }

    /// Replies to a status (where first comments land).
    pub fn replies(&self, status_id: &str) -> Vec<FakeStatus> {
        self.lock().statuses.all().into_iter().filter(|s| s.in_reply_to_id.as_deref() == Some(status_id)).collect()
    }

    pub fn status(&self, id: &str) -> Option<FakeStatus> {
        self.lock().statuses.get(id)
    }

    pub fn set_counts(&self, status_id: &str, favourites: u64, reblogs: u64, replies: u64) {
        self.lock().statuses.set_counts(status_id, favourites, reblogs, replies);
    }

    /// The alt text (`description`) of an uploaded attachment.
    pub fn media_description(&self, media_id: &str) -> Option<String> {
        self.lock().statuses.media_description(media_id)
    }
}

fn random_token() -> String {
    let mut buf = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

fn next_id(s: &mut Inner) -> String {
    s.next_id += 1;
    s.next_id.to_string()
}

/// Mastodon's error body.
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn unprocessable(message: &str) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// Doorkeeper's OAuth error body.
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (status, Json(json!({ "error": code, "error_description": description }))).into_response()
}

/// The account a request's bearer token stands for, or Mastodon's 401.
fn authed(s: &Inner, headers: &HeaderMap) -> Result<String, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match token.and_then(|t| s.tokens.get(t)) {
        Some(t) if t.revoked => Err(error(StatusCode::UNAUTHORIZED, "The access token was revoked")),
        Some(t) => Ok(t.account_id.clone()),
        None => Err(error(StatusCode::UNAUTHORIZED, "The access token is invalid")),
    }
}

/// A request's parameters from a JSON or form body, as Rails reads them; `key[]` collects.
fn params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, Value>, Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/json") {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map.into_iter().collect()),
            _ => Err(error(StatusCode::BAD_REQUEST, "Error occurred while parsing request parameters")),
        };
    }
    if content_type.starts_with("application/x-www-form-urlencoded") || body.is_empty() {
        let mut out: HashMap<String, Value> = HashMap::new();
        for pair in String::from_utf8_lossy(body).split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            if let Some(base) = k.strip_suffix("[]") {
                let entry = out.entry(base.to_string()).or_insert_with(|| json!([]));
                if let Some(list) = entry.as_array_mut() {
                    list.push(json!(v));
                }
            } else {
                out.insert(k, json!(v));
            }
        }
        return Ok(out);
    }
    Err(error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported content type"))
}

/// `application/x-www-form-urlencoded` decoding of one key or value.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn is_absolute_uri(u: &str) -> bool {
    u.split_once("://").is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty())
}

fn text_param<'p>(p: &'p HashMap<String, Value>, key: &str) -> Option<&'p str> {
    p.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

async fn register_app(State(state): State<MastodonState>, headers: HeaderMap, body: Bytes) -> Response {
    let p = match params(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(name) = text_param(&p, "client_name") else {
        return unprocessable("Validation failed: Application name can't be blank");
    };
    let redirect_uris: Vec<String> = match p.get("redirect_uris") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => vec![],
    };
    if redirect_uris.is_empty() {
        return unprocessable("Validation failed: Redirect URI can't be blank");
    }
    if redirect_uris.iter().any(|u| !is_absolute_uri(u) && u != "urn:ietf:wg:oauth:2.0:oob") {
        return unprocessable("Validation failed: Redirect URI must be an absolute URI.");
    }
    let scopes = text_param(&p, "scopes").unwrap_or("read");
    let (client_id, secret) = (random_token(), random_token());
    let mut s = state.lock();
    let id = next_id(&mut s);
    s.apps.insert(client_id.clone(), App { secret: secret.clone(), redirect_uris: redirect_uris.clone() });
    Json(json!({
        "id": id, "name": name, "website": null, "scopes": scopes.split_whitespace().collect::<Vec<_>>(),
        "redirect_uri": redirect_uris.join("\n"), "redirect_uris": redirect_uris,
        "client_id": client_id, "client_secret": secret, "vapid_key": "BFake",
    }))
    .into_response()
}

/// The consent page, approved at once: a redirect with `code` and the client's `state`.
async fn authorize_page(State(state): State<MastodonState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let mut s = state.lock();
    let Some(app) = s.apps.get(get("client_id")).cloned() else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed due to unknown client.",
        );
    };
    if get("response_type") != "code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        );
    }
    if !app.redirect_uris.iter().any(|u| u == get("redirect_uri")) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "The requested redirect uri is malformed or doesn't match client redirect URI.",
        );
    }
    let challenge = match (q.get("code_challenge"), q.get("code_challenge_method").map(String::as_str)) {
        (None, _) => None,
        (Some(c), Some("S256")) if c.len() == 43 => Some(c.clone()),
        _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Code challenge method must be S256."),
    };
    let code = random_token();
    let grant = Grant {
        client_id: get("client_id").into(),
        redirect_uri: get("redirect_uri").into(),
        challenge,
        account_id: ACCOUNT_ID.into(),
    };
    s.codes.insert(code.clone(), grant);
    let redirect = get("redirect_uri");
    let mut target =
        format!("{redirect}{}code={}", if redirect.contains('?') { '&' } else { '?' }, percent_encode(&code));
    if let Some(state_param) = q.get("state") {
        target.push_str(&format!("&state={}", percent_encode(state_param)));
    }
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

async fn token(State(state): State<MastodonState>, headers: HeaderMap, body: Bytes) -> Response {
    let p = match params(&headers, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let get = |k: &str| text_param(&p, k).unwrap_or("");
    let mut s = state.lock();
    match s.apps.get(get("client_id")) {
        Some(app) if app.secret == get("client_secret") => {}
        _ => {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
        }
    }
    if get("grant_type") != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    let invalid_grant = || {
        oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
    };
    // Codes are single-use: taken out whatever happens next.
    let Some(grant) = s.codes.remove(get("code")) else { return invalid_grant() };
    if grant.client_id != get("client_id") || grant.redirect_uri != get("redirect_uri") {
        return invalid_grant();
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = get("code_verifier");
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
            return invalid_grant();
        }
    }
    let access = random_token();
    s.tokens.insert(access.clone(), Token { account_id: grant.account_id, revoked: false });
    let scope = text_param(&p, "scope").unwrap_or("read");
    Json(json!({ "access_token": access, "token_type": "Bearer", "scope": scope, "created_at": chrono::Utc::now().timestamp() }))
        .into_response()
}

async fn verify_credentials(State(state): State<MastodonState>, headers: HeaderMap) -> Response {
    let s = state.lock();
    let account_id = match authed(&s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let username = s.accounts.get(&account_id).cloned().unwrap_or_default();
    Json(account_json(&account_id, &username)).into_response()
}

fn account_json(id: &str, username: &str) -> Value {
    json!({
        "id": id, "username": username, "acct": username, "display_name": "Sellcast Fake",
        "url": format!("https://mastodon.example/@{username}"),
        "avatar": "https://mastodon.example/avatars/original/missing.png",
    })
}
