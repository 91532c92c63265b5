//! Certificates as the API and the OCSP responder read them. Issuing, recording and revoking
//! them (with the CRL that follows) is the PKI's: [`crate::service::pki`].

use sqlx::any::AnyRow;
use sqlx::Row;

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
