//! Running the real `sellcast` binary as a child process.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_sellcast");

/// A database URL for a backend: the default SQLite (None) or a fresh PostgreSQL schema.
pub async fn database(postgres: bool) -> Option<String> {
    if !postgres {
        return None;
    }
    Some(sellcast_testkit::postgres_url_in(&sellcast_testkit::fresh_pg_schema().await))
}

/// Run a `sellcast` subcommand to completion in `dir`.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
    let out = command(dir, env).args(args).output().expect("run sellcast");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn command(dir: &Path, env: &[(&str, String)]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("SELLCAST_") {
            c.env_remove(k);
        }
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

pub struct Server {
    child: Child,
    pub base: String,
    pub log: PathBuf,
    pub http: reqwest::Client,
}

impl Server {
    /// `sellcast serve` on a free port; waits for the "running at" line.
    pub fn start(dir: &Path, env: &[(&str, String)]) -> Server {
        Self::start_with_args(dir, env, &["serve"])
    }

    pub fn start_with_args(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Server {
        let log = dir.join(format!("server-{}.log", uuid::Uuid::new_v4().simple()));
        let mut env = env.to_vec();
        if !env.iter().any(|(k, _)| *k == "SELLCAST_BIND") {
            env.push(("SELLCAST_BIND", "127.0.0.1:0".into()));
        }
        let mut child = command(dir, &env)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn sellcast serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Sellcast is running at ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                panic!("sellcast serve did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
            }
        };
        Server { child, base, log, http: reqwest::Client::new() }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (no shutdown of any kind), then reap; the log so far.
    pub fn kill9(&mut self) -> String {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, wait for a clean exit, return the log.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    assert!(status.success(), "sellcast exited with {status}");
                    break;
                }
                _ if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    panic!("sellcast did not stop on SIGTERM");
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The most recent mail to `to` in `sellcast admin outbox`, and the API code in it.
pub fn token_from_outbox(dir: &Path, env: &[(&str, String)], to: &str) -> String {
    let (code, out, err) = run(dir, &["admin", "outbox", "--limit", "50"], env);
    assert_eq!(code, 0, "{err}");
    let block = out
        .split("=== ")
        .find(|b| b.contains(&format!("→ {to} ")))
        .unwrap_or_else(|| panic!("no mail to {to} in:\n{out}"));
    token_in(block)
}

pub fn token_in(text: &str) -> String {
    text.lines()
        .find_map(|l| l.split("with the API: ").nth(1))
        .map(|t| t.trim().to_string())
        .unwrap_or_else(|| panic!("no token in {text}"))
}

pub fn register_body(email: &str, password: &str, org: &str) -> Value {
    json!({"email": email, "password": password, "name": "Pat Doe", "organization_name": org})
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A long-running `sellcast` subcommand without HTTP (`sellcast worker`): started, waited for
/// until it prints `ready_prefix`, stopped with SIGTERM or killed with SIGKILL. Killed and
/// reaped when dropped, so none outlives its test.
pub struct Background {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Background {
    /// `sellcast worker`, once it says it is running.
    pub fn worker(dir: &Path, env: &[(&str, String)]) -> Background {
        Self::start(dir, env, &["worker"], "Sellcast worker is running")
    }

    pub fn start(dir: &Path, env: &[(&str, String)], args: &[&str], ready_prefix: &str) -> Background {
        let log = dir.join(format!("{}-{}.log", args.join("-"), uuid::Uuid::new_v4().simple()));
        let mut child = command(dir, env)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn sellcast");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let prefix = ready_prefix.to_string();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with(&prefix) {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sellcast {args:?} did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        Background { child: Some(child), log }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL (no shutdown of any kind), then reap.
    pub fn kill9(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("the process is running");
        child.kill().expect("kill -9");
        child.wait().expect("reap")
    }

    /// The last `n` lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        tail(&std::fs::read_to_string(&self.log).unwrap_or_default(), n)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
