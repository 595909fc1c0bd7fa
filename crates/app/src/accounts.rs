//! Sign-up, sign-in, token refresh, sign-out and password reset.

use crate::audit::{self, Entry};
use crate::context::{Actor, RequestMeta, RoleMemo};
use crate::error::{AppError, AppResult};
use crate::security::passwords;
use crate::security::tokens::{random_token, token_hash, ACCESS_TOKEN_SECS};
pub use crate::user::User;
use crate::App;
use chrono::Duration;
use sellcast_domain::{ids, validation as v, Role, ValidationErrors};
use sellcast_store::sessions::{self, RefreshTokenRow, SessionRow};
use sellcast_store::users::{self, LoginFailures, UserRow};
use sellcast_store::{signed_in, Conn, Tx};
use serde::Serialize;
use serde_json::json;

pub const REFRESH_TOKEN_DAYS: i64 = 30;
pub const LOCKOUT_THRESHOLD: i32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;
pub const RESET_TOKEN_MINUTES: i64 = 60;

#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub organization_name: Option<String>,
    pub invite_token: Option<String>,
}

pub struct Registered {
    pub user: User,
    pub organization: crate::orgs::Org,
    pub role: Role,
    pub tokens: TokenPair,
}

pub async fn register(app: &App, meta: &RequestMeta, input: RegisterInput) -> AppResult<Registered> {
    let email = v::normalize_email(&input.email);
    let mut errs = ValidationErrors::new();
    errs.check("email", v::email(&email));
    errs.check("password", v::password(&input.password));
    errs.check("name", v::name(&input.name, v::NAME_MAX));
    match (&input.invite_token, &input.organization_name) {
        (None, None) => errs.add("organization_name", "is required"),
        (_, Some(o)) => errs.check("organization_name", v::name(o, v::NAME_MAX)),
        _ => {}
    }
    errs.into_result()?;
    let hash = passwords::hash(input.password.clone()).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let first_user = users::list(tx.conn(), 1).await?.is_empty();
    if !app.config.registration_open && !first_user && input.invite_token.is_none() {
        return Err(AppError::Forbidden("registration is closed on this instance; ask for an invite".into()));
    }
    let user = UserRow {
        id: ids::new_id(),
        email: email.clone(),
        name: input.name.trim().to_string(),
        password_hash: hash,
        timezone: "UTC".into(),
        is_instance_admin: first_user,
        totp_secret: None,
        totp_enabled: false,
        created_at: now,
        updated_at: now,
    };
    users::insert(tx.conn(), &user).await?;
    let actor = Actor::of(&user.id, meta);
    audit::record(
        tx.conn(),
        Some(&actor),
        now,
        Entry {
            org_id: None,
            action: "user.register",
            entity_type: "user",
            entity_id: Some(&user.id),
            changes: json!({"email": user.email, "name": user.name}),
        },
    )
    .await?;
    let (organization, role) = match &input.invite_token {
        Some(token) => crate::invites::redeem(app, &mut tx, &actor, &user.email, token).await?,
        None => {
            let name = input.organization_name.as_deref().unwrap_or_default();
            (crate::orgs::create_in(&mut tx, &actor, name, now).await?, Role::Owner)
        }
    };
    let tokens = start_session(app, tx.conn(), &user.id, meta).await?;
    tx.commit().await?;
    Ok(Registered { user: user.into(), organization: organization.into(), role, tokens })
}

/// A new session with its first refresh token, and an access token for it.
pub(crate) async fn start_session(
    app: &App,
    mut c: Conn<'_>,
    user_id: &str,
    meta: &RequestMeta,
) -> AppResult<TokenPair> {
    let now = app.clock.now();
    let session = SessionRow {
        id: ids::new_id(),
        user_id: user_id.to_string(),
        created_at: now,
        last_used_at: now,
        expires_at: now + Duration::days(REFRESH_TOKEN_DAYS),
        revoked_at: None,
        revoked_reason: None,
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.as_ref().map(|u| u.chars().take(500).collect()),
    };
    sessions::insert(c.re(), &session).await?;
    let refresh = issue_refresh(app, c.re(), &session.id).await?;
    Ok(TokenPair {
        access_token: app.jwt.issue(user_id, &session.id, now)?,
        refresh_token: refresh,
        expires_in: ACCESS_TOKEN_SECS,
    })
}

async fn issue_refresh(app: &App, c: Conn<'_>, session_id: &str) -> AppResult<String> {
    let now = app.clock.now();
    let token = random_token();
    sessions::insert_refresh(
        c,
        &RefreshTokenRow {
            id: ids::new_id(),
            session_id: session_id.to_string(),
            token_hash: token_hash(&token),
            created_at: now,
            expires_at: now + Duration::days(REFRESH_TOKEN_DAYS),
            used_at: None,
        },
    )
    .await?;
    Ok(token)
}

pub struct LoggedIn {
    pub user: User,
    pub tokens: TokenPair,
}

const BAD_CREDENTIALS: &str = "invalid email or password";

pub async fn login(
    app: &App,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    totp_code: Option<&str>,
) -> AppResult<LoggedIn> {
    let email = v::normalize_email(email);
    let now = app.clock.now();
    let failures = {
        let mut c = app.db.read().await?;
        users::login_failures(c.conn(), &email).await?
    };
    if let Some(until) = failures.as_ref().and_then(|f| f.locked_until).filter(|u| *u > now) {
        return Err(locked(until - now));
    }
    let user = {
        let mut c = app.db.read().await?;
        users::by_email(c.conn(), &email).await?
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| passwords::decoy_hash().to_string());
    let password_ok = passwords::verify(password.to_string(), stored).await? && user.is_some();
    let Some(user) = user.filter(|_| password_ok) else {
        return Err(record_failure(app, &email, failures).await);
    };
    finish_login(app, meta, &email, user, failures, totp_code).await
}

/// The second step of a sign-in whose password was checked earlier (the web UI's TOTP page
/// holds a signed proof of that, see `web_session::mfa_pending`): the code alone.
pub async fn login_second_step(app: &App, meta: &RequestMeta, email: &str, code: &str) -> AppResult<LoggedIn> {
    let email = v::normalize_email(email);
    let now = app.clock.now();
    let (failures, user) = {
        let mut c = app.db.read().await?;
        (users::login_failures(c.conn(), &email).await?, users::by_email(c.conn(), &email).await?)
    };
    if let Some(until) = failures.as_ref().and_then(|f| f.locked_until).filter(|u| *u > now) {
        return Err(locked(until - now));
    }
    let Some(user) = user else { return Err(AppError::Unauthorized(BAD_CREDENTIALS.into())) };
    finish_login(app, meta, &email, user, failures, Some(code)).await
}

async fn finish_login(
    app: &App,
    meta: &RequestMeta,
    email: &str,
    user: UserRow,
    failures: Option<LoginFailures>,
    totp_code: Option<&str>,
) -> AppResult<LoggedIn> {
    let now = app.clock.now();
    if user.totp_enabled {
        let Some(code) = totp_code.filter(|c| !c.trim().is_empty()) else {
            return Err(AppError::MfaRequired);
        };
        if !crate::mfa::check_second_factor(app, &user, code).await? {
            return Err(record_failure(app, email, failures).await);
        }
    }
    let mut tx = app.db.begin().await?;
    users::clear_login_failures(tx.conn(), email).await?;
    let tokens = start_session(app, tx.conn(), &user.id, meta).await?;
    let actor = Actor::of(&user.id, meta);
    audit::record(
        tx.conn(),
        Some(&actor),
        now,
        Entry {
            org_id: None,
            action: "user.login",
            entity_type: "user",
            entity_id: Some(&user.id),
            changes: json!({"mfa": user.totp_enabled}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(LoggedIn { user: user.into(), tokens })
}

fn locked(remaining: Duration) -> AppError {
    AppError::RateLimited {
        message: "too many failed sign-in attempts; try again later".into(),
        retry_after_secs: remaining.num_seconds().max(1) as u64,
    }
}

/// Count a failed login for this email (existing or not); lock after the threshold.
async fn record_failure(app: &App, email: &str, prior: Option<LoginFailures>) -> AppError {
    let now = app.clock.now();
    let window = Duration::minutes(LOCKOUT_MINUTES);
    let mut f = prior
        .filter(|f| now - f.first_failed_at < window && f.locked_until.is_none_or(|u| u > now))
        .unwrap_or(LoginFailures { email: email.to_string(), failures: 0, first_failed_at: now, locked_until: None });
    f.failures += 1;
    if f.failures >= LOCKOUT_THRESHOLD {
        f.locked_until = Some(now + window);
    }
    let saved = async {
        let mut tx = app.db.begin().await?;
        users::put_login_failures(tx.conn(), &f).await?;
        tx.commit().await
    };
    if let Err(e) = saved.await {
        return AppError::from(e);
    }
    match f.locked_until {
        Some(until) => locked(until - now),
        None => AppError::Unauthorized(BAD_CREDENTIALS.into()),
    }
}

/// Trade a refresh token for a new pair. A token presented twice means it leaked: the whole
/// session (token family) is revoked.
pub async fn refresh(app: &App, meta: &RequestMeta, refresh_token: &str) -> AppResult<TokenPair> {
    let now = app.clock.now();
    let hash = token_hash(refresh_token);
    let mut tx = app.db.begin().await?;
    let Some(token) = sessions::refresh_by_hash(tx.conn(), &hash).await? else {
        return Err(AppError::InvalidToken);
    };
    let session = sessions::by_id(tx.conn(), &token.session_id).await?.ok_or(AppError::InvalidToken)?;
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(AppError::InvalidToken);
    }
    if token.used_at.is_some() || !sessions::use_refresh(tx.conn(), &token.id, now).await? {
        sessions::revoke(tx.conn(), &session.id, "refresh token reuse", now).await?;
        let actor = Actor::of(&session.user_id, meta);
        audit::record(
            tx.conn(),
            Some(&actor),
            now,
            Entry {
                org_id: None,
                action: "session.revoke",
                entity_type: "session",
                entity_id: Some(&session.id),
                changes: json!({"reason": "refresh token reuse"}),
            },
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::InvalidToken);
    }
    if token.expires_at <= now {
        return Err(AppError::TokenExpired);
    }
    sessions::touch(tx.conn(), &session.id, now).await?;
    let new_refresh = issue_refresh(app, tx.conn(), &session.id).await?;
    tx.commit().await?;
    Ok(TokenPair {
        access_token: app.jwt.issue(&session.user_id, &session.id, now)?,
        refresh_token: new_refresh,
        expires_in: ACCESS_TOKEN_SECS,
    })
}

/// End the caller's session: its access and refresh tokens stop working at once.
pub async fn logout(app: &App, actor: &Actor) -> AppResult<()> {
    let Some(sid) = &actor.session_id else { return Ok(()) };
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    sessions::revoke(tx.conn(), sid, "logout", now).await?;
    audit::record(tx.conn(), Some(actor), now, Entry::account("user.logout", "session", sid)).await?;
    tx.commit().await?;
    Ok(())
}

/// Who is calling: a valid access token whose session is live and whose user exists. `org_id`
/// is the org the request names, if any: its membership is read in the same statement.
pub async fn authenticate(app: &App, bearer: &str, meta: RequestMeta, org_id: Option<&str>) -> AppResult<Actor> {
    let now = app.clock.now();
    let claims = app.jwt.verify(bearer, now)?;
    // Every API request starts here: one statement.
    let org_id = org_id.filter(|o| ids::is_valid_id(o));
    let found = signed_in::read(&app.db, &claims.sid, org_id).await?.ok_or(AppError::InvalidToken)?;
    let session = found.session;
    if session.session_user_id != claims.sub
        || session.session_revoked_at.is_some()
        || session.session_expires_at <= now
    {
        return Err(AppError::InvalidToken);
    }
    let user = User::from(session.user);
    Ok(Actor {
        user_id: user.id.clone(),
        session_id: Some(session.session_id),
        is_instance_admin: user.is_instance_admin,
        meta,
        roles: RoleMemo::of(org_id, found.role),
        signed_in: Some(std::sync::Arc::new(user)),
    })
}

/// Always succeeds from the caller's view, so it cannot be used to probe for accounts.
pub async fn forgot_password(app: &App, meta: &RequestMeta, email: &str) -> AppResult<()> {
    let email = v::normalize_email(email);
    if v::email(&email).is_err() {
        return Err(AppError::validation("email", "must be an email address"));
    }
    let user = {
        let mut c = app.db.read().await?;
        users::by_email(c.conn(), &email).await?
    };
    let Some(user) = user else { return Ok(()) };
    let now = app.clock.now();
    let token = random_token();
    let mut tx = app.db.begin().await?;
    users::insert_password_reset(
        tx.conn(),
        &user.id,
        &token_hash(&token),
        now,
        now + Duration::minutes(RESET_TOKEN_MINUTES),
    )
    .await?;
    let link = format!("{}/reset-password?token={token}", app.config.public_url());
    let body = format!(
        "Hello {},\n\nSomeone asked to reset the password of your Sellcast account.\n\
         Open this link within {RESET_TOKEN_MINUTES} minutes to choose a new one:\n\n{link}\n\n\
         Or use this code with the API: {token}\n\nIf it was not you, ignore this email.\n",
        user.name
    );
    app.mailer.queue(tx.conn(), &user.email, "Reset your Sellcast password", &body, now).await?;
    let actor = Actor::of(&user.id, meta);
    audit::record(tx.conn(), Some(&actor), now, Entry::account("user.password_reset_requested", "user", &user.id))
        .await?;
    tx.commit().await?;
    app.db.job_wakeup().notify_waiters();
    Ok(())
}

pub async fn reset_password(app: &App, meta: &RequestMeta, token: &str, new_password: &str) -> AppResult<()> {
    v::password(new_password).map_err(|m| AppError::validation("password", m))?;
    let hash = passwords::hash(new_password.to_string()).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let user_id =
        users::take_password_reset(tx.conn(), &token_hash(token), now).await?.ok_or(AppError::InvalidToken)?;
    set_password_and_revoke(app, &mut tx, &user_id, &hash, meta, "user.password_reset").await?;
    tx.commit().await?;
    Ok(())
}

/// Set a new password hash, spend outstanding reset links, end every session, lift any
/// lockout; audited.
pub(crate) async fn set_password_and_revoke(
    app: &App,
    tx: &mut Tx,
    user_id: &str,
    hash: &str,
    meta: &RequestMeta,
    action: &str,
) -> AppResult<()> {
    let now = app.clock.now();
    users::set_password(tx.conn(), user_id, hash, now).await?;
    users::spend_password_resets(tx.conn(), user_id, now).await?;
    sessions::revoke_all_for_user(tx.conn(), user_id, "password changed", now).await?;
    if let Some(u) = users::by_id(tx.conn(), user_id).await? {
        users::clear_login_failures(tx.conn(), &u.email).await?;
    }
    let actor = Actor::of(user_id, meta);
    audit::record(
        tx.conn(),
        Some(&actor),
        now,
        Entry { org_id: None, action, entity_type: "user", entity_id: Some(user_id), changes: json!({}) },
    )
    .await?;
    Ok(())
}

/// Create a user from the CLI (no session, no org unless asked).
pub async fn create_user_admin(
    app: &App,
    email: &str,
    name: &str,
    password: &str,
    instance_admin: bool,
    org_name: Option<&str>,
) -> AppResult<User> {
    let email = v::normalize_email(email);
    let mut errs = ValidationErrors::new();
    errs.check("email", v::email(&email));
    errs.check("password", v::password(password));
    errs.check("name", v::name(name, v::NAME_MAX));
    if let Some(o) = org_name {
        errs.check("organization_name", v::name(o, v::NAME_MAX));
    }
    errs.into_result()?;
    let hash = passwords::hash(password.to_string()).await?;
    let now = app.clock.now();
    let user = UserRow {
        id: ids::new_id(),
        email,
        name: name.trim().to_string(),
        password_hash: hash,
        timezone: "UTC".into(),
        is_instance_admin: instance_admin,
        totp_secret: None,
        totp_enabled: false,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    users::insert(tx.conn(), &user).await?;
    let actor = Actor::of(&user.id, &RequestMeta { user_agent: Some("sellcast-cli".into()), ..Default::default() });
    audit::record(
        tx.conn(),
        Some(&actor),
        now,
        Entry {
            org_id: None,
            action: "user.create",
            entity_type: "user",
            entity_id: Some(&user.id),
            changes: json!({"email": user.email, "via": "cli"}),
        },
    )
    .await?;
    if let Some(o) = org_name {
        crate::orgs::create_in(&mut tx, &actor, o, now).await?;
    }
    tx.commit().await?;
    Ok(user.into())
}

/// Reset a password from the CLI; ends all sessions.
pub async fn reset_password_admin(app: &App, email: &str, password: &str) -> AppResult<()> {
    v::password(password).map_err(|m| AppError::validation("password", m))?;
    let email = v::normalize_email(email);
    let hash = passwords::hash(password.to_string()).await?;
    let mut tx = app.db.begin().await?;
    let user = users::by_email(tx.conn(), &email).await?.ok_or(AppError::NotFound("user"))?;
    let meta = RequestMeta { user_agent: Some("sellcast-cli".into()), ..Default::default() };
    set_password_and_revoke(app, &mut tx, &user.id, &hash, &meta, "user.password_reset_admin").await?;
    tx.commit().await?;
    Ok(())
}

/// The id of the account with this email, if there is one (the CLI's seed reuses accounts).
pub async fn user_id_by_email(app: &App, email: &str) -> AppResult<Option<String>> {
    let mut c = app.db.read().await?;
    Ok(users::by_email(c.conn(), &v::normalize_email(email)).await?.map(|u| u.id))
}

/// Whether the instance has no account yet: its first one administers it.
pub async fn instance_is_empty(app: &App) -> AppResult<bool> {
    let mut c = app.db.read().await?;
    Ok(users::list(c.conn(), 1).await?.is_empty())
}
