//! A fake LinkedIn that checks requests the way LinkedIn does: a bearer token on every call,
//! `LinkedIn-Version` (400 when missing, 426 NONEXISTENT_VERSION when not active) and
//! `X-Restli-Protocol-Version: 2.0.0` on every `/rest` call, the client secret in the token
//! request's form, the Posts API body shape, images uploaded before they are attached, videos
//! uploaded in parts, finalized with their ETags in order and processed before they are attached.
//! Posts are kept in maps indexed per author and time, so 100,000 of them stay cheap.
//!
//! The authorize step is a browser page on LinkedIn: `LinkedinState::authorize` hands out a
//! code directly, and `GET /oauth/v2/authorization` approves as the default member and redirects.

// Handler helpers fail with the platform's ready-made error response; boxing it buys nothing
// in a test fake.
#![allow(clippy::result_large_err)]

mod errors;
mod posts;
mod videos;

use crate::server::FakeServer;
use crate::x::parse_form;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use errors::{invalid_token, oauth_error, rest_error};
use rand::RngCore;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub use posts::{FakeComment, FakePost};
pub use videos::{FakeVideo, VideoProcessing, DEFAULT_PART_BYTES};

pub const CLIENT_ID: &str = "fake-linkedin-client-id";
pub const CLIENT_SECRET: &str = "fake-linkedin-client-secret";
/// The default member's OpenID `sub`; the author URN is `urn:li:person:{MEMBER_SUB}`.
pub const MEMBER_SUB: &str = "aBcD3fGh1J";
pub const MEMBER_NAME: &str = "Sellcast Fake";
/// The oldest `LinkedIn-Version` the fake still serves.
pub const DEFAULT_MIN_VERSION: &str = "202411";
/// LinkedIn's access tokens last 60 days; refresh tokens (for approved apps) a year.
const ACCESS_TOKEN_SECONDS: i64 = 5_184_000;
const REFRESH_TOKEN_SECONDS: i64 = 31_536_000;

#[derive(Clone, Default)]
pub struct LinkedinState {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    clients: HashMap<String, String>,
    members: HashMap<String, String>,
    codes: HashMap<String, Grant>,
    access_tokens: HashMap<String, String>,
    refresh_tokens: HashMap<String, Grant>,
    posts: posts::Posts,
    videos: videos::Videos,
    min_version: String,
    reject_duplicates: bool,
    issue_refresh_tokens: bool,
    member_post_reads: bool,
}

#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    sub: String,
    scope: String,
}

/// Start the fake with one client app ([`CLIENT_ID`]/[`CLIENT_SECRET`]) and one member.
pub async fn start() -> (FakeServer, LinkedinState) {
    let state = LinkedinState::new();
    let app = Router::new()
        .route("/oauth/v2/authorization", get(authorize_page))
        .route("/oauth/v2/accessToken", post(token))
        .route("/v2/userinfo", get(userinfo))
        .route("/rest/images", post(posts::initialize_upload))
        .route("/dms-uploads/{token}", put(posts::upload))
        .route("/rest/videos", post(videos::action))
        .route("/rest/videos/{urn}", get(videos::get_video))
        .route("/dms-uploads/{token}/uploadedVideo", put(videos::upload_part))
        .route("/rest/posts", post(posts::create).get(posts::find_by_author))
        .route("/rest/posts/{urn}", get(posts::get_post).delete(posts::delete))
        .route("/rest/socialActions/{urn}", get(posts::social_actions))
        .route("/rest/socialActions/{urn}/comments", post(posts::comment))
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(state.clone());
    let server = FakeServer::start(app).await.expect("binding a local port for the fake LinkedIn");
    (server, state)
}

impl LinkedinState {
    fn new() -> Self {
        let state = LinkedinState::default();
        {
            let mut s = state.lock();
            s.clients.insert(CLIENT_ID.into(), CLIENT_SECRET.into());
            s.members.insert(MEMBER_SUB.into(), MEMBER_NAME.into());
            s.min_version = DEFAULT_MIN_VERSION.into();
            s.reject_duplicates = true;
            s.member_post_reads = true;
        }
        state
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The default member's author URN.
    pub fn member_urn() -> String {
        format!("urn:li:person:{MEMBER_SUB}")
    }

    /// An access token for the member `sub`, as if the OAuth flow had run.
    pub fn issue_token(&self, sub: &str) -> String {
        let token = random_token();
        self.lock().access_tokens.insert(token.clone(), sub.to_string());
        token
    }

    /// Expire or revoke an access token: calls with it get LinkedIn's 401.
    pub fn revoke(&self, access_token: &str) {
        self.lock().access_tokens.remove(access_token);
    }

    /// The member approving the app on LinkedIn's page: a code bound to the client and
    /// redirect URI. Err when LinkedIn's page would refuse.
    pub fn authorize(&self, client_id: &str, redirect_uri: &str, scope: &str) -> Result<String, String> {
        let mut s = self.lock();
        if !s.clients.contains_key(client_id) {
            return Err("The application is not known (invalid client_id)".into());
        }
        if redirect_uri.is_empty() || scope.is_empty() {
            return Err("The redirect_uri and scope parameters are required".into());
        }
        let code = random_token();
        let grant = Grant {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            sub: MEMBER_SUB.into(),
            scope: scope.into(),
        };
        s.codes.insert(code.clone(), grant);
        Ok(code)
    }

    /// LinkedIn issues refresh tokens only to apps it approved for them (off by default).
    pub fn set_issue_refresh_tokens(&self, on: bool) {
        self.lock().issue_refresh_tokens = on;
    }

    /// Refuse a post whose commentary the author already posted (LinkedIn's default).
    pub fn set_reject_duplicates(&self, on: bool) {
        self.lock().reject_duplicates = on;
    }

    /// Whether the app holds r_member_social (reading member posts and social actions);
    /// without it LinkedIn answers 403.
    pub fn set_member_post_reads(&self, on: bool) {
        self.lock().member_post_reads = on;
    }

    /// The oldest `LinkedIn-Version` still served; older ones get 426.
    pub fn set_min_version(&self, version: &str) {
        self.lock().min_version = version.to_string();
    }

    /// All posts, oldest first.
    pub fn posts(&self) -> Vec<FakePost> {
        self.lock().posts.all()
    }

    /// How many posts exist (O(1)).
    pub fn count(&self) -> usize {
        self.lock().posts.count()
    }

    pub fn comments(&self, post_urn: &str) -> Vec<FakeComment> {
        self.lock().posts.comments_on(post_urn)
    }

    pub fn set_likes(&self, post_urn: &str, likes: u64) {
        self.lock().posts.set_likes(post_urn, likes);
    }

    /// The size of the video parts initializeUpload hands out ([`DEFAULT_PART_BYTES`] unless
    /// set), so tests can upload several parts without megabytes of data.
    pub fn set_video_part_bytes(&self, bytes: u64) {
        self.lock().videos.set_part_bytes(bytes);
    }

    /// How the videos finalized from now on are processed (AVAILABLE at once by default).
    pub fn set_video_processing(&self, processing: VideoProcessing) {
        self.lock().videos.set_processing(processing);
    }

    /// All videos, in the order their uploads were initialized.
    pub fn videos(&self) -> Vec<FakeVideo> {
        self.lock().videos.all()
    }
}

fn random_token() -> String {
    let mut buf = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The member behind the bearer token.
fn bearer_member(state: &LinkedinState, headers: &HeaderMap) -> Result<String, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(invalid_token)?;
    state.lock().access_tokens.get(token).cloned().ok_or_else(invalid_token)
}

/// A versioned `/rest` call: the token, then the version and protocol headers. The member's
/// author URN on success.
fn rest_member(state: &LinkedinState, headers: &HeaderMap) -> Result<String, Response> {
    let sub = bearer_member(state, headers)?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let Some(version) = header("LinkedIn-Version").filter(|v| !v.is_empty()) else {
        return Err(rest_error(
            StatusCode::BAD_REQUEST,
            "VERSION_MISSING",
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        ));
    };
    let month = version.split('.').next().unwrap_or_default();
    let well_formed = month.len() == 6 && month.bytes().all(|b| b.is_ascii_digit());
    if !well_formed || month < state.lock().min_version.as_str() {
        return Err(rest_error(
            StatusCode::UPGRADE_REQUIRED,
            "NONEXISTENT_VERSION",
            &format!("Requested version {version} is not active"),
        ));
    }
    // The body LinkedIn sends here is not documented; this one keeps its error shape.
    if header("X-Restli-Protocol-Version") != Some("2.0.0") {
        return Err(rest_error(
            StatusCode::BAD_REQUEST,
            "ILLEGAL_ARGUMENT",
            "This resource requires the header X-Restli-Protocol-Version: 2.0.0",
        ));
    }
    Ok(format!("urn:li:person:{sub}"))
}

/// The browser step, approved at once as the default member.
async fn authorize_page(State(state): State<LinkedinState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let param = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if param("response_type") != "code" {
        return (StatusCode::BAD_REQUEST, "response_type must be code").into_response();
    }
    match state.authorize(param("client_id"), param("redirect_uri"), param("scope")) {
        Ok(code) => {
            let sep = if param("redirect_uri").contains('?') { '&' } else { '?' };
            let state_param: String = param("state").bytes().map(|b| format!("%{b:02X}")).collect();
            Redirect::to(&format!("{}{sep}code={code}&state={state_param}", param("redirect_uri"))).into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

/// `POST /oauth/v2/accessToken`: the client authenticates with `client_id`/`client_secret`
/// in the form (no PKCE for this flow).
async fn token(State(state): State<LinkedinState>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let mut s = state.lock();
    if s.clients.get(field("client_id")).map(String::as_str) != Some(field("client_secret")) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed");
    }
    let (grant, refresh_token) = match field("grant_type") {
        "authorization_code" => {
            if field("code").is_empty() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "A required parameter \"code\" is missing",
                );
            }
            let grant = s.codes.remove(field("code"));
            match grant {
                Some(g) if g.client_id == field("client_id") && g.redirect_uri == field("redirect_uri") => {
                    let refresh = s.issue_refresh_tokens.then(random_token);
                    if let Some(r) = &refresh {
                        s.refresh_tokens.insert(r.clone(), g.clone());
                    }
                    (g, refresh)
                }
                _ => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists",
                    )
                }
            }
        }
        // LinkedIn keeps the refresh token (its lifetime counts down) rather than rotating it.
        "refresh_token" => match s.refresh_tokens.get(field("refresh_token")) {
            Some(g) if g.client_id == field("client_id") => (g.clone(), Some(field("refresh_token").to_string())),
            _ => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The provided authorization grant or refresh token is invalid, expired or revoked",
                )
            }
        },
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "The grant type is not supported"),
    };
    let access_token = random_token();
    s.access_tokens.insert(access_token.clone(), grant.sub.clone());
    let mut answer = json!({ "access_token": access_token, "expires_in": ACCESS_TOKEN_SECONDS, "scope": grant.scope });
    if let Some(r) = refresh_token {
        answer["refresh_token"] = Value::String(r);
        answer["refresh_token_expires_in"] = json!(REFRESH_TOKEN_SECONDS);
    }
    Json(answer).into_response()
}

/// `GET /v2/userinfo` (OpenID Connect; unversioned).
async fn userinfo(State(state): State<LinkedinState>, headers: HeaderMap) -> Response {
    let sub = match bearer_member(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(name) = state.lock().members.get(&sub).cloned() else { return invalid_token() };
    let (given, family) = name.split_once(' ').unwrap_or((name.as_str(), ""));
    Json(json!({
        "sub": sub,
        "name": name,
        "given_name": given,
        "family_name": family,
        "picture": format!("https://media.licdn.com/dms/image/{sub}/profile-displayphoto-shrink_100_100/0/1"),
        "locale": { "country": "US", "language": "en" },
    }))
    .into_response()
}
