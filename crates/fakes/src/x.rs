//! A fake X (Twitter API v2) that checks requests the way X does: bearer tokens on every call
//! (X's problem+json 401 otherwise), HTTP Basic client authentication and PKCE at the token
//! endpoint, rotating refresh tokens, text weighted to 280, duplicate-content refusals, media
//! that must be uploaded (and processed, for video) before it is attached, the mentions
//! timeline (`mentions`). Posts are kept in maps indexed per author and time, so 100,000 of
//! them stay cheap.
//!
//! The authorize step is a browser page on X: `XState::authorize` hands out a code directly,
//! and `GET /i/oauth2/authorize` approves as the default user and redirects to the client.

// Handler helpers fail with the platform's ready-made error response; boxing it buys nothing
// in a test fake.
#![allow(clippy::result_large_err)]

mod media;
mod mentions;
mod tweets;

use crate::server::FakeServer;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub use tweets::{FakeTweet, PublicMetrics};

pub const CLIENT_ID: &str = "fake-x-client-id";
pub const CLIENT_SECRET: &str = "fake-x-client-secret";
pub const USER_ID: &str = "1500000000000000001";
pub const USERNAME: &str = "sellcast_fake";
/// X's access tokens last two hours.
const ACCESS_TOKEN_SECONDS: i64 = 7200;

/// What the fake holds; clone it freely (shared).
#[derive(Clone, Default)]
pub struct XState {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    clients: HashMap<String, String>,
    users: HashMap<String, FakeUser>,
    codes: HashMap<String, Grant>,
    access_tokens: HashMap<String, String>,
    refresh_tokens: HashMap<String, Grant>,
    tweets: tweets::Tweets,
    media: media::MediaStore,
    next_id: u64,
    reject_duplicates: bool,
    issue_refresh_tokens: bool,
    mentions: mentions::Budget,
}

#[derive(Debug, Clone)]
struct FakeUser {
    username: String,
    name: String,
}

/// What an authorization code or refresh token stands for.
#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    user_id: String,
    scope: String,
    redirect_uri: String,
    challenge: String,
}

/// Start the fake with one client app ([`CLIENT_ID`]/[`CLIENT_SECRET`]) and one user.
pub async fn start() -> (FakeServer, XState) {
    let state = XState::new();
    let app = Router::new()
        .route("/i/oauth2/authorize", get(authorize_page))
        .route("/2/oauth2/token", post(token))
        .route("/2/users/me", get(tweets::me))
        .route("/2/users/{id}/tweets", get(tweets::timeline))
        .route("/2/users/{id}/mentions", get(mentions::list))
        .route("/2/tweets", post(tweets::create))
        .route("/2/tweets/{id}", get(tweets::lookup).delete(tweets::delete))
        .route("/2/media/upload", post(media::simple_upload).get(media::status))
        .route("/2/media/upload/initialize", post(media::initialize))
        .route("/2/media/upload/{id}/append", post(media::append))
        .route("/2/media/upload/{id}/finalize", post(media::finalize))
        .route("/2/media/metadata", post(media::metadata))
        // Upload segments are up to 5 MB; axum's default body limit is 2 MB.
        .layer(DefaultBodyLimit::max(8 * 1024 * 1024))
        .with_state(state.clone());
    let server = FakeServer::start(app).await.expect("binding a local port for the fake X");
    (server, state)
}

impl XState {
    fn new() -> Self {
        let state = XState::default();
        {
            let mut s = state.lock();
            s.clients.insert(CLIENT_ID.into(), CLIENT_SECRET.into());
            s.users.insert(USER_ID.into(), FakeUser { username: USERNAME.into(), name: "Sellcast Fake".into() });
            s.next_id = 1_800_000_000_000_000_000;
            s.reject_duplicates = true;
            s.issue_refresh_tokens = true;
        }
        state
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An access token for `user_id`, as if the OAuth flow had run.
    pub fn issue_token(&self, user_id: &str) -> String {
        let token = random_token();
        self.lock().access_tokens.insert(token.clone(), user_id.to_string());
        token
    }

    /// Expire or revoke an access token: calls with it get X's 401.
    pub fn revoke(&self, access_token: &str) {
        self.lock().access_tokens.remove(access_token);
    }

    pub fn add_user(&self, id: &str, username: &str, name: &str) {
        self.lock().users.insert(id.into(), FakeUser { username: username.into(), name: name.into() });
    }

    /// The user approving the app on X's page: a code for the redirect, bound to the client,
    /// redirect URI, scopes and PKCE challenge (S256). `state` is echoed back by the redirect,
    /// not kept. Err when X's page would refuse the request.
    pub fn authorize(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        challenge: &str,
    ) -> Result<String, String> {
        let mut s = self.lock();
        if !s.clients.contains_key(client_id) {
            return Err("Something went wrong: this app is not known".into());
        }
        if challenge.len() < 43 || redirect_uri.is_empty() || scope.is_empty() {
            return Err("Something went wrong: the request is missing parameters".into());
        }
        let code = random_token();
        let grant = Grant {
            client_id: client_id.into(),
            user_id: USER_ID.into(),
            scope: scope.into(),
            redirect_uri: redirect_uri.into(),
            challenge: challenge.into(),
        };
        s.codes.insert(code.clone(), grant);
        Ok(code)
    }

    /// Refuse a post whose text the author already posted (X's default); turn off for
    /// benchmarks that post the same text many times.
    pub fn set_reject_duplicates(&self, on: bool) {
        self.lock().reject_duplicates = on;
    }

    /// Whether token responses carry a refresh token (X issues one with `offline.access`).
    pub fn set_issue_refresh_tokens(&self, on: bool) {
        self.lock().issue_refresh_tokens = on;
    }

    /// Top-level posts (not replies), oldest first.
    pub fn posts(&self) -> Vec<FakeTweet> {
        self.lock().tweets.all().into_iter().filter(|t| t.in_reply_to.is_none()).collect()
    }

    /// How many top-level posts exist (O(1)).
    pub fn count(&self) -> usize {
        self.lock().tweets.top_level_count()
    }

    /// Replies to a post (where first comments land).
    pub fn replies(&self, tweet_id: &str) -> Vec<FakeTweet> {
        self.lock().tweets.all().into_iter().filter(|t| t.in_reply_to.as_deref() == Some(tweet_id)).collect()
    }

    pub fn set_metrics(&self, tweet_id: &str, metrics: PublicMetrics) {
        self.lock().tweets.set_metrics(tweet_id, metrics);
    }

    /// Alt text set on an uploaded media id.
    pub fn alt_text(&self, media_id: &str) -> Option<String> {
        self.lock().media.alt_text(media_id)
    }
}

/// A random URL-safe token.
fn random_token() -> String {
    let mut buf = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// `application/x-www-form-urlencoded`, decoded (the fakes keep axum's form feature off).
pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// X's answer to a missing or bad bearer token.
fn unauthorized() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
    )
}

/// An RFC 7807 problem, as X sends them.
fn problem(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// X's validation error: a generic problem with the specific message in `errors`.
fn invalid_request(message: &str) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        json!({
            "errors": [{ "message": message }],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        }),
    )
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

/// The user behind the request's bearer token.
fn bearer_user(state: &XState, headers: &HeaderMap) -> Result<String, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    state.lock().access_tokens.get(token).cloned().ok_or_else(unauthorized)
}

/// The browser step, approved at once as the default user.
async fn authorize_page(State(state): State<XState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let param = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if param("response_type") != "code" || param("code_challenge_method") != "S256" {
        return (StatusCode::BAD_REQUEST, "Something went wrong: you weren't able to give access to the App.")
            .into_response();
    }
    match state.authorize(param("client_id"), param("redirect_uri"), param("scope"), param("code_challenge")) {
        Ok(code) => {
            let sep = if param("redirect_uri").contains('?') { '&' } else { '?' };
            let state_param: String = param("state").bytes().map(|b| format!("%{b:02X}")).collect();
            Redirect::to(&format!("{}{sep}state={state_param}&code={code}", param("redirect_uri"))).into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

/// `POST /2/oauth2/token`: authorization code (with PKCE) and refresh token grants, the client
/// authenticated with HTTP Basic.
async fn token(State(state): State<XState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = parse_form(&body);
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let Some(client_id) = basic_client(&state, &headers) else {
        return oauth_error(StatusCode::UNAUTHORIZED, "unauthorized_client", "Missing valid authorization header");
    };
    let mut s = state.lock();
    let grant = match field("grant_type") {
        "authorization_code" => {
            if field("code_verifier").is_empty() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing required parameter [code_verifier].",
                );
            }
            let invalid = || {
                oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Value passed for the authorization code was invalid.",
                )
            };
            // A code is single-use, whatever the outcome.
            let Some(grant) = s.codes.remove(field("code")) else { return invalid() };
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
            if grant.client_id != client_id
                || grant.redirect_uri != field("redirect_uri")
                || grant.challenge != challenge
            {
                return invalid();
            }
            grant
        }
        "refresh_token" => {
            // X rotates refresh tokens: the one presented is spent.
            match s.refresh_tokens.remove(field("refresh_token")) {
                Some(grant) if grant.client_id == client_id => grant,
                _ => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "Value passed for the token was invalid.",
                    )
                }
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Value passed for the grant type was invalid.",
            )
        }
    };
    let access_token = random_token();
    s.access_tokens.insert(access_token.clone(), grant.user_id.clone());
    let mut answer = json!({
        "token_type": "bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": access_token,
        "scope": grant.scope,
    });
    if s.issue_refresh_tokens && grant.scope.split(' ').any(|sc| sc == "offline.access") {
        let refresh_token = random_token();
        answer["refresh_token"] = Value::String(refresh_token.clone());
        s.refresh_tokens.insert(refresh_token, grant);
    }
    Json(answer).into_response()
}

/// The client id when the Basic credentials are a registered client's.
fn basic_client(state: &XState, headers: &HeaderMap) -> Option<String> {
    let encoded = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    (state.lock().clients.get(id)? == secret).then(|| id.to_string())
}

/// A new numeric id, increasing like X's snowflakes.
fn next_id(s: &mut Inner) -> u64 {
    s.next_id += 1;
    s.next_id
}
