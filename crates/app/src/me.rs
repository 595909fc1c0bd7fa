//! The signed-in user's own account: profile, password, sessions, GDPR export and deletion.

use crate::accounts::{set_password_and_revoke, User};
use crate::audit::{self, Entry};
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::security::passwords;
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_domain::pagination::Page;
use sellcast_domain::{validation as v, Role, ValidationErrors};
use sellcast_store::users::{self, UserRow};
use sellcast_store::{audit as audit_store, invites, orgs, outbox, sessions};
use serde::Serialize;
use serde_json::{json, Value};

/// The signed-in account: as this request's authentication read it, else read now.
pub async fn get(app: &App, actor: &Actor) -> AppResult<User> {
    match &actor.signed_in {
        Some(user) => Ok(User::clone(user)),
        None => Ok(load(app, actor).await?.into()),
    }
}

async fn load(app: &App, actor: &Actor) -> AppResult<UserRow> {
    let mut c = app.db.read().await?;
    users::by_id(c.conn(), &actor.user_id).await?.ok_or(AppError::InvalidToken)
}

#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub timezone: Option<String>,
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// Update the profile. Changing email or password needs the current password; a new password
/// ends every session, this one included (the client signs in again).
pub async fn update(app: &App, actor: &Actor, patch: ProfilePatch) -> AppResult<User> {
    let user = load(app, actor).await?;
    let mut errs = ValidationErrors::new();
    if let Some(n) = &patch.name {
        errs.check("name", v::name(n, v::NAME_MAX));
    }
    let email = patch.email.as_deref().map(v::normalize_email);
    if let Some(e) = &email {
        errs.check("email", v::email(e));
    }
    if let Some(t) = &patch.timezone {
        // The shape check, then the real list: times are shown and picked in this zone.
        let known = v::timezone(t).and_then(|_| {
            t.parse::<chrono_tz::Tz>()
                .map(|_| ())
                .map_err(|_| "is not a known IANA timezone such as Europe/Paris".into())
        });
        errs.check("timezone", known);
    }
    if let Some(p) = &patch.new_password {
        errs.check("new_password", v::password(p));
    }
    errs.into_result()?;
    let sensitive = email.as_ref().is_some_and(|e| *e != user.email) || patch.new_password.is_some();
    if sensitive {
        let Some(current) = &patch.current_password else {
            return Err(AppError::validation("current_password", "is required to change email or password"));
        };
        if !passwords::verify(current.clone(), user.password_hash.clone()).await? {
            return Err(AppError::validation("current_password", "is not your current password"));
        }
    }
    let new_hash = match &patch.new_password {
        Some(p) => Some(passwords::hash(p.clone()).await?),
        None => None,
    };
    let now = app.clock.now();
    let name = patch.name.as_deref().map(str::trim).unwrap_or(&user.name).to_string();
    let email = email.unwrap_or_else(|| user.email.clone());
    let timezone = patch.timezone.clone().unwrap_or_else(|| user.timezone.clone());
    let mut tx = app.db.begin().await?;
    users::update_profile(tx.conn(), &user.id, &email, &name, &timezone, now).await?;
    let mut changes = serde_json::Map::new();
    for (field, from, to) in
        [("name", &user.name, &name), ("email", &user.email, &email), ("timezone", &user.timezone, &timezone)]
    {
        if from != to {
            changes.insert(field.into(), json!({"from": from, "to": to}));
        }
    }
    if let Some(hash) = &new_hash {
        set_password_and_revoke(app, &mut tx, &user.id, hash, &actor.meta, "user.password_change").await?;
    }
    if !changes.is_empty() {
        audit::record(
            tx.conn(),
            Some(actor),
            now,
            Entry {
                org_id: None,
                action: "user.update",
                entity_type: "user",
                entity_id: Some(&user.id),
                changes: Value::Object(changes),
            },
        )
        .await?;
    }
    tx.commit().await?;
    // Read again: the account changed since this request's authentication read it.
    Ok(load(app, actor).await?.into())
}

pub async fn sessions(app: &App, actor: &Actor, page: &Page) -> AppResult<(Vec<Session>, Option<String>)> {
    let mut c = app.db.read().await?;
    let rows = sessions::for_user(c.conn(), &actor.user_id, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(Session::from).collect(), next))
}

pub async fn revoke_session(app: &App, actor: &Actor, session_id: &str) -> AppResult<()> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let s = sessions::by_id(tx.conn(), session_id)
        .await?
        .filter(|s| s.user_id == actor.user_id)
        .ok_or(AppError::NotFound("session"))?;
    sessions::revoke(tx.conn(), &s.id, "revoked by user", now).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: None,
            action: "session.revoke",
            entity_type: "session",
            entity_id: Some(&s.id),
            changes: json!({"reason": "revoked by user"}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every row the user owns, as JSON (GDPR art. 15 and 20). Secrets are left out.
pub async fn export(app: &App, actor: &Actor) -> AppResult<Value> {
    let user = load(app, actor).await?;
    let mut c = app.db.read().await?;
    let memberships = orgs::for_user(c.conn(), &user.id, None, i64::MAX).await?;
    let sessions = sessions::for_user(c.conn(), &user.id, None, i64::MAX).await?;
    let activity = audit_store::by_actor(c.conn(), &user.id).await?;
    let invites_sent = invites::sent_by(c.conn(), &user.id).await?;
    // Mail bodies hold live secrets (password-reset and invite tokens), so they stay out.
    let emails: Vec<Value> = outbox::to_address(c.conn(), &user.email)
        .await?
        .into_iter()
        .map(|m| json!({"id": m.id, "to_address": m.to_address, "subject": m.subject, "created_at": m.created_at, "sent_at": m.sent_at}))
        .collect();
    let recovery_left = users::remaining_recovery_codes(c.conn(), &user.id).await?;
    Ok(json!({
        "exported_at": app.clock.now(),
        "user": user,
        "mfa": {"enabled": user.totp_enabled, "recovery_codes_remaining": recovery_left},
        "memberships": memberships,
        "sessions": sessions,
        "audit_log": activity,
        "invites_sent": invites_sent,
        "emails": emails,
    }))
}

/// Delete the account (GDPR art. 17). Needs the password. Orgs where the user is the only
/// member go with them; an org with other members must get another owner first.
pub async fn delete(app: &App, actor: &Actor, password: &str) -> AppResult<()> {
    let user = load(app, actor).await?;
    if !passwords::verify(password.to_string(), user.password_hash.clone()).await? {
        return Err(AppError::validation("password", "is not your current password"));
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let standing = orgs::standing_of(tx.conn(), &user.id).await?;
    if let Some(blocking) = standing.iter().find(|s| s.role == Role::Owner && s.owners <= 1 && s.members > 1) {
        return Err(AppError::Conflict(format!(
            "you are the last owner of organization {}; transfer ownership or remove its other members first",
            blocking.org_id
        )));
    }
    sessions::revoke_all_for_user(tx.conn(), &user.id, "account deleted", now).await?;
    for s in &standing {
        if s.members <= 1 {
            orgs::delete(tx.conn(), &s.org_id).await?;
        } else {
            audit::record(
                tx.conn(),
                Some(actor),
                now,
                Entry {
                    org_id: Some(&s.org_id),
                    action: "member.leave",
                    entity_type: "member",
                    entity_id: Some(&user.id),
                    changes: json!({"reason": "account deleted"}),
                },
            )
            .await?;
        }
    }
    audit_store::forget_actor(tx.conn(), &user.id).await?;
    users::delete(tx.conn(), &user.id).await?;
    tx.commit().await?;
    Ok(())
}

/// One of the user's sign-in sessions (devices).
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<sessions::SessionRow> for Session {
    fn from(r: sessions::SessionRow) -> Self {
        Session {
            id: r.id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            ip: r.ip,
            user_agent: r.user_agent,
        }
    }
}
