//! The newcomer's path in a real browser: sign up, onboarding, the sandbox in one click, a
//! first post composed and scheduled, found on the calendar, dragged to another day (and moved
//! back a day from the keyboard), published, and its status changing on the open page.

use super::driver::{Driver, Session};
use super::support::{api_login, get_post, org_in_path, posts_of, sign_up};
use crate::common::{Backend, TestServer};
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use fantoccini::key::Key;
use serde_json::json;

/// The day (UTC, the new user's timezone) the API says the post is scheduled on.
async fn scheduled_day(srv: &TestServer, token: &str, org: &str, post: &str) -> String {
    let p = get_post(srv, token, org, post).await;
    let at = p["scheduled_at"].as_str().unwrap_or_else(|| panic!("not scheduled: {p}"));
    at.get(..10).unwrap_or_default().to_string()
}

fn chip_in(day: NaiveDate, post: &str) -> String {
    format!(".cal-day[data-date='{day}'] .chip[data-post-id='{post}']")
}

/// The centre of the element matching `css`, in viewport CSS pixels.
async fn centre(s: &Session, css: &str) -> (f64, f64) {
    s.find(css).await;
    let script = "const b = document.querySelector(arguments[0]).getBoundingClientRect(); \
                  return [b.x + b.width / 2, b.y + b.height / 2];";
    let v = s.js(script, vec![json!(css)]).await;
    (v[0].as_f64().unwrap_or_default(), v[1].as_f64().unwrap_or_default())
}

/// Drag the post's chip onto another day's cell. WebDriver pointer actions do not start an
/// HTML5 drag in Chromium, so this is DevTools input: a real mouse press and move on the chip
/// starts the page's drag (its `dragstart` runs), Chromium hands the drag to us
/// (`Input.setInterceptDrags`), and we drop it on the day cell (`Input.dispatchDragEvent`).
async fn drag_chip(s: &Session, post: &str, from: NaiveDate, to: NaiveDate) {
    let source = format!("{} .chip-time", chip_in(from, post));
    s.find(&source).await;
    s.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", vec![json!(source)]).await;
    let (x0, y0) = centre(s, &source).await;
    let (x1, y1) = centre(s, &format!(".cal-day[data-date='{to}']")).await;
    s.cdp("Input.setInterceptDrags", json!({ "enabled": true })).await.expect("intercept drags");
    let mouse = |kind: &str, x: f64, y: f64| json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1 });
    s.cdp("Input.dispatchMouseEvent", mouse("mouseMoved", x0, y0)).await.expect("hover the chip");
    s.cdp("Input.dispatchMouseEvent", mouse("mousePressed", x0, y0)).await.expect("press on the chip");
    for i in 1..=5 {
        let f = f64::from(i) / 5.0;
        let (x, y) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
        s.cdp("Input.dispatchMouseEvent", mouse("mouseMoved", x, y)).await.expect("move the pointer");
    }
    s.until("the chip to be picked up", || async {
        s.js("return !!document.querySelector('.chip.dragging')", vec![]).await == json!(true)
    })
    .await;
    let data = json!({ "items": [{ "mimeType": "text/plain", "data": post }], "dragOperationsMask": 16 });
    for kind in ["dragEnter", "dragOver", "drop"] {
        let event = json!({ "type": kind, "x": x1, "y": y1, "data": data });
        s.cdp("Input.dispatchDragEvent", event).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    s.cdp("Input.dispatchMouseEvent", mouse("mouseReleased", x1, y1)).await.expect("release the pointer");
    s.cdp("Input.setInterceptDrags", json!({ "enabled": false })).await.expect("stop intercepting drags");
}

pub async fn main_flow(b: Backend) {
    let srv = TestServer::start(b).await;
    let driver = Driver::start().await;
    let s = driver.session(&srv.base).await;
    let email = "ada@flow.test";

    // Sign up → onboarding.
    s.goto("/").await;
    assert!(s.path().await.starts_with("/signin"), "a visitor is sent to sign in");
    s.click_and_load("a[href='/signup']").await;
    sign_up(&s, "Ada Lovelace", email, Some("Ada's Bakery")).await;
    assert_eq!(s.path().await, "/onboarding");
    assert!(s.text("h1").await.contains("Ada's Bakery"), "the checklist of the new workspace");

    // The sandbox in one click; the checklist moves on to the first post.
    s.click_and_load("form[action$='/sandbox'] button[type=submit]").await;
    assert_eq!(s.path().await, "/onboarding");
    assert!(s.text(".flash").await.contains("Sandbox connected"));
    s.click_and_load(".checklist a[href$='/compose']").await;
    let org = org_in_path(&s).await;
    assert_eq!(s.path().await, format!("/o/{org}/compose"));

    // Compose and schedule, three days ahead at 10:00 (the user's timezone is UTC), so the
    // moves below stay in the future and in that day's week.
    let day = Utc::now().date_naive() + Duration::days(3);
    s.fill("#f-text", "Our first croissants are out of the oven! Come early.").await;
    let only_channel = s.find("input[name=channels]").await;
    assert!(
        only_channel.prop("checked").await.expect("checked").as_deref() == Some("true"),
        "the one channel is picked"
    );
    s.set_value("#f-date", &day.to_string()).await;
    s.set_value("#f-time", "10:00").await;
    s.click_and_load("button[name=action][value=schedule]").await;
    let token = api_login(&srv, email).await;
    let posts = posts_of(&srv, &token, &org).await;
    assert_eq!(posts.len(), 1, "one post: {posts:?}");
    let post = posts[0]["id"].as_str().expect("post id").to_string();
    assert_eq!(posts[0]["status"], "scheduled");
    assert_eq!(scheduled_day(&srv, &token, &org, &post).await, day.to_string());

    // On the calendar (the week of that day); dragged to the next day (the day before when
    // that day is a Sunday, the week view's last column).
    s.goto(&format!("/o/{org}/calendar?view=week&date={day}")).await;
    s.find(&chip_in(day, &post)).await;
    let to = if day.weekday() == Weekday::Sun { day - Duration::days(1) } else { day + Duration::days(1) };
    drag_chip(&s, &post, day, to).await;
    s.find(&chip_in(to, &post)).await;
    s.until("the move to be saved", || async { scheduled_day(&srv, &token, &org, &post).await == to.to_string() })
        .await;
    let p = get_post(&srv, &token, &org, &post).await;
    assert!(p["scheduled_at"].as_str().is_some_and(|t| t.contains("T10:00")), "keeps its time of day: {p}");

    // The keyboard way: Alt+Left on the focused chip moves it a day earlier.
    let back = to - Duration::days(1);
    let link = s.find(&format!("{} .chip-link", chip_in(to, &post))).await;
    let keys: String = [char::from(Key::Alt), char::from(Key::Left)].iter().collect();
    link.send_keys(&keys).await.expect("Alt+Left");
    s.find(&chip_in(back, &post)).await;
    s.until("the keyboard move to be saved", || async {
        scheduled_day(&srv, &token, &org, &post).await == back.to_string()
    })
    .await;

    // Publish now from the post's page; the worker is off, so the page shows it waiting.
    s.click_and_load(&format!("{} .chip-link", chip_in(back, &post))).await;
    assert_eq!(s.path().await, format!("/o/{org}/posts/{post}"));
    s.click_confirm_and_load(&format!("form[action$='/posts/{post}/publish'] button")).await;
    assert_eq!(s.path().await, format!("/o/{org}/posts/{post}"));
    let badge = format!("[data-post-id='{post}'] [data-post-status]");
    let read = format!("const b = document.querySelector(\"{badge}\"); return b ? b.textContent.trim() : null;");
    assert_eq!(s.js(&read, vec![]).await, json!("scheduled"));

    // The stream is connected; the worker publishes; the open page follows without reload.
    s.wait_stream_open().await;
    s.js("window.__sellcastNoReload = true", vec![]).await;
    let worker = sellcast_app::jobs::worker(&srv.app).start();
    s.until_for("the badge to say published", std::time::Duration::from_secs(30), || async {
        s.js(&read, vec![]).await == json!("published")
    })
    .await;
    assert_eq!(s.js("return window.__sellcastNoReload === true", vec![]).await, json!(true), "no reload");
    assert_eq!(get_post(&srv, &token, &org, &post).await["status"], "published");
    worker.shutdown().await;
    s.close().await;
    srv.stop().await;
}
