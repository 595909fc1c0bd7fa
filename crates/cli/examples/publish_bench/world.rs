//! The world of one benchmark run: a fresh database, the two fakes, the app, an owner with a
//! Mastodon and a Bluesky channel, and the posts (created and scheduled through the app layer).

use crate::{Backend, BoxResult, Opts};
use chrono::{DateTime, Utc};
use sellcast_app::accounts::{self, RegisterInput};
use sellcast_app::channels::connect::{self, Callback, ConnectInput, Started};
use sellcast_app::posts::{self, schedule, PostInput, VariantInput};
use sellcast_app::{Actor, App, Config, RequestMeta};
use sellcast_domain::Platform;
use sellcast_fakes::bluesky::{self, BlueskyState};
use sellcast_fakes::mastodon::{self, MastodonState};
use sellcast_fakes::FakeServer;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A database made for this run: a data directory (always) and, on PostgreSQL, a schema
/// that is dropped afterwards.
pub struct FreshStore {
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
    /// (server URL, schema)
    schema: Option<(String, String)>,
    /// PostgreSQL `application_name` of the app's connections.
    pub app_name: Option<String>,
}

impl FreshStore {
    pub async fn new(opts: &Opts) -> BoxResult<FreshStore> {
        let dir = tempfile::tempdir()?;
        if opts.backend == Backend::Sqlite {
            return Ok(FreshStore { dir, database_url: None, schema: None, app_name: None });
        }
        use sqlx::Connection;
        let base = opts.database_url.clone();
        let mut conn = sqlx::PgConnection::connect(&base).await?;
        let name = format!("sellcast_pubbench_{}_{}", std::process::id(), Utc::now().timestamp_millis());
        sqlx::query(&format!("CREATE SCHEMA \"{name}\"")).execute(&mut conn).await?;
        conn.close().await?;
        let sep = if base.contains('?') { '&' } else { '?' };
        // Names this run's connections, so their backends' CPU time can be read.
        let app_name = name.clone();
        Ok(FreshStore {
            dir,
            database_url: Some(format!("{base}{sep}options[search_path]={name}&application_name={app_name}")),
            schema: Some((base, name)),
            app_name: Some(app_name),
        })
    }

    /// PostgreSQL's counters for this run's tables (scans, rows read, updates), read after
    /// the app's connections are closed (a backend reports its counters when it exits).
    pub async fn table_stats(&self) -> Option<serde_json::Value> {
        use sqlx::Connection;
        let (base, name) = self.schema.as_ref()?;
        let mut conn = sqlx::PgConnection::connect(base).await.ok()?;
        let sql = "SELECT relname::text, seq_scan, seq_tup_read, COALESCE(idx_scan, 0), n_tup_ins, n_tup_upd, \
                   n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = $1 AND n_tup_ins > 0 ORDER BY relname";
        let rows = sqlx::query_as::<_, (String, i64, i64, i64, i64, i64, i64)>(sql)
            .bind(name)
            .fetch_all(&mut conn)
            .await
            .map_err(|e| log!("reading table statistics failed: {e}"))
            .ok()?;
        let tables = rows.into_iter().map(|(t, seq, seq_read, idx, ins, upd, hot)| {
            let counters = serde_json::json!({"seq_scan": seq, "seq_tup_read": seq_read, "idx_scan": idx,
                "n_tup_ins": ins, "n_tup_upd": upd, "n_tup_hot_upd": hot});
            (t, counters)
        });
        Some(serde_json::Value::Object(tables.collect()))
    }

    pub async fn remove(self) {
        if let Some((base, name)) = &self.schema {
            use sqlx::Connection;
            match sqlx::PgConnection::connect(base).await {
                Ok(mut conn) => {
                    if let Err(e) = sqlx::query(&format!("DROP SCHEMA \"{name}\" CASCADE")).execute(&mut conn).await {
                        log!("dropping schema {name} failed: {e}");
                    }
                }
                Err(e) => log!("connecting to drop schema {name} failed: {e}"),
            }
        }
    }
}

pub struct Fakes {
    pub mastodon: FakeServer,
    pub mastodon_state: MastodonState,
    pub bluesky: FakeServer,
    pub bluesky_state: BlueskyState,
}

impl Fakes {
    pub async fn start(latency: Duration) -> Fakes {
        let (mastodon, mastodon_state) = mastodon::start().await;
        let (bluesky, bluesky_state) = bluesky::start().await;
        mastodon.faults.set_latency(latency);
        bluesky.faults.set_latency(latency);
        Fakes { mastodon, mastodon_state, bluesky, bluesky_state }
    }

    pub fn count(&self) -> usize {
        self.mastodon_state.count() + self.bluesky_state.count()
    }
}

/// The owner and the two channels their posts go to.
#[derive(Clone)]
pub struct Owner {
    pub actor: Actor,
    pub org_id: String,
    pub channels: [String; 2],
}

pub async fn open_app(opts: &Opts, store: &FreshStore, fakes: &Fakes) -> BoxResult<Arc<App>> {
    let config = Config {
        data_dir: store.dir.path().join("data"),
        database_url: store.database_url.clone(),
        database_max_connections: opts.pool,
        platform_allow_http: true,
        publish_concurrency: opts.concurrency,
        bluesky_server: fakes.bluesky.url(),
        log_level: "warn".into(),
        ..Config::default()
    };
    config.validate()?;
    Ok(App::open(config).await?)
}

/// Register an owner and connect both channels through the app layer, as the API does.
pub async fn set_up_owner(app: &App, fakes: &Fakes) -> BoxResult<Owner> {
    let meta = RequestMeta::default();
    let registered = accounts::register(
        app,
        &meta,
        RegisterInput {
            email: "bench@example.com".into(),
            password: "Publishing-Bench-Pass-42".into(),
            name: "Bench Owner".into(),
            organization_name: Some("Publishing Bench".into()),
            invite_token: None,
        },
    )
    .await?;
    let actor = Actor::of(&registered.user.id, &meta);
    let org_id = registered.organization.id.clone();

    let bluesky_input = ConnectInput {
        platform: Some(Platform::Bluesky),
        server_url: Some(fakes.bluesky.url()),
        identifier: Some(bluesky::HANDLE.into()),
        app_password: Some(bluesky::APP_PASSWORD.into()),
        ..Default::default()
    };
    let bluesky_channel = match connect::start(app, &actor, &org_id, bluesky_input, None).await? {
        Started::Connected(rows) => rows.first().map(|r| r.id.clone()).ok_or("Bluesky connected no channel")?,
        Started::Authorize { .. } => return Err("Bluesky asked for OAuth instead of an app password".into()),
    };

    let mastodon_input = ConnectInput {
        platform: Some(Platform::Mastodon),
        server_url: Some(fakes.mastodon.url()),
        ..Default::default()
    };
    let authorize_url = match connect::start(app, &actor, &org_id, mastodon_input, None).await? {
        Started::Authorize { authorize_url, .. } => authorize_url,
        Started::Connected(_) => return Err("Mastodon connected without OAuth".into()),
    };
    // The fake's consent page approves at once and redirects back with code and state.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let consent = http.get(&authorize_url).send().await?;
    let location = consent
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| format!("the fake's consent page answered {} without a redirect", consent.status()))?;
    let back = reqwest::Url::parse(location)?;
    let param = |k: &str| back.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let callback = Callback { code: param("code"), state: param("state"), ..Default::default() };
    // The first element is where a web page wants the user sent back: none here.
    let (_, finished) = connect::finish(app, Platform::Mastodon, callback, &meta).await;
    let finished = finished?;
    let mastodon_channel = finished.channels.first().map(|r| r.id.clone()).ok_or("Mastodon connected no channel")?;
    Ok(Owner { actor, org_id, channels: [mastodon_channel, bluesky_channel] })
}

/// Run `work(i)` for i in 0..n from `tasks` parallel tasks; fails on the first error.
pub async fn in_parallel<F, Fut, T>(n: usize, tasks: usize, work: F) -> BoxResult<Vec<T>>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = BoxResult<T>> + Send + 'static,
    T: Send + 'static,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (work, next) = (work.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return BoxResult::Ok(out);
                }
                out.push((i, work(i).await?));
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for h in handles {
        all.extend(h.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
}

/// N drafts, one variant each, alternating between the channels, each with its own text.
pub async fn create_drafts(app: &Arc<App>, owner: &Owner, n: usize, tasks: usize, run: &str) -> BoxResult<Vec<String>> {
    let (app, owner, run) = (app.clone(), owner.clone(), run.to_string());
    in_parallel(n, tasks, move |i| {
        let (app, owner, run) = (app.clone(), owner.clone(), run.clone());
        async move {
            let input = PostInput {
                text: Some(format!("Publishing benchmark {run}: post {i} of the run")),
                variants: Some(vec![VariantInput { channel_id: owner.channels[i % 2].clone(), ..Default::default() }]),
                ..Default::default()
            };
            let view = posts::create(&app, &owner.actor, &owner.org_id, input).await?;
            Ok(view.post.id)
        }
    })
    .await
}

/// Post i due at `t + i × spread / n`: evenly over [t, t + spread) (all at t when spread is 0).
pub async fn schedule_all(
    app: &Arc<App>,
    owner: &Owner,
    ids: Vec<String>,
    t: DateTime<Utc>,
    spread_secs: f64,
    tasks: usize,
) -> BoxResult<()> {
    let (app, owner, ids) = (app.clone(), owner.clone(), Arc::new(ids));
    let n = ids.len();
    in_parallel(n, tasks, move |i| {
        let (app, owner, ids) = (app.clone(), owner.clone(), ids.clone());
        let offset = chrono::Duration::microseconds((spread_secs * 1e6 * i as f64 / n as f64) as i64);
        async move {
            schedule::schedule(&app, &owner.actor, &owner.org_id, &ids[i], t + offset).await?;
            Ok(())
        }
    })
    .await?;
    Ok(())
}
