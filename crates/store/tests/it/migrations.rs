//! Each backend has its own migrations; they must end in the same tables and columns, and
//! running them again changes nothing.

use crate::support::*;
use sellcast_store::schema;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_migrate_to_the_same_schema() {
    let sqlite = TestDb::new(Backend::Sqlite).await;
    let pg = TestDb::new(Backend::Postgres).await;
    sqlite.db.migrate().await.expect("migrating SQLite twice is a no-op");
    pg.db.migrate().await.expect("migrating PostgreSQL twice is a no-op");

    let a = schema::tables_and_columns(sqlite.db.read().await.unwrap().conn()).await.unwrap();
    let b = schema::tables_and_columns(pg.db.read().await.unwrap().conn()).await.unwrap();
    for table in ["users", "posts", "post_variants", "org_events", "jobs"] {
        assert!(a.contains_key(table), "{table} is missing: {a:?}");
    }
    assert_eq!(a, b, "SQLite and PostgreSQL schemas differ");
    sqlite.drop_schema().await;
    pg.drop_schema().await;
}

/// Migration 6 widens `channels.platform` on SQLite by editing the table's stored definition
/// (a rebuild would cascade into every child row): a database made by migrations 1–5, with a
/// channel and a row that depends on it, upgrades without losing either, and takes WhatsApp
/// channels on the connection that migrated as on new ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrade_to_the_inbox_keeps_channels_and_their_rows() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let mut old =
        sqlx::migrate::Migrator::new(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")))
            .await
            .expect("migrations");
    old.migrations = old.migrations.iter().filter(|m| m.version <= 5).cloned().collect::<Vec<_>>().into();
    let mut c = sqlx::SqliteConnection::connect(&url).await.expect("connect");
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut c).await.expect("fk");
    old.run(&mut c).await.expect("migrations 1-5");
    let t = "2026-01-01T00:00:00+00:00";
    for sql in [
        format!("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ('o1', 'Org', '{t}', '{t}')"),
        format!(
            "INSERT INTO channels (id, org_id, platform, account_id, handle, status, credentials, key_id, created_at, updated_at)
             VALUES ('c1', 'o1', 'sandbox', 'c1', 'Shop', 'active', 'sealed', 'k1', '{t}', '{t}')"
        ),
        format!(
            "INSERT INTO sandbox_posts (id, channel_id, idempotency_key, text, media, created_at)
             VALUES ('s1', 'c1', 'k', 'hello', '[]', '{t}')"
        ),
    ] {
        sqlx::query(&sql).execute(&mut c).await.expect("seed row");
    }
    c.close().await.expect("close");

    let db = sellcast_store::Db::connect(&sellcast_store::DbOptions { url: url.clone(), max_connections: 2 })
        .await
        .expect("open");
    db.migrate().await.expect("migration 6");
    let mut tx = db.begin().await.expect("tx");
    let sellcast_store::Conn::Sqlite(c) = tx.conn() else { panic!("sqlite") };
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sandbox_posts WHERE channel_id = 'c1'")
        .fetch_one(&mut *c)
        .await
        .expect("count");
    assert_eq!(kept, 1, "the channel's rows survive the upgrade");
    sqlx::query(&format!(
        "INSERT INTO channels (id, org_id, platform, account_id, handle, status, credentials, key_id, created_at, updated_at)
         VALUES ('c2', 'o1', 'whatsapp', '555', '+1 555', 'active', 'sealed', 'k1', '{t}', '{t}')"
    ))
    .execute(&mut *c)
    .await
    .expect("a WhatsApp channel is allowed now");
    let bad = sqlx::query(&format!(
        "INSERT INTO channels (id, org_id, platform, account_id, handle, status, credentials, key_id, created_at, updated_at)
         VALUES ('c3', 'o1', 'myspace', '1', 'x', 'active', 'sealed', 'k1', '{t}', '{t}')"
    ))
    .execute(&mut *c)
    .await;
    assert!(bad.is_err(), "the platform list is still checked");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut *c).await.expect("check");
    assert_eq!(check, "ok");
    let orphans: Vec<(String,)> =
        sqlx::query_as("PRAGMA foreign_key_check").fetch_all(&mut *c).await.expect("fk check");
    assert!(orphans.is_empty(), "{orphans:?}");
    tx.commit().await.expect("commit");
}
