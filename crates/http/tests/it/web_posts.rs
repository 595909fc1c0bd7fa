//! The composer and the posts pages over HTTP, on both backends: compose and schedule in the
//! viewer's timezone, drafts, validation next to the right field, the live counter endpoint
//! against the domain's counting, uploads, list filters, viewers and CSRF refused, other
//! workspaces hidden, and publish now reaching `published` on the post page.

use crate::common::web::{Browser, WebPage};
use crate::common::*;
use chrono::{Duration, NaiveTime, TimeZone, Utc};
use reqwest::StatusCode;
use sellcast_domain::{rules, Platform};
use sellcast_store::channels::ChannelRow;
use sellcast_store::posts::{self as store_posts, PostFilter, PostRow};
use serde_json::{json, Value};

on_both_backends!(
    compose_schedule_draft_and_list_on_a_dst_change_day,
    counters_and_platform_rules,
    viewers_csrf_and_other_workspaces,
    publish_now_reaches_published,
);

async fn posts_of(srv: &TestServer, org: &str) -> Vec<PostRow> {
    let mut c = srv.app.db.read().await.expect("read");
    store_posts::list(c.conn(), org, &PostFilter::default(), None, 100).await.expect("posts")
}

async fn post_by_id(srv: &TestServer, org: &str, id: &str) -> PostRow {
    let mut c = srv.app.db.read().await.expect("read");
    store_posts::by_id(c.conn(), org, id).await.expect("query").expect("post exists")
}

/// Every `data-channel-id` on the page, in order.
fn channel_ids(page: &WebPage) -> Vec<String> {
    let marker = "data-channel-id=\"";
    page.body
        .match_indices(marker)
        .map(|(i, _)| {
            let rest = &page.body[i + marker.len()..];
            rest[..rest.find('"').expect("quote")].to_string()
        })
        .collect()
}

/// Sign up, connect the sandbox; (browser's org, sandbox channel id).
async fn sandbox_workspace(b: &mut Browser<'_>, email: &str) -> (String, String) {
    let org = b.sign_up("Ann Seller", email, "Ann's Shop").await;
    let r = b.submit("/onboarding", &format!("/onboarding/{org}/sandbox"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/o/{org}/compose")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let ids = channel_ids(&page);
    assert_eq!(ids.len(), 1, "one channel offered");
    // With a single channel, it is ticked already.
    assert!(page.body.contains("name=\"channels\" value=\"") && page.body.contains("checked"));
    (org, ids[0].clone())
}

/// The id at the end of a `/o/{org}/posts/{id}` redirect.
fn post_id_from(page: &WebPage, org: &str) -> String {
    let to = page.location.clone().unwrap_or_else(|| panic!("a redirect, got {}: {}", page.status, page.body));
    let prefix = format!("/o/{org}/posts/");
    assert!(to.starts_with(&prefix), "{to}");
    to[prefix.len()..].trim_end_matches("/edit").to_string()
}

/// Saturday 13 March 2027 in New York; tomorrow its clocks go forward at 02:00, so 09:30 that
/// day is 13:30 UTC, not the 14:30 of the day before.
async fn compose_schedule_draft_and_list_on_a_dst_change_day(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let now = srv.set_clock("2027-03-13T15:00:00Z");
    let mut b = Browser::new(&srv);
    let email = "ann@compose.test";
    let (org, ch) = sandbox_workspace(&mut b, email).await;
    let compose = format!("/o/{org}/compose");

    // The empty list says what to do next.
    let empty = b.get(&format!("/o/{org}/posts")).await;
    assert!(empty.body.contains("No posts yet") && empty.body.contains(&compose), "{}", empty.body);

    let tz = "America/New_York";
    let r =
        b.submit("/account", "/account/profile", &[("name", "Ann Seller"), ("email", email), ("timezone", tz)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Schedule for tomorrow 09:30 New York time.
    let zone: chrono_tz::Tz = tz.parse().expect("tz");
    let day = (now.with_timezone(&zone) + Duration::days(1)).date_naive();
    let date = day.format("%Y-%m-%d").to_string();
    let local = day.and_time(NaiveTime::from_hms_opt(9, 30, 0).expect("time"));
    let expected = zone.from_local_datetime(&local).earliest().expect("exists").with_timezone(&Utc);
    assert_eq!(expected, instant("2027-03-14T13:30:00Z"), "summer time (UTC-4) from that morning");
    let fields = [
        ("text", "Spring launch: new colours in the shop"),
        ("channels", ch.as_str()),
        ("tags", "launch, #Spring"),
        ("date", date.as_str()),
        ("time", "09:30"),
        ("action", "schedule"),
    ];
    let r = b.submit(&compose, &compose, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let scheduled_id = post_id_from(&r, &org);
    let post = post_by_id(&srv, &org, &scheduled_id).await;
    assert_eq!(post.status, "scheduled");
    assert_eq!(post.scheduled_at, Some(expected), "09:30 in {tz} is {expected}");
    assert_eq!(post.tags, ["launch", "spring"]);
    let detail = b.get(r.location.as_deref().expect("location")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("Scheduled for"), "flash shown: {}", detail.body);
    assert!(detail.body.contains(&format!("data-post-id=\"{scheduled_id}\"")));
    assert!(detail.body.contains("data-status=\"scheduled\" data-post-status"));
    assert!(detail.body.contains("09:30"), "shown back in the viewer's timezone");
    // The edit page shows the time back in the viewer's timezone.
    let edit = b.get(&format!("/o/{org}/posts/{scheduled_id}/edit")).await;
    assert!(edit.body.contains(&format!("value=\"{date}\"")) && edit.body.contains("value=\"09:30\""));

    // Upload a picture without JavaScript: back to the composer with it ticked.
    let png = png_bytes();
    let token = b.get(&compose).await.csrf();
    let (ct, body) = multipart(&[
        ("_csrf", None, token.as_bytes()),
        ("file", Some("shop.png"), &png),
        ("return_to", None, compose.as_bytes()),
    ]);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let up = http
        .post(srv.url(&format!("/o/{org}/compose/media")))
        .header("cookie", b.cookie_header())
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = up.status();
    let to = up.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(status, StatusCode::SEE_OTHER, "{to} {}", up.text().await.unwrap_or_default());
    let media_id = to.split("media=").nth(1).expect("media id").to_string();
    let with_media = b.get(&to).await;
    assert!(with_media.body.contains(&format!("name=\"media\" value=\"{media_id}\" checked")), "ticked");
    let thumb = srv
        .http
        .get(srv.url(&format!("/o/{org}/compose/media/{media_id}")))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .expect("thumb");
    assert_eq!(thumb.status(), StatusCode::OK);
    assert!(thumb.headers()["content-type"].to_str().expect("ct").starts_with("image/"));

    // A draft with the picture.
    let fields = [
        ("text", "Idea: behind the scenes"),
        ("channels", ch.as_str()),
        ("media", media_id.as_str()),
        ("action", "draft"),
    ];
    let r = b.submit(&compose, &compose, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let draft_id = post_id_from(&r, &org);
    assert_eq!(post_by_id(&srv, &org, &draft_id).await.status, "draft");
    let detail = b.get(&format!("/o/{org}/posts/{draft_id}")).await;
    assert!(detail.body.contains(&format!("/o/{org}/compose/media/{media_id}")), "media shown");

    // Empty text: the sandbox's complaint sits in the sandbox's section; nothing is created.
    let r = b.submit(&compose, &compose, &[("text", "  "), ("channels", ch.as_str()), ("action", "draft")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let marker = format!("id=\"override-{ch}-error\">");
    let at = r.body.find(&marker).unwrap_or_else(|| panic!("error next to the channel's text: {}", r.body));
    assert!(r.body[at..].split("</p>").next().unwrap_or("").contains("needs some text, an image or a video"));
    // Scheduling without a date: the message is next to the date, and nothing is created.
    let r = b.submit(&compose, &compose, &[("text", "Soon"), ("channels", ch.as_str()), ("action", "schedule")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("id=\"when-error\">Pick a date"), "{}", r.body);
    assert_eq!(posts_of(&srv, &org).await.len(), 2);

    // Edit the draft, then schedule it from the edit page.
    let edit_path = format!("/o/{org}/posts/{draft_id}/edit");
    let edit = b.get(&edit_path).await;
    assert!(edit.body.contains("Idea: behind the scenes"));
    let fields = [
        ("text", "Idea: behind the scenes, take two"),
        ("channels", ch.as_str()),
        ("date", date.as_str()),
        ("time", "18:00"),
        ("action", "schedule"),
    ];
    let r = b.submit(&edit_path, &edit_path, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let edited = post_by_id(&srv, &org, &draft_id).await;
    assert_eq!((edited.status.as_str(), edited.text.as_str()), ("scheduled", "Idea: behind the scenes, take two"));
    let r =
        b.submit(&format!("/o/{org}/posts/{draft_id}"), &format!("/o/{org}/posts/{draft_id}/unschedule"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(post_by_id(&srv, &org, &draft_id).await.status, "draft");

    // The list, filtered by status and by text.
    let drafts = b.get(&format!("/o/{org}/posts?status=draft")).await;
    assert!(drafts.body.contains(&format!("data-post-id=\"{draft_id}\"")));
    assert!(!drafts.body.contains(&format!("data-post-id=\"{scheduled_id}\"")));
    let found = b.get(&format!("/o/{org}/posts?q=SPRING+launch")).await;
    assert!(found.body.contains(&format!("data-post-id=\"{scheduled_id}\"")));
    assert!(!found.body.contains(&format!("data-post-id=\"{draft_id}\"")));
    let none = b.get(&format!("/o/{org}/posts?q=nothing-like-this")).await;
    assert!(none.body.contains("No posts match these filters"));
    let tagged = b.get(&format!("/o/{org}/posts?tag=%23launch&from={date}&to={date}")).await;
    assert!(tagged.body.contains(&format!("data-post-id=\"{scheduled_id}\"")), "{}", tagged.body);
    srv.stop().await;
}

async fn insert_channel(srv: &TestServer, org: &str, platform: &str, handle: &str) -> String {
    let now = Utc::now();
    let row = ChannelRow {
        id: sellcast_domain::ids::new_id(),
        org_id: org.into(),
        client_id: None,
        platform: platform.into(),
        account_id: format!("acct-{handle}"),
        server_url: String::new(),
        handle: handle.into(),
        display_name: None,
        avatar_url: None,
        profile_url: None,
        status: sellcast_domain::ChannelStatus::Active,
        credentials: String::new(),
        key_id: String::new(),
        token_expires_at: None,
        token_issued_at: None,
        last_refresh_at: None,
        last_error: None,
        connected_by: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = srv.app.db.begin().await.expect("tx");
    sellcast_store::channels::insert(tx.conn(), &row).await.expect("insert channel");
    tx.commit().await.expect("commit");
    row.id
}

async fn count(b: &Browser<'_>, org: &str, token: Option<&str>, items: Value) -> (StatusCode, Value) {
    let mut req = b
        .server
        .http
        .post(b.server.url(&format!("/o/{org}/compose/count")))
        .header("cookie", b.cookie_header())
        .json(&json!({ "items": items }));
    if let Some(t) = token {
        req = req.header("x-csrf-token", t);
    }
    let res = req.send().await.expect("count");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn counters_and_platform_rules(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let mut b = Browser::new(&srv);
    let org = b.sign_up("Cy Counter", "cy@count.test", "Counting").await;
    let x = insert_channel(&srv, &org, "x", "@cy").await;
    let bsky = insert_channel(&srv, &org, "bluesky", "cy.bsky.social").await;
    let compose = format!("/o/{org}/compose");
    let page = b.get(&compose).await;
    assert_eq!(channel_ids(&page).len(), 2);
    let token = page.csrf();

    let text = "Launch day 🚀👍🏽 see https://example.com/a/very/long/path/that/keeps/going/on — café";
    let (status, body) =
        count(&b, &org, Some(&token), json!([{"channel_id": x, "text": text}, {"channel_id": bsky, "text": text}]))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().expect("items");
    for (item, platform) in items.iter().zip([Platform::X, Platform::Bluesky]) {
        assert_eq!(item["count"], rules::count(platform, text) as u64, "{platform}: {item}");
        assert_eq!(item["limit"], rules::limits(platform).max_chars as u64);
        assert_eq!(item["ok"], true);
    }
    // X weighs the link as 23 and the emoji as 2: not the number of characters.
    assert_ne!(items[0]["count"], text.chars().count() as u64);

    let long = "a".repeat(301);
    let (_, body) = count(&b, &org, Some(&token), json!([{"channel_id": bsky, "text": long}])).await;
    assert_eq!((body["items"][0]["count"].as_u64(), body["items"][0]["ok"].as_bool()), (Some(301), Some(false)));
    let (status, _) = count(&b, &org, None, json!([{"channel_id": bsky, "text": "hi"}])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the counter needs the CSRF header");

    // Over Bluesky's limit in its own text: the message sits in Bluesky's section.
    let over = format!("override.{bsky}");
    let fields = [
        ("text", "Short main text"),
        ("channels", x.as_str()),
        ("channels", bsky.as_str()),
        (over.as_str(), long.as_str()),
        ("action", "draft"),
    ];
    let r = b.submit(&compose, &compose, &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains(&format!("id=\"override-{bsky}-error\">Cy.bsky.social: Bluesky allows 300")), "{}", r.body);
    assert!(!r.body.contains(&format!("id=\"override-{x}-error\"")), "X's section is fine");
    // The server-rendered counter already shows the state.
    assert!(r.body.contains("Over by 1"), "{}", r.body);
    assert!(posts_of(&srv, &org).await.is_empty());
    srv.stop().await;
}

async fn viewers_csrf_and_other_workspaces(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let owner = srv.register("owner@viewers.test").await;
    let viewer = srv.add_member(&owner, "viewer@viewers.test", "viewer").await;
    let org = owner.org_id.clone();
    let compose = format!("/o/{org}/compose");

    let mut v = Browser::new(&srv);
    assert_eq!(v.sign_in(&viewer.email, PASSWORD).await.status, StatusCode::SEE_OTHER);
    let page = v.get(&compose).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let list = v.get(&format!("/o/{org}/posts")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(&format!("href=\"{compose}\"")), "no way to the composer");
    let token = list.csrf();
    let r = v.post_raw(&compose, &[("_csrf", token.as_str()), ("text", "Sneaky"), ("action", "draft")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(posts_of(&srv, &org).await.is_empty());

    // The owner without the CSRF token: refused, nothing created.
    let mut o = Browser::new(&srv);
    assert_eq!(o.sign_in(&owner.email, PASSWORD).await.status, StatusCode::SEE_OTHER);
    let r = o.post_raw(&compose, &[("text", "No token"), ("action", "draft")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = o.post_raw(&compose, &[("_csrf", "forged"), ("text", "Bad token"), ("action", "draft")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(posts_of(&srv, &org).await.is_empty());
    let r = o.submit(&compose, &compose, &[("text", "Owner's draft"), ("action", "draft")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let post_id = post_id_from(&r, &org);
    // Viewers see the post, without the buttons that change it.
    let seen = v.get(&format!("/o/{org}/posts/{post_id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.body.contains("/delete\"") && !seen.body.contains("/edit\""));
    let r = v.post_raw(&format!("/o/{org}/posts/{post_id}/delete"), &[("_csrf", token.as_str())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Someone else's workspace does not exist for them.
    let mut stranger = Browser::new(&srv);
    let other_org = stranger.sign_up("Sam Stranger", "sam@other.test", "Elsewhere").await;
    for path in [compose.clone(), format!("/o/{org}/posts"), format!("/o/{org}/posts/{post_id}")] {
        assert_eq!(stranger.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let token = stranger.get(&format!("/o/{other_org}/posts")).await.csrf();
    let r = stranger.post_raw(&format!("/o/{org}/posts/{post_id}/delete"), &[("_csrf", token.as_str())]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nor is another workspace's post reachable through their own.
    assert_eq!(stranger.get(&format!("/o/{other_org}/posts/{post_id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(posts_of(&srv, &org).await.len(), 1);
    srv.stop().await;
}

async fn publish_now_reaches_published(backend: Backend) {
    let srv = TestServer::start(backend).await;
    let mut b = Browser::new(&srv);
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    let (org, ch) = sandbox_workspace(&mut b, "pat@publish.test").await;
    let compose = format!("/o/{org}/compose");
    let fields = [("text", "Out right now"), ("channels", ch.as_str()), ("action", "publish_now")];
    let r = b.submit(&compose, &compose, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = post_id_from(&r, &org);
    let path = format!("/o/{org}/posts/{id}");
    // The job worker publishes it; the page then says so.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let post = post_by_id(&srv, &org, &id).await;
        if post.status == "published" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not published in time: {post:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let page = b.get(&path).await;
    assert!(page.body.contains("data-status=\"published\" data-post-status"), "{}", page.body);
    assert!(page.body.contains("View on Sandbox"));
    assert!(page.body.contains("data-platform-link href=\"http"), "the link is shown: {}", page.body);
    assert!(!page.body.contains(&format!("{path}/edit")), "a published post is not edited");
    // Duplicate gives a new draft to edit.
    let r = b.submit(&path, &format!("{path}/duplicate"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.as_deref().is_some_and(|l| l.ends_with("/edit")));
    let copy = post_id_from(&r, &org);
    assert_eq!(post_by_id(&srv, &org, &copy).await.status, "draft");
    // Delete it again.
    let r = b.submit(&path, &format!("/o/{org}/posts/{copy}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(posts_of(&srv, &org).await.len(), 1);
    worker.shutdown().await;
    srv.stop().await;
}

fn png_bytes() -> Vec<u8> {
    let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([(x * 7) as u8, (y * 9) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// A multipart/form-data body: (content type, bytes). Each part: (name, filename, bytes).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "sellcast-web-boundary-41c2";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match filename {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
