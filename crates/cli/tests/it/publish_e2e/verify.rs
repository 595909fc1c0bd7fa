//! The exactly-once check: every planned post is `published` through the API with one variant
//! per channel, and each platform holds exactly one record per post — counted on the platform
//! side (the fakes' stores, the sandbox's table), matched by text and by the ids Sellcast saved.

use crate::publish_e2e::posts::Planned;
use crate::publish_e2e::probe::Probe;
use crate::publish_e2e::world::World;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Every post of the organization, through the API's pages.
pub async fn all_posts(w: &World) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = w.org_path("/posts?limit=200");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, page) = w.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        out.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// A published variant: (post id, platform post id, platform URL).
type Published = (String, String, String);

/// Assert that every planned post went out exactly once on each of the three channels.
pub async fn exactly_once(w: &World, planned: &[Planned], probe: &mut Probe) {
    let n = planned.len();
    let texts: HashMap<&str, &str> = planned.iter().map(|p| (p.id.as_str(), p.text.as_str())).collect();
    assert_eq!(texts.len(), n, "post ids are unique");
    let due: HashMap<&str, &Planned> = planned.iter().map(|p| (p.id.as_str(), p)).collect();
    let posts = all_posts(w).await;
    assert_eq!(posts.len(), n, "the API lists exactly the posts created");
    let mut lateness_ms = Vec::with_capacity(3 * n);

    let mut by_platform: BTreeMap<String, Vec<Published>> = BTreeMap::new();
    let mut not_published = Vec::new();
    for post in &posts {
        let id = post["id"].as_str().unwrap_or_default();
        let text = texts.get(id).unwrap_or_else(|| panic!("a post the test did not create: {post}"));
        assert_eq!(post["text"], *text);
        if post["status"] != "published" {
            not_published.push(format!("{id}: {}", post["status"]));
        }
        let variants = post["variants"].as_array().expect("variants");
        assert_eq!(variants.len(), 3, "{post}");
        for v in variants {
            if v["status"] != "published" {
                not_published.push(format!("{id} on {}: {} ({})", v["platform"], v["status"], v["error"]));
                continue;
            }
            let platform_id = v["platform_post_id"].as_str().unwrap_or_else(|| panic!("no platform id: {v}"));
            let url = v["platform_url"].as_str().unwrap_or_else(|| panic!("no platform URL: {v}"));
            let published_at: DateTime<Utc> =
                serde_json::from_value(v["published_at"].clone()).unwrap_or_else(|e| panic!("published_at: {e}: {v}"));
            // Never before its time (the API keeps the scheduled time to the millisecond).
            let plan = due[id];
            let early = plan.scheduled_at - published_at;
            assert!(early <= chrono::Duration::milliseconds(1), "published {early} early: {v}");
            // Late counts from when it was due and scheduled, whichever came last.
            lateness_ms.push((published_at - plan.scheduled_at.max(plan.asked_at)).num_milliseconds());
            let platform = v["platform"].as_str().unwrap_or_default().to_string();
            by_platform.entry(platform).or_default().push((id.to_string(), platform_id.to_string(), url.to_string()));
        }
    }
    assert!(not_published.is_empty(), "{} not published:\n{}", not_published.len(), not_published.join("\n"));
    lateness_ms.sort_unstable();
    let at = |q: f64| lateness_ms[((lateness_ms.len() - 1) as f64 * q) as usize];
    eprintln!(
        "[{:?}] lateness of {} publications: p50 {} ms, p99 {} ms, max {} ms",
        w.backend,
        lateness_ms.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
    for (platform, published) in &by_platform {
        assert_eq!(published.len(), n, "{platform}: one published variant per post");
        let ids: HashSet<&str> = published.iter().map(|(_, id, _)| id.as_str()).collect();
        assert_eq!(ids.len(), n, "{platform}: every post has its own platform post id");
    }
    let variants = |p: &str| by_platform.get(p).unwrap_or_else(|| panic!("no {p} variants")).as_slice();
    check_mastodon(w, &texts, variants("mastodon"));
    check_bluesky(w, &texts, variants("bluesky"));
    check_sandbox(w, &texts, variants("sandbox"), probe).await;
}

/// `texts` once each, and nothing else: what a platform holds must be exactly the posts.
fn assert_same_texts<'a>(platform: &str, held: impl Iterator<Item = &'a str>, texts: &HashMap<&str, &str>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for t in held {
        *seen.entry(t).or_default() += 1;
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "{platform} holds duplicates: {duplicated:?}");
    let expected: HashSet<&str> = texts.values().copied().collect();
    let missing: Vec<_> = expected.iter().filter(|t| !seen.contains_key(*t)).collect();
    assert!(missing.is_empty(), "{platform} misses {} posts, e.g. {:?}", missing.len(), missing.first());
    let stray: Vec<_> = seen.keys().filter(|t| !expected.contains(*t)).collect();
    assert!(stray.is_empty(), "{platform} holds posts the test never made: {stray:?}");
}

fn check_mastodon(w: &World, texts: &HashMap<&str, &str>, published: &[Published]) {
    let statuses = w.mastodon_state.posts();
    assert_eq!(w.mastodon_state.count(), texts.len(), "Mastodon holds exactly one status per post");
    assert_same_texts("Mastodon", statuses.iter().map(|s| s.text.as_str()), texts);
    let by_id: HashMap<&str, &str> = statuses.iter().map(|s| (s.id.as_str(), s.text.as_str())).collect();
    for (post, status_id, url) in published {
        assert_eq!(by_id.get(status_id.as_str()), texts.get(post.as_str()), "post {post} → status {status_id}");
        assert!(url.ends_with(&format!("/{status_id}")), "{url}");
    }
}

fn check_bluesky(w: &World, texts: &HashMap<&str, &str>, published: &[Published]) {
    let records = w.bluesky_state.posts();
    assert_eq!(w.bluesky_state.count(), texts.len(), "Bluesky holds exactly one post record per post");
    assert_same_texts("Bluesky", records.iter().map(|r| r.text()), texts);
    let by_uri: HashMap<&str, &str> = records.iter().map(|r| (r.uri.as_str(), r.text())).collect();
    for (post, uri, url) in published {
        assert_eq!(by_uri.get(uri.as_str()), texts.get(post.as_str()), "post {post} → record {uri}");
        let rkey = uri.rsplit('/').next().unwrap_or_default();
        assert!(url.starts_with("https://bsky.app/profile/") && url.ends_with(&format!("/post/{rkey}")), "{url}");
    }
}

async fn check_sandbox(w: &World, texts: &HashMap<&str, &str>, published: &[Published], probe: &mut Probe) {
    assert_eq!(
        probe.sandbox_posts(&w.channels.sandbox).await,
        texts.len() as i64,
        "the sandbox holds one post per post"
    );
    // Every link Sellcast saved opens the post on the sandbox network.
    let opened: Vec<(String, StatusCode, Value)> = futures_util::stream::iter(published)
        .map(|(post, _, url)| async move {
            let (s, body) = w.get(url).await;
            (post.clone(), s, body)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (post, status, body) in opened {
        assert_eq!(status, StatusCode::OK, "sandbox link of post {post}: {body}");
        assert_eq!(body["text"].as_str(), texts.get(post.as_str()).copied(), "sandbox post of {post}");
        assert_eq!(body["channel_id"], w.channels.sandbox.as_str());
    }
}
