//! Inviting people into an organization by email, with a single-use token valid 7 days.

use crate::audit::{self, Entry};
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::security::tokens::{random_token, token_hash};
use crate::App;
use chrono::{DateTime, Duration, Utc};
use sellcast_domain::pagination::Page;
use sellcast_domain::roles::can_grant;
use sellcast_domain::{ids, validation as v, Permission, Role};
use sellcast_store::invites::{self, InviteRow};
use sellcast_store::orgs::{self, OrgRow};
use sellcast_store::{users, Tx};
use serde::Serialize;
use serde_json::json;

pub const INVITE_DAYS: i64 = 7;

/// A created invite and its token (returned once, so an admin can share the link directly).
pub struct Created {
    pub invite: Invite,
    pub token: String,
}

pub async fn create(app: &App, actor: &Actor, org_id: &str, email: &str, role: Role) -> AppResult<Created> {
    let mine = authorize(app, actor, org_id, Permission::TeamInvite).await?;
    let email = v::normalize_email(email);
    v::email(&email).map_err(|m| AppError::validation("email", m))?;
    if !can_grant(mine, role) {
        return Err(AppError::Forbidden(format!("your role ({mine}) cannot invite as {role}")));
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let org = orgs::by_id(tx.conn(), org_id).await?.ok_or(AppError::NotFound("organization"))?;
    if let Some(existing) = users::by_email(tx.conn(), &email).await? {
        if orgs::role_of(tx.conn(), org_id, &existing.id).await?.is_some() {
            return Err(AppError::Conflict("this person is already a member of the organization".into()));
        }
    }
    // An expired pending invite gives way to the new one; a live one is a conflict.
    if let Some(pending) = invites::pending_for(tx.conn(), org_id, &email).await? {
        if pending.expires_at <= now {
            invites::revoke(tx.conn(), org_id, &pending.id, now).await?;
        }
    }
    let token = random_token();
    let invite = InviteRow {
        id: ids::new_id(),
        org_id: org_id.to_string(),
        email: email.clone(),
        role,
        token_hash: token_hash(&token),
        invited_by: Some(actor.user_id.clone()),
        created_at: now,
        expires_at: now + Duration::days(INVITE_DAYS),
        accepted_at: None,
        accepted_by: None,
        revoked_at: None,
    };
    invites::insert(tx.conn(), &invite).await?;
    let inviter =
        users::by_id(tx.conn(), &actor.user_id).await?.map(|u| u.name).unwrap_or_else(|| "A colleague".into());
    let link = format!("{}/invites/accept?token={token}", app.config.public_url());
    let body = format!(
        "Hello,\n\n{inviter} invited you to join {} on Sellcast as {role}.\n\n\
         Accept within {INVITE_DAYS} days: {link}\n\nOr use this invite code with the API: {token}\n",
        org.name
    );
    let subject = format!("{inviter} invited you to {} on Sellcast", org.name);
    app.mailer.queue(tx.conn(), &email, &subject, &body, now).await?;
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "invite.create",
            entity_type: "invite",
            entity_id: Some(&invite.id),
            changes: json!({"email": email, "role": role.as_str()}),
        },
    )
    .await?;
    tx.commit().await?;
    app.db.job_wakeup().notify_waiters();
    Ok(Created { invite: invite.into(), token })
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    include_closed: bool,
    page: &Page,
) -> AppResult<(Vec<Invite>, Option<String>)> {
    authorize(app, actor, org_id, Permission::TeamInvite).await?;
    let mut c = app.db.read().await?;
    let rows = invites::list(c.conn(), org_id, include_closed, page.before.as_deref(), page.fetch_limit()).await?;
    let (rows, next) = page.finish(rows, |r| &r.id);
    Ok((rows.into_iter().map(Invite::from).collect(), next))
}

pub async fn revoke(app: &App, actor: &Actor, org_id: &str, invite_id: &str) -> AppResult<()> {
    authorize(app, actor, org_id, Permission::TeamInvite).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let invite = invites::by_id(tx.conn(), org_id, invite_id).await?.ok_or(AppError::NotFound("invite"))?;
    if !invites::revoke(tx.conn(), org_id, invite_id, now).await? {
        return Err(AppError::Conflict("this invite was already accepted or revoked".into()));
    }
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "invite.revoke",
            entity_type: "invite",
            entity_id: Some(invite_id),
            changes: json!({"email": invite.email}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Preview {
    pub organization_id: String,
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// What an invite link is for, shown before signing in or up. Unknown, used, revoked and
/// expired tokens all answer the same 404.
pub async fn preview(app: &App, token: &str) -> AppResult<Preview> {
    let mut c = app.db.read().await?;
    let invite = invites::by_token(c.conn(), &token_hash(token)).await?.ok_or(AppError::NotFound("invite"))?;
    if invite.accepted_at.is_some() || invite.revoked_at.is_some() || invite.expires_at <= app.clock.now() {
        return Err(AppError::NotFound("invite"));
    }
    let org = orgs::by_id(c.conn(), &invite.org_id).await?.ok_or(AppError::NotFound("invite"))?;
    Ok(Preview {
        organization_id: org.id,
        organization_name: org.name,
        email: invite.email,
        role: invite.role,
        expires_at: invite.expires_at,
    })
}

/// Accept an invite as the signed-in user.
pub async fn accept(app: &App, actor: &Actor, token: &str) -> AppResult<(crate::orgs::Org, Role)> {
    let mut tx = app.db.begin().await?;
    let user = users::by_id(tx.conn(), &actor.user_id).await?.ok_or(AppError::InvalidToken)?;
    let (org, role) = redeem(app, &mut tx, actor, &user.email, token).await?;
    tx.commit().await?;
    Ok((org.into(), role))
}

/// Join the invite's org inside `tx`. The token is the proof: it was mailed to the invited
/// address, so whoever holds it may join (they may sign up with another address).
pub(crate) async fn redeem(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    email: &str,
    token: &str,
) -> AppResult<(OrgRow, Role)> {
    let now = app.clock.now();
    let invalid = || AppError::validation("invite_token", "is not a valid, unused, unexpired invite");
    let invite = invites::by_token(tx.conn(), &token_hash(token)).await?.ok_or_else(invalid)?;
    if orgs::role_of(tx.conn(), &invite.org_id, &actor.user_id).await?.is_some() {
        return Err(AppError::Conflict("you are already a member of this organization".into()));
    }
    if !invites::accept(tx.conn(), &invite.id, &actor.user_id, now).await? {
        return Err(invalid());
    }
    let role = invite.role;
    orgs::add_member(tx.conn(), &invite.org_id, &actor.user_id, role, now).await?;
    let org = orgs::by_id(tx.conn(), &invite.org_id).await?.ok_or_else(invalid)?;
    audit::record(tx.conn(), Some(actor), now, Entry {
        org_id: Some(&invite.org_id),
        action: "invite.accept",
        entity_type: "member",
        entity_id: Some(&actor.user_id),
        changes: json!({"invite_id": invite.id, "invited_email": invite.email, "email": email, "role": role.as_str()}),
    })
    .await?;
    // The inviter hears about it (the bell), in the same transaction as the membership.
    if let Some(inviter) = invite.invited_by.as_deref().filter(|id| *id != actor.user_id) {
        let notice = crate::notifications::Notice {
            org_id: Some(&invite.org_id),
            kind: "invite.accepted",
            title: format!("{email} joined {}", org.name),
            body: format!("{email} accepted your invite and joined as {}.", role.as_str()),
            link: Some(format!("/o/{}/settings/members", invite.org_id)),
            data: json!({"user_id": actor.user_id, "role": role.as_str()}),
        };
        crate::notifications::notify(tx.conn(), &[inviter.to_string()], &notice, now).await?;
    }
    Ok((org, role))
}

/// An invitation to join an org with a role (its token is only ever shown once, at creation).
#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<InviteRow> for Invite {
    fn from(r: InviteRow) -> Self {
        Invite {
            id: r.id,
            org_id: r.org_id,
            email: r.email,
            role: r.role,
            invited_by: r.invited_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            accepted_at: r.accepted_at,
            accepted_by: r.accepted_by,
            revoked_at: r.revoked_at,
        }
    }
}
