//! Reading many rows by id in one statement: a page's variants, media or channels, a publish
//! round's rows. PostgreSQL binds one array (`= ANY($1)`), so the statement's text and plan are
//! the same for any number of ids; SQLite gets an `IN` list of positional `?` (each `$N` costs
//! SQLite a linear name lookup).

use crate::{Conn, StoreResult};

/// `?, ?, …` (n of them).
pub(crate) fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// `(?, …), (?, …), …`: `rows` tuples of `cols` positional parameters.
pub(crate) fn tuples(rows: usize, cols: usize) -> String {
    let one = format!("({})", marks(cols));
    vec![one; rows].join(", ")
}

/// `SELECT {select} WHERE {column} IN ids {rest}`: the rows whose `column` is one of `ids`.
pub(crate) async fn select_in<T>(
    c: Conn<'_>,
    select: &str,
    column: &str,
    ids: &[String],
    rest: &str,
) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match c {
        Conn::Pg(c) => {
            let sql = format!("SELECT {select} WHERE {column} = ANY($1) {rest}");
            sqlx::query_as(&sql).bind(ids).fetch_all(c).await?
        }
        Conn::Sqlite(c) => {
            let sql = format!("SELECT {select} WHERE {column} IN ({}) {rest}", marks(ids.len()));
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(c).await?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_positional() {
        assert_eq!(marks(3), "?, ?, ?");
        assert_eq!(tuples(2, 2), "(?, ?), (?, ?)");
    }
}
