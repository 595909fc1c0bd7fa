//! The demo's inbox: customers writing to the sandbox channels over the last days (direct
//! messages, comments on published posts, mentions), received, processed and answered through
//! the inbox's own use cases, so the newcomer finds conversations in every state.

use super::content::CHANNELS;
use chrono::{DateTime, Duration, Utc};
use sellcast_app::inbox::sandbox::{self, SandboxInbound};
use sellcast_app::inbox::{self, ingest, send, ConversationChange, ReplyInput};
use sellcast_app::{Actor, App, AppResult};
use sellcast_domain::{ConversationKind, ConversationStatus};

/// One customer's messages: (channel index, kind, name, username, their messages with the
/// team's answers between them, what the team did with the conversation).
struct Thread {
    channel: usize,
    kind: ConversationKind,
    name: &'static str,
    username: &'static str,
    hours_ago: i64,
    turns: &'static [Turn],
    end: End,
}

enum Turn {
    Customer(&'static str),
    Team(&'static str),
}

#[derive(Clone, Copy, PartialEq)]
enum End {
    /// Left as the last message made it (open if the customer spoke last).
    AsIs,
    Resolved,
    Snoozed,
}

use Turn::{Customer as C, Team as T};

const THREADS: &[Thread] = &[
    Thread {
        channel: 0,
        kind: ConversationKind::Direct,
        name: "Lan Nguyen",
        username: "lan.ng",
        hours_ago: 1,
        turns: &[
            C("Hi! Is the linen dress still available in size M?"),
            T("Hi Lan! Yes, we have 3 left in M."),
            C("Great, can you hold one until Friday?"),
        ],
        end: End::AsIs,
    },
    Thread {
        channel: 0,
        kind: ConversationKind::Direct,
        name: "Marco Rossi",
        username: "marco.r",
        hours_ago: 5,
        turns: &[C("Do you ship to Italy?")],
        end: End::AsIs,
    },
    Thread {
        channel: 1,
        kind: ConversationKind::Direct,
        name: "Aisha Bello",
        username: "aisha_b",
        hours_ago: 20,
        turns: &[
            C("My order #1042 hasn't arrived yet"),
            T("Sorry about that! It left our warehouse yesterday; here is the tracking link."),
            C("Got it, thanks!"),
        ],
        end: End::Resolved,
    },
    Thread {
        channel: 1,
        kind: ConversationKind::Mention,
        name: "Tom Becker",
        username: "tombecker",
        hours_ago: 9,
        turns: &[C("Loving my new mug from @shop ☕")],
        end: End::AsIs,
    },
    Thread {
        channel: 2,
        kind: ConversationKind::Direct,
        name: "Minh Tran",
        username: "minhtran",
        hours_ago: 30,
        turns: &[C("Can I get a wholesale price for 50 units?"), T("Sure! I'll send our wholesale sheet on Monday.")],
        end: End::Snoozed,
    },
    Thread {
        channel: 2,
        kind: ConversationKind::Direct,
        name: "Sofia García",
        username: "sofi.g",
        hours_ago: 50,
        turns: &[C("¿Tienen envío gratis?"), T("¡Sí! Envío gratis desde 50 €.")],
        end: End::AsIs,
    },
];

/// Receive, process and answer the demo threads; the number of conversations made.
pub async fn fill(
    app: &App,
    owner: &Actor,
    org_id: &str,
    channel_ids: &[String],
    now: DateTime<Utc>,
) -> AppResult<usize> {
    for t in THREADS {
        let Some(channel_id) = channel_ids.get(t.channel.min(CHANNELS.len() - 1)) else { continue };
        let mut at = now - Duration::hours(t.hours_ago);
        let mut conversation_id: Option<String> = None;
        for turn in t.turns {
            app.clock.advance(at - app.clock.now());
            match turn {
                C(text) => {
                    let input = SandboxInbound {
                        kind: t.kind,
                        from_name: t.name.into(),
                        from_username: Some(t.username.into()),
                        text: (*text).into(),
                        post_id: None,
                    };
                    let event_id = sandbox::receive(app, owner, org_id, channel_id, input).await?;
                    ingest::run(app, event_id, 1, 1).await;
                }
                T(text) => {
                    let Some(id) = conversation_id.as_deref() else { continue };
                    let input = ReplyInput { text: Some((*text).into()), ..Default::default() };
                    let (message, _) = inbox::reply(app, owner, org_id, id, input).await?;
                    send::run(app, &message.id, 1, 1, false).await;
                }
            }
            if conversation_id.is_none() {
                conversation_id = latest_with(app, owner, org_id, t.username).await?;
            }
            at += Duration::minutes(7);
        }
        if let Some(id) = conversation_id {
            let change = match t.end {
                End::AsIs => None,
                End::Resolved => {
                    Some(ConversationChange { status: Some(ConversationStatus::Resolved), ..Default::default() })
                }
                End::Snoozed => Some(ConversationChange {
                    status: Some(ConversationStatus::Snoozed),
                    snoozed_until: Some(app.clock.now() + Duration::days(3)),
                    ..Default::default()
                }),
            };
            if let Some(change) = change {
                inbox::update(app, owner, org_id, &id, &change).await?;
            }
        }
    }
    let page = inbox::TimePage::parse(Some(200), None)?;
    let (all, _) = inbox::list(app, owner, org_id, &Default::default(), &page).await?;
    Ok(all.len())
}

/// The conversation with the customer of `username`, once its first message is processed.
async fn latest_with(app: &App, owner: &Actor, org_id: &str, username: &str) -> AppResult<Option<String>> {
    let page = inbox::TimePage::parse(Some(200), None)?;
    let (all, _) = inbox::list(app, owner, org_id, &Default::default(), &page).await?;
    Ok(all.into_iter().find(|c| c.participant.username.as_deref() == Some(username)).map(|c| c.id))
}
