//! What every authenticated request reads first, in one statement: the session, its user and,
//! when the request names an org, the user's role there. On a SQLite file database it runs on a
//! blocking reader (`readers.rs`, ADR 0013); otherwise on the pool.

use crate::readers::{time, time_opt};
use crate::sessions::SessionUserRow;
use crate::users::{self, UserRow};
use crate::{on, Db, StoreResult};
use rusqlite::{Connection, OptionalExtension, Row};
use sellcast_domain::Role;
use std::sync::LazyLock;

#[derive(Debug, Clone)]
pub struct SignedInRow {
    pub session: SessionUserRow,
    /// The user's role in the org asked about; None when not a member (or no org was asked).
    pub role: Option<Role>,
}

#[derive(sqlx::FromRow)]
struct Found {
    #[sqlx(flatten)]
    session: SessionUserRow,
    member_role: Option<String>,
}

/// Built once: the statement caches key on its text.
static SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT s.id AS session_id, s.user_id AS session_user_id, s.last_used_at AS session_last_used_at,
                s.expires_at AS session_expires_at, s.revoked_at AS session_revoked_at, {},
                m.role AS member_role
         FROM sessions s JOIN users u ON u.id = s.user_id
         LEFT JOIN memberships m ON m.user_id = s.user_id AND m.org_id = $2
         WHERE s.id = $1",
        users::U_COLS
    )
});

/// The session `session_id` with its user (None when either is gone), and the user's role in
/// `org_id` when given.
pub async fn read(db: &Db, session_id: &str, org_id: Option<&str>) -> StoreResult<Option<SignedInRow>> {
    let found = if let Some(readers) = db.readers() {
        let (sid, org) = (session_id.to_string(), org_id.map(str::to_string));
        readers.run(move |c| read_blocking(c, &sid, org.as_deref())).await?
    } else {
        let mut conn = db.read().await?;
        let c = conn.conn();
        on!(c, c => sqlx::query_as::<_, Found>(SQL.as_str()).bind(session_id).bind(org_id).fetch_optional(c).await)?
    };
    let Some(found) = found else { return Ok(None) };
    // A role the code does not know grants nothing.
    let role = found.member_role.and_then(|r| Role::try_from(r).ok());
    Ok(Some(SignedInRow { session: found.session, role }))
}

fn read_blocking(c: &Connection, session_id: &str, org_id: Option<&str>) -> rusqlite::Result<Option<Found>> {
    // By name: SQLite numbers `$N` parameters in the order they appear, and `$2` comes first.
    c.prepare_cached(&SQL)?.query_row(rusqlite::named_params! {"$1": session_id, "$2": org_id}, found_row).optional()
}

/// A `Found` from the columns of `SQL`, in order.
fn found_row(r: &Row) -> rusqlite::Result<Found> {
    Ok(Found {
        session: SessionUserRow {
            session_id: r.get(0)?,
            session_user_id: r.get(1)?,
            session_last_used_at: time(r, 2)?,
            session_expires_at: time(r, 3)?,
            session_revoked_at: time_opt(r, 4)?,
            user: UserRow {
                id: r.get(5)?,
                email: r.get(6)?,
                name: r.get(7)?,
                password_hash: r.get(8)?,
                timezone: r.get(9)?,
                is_instance_admin: r.get(10)?,
                totp_secret: r.get(11)?,
                totp_enabled: r.get(12)?,
                created_at: time(r, 13)?,
                updated_at: time(r, 14)?,
            },
        },
        member_role: r.get(15)?,
    })
}
