//! The publishing API over HTTP on both backends: channels, media, posts, scheduling and
//! publishing through the sandbox network (exactly once), the calendar and its iCal feed,
//! notifications, permissions and tenancy.

use crate::common::tenancy::{expect_validation, items, org};
use crate::common::*;
use crate::publishing::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn scheduled_post_is_published_once_to_the_sandbox(b: Backend) {
    let srv = TestServer::start(b).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let owner = srv.register("owner@publish.test").await;
    let channel = sandbox_channel(&srv, &owner, "Demo shop").await;
    let channel_id = s(&channel["id"]);
    assert_eq!(channel["platform"], "sandbox");
    assert_eq!(channel["status"], "active");
    assert_eq!(channel["handle"], "Demo shop");
    assert!(channel["server_url"].is_null(), "{channel}");

    // The list shows no credentials: no such key, and not the stored token anywhere.
    let list = srv.get(&org(&owner.org_id, "/channels"), Some(&owner.token)).await;
    list.expect(StatusCode::OK, None);
    assert_eq!(items(&list).len(), 1);
    assert!(list.body["next_cursor"].is_null());
    let mut all_keys = Vec::new();
    keys(&list.body, &mut all_keys);
    for k in &all_keys {
        assert!(!k.contains("credential") && !k.contains("key_id"), "{k} in {}", list.body);
        assert!(!k.contains("token") || k == "token_expires_at", "{k} in {}", list.body);
    }
    let stored = {
        let mut c = srv.app.db.read().await.unwrap();
        sellcast_store::channels::by_id(c.conn(), &owner.org_id, &channel_id).await.unwrap().unwrap()
    };
    let creds = sellcast_app::channels::credentials::open(&srv.app, &stored).unwrap();
    assert!(!creds.access_token.is_empty());
    assert!(!list.body.to_string().contains(&creds.access_token), "the access token leaked");
    let filtered = srv.get(&org(&owner.org_id, "/channels?platform=bluesky"), Some(&owner.token)).await;
    assert_eq!(items(&filtered).len(), 0);
    let bad = srv.get(&org(&owner.org_id, "/channels?platform=myspace"), Some(&owner.token)).await;
    expect_validation(&bad, "platform");

    let health = srv.get(&org(&owner.org_id, &format!("/channels/{channel_id}/health")), Some(&owner.token)).await;
    health.expect(StatusCode::OK, None);
    assert_eq!(health.body["reachable"], true, "{}", health.body);

    let r = create_post(&srv, &owner, "Hello from the sandbox #launch", &channel_id).await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["status"], "draft");
    let post_id = s(&r.body["id"]);
    let r = srv
        .post(
            &org(&owner.org_id, &format!("/posts/{post_id}/schedule")),
            Some(&owner.token),
            json!({"scheduled_at": rfc3339_in(chrono::Duration::seconds(1))}),
        )
        .await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["status"], "scheduled");
    assert_eq!(r.body["variants"][0]["status"], "scheduled");

    let post = wait_for_post(&srv, &owner, &post_id, 30, |p| p["status"] == "published").await;
    let variant = &post["variants"][0];
    assert_eq!(variant["status"], "published", "{post}");
    assert_eq!(variant["platform"], "sandbox");
    let platform_id = s(&variant["platform_post_id"]);
    let url = s(&variant["platform_url"]);
    assert!(post["published_at"].is_string(), "{post}");

    let shown = srv.get(&path_of(&srv, &url), None).await;
    shown.expect(StatusCode::OK, None);
    assert_eq!(shown.body["id"], platform_id.as_str());
    assert_eq!(shown.body["channel_id"], channel_id.as_str());
    assert_eq!(shown.body["text"], "Hello from the sandbox #launch");
    srv.get(&format!("/sandbox/{channel_id}/{}", uuid::Uuid::now_v7()), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));

    // Exactly once, even after the worker has had time to run anything left over.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sandbox_count(&srv, &channel_id).await, 1);
    let published = srv.get(&org(&owner.org_id, "/posts?status=published,failed"), Some(&owner.token)).await;
    assert_eq!(items(&published).len(), 1);

    // A published post is not editable; its copy is a new draft.
    let edit =
        srv.patch(&org(&owner.org_id, &format!("/posts/{post_id}")), Some(&owner.token), json!({"text": "x"})).await;
    edit.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let copy =
        srv.post(&org(&owner.org_id, &format!("/posts/{post_id}/duplicate")), Some(&owner.token), json!({})).await;
    copy.expect(StatusCode::CREATED, None);
    assert_eq!(copy.body["status"], "draft");
    assert_ne!(copy.body["id"], post_id.as_str());
    let retry = format!("/posts/{post_id}/variants/{}/retry", s(&variant["id"]));
    srv.post(&org(&owner.org_id, &retry), Some(&owner.token), json!({}))
        .await
        .expect(StatusCode::CONFLICT, Some("CONFLICT"));

    // Publish now: the copy goes out at once, as a second sandbox post.
    let copy_id = s(&copy.body["id"]);
    let r = srv.post(&org(&owner.org_id, &format!("/posts/{copy_id}/publish")), Some(&owner.token), json!({})).await;
    r.expect(StatusCode::OK, None);
    let copy = wait_for_post(&srv, &owner, &copy_id, 30, |p| p["status"] == "published").await;
    assert_ne!(copy["variants"][0]["platform_post_id"], platform_id.as_str());
    assert_eq!(sandbox_count(&srv, &channel_id).await, 2);
    worker.shutdown().await;
    srv.stop().await;
}

async fn channels_can_be_assigned_disconnected_and_reconnected(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@channels.test").await;
    let client = crate::common::tenancy::create_client(&srv, &owner, "Acme").await;
    let channel = sandbox_channel(&srv, &owner, "Acme sandbox").await;
    let path = org(&owner.org_id, &format!("/channels/{}", s(&channel["id"])));

    let r = srv.patch(&path, Some(&owner.token), json!({"client_id": client["id"]})).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["client_id"], client["id"]);
    let by_client =
        srv.get(&org(&owner.org_id, &format!("/channels?client_id={}", s(&client["id"]))), Some(&owner.token)).await;
    assert_eq!(items(&by_client).len(), 1);
    let r = srv.patch(&path, Some(&owner.token), json!({"client_id": null})).await;
    assert!(r.body["client_id"].is_null(), "{}", r.body);
    expect_validation(&srv.patch(&path, Some(&owner.token), json!({"client_id": "nope"})).await, "client_id");
    srv.patch(&path, Some(&owner.token), json!({"handle": "x"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    // Not while a post is scheduled to it.
    let post = create_post(&srv, &owner, "Soon", &s(&channel["id"])).await;
    let post_id = s(&post.body["id"]);
    let at = json!({"scheduled_at": rfc3339_in(chrono::Duration::hours(2))});
    srv.post(&org(&owner.org_id, &format!("/posts/{post_id}/schedule")), Some(&owner.token), at)
        .await
        .expect(StatusCode::OK, None);
    srv.delete(&path, Some(&owner.token)).await.expect(StatusCode::CONFLICT, Some("CONFLICT"));
    let r = srv.post(&org(&owner.org_id, &format!("/posts/{post_id}/unschedule")), Some(&owner.token), json!({})).await;
    assert_eq!(r.body["status"], "draft", "{}", r.body);

    let r = srv.delete(&path, Some(&owner.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["status"], "disconnected");
    let reconnect = format!("{path}/reconnect");
    let r = srv.post(&reconnect, Some(&owner.token), json!({"name": "Acme again"})).await;
    r.expect(StatusCode::CREATED, None);
    assert_eq!(r.body["channels"][0]["id"], channel["id"]);
    assert_eq!(r.body["channels"][0]["status"], "active");
    assert_eq!(r.body["channels"][0]["handle"], "Acme again");
    srv.post(&reconnect, Some(&owner.token), json!({"platform": "sandbox"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));

    // Connect input: a clear error naming the platforms; OAuth platforms need server setup.
    let r =
        srv.post(&org(&owner.org_id, "/channels/connect"), Some(&owner.token), json!({"platform": "myspace"})).await;
    expect_validation(&r, "platform");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("sandbox, bluesky, mastodon"), "{}", r.body);
    let r = srv.post(&org(&owner.org_id, "/channels/connect"), Some(&owner.token), json!({"platform": "x"})).await;
    expect_validation(&r, "platform");
    let r =
        srv.post(&org(&owner.org_id, "/channels/connect"), Some(&owner.token), json!({"platform": "bluesky"})).await;
    expect_validation(&r, "identifier");
    srv.stop().await;
}

async fn posts_are_validated_with_field_messages(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@rules.test").await;
    let channel = sandbox_channel(&srv, &owner, "Rules").await;
    let channel_id = s(&channel["id"]);
    let posts = org(&owner.org_id, "/posts");
    let r = create_post(&srv, &owner, &"a".repeat(63_207), &channel_id).await;
    expect_validation(&r, "text");
    let r = create_post(&srv, &owner, "hi", &uuid::Uuid::now_v7().to_string()).await;
    expect_validation(&r, "variants[0].channel_id");
    let twice = json!({"text": "hi", "variants": [{"channel_id": channel_id}, {"channel_id": channel_id}]});
    expect_validation(&srv.post(&posts, Some(&owner.token), twice).await, "variants[1].channel_id");
    let r = srv.post(&posts, Some(&owner.token), json!({"text": "hi", "media_ids": ["nope"]})).await;
    expect_validation(&r, "media_ids[0]");
    let r = srv.post(&posts, Some(&owner.token), json!({"text": "hi", "scheduled_at": "tomorrow"})).await;
    expect_validation(&r, "scheduled_at");
    srv.post(&posts, Some(&owner.token), json!({"text": "hi", "status": "published"}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    assert_eq!(items(&srv.get(&posts, Some(&owner.token)).await).len(), 0, "nothing was saved");

    // Scheduling needs a target and a future time. Created with a time, the post and its
    // schedule are one transaction: a refused schedule stores nothing.
    let draft = srv.post(&posts, Some(&owner.token), json!({"text": "no target"})).await;
    let draft_id = s(&draft.body["id"]);
    let at = json!({"scheduled_at": rfc3339_in(chrono::Duration::hours(1))});
    let r = srv.post(&org(&owner.org_id, &format!("/posts/{draft_id}/schedule")), Some(&owner.token), at.clone()).await;
    expect_validation(&r, "variants");
    let past = json!({"text": "late", "variants": [{"channel_id": channel_id}], "scheduled_at": rfc3339_in(chrono::Duration::hours(-2))});
    expect_validation(&srv.post(&posts, Some(&owner.token), past).await, "scheduled_at");
    let untargeted = json!({"text": "nowhere", "scheduled_at": rfc3339_in(chrono::Duration::hours(1))});
    expect_validation(&srv.post(&posts, Some(&owner.token), untargeted).await, "variants");
    let texts: Vec<Value> =
        items(&srv.get(&posts, Some(&owner.token)).await).iter().map(|p| p["text"].clone()).collect();
    assert_eq!(texts, vec![json!("no target")], "refused schedules left nothing behind");

    expect_validation(&srv.get(&format!("{posts}?status=done"), Some(&owner.token)).await, "status");
    expect_validation(&srv.get(&format!("{posts}?from=yesterday"), Some(&owner.token)).await, "from");
    let patched = srv
        .patch(&org(&owner.org_id, &format!("/posts/{draft_id}")), Some(&owner.token), json!({"campaign": "Q3"}))
        .await;
    assert_eq!((patched.body["campaign"].as_str(), patched.body["text"].as_str()), (Some("Q3"), Some("no target")));
    let cleared = srv
        .patch(&org(&owner.org_id, &format!("/posts/{draft_id}")), Some(&owner.token), json!({"campaign": null}))
        .await;
    assert!(cleared.body["campaign"].is_null(), "{}", cleared.body);
    srv.stop().await;
}

async fn viewers_cannot_post_editors_can_schedule(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@roles.test").await;
    let editor = srv.add_member(&owner, "editor@roles.test", "editor").await;
    let viewer = srv.add_member(&owner, "viewer@roles.test", "viewer").await;
    let channel_id = s(&sandbox_channel(&srv, &owner, "Team").await["id"]);

    create_post(&srv, &viewer, "I may not", &channel_id).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let r = upload(&srv, &viewer, "p.png", &png(4, 4, false)).await;
    r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let r =
        srv.post(&org(&owner.org_id, "/channels/connect"), Some(&editor.token), json!({"platform": "sandbox"})).await;
    r.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));

    let r = create_post(&srv, &editor, "Editors write", &channel_id).await;
    r.expect(StatusCode::CREATED, None);
    let post_id = s(&r.body["id"]);
    assert_eq!(r.body["author_id"], editor.user_id.as_str());
    let at = json!({"scheduled_at": rfc3339_in(chrono::Duration::hours(3))});
    let schedule = org(&owner.org_id, &format!("/posts/{post_id}/schedule"));
    srv.post(&schedule, Some(&viewer.token), at.clone()).await.expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    let r = srv.post(&schedule, Some(&editor.token), at).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(r.body["status"], "scheduled");
    let listed = srv.get(&org(&owner.org_id, "/posts"), Some(&viewer.token)).await;
    assert_eq!(items(&listed).len(), 1, "viewers read posts");
    srv.delete(&org(&owner.org_id, &format!("/posts/{post_id}")), Some(&editor.token))
        .await
        .expect(StatusCode::FORBIDDEN, Some("FORBIDDEN"));
    srv.delete(&org(&owner.org_id, &format!("/posts/{post_id}")), Some(&owner.token))
        .await
        .expect(StatusCode::NO_CONTENT, None);
    srv.stop().await;
}

async fn other_tenants_ids_are_not_found(b: Backend) {
    let srv = TestServer::start(b).await;
    let alice = srv.register("alice@a.test").await;
    let bob = srv.register("bob@b.test").await;
    let a_channel = s(&sandbox_channel(&srv, &alice, "Alice").await["id"]);
    let a_post = s(&create_post(&srv, &alice, "Alice's secret launch", &a_channel).await.body["id"]);
    let a_media = s(&upload(&srv, &alice, "a.png", &png(5, 5, false)).await.body["id"]);
    let a_variant =
        s(&srv.get(&org(&alice.org_id, &format!("/posts/{a_post}")), Some(&alice.token)).await.body["variants"][0]
            ["id"]);

    let bo = |rest: &str| org(&bob.org_id, rest);
    let ao = |rest: &str| org(&alice.org_id, rest);
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, bo(&format!("/channels/{a_channel}")), None),
        (Method::PATCH, bo(&format!("/channels/{a_channel}")), Some(json!({"client_id": null}))),
        (Method::DELETE, bo(&format!("/channels/{a_channel}")), None),
        (Method::GET, bo(&format!("/channels/{a_channel}/health")), None),
        (Method::POST, bo(&format!("/channels/{a_channel}/reconnect")), Some(json!({}))),
        (Method::GET, bo(&format!("/posts/{a_post}")), None),
        (Method::PATCH, bo(&format!("/posts/{a_post}")), Some(json!({"text": "defaced"}))),
        (Method::DELETE, bo(&format!("/posts/{a_post}")), None),
        (
            Method::POST,
            bo(&format!("/posts/{a_post}/schedule")),
            Some(json!({"scheduled_at": rfc3339_in(chrono::Duration::hours(1))})),
        ),
        (Method::POST, bo(&format!("/posts/{a_post}/publish")), Some(json!({}))),
        (Method::POST, bo(&format!("/posts/{a_post}/duplicate")), Some(json!({}))),
        (Method::POST, bo(&format!("/posts/{a_post}/variants/{a_variant}/retry")), Some(json!({}))),
        (Method::GET, bo(&format!("/media/{a_media}")), None),
        (Method::GET, bo(&format!("/media/{a_media}/content")), None),
        (Method::DELETE, bo(&format!("/media/{a_media}")), None),
        (Method::GET, ao("/channels"), None),
        (Method::GET, ao("/posts"), None),
        (Method::GET, ao("/media"), None),
        (Method::GET, ao(&format!("/posts/{a_post}")), None),
        (Method::GET, ao("/calendar?from=2026-01-01&to=2026-01-08"), None),
        (Method::GET, ao("/notifications"), None),
        (Method::POST, ao("/notifications/read"), Some(json!({}))),
        (Method::POST, ao("/channels/connect"), Some(json!({"platform": "sandbox"}))),
    ];
    for (method, path, body) in cases {
        let r = srv.send(method.clone(), &path, Some(&bob.token), body).await;
        r.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
        assert!(!r.body.to_string().contains("secret launch"), "{method} {path} leaked: {}", r.body);
    }
    // Bob cannot target Alice's channel or attach her media from his own org either.
    let r = create_post(&srv, &bob, "borrowed", &a_channel).await;
    expect_validation(&r, "variants[0].channel_id");
    let r = srv.post(&bo("/posts"), Some(&bob.token), json!({"text": "x", "media_ids": [a_media]})).await;
    expect_validation(&r, "media_ids[0]");
    srv.stop().await;
}

/// Noon UTC on Sunday 28 March 2027, the day Berlin moves its clocks forward (01:00 UTC):
/// already Monday in Auckland, still Sunday morning in Los Angeles and Honolulu.
async fn calendar_days_follow_the_timezone_across_the_date_line_and_a_dst_change_and_the_ical_feed(b: Backend) {
    let srv = TestServer::start(b).await;
    srv.set_clock("2027-03-18T09:00:00Z");
    let owner = srv.register("owner@calendar.test").await;
    let channel_id = s(&sandbox_channel(&srv, &owner, "Cal").await["id"]);
    let day = chrono::NaiveDate::from_ymd_opt(2027, 3, 28).unwrap();
    let at = day.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let post_id = s(&create_post(&srv, &owner, "Noon in London", &channel_id).await.body["id"]);
    let r = srv
        .post(
            &org(&owner.org_id, &format!("/posts/{post_id}/schedule")),
            Some(&owner.token),
            json!({"scheduled_at": at.to_rfc3339()}),
        )
        .await;
    r.expect(StatusCode::OK, None);

    let (from, to) = (day - chrono::Duration::days(1), day + chrono::Duration::days(3));
    let days_with_post = |tz: &'static str| {
        let srv = &srv;
        let token = owner.token.clone();
        let path = org(&owner.org_id, &format!("/calendar?from={from}&to={to}{tz}"));
        async move {
            let r = srv.get(&path, Some(&token)).await;
            r.expect(StatusCode::OK, None);
            let days = r.body["days"].as_array().unwrap().clone();
            assert_eq!(days.len(), 4, "{}", r.body);
            let with: Vec<(String, String)> = days
                .iter()
                .filter(|d| !d["posts"].as_array().unwrap().is_empty())
                .map(|d| (s(&d["date"]), s(&d["posts"][0]["local_time"])))
                .collect();
            (s(&r.body["tz"]), with)
        }
    };
    let (tz, auckland) = days_with_post("&tz=Pacific/Auckland").await;
    assert_eq!(tz, "Pacific/Auckland");
    assert_eq!(auckland.len(), 1);
    assert_eq!(auckland[0].0, (day + chrono::Duration::days(1)).to_string(), "noon UTC is after midnight in Auckland");
    assert_eq!(auckland[0].1, "01:00", "UTC+13 until April");
    let (_, la) = days_with_post("&tz=America/Los_Angeles").await;
    assert_eq!(la, [(day.to_string(), "05:00".to_string())], "UTC-7 since 14 March");
    let (_, honolulu) = days_with_post("&tz=Pacific/Honolulu").await;
    assert_eq!(honolulu, [(day.to_string(), "02:00".to_string())], "UTC-10, no DST");
    let (_, berlin) = days_with_post("&tz=Europe/Berlin").await;
    assert_eq!(berlin, [(day.to_string(), "14:00".to_string())], "UTC+2 from 01:00 UTC that day");
    let (tz, default) = days_with_post("").await;
    assert_eq!((tz.as_str(), default[0].0.clone()), ("UTC", day.to_string()), "the profile's timezone (UTC)");

    let cal = org(&owner.org_id, "/calendar");
    expect_validation(&srv.get(&format!("{cal}?from=2026-13-01&to=2026-12-31"), Some(&owner.token)).await, "from");
    expect_validation(&srv.get(&format!("{cal}?from=2026-01-01"), Some(&owner.token)).await, "to");
    expect_validation(
        &srv.get(&format!("{cal}?from=2026-01-01&to=2026-01-02&tz=Mars/Base"), Some(&owner.token)).await,
        "tz",
    );

    // The iCal feed, at its secret URL, with no sign-in.
    let feed = srv.post("/api/v1/me/calendar-feed", Some(&owner.token), json!({})).await;
    feed.expect(StatusCode::CREATED, None);
    let feed_path = path_of(&srv, &s(&feed.body["url"]));
    let ics = srv.http.get(srv.url(&feed_path)).send().await.unwrap();
    assert_eq!(ics.status(), StatusCode::OK);
    assert_eq!(ics.headers()["content-type"], "text/calendar; charset=utf-8");
    let text = ics.text().await.unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains(&format!("UID:{post_id}@sellcast")), "{text}");
    assert!(text.contains(&format!("DTSTART:{}", at.format("%Y%m%dT%H%M%SZ"))), "{text}");
    srv.get("/ical/not-a-real-secret.ics", None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.delete("/api/v1/me/calendar-feed", Some(&owner.token)).await.expect(StatusCode::NO_CONTENT, None);
    srv.get(&feed_path, None).await.expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.stop().await;
}

async fn notifications_list_and_mark_read(b: Backend) {
    let srv = TestServer::start(b).await;
    let owner = srv.register("owner@notify.test").await;
    let other = srv.register("other@notify.test").await;
    {
        let mut tx = srv.app.db.begin().await.unwrap();
        let now = chrono::Utc::now();
        for title in ["First", "Second"] {
            let notice = sellcast_app::notifications::Notice {
                org_id: Some(&owner.org_id),
                kind: "post.failed",
                title: title.into(),
                body: "Body".into(),
                link: None,
                data: json!({"n": title}),
            };
            sellcast_app::notifications::notify(tx.conn(), std::slice::from_ref(&owner.user_id), &notice, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let path = org(&owner.org_id, "/notifications");
    let r = srv.get(&format!("{path}?unread=true&limit=1"), Some(&owner.token)).await;
    r.expect(StatusCode::OK, None);
    assert_eq!(items(&r).len(), 1);
    assert_eq!(r.body["unread_count"], 2);
    assert!(r.body["next_cursor"].is_string());
    let first_id = s(&items(&r)[0]["id"]);
    assert_eq!(items(&r)[0]["kind"], "post.failed");
    let marked = srv.post(&format!("{path}/read"), Some(&owner.token), json!({"id": first_id})).await;
    assert_eq!(marked.body["marked"], 1, "{}", marked.body);
    let r = srv.get(&format!("{path}?unread=true"), Some(&owner.token)).await;
    assert_eq!((items(&r).len(), r.body["unread_count"].as_i64()), (1, Some(1)));
    let other_view = srv.get(&org(&other.org_id, "/notifications"), Some(&other.token)).await;
    assert_eq!(items(&other_view).len(), 0, "only the recipient sees them");
    let marked = srv.post(&format!("{path}/read"), Some(&owner.token), json!({})).await;
    assert_eq!(marked.body["marked"], 1);
    let r = srv.get(&path, Some(&owner.token)).await;
    assert_eq!((items(&r).len(), r.body["unread_count"].as_i64()), (2, Some(0)));
    srv.post(&format!("{path}/read"), Some(&owner.token), json!({"all": true}))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("VALIDATION_ERROR"));
    srv.stop().await;
}

async fn oauth_callback_needs_a_known_state(b: Backend) {
    let srv = TestServer::start(b).await;
    let r = srv.get("/api/v1/oauth/x/callback?code=abc&state=never-issued", None).await;
    expect_validation(&r, "state");
    let r = srv.get("/api/v1/oauth/x/callback?code=abc", None).await;
    expect_validation(&r, "state");
    let r = srv.get("/api/v1/oauth/linkedin/callback?error=access_denied&state=never-issued", None).await;
    expect_validation(&r, "state");
    srv.get("/api/v1/oauth/myspace/callback?code=a&state=b", None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("NOT_FOUND"));
    srv.stop().await;
}

on_both_backends!(
    scheduled_post_is_published_once_to_the_sandbox,
    channels_can_be_assigned_disconnected_and_reconnected,
    posts_are_validated_with_field_messages,
    viewers_cannot_post_editors_can_schedule,
    other_tenants_ids_are_not_found,
    calendar_days_follow_the_timezone_across_the_date_line_and_a_dst_change_and_the_ical_feed,
    notifications_list_and_mark_read,
    oauth_callback_needs_a_known_state,
);
