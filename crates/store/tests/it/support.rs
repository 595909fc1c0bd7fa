//! Fixtures for the store's own tests: a fresh migrated database per backend, and the few
//! rows (org, channels, posts, variants) the statements under test need, written through the
//! store's own insert functions.
#![allow(dead_code)]

use chrono::{DateTime, SubsecRound, Utc};
use sellcast_domain::{ChannelStatus, MediaStatus, PostStatus, Role, VariantStatus};
use sellcast_store::channels::{self, ChannelRow};
use sellcast_store::media::{self, MediaRow};
use sellcast_store::posts::{self, PostRow, VariantRow};
use sellcast_store::users::{self, UserRow};
use sellcast_store::{orgs, Db, DbOptions};
use serde::Serialize;

pub use sellcast_testkit::{drop_pg_schema, fresh_pg_schema, on_both_backends, postgres_url_in, Backend};

/// A migrated database of one backend: a SQLite file in a temp dir, or a PostgreSQL schema
/// of its own.
pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    /// The URL `db` was opened with (a second connection, e.g. a LISTEN, uses it too).
    pub url: String,
    _dir: tempfile::TempDir,
    schema: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, schema) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("store.db").display()), None),
            Backend::Postgres => {
                let name = fresh_pg_schema().await;
                (postgres_url_in(&name), Some(name))
            }
        };
        let db = Db::connect(&DbOptions { url: url.clone(), max_connections: 8 }).await.expect("connect");
        db.migrate().await.expect("migrate");
        TestDb { db, backend, url, _dir: dir, schema }
    }

    /// Close the pools and drop the PostgreSQL schema (the SQLite file goes with the temp dir).
    /// Closing waits for every connection taken from the pools: drop them first.
    pub async fn drop_schema(self) {
        self.db.close().await;
        if let Some(s) = self.schema {
            drop_pg_schema(&s).await;
        }
    }
}

/// Now, to the microsecond: what PostgreSQL keeps of a timestamp, so a time written and read
/// back compares equal on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A row as JSON, to compare whole rows (the row types have no `PartialEq`).
pub fn json<T: Serialize>(row: &T) -> serde_json::Value {
    serde_json::to_value(row).expect("a row serializes")
}

/// A user with a unique email (not yet written).
pub fn user_row() -> UserRow {
    let t = now();
    UserRow {
        id: new_id(),
        email: format!("{}@store.test", new_id()),
        name: "Someone".into(),
        password_hash: "not a hash".into(),
        timezone: "UTC".into(),
        is_instance_admin: false,
        totp_secret: None,
        totp_enabled: false,
        created_at: t,
        updated_at: t,
    }
}

/// A user, written; their id.
pub async fn user(db: &Db) -> String {
    let row = user_row();
    let mut tx = db.begin().await.expect("begin");
    users::insert(tx.conn(), &row).await.expect("insert user");
    tx.commit().await.expect("commit");
    row.id
}

/// An organization and its owner.
pub struct Org {
    pub id: String,
    pub owner_id: String,
}

pub async fn org(db: &Db) -> Org {
    let t = now();
    let owner_id = user(db).await;
    let org = orgs::OrgRow { id: new_id(), name: "Store test".into(), created_at: t, updated_at: t };
    let mut tx = db.begin().await.expect("begin");
    orgs::insert(tx.conn(), &org).await.expect("insert org");
    orgs::add_member(tx.conn(), &org.id, &owner_id, Role::Owner, t).await.expect("add member");
    tx.commit().await.expect("commit");
    Org { id: org.id, owner_id }
}

/// A new user who is a member of the org with this role; their id.
pub async fn member(db: &Db, org_id: &str, role: Role) -> String {
    let id = user(db).await;
    let mut tx = db.begin().await.expect("begin");
    orgs::add_member(tx.conn(), org_id, &id, role, now()).await.expect("add member");
    tx.commit().await.expect("commit");
    id
}

/// An active sandbox channel of the org for account `account` (not yet written).
pub fn channel_row(org_id: &str, account: usize) -> ChannelRow {
    let t = now();
    ChannelRow {
        id: new_id(),
        org_id: org_id.into(),
        client_id: None,
        platform: "sandbox".into(),
        account_id: format!("account-{account}"),
        server_url: String::new(),
        handle: format!("shop{account}"),
        display_name: None,
        avatar_url: None,
        profile_url: None,
        status: ChannelStatus::Active,
        credentials: "{}".into(),
        key_id: "k1".into(),
        token_expires_at: None,
        token_issued_at: None,
        last_refresh_at: None,
        last_error: None,
        connected_by: None,
        created_at: t,
        updated_at: t,
    }
}

/// `n` sandbox channels of the org, written; their ids.
pub async fn channels(db: &Db, org_id: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    let mut tx = db.begin().await.expect("begin");
    for i in 0..n {
        let row = channel_row(org_id, i);
        channels::insert(tx.conn(), &row).await.expect("insert channel");
        ids.push(row.id);
    }
    tx.commit().await.expect("commit");
    ids
}

/// A scheduled post of the org (not yet written).
pub fn post_row(org_id: &str) -> PostRow {
    let t = now();
    PostRow {
        id: new_id(),
        org_id: org_id.into(),
        client_id: None,
        author_id: None,
        text: "Store test post".into(),
        search_text: "store test post".into(),
        tags: Vec::new(),
        campaign: None,
        status: PostStatus::Scheduled,
        scheduled_at: Some(t + chrono::Duration::days(1)),
        published_at: None,
        created_at: t,
        updated_at: t,
    }
}

/// A scheduled variant of `post` to `channel_id` (not yet written).
pub fn variant_row(post: &PostRow, channel_id: &str) -> VariantRow {
    let t = now();
    VariantRow {
        id: new_id(),
        post_id: post.id.clone(),
        org_id: post.org_id.clone(),
        channel_id: channel_id.into(),
        text: None,
        media_ids: None,
        first_comment: None,
        options: serde_json::json!({}),
        status: VariantStatus::Scheduled,
        platform_post_id: None,
        platform_url: None,
        error: None,
        attempts: 0,
        first_attempt_at: None,
        published_at: None,
        created_at: t,
        updated_at: t,
    }
}

/// Write posts and variants in one transaction.
pub async fn insert(db: &Db, posts_: &[PostRow], variants: &[VariantRow]) {
    let mut tx = db.begin().await.expect("begin");
    for p in posts_ {
        posts::insert(tx.conn(), p).await.expect("insert post");
    }
    for v in variants {
        posts::insert_variant(tx.conn(), v).await.expect("insert variant");
    }
    tx.commit().await.expect("commit");
}

/// One scheduled post with a variant to each channel, written; the post and its variants.
pub async fn post_to(db: &Db, org_id: &str, channel_ids: &[String]) -> (PostRow, Vec<VariantRow>) {
    let post = post_row(org_id);
    let variants: Vec<VariantRow> = channel_ids.iter().map(|c| variant_row(&post, c)).collect();
    insert(db, std::slice::from_ref(&post), &variants).await;
    (post, variants)
}

/// `n` ready images of the org; their ids.
pub async fn images(db: &Db, org_id: &str, n: usize) -> Vec<String> {
    let t = now();
    let mut ids = Vec::with_capacity(n);
    let mut tx = db.begin().await.expect("begin");
    for i in 0..n {
        let row = MediaRow {
            id: new_id(),
            org_id: org_id.into(),
            client_id: None,
            uploaded_by: None,
            kind: "image".into(),
            mime: "image/png".into(),
            bytes: 1,
            width: None,
            height: None,
            filename: format!("{i}.png"),
            alt_text: String::new(),
            blob_key: format!("blob-{i}"),
            sha256: String::new(),
            status: MediaStatus::Ready,
            variants: serde_json::json!({}),
            error: None,
            created_at: t,
            updated_at: t,
        };
        media::insert(tx.conn(), &row).await.expect("insert media");
        ids.push(row.id);
    }
    tx.commit().await.expect("commit");
    ids
}

/// The variant as it is stored now.
pub async fn stored_variant(db: &Db, id: &str) -> VariantRow {
    let mut c = db.read().await.expect("read");
    posts::variant(c.conn(), id).await.expect("variant").unwrap_or_else(|| panic!("variant {id} is missing"))
}

/// The post as it is stored now.
pub async fn stored_post(db: &Db, id: &str) -> PostRow {
    let mut c = db.read().await.expect("read");
    posts::by_id_any_org(c.conn(), id).await.expect("post").unwrap_or_else(|| panic!("post {id} is missing"))
}
