//! Scheduling the posts through the API, watching them go out (platform-side counts), and
//! waiting, bounded, until none is left to publish, with a diagnosis when time runs out.

use crate::publish_e2e::probe::Probe;
use crate::publish_e2e::world::World;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Requests in flight at once while creating and scheduling posts.
const CONCURRENCY: usize = 16;

/// A draft the test created.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: String,
    pub text: String,
}

/// A post the test scheduled.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: String,
    pub text: String,
    pub scheduled_at: DateTime<Utc>,
    /// When the schedule request was sent (a post cannot be late before it is scheduled).
    pub asked_at: DateTime<Utc>,
}

/// Create `n` drafts targeting the three channels; each text is unique (it names `run` and
/// the post's number).
pub async fn create_drafts(w: &World, n: usize, run: &str) -> Vec<Draft> {
    let variants: Vec<Value> = w.channels.all().iter().map(|c| json!({"channel_id": c})).collect();
    let path = w.org_path("/posts");
    let started = Instant::now();
    let drafts: Vec<Draft> = futures_util::stream::iter(0..n)
        .map(|i| {
            let text = format!("Exactly-once check {run}: post {i:04} of {n}");
            let body = json!({"text": text, "variants": variants});
            let path = &path;
            async move {
                let (s, post) = w.post(path, body).await;
                assert_eq!(s, StatusCode::CREATED, "creating post {i}: {post}\n{}", w.logs(20));
                assert_eq!(post["status"], "draft", "{post}");
                Draft { id: post["id"].as_str().expect("post id").to_string(), text }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    eprintln!("[{:?}] created {n} drafts in {:.1?}", w.backend, started.elapsed());
    drafts
}

/// Schedule the drafts, due from `first_due` to `last_due` after now, evenly spread.
pub async fn schedule(w: &World, drafts: &[Draft], first_due: Duration, last_due: Duration) -> Vec<Planned> {
    // Whole milliseconds, as the API keeps them.
    let t0 = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("now");
    let spread = (last_due - first_due).as_millis() as i64;
    let last = drafts.len().max(2) - 1;
    let started = Instant::now();
    let planned: Vec<Planned> = futures_util::stream::iter(drafts.iter().enumerate())
        .map(|(i, d)| {
            let offset = first_due.as_millis() as i64 + spread * i as i64 / last as i64;
            let at = t0 + chrono::Duration::milliseconds(offset);
            let body = json!({"scheduled_at": at.to_rfc3339_opts(SecondsFormat::Millis, true)});
            let path = w.org_path(&format!("/posts/{}/schedule", d.id));
            async move {
                let asked_at = Utc::now();
                let (s, post) = w.post(&path, body).await;
                assert_eq!(s, StatusCode::OK, "scheduling post {}: {post}\n{}", d.id, w.logs(20));
                assert!(post["status"] == "scheduled" || post["status"] == "publishing", "{post}");
                Planned { id: d.id.clone(), text: d.text.clone(), scheduled_at: at, asked_at }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    eprintln!(
        "[{:?}] scheduled {} posts in {:.1?}, due {first_due:?} to {last_due:?} after the first",
        w.backend,
        drafts.len(),
        started.elapsed()
    );
    planned
}

/// Wait until no post is draft, scheduled or publishing (bounded by `limit`), printing the
/// platforms' counts every few seconds. Panics with a diagnosis past the limit, or as soon as
/// a post fails.
pub async fn wait_until_settled(w: &World, probe: &mut Probe, limit: Duration) {
    let started = Instant::now();
    let mut next_report = started;
    let waiting = w.org_path("/posts?status=draft,scheduled,publishing&limit=1");
    let failed = w.org_path("/posts?status=failed,partially_published&limit=1");
    loop {
        let (s, page) = w.get(&waiting).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        if page["items"].as_array().is_some_and(Vec::is_empty) {
            eprintln!("[{:?}] settled after {:.1?}: {}", w.backend, started.elapsed(), probe.progress(w).await);
            return;
        }
        let (_, bad) = w.get(&failed).await;
        if bad["items"].as_array().is_some_and(|a| !a.is_empty()) {
            panic!("a post failed:\n{}\n{}", diagnose(w).await, w.logs(40));
        }
        if Instant::now() >= next_report {
            eprintln!("[{:?}] {:>5.1?}: {}", w.backend, started.elapsed(), probe.progress(w).await);
            next_report += Duration::from_secs(5);
        }
        if started.elapsed() > limit {
            panic!(
                "not every post was published within {limit:?} ({}):\n{}\n{}",
                probe.progress(w).await,
                diagnose(w).await,
                w.logs(60)
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Posts per status (first pages), and the variants of unfinished posts with their errors.
pub async fn diagnose(w: &World) -> String {
    let mut out = String::from("posts by status (200+ means at least):\n");
    for status in ["draft", "scheduled", "publishing", "published", "partially_published", "failed"] {
        let (_, page) = w.get(&w.org_path(&format!("/posts?status={status}&limit=200"))).await;
        let n = page["items"].as_array().map_or(0, Vec::len);
        let more = if page["next_cursor"].is_string() { "+" } else { "" };
        out.push_str(&format!("  {status}: {n}{more}\n"));
    }
    let (_, page) = w.get(&w.org_path("/posts?status=scheduled,publishing,partially_published,failed&limit=15")).await;
    out.push_str("unfinished posts:\n");
    for post in page["items"].as_array().into_iter().flatten() {
        let variants = post["variants"].as_array().cloned().unwrap_or_default();
        let states: Vec<String> = variants.iter().map(|v| format!("{}: {}", v["platform"], v["status"])).collect();
        out.push_str(&format!("  post {} is {} with variants {}\n", post["id"], post["status"], states.join(", ")));
        for v in variants.iter().filter(|v| v["status"] != "published") {
            out.push_str(&format!(
                "  post {} ({}) {}: {} after {} attempts, first at {}, error {}\n",
                post["id"],
                post["scheduled_at"],
                v["platform"],
                v["status"],
                v["attempts"],
                v["first_attempt_at"],
                v["error"]
            ));
        }
    }
    out
}
