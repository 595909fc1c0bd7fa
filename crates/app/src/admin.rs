//! What the instance's operator reads from the command line (`sellcast admin …`): every
//! organization, every user, the outgoing mail. The CLI is trusted: no actor is checked here.

use crate::accounts::User;
use crate::error::AppResult;
use crate::App;
use chrono::{DateTime, Utc};
use sellcast_store::{orgs, outbox, users};

/// An organization with its member count.
#[derive(Debug, Clone)]
pub struct OrgSummary {
    pub id: String,
    pub name: String,
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

/// An email the product sent, or holds when SMTP is not configured.
#[derive(Debug, Clone)]
pub struct OutboxEmail {
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Users listed at most.
const USERS_MAX: i64 = 10_000;

pub async fn organizations(app: &App) -> AppResult<Vec<OrgSummary>> {
    let mut c = app.db.read().await?;
    let rows = orgs::list_all(c.conn()).await?;
    Ok(rows
        .into_iter()
        .map(|o| OrgSummary { id: o.id, name: o.name, members: o.members, created_at: o.created_at })
        .collect())
}

pub async fn users(app: &App) -> AppResult<Vec<User>> {
    let mut c = app.db.read().await?;
    Ok(users::list(c.conn(), USERS_MAX).await?.into_iter().map(User::from).collect())
}

/// The newest `limit` (1–1000) emails.
pub async fn outbox(app: &App, limit: i64) -> AppResult<Vec<OutboxEmail>> {
    let mut c = app.db.read().await?;
    let rows = outbox::recent(c.conn(), limit.clamp(1, 1000)).await?;
    Ok(rows
        .into_iter()
        .map(|m| OutboxEmail {
            to_address: m.to_address,
            subject: m.subject,
            body_text: m.body_text,
            created_at: m.created_at,
            sent_at: m.sent_at,
            attempts: m.attempts,
            last_error: m.last_error,
        })
        .collect())
}
