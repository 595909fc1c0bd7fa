//! `serve --no-workers` leaves jobs waiting; `sellcast worker` runs them; `sellcast jobs`
//! shows, cancels and retries them. SQLite and PostgreSQL alike.

use crate::support::*;
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn job_line(dir: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> String {
    let (code, out, err) = run(dir, args, env);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

async fn workers_run_apart_from_the_server(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    // An SMTP port nobody listens on: delivery attempts fail and are retried.
    let mut env = vec![("SELLCAST_SMTP_URL", format!("smtp://127.0.0.1:{}", free_port()))];
    if let Some(url) = database(postgres).await {
        env.push(("SELLCAST_DATABASE_URL", url));
    }
    let server_env = [env.clone(), vec![("SELLCAST_BIND", "127.0.0.1:0".to_string())]].concat();
    let srv = Server::start_with_args(dir.path(), &server_env, &["serve", "--no-workers"]);
    let (s, _) = srv.post("/api/v1/auth/register", None, register_body("jobs@example.com", "Jobs-Pass-123", "Q")).await;
    assert_eq!(s, 201);
    let (s, _) = srv.post("/api/v1/auth/password/forgot", None, json!({"email": "jobs@example.com"})).await;
    assert_eq!(s, 202);

    tokio::time::sleep(Duration::from_millis(500)).await;
    let listed = job_line(dir.path(), &env, &["jobs", "list", "--kind", "email.deliver"]);
    let row = listed.lines().nth(1).unwrap_or_else(|| panic!("no job listed:\n{listed}"));
    assert!(row.contains("available"), "no worker ran it: {row}");
    let id = row.split_whitespace().next().unwrap().to_string();

    // A worker process picks it up; the delivery fails and is scheduled for a retry.
    let mut worker = Command::new(BIN)
        .arg("worker")
        .current_dir(dir.path())
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let shown = loop {
        let shown = job_line(dir.path(), &env, &["jobs", "show", &id]);
        if shown.contains("\"retryable\"") {
            break shown;
        }
        assert!(Instant::now() < deadline, "the worker did not attempt the job:\n{shown}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(shown.contains("\"attempt\": 1"), "{shown}");
    assert!(shown.contains("\"error\""), "the failure is in the error history:\n{shown}");
    let _ = Command::new("kill").arg("-TERM").arg(worker.id().to_string()).status();
    let status = worker.wait().unwrap();
    assert!(status.success(), "the worker stops cleanly on SIGTERM: {status}");

    let cancelled = job_line(dir.path(), &env, &["jobs", "cancel", &id]);
    assert!(cancelled.contains("cancelled"), "{cancelled}");
    let (code, _, err) = run(dir.path(), &["jobs", "cancel", &id], &env);
    assert_eq!(code, 1);
    assert!(err.contains("cannot be changed"), "{err}");
    let retried = job_line(dir.path(), &env, &["jobs", "retry", &id]);
    assert!(retried.contains("available"), "{retried}");
    let (code, _, err) = run(dir.path(), &["jobs", "list", "--state", "sideways"], &env);
    assert_eq!(code, 1);
    assert!(err.contains("unknown state"), "{err}");
    srv.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_run_apart_from_the_server_sqlite() {
    workers_run_apart_from_the_server(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_run_apart_from_the_server_postgres() {
    workers_run_apart_from_the_server(true).await
}
