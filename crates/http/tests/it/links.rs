//! Every link the product emits leads to a page, on both backends: the links in every email
//! it sends, the `URL` of each iCal event, and every `url`, `*_url` and `link` field of the
//! API's JSON for a realistic organization (channels with the sandbox, posts published to
//! it, a post a platform refused, a channel to reconnect, media, notifications, invites, the
//! calendar feed), followed like a person or a client would. Also the sandbox account's
//! profile page, where a sandbox channel's `profile_url` leads.

use crate::common::tenancy::org;
use crate::common::web::Browser;
use crate::common::*;
use crate::publishing::{png, s, sandbox_channel, upload, wait_for_post};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Url};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Real social networks: links there are outside this test (no internet) and skipped.
const NETWORKS: [&str; 10] = [
    "bsky.app",
    "bsky.social",
    "mastodon.social",
    "x.com",
    "twitter.com",
    "linkedin.com",
    "facebook.com",
    "instagram.com",
    "threads.net",
    "tiktok.com",
];

/// The `url`, `*_url` and `link` values of a JSON document, each with the field's name.
fn json_links(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let is_link = k == "url" || k == "link" || k.ends_with("_url");
                if let Some(link) = v.as_str().filter(|l| is_link && !l.is_empty()) {
                    out.push((k.clone(), link.to_string()));
                }
                json_links(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| json_links(v, out)),
        _ => {}
    }
}

/// The http(s) links in a text (an email body), without trailing punctuation.
fn text_links(text: &str) -> Vec<String> {
    text.match_indices("http")
        .map(|(i, _)| &text[i..])
        .filter(|rest| rest.starts_with("http://") || rest.starts_with("https://"))
        .map(|rest| {
            let end = rest.find(|c: char| c.is_whitespace() || "\"'<>".contains(c)).unwrap_or(rest.len());
            rest[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']).to_string()
        })
        .collect()
}

/// The `URL` of every event of an iCalendar document, its folded lines joined (RFC 5545 §3.1).
fn ical_links(ics: &str) -> Vec<String> {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    unfolded.split("\r\n").filter_map(|l| l.strip_prefix("URL:")).map(str::to_string).collect()
}

/// Follows links the way their readers do: the API's with the bearer token, the rest as a
/// browser without a session and, when sent to sign in, again as a signed-in member. What a
/// page links to is followed too.
struct Crawl<'a> {
    srv: &'a TestServer,
    member: Browser<'a>,
    token: String,
    anonymous: reqwest::Client,
    /// Origins of the fake platforms this test runs (stand-ins for real networks); their
    /// accounts' pages and avatars are under the reserved `.example` domain (RFC 2606).
    fakes: Vec<String>,
    pending: Vec<(String, String)>,
    seen: BTreeSet<String>,
    /// Every link that answered, as an absolute URL.
    followed: BTreeSet<String>,
    outside: BTreeSet<String>,
}

impl<'a> Crawl<'a> {
    fn add(&mut self, source: &str, link: &str) {
        self.pending.push((source.to_string(), link.to_string()));
    }

    fn add_json(&mut self, source: &str, body: &Value) {
        let mut found = Vec::new();
        json_links(body, &mut found);
        for (field, link) in found {
            self.add(&format!("{source}: {field}"), &link);
        }
    }

    async fn run(&mut self) {
        while let Some((source, link)) = self.pending.pop() {
            let base = Url::parse(&self.srv.base).expect("base URL");
            let url = base.join(&link).unwrap_or_else(|e| panic!("{source}: {link:?} is not a link: {e}"));
            if !self.seen.insert(url.to_string()) {
                continue;
            }
            if url.origin() != base.origin() {
                let host = url.host_str().unwrap_or("");
                let network = NETWORKS.iter().any(|n| host == *n || host.ends_with(&format!(".{n}")));
                let fake = host.ends_with(".example")
                    || self.fakes.iter().any(|f| Url::parse(f).is_ok_and(|f| f.origin() == url.origin()));
                assert!(network || fake, "{source}: {url} leads neither to this server nor to a social network");
                self.outside.insert(url.to_string());
                continue;
            }
            let path = &url[url::Position::BeforePath..];
            self.visit(&source, path).await;
            self.followed.insert(url.to_string());
        }
    }

    async fn visit(&mut self, source: &str, path: &str) {
        if path.starts_with("/api/") {
            let r = self.srv.get(path, Some(&self.token)).await;
            assert!(r.status.is_success(), "{source}: {path} answers {} with the token: {}", r.status, r.body);
            self.add_json(path, &r.body);
            return;
        }
        let res = self.anonymous.get(self.srv.url(path)).header(ACCEPT, "text/html").send().await.expect("GET");
        let status = res.status();
        if status.is_redirection() {
            // Members-only: the sign-in page, then the page itself once signed in.
            let to = res.headers().get(LOCATION).and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
            assert!(to.starts_with("/signin"), "{source}: {path} sends a visitor to {to:?}, not to sign in");
            let signin = self.anonymous.get(self.srv.url(&to)).send().await.expect("GET sign-in");
            assert_eq!(signin.status(), StatusCode::OK, "{source}: {path} → {to}");
            let page = self.member.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{source}: {path} for a member: {}", page.body);
            return;
        }
        let kind = res.headers().get(CONTENT_TYPE).and_then(|c| c.to_str().ok()).unwrap_or("").to_string();
        let body = res.text().await.expect("body");
        assert!(status.is_success(), "{source}: {path} answers {status}: {body}");
        if kind.starts_with("application/json") {
            let v: Value = serde_json::from_str(&body).expect("JSON");
            self.add_json(path, &v);
        } else if kind.starts_with("text/calendar") {
            for link in ical_links(&body) {
                self.add(&format!("{path}: URL"), &link);
            }
        }
    }
}

/// Connect the fake Mastodon account through its OAuth flow (the fake approves at once); the
/// connect answer and the callback's.
async fn connect_mastodon(srv: &TestServer, who: &Account, server: &str) -> (Value, Value) {
    let body = json!({"platform": "mastodon", "server_url": server});
    let r = srv.post(&org(&who.org_id, "/channels/connect"), Some(&who.token), body).await;
    r.expect(StatusCode::OK, None);
    let authorize_url = s(&r.body["authorize_url"]);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent = http.get(&authorize_url).send().await.expect("consent");
    let back = consent.headers()[LOCATION].to_str().expect("location").to_string();
    let done = Response::read(http.get(&back).send().await.expect("callback")).await;
    done.expect(StatusCode::OK, None);
    (r.body, done.body)
}

fn refusal(status: u16, message: &str) -> sellcast_fakes::Fault {
    sellcast_fakes::Fault::Respond { status, headers: vec![], body: json!({"error": message}) }
}

/// A post with one `variant` (and `media`), published now; its id.
async fn publish_now(srv: &TestServer, who: &Account, variant: Value, media: &[&str]) -> String {
    let body = json!({"text": "Fresh bread, follow the link", "variants": [variant], "media_ids": media});
    let r = srv.post(&org(&who.org_id, "/posts"), Some(&who.token), body).await;
    r.expect(StatusCode::CREATED, None);
    let id = s(&r.body["id"]);
    let path = org(&who.org_id, &format!("/posts/{id}/publish"));
    srv.post(&path, Some(&who.token), json!({})).await.expect(StatusCode::OK, None);
    id
}

async fn every_link_the_product_emits_leads_to_a_page(b: Backend) {
    let (fake, _state) = sellcast_fakes::mastodon::start().await;
    let srv = TestServer::start_with(b, |c| c.platform_allow_http = true).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let owner = srv.register("owner@links.test").await;
    let at = |rest: &str| org(&owner.org_id, rest);
    let mut member = Browser::new(&srv);
    assert_eq!(member.sign_in(&owner.email, PASSWORD).await.status, StatusCode::SEE_OTHER);
    let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut crawl = Crawl {
        srv: &srv,
        member,
        token: owner.token.clone(),
        anonymous,
        fakes: vec![fake.url()],
        pending: Vec::new(),
        seen: BTreeSet::new(),
        followed: BTreeSet::new(),
        outside: BTreeSet::new(),
    };

    // Channels: the sandbox and a Mastodon account.
    let sandbox = sandbox_channel(&srv, &owner, "Bakery sandbox").await;
    let sandbox_id = s(&sandbox["id"]);
    crawl.add_json("connect sandbox", &sandbox);
    let (started, connected) = connect_mastodon(&srv, &owner, &fake.url()).await;
    crawl.add_json("connect mastodon", &started);
    crawl.add_json("mastodon callback", &connected);
    let mastodon_id = s(&connected["channels"][0]["id"]);

    // Media, and a post with it (and a first comment) published to the sandbox.
    let media = upload(&srv, &owner, "bread.png", &png(64, 48, false)).await;
    media.expect(StatusCode::CREATED, None);
    let media_id = s(&media.body["id"]);
    crawl.add_json("upload", &media.body);
    let variant = json!({"channel_id": sandbox_id, "first_comment": "Open 7 to 1"});
    let published = publish_now(&srv, &owner, variant, &[&media_id]).await;
    let post = wait_for_post(&srv, &owner, &published, 30, |p| p["status"] == "published").await;
    let platform_url = s(&post["variants"][0]["platform_url"]);

    // Mastodon refuses a post for good (post.failed), then the token (channel.needs_reconnect).
    let path = "/api/v1/statuses";
    fake.faults.push(Some("POST"), path, refusal(422, "Validation failed: Text is too long"));
    let failed = publish_now(&srv, &owner, json!({"channel_id": mastodon_id}), &[]).await;
    wait_for_post(&srv, &owner, &failed, 30, |p| p["status"] == "failed").await;
    for _ in 0..3 {
        fake.faults.push(Some("POST"), path, refusal(401, "The access token was revoked"));
    }
    let held = publish_now(&srv, &owner, json!({"channel_id": mastodon_id}), &[]).await;
    wait_for_post(&srv, &owner, &held, 30, |p| p["variants"][0]["status"] == "held").await;

    // An invite, a password reset, the calendar feed.
    let invite =
        srv.post(&at("/invites"), Some(&owner.token), json!({"email": "new@links.test", "role": "editor"})).await;
    invite.expect(StatusCode::CREATED, None);
    crawl.add_json("invite", &invite.body);
    srv.post("/api/v1/auth/password/forgot", None, json!({"email": owner.email})).await;
    let feed = srv.post("/api/v1/me/calendar-feed", Some(&owner.token), json!({})).await;
    feed.expect(StatusCode::CREATED, None);
    crawl.add_json("calendar feed", &feed.body);

    // What the API shows of all that.
    let today = srv.app.clock.now().date_naive();
    let lists = [
        "/api/v1/me".to_string(),
        at(""),
        at("/channels"),
        at(&format!("/channels/{sandbox_id}")),
        at(&format!("/channels/{mastodon_id}")),
        at("/posts"),
        at(&format!("/posts/{published}")),
        at(&format!("/posts/{failed}")),
        at("/media"),
        at(&format!("/media/{media_id}")),
        at("/notifications"),
        at("/invites"),
        at(&format!("/calendar?from={}&to={}", today - chrono::Duration::days(1), today + chrono::Duration::days(2))),
    ];
    for path in lists {
        let r = srv.get(&path, Some(&owner.token)).await;
        r.expect(StatusCode::OK, None);
        crawl.add_json(&path, &r.body);
    }

    // Every email sent, whatever it is about.
    let mails = {
        let mut c = srv.app.db.read().await.expect("db");
        sellcast_store::outbox::recent(c.conn(), 1000).await.expect("outbox")
    };
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(mails.len() >= 4, "reset, invite, failure and reconnect mails: {subjects:?}");
    for m in &mails {
        for link in text_links(&m.body_text) {
            crawl.add(&format!("email {:?}", m.subject), &link);
        }
    }

    crawl.run().await;
    let base = &srv.base;
    let o = &owner.org_id;
    let expected = [
        format!("{base}/sandbox/{sandbox_id}"),
        platform_url.clone(),
        format!("{base}/o/{o}/posts/{published}"),
        format!("{base}/o/{o}/posts/{failed}"),
        format!("{base}/o/{o}/channels"),
        format!("{base}/api/v1/orgs/{o}/media/{media_id}/content"),
    ];
    for link in expected {
        assert!(crawl.followed.contains(&link), "{link} was not among the links followed: {:?}", crawl.followed);
    }
    for (kind, what) in [("/reset-password?token=", "the reset mail"), ("/invites/accept?token=", "the invite mail")] {
        assert!(crawl.followed.iter().any(|l| l.starts_with(&format!("{base}{kind}"))), "{what}: {:?}", crawl.followed);
    }
    assert!(crawl.followed.iter().any(|l| l.starts_with(&format!("{base}/ical/"))), "the feed");
    assert!(crawl.outside.iter().any(|l| l.starts_with(&fake.url())), "the Mastodon account's own links");
    worker.shutdown().await;
    srv.stop().await;
}

/// A sandbox channel's `profile_url` is the account's page: its name and its posts that are not
/// deleted, newest first, each linking to its own page; other accounts' posts are not there,
/// and an unknown account is a 404.
async fn a_sandbox_profile_lists_the_accounts_posts_newest_first(b: Backend) {
    let srv = TestServer::start(b).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let owner = srv.register("owner@profile.test").await;
    let shop = sandbox_channel(&srv, &owner, "Corner Bakery").await;
    let other = sandbox_channel(&srv, &owner, "Other Shop").await;
    let (shop_id, other_id) = (s(&shop["id"]), s(&other["id"]));
    let mut published = Vec::new();
    for variant in [
        json!({"channel_id": shop_id}),
        json!({"channel_id": other_id}),
        json!({"channel_id": shop_id, "first_comment": "Open 7 to 1"}),
        json!({"channel_id": shop_id}),
    ] {
        let id = publish_now(&srv, &owner, variant, &[]).await;
        let post = wait_for_post(&srv, &owner, &id, 30, |p| p["status"] == "published").await;
        published.push(s(&post["variants"][0]["platform_post_id"]));
    }
    let (first, elsewhere, with_comment, gone) = (&published[0], &published[1], &published[2], &published[3]);
    {
        let mut tx = srv.app.db.begin().await.expect("tx");
        let now = srv.app.clock.now();
        assert!(sellcast_store::sandbox::mark_deleted(tx.conn(), &shop_id, gone, now).await.expect("delete"));
        tx.commit().await.expect("commit");
    }

    let profile_url = s(&shop["profile_url"]);
    assert_eq!(profile_url, format!("{}/sandbox/{shop_id}", srv.base));
    let r = srv.get(&format!("/sandbox/{shop_id}"), None).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(
        (r.body["account_id"].as_str(), r.body["name"].as_str()),
        (Some(shop_id.as_str()), Some("Corner Bakery"))
    );
    let posts = r.body["posts"].as_array().expect("posts");
    let ids: Vec<&str> = posts.iter().map(|p| p["id"].as_str().expect("id")).collect();
    // The first comment is posted right after its post.
    assert_eq!(ids.len(), 3, "{}", r.body);
    assert_eq!((ids[1], ids[2]), (with_comment.as_str(), first.as_str()), "newest first: {}", r.body);
    assert_eq!(posts[0]["reply_to"], with_comment.as_str(), "the first comment: {}", r.body);
    assert!(!ids.contains(&elsewhere.as_str()) && !ids.contains(&gone.as_str()));
    let times: Vec<&str> = posts.iter().map(|p| p["created_at"].as_str().expect("created_at")).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    for p in posts {
        let url = s(&p["url"]);
        assert_eq!(url, format!("{}/sandbox/{shop_id}/{}", srv.base, s(&p["id"])));
        let page = srv.get(&url[srv.base.len()..], None).await;
        page.expect(StatusCode::OK, None);
        assert_eq!(page.body["id"], p["id"]);
    }

    // An id of the right shape, a malformed one, and the id of something that is not a sandbox account.
    for unknown in ["0190f0f0-0000-7000-8000-000000000000", "not-an-account", owner.org_id.as_str()] {
        srv.get(&format!("/sandbox/{unknown}"), None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    }
    worker.shutdown().await;
    srv.stop().await;
}

on_both_backends!(
    every_link_the_product_emits_leads_to_a_page,
    a_sandbox_profile_lists_the_accounts_posts_newest_first
);
