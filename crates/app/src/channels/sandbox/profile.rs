//! The sandbox network's public pages: an account's profile (its name and its published
//! posts, newest first) and the addresses of the profile and post pages.

use sellcast_domain::ids;
use sellcast_store::sandbox;

use crate::error::{AppError, AppResult};
use crate::App;
use chrono::{DateTime, Utc};

/// How many posts a profile shows, newest first.
pub const PROFILE_POSTS: i64 = 50;

/// A sandbox account's public profile, as a visitor sees it.
#[derive(Debug, Clone)]
pub struct SandboxProfile {
    pub account_id: String,
    pub name: String,
    pub posts: Vec<ProfilePost>,
}

/// One post on a profile, with the address of its own page.
#[derive(Debug, Clone)]
pub struct ProfilePost {
    pub id: String,
    pub text: String,
    /// The post this one replies to (a first comment).
    pub reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
    pub url: String,
}

/// The public address of a sandbox account's profile (its channel's `profile_url`).
pub fn profile_url(public_url: &str, account_id: &str) -> String {
    format!("{public_url}/sandbox/{account_id}")
}

/// The public address of a post on the sandbox network (its variant's `platform_url`).
pub fn post_url(public_url: &str, channel_id: &str, post_id: &str) -> String {
    format!("{public_url}/sandbox/{channel_id}/{post_id}")
}

/// The profile of the sandbox account `account_id`: its name and its posts that are not
/// deleted. An unknown account is not found, as on a real network.
pub async fn profile(app: &App, account_id: &str) -> AppResult<SandboxProfile> {
    if !ids::is_valid_id(account_id) {
        return Err(AppError::NotFound("sandbox account"));
    }
    let mut c = app.db.read().await?;
    let account = sandbox::account(c.conn(), account_id).await?.ok_or(AppError::NotFound("sandbox account"))?;
    // The account id is the `channel_id` its posts are stored under.
    let rows = sandbox::published(c.conn(), &account.account_id, PROFILE_POSTS).await?;
    let public_url = app.config.public_url();
    let posts = rows
        .into_iter()
        .map(|p| ProfilePost {
            url: post_url(&public_url, &p.channel_id, &p.id),
            id: p.id,
            text: p.text,
            reply_to: p.reply_to,
            created_at: p.created_at,
        })
        .collect();
    Ok(SandboxProfile { name: account.display_name.unwrap_or(account.handle), account_id: account.account_id, posts })
}
