//! CAs (with their keys, vault-encrypted) and the CRL state each keeps: its counter and its
//! last CRL. Making keys, certificates and CRLs is the PKI's ([`crate::service::pki`]).

use sqlx::{AnyConnection, Row};

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

/// A CA with its vault-encrypted key.
pub struct CaKeyRow {
    pub id: String,
    pub organization_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub certificate: Vec<u8>,
    pub key_pem: String,
}

pub async fn find_with_key(conn: &mut AnyConnection, id: &str) -> ApiResult<Option<CaKeyRow>> {
    let row = sqlx::query(
        "SELECT id, organization_id, parent_id, name, certificate, key_pem FROM cas WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(CaKeyRow {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        parent_id: opt_text(&row, "parent_id"),
        name: row.try_get("name")?,
        certificate: row.try_get("certificate")?,
        key_pem: row.try_get("key_pem")?,
    }))
}

/// A new CA.
pub struct NewCa<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub name: &'a str,
    pub level: &'a str,
    pub algorithm: &'a str,
    pub certificate: Vec<u8>,
    pub key_pem: String,
    pub created_at: i64,
}

/// Stores a CA with its CRL counter at 1.
pub async fn insert(conn: &mut AnyConnection, ca: NewCa<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO cas (id, organization_id, parent_id, name, level, algorithm, certificate, key_pem, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(ca.id)
    .bind(ca.organization_id)
    .bind(ca.parent_id)
    .bind(ca.name)
    .bind(ca.level)
    .bind(ca.algorithm)
    .bind(ca.certificate)
    .bind(ca.key_pem)
    .bind(ca.created_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO crl_state (ca_id, next_number) VALUES ($1, 1)")
        .bind(ca.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes the CA's next CRL number: a write first, so concurrent CRL issuers queue.
pub async fn take_crl_number(conn: &mut AnyConnection, ca_id: &str) -> ApiResult<i64> {
    sqlx::query("UPDATE crl_state SET next_number = next_number + 1 WHERE ca_id = $1")
        .bind(ca_id)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query("SELECT next_number - 1 FROM crl_state WHERE ca_id = $1")
            .bind(ca_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

pub async fn save_crl<'e>(db: impl Db<'e>, ca_id: &str, der: &[u8], at: i64) -> ApiResult<()> {
    sqlx::query("UPDATE crl_state SET last_crl = $1, issued_at = $2 WHERE ca_id = $3")
        .bind(der.to_vec())
        .bind(at)
        .bind(ca_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The last CRL of every CA that has signed one.
pub async fn last_crls<'e>(db: impl Db<'e>) -> ApiResult<Vec<Vec<u8>>> {
    let rows = sqlx::query("SELECT last_crl FROM crl_state WHERE last_crl IS NOT NULL")
        .fetch_all(db)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
