//! API keys: only the SHA-256 of a key is stored; a revoked key keeps its row.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::Db;
use crate::service::db::opt_text;
use crate::service::error::{ApiError, ApiResult};

/// What a key may do.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything within its organisation: seals, CAs, keys, documents.
    Admin,
    /// Apply its organisation's active seals; read seals and documents.
    Sealer,
    /// Verify PDFs.
    Verifier,
    /// Read the audit log of its organisation.
    Auditor,
    /// The platform's own staff, above organisations: root CAs, trust anchors, relying
    /// parties and platform-wide licence types; reads every audit entry.
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Sealer => "sealer",
            Role::Verifier => "verifier",
            Role::Auditor => "auditor",
            Role::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "sealer" => Some(Role::Sealer),
            "verifier" => Some(Role::Verifier),
            "auditor" => Some(Role::Auditor),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// An API key row.
pub struct KeyRow {
    pub id: String,
    pub key_hash: String,
    pub organization_id: String,
    pub department_id: Option<String>,
    pub role: Role,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

fn role(r: &AnyRow) -> ApiResult<Role> {
    Role::parse(&r.try_get::<String, _>("role")?)
        .ok_or_else(|| ApiError::internal("unknown role in store"))
}

fn key_row(r: &AnyRow) -> ApiResult<KeyRow> {
    Ok(KeyRow {
        id: r.try_get("id")?,
        key_hash: r.try_get("key_hash")?,
        organization_id: r.try_get("organization_id")?,
        department_id: opt_text(r, "department_id"),
        role: role(r)?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

const SELECT: &str = "SELECT id, key_hash, organization_id, role, name, department_id, \
    created_at, revoked_at FROM api_keys";

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<KeyRow>> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(key_row).transpose()
}

/// The key with this hash, unless it was revoked.
pub async fn live_by_hash<'e>(db: impl Db<'e>, hash: &str) -> ApiResult<Option<KeyRow>> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE key_hash = $1 AND revoked_at IS NULL"
    ))
    .bind(hash)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(key_row).transpose()
}

/// Up to `limit` keys of an organisation (of one department, when given) after `after`.
pub async fn page<'e>(
    db: impl Db<'e>,
    org: &str,
    dept: Option<&str>,
    after: &str,
    limit: i64,
) -> ApiResult<Vec<KeyRow>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE organization_id = $1 AND ($2 = '' OR department_id = $2) AND id > $3 \
         ORDER BY id LIMIT $4"
    ))
    .bind(org)
    .bind(dept.unwrap_or_default())
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(key_row).collect()
}

/// A new key, stored by its hash.
pub struct NewKey<'a> {
    pub id: &'a str,
    pub key_hash: &'a str,
    pub organization_id: &'a str,
    pub department_id: Option<&'a str>,
    pub role: Role,
    pub name: &'a str,
    pub created_at: i64,
}

pub async fn insert<'e>(db: impl Db<'e>, k: NewKey<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, key_hash, organization_id, department_id, role, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(k.id)
    .bind(k.key_hash)
    .bind(k.organization_id)
    .bind(k.department_id)
    .bind(k.role.as_str())
    .bind(k.name)
    .bind(k.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes a live key; false when it was revoked already.
pub async fn revoke<'e>(db: impl Db<'e>, id: &str, at: i64) -> ApiResult<bool> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}
