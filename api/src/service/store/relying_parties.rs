//! Relying parties: organisations an operator registered to receive annotated copies of
//! licences (用证单位). Their names are unique, so a holder who grants "by name" reaches exactly
//! the one meant.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::Db;
use crate::service::error::ApiResult;

pub struct RelyingPartyRow {
    pub organization_id: String,
    pub name: String,
    pub created_at: i64,
}

fn party_row(r: &AnyRow) -> ApiResult<RelyingPartyRow> {
    Ok(RelyingPartyRow {
        organization_id: r.try_get("organization_id")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
    })
}

const SELECT: &str = "SELECT organization_id, name, created_at FROM relying_parties";

/// Registers an organisation under `name`; a second registration of either is a unique
/// violation (409).
pub async fn insert<'e>(
    db: impl Db<'e>,
    organization_id: &str,
    name: &str,
    at: i64,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO relying_parties (organization_id, name, created_at) VALUES ($1, $2, $3)",
    )
    .bind(organization_id)
    .bind(name)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// Every relying party, by name.
pub async fn all<'e>(db: impl Db<'e>) -> ApiResult<Vec<RelyingPartyRow>> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY name"))
        .fetch_all(db)
        .await?;
    rows.iter().map(party_row).collect()
}

/// The relying party `key` names: the one with this organisation id, else the one registered
/// under this exact name (names are unique).
pub async fn by_id_or_name<'e>(
    db: impl Db<'e> + Copy,
    key: &str,
) -> ApiResult<Option<RelyingPartyRow>> {
    let by_id = sqlx::query(&format!("{SELECT} WHERE organization_id = $1"))
        .bind(key)
        .fetch_optional(db)
        .await?;
    match by_id {
        Some(row) => Ok(Some(party_row(&row)?)),
        None => named(db, key).await,
    }
}

/// The relying party registered under `name`, if any.
pub async fn named<'e>(db: impl Db<'e>, name: &str) -> ApiResult<Option<RelyingPartyRow>> {
    let row = sqlx::query(&format!("{SELECT} WHERE name = $1"))
        .bind(name)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(party_row).transpose()
}

/// Withdraws a registration; false when there was none.
pub async fn remove<'e>(db: impl Db<'e>, organization_id: &str) -> ApiResult<bool> {
    let done = sqlx::query("DELETE FROM relying_parties WHERE organization_id = $1")
        .bind(organization_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
