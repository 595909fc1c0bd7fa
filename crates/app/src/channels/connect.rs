//! Connecting accounts: instantly (sandbox), with an app password (Bluesky), or through
//! OAuth 2.0 (X, LinkedIn, Meta, Threads; Mastodon after registering on the user's server).
//! OAuth `state` is random, stored hashed, bound to the user's session, single-use and
//! short-lived; PKCE verifiers are sealed at rest.

use super::connect_error::platform_error;
use super::{adapter, credentials};
use crate::audit::{self, Entry};
use crate::authorize::authorize;
use crate::context::{Actor, RequestMeta};
use crate::error::{AppError, AppResult};
use crate::platforms::{configured_app, missing_settings};
use crate::security::tokens::{random_token, token_hash};
use crate::App;
use chrono::{DateTime, Duration, Utc};
use sellcast_domain::{ids, ChannelStatus, Permission, Platform};
use sellcast_platforms::{oauth, AuthorizeRequest, CodeExchange, ConnectFlow, ConnectedAccount, Credentials, OAuthApp};
use sellcast_store::channels::{self, ChannelRow, MastodonAppRow, OAuthStateRow};
use sellcast_store::{clients, sessions, Conn};
use serde_json::json;

/// How long a user has to finish authorizing on the platform.
const STATE_TTL_MINUTES: i64 = 15;

#[derive(Debug, Default, Clone)]
pub struct ConnectInput {
    pub platform: Option<Platform>,
    pub client_id: Option<String>,
    /// Mastodon instance or Bluesky PDS.
    pub server_url: Option<String>,
    /// Bluesky handle or email.
    pub identifier: Option<String>,
    pub app_password: Option<String>,
    /// Sandbox: the name to show.
    pub name: Option<String>,
    /// WhatsApp Cloud API: the business phone number's id, its WhatsApp Business Account id
    /// and a system-user access token.
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    pub access_token: Option<String>,
    /// A path in this app to return to after OAuth (the web UI); JSON when absent.
    pub redirect_after: Option<String>,
}

#[derive(Debug)]
pub enum Started {
    Connected(Vec<super::Channel>),
    Authorize { authorize_url: String, expires_at: DateTime<Utc> },
}

/// What the OAuth callback received.
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

#[derive(Debug)]
pub struct Finished {
    pub org_id: String,
    pub channels: Vec<super::Channel>,
    pub redirect_after: Option<String>,
}

pub fn redirect_uri(app: &App, platform: Platform) -> String {
    format!("{}/api/v1/oauth/{}/callback", app.config.public_url(), platform.as_str())
}

/// A server URL a user typed: https (http only when configured for local tests), no path.
fn server_url(app: &App, raw: Option<&str>, default: Option<&str>) -> AppResult<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty()).or(default);
    let raw = raw.ok_or_else(|| AppError::validation("server_url", "is required, e.g. https://mastodon.social"))?;
    let with_scheme = if raw.contains("://") { raw.to_string() } else { format!("https://{raw}") };
    let url = url::Url::parse(&with_scheme)
        .map_err(|_| AppError::validation("server_url", "must be a server address such as https://mastodon.social"))?;
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && app.config.platform_allow_http);
    if !scheme_ok || url.host_str().is_none() || !url.username().is_empty() || url.query().is_some() {
        return Err(AppError::validation("server_url", "must be an https:// server address with no path or query"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn check_redirect_after(r: &Option<String>) -> AppResult<()> {
    if let Some(r) = r {
        // Only paths of this app: an open redirect would let links send users anywhere.
        if !r.starts_with('/') || r.starts_with("//") || r.contains('\\') || r.len() > 500 {
            return Err(AppError::validation("redirect_after", "must be a path of this site, such as /channels"));
        }
    }
    Ok(())
}

/// Start connecting (or reconnecting `channel_id`).
pub async fn start(
    app: &App,
    actor: &Actor,
    org_id: &str,
    mut input: ConnectInput,
    channel_id: Option<&str>,
) -> AppResult<Started> {
    authorize(app, actor, org_id, Permission::SettingsUpdate).await?;
    if let Some(id) = channel_id {
        let mut c = app.db.read().await?;
        let ch = channels::by_id(c.conn(), org_id, id).await?.ok_or(AppError::NotFound("channel"))?;
        input.platform = Some(super::platform_of(&ch.platform)?);
        if !ch.server_url.is_empty() {
            input.server_url = Some(ch.server_url.clone());
        }
        input.client_id = input.client_id.or(ch.client_id);
    }
    let platform = input.platform.ok_or_else(|| AppError::validation("platform", "is required"))?;
    check_redirect_after(&input.redirect_after)?;
    if let Some(cid) = &input.client_id {
        let mut c = app.db.read().await?;
        clients::by_id(c.conn(), org_id, cid)
            .await?
            .ok_or_else(|| AppError::validation("client_id", "no such client in this organization"))?;
    }
    if platform == Platform::Whatsapp {
        let account = super::whatsapp::check(
            app,
            input.phone_number_id.as_deref(),
            input.waba_id.as_deref(),
            input.access_token.as_deref(),
        )
        .await?;
        let waba_id = account.credentials.extra.get("waba_id").and_then(|v| v.as_str()).unwrap_or("").to_string();
        let token = account.credentials.access_token.clone();
        let rows =
            save_accounts(app, actor, org_id, platform, "", input.client_id.as_deref(), channel_id, vec![account])
                .await?;
        let rows = super::whatsapp::subscribe(app, rows, &waba_id, &token).await?;
        return Ok(Started::Connected(rows.into_iter().map(super::Channel::from).collect()));
    }
    let adapter = adapter(app, platform)?;
    match adapter.capabilities().connect {
        ConnectFlow::Instant => {
            let name = input.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or("Sandbox");
            if name.chars().count() > 100 {
                return Err(AppError::validation("name", "must be at most 100 characters"));
            }
            let id = channel_id.map(str::to_string).unwrap_or_else(ids::new_id);
            let creds = Credentials {
                access_token: random_token(),
                account_id: id.clone(),
                extra: json!({"handle": name}),
                ..Default::default()
            };
            let account = ConnectedAccount {
                profile: adapter.profile(&creds).await.map_err(platform_error)?,
                credentials: creds,
            };
            let rows =
                save_accounts(app, actor, org_id, platform, "", input.client_id.as_deref(), channel_id, vec![account])
                    .await?;
            Ok(Started::Connected(rows.into_iter().map(super::Channel::from).collect()))
        }
        ConnectFlow::AppPassword => {
            let server = server_url(app, input.server_url.as_deref(), Some(&app.config.bluesky_server))?;
            let identifier = input.identifier.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let identifier = identifier
                .ok_or_else(|| AppError::validation("identifier", "your handle is required, e.g. alice.bsky.social"))?;
            let password = input.app_password.as_deref().filter(|s| !s.is_empty());
            let password = password.ok_or_else(|| {
                AppError::validation("app_password", "an app password is required (Settings → App passwords)")
            })?;
            let creds = adapter.create_session(&server, identifier, password).await.map_err(platform_error)?;
            let profile = adapter.profile(&creds).await.map_err(platform_error)?;
            let account = ConnectedAccount { profile, credentials: creds };
            let rows = save_accounts(
                app,
                actor,
                org_id,
                platform,
                &server,
                input.client_id.as_deref(),
                channel_id,
                vec![account],
            )
            .await?;
            Ok(Started::Connected(rows.into_iter().map(super::Channel::from).collect()))
        }
        ConnectFlow::OAuth2 { pkce } => {
            let oauth_app = configured_app(&app.config, platform).ok_or_else(|| {
                AppError::validation(
                    "platform",
                    format!(
                        "{} is not set up on this server: the operator must set {}",
                        platform.label(),
                        missing_settings(platform)
                    ),
                )
            })?;
            begin_oauth(app, actor, org_id, platform, "", &oauth_app, pkce, &input, channel_id).await
        }
        ConnectFlow::InstanceOAuth2 => {
            let server = server_url(app, input.server_url.as_deref(), None)?;
            let oauth_app = mastodon_app(app, platform, &server).await?;
            begin_oauth(app, actor, org_id, platform, &server, &oauth_app, true, &input, channel_id).await
        }
    }
}

/// Sellcast's registration on a Mastodon server: made once, kept sealed.
async fn mastodon_app(app: &App, platform: Platform, server: &str) -> AppResult<OAuthApp> {
    let redirect = redirect_uri(app, platform);
    {
        let mut c = app.db.read().await?;
        if let Some(row) = channels::mastodon_app(c.conn(), server).await? {
            if row.redirect_uri == redirect {
                return Ok(OAuthApp {
                    client_id: row.client_id,
                    client_secret: app.secretbox.open(&row.client_secret)?,
                });
            }
        }
    }
    let registered = adapter(app, platform)?.register_app(server, &redirect).await.map_err(platform_error)?;
    let sealed = app.secretbox.seal(&registered.client_secret)?;
    let key_id = sealed.split_once(':').map(|(k, _)| k.to_string()).unwrap_or_default();
    let mut tx = app.db.begin().await?;
    channels::save_mastodon_app(
        tx.conn(),
        &MastodonAppRow {
            server_url: server.to_string(),
            client_id: registered.client_id.clone(),
            client_secret: sealed,
            key_id,
            redirect_uri: redirect,
            created_at: app.clock.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(registered)
}

#[allow(clippy::too_many_arguments)]
async fn begin_oauth(
    app: &App,
    actor: &Actor,
    org_id: &str,
    platform: Platform,
    server: &str,
    oauth_app: &OAuthApp,
    pkce: bool,
    input: &ConnectInput,
    channel_id: Option<&str>,
) -> AppResult<Started> {
    let state = oauth::random_token(32);
    let (verifier, challenge) = if pkce {
        let (v, c) = oauth::pkce_pair();
        (Some(v), Some(c))
    } else {
        (None, None)
    };
    let redirect = redirect_uri(app, platform);
    let url = adapter(app, platform)?
        .authorize_url(&AuthorizeRequest {
            app: oauth_app,
            server_url: (!server.is_empty()).then_some(server),
            redirect_uri: &redirect,
            state: &state,
            code_challenge: challenge.as_deref(),
        })
        .map_err(platform_error)?;
    let now = app.clock.now();
    let sealed_verifier = verifier.as_deref().map(|v| app.secretbox.seal(v)).transpose()?;
    let key_id =
        sealed_verifier.as_deref().and_then(|s| s.split_once(':')).map(|(k, _)| k.to_string()).unwrap_or_default();
    let expires_at = now + Duration::minutes(STATE_TTL_MINUTES);
    let mut tx = app.db.begin().await?;
    channels::prune_states(tx.conn(), now - Duration::days(1)).await?;
    channels::insert_state(
        tx.conn(),
        &OAuthStateRow {
            state_hash: token_hash(&state),
            org_id: org_id.to_string(),
            user_id: actor.user_id.clone(),
            session_id: actor.session_id.clone(),
            platform: platform.as_str().to_string(),
            server_url: server.to_string(),
            client_id: input.client_id.clone(),
            channel_id: channel_id.map(str::to_string),
            code_verifier: sealed_verifier,
            key_id,
            redirect_after: input.redirect_after.clone(),
            created_at: now,
            expires_at,
            used_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Started::Authorize { authorize_url: url, expires_at })
}

/// The platform sent the user back: check the state, trade the code for tokens, save the
/// accounts as channels. Also returns where the page that started connecting wants the user
/// sent back (known once the state is recognised), success or not.
pub async fn finish(
    app: &App,
    platform: Platform,
    cb: Callback,
    meta: &RequestMeta,
) -> (Option<String>, AppResult<Finished>) {
    let row = match take(app, &cb).await {
        Ok(row) => row,
        Err(e) => return (None, Err(e)),
    };
    let redirect = row.redirect_after.clone();
    (redirect, complete(app, platform, cb, meta, row).await)
}

async fn take(app: &App, cb: &Callback) -> AppResult<OAuthStateRow> {
    let state =
        cb.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| AppError::validation("state", "is missing"))?;
    let mut tx = app.db.begin().await?;
    let row = channels::take_state(tx.conn(), &token_hash(state), app.clock.now()).await?;
    tx.commit().await?;
    row.ok_or_else(|| AppError::validation("state", "is unknown, expired or already used; start connecting again"))
}

async fn complete(
    app: &App,
    platform: Platform,
    cb: Callback,
    meta: &RequestMeta,
    row: OAuthStateRow,
) -> AppResult<Finished> {
    let now = app.clock.now();
    if row.platform != platform.as_str() {
        return Err(AppError::validation("state", "was issued for another platform"));
    }
    if let Some(sid) = &row.session_id {
        let mut c = app.db.read().await?;
        let live = sessions::by_id(c.conn(), sid).await?.is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now);
        if !live {
            return Err(AppError::Unauthorized("the session that started connecting has ended; sign in again".into()));
        }
    }
    if let Some(err) = cb.error.as_deref().filter(|e| !e.is_empty()) {
        let why = cb.error_description.as_deref().unwrap_or(err);
        return Err(AppError::validation("code", format!("{} did not authorize Sellcast: {why}", platform.label())));
    }
    let code =
        cb.code.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| AppError::validation("code", "is missing"))?;
    let actor = Actor { session_id: row.session_id.clone(), ..Actor::of(&row.user_id, meta) };
    authorize(app, &actor, &row.org_id, Permission::SettingsUpdate).await?;
    let oauth_app = match platform {
        Platform::Mastodon => mastodon_app(app, platform, &row.server_url).await?,
        _ => configured_app(&app.config, platform).ok_or_else(|| {
            AppError::validation("platform", format!("{} is no longer set up on this server", platform.label()))
        })?,
    };
    let verifier = row.code_verifier.as_deref().map(|v| app.secretbox.open(v)).transpose()?;
    let redirect = redirect_uri(app, platform);
    let server = (!row.server_url.is_empty()).then_some(row.server_url.as_str());
    let adapter = adapter(app, platform)?;
    let tokens = adapter
        .exchange_code(&CodeExchange {
            app: &oauth_app,
            server_url: server,
            code,
            redirect_uri: &redirect,
            code_verifier: verifier.as_deref(),
        })
        .await
        .map_err(platform_error)?;
    let accounts = adapter.accounts(&tokens, server).await.map_err(platform_error)?;
    if accounts.is_empty() {
        return Err(AppError::validation(
            "account",
            format!("this {} login gives access to no account Sellcast can publish to", platform.label()),
        ));
    }
    let channels = save_accounts(
        app,
        &actor,
        &row.org_id,
        platform,
        &row.server_url,
        row.client_id.as_deref(),
        row.channel_id.as_deref(),
        accounts,
    )
    .await?;
    let channels = super::webhooks::subscribe_pages(app, channels).await?;
    let channels = channels.into_iter().map(super::Channel::from).collect();
    Ok(Finished { org_id: row.org_id, channels, redirect_after: row.redirect_after })
}

/// Create or update one channel per account; held posts of reconnected channels go again.
#[allow(clippy::too_many_arguments)]
async fn save_accounts(
    app: &App,
    actor: &Actor,
    org_id: &str,
    platform: Platform,
    server: &str,
    client_id: Option<&str>,
    reconnecting: Option<&str>,
    accounts: Vec<ConnectedAccount>,
) -> AppResult<Vec<ChannelRow>> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut rows = Vec::new();
    for account in accounts {
        let (sealed, key_id) = credentials::seal(app, &account.credentials)?;
        let p = &account.profile;
        let existing = match reconnecting {
            Some(id) if platform == Platform::Sandbox => channels::by_id(tx.conn(), org_id, id).await?,
            _ => channels::by_account(tx.conn(), org_id, platform.as_str(), server, &p.account_id).await?,
        };
        if let (Some(id), Some(found)) = (reconnecting, &existing) {
            if found.id != id {
                return Err(AppError::Conflict("you signed in as another account than this channel's".into()));
            }
        } else if reconnecting.is_some() && existing.is_none() {
            return Err(AppError::Conflict("you signed in as another account than this channel's".into()));
        }
        let row = match existing {
            Some(mut row) => {
                row.handle = p.handle.clone();
                row.display_name = p.display_name.clone();
                row.avatar_url = p.avatar_url.clone();
                row.profile_url = p.profile_url.clone();
                row.status = ChannelStatus::Active;
                row.credentials = sealed;
                row.key_id = key_id;
                row.token_expires_at = account.credentials.expires_at;
                row.token_issued_at = Some(now);
                row.last_error = None;
                row.connected_by = Some(actor.user_id.clone());
                if client_id.is_some() {
                    row.client_id = client_id.map(str::to_string);
                }
                row.updated_at = now;
                channels::update(tx.conn(), &row).await?;
                super::refresh::release_held(tx.conn(), &row.id, now).await?;
                row
            }
            None => {
                let row = ChannelRow {
                    id: if platform == Platform::Sandbox {
                        account.credentials.account_id.clone()
                    } else {
                        ids::new_id()
                    },
                    org_id: org_id.to_string(),
                    client_id: client_id.map(str::to_string),
                    platform: platform.as_str().to_string(),
                    account_id: p.account_id.clone(),
                    server_url: server.to_string(),
                    handle: p.handle.clone(),
                    display_name: p.display_name.clone(),
                    avatar_url: p.avatar_url.clone(),
                    profile_url: p.profile_url.clone(),
                    status: ChannelStatus::Active,
                    credentials: sealed,
                    key_id,
                    token_expires_at: account.credentials.expires_at,
                    token_issued_at: Some(now),
                    last_refresh_at: None,
                    last_error: None,
                    connected_by: Some(actor.user_id.clone()),
                    created_at: now,
                    updated_at: now,
                };
                channels::insert(tx.conn(), &row).await?;
                row
            }
        };
        record(tx.conn(), actor, now, org_id, &row, reconnecting.is_some()).await?;
        rows.push(row);
    }
    tx.commit().await?;
    Ok(rows)
}

async fn record(
    c: Conn<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    org_id: &str,
    row: &ChannelRow,
    reconnect: bool,
) -> AppResult<()> {
    let action = if reconnect { "channel.reconnect" } else { "channel.connect" };
    audit::record(
        c,
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action,
            entity_type: "channel",
            entity_id: Some(&row.id),
            changes: json!({"platform": row.platform, "handle": row.handle, "server_url": row.server_url}),
        },
    )
    .await
}
