//! Introspection of the live schema, so a test can prove both backends' migrations end
//! with the same tables and columns.

use crate::{Conn, StoreResult};
use std::collections::BTreeMap;

/// table → sorted column names, excluding the migrator's own bookkeeping table.
pub async fn tables_and_columns(mut c: Conn<'_>) -> StoreResult<BTreeMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = match &mut c {
        Conn::Sqlite(c) => {
            sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut **c)
            .await?
        }
        Conn::Pg(c) => {
            sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut **c)
            .await?
        }
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (t, col) in pairs {
        out.entry(t).or_default().push(col);
    }
    for cols in out.values_mut() {
        cols.sort();
    }
    Ok(out)
}
