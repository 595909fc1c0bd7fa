//! The inbox, `/o/{org_id}/inbox`: the conversation list (status tabs and filters as GET
//! parameters, cursor pages) beside the open conversation (`?c={id}`) with its reply box; on a
//! phone, the list or the thread. Every action is a plain form; `inbox.js` adds keyboard
//! shortcuts, submits the forms in place and follows the event stream by fetching the two
//! fragments (`/inbox/list`, `/inbox/{id}/thread`), never by building HTML itself.
//!
//! Files: `page` (the handlers that read), `list` and `thread` (the two panes), `composer`
//! (the reply box and the 24-hour window), `controls` (status, priority, unread), `actions`
//! (the form posts), `sandbox` (the form to receive a made-up message) and `sandbox_receive`
//! (its post), `form` (what refused forms bring back), `when` (times in words).

mod actions;
mod composer;
mod controls;
mod form;
mod list;
mod page;
mod sandbox;
mod sandbox_receive;
mod thread;
mod when;

use crate::state::AppState;
use crate::web::scope::OrgScope;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use sellcast_app::inbox::{Conversation, ConversationQuery};
use sellcast_domain::{ConversationKind, ConversationStatus, Permission};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/inbox", get(page::show))
        .route("/o/{org_id}/inbox/list", get(page::list_fragment))
        .route("/o/{org_id}/inbox/bulk", post(actions::bulk))
        .route("/o/{org_id}/inbox/sandbox", post(sandbox_receive::receive))
        .route("/o/{org_id}/inbox/{conversation_id}", get(page::permalink))
        .route("/o/{org_id}/inbox/{conversation_id}/thread", get(page::thread_fragment))
        .route("/o/{org_id}/inbox/{conversation_id}/reply", post(actions::reply))
        .route("/o/{org_id}/inbox/{conversation_id}/status", post(actions::status))
        .route("/o/{org_id}/inbox/{conversation_id}/priority", post(actions::priority))
        .route("/o/{org_id}/inbox/{conversation_id}/unread", post(actions::unread))
}

/// What every part of the page needs: where it is, what the URL says, the time, the role.
pub(crate) struct Ctx<'a> {
    pub scope: &'a OrgScope,
    pub q: &'a InboxQuery,
    pub now: DateTime<Utc>,
    pub can_reply: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(scope: &'a OrgScope, q: &'a InboxQuery, now: DateTime<Utc>) -> Ctx<'a> {
        Ctx { scope, q, now, can_reply: scope.role.can(Permission::InboxReply) }
    }

    pub fn tz(&self) -> &str {
        &self.scope.shell.timezone
    }

    /// `/o/{org}/inbox` + `rest`.
    pub fn path(&self, rest: &str) -> String {
        self.scope.path(&format!("/inbox{rest}"))
    }

    /// The list on the same tab without the other filters.
    pub fn clear_link(&self) -> String {
        match self.q.tab() {
            "open" => self.path(""),
            tab => format!("{}?status={tab}", self.path("")),
        }
    }

    /// The inbox with the current filters and conversation `c` open.
    pub fn open_link(&self, c: &str) -> String {
        self.q.link(&self.path(""), &[("c", c)])
    }
}

/// Who a conversation is with, as the team knows them.
pub(crate) fn who(c: &Conversation) -> String {
    match (&c.participant.name, &c.participant.username) {
        (Some(n), _) if !n.trim().is_empty() => n.clone(),
        (_, Some(u)) if !u.trim().is_empty() => format!("@{u}"),
        _ => c.participant.id.clone(),
    }
}

pub(crate) fn kind_label(k: ConversationKind) -> &'static str {
    match k {
        ConversationKind::Direct => "Direct message",
        ConversationKind::Comment => "Comment",
        ConversationKind::Mention => "Mention",
    }
}

/// The status tabs: their parameter value and label ("all" lists every status).
pub(crate) const TABS: [(&str, &str); 5] =
    [("open", "Open"), ("pending", "Pending"), ("snoozed", "Snoozed"), ("resolved", "Resolved"), ("all", "All")];

/// What the inbox URL says: the list's filters and page, the open conversation and its page.
#[derive(Default, Debug, Clone)]
pub struct InboxQuery {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub platform: Option<String>,
    pub kind: Option<String>,
    pub unread: Option<String>,
    pub cursor: Option<String>,
    /// The open conversation.
    pub c: Option<String>,
    /// Older messages of the open conversation.
    pub before: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl InboxQuery {
    /// A query string, leniently: unknown names are ignored, a repeated one keeps its last value.
    pub fn parse(raw: &str) -> InboxQuery {
        let mut q = InboxQuery::default();
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            let slot = match k.as_ref() {
                "status" => &mut q.status,
                "channel" => &mut q.channel,
                "platform" => &mut q.platform,
                "kind" => &mut q.kind,
                "unread" => &mut q.unread,
                "cursor" => &mut q.cursor,
                "c" => &mut q.c,
                "before" => &mut q.before,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        q
    }

    /// The filters of a form's hidden `back` field (a query string of ours; anything else in
    /// it is dropped).
    pub fn from_back(back: &str) -> InboxQuery {
        InboxQuery { cursor: None, c: None, before: None, ..InboxQuery::parse(back) }
    }

    /// With conversation `c` open (a form's hidden `c` field; empty: none).
    pub fn with_open(mut self, c: &str) -> InboxQuery {
        self.c = Some(c.trim().to_string()).filter(|c| !c.is_empty() && c.len() <= 100);
        self
    }

    /// `base` with the filters and the open conversation, if any.
    pub fn current(&self, base: &str) -> String {
        match self.open() {
            Some(c) => self.link(base, &[("c", c)]),
            None => self.link(base, &[]),
        }
    }

    /// The status tab shown (open by default).
    pub fn tab(&self) -> &str {
        match nonempty(&self.status) {
            Some(s) if TABS.iter().any(|(t, _)| *t == s) => s,
            _ => "open",
        }
    }

    pub fn channel(&self) -> Option<&str> {
        nonempty(&self.channel)
    }

    pub fn platform(&self) -> Option<&str> {
        nonempty(&self.platform)
    }

    pub fn kind(&self) -> Option<ConversationKind> {
        nonempty(&self.kind).and_then(|k| k.parse().ok())
    }

    pub fn unread_only(&self) -> bool {
        nonempty(&self.unread).is_some_and(|v| v != "0")
    }

    pub fn open(&self) -> Option<&str> {
        nonempty(&self.c)
    }

    /// Whether anything narrows the list beyond the default tab.
    pub fn filtered(&self) -> bool {
        self.channel().is_some() || self.platform().is_some() || self.kind().is_some() || self.unread_only()
    }

    pub fn to_query(&self) -> ConversationQuery<'_> {
        let statuses = match self.tab() {
            "all" => Vec::new(),
            t => t.parse::<ConversationStatus>().map(|s| vec![s]).unwrap_or_default(),
        };
        ConversationQuery {
            statuses,
            channel_id: self.channel(),
            platform: self.platform(),
            kind: self.kind(),
            unread: self.unread_only().then_some(true),
            ..Default::default()
        }
    }

    /// The list's filters as a query string, with the status tab `tab` (no page, no
    /// conversation).
    pub fn filters_with_tab(&self, tab: &str) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if tab != "open" {
            s.append_pair("status", tab);
        }
        for (k, v) in [("channel", self.channel()), ("platform", self.platform())] {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        if let Some(k) = self.kind() {
            s.append_pair("kind", k.as_str());
        }
        if self.unread_only() {
            s.append_pair("unread", "1");
        }
        s.finish()
    }

    pub fn filters(&self) -> String {
        self.filters_with_tab(self.tab())
    }

    /// `base` with the filters and then `extra` pairs as its query string.
    pub fn link(&self, base: &str, extra: &[(&str, &str)]) -> String {
        let mut qs = self.filters();
        for (k, v) in extra {
            let pair = url::form_urlencoded::Serializer::new(String::new()).append_pair(k, v).finish();
            if !qs.is_empty() {
                qs.push('&');
            }
            qs.push_str(&pair);
        }
        if qs.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{qs}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InboxQuery;

    #[test]
    fn filters_round_trip_through_the_back_field() {
        let q = InboxQuery::parse("status=open&status=all&kind=comment&unread=1&c=x&cursor=y&junk=1");
        assert_eq!(q.filters(), "status=all&kind=comment&unread=1");
        let back = InboxQuery::from_back(&q.filters());
        assert_eq!((back.tab(), back.open(), back.unread_only()), ("all", None, true));
        assert_eq!(q.link("/i", &[("c", "a b")]), "/i?status=all&kind=comment&unread=1&c=a+b");
        let default = InboxQuery::from_back("status=nonsense&kind=nope");
        assert_eq!((default.tab(), default.kind(), default.filters()), ("open", None, String::new()));
    }
}
