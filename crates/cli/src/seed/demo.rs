//! Demo data (`sellcast seed --demo`): an organization with clients, a team, sandbox channels
//! and a month of posts in every state, made through the product's own use cases. The past is
//! replayed with the app's clock moved back: posts are created and scheduled days ahead of
//! their time, then their publish jobs run through the real publish path at that time, so
//! published variants carry real sandbox ids and links, failures carry the platform's error
//! and raise notifications, and a revoked channel ends up needing a reconnect.

use super::content::{self, Fate, CHANNELS, CLIENTS, FAILURES, REVOKED, REVOKED_CHANNEL, TEAM};
use super::network::{DemoSandbox, Faults};
use chrono::{DateTime, Duration, Utc};
use sellcast_app::channels::connect::{self, ConnectInput, Started};
use sellcast_app::clients::{self, ClientInput};
use sellcast_app::posts::{self, schedule, PostInput, VariantInput};
use sellcast_app::{accounts, invites, notifications, orgs, replay, Actor, App, AppError, AppResult, RequestMeta};
use sellcast_domain::pagination::{decode_cursor, Page, MAX_LIMIT};
use sellcast_domain::{validation as v, Platform, Role};
use sellcast_platforms::PlatformError;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

pub struct DemoOptions {
    pub email: String,
    pub password: String,
    pub org_name: String,
}

pub struct Summary {
    pub org_id: String,
    pub org_name: String,
    pub email: String,
    /// The other members: (email, role); they share the owner's password.
    pub team: Vec<(String, Role)>,
    pub clients: usize,
    pub channels: usize,
    /// Posts by status.
    pub posts: BTreeMap<String, usize>,
    /// The owner's unread notifications.
    pub notifications: i64,
    /// Conversations in the inbox.
    pub conversations: usize,
}

pub enum Seeded {
    Created(Summary),
    /// A user with this email exists already: nothing was changed.
    AlreadyThere {
        email: String,
    },
}

/// Fill a new organization with demo data. `app` must not be shared yet: the demo installs
/// its own view of the sandbox network in it.
pub async fn seed(mut app: Arc<App>, opts: &DemoOptions) -> AppResult<Seeded> {
    let email = v::normalize_email(&opts.email);
    if accounts::user_id_by_email(&app, &email).await?.is_some() {
        return Ok(Seeded::AlreadyThere { email });
    }
    let faults = Arc::new(Faults::default());
    let sandbox = sellcast_app::channels::adapter(&app, Platform::Sandbox)?;
    Arc::get_mut(&mut app)
        .ok_or_else(|| AppError::internal("the demo seeder needs an app of its own"))?
        .adapters
        .insert(Arc::new(DemoSandbox { inner: sandbox, faults: faults.clone() }));
    let real_now = app.clock.now();
    let result = build(&app, opts, &email, &faults, real_now).await;
    // Back to the present whatever happened.
    set_clock(&app, Utc::now());
    result.map(Seeded::Created)
}

/// The app's clock reads `at` from now on.
fn set_clock(app: &App, at: DateTime<Utc>) {
    app.clock.advance(at - app.clock.now());
}

async fn build(app: &App, opts: &DemoOptions, email: &str, faults: &Faults, now: DateTime<Utc>) -> AppResult<Summary> {
    let start = now - Duration::days(24);
    set_clock(app, start);
    let first_user = accounts::instance_is_empty(app).await?;
    let owner =
        accounts::create_user_admin(app, email, "Dana Demo", &opts.password, first_user, Some(&opts.org_name)).await?;
    let owner = Actor::of(&owner.id, &RequestMeta::default());
    let (mine, _) = orgs::list_mine(app, &owner, &Page::first(10)).await?;
    let org_id = mine.into_iter().next().ok_or_else(|| AppError::internal("the demo organization was not created"))?.id;

    let mut client_ids = Vec::new();
    for (i, c) in CLIENTS.iter().enumerate() {
        set_clock(app, start + Duration::minutes(10 + 5 * i as i64));
        let input = ClientInput {
            name: Some(c.name.into()),
            email: Some(Some(c.email.into())),
            phone: Some(Some(c.phone.into())),
            website: Some(Some(c.website.into())),
            notes: Some(c.notes.into()),
            archived: None,
        };
        client_ids.push(clients::create(app, &owner, &org_id, input).await?.id);
    }

    let mut channel_ids = Vec::new();
    for (i, (name, client)) in CHANNELS.iter().enumerate() {
        set_clock(app, start + Duration::minutes(40 + 3 * i as i64));
        let input = ConnectInput {
            platform: Some(Platform::Sandbox),
            client_id: client.map(|c| client_ids[c].clone()),
            name: Some((*name).into()),
            ..Default::default()
        };
        match connect::start(app, &owner, &org_id, input, None).await? {
            Started::Connected(rows) => {
                channel_ids.push(rows.into_iter().next().ok_or_else(|| AppError::internal("no sandbox channel"))?.id)
            }
            Started::Authorize { .. } => return Err(AppError::internal("the sandbox asked for an authorization")),
        }
    }

    let mut team = Vec::new();
    let mut authors = vec![owner.clone()];
    for (i, (name, local, role)) in TEAM.iter().enumerate() {
        set_clock(app, start + Duration::hours(2 + i as i64));
        let member_email = format!("{local}@sellcast.local");
        let user_id = match accounts::user_id_by_email(app, &member_email).await? {
            Some(id) => id,
            None => accounts::create_user_admin(app, &member_email, name, &opts.password, false, None).await?.id,
        };
        let invite = invites::create(app, &owner, &org_id, &member_email, *role).await?;
        set_clock(app, start + Duration::hours(2 + i as i64) + Duration::minutes(25));
        let member = Actor::of(&user_id, &RequestMeta::default());
        invites::accept(app, &member, &invite.token).await?;
        if role.can(sellcast_domain::Permission::PostCreate) {
            authors.push(member);
        }
        team.push((member_email, *role));
    }

    let plan = content::plan(now);
    let mut ours = HashSet::new();
    let mut due: Vec<DateTime<Utc>> = Vec::new();
    for (i, p) in plan.iter().enumerate() {
        let lead = if p.at <= now {
            Duration::days(1 + (i % 3) as i64) + Duration::minutes((i * 37 % 300) as i64)
        } else {
            Duration::hours(2 + (i * 5 % 40) as i64)
        };
        let created = (p.at - lead).min(now - Duration::minutes(5)).max(start + Duration::hours(6));
        set_clock(app, created);
        // Failures are the owner's own posts, so the owner's bell shows them.
        let author =
            if matches!(p.fate, Fate::Failed(_) | Fate::Partial(_)) { &owner } else { &authors[i % authors.len()] };
        let variants = p
            .channels
            .iter()
            .map(|c| VariantInput {
                channel_id: channel_ids[*c].clone(),
                first_comment: p.first_comment.map(str::to_string),
                ..Default::default()
            })
            .collect();
        let input = PostInput {
            text: Some(p.text.text.into()),
            tags: Some(p.text.tags.iter().map(|t| t.to_string()).collect()),
            campaign: Some(p.text.campaign.map(str::to_string)),
            client_id: Some(Some(client_ids[p.client].clone())),
            variants: Some(variants),
            media_ids: None,
        };
        let view = posts::create(app, author, &org_id, input).await?;
        let variant_ids: Vec<&str> = view.variants.iter().map(|v| v.variant.id.as_str()).collect();
        match p.fate {
            Fate::Failed(n) => {
                variant_ids.iter().for_each(|id| faults.refuse(id, PlatformError::permanent(Some(422), FAILURES[n])))
            }
            Fate::Partial(n) => {
                if let Some(id) = variant_ids.last() {
                    faults.refuse(id, PlatformError::permanent(Some(400), FAILURES[n]));
                }
            }
            Fate::Revoked => {
                variant_ids.iter().for_each(|id| faults.refuse(id, PlatformError::auth(REVOKED)));
                faults.revoke(&channel_ids[REVOKED_CHANNEL]);
            }
            Fate::Published | Fate::Scheduled => {}
        }
        ours.extend(variant_ids.iter().map(|s| s.to_string()));
        schedule::schedule(app, author, &org_id, &view.post.id, p.at).await?;
        if p.at <= now {
            due.push(p.at);
        }
    }

    for (i, (client, text, tags)) in content::drafts().iter().enumerate() {
        set_clock(app, now - Duration::hours(3 + 29 * i as i64));
        let variants = CHANNELS
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| *c == Some(*client) && i % 3 != 2)
            .map(|(n, _)| VariantInput { channel_id: channel_ids[n].clone(), ..Default::default() })
            .collect();
        let input = PostInput {
            text: Some((*text).into()),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            client_id: Some(Some(client_ids[*client].clone())),
            variants: Some(variants),
            ..Default::default()
        };
        posts::create(app, &authors[(i + 1) % authors.len()], &org_id, input).await?;
    }

    due.sort();
    due.dedup();
    for at in due {
        set_clock(app, at + Duration::seconds(2));
        replay::publish_due(app, &ours).await?;
    }
    let active: Vec<String> =
        channel_ids.iter().enumerate().filter(|(i, _)| *i != REVOKED_CHANNEL).map(|(_, id)| id.clone()).collect();
    let conversations = super::inbox::fill(app, &owner, &org_id, &active, Utc::now()).await?;
    set_clock(app, Utc::now());
    let mut s = summary(app, &owner, org_id, opts, email, team, client_ids.len(), channel_ids.len()).await?;
    s.conversations = conversations;
    Ok(s)
}

#[allow(clippy::too_many_arguments)]
async fn summary(
    app: &App,
    owner: &Actor,
    org_id: String,
    opts: &DemoOptions,
    email: &str,
    team: Vec<(String, Role)>,
    clients: usize,
    channels: usize,
) -> AppResult<Summary> {
    // Through the posts use case, a page at a time, as the owner sees them.
    let mut by_status = BTreeMap::new();
    let mut page = Page::first(MAX_LIMIT);
    loop {
        let (views, next) = posts::list(app, owner, &org_id, &Default::default(), &page).await?;
        for view in views {
            *by_status.entry(view.post.status.to_string()).or_insert(0) += 1;
        }
        let Some(before) = next.as_deref().and_then(decode_cursor) else { break };
        page = Page { limit: MAX_LIMIT, before: Some(before) };
    }
    let notifications = notifications::unread_count(app, owner, Some(&org_id)).await?;
    Ok(Summary {
        org_id,
        org_name: opts.org_name.trim().to_string(),
        email: email.to_string(),
        team,
        clients,
        channels,
        posts: by_status,
        notifications,
        conversations: 0,
    })
}
