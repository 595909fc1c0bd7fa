//! The dashboard and the calendar pages over HTTP on both backends: the empty state of a new
//! workspace, scheduled posts on the dashboard, month and week views in a timezone where the
//! UTC date differs, moving a post with the no-JS form and with the JSON answer calendar.js
//! asks for, DST gaps and past times refused, viewers who cannot move, CSRF, other orgs.
//!
//! Each test runs on the app's clock set to a chosen instant, so the edges it depends on (a
//! week or month starting on one side of the date line and not the other, a DST change) are
//! there on every run, whatever the day.

use crate::common::auth::login;
use crate::common::tenancy::org;
use crate::common::web::Browser;
use crate::common::*;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

const TZ: &str = "Pacific/Auckland";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v}")).to_string()
}

/// A workspace made through the web: sign up, Auckland time, the sandbox connected by its
/// one-click form. Returns (browser, org id, API token, sandbox channel id).
async fn workspace<'a>(srv: &'a TestServer, email: &str) -> (Browser<'a>, String, String, String) {
    let mut b = Browser::new(srv);
    let org_id = b.sign_up("Cal Owner", email, "Cal shop").await;
    let r = login(srv, email, PASSWORD).await;
    r.expect(StatusCode::OK, None);
    let token = s(&r.body["access_token"]);
    srv.patch("/api/v1/me", Some(&token), json!({"timezone": TZ})).await.expect(StatusCode::OK, None);
    let sandbox = b.submit("/onboarding", &format!("/onboarding/{org_id}/sandbox"), &[]).await;
    assert_eq!(sandbox.status, StatusCode::SEE_OTHER, "{}", sandbox.body);
    let chans = srv.get(&org(&org_id, "/channels"), Some(&token)).await;
    let channel_id = s(&chans.body["items"][0]["id"]);
    (b, org_id, token, channel_id)
}

/// A post scheduled at `at` through the JSON API; its id.
async fn scheduled(
    srv: &TestServer,
    org_id: &str,
    token: &str,
    channel: &str,
    text: &str,
    at: DateTime<Utc>,
) -> String {
    let body = json!({"text": text, "variants": [{"channel_id": channel}]});
    let r = srv.post(&org(org_id, "/posts"), Some(token), body).await;
    r.expect(StatusCode::CREATED, None);
    let id = s(&r.body["id"]);
    let path = org(org_id, &format!("/posts/{id}/schedule"));
    srv.post(&path, Some(token), json!({"scheduled_at": at.to_rfc3339()})).await.expect(StatusCode::OK, None);
    id
}

async fn scheduled_at(srv: &TestServer, org_id: &str, token: &str, id: &str) -> DateTime<Utc> {
    let r = srv.get(&org(org_id, &format!("/posts/{id}")), Some(token)).await;
    r.expect(StatusCode::OK, None);
    s(&r.body["scheduled_at"]).parse().expect("RFC 3339")
}

/// Thursday 25 February 2027, 09:00 UTC (22:00 in Auckland). Three days on, 20:00 UTC is
/// Sunday 28 February in UTC and already Monday 1 March in Auckland: a new week and a new
/// month on one side of the date line only.
const BEFORE_A_WEEK_AND_MONTH_EDGE: &str = "2027-02-25T09:00:00Z";

/// Monday 20 September 2027, 09:00 UTC. Auckland moves its clocks forward on Sunday
/// 26 September (02:00 becomes 03:00), five and six days on.
const BEFORE_AUCKLANDS_DST_START: &str = "2027-09-20T09:00:00Z";

/// 20:00 UTC `days` after the app clock's today: already the next day in Auckland (UTC+12/+13).
fn evening_utc(srv: &TestServer, days: i64) -> DateTime<Utc> {
    let d = (srv.app.clock.now() + Duration::days(days)).date_naive();
    d.and_time(NaiveTime::from_hms_opt(20, 0, 0).unwrap()).and_utc()
}

/// `date` at `hh:mm` in Auckland, in UTC.
fn auckland(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let tz: chrono_tz::Tz = TZ.parse().unwrap();
    tz.from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap()).single().unwrap().with_timezone(&Utc)
}

fn local(at: DateTime<Utc>) -> (String, String) {
    let tz: chrono_tz::Tz = TZ.parse().unwrap();
    let l = at.with_timezone(&tz);
    (l.format("%Y-%m-%d").to_string(), l.format("%H:%M").to_string())
}

/// The HTML of the calendar cell of `date`.
fn cell<'p>(body: &'p str, date: &str) -> &'p str {
    let start = body.find(&format!("data-date=\"{date}\" aria-labelledby")).unwrap_or_else(|| panic!("no cell {date}"));
    let end = body[start..].find("</section>").expect("cell end") + start;
    &body[start..end]
}

/// "Next 7 days" in Auckland runs from 25 February over the end of the month.
async fn dashboard_shows_the_week_across_a_month_end_and_a_new_workspace_gets_an_empty_state(b: Backend) {
    let srv = TestServer::start(b).await;
    let now = srv.set_clock(BEFORE_A_WEEK_AND_MONTH_EDGE);
    let mut fresh = Browser::new(&srv);
    let fresh_org = fresh.sign_up("New Person", "new@dash.test", "Empty shop").await;
    let page = fresh.get(&format!("/o/{fresh_org}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Nothing here yet"), "{}", page.body);
    assert!(page.body.contains("href=\"/onboarding\""));
    assert!(page.body.contains(&format!("href=\"/o/{fresh_org}/compose\"")));

    let (mut br, org_id, token, channel) = workspace(&srv, "owner@dash.test").await;
    let soon = scheduled(&srv, &org_id, &token, &channel, "Spring sale starts Friday", now + Duration::days(2)).await;
    // Monday 1 March in Auckland, still in the seven days.
    let next_month = scheduled(&srv, &org_id, &token, &channel, "March opens", evening_utc(&srv, 3)).await;
    scheduled(&srv, &org_id, &token, &channel, "Far away launch", now + Duration::days(20)).await;
    let page = br.get(&format!("/o/{org_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Nothing here yet"));
    assert!(page.body.contains("data-count=\"week\">2<"), "{}", page.body);
    assert!(page.body.contains("Spring sale starts Friday"));
    assert!(page.body.contains(&format!("href=\"/o/{org_id}/posts/{next_month}\"")), "past the month's end");
    assert!(!page.body.contains("Far away launch"), "only the next seven days");
    assert!(page.body.contains(&format!("href=\"/o/{org_id}/posts/{soon}\"")));
    assert!(page.body.contains(&format!("data-post-id=\"{soon}\"")));
    assert!(page.body.contains("data-post-status"));
    assert!(page.body.contains("Sandbox"), "channel names are shown");
    for card in ["Needs attention", "Recent publishes", "Channel health"] {
        assert!(page.body.contains(card), "{card}");
    }

    // A failed post and a channel to reconnect show up as needing attention.
    let broken = scheduled(&srv, &org_id, &token, &channel, "This one broke", now + Duration::days(4)).await;
    {
        use sellcast_store::{channels, posts};
        let mut tx = srv.app.db.begin().await.unwrap();
        let mut p = posts::by_id(tx.conn(), &org_id, &broken).await.unwrap().unwrap();
        p.status = sellcast_domain::PostStatus::Failed;
        posts::update(tx.conn(), &p).await.unwrap();
        for mut v in posts::variants_of(tx.conn(), &broken).await.unwrap() {
            v.status = sellcast_domain::VariantStatus::Failed;
            v.error = Some("The sandbox said no".into());
            posts::update_variant(tx.conn(), &v).await.unwrap();
        }
        let mut ch = channels::by_id(tx.conn(), &org_id, &channel).await.unwrap().unwrap();
        ch.status = sellcast_domain::ChannelStatus::NeedsReconnect;
        channels::update(tx.conn(), &ch).await.unwrap();
        tx.commit().await.unwrap();
    }
    let page = br.get(&format!("/o/{org_id}")).await;
    let attention = &page.body[page.body.find("Needs attention").unwrap()..page.body.find("Recent publishes").unwrap()];
    assert!(attention.contains(&format!("href=\"/o/{org_id}/posts/{broken}\"")), "{attention}");
    assert!(attention.contains("The sandbox said no") && attention.contains("status-failed"));
    let health = &page.body[page.body.find("Channel health").unwrap()..];
    assert!(health.contains(&format!("href=\"/o/{org_id}/channels\"")) && health.contains("Reconnect"), "{health}");
    assert!(health.contains("status-needs_reconnect"));
    srv.stop().await;
}

/// Two posts at 20:00 UTC, on the viewer's (Auckland's) next day: one on Monday 1 March, which
/// starts a week and a month in Auckland while it is still Sunday 28 February in UTC; one on
/// Wednesday 3 March, whose UTC day (Tuesday) is in the same grids.
async fn calendar_places_posts_on_the_viewers_day_when_it_starts_a_week_and_a_month(b: Backend) {
    let srv = TestServer::start(b).await;
    srv.set_clock(BEFORE_A_WEEK_AND_MONTH_EDGE);
    let (mut br, org_id, token, channel) = workspace(&srv, "owner@cal.test").await;
    let first = evening_utc(&srv, 3);
    let third = evening_utc(&srv, 5);
    let first_id = scheduled(&srv, &org_id, &token, &channel, "Auckland breakfast post", first).await;
    let third_id = scheduled(&srv, &org_id, &token, &channel, "Midweek breakfast post", third).await;
    assert_eq!(local(first), ("2027-03-01".to_string(), "09:00".to_string()), "a Monday, the 1st, in Auckland");
    assert_eq!(first.date_naive().to_string(), "2027-02-28", "a Sunday in UTC");

    for (at, id) in [(first, &first_id), (third, &third_id)] {
        let (day, time) = local(at);
        let utc_day = at.date_naive().to_string();
        assert_ne!(day, utc_day, "the test needs the dates to differ");
        for view in ["month", "week"] {
            let page = br.get(&format!("/o/{org_id}/calendar?view={view}&date={day}")).await;
            assert_eq!(page.status, StatusCode::OK, "{view}");
            assert!(page.body.contains(&format!("cal-grid cal-{view}")), "{view}");
            let c = cell(&page.body, &day);
            assert!(c.contains(&format!("data-post-id=\"{id}\"")), "{view}: {c}");
            assert!(c.contains(&format!(">{time}<")), "local time {time} in {c}");
            assert!(c.contains("status-scheduled") && c.contains("data-post-status"), "{c}");
            assert!(c.contains(&format!("href=\"/o/{org_id}/posts/{id}\"")));
            assert!(c.contains(&format!("/o/{org_id}/calendar/move?post_id={id}")), "owners get a Move link");
            assert!(c.contains("draggable=\"true\""));
            let utc_cell = page.body.contains(&format!("data-date=\"{utc_day}\" aria-labelledby"));
            // The 1 March grids start on that Monday; 3 March's hold its UTC Tuesday too.
            assert_eq!(utc_cell, id == &third_id, "{view} of {day}");
            if utc_cell {
                assert!(!cell(&page.body, &utc_day).contains(id.as_str()), "not on the UTC day");
            }
        }
    }
    // The February views (the UTC day's week and month) do not show the Monday post.
    for view in ["month", "week"] {
        let page = br.get(&format!("/o/{org_id}/calendar?view={view}&date=2027-02-28")).await;
        assert!(!page.body.contains(&format!("data-post-id=\"{first_id}\"")), "{view}: {}", page.body);
    }
    let (day, _) = local(first);
    let filtered = br.get(&format!("/o/{org_id}/calendar?view=week&date={day}&channel=nope")).await;
    assert!(!filtered.body.contains(&format!("data-post-id=\"{first_id}\"")), "the channel filter applies");
    let kept = br.get(&format!("/o/{org_id}/calendar?view=week&date={day}&channel={channel}")).await;
    assert!(kept.body.contains(&format!("data-post-id=\"{first_id}\"")));
    let bad = br.get(&format!("/o/{org_id}/calendar?date=yesterday")).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("could not be read"));
    srv.stop().await;
}

/// A signed-in session cookie and its CSRF token for raw requests (calendar.js's fetch), via
/// the sign-in form.
async fn session_cookie(srv: &TestServer, email: &str) -> (String, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(srv.url("/signin")).send().await.unwrap();
    let nonce = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().filter(|p| p.starts_with("sellcast_nonce=")).map(str::to_string));
    let nonce = nonce.expect("nonce cookie");
    let page = crate::common::web::WebPage { status: form.status(), location: None, body: form.text().await.unwrap() };
    let csrf = page.csrf();
    let res = http
        .post(srv.url("/signin"))
        .header("cookie", nonce)
        .form(&[("_csrf", csrf.as_str()), ("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().filter(|p| p.starts_with("sellcast_session=")).map(str::to_string));
    let session = session.expect("session cookie");
    let account = http.get(srv.url("/account")).header("cookie", &session).send().await.unwrap();
    let page =
        crate::common::web::WebPage { status: account.status(), location: None, body: account.text().await.unwrap() };
    (session, page.csrf())
}

async fn move_json(srv: &TestServer, cookie: &str, org_id: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(srv.url(&format!("/o/{org_id}/calendar/move")))
        .header("cookie", cookie)
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The first local 02:30 after the app clock's today that does not exist in Auckland
/// (spring forward).
fn dst_gap(srv: &TestServer) -> NaiveDate {
    let tz: chrono_tz::Tz = TZ.parse().unwrap();
    let t = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
    (1..400)
        .map(|i| srv.app.clock.now().date_naive() + Duration::days(i))
        .find(|d| matches!(tz.from_local_datetime(&d.and_time(t)), chrono::LocalResult::None))
        .expect("Auckland changes clocks every year")
}

/// The post moves to Saturday 25 September 07:15, then (calendar.js) to Sunday the 26th, the
/// day Auckland's clocks go forward: still 07:15 there, 23 hours later in UTC.
async fn posts_move_with_the_form_and_with_json_keeping_the_local_time_across_a_dst_change(b: Backend) {
    let srv = TestServer::start(b).await;
    let now = srv.set_clock(BEFORE_AUCKLANDS_DST_START);
    let (mut br, org_id, token, channel) = workspace(&srv, "owner@move.test").await;
    let at = evening_utc(&srv, 3);
    let id = scheduled(&srv, &org_id, &token, &channel, "Move me around", at).await;
    let (day, time) = local(at);

    // Without JavaScript: the Move page, prefilled in Auckland time.
    let form_path = format!("/o/{org_id}/calendar/move?post_id={id}&view=week");
    let form = br.get(&form_path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&format!("value=\"{day}\"")) && form.body.contains(&format!("value=\"{time}\"")));
    let target = (now + Duration::days(5)).date_naive().to_string();
    assert_eq!(target, "2027-09-25", "the day before the change");
    let action = format!("/o/{org_id}/calendar/move");
    let fields = [("post_id", id.as_str()), ("date", target.as_str()), ("time", "07:15"), ("view", "week")];
    let moved = br.submit(&form_path, &action, &fields).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(moved.location.as_deref(), Some(format!("/o/{org_id}/calendar?view=week&date={target}").as_str()));
    let tz: chrono_tz::Tz = TZ.parse().unwrap();
    let want = auckland(NaiveDate::parse_from_str(&target, "%Y-%m-%d").unwrap(), 7, 15);
    assert_eq!(scheduled_at(&srv, &org_id, &token, &id).await, want);
    let after = br.get(moved.location.as_deref().unwrap()).await;
    assert!(after.body.contains("Post moved to"), "flash message");
    assert!(cell(&after.body, &target).contains(&format!("data-post-id=\"{id}\"")));

    // Past times and DST gaps are refused next to the field, nothing changed.
    let yesterday = (now - Duration::days(1)).with_timezone(&tz).date_naive().to_string();
    let past = br
        .submit(&form_path, &action, &[("post_id", id.as_str()), ("date", yesterday.as_str()), ("time", "10:00")])
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.body.contains("is in the past") && past.body.contains("f-time-error"), "{}", past.body);
    let gap = dst_gap(&srv).to_string();
    assert_eq!(gap, "2027-09-26");
    let r =
        br.submit(&form_path, &action, &[("post_id", id.as_str()), ("date", gap.as_str()), ("time", "02:30")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("does not exist"), "{}", r.body);
    let r = br.submit(&form_path, &action, &[("post_id", id.as_str()), ("date", "soon"), ("time", "")]).await;
    assert!(r.body.contains("f-date-error") && r.body.contains("f-time-error"));
    assert_eq!(scheduled_at(&srv, &org_id, &token, &id).await, want);

    // calendar.js: the same form asking for JSON keeps the time when only the day changes.
    let (cookie, csrf) = session_cookie(&srv, "owner@move.test").await;
    let next_day = (NaiveDate::parse_from_str(&target, "%Y-%m-%d").unwrap() + Duration::days(1)).to_string();
    let fields = [("_csrf", csrf.as_str()), ("post_id", id.as_str()), ("date", next_day.as_str()), ("time", "07:15")];
    let (status, body) = move_json(&srv, &cookie, &org_id, &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["date"], next_day.as_str());
    assert_eq!(body["time"], "07:15");
    assert_eq!(body["status"], "scheduled");
    let moved = scheduled_at(&srv, &org_id, &token, &id).await;
    assert_eq!(moved, auckland(NaiveDate::parse_from_str(&next_day, "%Y-%m-%d").unwrap(), 7, 15));
    assert_eq!(moved - want, Duration::hours(23), "an hour shorter day across the change");
    let fields = [("_csrf", csrf.as_str()), ("post_id", id.as_str()), ("date", yesterday.as_str()), ("time", "07:15")];
    let (status, body) = move_json(&srv, &cookie, &org_id, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(s(&body["error"]).contains("in the past"), "{body}");
    let fields = [
        ("_csrf", csrf.as_str()),
        ("post_id", "0190f0f0-0000-7000-8000-000000000000"),
        ("date", next_day.as_str()),
        ("time", "07:15"),
    ];
    let (status, body) = move_json(&srv, &cookie, &org_id, &fields).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
    srv.stop().await;
}

/// The post is on Monday 1 March for its owner (Auckland) and on Sunday 28 February for the
/// viewer (UTC): the viewer finds it in the week of their own day, not of the owner's.
async fn viewers_csrf_and_other_orgs_cannot_move_a_post_in_another_week_for_the_viewer(b: Backend) {
    let srv = TestServer::start(b).await;
    let now = srv.set_clock(BEFORE_A_WEEK_AND_MONTH_EDGE);
    let (mut br, org_id, token, channel) = workspace(&srv, "owner@guard.test").await;
    let at = evening_utc(&srv, 3);
    let id = scheduled(&srv, &org_id, &token, &channel, "Guarded post", at).await;
    let (owners_day, _) = local(at);
    let viewers_day = at.date_naive().to_string();
    assert_eq!((owners_day.as_str(), viewers_day.as_str()), ("2027-03-01", "2027-02-28"));
    let action = format!("/o/{org_id}/calendar/move");
    let target = (now + Duration::days(6)).date_naive().to_string();
    let fields = [("post_id", id.as_str()), ("date", target.as_str()), ("time", "09:00")];

    // No CSRF token: 403, unchanged.
    let r = br.post_raw(&action, &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(scheduled_at(&srv, &org_id, &token, &id).await, at);

    // A viewer sees the post but no way to move it, and a direct POST is refused.
    let owner = Account {
        user_id: String::new(),
        org_id: org_id.clone(),
        email: "owner@guard.test".into(),
        password: PASSWORD.into(),
        token: token.clone(),
        refresh: String::new(),
    };
    srv.add_member(&owner, "viewer@guard.test", "viewer").await;
    let mut viewer = Browser::new(&srv);
    assert_eq!(viewer.sign_in("viewer@guard.test", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let owners_week = viewer.get(&format!("/o/{org_id}/calendar?view=week&date={owners_day}")).await;
    assert_eq!(owners_week.status, StatusCode::OK);
    assert!(!owners_week.body.contains(&format!("data-post-id=\"{id}\"")), "a week later for the viewer");
    let cal_path = format!("/o/{org_id}/calendar?view=week&date={viewers_day}");
    let page = viewer.get(&cal_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(cell(&page.body, &viewers_day).contains(&format!("data-post-id=\"{id}\"")), "{}", page.body);
    assert!(!page.body.contains("calendar/move?post_id") && !page.body.contains("draggable"), "no move controls");
    assert_eq!(viewer.get(&format!("{action}?post_id={id}")).await.status, StatusCode::FORBIDDEN);
    let r = viewer.submit(&cal_path, &action, &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(scheduled_at(&srv, &org_id, &token, &id).await, at);
    assert_eq!(viewer.get(&format!("/o/{org_id}")).await.status, StatusCode::OK, "viewers see the dashboard");

    // Another workspace's member: 404 everywhere, and their own org cannot reach this post.
    let (mut other, other_org, _, _) = workspace(&srv, "other@guard.test").await;
    assert_eq!(other.get(&format!("/o/{org_id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&cal_path).await.status, StatusCode::NOT_FOUND);
    let r = other.submit(&format!("/o/{other_org}/calendar"), &action, &fields).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let own = format!("/o/{other_org}/calendar/move");
    let r = other.submit(&format!("/o/{other_org}/calendar"), &own, &fields).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("{own}?post_id={id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(scheduled_at(&srv, &org_id, &token, &id).await, at);
    srv.stop().await;
}

on_both_backends!(
    dashboard_shows_the_week_across_a_month_end_and_a_new_workspace_gets_an_empty_state,
    calendar_places_posts_on_the_viewers_day_when_it_starts_a_week_and_a_month,
    posts_move_with_the_form_and_with_json_keeping_the_local_time_across_a_dst_change,
    viewers_csrf_and_other_orgs_cannot_move_a_post_in_another_week_for_the_viewer,
);
