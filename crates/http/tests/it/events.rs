//! The org event stream over HTTP (server-sent events) on both backends: post:status events
//! follow a post to `published` in order, notification:new reaches only its recipient,
//! `Last-Event-ID` replays what was missed, non-members get 404, the stream ends at shutdown,
//! and on PostgreSQL an event committed by one process reaches a subscriber of another.

use crate::common::tenancy::org;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sse {
    id: i64,
    kind: String,
    data: Value,
}

/// An open stream, read chunk by chunk.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

impl Stream {
    async fn open(srv: &TestServer, who: &Account, last_event_id: Option<i64>) -> Stream {
        let mut req = srv.http.get(srv.url(&org(&who.org_id, "/events"))).bearer_auth(&who.token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        Self::wrap(req.send().await.expect("stream opens"))
    }

    fn wrap(res: reqwest::Response) -> Stream {
        assert_eq!(res.status(), StatusCode::OK);
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Stream { res, buf: String::new() }
    }

    /// The next event within `secs` seconds (comments skipped); None at the end of the stream.
    async fn next(&mut self, secs: u64) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse().expect("numeric id"));
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if let (Some(id), Some(kind)) = (id, kind) {
                    return Some(Sse { id, kind, data: serde_json::from_str(&data).expect("JSON data") });
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .unwrap_or_else(|_| panic!("no event within {secs} s; unread: {:?}", self.buf))
                .expect("stream readable");
            match chunk {
                Some(bytes) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                None => return None,
            }
        }
    }

    /// Events until `done` holds for one (that one included).
    async fn until(&mut self, secs: u64, done: impl Fn(&Sse) -> bool) -> Vec<Sse> {
        let mut out = Vec::new();
        loop {
            let e = self.next(secs).await.unwrap_or_else(|| panic!("the stream ended after {out:?}"));
            let last = done(&e);
            out.push(e);
            if last {
                return out;
            }
        }
    }
}

async fn sandbox_channel(srv: &TestServer, who: &Account) -> String {
    let r = srv
        .post(&org(&who.org_id, "/channels/connect"), Some(&who.token), json!({"platform": "sandbox", "name": "Demo"}))
        .await;
    r.expect(StatusCode::CREATED, None);
    r.body["channels"][0]["id"].as_str().expect("channel id").to_string()
}

async fn create_post(srv: &TestServer, who: &Account, text: &str, channel_id: &str) -> String {
    let body = json!({"text": text, "variants": [{"channel_id": channel_id}]});
    let r = srv.post(&org(&who.org_id, "/posts"), Some(&who.token), body).await;
    r.expect(StatusCode::CREATED, None);
    r.body["id"].as_str().expect("post id").to_string()
}

async fn notify(srv: &TestServer, org_id: &str, user_id: &str, title: &str) {
    let mut tx = srv.app.db.begin().await.unwrap();
    let notice = sellcast_app::notifications::Notice {
        org_id: Some(org_id),
        kind: "post.failed",
        title: title.into(),
        body: "It did not go out".into(),
        link: Some("/somewhere".into()),
        data: json!({"n": title}),
    };
    sellcast_app::notifications::notify(tx.conn(), &[user_id.to_string()], &notice, chrono::Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

fn ascending(events: &[Sse]) {
    assert!(events.windows(2).all(|w| w[0].id < w[1].id), "ids not ascending: {events:?}");
}

async fn post_status_follows_a_post_to_published(b: Backend) {
    let srv = TestServer::start(b).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let owner = srv.register("owner@events.test").await;
    let channel_id = sandbox_channel(&srv, &owner).await;
    let mut stream = Stream::open(&srv, &owner, None).await;

    // Woken after commit, not by the fallback poll (2 s on SQLite, 15 s on PostgreSQL).
    let started = Instant::now();
    let post_id = create_post(&srv, &owner, "Live!", &channel_id).await;
    let created = stream.next(10).await.expect("an event");
    assert!(started.elapsed() < Duration::from_millis(1800), "took {:?}", started.elapsed());
    assert_eq!(created.kind, "post:status");
    assert_eq!(created.data["post_id"], post_id.as_str());
    assert_eq!(created.data["status"], "draft");

    let at = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let r = srv
        .post(
            &org(&owner.org_id, &format!("/posts/{post_id}/schedule")),
            Some(&owner.token),
            json!({"scheduled_at": at}),
        )
        .await;
    r.expect(StatusCode::OK, None);
    let events = stream.until(30, |e| e.data["status"] == "published").await;
    let mut all = vec![created];
    all.extend(events);
    ascending(&all);
    assert!(all.iter().all(|e| e.kind == "post:status" && e.data["post_id"] == post_id.as_str()), "{all:?}");
    let statuses: Vec<&str> = all.iter().map(|e| e.data["status"].as_str().unwrap()).collect();
    let mut distinct = statuses.clone();
    distinct.dedup();
    assert_eq!(distinct, ["draft", "scheduled", "publishing", "published"], "{all:?}");
    let last = all.last().unwrap();
    let variant = &last.data["variants"][0];
    assert_eq!(variant["channel_id"], channel_id.as_str());
    assert_eq!(variant["status"], "published");
    assert!(variant["platform_url"].as_str().is_some_and(|u| u.contains("/sandbox/")), "{variant}");
    assert!(variant.get("error").is_none(), "no error field when there is none: {variant}");
    let scheduled = all.iter().find(|e| e.data["status"] == "scheduled").unwrap();
    assert_eq!(scheduled.data["variants"][0]["status"], "scheduled");
    assert!(scheduled.data["variants"][0].get("platform_url").is_none());
    worker.shutdown().await;
    srv.stop().await;
}

async fn notifications_reach_only_their_recipient(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@notify-events.test").await;
    let editor = srv.add_member(&owner, "editor@notify-events.test", "editor").await;
    let channel_id = sandbox_channel(&srv, &owner).await;
    let mut owners = Stream::open(&srv, &owner, None).await;
    let mut editors = Stream::open(&srv, &editor, None).await;
    let before = srv.get(&org(&owner.org_id, "/notifications"), Some(&owner.token)).await;
    let unread = before.body["unread_count"].as_i64().expect("unread count");

    notify(&srv, &owner.org_id, &owner.user_id, "First").await;
    notify(&srv, &owner.org_id, &owner.user_id, "Second").await;
    let post_id = create_post(&srv, &owner, "After the notices", &channel_id).await;

    let first = owners.next(10).await.unwrap();
    assert_eq!(first.kind, "notification:new");
    let n = &first.data["notification"];
    assert_eq!(n["title"], "First");
    assert_eq!(n["org_id"], owner.org_id.as_str());
    assert_eq!(n["kind"], "post.failed");
    assert_eq!(n["link"], "/somewhere");
    assert_eq!(n["data"], json!({"n": "First"}));
    assert!(n["read_at"].is_null() && n["id"].is_string() && n["created_at"].is_string(), "{n}");
    assert!(n.get("user_id").is_none(), "the API's shape, without the recipient: {n}");
    assert_eq!(first.data["unread_count"].as_i64(), Some(unread + 1));
    let second = owners.next(10).await.unwrap();
    assert_eq!(
        (second.data["notification"]["title"].as_str(), second.data["unread_count"].as_i64()),
        (Some("Second"), Some(unread + 2))
    );
    // The notification is the one the API lists, in the same shape.
    let listed = srv.get(&org(&owner.org_id, "/notifications"), Some(&owner.token)).await;
    let api = &listed.body["items"][0];
    let mut keys: Vec<&String> = api.as_object().unwrap().keys().collect();
    let mut event_keys: Vec<&String> = second.data["notification"].as_object().unwrap().keys().collect();
    keys.sort();
    event_keys.sort();
    assert_eq!(keys, event_keys);
    for k in ["id", "title", "body", "kind", "link", "data", "read_at", "org_id"] {
        assert_eq!(api[k], second.data["notification"][k], "{k}");
    }
    let post = owners.next(10).await.unwrap();
    assert_eq!((post.kind.as_str(), post.data["post_id"].as_str()), ("post:status", Some(post_id.as_str())));

    // The editor sees the post but not the owner's notifications.
    let seen = editors.next(10).await.unwrap();
    assert_eq!(seen.kind, "post:status", "{seen:?}");
    assert_eq!(seen.id, post.id);
    // Nor on a replay from the start.
    let mut replay = Stream::open(&srv, &editor, Some(0)).await;
    let replayed = replay.next(10).await.unwrap();
    assert_eq!((replayed.kind.as_str(), replayed.id), ("post:status", post.id));
    srv.stop().await;
}

async fn last_event_id_replays_missed_events(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@replay.test").await;
    let channel_id = sandbox_channel(&srv, &owner).await;
    let mut stream = Stream::open(&srv, &owner, None).await;
    let a = create_post(&srv, &owner, "A", &channel_id).await;
    let first = stream.next(10).await.unwrap();
    assert_eq!(first.data["post_id"], a.as_str());
    drop(stream);

    // Missed while disconnected.
    let b_id = create_post(&srv, &owner, "B", &channel_id).await;
    let c_id = create_post(&srv, &owner, "C", &channel_id).await;
    let mut again = Stream::open(&srv, &owner, Some(first.id)).await;
    let missed = vec![again.next(10).await.unwrap(), again.next(10).await.unwrap()];
    ascending(&missed);
    assert_eq!(missed[0].data["post_id"], b_id.as_str());
    assert_eq!(missed[1].data["post_id"], c_id.as_str());
    // Then it goes on live.
    let d_id = create_post(&srv, &owner, "D", &channel_id).await;
    assert_eq!(again.next(10).await.unwrap().data["post_id"], d_id.as_str());

    // The query parameter does the same; the header wins over it.
    let path = org(&owner.org_id, &format!("/events?last_event_id={}", missed[0].id));
    let res = srv.http.get(srv.url(&path)).bearer_auth(&owner.token).send().await.unwrap();
    let mut by_query = Stream::wrap(res);
    assert_eq!(by_query.next(10).await.unwrap().data["post_id"], c_id.as_str());
    let res = srv.http.get(srv.url(&path)).bearer_auth(&owner.token).header("last-event-id", missed[1].id.to_string());
    let mut both = Stream::wrap(res.send().await.unwrap());
    assert_eq!(both.next(10).await.unwrap().data["post_id"], d_id.as_str());

    // Not an event id: a validation error naming the field.
    for (header, query) in [(Some("abc"), None), (Some("-1"), None), (None, Some("1.5"))] {
        let url = match query {
            Some(q) => format!("{}?last_event_id={q}", org(&owner.org_id, "/events")),
            None => org(&owner.org_id, "/events"),
        };
        let mut req = srv.http.get(srv.url(&url)).bearer_auth(&owner.token);
        if let Some(h) = header {
            req = req.header("last-event-id", h);
        }
        let r = Response::read(req.send().await.unwrap()).await;
        r.expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
        let field = if header.is_some() { "Last-Event-ID" } else { "last_event_id" };
        assert_eq!(error_fields(&r), [field], "{}", r.body);
    }
    srv.stop().await;
}

async fn only_members_get_the_stream_and_it_ends_at_shutdown(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@members.test").await;
    let other = srv.register("other@members.test").await;
    let path = org(&owner.org_id, "/events");
    let r = srv.get(&path, Some(&other.token)).await;
    r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get(&path, None).await.expect(StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED"));
    srv.get("/api/v1/orgs/not-an-org/events", Some(&owner.token))
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.get(&org(&other.org_id, "/events"), Some(&owner.token)).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // Shutdown ends open streams, so the server stops at once instead of waiting on them.
    let mut stream = Stream::open(&srv, &owner, None).await;
    let reader = tokio::spawn(async move { stream.next(30).await.map(|e| e.id) });
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(20), srv.stop()).await.expect("the server stops");
    assert_eq!(reader.await.unwrap(), None, "the stream ended");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

/// Connect the fake Mastodon account through its OAuth flow (the fake approves at once).
async fn connect_mastodon(srv: &TestServer, who: &Account, server: &str, path: &str, body: Value) -> Value {
    let r = srv.post(&org(&who.org_id, path), Some(&who.token), body).await;
    r.expect(StatusCode::OK, None);
    let authorize_url = r.body["authorize_url"].as_str().expect("authorize_url").to_string();
    assert!(authorize_url.starts_with(server), "{authorize_url}");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let consent = http.get(&authorize_url).send().await.unwrap();
    let location = consent.headers()["location"].to_str().unwrap().to_string();
    let done = Response::read(http.get(&location).send().await.unwrap()).await;
    done.expect(StatusCode::OK, None);
    done.body["channels"][0].clone()
}

/// A refused token holds the post (post:status with the variant `held`, and the owner's
/// notification:new); reconnecting releases it (`scheduled` again) and it is published.
async fn held_and_released_posts_are_streamed(b: Backend) {
    let (fake, _state) = sellcast_fakes::mastodon::start().await;
    let srv = TestServer::start_with(b, |c| c.platform_allow_http = true).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let owner = srv.register("owner@held-events.test").await;
    let body = json!({"platform": "mastodon", "server_url": fake.url()});
    let channel = connect_mastodon(&srv, &owner, &fake.url(), "/channels/connect", body).await;
    let channel_id = channel["id"].as_str().unwrap().to_string();
    let revoked = || sellcast_fakes::Fault::Respond {
        status: 401,
        headers: vec![],
        body: json!({"error": "The access token was revoked"}),
    };
    fake.faults.push(Some("POST"), "/api/v1/statuses", revoked());
    fake.faults.push(Some("POST"), "/api/v1/statuses", revoked());
    let mut stream = Stream::open(&srv, &owner, None).await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let body = json!({"text": "Held for a while", "variants": [{"channel_id": channel_id}], "scheduled_at": at});
    let r = srv.post(&org(&owner.org_id, "/posts"), Some(&owner.token), body).await;
    r.expect(StatusCode::CREATED, None);
    let held = stream.until(30, |e| e.kind == "post:status" && e.data["variants"][0]["status"] == "held").await;
    let last = held.last().unwrap();
    assert_ne!(last.data["status"], "failed", "{last:?}");
    assert!(last.data["variants"][0]["error"].as_str().is_some_and(|e| !e.is_empty()), "{last:?}");
    let told = held.iter().find(|e| e.kind == "notification:new").expect("the owner is told");
    assert_eq!(told.data["notification"]["kind"], "channel.needs_reconnect");

    let path = format!("/channels/{channel_id}/reconnect");
    connect_mastodon(&srv, &owner, &fake.url(), &path, json!({})).await;
    let after = stream.until(30, |e| e.data["status"] == "published").await;
    let variant_statuses: Vec<&str> = after.iter().filter_map(|e| e.data["variants"][0]["status"].as_str()).collect();
    assert_eq!(variant_statuses.first(), Some(&"scheduled"), "released first: {after:?}");
    assert_eq!(variant_statuses.last(), Some(&"published"), "{after:?}");
    worker.shutdown().await;
    srv.stop().await;
}

/// Events older than the retention are pruned by the hourly job; newer ones stay.
async fn old_events_are_pruned(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@prune.test").await;
    let mut tx = srv.app.db.begin().await.unwrap();
    emit(&mut tx, &owner.org_id, "old").await;
    tx.commit().await.unwrap();
    let kinds: Vec<String> = sellcast_app::jobs::registry(srv.app.clone()).kinds().map(str::to_string).collect();
    assert!(kinds.iter().any(|k| k == "events.prune"), "{kinds:?}");
    assert_eq!(sellcast_app::events::prune(&srv.app).await.unwrap(), 0, "a fresh event stays");
    srv.app.clock.advance(chrono::Duration::hours(sellcast_app::events::RETENTION_HOURS + 1));
    let mut tx = srv.app.db.begin().await.unwrap();
    let fresh = sellcast_app::posts::PostStatusChanged {
        post_id: "fresh".into(),
        status: sellcast_domain::PostStatus::Draft,
        variants: vec![],
    };
    sellcast_app::events::emit(tx.conn(), &owner.org_id, None, &fresh, srv.app.clock.now()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(sellcast_app::events::prune(&srv.app).await.unwrap(), 1);
    // A day later the access token has expired: sign in again.
    let login = json!({"email": owner.email, "password": PASSWORD});
    let r = srv.post("/api/v1/auth/login", None, login).await;
    r.expect(StatusCode::OK, None);
    let owner = Account { token: r.body["access_token"].as_str().unwrap().to_string(), ..owner };
    let mut replay = Stream::open(&srv, &owner, Some(0)).await;
    assert_eq!(replay.next(10).await.unwrap().data["post_id"], "fresh");
    srv.stop().await;
}

async fn inbox_events_are_streamed_and_replayed(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@inbox-events.test").await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let channel_id = sandbox_channel(&srv, &owner).await;
    let mut stream = Stream::open(&srv, &owner, None).await;
    let receive = org(&owner.org_id, &format!("/channels/{channel_id}/sandbox/receive"));
    srv.post(&receive, Some(&owner.token), json!({"kind": "direct", "from_name": "Mai", "text": "Hello shop"}))
        .await
        .expect(StatusCode::ACCEPTED, None);
    let got = stream.until(10, |e| e.kind == "conversation.updated").await;
    let created = got.iter().find(|e| e.kind == "message.created").cloned().expect("message.created");
    assert_eq!(created.data["message"]["text"], "Hello shop");
    let conversation_id = created.data["conversation_id"].as_str().unwrap_or_default().to_string();
    assert_eq!(got.last().map(|e| e.data["conversation"]["id"].clone()), Some(json!(conversation_id)));

    // A reply: created (queued), then updated as the sandbox delivers it.
    let path = org(&owner.org_id, &format!("/conversations/{conversation_id}/messages"));
    srv.post(&path, Some(&owner.token), json!({"text": "Hi Mai!"})).await.expect(StatusCode::CREATED, None);
    let got = stream.until(10, |e| e.kind == "message.updated" && e.data["message"]["delivery"] == "delivered").await;
    assert!(got.iter().any(|e| e.kind == "message.created" && e.data["message"]["delivery"] == "queued"), "{got:?}");
    ascending(&got);
    drop(stream);

    // Reconnecting after the first event replays everything since, in order.
    let mut again = Stream::open(&srv, &owner, Some(created.id)).await;
    let replayed =
        again.until(10, |e| e.kind == "message.updated" && e.data["message"]["delivery"] == "delivered").await;
    ascending(&replayed);
    assert!(replayed.iter().all(|e| e.id > created.id));
    assert!(replayed.iter().any(|e| e.kind == "message.created" && e.data["message"]["text"] == "Hi Mai!"));
    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(
    inbox_events_are_streamed_and_replayed,
    post_status_follows_a_post_to_published,
    old_events_are_pruned,
    held_and_released_posts_are_streamed,
    notifications_reach_only_their_recipient,
    last_event_id_replays_missed_events,
    only_members_get_the_stream_and_it_ends_at_shutdown,
);

/// Two processes on one PostgreSQL database: a change committed through one reaches a
/// subscriber of the other by LISTEN/NOTIFY (well before the 15 s fallback poll).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_events_cross_processes() {
    let first = TestServer::start(Backend::Postgres).await;
    let url = first.app.config.database_url.clone().expect("a PostgreSQL URL");
    // The same database and the same secrets (tokens of one are good on the other).
    let dir = first.data_dir().to_path_buf();
    let second = TestServer::start_with(Backend::Postgres, |c| {
        c.database_url = Some(url);
        c.data_dir = dir;
    })
    .await;
    let owner = first.register("owner@two-processes.test").await;
    let channel_id = sandbox_channel(&first, &owner).await;
    let mut on_second = Stream::open(&second, &owner, None).await;
    let mut on_first = Stream::open(&first, &owner, None).await;

    let started = Instant::now();
    let post_id = create_post(&first, &owner, "Made on the first", &channel_id).await;
    let e = on_second.next(10).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!((e.kind.as_str(), e.data["post_id"].as_str()), ("post:status", Some(post_id.as_str())));
    notify(&second, &owner.org_id, &owner.user_id, "From the second").await;
    assert_eq!(on_first.next(10).await.unwrap().data["post_id"], post_id.as_str());
    let n = on_first.next(10).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    assert_eq!(
        (n.kind.as_str(), n.data["notification"]["title"].as_str()),
        ("notification:new", Some("From the second"))
    );
    second.stop().await;
    first.stop().await;
}

fn status_of(post_id: &str) -> sellcast_app::posts::PostStatusChanged {
    sellcast_app::posts::PostStatusChanged {
        post_id: post_id.into(),
        status: sellcast_domain::PostStatus::Draft,
        variants: vec![],
    }
}

async fn emit(tx: &mut sellcast_store::Tx, org_id: &str, post_id: &str) {
    sellcast_app::events::emit(tx.conn(), org_id, None, &status_of(post_id), chrono::Utc::now()).await.unwrap();
}

async fn next_post_id(sub: &mut sellcast_app::events::Subscription) -> String {
    let e = tokio::time::timeout(Duration::from_secs(10), sub.next()).await.expect("an event in time");
    e.unwrap().expect("an event").data["post_id"].as_str().unwrap().to_string()
}

/// PostgreSQL hands out ids before commit: an event whose transaction commits after a later
/// id's is still delivered, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_late_commits_are_delivered() {
    let srv = TestServer::start(Backend::Postgres).await;
    let owner = srv.register("owner@late.test").await;
    let actor = sellcast_app::Actor::of(&owner.user_id, &Default::default());
    let mut sub = sellcast_app::events::subscribe(&srv.app, &actor, &owner.org_id, None).await.unwrap();
    let mut early = srv.app.db.begin().await.unwrap();
    emit(&mut early, &owner.org_id, "early").await;
    let mut late = srv.app.db.begin().await.unwrap();
    emit(&mut late, &owner.org_id, "late").await;
    late.commit().await.unwrap();
    assert_eq!(next_post_id(&mut sub).await, "late");
    early.commit().await.unwrap();
    assert_eq!(next_post_id(&mut sub).await, "early");
    let mut after = srv.app.db.begin().await.unwrap();
    emit(&mut after, &owner.org_id, "after").await;
    after.commit().await.unwrap();
    assert_eq!(next_post_id(&mut sub).await, "after", "each event once");
    drop(sub);
    srv.stop().await;
}

/// SQLite's after-commit wake: only a committed transaction that wrote an event wakes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_wakes_after_commits_that_wrote_events() {
    let srv = TestServer::start(Backend::Sqlite).await;
    let owner = srv.register("owner@wake.test").await;
    let mut woken = srv.app.db.events_committed();
    woken.mark_unchanged();
    let mut rolled_back = srv.app.db.begin().await.unwrap();
    emit(&mut rolled_back, &owner.org_id, "never").await;
    drop(rolled_back);
    srv.register("someone@wake.test").await;
    assert!(!woken.has_changed().unwrap(), "no wake without a committed event");
    let mut tx = srv.app.db.begin().await.unwrap();
    emit(&mut tx, &owner.org_id, "committed").await;
    assert!(!woken.has_changed().unwrap(), "no wake before the commit");
    tx.commit().await.unwrap();
    assert!(woken.has_changed().unwrap(), "woken after the commit");
    srv.stop().await;
}
