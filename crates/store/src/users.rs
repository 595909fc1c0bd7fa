//! Users, per-email login failures, MFA recovery codes and password-reset tokens.

use crate::{exec, on, Conn, StoreResult};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub timezone: String,
    pub is_instance_admin: bool,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const COLS: &str =
    "id, email, name, password_hash, timezone, is_instance_admin, totp_secret, totp_enabled, created_at, updated_at";
/// `COLS` of the table aliased `u`, for joins.
pub(crate) const U_COLS: &str = "u.id, u.email, u.name, u.password_hash, u.timezone, u.is_instance_admin, \
    u.totp_secret, u.totp_enabled, u.created_at, u.updated_at";

pub async fn insert(c: Conn<'_>, u: &UserRow) -> StoreResult<()> {
    let sql = format!("INSERT INTO users ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    exec!(
        c,
        sqlx::query(&sql)
            .bind(&u.id)
            .bind(&u.email)
            .bind(&u.name)
            .bind(&u.password_hash)
            .bind(&u.timezone)
            .bind(u.is_instance_admin)
            .bind(&u.totp_secret)
            .bind(u.totp_enabled)
            .bind(u.created_at)
            .bind(u.updated_at)
    )?;
    Ok(())
}

pub async fn by_id(c: Conn<'_>, id: &str) -> StoreResult<Option<UserRow>> {
    let sql = format!("SELECT {COLS} FROM users WHERE id = $1");
    Ok(on!(c, c => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(c).await)?)
}

pub async fn by_email(c: Conn<'_>, email: &str) -> StoreResult<Option<UserRow>> {
    let sql = format!("SELECT {COLS} FROM users WHERE email = $1");
    Ok(on!(c, c => sqlx::query_as::<_, UserRow>(&sql).bind(email).fetch_optional(c).await)?)
}

/// All users, oldest first (CLI listing).
pub async fn list(c: Conn<'_>, limit: i64) -> StoreResult<Vec<UserRow>> {
    let sql = format!("SELECT {COLS} FROM users ORDER BY id LIMIT $1");
    Ok(on!(c, c => sqlx::query_as::<_, UserRow>(&sql).bind(limit).fetch_all(c).await)?)
}

pub async fn update_profile(
    c: Conn<'_>,
    id: &str,
    email: &str,
    name: &str,
    timezone: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE users SET email = $1, name = $2, timezone = $3, updated_at = $4 WHERE id = $5")
            .bind(email)
            .bind(name)
            .bind(timezone)
            .bind(now)
            .bind(id)
    )?;
    Ok(())
}

pub async fn set_password(c: Conn<'_>, id: &str, hash: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let r = exec!(
        c,
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3").bind(hash).bind(now).bind(id)
    )?;
    Ok(r == 1)
}

pub async fn set_instance_admin(c: Conn<'_>, id: &str, admin: bool, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE users SET is_instance_admin = $1, updated_at = $2 WHERE id = $3")
            .bind(admin)
            .bind(now)
            .bind(id)
    )?;
    Ok(())
}

/// Store the (encrypted) TOTP secret; `enabled` turns MFA on at login.
pub async fn set_totp(
    c: Conn<'_>,
    id: &str,
    secret: Option<&str>,
    enabled: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_enabled = $2, updated_at = $3,
         totp_last_step = CASE WHEN $2 THEN totp_last_step ELSE NULL END WHERE id = $4"
        )
        .bind(secret)
        .bind(enabled)
        .bind(now)
        .bind(id)
    )?;
    Ok(())
}

pub async fn delete(c: Conn<'_>, id: &str) -> StoreResult<()> {
    exec!(c, sqlx::query("DELETE FROM users WHERE id = $1").bind(id))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginFailures {
    pub email: String,
    pub failures: i32,
    pub first_failed_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

pub async fn login_failures(c: Conn<'_>, email: &str) -> StoreResult<Option<LoginFailures>> {
    Ok(on!(c, c => sqlx::query_as::<_, LoginFailures>(
        "SELECT email, failures, first_failed_at, locked_until FROM login_failures WHERE email = $1")
        .bind(email).fetch_optional(c).await)?)
}

pub async fn put_login_failures(c: Conn<'_>, f: &LoginFailures) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "INSERT INTO login_failures (email, failures, first_failed_at, locked_until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO UPDATE SET failures = $2, first_failed_at = $3, locked_until = $4"
        )
        .bind(&f.email)
        .bind(f.failures)
        .bind(f.first_failed_at)
        .bind(f.locked_until)
    )?;
    Ok(())
}

pub async fn clear_login_failures(c: Conn<'_>, email: &str) -> StoreResult<()> {
    exec!(c, sqlx::query("DELETE FROM login_failures WHERE email = $1").bind(email))?;
    Ok(())
}

/// Replace all recovery codes of a user with new hashed ones.
pub async fn replace_recovery_codes(
    mut c: Conn<'_>,
    user_id: &str,
    hashes: &[String],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(c.re(), sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id))?;
    for h in hashes {
        exec!(
            c.re(),
            sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(sellcast_domain::ids::new_id())
                .bind(user_id)
                .bind(h)
                .bind(now)
        )?;
    }
    Ok(())
}

/// Consume an unused recovery code; true when it existed and was unused.
pub async fn use_recovery_code(c: Conn<'_>, user_id: &str, hash: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let n = exec!(
        c,
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(hash)
    )?;
    Ok(n > 0)
}

pub async fn remaining_recovery_codes(c: Conn<'_>, user_id: &str) -> StoreResult<i64> {
    Ok(on!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id).fetch_one(c).await)?)
}

pub async fn insert_password_reset(
    c: Conn<'_>,
    user_id: &str,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query(
            "INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(sellcast_domain::ids::new_id())
        .bind(user_id)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
    )?;
    Ok(())
}

/// Spend every outstanding reset token of a user (their password just changed).
pub async fn spend_password_resets(c: Conn<'_>, user_id: &str, now: DateTime<Utc>) -> StoreResult<()> {
    exec!(
        c,
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
    )?;
    Ok(())
}

/// Record the TOTP time step just used; false when that step (or a later one) was already
/// used, so a code cannot be replayed within its window (RFC 6238 §5.2).
pub async fn use_totp_step(c: Conn<'_>, user_id: &str, step: i64) -> StoreResult<bool> {
    let n =
        exec!(c, sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
        .bind(step).bind(user_id))?;
    Ok(n == 1)
}

/// Mark a reset token used if it is live; returns its user. Single use even under races.
pub async fn take_password_reset(c: Conn<'_>, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<String>> {
    Ok(on!(c, c => sqlx::query_scalar::<_, String>(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
         RETURNING user_id")
        .bind(now).bind(token_hash).fetch_optional(c).await)?)
}

/// Delete reset links that are spent or expired, and login failures that no longer lock.
pub async fn prune_auth_leftovers(mut c: Conn<'_>, now: DateTime<Utc>) -> StoreResult<u64> {
    let resets = exec!(
        c.re(),
        sqlx::query("DELETE FROM password_resets WHERE used_at IS NOT NULL OR expires_at < $1").bind(now)
    )?;
    let failures = exec!(
        c.re(),
        sqlx::query(
            "DELETE FROM login_failures WHERE (locked_until IS NULL OR locked_until < $1) AND first_failed_at < $2"
        )
        .bind(now)
        .bind(now - chrono::Duration::days(1))
    )?;
    Ok(resets + failures)
}

/// (user id, sealed TOTP secret) of secrets sealed with a key other than `key_id` (rotation).
pub async fn totp_sealed_with_other_key(c: Conn<'_>, key_id: &str, limit: i64) -> StoreResult<Vec<(String, String)>> {
    let prefix = format!("{key_id}:%");
    Ok(on!(c, c => sqlx::query_as::<_, (String, String)>(
        "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE $1 ORDER BY id LIMIT $2")
        .bind(prefix).bind(limit).fetch_all(c).await)?)
}

/// Replace a sealed TOTP secret with the same secret sealed under another key.
pub async fn reseal_totp(c: Conn<'_>, id: &str, sealed: &str) -> StoreResult<()> {
    exec!(c, sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2").bind(sealed).bind(id))?;
    Ok(())
}
