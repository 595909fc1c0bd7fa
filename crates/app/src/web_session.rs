//! The web UI's sessions: an HttpOnly cookie naming a session (the same sessions the API's
//! tokens belong to, so "sign out everywhere" and revocation cover both), signed with the
//! instance key; CSRF tokens derived from the session, so nothing extra is stored.

use crate::accounts::User;
use crate::accounts::{self, LoggedIn, TokenPair};
use crate::context::{Actor, RequestMeta, RoleMemo};
use crate::error::{AppError, AppResult};
use crate::App;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sellcast_domain::ids;
use sellcast_store::{sessions, signed_in};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How long the TOTP step of a sign-in may take after the password was accepted.
const MFA_PENDING_SECS: i64 = 300;

/// The MAC of `message` for `purpose`, not yet finalized. A key per purpose (derived from
/// the instance key), so a value signed for one use is worthless for another.
fn mac(url_key: &[u8], purpose: &str, message: &str) -> Option<Hmac<Sha256>> {
    let key = Sha256::digest([b"sellcast web:", purpose.as_bytes(), b":", url_key].concat());
    let mut m = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    m.update(message.as_bytes());
    Some(m)
}

fn sign(url_key: &[u8], purpose: &str, message: &str) -> String {
    mac(url_key, purpose, message).map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())).unwrap_or_default()
}

/// `verify_slice` compares in constant time, so the time taken says nothing about the right value.
fn verify(url_key: &[u8], purpose: &str, message: &str, signature: &str) -> bool {
    match (URL_SAFE_NO_PAD.decode(signature), mac(url_key, purpose, message)) {
        (Ok(signature), Some(m)) => m.verify_slice(&signature).is_ok(),
        _ => false,
    }
}

/// The cookie value for a session: `{session id}.{signature}`.
pub fn cookie_value(app: &App, session_id: &str) -> String {
    format!("{session_id}.{}", sign(&app.url_key, "session", session_id))
}

/// The session a successful sign-in (or sign-up) started, as a cookie value.
pub fn cookie_for(app: &App, tokens: &TokenPair) -> AppResult<String> {
    let claims = app.jwt.verify(&tokens.access_token, app.clock.now())?;
    Ok(cookie_value(app, &claims.sid))
}

/// Who holds this cookie: its session must be live and its user must exist.
pub async fn authenticate(app: &App, cookie: &str, meta: RequestMeta) -> AppResult<Actor> {
    Ok(authenticate_user(app, cookie, meta, None).await?.0)
}

/// `authenticate`, also returning the user row it loaded (pages show the user). `org_id` is the
/// org the page names, if any: its membership is read in the same statement.
pub async fn authenticate_user(
    app: &App,
    cookie: &str,
    meta: RequestMeta,
    org_id: Option<&str>,
) -> AppResult<(Actor, User)> {
    let (sid, signature) = cookie.split_once('.').ok_or(AppError::InvalidToken)?;
    if !verify(&app.url_key, "session", sid, signature) {
        return Err(AppError::InvalidToken);
    }
    let now = app.clock.now();
    // Every page view starts here: one statement.
    let org_id = org_id.filter(|o| ids::is_valid_id(o));
    let read = signed_in::read(&app.db, sid, org_id).await?.ok_or(AppError::InvalidToken)?;
    let found = read.session;
    if found.session_revoked_at.is_some() || found.session_expires_at <= now {
        return Err(AppError::InvalidToken);
    }
    // Recording use once a minute at most keeps page views read-only.
    if now - found.session_last_used_at > chrono::Duration::minutes(1) {
        let mut tx = app.db.begin().await?;
        sessions::touch(tx.conn(), &found.session_id, now).await?;
        tx.commit().await?;
    }
    let user: User = found.user.into();
    let actor = Actor {
        user_id: user.id.clone(),
        session_id: Some(found.session_id),
        is_instance_admin: user.is_instance_admin,
        meta,
        roles: RoleMemo::of(org_id, read.role),
        signed_in: Some(Arc::new(user.clone())),
    };
    Ok((actor, user))
}

/// The CSRF token of a session (for a form's hidden field).
pub fn csrf_token(app: &App, session_id: &str) -> String {
    sign(&app.url_key, "csrf", session_id)
}

pub fn csrf_valid(app: &App, session_id: &str, token: &str) -> bool {
    verify(&app.url_key, "csrf", session_id, token)
}

/// CSRF token for forms shown before sign-in (sign-in, sign-up, reset), bound to a random
/// value the browser holds in a cookie (double submit, signed).
pub fn anonymous_csrf(app: &App, nonce: &str) -> String {
    sign(&app.url_key, "anonymous csrf", nonce)
}

pub fn anonymous_csrf_valid(app: &App, nonce: &str, token: &str) -> bool {
    !nonce.is_empty() && verify(&app.url_key, "anonymous csrf", nonce, token)
}

/// Proof that `email`'s password was accepted and only the second factor is missing,
/// valid for a few minutes: `{expiry}.{signature}`.
pub fn mfa_pending(app: &App, email: &str) -> String {
    let expires = app.clock.now().timestamp() + MFA_PENDING_SECS;
    format!("{expires}.{}", sign(&app.url_key, "mfa pending", &format!("{expires}:{email}")))
}

/// Finish a sign-in with the second factor, given the proof from `mfa_pending`.
pub async fn finish_mfa(app: &App, meta: &RequestMeta, email: &str, proof: &str, code: &str) -> AppResult<LoggedIn> {
    let (expires, signature) = proof.split_once('.').ok_or(AppError::InvalidToken)?;
    let expires: i64 = expires.parse().map_err(|_| AppError::InvalidToken)?;
    if !verify(&app.url_key, "mfa pending", &format!("{expires}:{email}"), signature) {
        return Err(AppError::InvalidToken);
    }
    if expires < app.clock.now().timestamp() {
        return Err(AppError::TokenExpired);
    }
    accounts::login_second_step(app, meta, email, code).await
}

#[cfg(test)]
mod tests {
    use super::{sign, verify};

    const KEY: &[u8] = b"an instance key of some length";

    #[test]
    fn a_signature_holds_only_for_its_purpose_message_and_key() {
        let sig = sign(KEY, "session", "s1");
        assert!(verify(KEY, "session", "s1", &sig));
        assert!(!verify(KEY, "csrf", "s1", &sig), "a session signature is no CSRF token");
        assert!(!verify(KEY, "session", "s2", &sig), "another session");
        assert!(!verify(b"another key", "session", "s1", &sig), "another instance");
        assert!(!verify(KEY, "session", "s1", &sig[..sig.len() - 1]), "cut short");
        assert!(!verify(KEY, "session", "s1", &format!("{sig}=")), "padded: not the URL-safe form we hand out");
        assert!(!verify(KEY, "session", "s1", "forged"));
        assert!(!verify(KEY, "session", "s1", ""));
    }
}
