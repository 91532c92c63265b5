//! Holder grants (授权用证) and the annotated copies made under them.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{state, text_enum, Db};
use crate::service::error::{ApiError, ApiResult};

text_enum! {
    /// A grant's state. `Expired` is never stored: it is an active grant past its date.
    pub enum GrantStatus {
        Active = "active",
        Expired = "expired",
        Withdrawn = "withdrawn",
    }
}

/// A grant with its agency's name.
pub struct GrantRow {
    pub id: String,
    pub licence_id: String,
    pub agency_id: String,
    pub agency_name: String,
    pub matter: String,
    pub until_at: i64,
    /// As stored: active or withdrawn.
    pub status: GrantStatus,
    pub created_at: i64,
    pub withdrawn_at: Option<i64>,
}

impl GrantRow {
    /// The state at `now`: an active grant expires at its `until`.
    pub fn status_at(&self, now: i64) -> GrantStatus {
        if self.status == GrantStatus::Active && self.until_at <= now {
            GrantStatus::Expired
        } else {
            self.status
        }
    }
}

fn grant_row(r: &AnyRow) -> ApiResult<GrantRow> {
    Ok(GrantRow {
        id: r.try_get("id")?,
        licence_id: r.try_get("licence_id")?,
        agency_id: r.try_get("agency_id")?,
        agency_name: r.try_get("agency_name")?,
        matter: r.try_get("matter")?,
        until_at: r.try_get("until_at")?,
        status: state(r, "status")?,
        created_at: r.try_get("created_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
    })
}

const SELECT: &str = "SELECT g.id, g.licence_id, g.agency_id, o.name AS agency_name, g.matter, g.until_at, g.status, g.created_at, g.withdrawn_at \
     FROM licence_grants g JOIN organizations o ON o.id = g.agency_id";

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<GrantRow>> {
    let r = sqlx::query(&format!("{SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    r.as_ref().map(grant_row).transpose()
}

/// The grants of a licence, oldest first.
pub async fn of_licence<'e>(db: impl Db<'e>, licence_id: &str) -> ApiResult<Vec<GrantRow>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE g.licence_id = $1 ORDER BY g.created_at, g.id"
    ))
    .bind(licence_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(grant_row).collect()
}

/// A new active grant.
pub struct NewGrant<'a> {
    pub id: &'a str,
    pub licence_id: &'a str,
    pub agency_id: &'a str,
    pub matter: &'a str,
    pub until_at: i64,
    pub created_at: i64,
}

pub async fn insert<'e>(db: impl Db<'e>, g: NewGrant<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO licence_grants (id, licence_id, agency_id, matter, until_at, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(g.id)
    .bind(g.licence_id)
    .bind(g.agency_id)
    .bind(g.matter)
    .bind(g.until_at)
    .bind(GrantStatus::Active.as_str())
    .bind(g.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Withdraws an active grant; false when it was withdrawn already.
pub async fn withdraw<'e>(db: impl Db<'e>, id: &str, at: i64) -> ApiResult<bool> {
    let done = sqlx::query(
        "UPDATE licence_grants SET status = $3, withdrawn_at = $1 WHERE id = $2 AND status = $4",
    )
    .bind(at)
    .bind(id)
    .bind(GrantStatus::Withdrawn.as_str())
    .bind(GrantStatus::Active.as_str())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A copy about to be made: its number is reserved before the file exists.
pub struct NewCopy<'a> {
    pub id: &'a str,
    pub grant_id: &'a str,
    pub licence_id: &'a str,
    pub version: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

/// Reserves the licence's next copy number for `c` (run in a transaction); a concurrent
/// copy that took the same number is a conflict.
pub async fn reserve_copy(conn: &mut AnyConnection, c: NewCopy<'_>) -> ApiResult<i64> {
    let number: i64 = sqlx::query(
        "SELECT COALESCE(MAX(copy_number), 0) + 1 FROM licence_copies WHERE licence_id = $1",
    )
    .bind(c.licence_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    sqlx::query(
        "INSERT INTO licence_copies (id, grant_id, licence_id, version, copy_number, expires_at, file_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, '', $7)",
    )
    .bind(c.id)
    .bind(c.grant_id)
    .bind(c.licence_id)
    .bind(c.version)
    .bind(number)
    .bind(c.expires_at)
    .bind(c.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|_| ApiError::Conflict("another copy was made at the same moment; try again".into()))?;
    Ok(number)
}

pub async fn set_copy_sha256<'e>(db: impl Db<'e>, copy_id: &str, sha256: &str) -> ApiResult<()> {
    sqlx::query("UPDATE licence_copies SET file_sha256 = $1 WHERE id = $2")
        .bind(sha256)
        .bind(copy_id)
        .execute(db)
        .await?;
    Ok(())
}
