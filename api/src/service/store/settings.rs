//! Named settings of the store: what the first start made (default CA, platform seal, log
//! and TSA keys) and the markers that claim a one-time set-up.

use sqlx::Row;

use super::Db;
use crate::service::error::ApiResult;

/// Claimed by the first start (its value: when).
pub const BOOTSTRAP: &str = "bootstrap";
/// Claimed by the licence demo's set-up.
pub const LICENCE_DEMO: &str = "licence_demo";
/// Claimed by the operator's set-up (issue 14): the operator key, the platform's anchors and
/// the demo relying party.
pub const OPERATOR_DEMO: &str = "operator_demo";
/// The CA that issues seal certificates when a request names none.
pub const DEFAULT_CA: &str = "default_ca";
/// The seal that annotates licence copies.
pub const PLATFORM_SEAL: &str = "platform_seal";
/// The audit log's signing key, vault-encrypted.
pub const LOG_KEY: &str = "log_key";
/// The TSA's key and certificate.
pub const TSA: &str = "tsa";

pub async fn get<'e>(db: impl Db<'e>, name: &str) -> ApiResult<Option<String>> {
    Ok(sqlx::query("SELECT value FROM settings WHERE name = $1")
        .bind(name)
        .fetch_optional(db)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// A setting that must be there.
pub async fn require<'e>(db: impl Db<'e>, name: &str) -> ApiResult<String> {
    Ok(sqlx::query("SELECT value FROM settings WHERE name = $1")
        .bind(name)
        .fetch_one(db)
        .await?
        .try_get(0)?)
}

pub async fn insert<'e>(db: impl Db<'e>, name: &str, value: &str) -> ApiResult<()> {
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
        .bind(name)
        .bind(value)
        .execute(db)
        .await?;
    Ok(())
}

/// Inserts a setting unless another process did first: whether this one did. Run it first in
/// the transaction it claims; a loser rolls that back.
pub async fn claim<'e>(db: impl Db<'e>, name: &str, value: &str) -> bool {
    insert(db, name, value).await.is_ok()
}
