//! Certificates as issued: their rows, revocations and what OCSP and CRLs say of them.
//! Issuing them (and signing the CRL a revocation needs) is the PKI's:
//! [`crate::service::pki`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{state, text_enum, Db};
use crate::service::db::opt_text;
use crate::service::error::ApiResult;

text_enum! {
    /// `Revoked` is final; an expired certificate stays `Valid` in the store.
    pub enum CertificateStatus {
        Valid = "valid",
        Revoked = "revoked",
    }
}

/// A certificate row.
pub struct CertificateRow {
    pub id: String,
    pub ca_id: String,
    pub organization_id: String,
    pub subject: String,
    pub serial_hex: String,
    /// ca or seal.
    pub kind: String,
    pub status: CertificateStatus,
    pub revocation_reason: Option<String>,
    pub not_after: i64,
    pub der: Vec<u8>,
}

fn certificate_row(r: &AnyRow) -> ApiResult<CertificateRow> {
    Ok(CertificateRow {
        id: r.try_get("id")?,
        ca_id: r.try_get("ca_id")?,
        organization_id: r.try_get("organization_id")?,
        subject: r.try_get("subject")?,
        serial_hex: r.try_get("serial_hex")?,
        kind: r.try_get("kind")?,
        status: state(r, "status")?,
        revocation_reason: opt_text(r, "revocation_reason"),
        not_after: r.try_get("not_after")?,
        der: r.try_get("der")?,
    })
}

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<CertificateRow>> {
    let row = sqlx::query(
        "SELECT id, ca_id, organization_id, subject, serial_hex, kind, status, revocation_reason, not_after, der FROM certificates WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(certificate_row).transpose()
}

/// What OCSP answers about one serial of a CA.
pub struct Revocation {
    pub status: CertificateStatus,
    pub revoked_at: Option<i64>,
    pub reason: Option<String>,
}

pub async fn revocation<'e>(
    db: impl Db<'e>,
    ca_id: &str,
    serial_hex: &str,
) -> ApiResult<Option<Revocation>> {
    let row = sqlx::query(
        "SELECT status, revoked_at, revocation_reason FROM certificates \
         WHERE ca_id = $1 AND serial_hex = $2",
    )
    .bind(ca_id)
    .bind(serial_hex)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Revocation {
        status: state(&row, "status")?,
        revoked_at: row.try_get("revoked_at")?,
        reason: opt_text(&row, "revocation_reason"),
    }))
}

/// The DER of a certificate.
pub async fn der<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Vec<u8>> {
    Ok(sqlx::query("SELECT der FROM certificates WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await?
        .try_get(0)?)
}

/// A certificate just issued.
pub struct NewCertificate<'a> {
    pub id: &'a str,
    pub ca_id: &'a str,
    pub organization_id: &'a str,
    pub serial_hex: &'a str,
    pub subject: &'a str,
    pub kind: &'a str,
    pub der: Vec<u8>,
    pub not_after: i64,
    pub created_at: i64,
}

/// Stores a valid certificate.
pub async fn insert<'e>(db: impl Db<'e>, c: NewCertificate<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO certificates (id, ca_id, organization_id, serial_hex, subject, kind, der, not_after, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.id)
    .bind(c.ca_id)
    .bind(c.organization_id)
    .bind(c.serial_hex)
    .bind(c.subject)
    .bind(c.kind)
    .bind(c.der)
    .bind(c.not_after)
    .bind(CertificateStatus::Valid.as_str())
    .bind(c.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a valid certificate revoked; returns its CA's id (the CRL to sign again).
pub async fn revoke(
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    at: i64,
) -> ApiResult<String> {
    let ca_id: String = sqlx::query("SELECT ca_id FROM certificates WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    sqlx::query(
        "UPDATE certificates SET status = $4, revoked_at = $1, revocation_reason = $2 \
         WHERE id = $3 AND status = $5",
    )
    .bind(at)
    .bind(reason)
    .bind(id)
    .bind(CertificateStatus::Revoked.as_str())
    .bind(CertificateStatus::Valid.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(ca_id)
}

/// A revoked certificate as its CA's CRL lists it.
pub struct Revoked {
    pub serial_hex: String,
    pub revoked_at: Option<i64>,
    pub reason: Option<String>,
}

/// The revoked certificates of a CA, in the order of their revocation.
pub async fn revoked_by<'e>(db: impl Db<'e>, ca_id: &str) -> ApiResult<Vec<Revoked>> {
    let rows = sqlx::query(
        "SELECT serial_hex, revoked_at, revocation_reason FROM certificates \
         WHERE ca_id = $1 AND status = $2 ORDER BY revoked_at",
    )
    .bind(ca_id)
    .bind(CertificateStatus::Revoked.as_str())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Revoked {
                serial_hex: r.try_get(0)?,
                revoked_at: r.try_get(1)?,
                reason: opt_text(r, "revocation_reason"),
            })
        })
        .collect()
}

/// The organisation that holds certificates with this subject, if any.
pub async fn subject_holder<'e>(db: impl Db<'e>, subject: &str) -> ApiResult<Option<String>> {
    let row = sqlx::query("SELECT organization_id FROM certificate_subjects WHERE subject = $1")
        .bind(subject)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Claims `subject` for `organization_id`: the first organisation to hold a certificate with
/// a subject keeps it (a unique violation, 409, when a concurrent claim won).
pub async fn claim_subject<'e>(
    db: impl Db<'e>,
    subject: &str,
    organization_id: &str,
) -> ApiResult<()> {
    sqlx::query("INSERT INTO certificate_subjects (subject, organization_id) VALUES ($1, $2)")
        .bind(subject)
        .bind(organization_id)
        .execute(db)
        .await?;
    Ok(())
}
