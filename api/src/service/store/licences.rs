//! Licences: the licence row (its current version's data), one file per version with its
//! status, the issuers' serials, holder tokens and presentation codes.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{state, text_enum, Db};
use crate::service::db::opt_text;
use crate::service::error::ApiResult;

text_enum! {
    /// A licence is active until it is cancelled (注销), for good.
    pub enum LicenceStatus {
        Active = "active",
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// The status of one version's file.
    pub enum FileStatus {
        Current = "current",
        Superseded = "superseded",
        Corrected = "corrected",
        Replaced = "replaced",
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// How a version came about.
    pub enum VersionKind {
        Issued = "issued",
        Changed = "changed",
        Corrected = "corrected",
        Replaced = "replaced",
    }
}

/// The licence row.
pub struct LicenceRow {
    pub id: String,
    pub identifier: String,
    pub kind: String,
    pub organization_id: String,
    pub serial: String,
    pub holder_name: String,
    pub holder_code: String,
    /// The fields as JSON text.
    pub fields: String,
    pub status: LicenceStatus,
    pub version: i64,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn licence_row(r: &AnyRow) -> ApiResult<LicenceRow> {
    Ok(LicenceRow {
        id: r.try_get("id")?,
        identifier: r.try_get("identifier")?,
        kind: r.try_get("type")?,
        organization_id: r.try_get("organization_id")?,
        serial: r.try_get("serial")?,
        holder_name: r.try_get("holder_name")?,
        holder_code: r.try_get("holder_code")?,
        fields: r.try_get("fields")?,
        status: state(r, "status")?,
        version: r.try_get("version")?,
        cancelled_at: r.try_get("cancelled_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const SELECT: &str = "SELECT id, identifier, type, organization_id, serial, holder_name, holder_code, fields, status, version, cancelled_at, created_at, updated_at FROM licences";

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<LicenceRow>> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(licence_row).transpose()
}

/// A licence that must exist (the caller checked it).
pub async fn get<'e>(db: impl Db<'e>, id: &str) -> ApiResult<LicenceRow> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    licence_row(&row)
}

/// The licences an organisation issued, oldest first.
pub async fn of_organization<'e>(db: impl Db<'e>, org: &str) -> ApiResult<Vec<LicenceRow>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE organization_id = $1 ORDER BY created_at, id"
    ))
    .bind(org)
    .fetch_all(db)
    .await?;
    rows.iter().map(licence_row).collect()
}

/// The issuing organisation of a licence, if it exists.
pub async fn issuer_of<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT organization_id FROM licences WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// The hash of a licence's holder token, if the licence exists.
pub async fn holder_token_hash<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT holder_token_hash FROM licences WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

pub async fn set_holder_token<'e>(db: impl Db<'e>, id: &str, hash: &str, at: i64) -> ApiResult<()> {
    sqlx::query("UPDATE licences SET holder_token_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(at)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The data of one version: the licence row's and the file row's.
pub struct VersionData<'a> {
    pub identifier: &'a str,
    pub holder_name: &'a str,
    pub holder_code: &'a str,
    /// JSON text.
    pub fields: &'a str,
}

/// A new licence at version 1.
pub struct NewLicence<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub organization_id: &'a str,
    pub serial: &'a str,
    pub data: &'a VersionData<'a>,
    pub holder_token_hash: &'a str,
    pub created_at: i64,
}

pub async fn insert<'e>(db: impl Db<'e>, l: NewLicence<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO licences (id, type, organization_id, serial, identifier, holder_name, holder_code, fields, status, version, holder_token_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $11)",
    )
    .bind(l.id)
    .bind(l.kind)
    .bind(l.organization_id)
    .bind(l.serial)
    .bind(l.data.identifier)
    .bind(l.data.holder_name)
    .bind(l.data.holder_code)
    .bind(l.data.fields)
    .bind(LicenceStatus::Active.as_str())
    .bind(l.holder_token_hash)
    .bind(l.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves an active licence from version `old` to `old + 1`; false when it is no longer
/// active at `old` (someone else changed or cancelled it).
pub async fn advance<'e>(
    db: impl Db<'e>,
    id: &str,
    old: i64,
    data: &VersionData<'_>,
    at: i64,
) -> ApiResult<bool> {
    let done = sqlx::query(
        "UPDATE licences SET identifier = $1, holder_name = $2, holder_code = $3, fields = $4, version = $5, updated_at = $6 \
         WHERE id = $7 AND version = $8 AND status = $9",
    )
    .bind(data.identifier)
    .bind(data.holder_name)
    .bind(data.holder_code)
    .bind(data.fields)
    .bind(old + 1)
    .bind(at)
    .bind(id)
    .bind(old)
    .bind(LicenceStatus::Active.as_str())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels an active licence and its current file; false when it was cancelled already.
pub async fn cancel(
    conn: &mut AnyConnection,
    id: &str,
    reason: Option<&str>,
    at: i64,
) -> ApiResult<bool> {
    let done = sqlx::query(
        "UPDATE licences SET status = $4, cancelled_at = $1, cancel_reason = $2, updated_at = $1 WHERE id = $3 AND status = $5",
    )
    .bind(at)
    .bind(reason)
    .bind(id)
    .bind(LicenceStatus::Cancelled.as_str())
    .bind(LicenceStatus::Active.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE licence_files SET status = $3, status_changed_at = $1 WHERE licence_id = $2 AND status = $4")
        .bind(at)
        .bind(id)
        .bind(FileStatus::Cancelled.as_str())
        .bind(FileStatus::Current.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// A version's sealed file, ready to store.
pub struct NewFile<'a> {
    pub licence_id: &'a str,
    pub version: i64,
    pub kind: VersionKind,
    pub supersedes: Option<i64>,
    pub data: &'a VersionData<'a>,
    pub sealed_digest: &'a str,
    pub file_sha256: &'a str,
    pub content: &'a [u8],
    pub reason: Option<&'a str>,
    pub created_at: i64,
}

/// Stores a new current file.
pub async fn insert_file<'e>(db: impl Db<'e>, f: NewFile<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO licence_files (licence_id, version, identifier, kind, status, supersedes, fields, holder_name, holder_code, sealed_digest, file_sha256, content, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(f.licence_id)
    .bind(f.version)
    .bind(f.data.identifier)
    .bind(f.kind.as_str())
    .bind(FileStatus::Current.as_str())
    .bind(f.supersedes)
    .bind(f.data.fields)
    .bind(f.data.holder_name)
    .bind(f.data.holder_code)
    .bind(f.sealed_digest)
    .bind(f.file_sha256)
    .bind(f.content.to_vec())
    .bind(f.reason)
    .bind(f.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_file_status<'e>(
    db: impl Db<'e>,
    id: &str,
    version: i64,
    status: FileStatus,
    at: i64,
) -> ApiResult<()> {
    sqlx::query("UPDATE licence_files SET status = $1, status_changed_at = $2 WHERE licence_id = $3 AND version = $4")
        .bind(status.as_str())
        .bind(at)
        .bind(id)
        .bind(version)
        .execute(db)
        .await?;
    Ok(())
}

/// One version as listed with its licence.
pub struct VersionRow {
    pub version: i64,
    pub identifier: String,
    pub kind: VersionKind,
    pub status: FileStatus,
    pub sealed_digest: String,
    pub file_sha256: String,
    pub created_at: i64,
}

pub async fn versions<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Vec<VersionRow>> {
    let rows = sqlx::query(
        "SELECT version, identifier, kind, status, sealed_digest, file_sha256, created_at FROM licence_files WHERE licence_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|v| {
            Ok(VersionRow {
                version: v.try_get(0)?,
                identifier: v.try_get(1)?,
                kind: state(v, "kind")?,
                status: state(v, "status")?,
                sealed_digest: v.try_get(4)?,
                file_sha256: v.try_get(5)?,
                created_at: v.try_get(6)?,
            })
        })
        .collect()
}

/// The current version of a licence and its file, if the licence exists.
pub async fn current_file<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<(i64, Vec<u8>)>> {
    let r = sqlx::query(
        "SELECT f.version, f.content FROM licence_files f JOIN licences l ON l.id = f.licence_id AND l.version = f.version WHERE l.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some((r.try_get(0)?, r.try_get(1)?)))
}

/// One version's file, if there is that version.
pub async fn version_file<'e>(
    db: impl Db<'e>,
    id: &str,
    version: i64,
) -> ApiResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query("SELECT content FROM licence_files WHERE licence_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_optional(db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// The file of the version with this identifier, which must exist.
pub async fn file_by_identifier<'e>(db: impl Db<'e>, identifier: &str) -> ApiResult<Vec<u8>> {
    Ok(
        sqlx::query("SELECT content FROM licence_files WHERE identifier = $1")
            .bind(identifier)
            .fetch_one(db)
            .await?
            .try_get(0)?,
    )
}

/// The SHA-256 of the file of the version with this identifier, which must exist.
pub async fn sha256_by_identifier<'e>(db: impl Db<'e>, identifier: &str) -> ApiResult<String> {
    Ok(
        sqlx::query("SELECT file_sha256 FROM licence_files WHERE identifier = $1")
            .bind(identifier)
            .fetch_one(db)
            .await?
            .try_get(0)?,
    )
}

/// The identifier of the version whose issuer-sealed revision has this digest.
pub async fn identifier_by_digest<'e>(db: impl Db<'e>, digest: &str) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT identifier FROM licence_files WHERE sealed_digest = $1")
            .bind(digest)
            .fetch_optional(db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// A version with what the public page says of it: its licence, type and issuer.
pub struct VersionFacts {
    pub licence_id: String,
    pub identifier: String,
    pub version: i64,
    pub status: FileStatus,
    pub status_changed_at: Option<i64>,
    pub holder_name: String,
    pub holder_code: String,
    pub sealed_digest: String,
    pub created_at: i64,
    pub current_version: i64,
    pub licence_status: LicenceStatus,
    pub cancelled_at: Option<i64>,
    pub type_name: String,
    pub issuer_name: String,
    pub issuer_code: Option<String>,
}

pub async fn version_facts<'e>(
    db: impl Db<'e>,
    identifier: &str,
) -> ApiResult<Option<VersionFacts>> {
    let r = sqlx::query(
        "SELECT f.licence_id, f.identifier, f.version, f.status, f.status_changed_at, f.holder_name, f.holder_code, f.sealed_digest, f.created_at, \
         l.version AS current_version, l.status AS licence_status, l.cancelled_at, t.name AS type_name, o.name AS org_name, o.uscc \
         FROM licence_files f JOIN licences l ON l.id = f.licence_id JOIN licence_types t ON t.code = l.type \
         JOIN organizations o ON o.id = l.organization_id WHERE f.identifier = $1",
    )
    .bind(identifier)
    .fetch_optional(db)
    .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some(VersionFacts {
        licence_id: r.try_get("licence_id")?,
        identifier: r.try_get("identifier")?,
        version: r.try_get("version")?,
        status: state(&r, "status")?,
        status_changed_at: r.try_get("status_changed_at")?,
        holder_name: r.try_get("holder_name")?,
        holder_code: r.try_get("holder_code")?,
        sealed_digest: r.try_get("sealed_digest")?,
        created_at: r.try_get("created_at")?,
        current_version: r.try_get("current_version")?,
        licence_status: state(&r, "licence_status")?,
        cancelled_at: r.try_get("cancelled_at")?,
        type_name: r.try_get("type_name")?,
        issuer_name: r.try_get("org_name")?,
        issuer_code: opt_text(&r, "uscc"),
    }))
}

pub async fn insert_presentation<'e>(
    db: impl Db<'e>,
    code_hash: &str,
    licence_id: &str,
    expires_at: i64,
    at: i64,
) -> ApiResult<()> {
    sqlx::query("INSERT INTO licence_presentations (code_hash, licence_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(code_hash)
        .bind(licence_id)
        .bind(expires_at)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

/// When a presentation code expires and the identifier of its licence's current version.
pub async fn presentation<'e>(
    db: impl Db<'e>,
    code_hash: &str,
) -> ApiResult<Option<(i64, String)>> {
    let row = sqlx::query(
        "SELECT p.expires_at, l.identifier FROM licence_presentations p JOIN licences l ON l.id = p.licence_id WHERE p.code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.try_get(0)?, row.try_get(1)?)))
}
