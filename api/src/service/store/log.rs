//! What the log API reads of the audit log: its size and single entries. Appending is the
//! audit module's ([`crate::service::audit`]), under its lock.

use sqlx::Row;

use super::Db;
use crate::service::db::opt_text;
use crate::service::error::ApiResult;

pub async fn tree_size<'e>(db: impl Db<'e>) -> ApiResult<i64> {
    Ok(sqlx::query("SELECT tree_size FROM log_state WHERE id = 1")
        .fetch_one(db)
        .await?
        .try_get(0)?)
}

/// One entry as stored.
pub struct EntryRow {
    pub index: i64,
    pub organization_id: Option<String>,
    /// The entry's JSON.
    pub entry: String,
    pub leaf_hash: Vec<u8>,
}

pub async fn entry<'e>(db: impl Db<'e>, index: i64) -> ApiResult<Option<EntryRow>> {
    let row =
        sqlx::query("SELECT idx, organization_id, entry, leaf_hash FROM audit_log WHERE idx = $1")
            .bind(index)
            .fetch_optional(db)
            .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(EntryRow {
        index: row.try_get("idx")?,
        organization_id: opt_text(&row, "organization_id"),
        entry: row.try_get("entry")?,
        leaf_hash: row.try_get("leaf_hash")?,
    }))
}
