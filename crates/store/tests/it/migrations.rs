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
