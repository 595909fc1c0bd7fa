//! `--report`: the Markdown table of one or more runs' JSON lines, with the goals.

use crate::{GOAL_DONE_SECS, GOAL_P99_MS, SPREAD_SECS};
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

fn is_burst(v: &Value) -> bool {
    v["mode"] == "burst"
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
    let backend = |v: &Value| if v["system"] == "sellcast-postgres" { "PostgreSQL" } else { "SQLite" };
    let due = |v: &Value| if is_burst(v) { "all at T (burst)".to_string() } else { "over [T, T + 60 s)".to_string() };
    println!(
        "| Backend | Due | Posts = publishes | Concurrency | Pool | Create + schedule (s) | T → all published (s) | \
         Publishes/s | Lateness p50 (ms) | p99 (ms) | max (ms) | Not published | Duplicates | Peak RSS (MiB) | \
         CPU-s: process / PostgreSQL | Load at T → end |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (_, v) in &runs {
        let pg_cpu = f(v, "/postgres_cpu_secs_publishing");
        println!(
            "| {} | {} | {} ({} Mastodon + {} Bluesky) | {} | {} | {:.1} + {:.1} | **{:.1}** | {} | {} | **{}** | {} | {} | **{}** | {:.0} | {:.1} / {} | {} → {} |",
            backend(v),
            due(v),
            thousands(f(v, "/publishes")),
            thousands(f(v, "/channels/mastodon")),
            thousands(f(v, "/channels/bluesky")),
            f(v, "/concurrency"),
            f(v, "/pool"),
            f(v, "/create_secs"),
            f(v, "/schedule_secs"),
            f(v, "/done_after_t_secs"),
            thousands(f(v, "/publishes_per_sec")),
            thousands(f(v, "/lateness_ms/p50")),
            thousands(f(v, "/lateness_ms/p99")),
            thousands(f(v, "/lateness_ms/max")),
            f(v, "/not_published"),
            f(v, "/duplicates"),
            f(v, "/peak_rss_mib"),
            f(v, "/cpu_secs_publishing"),
            if pg_cpu.is_nan() { "–".to_string() } else { format!("{pg_cpu:.1}") },
            v["load_at_t"].as_str().unwrap_or("?"),
            v["load_after"].as_str().unwrap_or("?"),
        );
    }
    println!();
    println!("| Goal | Backend | Measured | Met |");
    println!("|---|---|---|---|");
    for (_, v) in runs.iter().filter(|(_, v)| !is_burst(v)) {
        let b = backend(v);
        let (done, p99, dup, missed) =
            (f(v, "/done_after_t_secs"), f(v, "/lateness_ms/p99"), f(v, "/duplicates"), f(v, "/not_published"));
        let times = |x: f64, goal: f64| if x > goal { format!(" ({:.1}× the goal)", x / goal) } else { String::new() };
        println!(
            "| All published by T + {GOAL_DONE_SECS:.0} s (due over {SPREAD_SECS:.0} s + 2 s allowance) | {b} | {done:.1} s{} | {} |",
            times(done, GOAL_DONE_SECS),
            met(done <= GOAL_DONE_SECS && missed == 0.0)
        );
        println!(
            "| p99 lateness ≤ {} ms | {b} | {} ms{} | {} |",
            thousands(GOAL_P99_MS),
            thousands(p99),
            times(p99, GOAL_P99_MS),
            met(p99 <= GOAL_P99_MS)
        );
        let unique = dup == 0.0
            && f(v, "/distinct_platform_ids") == f(v, "/publishes") - missed
            && f(v, "/distinct_texts_on_fakes") == f(v, "/publishes") - missed;
        println!(
            "| No duplicates | {b} | {dup:.0} extra posts on the fakes; {} distinct platform ids, {} distinct texts | {} |",
            thousands(f(v, "/distinct_platform_ids")),
            thousands(f(v, "/distinct_texts_on_fakes")),
            met(unique),
        );
        let why = v["failures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{} × \"{}\"", e["count"], e["error"].as_str().unwrap_or("?")))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let why = if why.is_empty() { String::new() } else { format!(": {}", why.join("; ")) };
        println!(
            "| None missed (every variant published) | {b} | {missed:.0} not published{why} | {} |",
            met(missed == 0.0)
        );
    }
    0
}
