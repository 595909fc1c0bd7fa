//! List statements that name only the filters given: each combination gets its own prepared
//! statement, whose plan can walk an index and stop after the page (a generic plan of
//! `$n IS NULL OR …` sorts every row of the org on PostgreSQL).

use chrono::{DateTime, Utc};

/// A value bound to a placeholder of a built statement.
pub(crate) enum SqlValue {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
}

/// A statement being built and its values, in placeholder order.
pub(crate) struct FilterSql {
    pub sql: String,
    pub values: Vec<SqlValue>,
}

impl FilterSql {
    pub(crate) fn new(sql: String) -> FilterSql {
        FilterSql { sql, values: vec![] }
    }

    /// Adds a value; its placeholder.
    pub(crate) fn mark(&mut self, v: SqlValue) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }
}

/// Bind the values in order (either backend).
pub(crate) fn bind_all<'q, DB, O>(
    mut q: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>,
    values: &'q [SqlValue],
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for v in values {
        q = match v {
            SqlValue::Text(t) => q.bind(t),
            SqlValue::Time(t) => q.bind(*t),
            SqlValue::Int(i) => q.bind(*i),
        };
    }
    q
}
