//! The unified inbox: every DM, comment and mention from every channel as conversations, and
//! the team's replies. Receiving (`receive`) stores each delivery before it is acknowledged;
//! a queue job (`ingest`) turns it into messages (`apply`); replies go out on the queue
//! (`reply`, `send`) with the exactly-once rules of publishing.

mod apply;
pub mod events;
pub mod ingest;
pub mod media;
pub mod poll;
pub mod receive;
pub mod reply;
pub mod sandbox;
pub mod send;
pub mod templates;
pub mod view;

pub use receive::{receive_meta, verify_subscription, ProcessInbound, MAX_WEBHOOK_BYTES};
pub use reply::{reply, ReplyInput, TemplateInput};
pub use view::{Conversation, InboundEvent, Message, MessageError, Participant};

use crate::audit::{self, Entry};
use crate::authorize::authorize;
use crate::context::Actor;
use crate::error::{AppError, AppResult};
use crate::App;
use chrono::{DateTime, Utc};
use events::ConversationUpdated;
use sellcast_domain::pagination::{decode_time_cursor, encode_time_cursor, Page};
use sellcast_domain::{ConversationKind, ConversationPriority, ConversationStatus, Permission};
use sellcast_queue::{JobArgs, NewJob, Outcome, Registry};
use sellcast_store::inbox::conversations::{self, After, ConversationFilter};
use sellcast_store::inbox::messages::{self, Before};
use sellcast_store::inbox::reads;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// The inbox list's filters, as the API and the page take them.
#[derive(Debug, Clone, Default)]
pub struct ConversationQuery<'a> {
    pub statuses: Vec<ConversationStatus>,
    pub channel_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub platform: Option<&'a str>,
    pub kind: Option<ConversationKind>,
    pub unread: Option<bool>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// A cursor page of a list ordered by time: the limit and where to start.
#[derive(Debug, Clone)]
pub struct TimePage {
    pub limit: u32,
    pub after: Option<(DateTime<Utc>, String)>,
}

impl TimePage {
    /// Parse user input; `Err` names the field and what is wrong.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> AppResult<TimePage> {
        let page = Page::parse(limit, None).map_err(|(f, m)| AppError::validation(f, m))?;
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => {
                Some(decode_time_cursor(c).ok_or_else(|| AppError::validation("cursor", "is not a valid cursor"))?)
            }
        };
        Ok(TimePage { limit: page.limit, after })
    }

    fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> (DateTime<Utc>, &str)) -> (Vec<T>, Option<String>) {
        if rows.len() <= self.limit as usize {
            return (rows, None);
        }
        rows.truncate(self.limit as usize);
        let next = rows.last().map(|r| {
            let (t, id) = key(r);
            encode_time_cursor(t, id)
        });
        (rows, next)
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    org_id: &str,
    q: &ConversationQuery<'_>,
    page: &TimePage,
) -> AppResult<(Vec<Conversation>, Option<String>)> {
    authorize(app, actor, org_id, Permission::InboxRead).await?;
    let filter = ConversationFilter {
        statuses: q.statuses.clone(),
        channel_id: q.channel_id,
        client_id: q.client_id,
        platform: q.platform,
        kind: q.kind,
        unread: q.unread,
        since: q.since,
        until: q.until,
    };
    let after = page.after.as_ref().map(|(t, id)| After { last_message_at: *t, id: id.clone() });
    let mut c = app.db.read().await?;
    let rows =
        conversations::list(c.conn(), org_id, &actor.user_id, &filter, after.as_ref(), page.limit as i64 + 1).await?;
    let (rows, next) = page.finish(rows, |r| (r.conversation.last_message_at, r.conversation.id.as_str()));
    Ok((rows.into_iter().map(Conversation::from).collect(), next))
}

pub async fn get(app: &App, actor: &Actor, org_id: &str, id: &str) -> AppResult<Conversation> {
    authorize(app, actor, org_id, Permission::InboxRead).await?;
    let mut c = app.db.read().await?;
    let row = conversations::get(c.conn(), org_id, &actor.user_id, id).await?;
    Ok(row.ok_or(AppError::NotFound("conversation"))?.into())
}

/// The thread, newest first.
pub async fn messages(
    app: &App,
    actor: &Actor,
    org_id: &str,
    conversation_id: &str,
    page: &TimePage,
) -> AppResult<(Vec<Message>, Option<String>)> {
    authorize(app, actor, org_id, Permission::InboxRead).await?;
    let mut c = app.db.read().await?;
    if conversations::by_id(c.conn(), org_id, conversation_id).await?.is_none() {
        return Err(AppError::NotFound("conversation"));
    }
    let before = page.after.as_ref().map(|(t, id)| Before { sent_at: *t, id: id.clone() });
    let rows = messages::list(c.conn(), conversation_id, before.as_ref(), page.limit as i64 + 1).await?;
    let (rows, next) = page.finish(rows, |r| (r.sent_at, r.id.as_str()));
    Ok((rows.into_iter().map(Message::from).collect(), next))
}

/// What a member may change on a conversation.
#[derive(Debug, Clone, Default)]
pub struct ConversationChange {
    pub status: Option<ConversationStatus>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub priority: Option<ConversationPriority>,
}

pub async fn update(
    app: &App,
    actor: &Actor,
    org_id: &str,
    id: &str,
    change: &ConversationChange,
) -> AppResult<Conversation> {
    authorize(app, actor, org_id, Permission::InboxReply).await?;
    let now = app.clock.now();
    let until = match change.status {
        Some(s) => Some(ConversationStatus::change_to(s, change.snoozed_until, now).map_err(|e| {
            AppError::validation(if change.snoozed_until.is_some() { "snoozed_until" } else { "status" }, e.to_string())
        })?),
        None if change.snoozed_until.is_some() => {
            return Err(AppError::validation("snoozed_until", "is only for status \"snoozed\""))
        }
        None => None,
    };
    let mut tx = app.db.begin().await?;
    let before = conversations::by_id(tx.conn(), org_id, id).await?.ok_or(AppError::NotFound("conversation"))?;
    if let (Some(status), Some(until)) = (change.status, until) {
        conversations::set_status(tx.conn(), org_id, id, status, until, now).await?;
    }
    if let Some(p) = change.priority {
        conversations::set_priority(tx.conn(), org_id, id, p, now).await?;
    }
    let after =
        conversations::get(tx.conn(), org_id, &actor.user_id, id).await?.ok_or(AppError::NotFound("conversation"))?;
    let view = Conversation::from(after);
    audit::record(
        tx.conn(),
        Some(actor),
        now,
        Entry {
            org_id: Some(org_id),
            action: "conversation.update",
            entity_type: "conversation",
            entity_id: Some(id),
            changes: json!({
                "status": [before.status, view.status],
                "priority": [before.priority, view.priority],
                "snoozed_until": view.snoozed_until,
            }),
        },
    )
    .await?;
    crate::events::emit(tx.conn(), org_id, None, &ConversationUpdated { conversation: &view }, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// What a bulk action does to each conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    MarkRead,
    MarkUnread,
    Resolve,
    Reopen,
}

/// Apply `action` to the given conversations of the org (ids of other orgs are not found);
/// the number changed.
pub async fn bulk(app: &App, actor: &Actor, org_id: &str, ids: &[String], action: BulkAction) -> AppResult<usize> {
    let needed = match action {
        BulkAction::MarkRead | BulkAction::MarkUnread => Permission::InboxRead,
        BulkAction::Resolve | BulkAction::Reopen => Permission::InboxReply,
    };
    authorize(app, actor, org_id, needed).await?;
    if ids.is_empty() || ids.len() > 200 {
        return Err(AppError::validation("ids", "give between 1 and 200 conversation ids"));
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if conversations::by_id(tx.conn(), org_id, id).await?.is_some() {
            found.push(id.clone());
        }
    }
    match action {
        BulkAction::MarkRead => reads::mark_read(tx.conn(), &found, &actor.user_id, now).await?,
        BulkAction::MarkUnread => reads::mark_unread(tx.conn(), &found, &actor.user_id).await?,
        BulkAction::Resolve | BulkAction::Reopen => {
            let status =
                if action == BulkAction::Resolve { ConversationStatus::Resolved } else { ConversationStatus::Open };
            for id in &found {
                conversations::set_status(tx.conn(), org_id, id, status, None, now).await?;
                if let Some(row) = conversations::get(tx.conn(), org_id, &actor.user_id, id).await? {
                    let view = Conversation::from(row);
                    crate::events::emit(tx.conn(), org_id, None, &ConversationUpdated { conversation: &view }, now)
                        .await?;
                }
            }
            audit::record(
                tx.conn(),
                Some(actor),
                now,
                Entry {
                    org_id: Some(org_id),
                    action: "conversation.bulk_update",
                    entity_type: "conversation",
                    entity_id: None,
                    changes: json!({"status": status, "ids": found}),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(found.len())
}

/// Read (or unread) one conversation for the caller.
pub async fn mark(app: &App, actor: &Actor, org_id: &str, id: &str, read: bool) -> AppResult<Conversation> {
    let action = if read { BulkAction::MarkRead } else { BulkAction::MarkUnread };
    if bulk(app, actor, org_id, &[id.to_string()], action).await? == 0 {
        return Err(AppError::NotFound("conversation"));
    }
    get(app, actor, org_id, id).await
}

/// Instance admins: inbound events that are dead, or held items no channel claimed or of
/// shapes not known, with their raw bodies.
pub async fn flagged_events(app: &App, actor: &Actor, before: Option<i64>, limit: i64) -> AppResult<Vec<InboundEvent>> {
    if !actor.is_instance_admin {
        return Err(AppError::Forbidden("only instance administrators see inbound events".into()));
    }
    let mut c = app.db.read().await?;
    let rows = sellcast_store::inbox::inbound_events::flagged(c.conn(), before, limit.clamp(1, 200)).await?;
    Ok(rows.into_iter().map(InboundEvent::from).collect())
}

/// Every minute: snoozed conversations whose time has come open again.
#[derive(Debug, Serialize, Deserialize)]
pub struct WakeSnoozed {}

impl JobArgs for WakeSnoozed {
    const KIND: &'static str = "inbox.wake_snoozed";
    const MAX_ATTEMPTS: i32 = 3;
}

/// The inbox's jobs: processing stored events, sending replies, waking snoozed conversations.
pub fn register(r: &mut Registry, app: Arc<App>) {
    let a = app.clone();
    r.register::<ProcessInbound, _, _>(move |ctx, args| {
        let a = a.clone();
        async move { ingest::run(&a, args.event_id, ctx.job.attempt, ctx.job.max_attempts).await }
    });
    let a = app.clone();
    r.register::<send::SendMessage, _, _>(move |ctx, args| {
        let a = a.clone();
        // Fewer recorded errors than earlier attempts: one ended without its outcome.
        let unrecorded = (ctx.job.errors.0.len() as i32) < ctx.job.attempt - 1;
        async move { send::run(&a, &args.message_id, ctx.job.attempt, ctx.job.max_attempts, unrecorded).await }
    });
    let a = app.clone();
    r.register::<media::FetchMedia, _, _>(move |ctx, args| {
        let a = a.clone();
        async move { media::run(&a, &args.message_id, ctx.job.attempt, ctx.job.max_attempts).await }
    });
    let a = app.clone();
    r.register::<poll::PollChannel, _, _>(move |_ctx, args| {
        let a = a.clone();
        async move { poll::run(&a, &args.channel_id).await }
    });
    let a = app.clone();
    r.register::<poll::PollSweep, _, _>(move |_ctx, _args| {
        let a = a.clone();
        async move {
            match poll::sweep(&a).await {
                Ok(_) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
    });
    if let Err(e) = r.periodic("inbox.poll_sweep", "*/20 * * * * *", NewJob::of(&poll::PollSweep {})) {
        tracing::error!(error = %e, "the inbox.poll_sweep schedule is invalid");
    }
    let a = app;
    r.register::<WakeSnoozed, _, _>(move |_ctx, _args| {
        let a = a.clone();
        async move {
            match wake_snoozed(&a).await {
                Ok(_) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
    });
    if let Err(e) = r.periodic("inbox.wake_snoozed", "0 * * * * *", NewJob::of(&WakeSnoozed {})) {
        tracing::error!(error = %e, "the inbox.wake_snoozed schedule is invalid");
    }
}

async fn wake_snoozed(app: &App) -> AppResult<usize> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let woken = conversations::wake_due(tx.conn(), now).await?;
    for (id, org_id) in &woken {
        if let Some(row) = conversations::get(tx.conn(), org_id, "", id).await? {
            let view = Conversation::from(row);
            crate::events::emit(tx.conn(), org_id, None, &ConversationUpdated { conversation: &view }, now).await?;
        }
    }
    tx.commit().await?;
    Ok(woken.len())
}
