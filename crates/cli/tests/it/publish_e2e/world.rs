//! The world of one end-to-end run: the fake Mastodon and Bluesky servers (in this process),
//! the real `sellcast` binary (one `serve`, or `serve --no-workers` plus `sellcast worker`
//! processes) on SQLite or a fresh PostgreSQL schema, a registered owner and three channels.

use crate::support::{Background, Server};
use reqwest::{Method, StatusCode};
use sellcast_fakes::bluesky::{self, BlueskyState};
use sellcast_fakes::mastodon::{self, MastodonState};
use sellcast_fakes::FakeServer;
use sellcast_testkit::Backend;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

const PASSWORD: &str = "Very-Secret-Pass-42";
/// Every API call of the test gives up after this long (the server is busy publishing).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Who runs the publish jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// `sellcast serve` with its own workers.
    InServe,
    /// `sellcast serve --no-workers` plus separate `sellcast worker` processes.
    Separate,
}

pub struct Channels {
    pub sandbox: String,
    pub mastodon: String,
    pub bluesky: String,
}

impl Channels {
    pub fn all(&self) -> [&str; 3] {
        [&self.sandbox, &self.mastodon, &self.bluesky]
    }
}

pub struct World {
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    pub env: Vec<(&'static str, String)>,
    pub server: Server,
    /// The running `sellcast worker` (Workers::Separate).
    worker: Mutex<Option<Background>>,
    /// Workers killed so far, kept for their logs.
    killed: Mutex<Vec<Background>>,
    pub http: reqwest::Client,
    pub token: String,
    pub org: String,
    pub channels: Channels,
    pub mastodon: FakeServer,
    pub mastodon_state: MastodonState,
    pub bluesky: FakeServer,
    pub bluesky_state: BlueskyState,
}

impl World {
    /// Fakes up, the binary started, an owner registered, the three channels connected.
    pub async fn start(backend: Backend, workers: Workers) -> World {
        let dir = tempfile::tempdir().unwrap();
        let (mastodon, mastodon_state) = mastodon::start().await;
        let (bluesky, bluesky_state) = bluesky::start().await;
        // A fixed port, so the public URL (OAuth redirect, sandbox links) is the real address.
        let port = crate::support::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut env: Vec<(&'static str, String)> = vec![
            ("SELLCAST_DATA_DIR", dir.path().join("sellcast-data").display().to_string()),
            ("SELLCAST_BIND", format!("127.0.0.1:{port}")),
            ("SELLCAST_PUBLIC_URL", base.clone()),
            ("SELLCAST_PLATFORM_ALLOW_HTTP", "true".into()),
            ("SELLCAST_PUBLISH_CONCURRENCY", "50".into()),
            ("SELLCAST_BLUESKY_SERVER", bluesky.url()),
            // 1,000 posts are created in seconds by one user from one address.
            ("SELLCAST_RATE_LIMIT_IP_PER_MINUTE", "0".into()),
            ("SELLCAST_RATE_LIMIT_USER_PER_MINUTE", "0".into()),
            ("SELLCAST_SHUTDOWN_GRACE_SECS", "5".into()),
            // The killed worker's claims run out after 15 s rather than the default minute.
            ("SELLCAST_JOB_LEASE_SECS", "15".into()),
        ];
        if let Some(url) = crate::support::database(backend == Backend::Postgres).await {
            env.push(("SELLCAST_DATABASE_URL", url));
        }
        let args: &[&str] = match workers {
            Workers::InServe => &["serve"],
            Workers::Separate => &["serve", "--no-workers"],
        };
        let server = Server::start_with_args(dir.path(), &env, args);
        assert_eq!(server.base, base, "the server listens where its public URL says");
        let worker = (workers == Workers::Separate).then(|| Background::worker(dir.path(), &env));
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut world = World {
            backend,
            dir,
            env,
            server,
            worker: Mutex::new(worker),
            killed: Mutex::new(Vec::new()),
            http,
            token: String::new(),
            org: String::new(),
            channels: Channels { sandbox: String::new(), mastodon: String::new(), bluesky: String::new() },
            mastodon,
            mastodon_state,
            bluesky,
            bluesky_state,
        };
        world.register().await;
        world.channels = world.connect_channels().await;
        world
    }

    /// A call to the API with the owner's token; (status, JSON body or Null).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.server.base) };
        let mut req = self.http.request(method.clone(), &url);
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub fn org_path(&self, rest: &str) -> String {
        format!("/api/v1/orgs/{}{rest}", self.org)
    }

    async fn register(&mut self) {
        let body = crate::support::register_body("owner@example.com", PASSWORD, "Exactly Once Ltd");
        let (s, reg) = self.post("/api/v1/auth/register", body).await;
        assert_eq!(s, StatusCode::CREATED, "{reg}");
        self.token = reg["access_token"].as_str().expect("access_token").to_string();
        self.org = reg["organization"]["id"].as_str().expect("organization id").to_string();
    }

    async fn connect_channels(&self) -> Channels {
        let connect = self.org_path("/channels/connect");
        let (s, sandbox) = self.post(&connect, json!({"platform": "sandbox", "name": "E2E sandbox"})).await;
        assert_eq!(s, StatusCode::CREATED, "sandbox: {sandbox}");
        let bluesky_body = json!({
            "platform": "bluesky",
            "server_url": self.bluesky.url(),
            "identifier": bluesky::HANDLE,
            "app_password": bluesky::APP_PASSWORD,
        });
        let (s, bsky) = self.post(&connect, bluesky_body).await;
        assert_eq!(s, StatusCode::CREATED, "bluesky: {bsky}");
        assert_eq!(bsky["channels"][0]["account_id"], bluesky::DID, "{bsky}");
        Channels {
            sandbox: channel_id(&sandbox["channels"][0]),
            mastodon: self.connect_mastodon().await,
            bluesky: channel_id(&bsky["channels"][0]),
        }
    }

    /// Mastodon through OAuth as a browser would: the authorize URL, the instance's consent
    /// page (the fake approves at once and redirects), then Sellcast's callback.
    async fn connect_mastodon(&self) -> String {
        let (s, started) = self
            .post(
                &self.org_path("/channels/connect"),
                json!({"platform": "mastodon", "server_url": self.mastodon.url()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "mastodon connect: {started}");
        let authorize_url = started["authorize_url"].as_str().expect("authorize_url");
        assert!(authorize_url.starts_with(&format!("{}/oauth/authorize?", self.mastodon.url())), "{authorize_url}");
        let consent = self.http.get(authorize_url).send().await.expect("the fake's authorize page");
        assert_eq!(consent.status(), StatusCode::FOUND, "the instance redirects back with a code");
        let location = consent.headers()["location"].to_str().expect("location").to_string();
        let callback = format!("{}/api/v1/oauth/mastodon/callback?", self.server.base);
        assert!(location.starts_with(&callback), "redirected to {location}");
        // The callback is authenticated by its single-use state, not by a bearer token.
        let res = self.http.get(&location).send().await.expect("callback");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::OK, "mastodon callback: {body}");
        assert_eq!(body["org_id"], self.org.as_str());
        assert_eq!(body["channels"][0]["account_id"], mastodon::ACCOUNT_ID, "{body}");
        channel_id(&body["channels"][0])
    }

    /// The last warnings and errors of the server and the workers, for failure messages.
    pub fn logs(&self, lines: usize) -> String {
        let mut out = format!("--- server log ---\n{}", warnings(&self.server.log, lines));
        for (i, w) in self.killed.lock().unwrap().iter().enumerate() {
            out.push_str(&format!("\n--- killed worker {} log ---\n{}", i + 1, warnings(&w.log, lines)));
        }
        if let Some(w) = self.worker.lock().unwrap().as_ref() {
            out.push_str(&format!("\n--- worker log ---\n{}", warnings(&w.log, lines)));
        }
        out
    }

    /// `kill -9` the worker process.
    pub fn kill_worker(&self) -> std::process::ExitStatus {
        let mut worker = self.worker.lock().unwrap().take().expect("a worker is running");
        let status = worker.kill9();
        self.killed.lock().unwrap().push(worker);
        status
    }

    /// Start a (new) worker process on the same data directory and database.
    pub fn start_worker(&self) {
        // Starting waits for the process's "running" line: off the async threads.
        let worker = tokio::task::block_in_place(|| Background::worker(self.dir.path(), &self.env));
        *self.worker.lock().unwrap() = Some(worker);
    }

    /// Where the SQLite database lives (None on PostgreSQL).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        (self.backend == Backend::Sqlite).then(|| self.dir.path().join("sellcast-data").join("sellcast.db"))
    }

    pub fn database_url(&self) -> Option<&str> {
        self.env.iter().find(|(k, _)| *k == "SELLCAST_DATABASE_URL").map(|(_, v)| v.as_str())
    }
}

/// The last `n` WARN and ERROR lines of a log (request lines would drown them).
fn warnings(log: &std::path::Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let picked: Vec<&str> = text.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).collect();
    crate::support::tail(&picked.join("\n"), n)
}

fn channel_id(channel: &Value) -> String {
    channel["id"].as_str().unwrap_or_else(|| panic!("no channel id in {channel}")).to_string()
}
