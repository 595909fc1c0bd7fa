//! What every Sellcast test suite needs to run the same test on SQLite and on PostgreSQL:
//! the `on_both_backends!` macro and a fresh PostgreSQL schema per test.

pub mod pds;

/// The database a test runs on: the store's own enum, so a test's backend and a `Db`'s
/// `backend()` are one type with one meaning.
pub use sellcast_store::Backend;

/// Generate `mod NAME { sqlite(); postgres(); }` running `async fn NAME(Backend)` on both.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    )* };
}

pub fn postgres_url() -> String {
    std::env::var("SELLCAST_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The database URL that keeps everything inside `schema`.
pub fn postgres_url_in(schema: &str) -> String {
    format!("{}?options[search_path]={schema}", postgres_url())
}

/// A fresh schema for one test; schemas older than an hour (left by crashed runs) are swept.
pub async fn fresh_pg_schema() -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&postgres_url())
        .await
        .expect("PostgreSQL must be reachable at SELLCAST_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)");
    let now = chrono::Utc::now().timestamp();
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'sctest\\_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
    for s in stale {
        let created: i64 = s.split('_').nth(1).and_then(|t| t.parse().ok()).unwrap_or(0);
        if now - created > 3600 {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE")).execute(&mut conn).await;
        }
    }
    let name = format!("sctest_{now}_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE SCHEMA \"{name}\"")).execute(&mut conn).await.expect("create schema");
    name
}

pub async fn drop_pg_schema(name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_url()).await {
        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE")).execute(&mut conn).await;
    }
}
