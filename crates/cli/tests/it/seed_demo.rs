//! `sellcast seed --demo` on an empty instance, then the product as the newcomer meets it over
//! HTTP: sign in with the printed credentials and find clients, a team, sandbox channels (one
//! needing a reconnect) and a month of posts in every state. SQLite and PostgreSQL alike.

use crate::support::*;
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use std::collections::HashSet;

/// The value printed after `label` on its own line of the seed's output.
fn printed(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {label} in:\n{out}"))
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap_or_else(|| panic!("no items in {v}"))
}

async fn seed_demo(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![];
    if let Some(url) = database(postgres).await {
        env.push(("SELLCAST_DATABASE_URL", url));
    }

    let (code, _, err) = run(dir.path(), &["seed"], &env);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--demo"), "{err}");
    assert!(!dir.path().join("sellcast-data").exists(), "a refused seed touches nothing");

    let (code, out, err) = run(dir.path(), &["seed", "--demo"], &env);
    assert_eq!(code, 0, "{out}\n{err}");
    let email = printed(&out, "email");
    let password = printed(&out, "password");
    assert_eq!(email, "demo@sellcast.local");

    let (code, again, err) = run(dir.path(), &["seed", "--demo"], &env);
    assert_eq!(code, 0, "a second run is harmless: {again}\n{err}");
    assert!(again.contains("already exists"), "{again}");

    let srv = Server::start(dir.path(), &env);
    let (s, login) = srv.post("/api/v1/auth/login", None, json!({"email": email, "password": password})).await;
    assert_eq!(s, 200, "{login}");
    assert_eq!(login["user"]["is_instance_admin"], true, "the first account administers the instance");
    let token = login["access_token"].as_str().unwrap().to_string();
    let token = Some(token.as_str());

    let (s, orgs) = srv.get("/api/v1/orgs", token).await;
    assert_eq!(s, 200, "{orgs}");
    let org = items(&orgs).iter().find(|o| o["name"] == "Demo Shop").unwrap_or_else(|| panic!("{orgs}"));
    let base = format!("/api/v1/orgs/{}", org["id"].as_str().unwrap());

    let (_, clients) = srv.get(&format!("{base}/clients"), token).await;
    assert!(items(&clients).len() >= 3, "{clients}");

    let (_, channels) = srv.get(&format!("{base}/channels"), token).await;
    let channels = items(&channels);
    assert!(channels.len() >= 3, "{channels:?}");
    assert!(channels.iter().all(|c| c["platform"] == "sandbox"));
    assert!(channels.iter().filter(|c| c["client_id"].is_string()).count() >= 3);
    assert!(channels.iter().any(|c| c["status"] == "needs_reconnect"), "{channels:?}");

    let (_, members) = srv.get(&format!("{base}/members"), token).await;
    let roles: HashSet<&str> = items(&members).iter().filter_map(|m| m["role"].as_str()).collect();
    for role in ["owner", "admin", "editor", "viewer"] {
        assert!(roles.contains(role), "{role} missing from {members}");
    }
    let editor = items(&members).iter().find(|m| m["role"] == "editor").unwrap();
    let (s, body) = srv.post("/api/v1/auth/login", None, json!({"email": editor["email"], "password": password})).await;
    assert_eq!(s, 200, "teammates share the printed password: {body}");

    for status in ["draft", "scheduled", "published", "partially_published", "failed"] {
        let (s, list) = srv.get(&format!("{base}/posts?status={status}&limit=200"), token).await;
        assert_eq!(s, 200, "{list}");
        assert!(!items(&list).is_empty(), "no {status} post");
    }
    let (_, all) = srv.get(&format!("{base}/posts?limit=200"), token).await;
    assert!(items(&all).len() >= 50, "about a month of posts: {}", items(&all).len());
    assert!(items(&all).iter().any(|p| !p["tags"].as_array().unwrap().is_empty() && p["campaign"].is_string()));

    // Published variants point at real sandbox posts; failed ones say why.
    let (_, published) = srv.get(&format!("{base}/posts?status=published&limit=1"), token).await;
    let variant = &items(&published)[0]["variants"][0];
    assert!(variant["platform_post_id"].is_string(), "{variant}");
    let url = variant["platform_url"].as_str().unwrap();
    let path = &url[url.find("/sandbox/").unwrap()..];
    let res = srv.http.get(format!("{}{path}", srv.base)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let (_, failed) = srv.get(&format!("{base}/posts?status=failed&limit=1"), token).await;
    let why = items(&failed)[0]["variants"][0]["error"].as_str().unwrap_or_default().to_string();
    assert!(why.len() > 20, "a failure carries the platform's message: {why}");

    let (_, notes) = srv.get(&format!("{base}/notifications"), token).await;
    let kinds: HashSet<&str> = items(&notes).iter().filter_map(|n| n["kind"].as_str()).collect();
    assert!(kinds.contains("post.failed") && kinds.contains("channel.needs_reconnect"), "{notes}");
    assert!(notes["unread_count"].as_i64().unwrap() > 0);

    // An inbox in every state: unread, answered (delivered), resolved, snoozed, a mention.
    let (s, convs) = srv.get(&format!("{base}/conversations?limit=200"), token).await;
    assert_eq!(s, 200, "{convs}");
    let convs = items(&convs);
    assert!(convs.len() >= 5, "{convs:?}");
    let statuses: HashSet<&str> = convs.iter().filter_map(|c| c["status"].as_str()).collect();
    for status in ["open", "resolved", "snoozed"] {
        assert!(statuses.contains(status), "no {status} conversation: {statuses:?}");
    }
    assert!(convs.iter().any(|c| c["unread"] == true));
    assert!(convs.iter().any(|c| c["kind"] == "mention"));
    let answered = convs.iter().find(|c| c["participant"]["username"] == "aisha_b").expect("a resolved thread");
    let (_, thread) =
        srv.get(&format!("{base}/conversations/{}/messages", answered["id"].as_str().unwrap()), token).await;
    assert_eq!(items(&thread).len(), 3, "{thread}");
    assert!(items(&thread).iter().any(|m| m["direction"] == "outbound" && m["delivery"] == "delivered"), "{thread}");

    // The seed ran on the real clock (another process): its posts span 20 days before to 9
    // days after the day it ran. The calendar around today, not this calendar month (which
    // may start today or end tomorrow), shows some of either side whatever the day.
    let today = Utc::now().date_naive();
    let (from, to) = (today - Duration::days(21), today + Duration::days(11));
    let (s, cal) = srv.get(&format!("{base}/calendar?from={from}&to={to}&tz=UTC"), token).await;
    assert_eq!(s, 200, "{cal}");
    let days_with_posts: Vec<NaiveDate> = cal["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["posts"].as_array().unwrap().is_empty())
        .map(|d| d["date"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(days_with_posts.iter().any(|d| *d < today), "posts of the past weeks: {cal}");
    assert!(days_with_posts.iter().any(|d| *d > today), "posts of the coming days: {cal}");
    srv.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_demo_sqlite() {
    seed_demo(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_demo_postgres() {
    seed_demo(true).await
}
