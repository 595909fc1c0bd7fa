//! `--report`: the Markdown table of one or more runs' JSON lines, with the goals.

use crate::{GOAL_DONE_SECS, GOAL_P99_MS};
use serde_json::Value;

fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n);
    let (sign, digits) = s.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", s.as_str()));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn met(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}

/// Print the table; the exit status is 1 when a file cannot be read.
pub fn print(files: &[String]) -> i32 {
    let mut runs = Vec::new();
    for f in files {
        match std::fs::read_to_string(f)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| serde_json::from_str::<Value>(l).ok()))
        {
            Some(v) => runs.push((f.clone(), v)),
            None => {
                eprintln!("{f}: no JSON result (the run failed?)");
                return 1;
            }
        }
    }
    let f = |v: &Value, k: &str| v.pointer(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    println!(
        "| Backend | Posts (publishes) | Concurrency | Create + schedule (s) | T → all published (s) | Publishes/s | \
         Lateness p50 (ms) | p99 (ms) | max (ms) | Duplicates | Peak RSS (MiB) | Load at T |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (_, v) in &runs {
        let backend = if v["system"] == "sellcast-postgres" { "PostgreSQL" } else { "SQLite" };
        println!(
            "| {backend} | {} ({}; {} Mastodon + {} Bluesky) | {} | {:.1} + {:.1} | **{:.1}** | {} | {} | **{}** | {} | **{}** | {:.0} | {} |",
            thousands(f(v, "/posts")),
            thousands(f(v, "/publishes")),
            thousands(f(v, "/channels/mastodon")),
            thousands(f(v, "/channels/bluesky")),
            f(v, "/concurrency"),
            f(v, "/create_secs"),
            f(v, "/schedule_secs"),
            f(v, "/done_after_t_secs"),
            thousands(f(v, "/publishes_per_sec")),
            thousands(f(v, "/lateness_ms/p50")),
            thousands(f(v, "/lateness_ms/p99")),
            thousands(f(v, "/lateness_ms/max")),
            f(v, "/duplicates"),
            f(v, "/peak_rss_mib"),
            v["load_at_t"].as_str().unwrap_or("?"),
        );
    }
    println!();
    println!("| Goal | Backend | Measured | Met |");
    println!("|---|---|---|---|");
    for (_, v) in &runs {
        let backend = if v["system"] == "sellcast-postgres" { "PostgreSQL" } else { "SQLite" };
        let done = f(v, "/done_after_t_secs");
        let p99 = f(v, "/lateness_ms/p99");
        let dup = f(v, "/duplicates");
        let exact = dup == 0.0
            && f(v, "/distinct_platform_ids") == f(v, "/publishes")
            && f(v, "/distinct_texts_on_fakes") == f(v, "/publishes")
            && f(v, "/not_published") == 0.0;
        println!(
            "| All published within {GOAL_DONE_SECS:.0} s of T | {backend} | {done:.1} s | {} |",
            met(done <= GOAL_DONE_SECS)
        );
        let over = if p99 > GOAL_P99_MS { format!(" ({:.0}× the goal)", p99 / GOAL_P99_MS) } else { String::new() };
        println!(
            "| p99 lateness ≤ {} ms | {backend} | {} ms{over} | {} |",
            thousands(GOAL_P99_MS),
            thousands(p99),
            met(p99 <= GOAL_P99_MS)
        );
        println!(
            "| No duplicates | {backend} | {dup:.0} extra posts on the fakes; {} distinct platform ids, {} distinct texts, {} not published | {} |",
            thousands(f(v, "/distinct_platform_ids")),
            thousands(f(v, "/distinct_texts_on_fakes")),
            f(v, "/not_published"),
            met(exact),
        );
    }
    0
}
