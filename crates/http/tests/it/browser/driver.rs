//! Real-browser support: Debian's Chromium driven by chromedriver over WebDriver (fantoccini),
//! one fresh profile per session, explicit waits, screenshots, and the axe-core check.
//! Chromium and chromedriver are installed by CI (.ci/lib.sh `ensure_browser`); when they are
//! missing the tests fail with a message saying how to install them.

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How long any one wait may take before the test fails (pages render in milliseconds).
pub const WAIT: Duration = Duration::from_secs(20);

fn tool(env: &str, default: &str) -> PathBuf {
    let path = PathBuf::from(std::env::var(env).unwrap_or_else(|_| default.into()));
    assert!(
        path.exists(),
        "{} not found: the browser tests need Debian's Chromium and chromedriver \
         (`apt-get install -y --no-install-recommends chromium chromium-driver`; CI installs them in \
         .ci/lib.sh), or set {env}",
        path.display()
    );
    path
}

/// axe-core's browser build, installed by `npm ci --prefix .ci/axe`.
fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; install axe-core with `npm ci --prefix .ci/axe` (CI does it in .ci/lib.sh)", path.display())
    })
}

/// `target/screenshots`, next to the test binaries.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap_or(Path::new(".")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// A running chromedriver on a free port; shut down with its browsers when dropped.
pub struct Driver {
    url: String,
    chromium: PathBuf,
    process: Child,
}

impl Driver {
    pub async fn start() -> Driver {
        let chromium = tool("SELLCAST_TEST_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = tool("SELLCAST_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let process = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = http.get(format!("{url}/status")).send().await.ok().filter(|r| r.status().is_success());
            if let Some(r) = ready {
                if r.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready on port {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Driver { url, chromium, process }
    }

    /// A new headless browser with its own empty profile, at desktop size, light theme.
    pub async fn session(&self, base: &str) -> Session {
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--window-size=1280,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": self.chromium.display().to_string(), "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session through chromedriver");
        let session = Session { client, base: base.to_string(), _profile: profile };
        session.client.set_window_size(1280, 900).await.expect("window size");
        let hook = json!({ "source": STREAM_HOOK });
        session.cdp("Page.addScriptToEvaluateOnNewDocument", hook).await.expect("install the event-stream hook");
        session
    }
}

/// Runs before any page script: keeps the page's EventSources in `window.__sellcastStreams`, so
/// a test can wait until the live stream is connected before it makes something happen.
const STREAM_HOOK: &str = "(() => {
  const Original = window.EventSource;
  if (!Original) return;
  window.__sellcastStreams = [];
  function Hooked(url, options) {
    const es = new Original(url, options);
    window.__sellcastStreams.push(es);
    return es;
  }
  Hooked.prototype = Original.prototype;
  Object.assign(Hooked, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
  window.EventSource = Hooked;
})();";

impl Drop for Driver {
    /// Also when a test fails midway: chromedriver's `/shutdown` quits every browser it started
    /// (killing chromedriver alone would leave them running), then it exits.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://").to_string();
        if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
            let _ = stream.set_read_timeout(Some(WAIT));
            let _ = write!(stream, "GET /shutdown HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + WAIT;
        while matches!(self.process.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A chromedriver extension: run a DevTools command in the session's page.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// Screen size and colour scheme a page is looked at in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    pub phone: bool,
    pub dark: bool,
}

impl Look {
    pub const ALL: [Look; 4] = [
        Look { phone: false, dark: false },
        Look { phone: false, dark: true },
        Look { phone: true, dark: false },
        Look { phone: true, dark: true },
    ];

    pub fn suffix(&self) -> String {
        format!("{}-{}", if self.phone { "phone" } else { "desktop" }, if self.dark { "dark" } else { "light" })
    }
}

/// One axe-core rule broken on a page.
#[derive(Debug)]
pub struct Violation {
    pub rule: String,
    pub impact: String,
    pub help: String,
    pub nodes: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "[{}] {}: {}", self.impact, self.rule, self.help)?;
        for n in &self.nodes {
            writeln!(f, "      {n}")?;
        }
        Ok(())
    }
}

pub struct Session {
    pub client: Client,
    pub base: String,
    _profile: tempfile::TempDir,
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// Open a page and wait until it has loaded.
    pub async fn goto(&self, path: &str) {
        self.client.goto(&self.url(path)).await.unwrap_or_else(|e| panic!("open {path}: {e}"));
        self.wait_loaded().await;
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.expect("current url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    async fn wait_loaded(&self) {
        self.until("the page to load", || async {
            self.client.execute("return document.readyState === 'complete'", vec![]).await.ok() == Some(json!(true))
        })
        .await;
    }

    /// Poll `check` (every 50 ms) until it holds; fail the test after `WAIT`.
    pub async fn until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        self.until_for(what, WAIT, &mut check).await
    }

    pub async fn until_for<F, Fut>(&self, what: &str, limit: Duration, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + limit;
        while !check().await {
            if Instant::now() > deadline {
                let path = self.path().await;
                panic!("timed out after {limit:?} waiting for {what} (on {path})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait for an element matching `css` to be on the page.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} on {}: {e}", self.url("")))
    }

    /// Whether an element matching `css` is on the page right now.
    pub async fn has(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.expect("find_all").is_empty()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// Replace the value of the field matching `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
        el.send_keys(value).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Set a field's value directly (date/time inputs, whose typing depends on the locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        let script = "arguments[0].value = arguments[1]; \
                      arguments[0].dispatchEvent(new Event('input', {bubbles: true})); \
                      arguments[0].dispatchEvent(new Event('change', {bubbles: true}));";
        let el = serde_json::to_value(el).expect("element ref");
        self.js(script, vec![el, json!(value)]).await;
    }

    /// Click something that loads a new page (a link or a submit button) and wait for it.
    pub async fn click_and_load(&self, css: &str) {
        let el = self.find(css).await;
        self.js("window.__sellcastOld = true", vec![]).await;
        el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
        self.until("the next page", || async {
            let r = self.client.execute("return !window.__sellcastOld && document.readyState === 'complete'", vec![]);
            r.await.ok() == Some(json!(true))
        })
        .await;
    }

    /// Click a submit button guarded by `data-confirm`, accept the dialog, wait for the next page.
    pub async fn click_confirm_and_load(&self, css: &str) {
        let el = self.find(css).await;
        self.js("window.__sellcastOld = true", vec![]).await;
        el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
        self.until("the confirmation dialog", || async { self.client.get_alert_text().await.is_ok() }).await;
        self.client.accept_alert().await.expect("accept the dialog");
        self.until("the next page", || async {
            let r = self.client.execute("return !window.__sellcastOld && document.readyState === 'complete'", vec![]);
            r.await.ok() == Some(json!(true))
        })
        .await;
    }

    /// Wait until the page's live event stream is connected (see `STREAM_HOOK`).
    pub async fn wait_stream_open(&self) {
        let open = "const s = window.__sellcastStreams || []; \
                    return s.length > 0 && s.every((e) => e.readyState === 1);";
        self.until("the live event stream to connect", || async {
            self.client.execute(open, vec![]).await.ok() == Some(json!(true))
        })
        .await;
    }

    /// Wait until the browser has rendered the current state (two animation frames, fonts).
    pub async fn settle(&self) {
        let script = "const done = arguments[arguments.length - 1]; \
            document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));";
        self.client.execute_async(script, vec![]).await.expect("the page renders");
    }

    /// Run a DevTools command (a chromedriver extension endpoint).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value, CmdError> {
        self.client.issue_cmd(Cdp { cmd: cmd.into(), params }).await
    }

    /// Emulate the screen size and the system colour scheme for the pages that follow.
    pub async fn look(&self, look: Look) {
        let scheme = if look.dark { "dark" } else { "light" };
        let media = json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
        self.cdp("Emulation.setEmulatedMedia", media).await.expect("emulate colour scheme");
        self.screen(look, None).await;
    }

    async fn screen(&self, look: Look, height: Option<u64>) {
        let (w, h, mobile) = if look.phone { (390, 844, true) } else { (1280, 900, false) };
        let metrics = json!({ "width": w, "height": height.unwrap_or(h), "deviceScaleFactor": 1, "mobile": mobile });
        self.cdp("Emulation.setDeviceMetricsOverride", metrics).await.expect("emulate screen size");
    }

    /// A full-page PNG in `target/screenshots/<name>-<look>.png`. The screen is made as tall as
    /// the page for the shot, so the frame (full-height sidebar) looks as it does when scrolling.
    pub async fn screenshot(&self, name: &str, look: Look) -> PathBuf {
        let height = self.js("return document.documentElement.scrollHeight", vec![]).await.as_u64();
        self.screen(look, height).await;
        self.settle().await;
        let shot = self.cdp("Page.captureScreenshot", json!({ "format": "png" })).await.expect("screenshot");
        self.screen(look, None).await;
        let data = shot["data"].as_str().expect("screenshot data");
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).expect("base64 PNG");
        let path = screenshot_dir().join(format!("{name}-{}.png", look.suffix()));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Run axe-core on the current page; the serious and critical violations.
    pub async fn axe(&self) -> Vec<Violation> {
        let loaded = "return typeof window.axe === 'object'";
        if self.js(loaded, vec![]).await != json!(true) {
            // WebDriver scripts are not subject to the page's CSP, so this works under script-src 'self'.
            self.js(&format!("{}\n;return true;", axe_source()), vec![]).await;
        }
        let run = "const done = arguments[arguments.length - 1];\
            axe.run(document, { resultTypes: ['violations'] })\
              .then((r) => done(JSON.stringify(r.violations)), (e) => done('error: ' + e));";
        let out = self.client.execute_async(run, vec![]).await.expect("axe.run");
        let text = out.as_str().unwrap_or_default();
        let found: Vec<Value> =
            serde_json::from_str(text).unwrap_or_else(|_| panic!("axe.run did not answer violations: {text}"));
        found
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| Violation {
                rule: v["id"].as_str().unwrap_or_default().into(),
                impact: v["impact"].as_str().unwrap_or_default().into(),
                help: v["help"].as_str().unwrap_or_default().into(),
                nodes: v["nodes"]
                    .as_array()
                    .map(|nodes| {
                        nodes
                            .iter()
                            .map(|n| {
                                let summary = n["failureSummary"].as_str().unwrap_or_default().replace('\n', " ");
                                format!("{} {} — {summary}", n["target"], n["html"].as_str().unwrap_or_default())
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }
}
