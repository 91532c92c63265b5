//! CAs as the API lists them, and the CRL each keeps. Creating CAs and signing CRLs is the
//! PKI's ([`crate::service::pki`]), which reads and writes its own rows.

use sqlx::Row;

use super::Db;
use crate::service::db::opt_text;
use crate::service::error::ApiResult;

/// A CA row without its key.
pub struct CaRow {
    pub id: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<String>,
    pub algorithm: String,
    pub certificate: Vec<u8>,
    pub created_at: i64,
}

/// The CAs of an organisation, oldest first; only `only` when given.
pub async fn of_organization<'e>(
    db: impl Db<'e>,
    org: &str,
    only: Option<&str>,
) -> ApiResult<Vec<CaRow>> {
    let rows = sqlx::query(
        "SELECT id, name, level, parent_id, algorithm, certificate, created_at FROM cas \
         WHERE organization_id = $1 AND ($2 = '' OR id = $2) ORDER BY created_at, id",
    )
    .bind(org)
    .bind(only.unwrap_or(""))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CaRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                level: r.try_get("level")?,
                parent_id: opt_text(r, "parent_id"),
                algorithm: r.try_get("algorithm")?,
                certificate: r.try_get("certificate")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// A CA's last CRL and when it was signed; `None` when there is no such CA.
pub struct CrlState {
    pub last_crl: Option<Vec<u8>>,
    pub issued_at: Option<i64>,
}

pub async fn crl_state<'e>(db: impl Db<'e>, ca_id: &str) -> ApiResult<Option<CrlState>> {
    let row = sqlx::query("SELECT last_crl, issued_at FROM crl_state WHERE ca_id = $1")
        .bind(ca_id)
        .fetch_optional(db)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(CrlState {
        last_crl: row.try_get(0)?,
        issued_at: row.try_get(1)?,
    }))
}
