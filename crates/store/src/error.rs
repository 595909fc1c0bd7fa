use crate::constraints::Unique;
use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint was violated, the same on both backends (see `constraints.rs`).
    #[error("conflict on {constraint}")]
    Conflict { constraint: Unique },
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A read on a blocking SQLite reader (`readers.rs`) failed.
    #[error("database error: {0}")]
    Read(#[from] rusqlite::Error),
    #[error("a blocking read did not finish: {0}")]
    Blocking(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                if let Some(constraint) = crate::constraints::identify(db.constraint(), db.message()) {
                    return StoreError::Conflict { constraint };
                }
            }
        }
        StoreError::Database(e)
    }
}
