//! TOTP two-factor authentication: setup (secret + otpauth URI), verify to enable (returns
//! recovery codes), disable, regenerate recovery codes.

use crate::audit::{self, Entry};
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::security::tokens::token_hash;
use crate::security::{passwords, totp};
use crate::App;
use rand::Rng;
use sellcast_store::users::{self, UserRow};
use serde::Serialize;

pub const RECOVERY_CODES: usize = 10;

#[derive(Debug, Serialize)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_uri: String,
}

async fn load_user(app: &App, actor: &Actor) -> AppResult<UserRow> {
    let mut c = app.db.read().await?;
    users::by_id(c.conn(), &actor.user_id).await?.ok_or(AppError::InvalidToken)
}

/// Start setup: a new secret, stored encrypted but not yet enforced.
pub async fn setup(app: &App, actor: &Actor) -> AppResult<TotpSetup> {
    let user = load_user(app, actor).await?;
    if user.totp_enabled {
        return Err(AppError::Conflict("two-factor authentication is already enabled; disable it first".into()));
    }
    let secret = totp::new_secret();
    let uri = totp::otpauth_uri(&secret, &user.email)?;
    let sealed = app.secretbox.seal(&secret)?;
    let mut tx = app.db.begin().await?;
    let now = app.clock.now();
    users::set_totp(tx.conn(), &user.id, Some(&sealed), false, now).await?;
    audit::record(tx.conn(), Some(actor), now, Entry::account("user.mfa_setup_started", "user", &user.id)).await?;
    tx.commit().await?;
    Ok(TotpSetup { secret, otpauth_uri: uri })
}

/// Confirm setup with a code from the authenticator; MFA is on from now. Returns the
/// recovery codes, shown this once.
pub async fn verify(app: &App, actor: &Actor, code: &str) -> AppResult<Vec<String>> {
    let user = load_user(app, actor).await?;
    if user.totp_enabled {
        return Err(AppError::Conflict("two-factor authentication is already enabled".into()));
    }
    let Some(sealed) = &user.totp_secret else {
        return Err(AppError::Conflict("start two-factor setup first".into()));
    };
    let secret = app.secretbox.open(sealed)?;
    let Some(step) = totp::matching_step(&secret, &user.email, code, app.clock.unix_secs())? else {
        return Err(AppError::validation("code", "is not the current code of your authenticator"));
    };
    let (codes, hashes) = new_recovery_codes();
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    users::use_totp_step(tx.conn(), &user.id, step).await?;
    users::set_totp(tx.conn(), &user.id, Some(sealed), true, now).await?;
    users::replace_recovery_codes(tx.conn(), &user.id, &hashes, now).await?;
    audit::record(tx.conn(), Some(actor), now, Entry::account("user.mfa_enabled", "user", &user.id)).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turn MFA off; needs the password and a current code (or a recovery code).
pub async fn disable(app: &App, actor: &Actor, password: &str, code: &str) -> AppResult<()> {
    let user = load_user(app, actor).await?;
    if !user.totp_enabled {
        return Err(AppError::Conflict("two-factor authentication is not enabled".into()));
    }
    confirm(app, &user, password, code).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    users::set_totp(tx.conn(), &user.id, None, false, now).await?;
    users::replace_recovery_codes(tx.conn(), &user.id, &[], now).await?;
    audit::record(tx.conn(), Some(actor), now, Entry::account("user.mfa_disabled", "user", &user.id)).await?;
    tx.commit().await?;
    Ok(())
}

/// New recovery codes replace the old ones; needs a current TOTP code.
pub async fn regenerate_recovery_codes(app: &App, actor: &Actor, password: &str, code: &str) -> AppResult<Vec<String>> {
    let user = load_user(app, actor).await?;
    if !user.totp_enabled {
        return Err(AppError::Conflict("two-factor authentication is not enabled".into()));
    }
    confirm(app, &user, password, code).await?;
    let (codes, hashes) = new_recovery_codes();
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    users::replace_recovery_codes(tx.conn(), &user.id, &hashes, now).await?;
    audit::record(tx.conn(), Some(actor), now, Entry::account("user.mfa_recovery_codes_regenerated", "user", &user.id))
        .await?;
    tx.commit().await?;
    Ok(codes)
}

async fn confirm(app: &App, user: &UserRow, password: &str, code: &str) -> AppResult<()> {
    if !passwords::verify(password.to_string(), user.password_hash.clone()).await? {
        return Err(AppError::validation("password", "is not your current password"));
    }
    if !check_second_factor(app, user, code).await? {
        return Err(AppError::validation("code", "is not a valid authenticator or recovery code"));
    }
    Ok(())
}

/// A TOTP code (±1 step) not used before, or an unused recovery code; either is then spent.
pub async fn check_second_factor(app: &App, user: &UserRow, code: &str) -> AppResult<bool> {
    let Some(sealed) = &user.totp_secret else { return Ok(false) };
    let secret = app.secretbox.open(sealed)?;
    if let Some(step) = totp::matching_step(&secret, &user.email, code, app.clock.unix_secs())? {
        let mut tx = app.db.begin().await?;
        let fresh = users::use_totp_step(tx.conn(), &user.id, step).await?;
        tx.commit().await?;
        return Ok(fresh);
    }
    let normalized = normalize_code(code);
    if normalized.len() != 10 {
        return Ok(false);
    }
    let mut tx = app.db.begin().await?;
    let used = users::use_recovery_code(tx.conn(), &user.id, &token_hash(&normalized), app.clock.now()).await?;
    tx.commit().await?;
    Ok(used)
}

pub async fn status(app: &App, actor: &Actor) -> AppResult<(bool, i64)> {
    let user = load_user(app, actor).await?;
    let mut c = app.db.read().await?;
    let remaining = users::remaining_recovery_codes(c.conn(), &user.id).await?;
    Ok((user.totp_enabled, remaining))
}

/// Codes look like `abcde-fghij`; stored and compared without the dash, lower-case.
fn normalize_code(code: &str) -> String {
    code.trim().to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// Fresh recovery codes, and the hashes stored for them.
fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let s: String = (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect();
    let hashes = codes.iter().map(|c| token_hash(&normalize_code(c))).collect();
    (codes, hashes)
}
