//! Notifications on the fake Mastodon, as 4.3 serves them: `GET /api/v1/notifications`, newest
//! first, `max_id`/`since_id`/`min_id` paging (`min_id` gives the page right after the id),
//! `types[]`/`exclude_types[]` filters, a `Link` header with `rel="next"` (older) and
//! `rel="prev"` (newer), and `X-RateLimit-*` headers on every answer (429 when spent).
//!
//! Tests make other accounts write to the default one: [`MastodonState::add_mention`],
//! [`MastodonState::add_direct`], [`MastodonState::add_reply`] (each a status plus its `mention`
//! notification), and [`MastodonState::add_favourite`] for a notification of another type.

use super::statuses::{base_url, render, status_json, FakeStatus};
use super::{authed, error, next_id, MastodonState, ACCOUNT_ID};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

const RATE_LIMIT: u32 = 300;
const WINDOW_SECONDS: i64 = 300;
const DEFAULT_LIMIT: usize = 40;
const MAX_LIMIT: usize = 80;

#[derive(Default)]
pub(super) struct Inbox {
    /// By notification id: (recipient, type, sender, status id, time).
    notifications: BTreeMap<u64, Notification>,
    /// Accounts shown with their own `acct` (`user@domain` for remote ones) and display name.
    senders: HashMap<String, (String, String)>,
    /// Requests left before 429; None: never limited.
    budget: Option<u32>,
    /// The raw query of every notifications request, oldest first.
    queries: Vec<String>,
}

struct Notification {
    recipient: String,
    kind: String,
    sender: String,
    status_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl MastodonState {
    /// An account that writes to the default one: `acct` as Mastodon shows it (`bob` or
    /// `bob@remote.example`), with a display name.
    pub fn add_sender(&self, id: &str, acct: &str, display_name: &str) {
        let mut s = self.lock();
        let username = acct.split('@').next().unwrap_or(acct).to_string();
        s.accounts.insert(id.into(), username);
        s.inbox.senders.insert(id.into(), (acct.into(), display_name.into()));
    }

    /// A public status by `from` mentioning the default account; its status id.
    pub fn add_mention(&self, from: &str, text: &str) -> String {
        self.receive(from, text, "public", None)
    }

    /// A direct status by `from` to the default account.
    pub fn add_direct(&self, from: &str, text: &str) -> String {
        self.receive(from, text, "direct", None)
    }

    /// A public reply by `from` to the status `in_reply_to`, mentioning the default account.
    pub fn add_reply(&self, from: &str, in_reply_to: &str, text: &str) -> String {
        self.receive(from, text, "public", Some(in_reply_to))
    }

    /// A status by `from` and the default account's `mention` notification of it.
    pub fn receive(&self, from: &str, text: &str, visibility: &str, in_reply_to: Option<&str>) -> String {
        let mut guard = self.lock();
        let s = &mut *guard;
        let in_reply_to_account_id = in_reply_to.and_then(|parent| s.statuses.reply_to(parent));
        let id = next_id(s);
        s.statuses.insert(FakeStatus {
            id: id.clone(),
            account_id: from.into(),
            text: text.into(),
            content: render(text, "https://mastodon.example"),
            visibility: visibility.into(),
            media_ids: vec![],
            in_reply_to_id: in_reply_to.map(str::to_string),
            in_reply_to_account_id,
            idempotency_key: None,
            created_at: Utc::now(),
            favourites_count: 0,
            reblogs_count: 0,
            replies_count: 0,
        });
        notify(s, "mention", from, Some(&id));
        id
    }

    /// `from` favourited the status `status_id`: a `favourite` notification.
    pub fn add_favourite(&self, from: &str, status_id: &str) {
        notify(&mut self.lock(), "favourite", from, Some(status_id));
    }

    /// Requests the notifications endpoint answers before it refuses with 429 (None: no limit).
    pub fn set_rate_limit_remaining(&self, remaining: Option<u32>) {
        self.lock().inbox.budget = remaining;
    }

    /// The raw query string of every notifications request so far.
    pub fn notification_queries(&self) -> Vec<String> {
        self.lock().inbox.queries.clone()
    }
}

fn notify(s: &mut super::Inner, kind: &str, from: &str, status_id: Option<&str>) {
    let id = next_id(s).parse().unwrap_or_default();
    let n = Notification {
        recipient: ACCOUNT_ID.into(),
        kind: kind.into(),
        sender: from.into(),
        status_id: status_id.map(str::to_string),
        created_at: Utc::now(),
    };
    s.inbox.notifications.insert(id, n);
}

fn account_json(s: &super::Inner, id: &str) -> Value {
    let username = s.accounts.get(id).cloned().unwrap_or_default();
    let mut account = super::account_json(id, &username);
    if let Some((acct, name)) = s.inbox.senders.get(id) {
        account["acct"] = json!(acct);
        account["display_name"] = json!(name);
    }
    account
}

pub(super) async fn list(
    State(state): State<MastodonState>,
    Query(q): Query<Vec<(String, String)>>,
    raw: axum::extract::RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut guard = state.lock();
    let s = &mut *guard;
    let account_id = match authed(s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    s.inbox.queries.push(raw.0.unwrap_or_default());
    let reset = (Utc::now() + chrono::Duration::seconds(WINDOW_SECONDS)).to_rfc3339_opts(SecondsFormat::Millis, true);
    let remaining = match s.inbox.budget {
        None => RATE_LIMIT - 1,
        Some(0) => {
            let refusal = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            return (rate_headers(0, &reset), refusal).into_response();
        }
        Some(n) => {
            s.inbox.budget = Some(n - 1);
            n - 1
        }
    };
    let one = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let all = |k: &str| q.iter().filter(|(key, _)| key == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let id_param = |k: &str| one(k).and_then(|v| v.parse::<u64>().ok());
    let limit = one("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let (types, excluded) = (all("types[]"), all("exclude_types[]"));
    let (max_id, since_id, min_id) = (id_param("max_id"), id_param("since_id"), id_param("min_id"));
    let low = min_id.or(since_id).map_or(0, |v| v.saturating_add(1));
    let high = max_id.unwrap_or(u64::MAX);
    let wanted = |(_, n): &(&u64, &Notification)| {
        n.recipient == account_id
            && (types.is_empty() || types.contains(&n.kind))
            && !excluded.contains(&n.kind)
            && n.status_id.as_ref().is_none_or(|id| s.statuses.get(id).is_some())
    };
    let range = s.inbox.notifications.range(low..high);
    // min_id pages forward from the given id; the others page back from the newest.
    let mut picked: Vec<u64> = if min_id.is_some() {
        range.filter(wanted).take(limit).map(|(id, _)| *id).collect()
    } else {
        range.rev().filter(wanted).take(limit).map(|(id, _)| *id).collect()
    };
    picked.sort_unstable_by(|a, b| b.cmp(a));
    let base = base_url(&headers);
    let page: Vec<Value> = picked
        .iter()
        .filter_map(|id| Some((id, s.inbox.notifications.get(id)?)))
        .map(|(id, n)| {
            let status = n.status_id.as_ref().and_then(|sid| s.statuses.get(sid)).map(|st| {
                let mut v = status_json(&st, &base, &s.accounts, false);
                v["account"] = account_json(s, &st.account_id);
                v
            });
            json!({
                "id": id.to_string(), "type": n.kind, "group_key": format!("ungrouped-{id}"),
                "created_at": n.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                "account": account_json(s, &n.sender), "status": status,
            })
        })
        .collect();
    let mut response = (rate_headers(remaining, &reset), Json(page)).into_response();
    if let (Some(newest), Some(oldest)) = (picked.first(), picked.last()) {
        let mut filters = format!("limit={limit}");
        for t in &types {
            filters.push_str(&format!("&types%5B%5D={t}"));
        }
        let url = |bound: &str| format!("{base}/api/v1/notifications?{filters}&{bound}");
        let link = format!(
            "<{}>; rel=\"next\", <{}>; rel=\"prev\"",
            url(&format!("max_id={oldest}")),
            url(&format!("min_id={newest}"))
        );
        if let Ok(value) = link.parse() {
            response.headers_mut().insert("link", value);
        }
    }
    response
}

fn rate_headers(remaining: u32, reset: &str) -> [(&'static str, String); 3] {
    [
        ("x-ratelimit-limit", RATE_LIMIT.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
    ]
}
