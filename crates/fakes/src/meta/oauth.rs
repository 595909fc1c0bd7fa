//! The OAuth endpoints: Facebook Login (dialog, code exchange, `fb_exchange_token`) and the
//! Threads authorization window and token endpoints (`authorization_code`, `th_exchange_token`,
//! `th_refresh_token`). The dialogs consent at once and redirect with a code.

use super::params::{authenticate, encode, error, ok, respond, Params};
use super::state::{IssuedCode, Network, Subject, World};
use super::{MetaState, CLIENT_ID, CLIENT_SECRET, THREADS_CLIENT_ID, THREADS_CLIENT_SECRET};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

/// Long-lived tokens: about 60 days.
const LONG_LIVED_SECS: i64 = 5_184_000;
const SHORT_LIVED_SECS: i64 = 3_600;

pub(crate) async fn facebook_dialog(State(state): State<MetaState>, uri: Uri) -> Response {
    dialog(&state, &uri, Network::Facebook, CLIENT_ID)
}

pub(crate) async fn threads_dialog(State(state): State<MetaState>, uri: Uri) -> Response {
    dialog(&state, &uri, Network::Threads, THREADS_CLIENT_ID)
}

fn dialog(state: &MetaState, uri: &Uri, network: Network, client_id: &str) -> Response {
    let p = Params::parse(uri, &HeaderMap::new(), &[]);
    if p.get("client_id") != Some(client_id) {
        return error(400, 101, None, "Error validating application. Invalid application ID.");
    }
    let redirect_uri = match p.require("redirect_uri") {
        Ok(r) => r.to_string(),
        Err(r) => return r,
    };
    if p.get("response_type").is_some_and(|t| t != "code") {
        return error(400, 100, None, "(#100) Unsupported response_type");
    }
    let mut w = state.world();
    let code = w.new_token("code-");
    w.codes.insert(code.clone(), IssuedCode { redirect_uri: redirect_uri.clone(), network });
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut location = format!("{redirect_uri}{sep}code={}", encode(&code));
    if let Some(state) = p.get("state") {
        location.push_str(&format!("&state={}", encode(state)));
    }
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// Check and consume a code issued by the dialog.
fn take_code(w: &mut World, p: &Params, network: Network) -> Result<(), Response> {
    let code = p.require("code")?.to_string();
    let redirect_uri = p.require("redirect_uri")?;
    match w.codes.get(&code) {
        Some(issued) if issued.network == network && issued.redirect_uri == redirect_uri => {
            w.codes.remove(&code);
            Ok(())
        }
        Some(_) => Err(error(
            400,
            100,
            Some(36008),
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        )),
        None => Err(error(400, 100, Some(36009), "This authorization code has been used.")),
    }
}

fn check_client(p: &Params, id: &str, secret: &str) -> Result<(), Response> {
    if p.get("client_id").is_some_and(|c| c != id) {
        return Err(error(400, 101, None, "Error validating application. Invalid application ID."));
    }
    if p.get("client_secret") != Some(secret) {
        return Err(error(400, 1, None, "Error validating client secret."));
    }
    Ok(())
}

/// `GET /v21.0/oauth/access_token`: a code, or `grant_type=fb_exchange_token`.
pub(crate) async fn facebook_token(State(state): State<MetaState>, uri: Uri) -> Response {
    let p = Params::parse(&uri, &HeaderMap::new(), &[]);
    if let Err(r) = p.require("client_id").and_then(|_| check_client(&p, CLIENT_ID, CLIENT_SECRET)) {
        return r;
    }
    let mut w = state.world();
    let lifetime = if p.get("grant_type") == Some("fb_exchange_token") {
        let Some(old) = p.get("fb_exchange_token") else {
            return error(400, 100, None, "(#100) The parameter fb_exchange_token is required");
        };
        match authenticate(&w, Some(old), false) {
            Ok(Subject::User) => LONG_LIVED_SECS,
            Ok(_) => return error(400, 190, None, "Invalid OAuth access token - Cannot parse access token"),
            Err(r) => return r,
        }
    } else {
        if let Err(r) = take_code(&mut w, &p, Network::Facebook) {
            return r;
        }
        SHORT_LIVED_SECS
    };
    let token = w.new_token("EAAUser");
    w.grant(token.clone(), Subject::User, Some(Utc::now() + chrono::Duration::seconds(lifetime)));
    ok(json!({"access_token": token, "token_type": "bearer", "expires_in": lifetime}))
}

/// `POST /oauth/access_token` (form): the Threads code exchange.
pub(crate) async fn threads_token(
    State(state): State<MetaState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = Params::parse(&uri, &headers, &body);
    if let Err(r) = p.require("client_id").and_then(|_| check_client(&p, THREADS_CLIENT_ID, THREADS_CLIENT_SECRET)) {
        return r;
    }
    if p.get("grant_type") != Some("authorization_code") {
        return error(400, 100, None, "(#100) Unsupported grant_type");
    }
    let mut w = state.world();
    if let Err(r) = take_code(&mut w, &p, Network::Threads) {
        return r;
    }
    let token = w.new_token("THQShort");
    w.grant(token.clone(), Subject::ThreadsUser, Some(Utc::now() + chrono::Duration::seconds(SHORT_LIVED_SECS)));
    let user_id: u64 = w.threads_user_id.parse().unwrap_or(0);
    ok(json!({"access_token": token, "user_id": user_id}))
}

/// `GET /access_token?grant_type=th_exchange_token&client_secret&access_token`.
pub(crate) async fn threads_exchange(State(state): State<MetaState>, uri: Uri) -> Response {
    let p = Params::parse(&uri, &HeaderMap::new(), &[]);
    if p.get("grant_type") != Some("th_exchange_token") {
        return error(400, 100, None, "(#100) Unsupported grant_type");
    }
    if p.get("client_secret") != Some(THREADS_CLIENT_SECRET) {
        return error(400, 1, None, "Error validating client secret.");
    }
    threads_long_lived(&state, &p)
}

/// `GET /refresh_access_token?grant_type=th_refresh_token&access_token`.
pub(crate) async fn threads_refresh(State(state): State<MetaState>, uri: Uri) -> Response {
    let p = Params::parse(&uri, &HeaderMap::new(), &[]);
    if p.get("grant_type") != Some("th_refresh_token") {
        return error(400, 100, None, "(#100) Unsupported grant_type");
    }
    threads_long_lived(&state, &p)
}

fn threads_long_lived(state: &MetaState, p: &Params) -> Response {
    let mut w = state.world();
    if let Err(r) = authenticate(&w, p.token.as_deref(), true) {
        return r;
    }
    let token = w.new_token("THQLong");
    w.grant(token.clone(), Subject::ThreadsUser, Some(Utc::now() + chrono::Duration::seconds(LONG_LIVED_SECS)));
    respond(200, json!({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECS}))
}
