//! A real Bluesky PDS (@atproto/pds, with a local PLC directory) for tests: `.ci/pds/start.js`
//! run with node on fresh temporary directories and free ports, killed when dropped.
//!
//! Needs `npm ci --prefix .ci/pds` first. Starting fails loudly (never skips) when node or the
//! packages are missing, so a CI that forgot the install step goes red.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, ChildStdin, Command};

const READY_PREFIX: &str = "SELLCAST_PDS_READY ";
const START_TIMEOUT: Duration = Duration::from_secs(90);
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// A running PDS. Dropping it kills node and removes its data.
pub struct Pds {
    /// `http://localhost:<port>`: the PDS's public URL (handles end in `.test`).
    pub url: String,
    pub plc_url: String,
    http: reqwest::Client,
    child: Child,
    /// start.js exits when its stdin closes, so node cannot outlive a crashed test.
    _stdin: Option<ChildStdin>,
    _dir: tempfile::TempDir,
}

/// An account created on the PDS.
#[derive(Debug, Clone)]
pub struct PdsAccount {
    pub did: String,
    pub handle: String,
    pub access_jwt: String,
}

/// The repository's `.ci/pds` directory.
pub fn pds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.ci/pds")
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("finding a free port: {e}"))
}

/// Collect a pipe's lines in the background (so node never blocks on a full pipe).
fn drain(pipe: impl AsyncRead + Unpin + Send + 'static, sink: std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
            if s.len() < 200 {
                s.push(line);
            }
        }
    });
}

impl Pds {
    /// Start PLC + PDS and wait until the PDS answers. Err explains what is missing.
    pub async fn start() -> Result<Pds, String> {
        let dir = pds_dir();
        let script = dir.join("start.js");
        if !dir.join("node_modules/@atproto/pds").is_dir() {
            return Err(format!(
                "the PDS packages are not installed: run `npm ci --prefix {}` (see .ci/pds/package.json)",
                dir.display()
            ));
        }
        let data = tempfile::tempdir().map_err(|e| format!("creating the PDS data directory: {e}"))?;
        let (plc_port, pds_port) = (free_port()?, free_port()?);
        let node = std::env::var("SELLCAST_TEST_NODE").unwrap_or_else(|_| "node".into());
        let mut child = Command::new(&node)
            .arg(&script)
            .arg(data.path())
            .arg(plc_port.to_string())
            .arg(pds_port.to_string())
            .current_dir(&dir)
            .env("LOG_ENABLED", "false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting `{node} {}`: {e} (is Node.js 20 installed?)", script.display()))?;
        let stdin = child.stdin.take();
        let stderr_lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            drain(stderr, stderr_lines.clone());
        }
        let stdout = child.stdout.take().ok_or("node's stdout was not captured")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix(READY_PREFIX) {
                    return Some(rest.to_string());
                }
            }
            None
        })
        .await;
        let stderr_text = || stderr_lines.lock().map(|l| l.join("\n")).unwrap_or_default();
        let ready = match ready {
            Ok(Some(line)) => line,
            Ok(None) => return Err(format!("the PDS exited before it was ready:\n{}", stderr_text())),
            Err(_) => return Err(format!("the PDS was not ready within {START_TIMEOUT:?}:\n{}", stderr_text())),
        };
        drain(lines.into_inner().into_inner(), std::sync::Arc::new(std::sync::Mutex::new(Vec::new())));
        let field = |name: &str| {
            ready
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix(name))
                .map(str::to_string)
                .ok_or(format!("bad ready line: {ready}"))
        };
        let http = reqwest::Client::builder().timeout(CALL_TIMEOUT).build().map_err(|e| e.to_string())?;
        Ok(Pds { url: field("pds=")?, plc_url: field("plc=")?, http, child, _stdin: stdin, _dir: data })
    }

    async fn xrpc_post(&self, nsid: &str, bearer: Option<&str>, body: &Value) -> Result<Value, String> {
        let mut req = self.http.post(format!("{}/xrpc/{nsid}", self.url)).json(body);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.map_err(|e| format!("{nsid}: {e}"))?;
        let status = resp.status();
        let answer: Value = resp.json().await.map_err(|e| format!("{nsid}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{nsid} answered {status}: {answer}"));
        }
        Ok(answer)
    }

    /// `com.atproto.server.createAccount` (no invite needed on this PDS).
    pub async fn create_account(&self, handle: &str, email: &str, password: &str) -> Result<PdsAccount, String> {
        let body = json!({ "handle": handle, "email": email, "password": password });
        let answer = self.xrpc_post("com.atproto.server.createAccount", None, &body).await?;
        let get =
            |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_string).ok_or(format!("createAccount: no {k}"));
        Ok(PdsAccount { did: get("did")?, handle: get("handle")?, access_jwt: get("accessJwt")? })
    }

    /// `com.atproto.server.createAppPassword`: the app password's secret.
    pub async fn create_app_password(&self, account: &PdsAccount, name: &str) -> Result<String, String> {
        let answer = self
            .xrpc_post("com.atproto.server.createAppPassword", Some(&account.access_jwt), &json!({ "name": name }))
            .await?;
        answer
            .get("password")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or("createAppPassword: no password".into())
    }

    /// `com.atproto.repo.getRecord`: Ok(None) when the PDS says RecordNotFound.
    pub async fn get_record(&self, did: &str, collection: &str, rkey: &str) -> Result<Option<Value>, String> {
        let resp = self
            .http
            .get(format!("{}/xrpc/com.atproto.repo.getRecord", self.url))
            .query(&[("repo", did), ("collection", collection), ("rkey", rkey)])
            .send()
            .await
            .map_err(|e| format!("getRecord: {e}"))?;
        let status = resp.status();
        let answer: Value = resp.json().await.map_err(|e| format!("getRecord: {e}"))?;
        match (status.is_success(), answer.get("error").and_then(Value::as_str)) {
            (true, _) => Ok(Some(answer)),
            (false, Some("RecordNotFound")) => Ok(None),
            _ => Err(format!("getRecord answered {status}: {answer}")),
        }
    }

    /// `com.atproto.sync.getBlob`: the stored bytes.
    pub async fn get_blob(&self, did: &str, cid: &str) -> Result<Vec<u8>, String> {
        let resp = self
            .http
            .get(format!("{}/xrpc/com.atproto.sync.getBlob", self.url))
            .query(&[("did", did), ("cid", cid)])
            .send()
            .await
            .map_err(|e| format!("getBlob: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("getBlob answered {}", resp.status()));
        }
        resp.bytes().await.map(|b| b.to_vec()).map_err(|e| format!("getBlob: {e}"))
    }
}

impl Drop for Pds {
    fn drop(&mut self) {
        // kill_on_drop covers the rest; this makes it immediate.
        let _ = self.child.start_kill();
    }
}

/// A valid PNG of `width`×`height` RGB pixels from `pixel(x, y)`: stored (uncompressed)
/// deflate blocks, CRC-32 and Adler-32 computed here, so tests need no image assets.
pub fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn png_has_the_right_structure() {
        let png = super::png(2, 2, |x, y| [x as u8 * 255, y as u8 * 255, 0]);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        // CRC-32 of "IEND" with no data is the well-known AE 42 60 82.
        assert_eq!(&png[png.len() - 4..], &[0xae, 0x42, 0x60, 0x82]);
    }
}
