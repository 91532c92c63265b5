//! Batch issuance jobs: counts, per-line errors and results as JSON text.

use sqlx::Row;

use super::{state, text_enum, Db};
use crate::service::error::ApiResult;

text_enum! {
    pub enum BatchStatus {
        Running = "running",
        Done = "done",
    }
}

/// A batch row.
pub struct BatchRow {
    pub id: String,
    pub organization_id: String,
    pub status: BatchStatus,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// JSON text.
    pub errors: String,
    /// JSON text.
    pub results: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<BatchRow>> {
    let r = sqlx::query(
        "SELECT id, organization_id, status, total, done, failed, errors, results, created_at, updated_at FROM licence_batches WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some(BatchRow {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        status: state(&r, "status")?,
        total: r.try_get("total")?,
        done: r.try_get("done")?,
        failed: r.try_get("failed")?,
        errors: r.try_get("errors")?,
        results: r.try_get("results")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

/// A new batch with its parse errors counted as failed.
pub struct NewBatch<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub status: BatchStatus,
    pub total: i64,
    pub failed: i64,
    pub errors: &'a str,
    pub created_at: i64,
}

pub async fn insert<'e>(db: impl Db<'e>, b: NewBatch<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO licence_batches (id, organization_id, status, total, done, failed, errors, results, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, '[]', $7, $7)",
    )
    .bind(b.id)
    .bind(b.organization_id)
    .bind(b.status.as_str())
    .bind(b.total)
    .bind(b.failed)
    .bind(b.errors)
    .bind(b.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Where a running batch stands.
pub struct Progress<'a> {
    pub status: BatchStatus,
    pub done: i64,
    pub failed: i64,
    pub errors: &'a str,
    pub results: &'a str,
    pub updated_at: i64,
}

pub async fn save_progress<'e>(db: impl Db<'e>, id: &str, p: Progress<'_>) -> ApiResult<()> {
    sqlx::query(
        "UPDATE licence_batches SET status = $1, done = $2, failed = $3, errors = $4, results = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(p.status.as_str())
    .bind(p.done)
    .bind(p.failed)
    .bind(p.errors)
    .bind(p.results)
    .bind(p.updated_at)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}
