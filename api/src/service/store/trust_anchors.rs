//! Trust anchors: the roots `/v1/verify` and the public pages trust, each with a label and a
//! region (跨区域互认). Only operators add or remove them; a removed anchor keeps its row.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{state, text_enum, Db};
use crate::service::error::ApiResult;

text_enum! {
    /// Where an anchor came from.
    pub enum AnchorSource {
        /// A root CA of this service.
        Platform = "platform",
        /// A certificate an operator imported.
        Pem = "pem",
        /// A certificate from an ETSI TS 119 612 trusted list whose signature was checked.
        TrustedList = "trusted-list",
    }
}

/// An anchor as stored.
pub struct AnchorRow {
    pub id: String,
    pub label: String,
    pub region: String,
    pub source: AnchorSource,
    pub certificate: Vec<u8>,
    pub sha256: String,
    pub ca_id: Option<String>,
    pub created_at: i64,
    pub removed_at: Option<i64>,
}

fn anchor_row(r: &AnyRow) -> ApiResult<AnchorRow> {
    Ok(AnchorRow {
        id: r.try_get("id")?,
        label: r.try_get("label")?,
        region: r.try_get("region")?,
        source: state(r, "source")?,
        certificate: r.try_get("certificate")?,
        sha256: r.try_get("sha256")?,
        ca_id: crate::service::db::opt_text(r, "ca_id"),
        created_at: r.try_get("created_at")?,
        removed_at: r.try_get("removed_at")?,
    })
}

const SELECT: &str = "SELECT id, label, region, source, certificate, sha256, ca_id, created_at, \
    removed_at FROM trust_anchors";

/// A new anchor.
pub struct NewAnchor<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub region: &'a str,
    pub source: AnchorSource,
    pub certificate: &'a [u8],
    pub sha256: &'a str,
    pub ca_id: Option<&'a str>,
    pub created_at: i64,
}

/// Adds an anchor; a certificate already anchored is a unique violation (409).
pub async fn insert<'e>(db: impl Db<'e>, a: NewAnchor<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO trust_anchors (id, label, region, source, certificate, sha256, ca_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.id)
    .bind(a.label)
    .bind(a.region)
    .bind(a.source.as_str())
    .bind(a.certificate)
    .bind(a.sha256)
    .bind(a.ca_id)
    .bind(a.created_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The anchors in force, oldest first.
pub async fn active<'e>(db: impl Db<'e>) -> ApiResult<Vec<AnchorRow>> {
    let sql = format!("{SELECT} WHERE removed_at IS NULL ORDER BY created_at, id");
    let rows = sqlx::query(&sql).fetch_all(db).await?;
    rows.iter().map(anchor_row).collect()
}

/// The anchor in force with this certificate (SHA-256 of its DER, hex), if any.
pub async fn in_force_with<'e>(db: impl Db<'e>, sha256: &str) -> ApiResult<Option<AnchorRow>> {
    let sql = format!("{SELECT} WHERE sha256 = $1 AND removed_at IS NULL");
    let row = sqlx::query(&sql).bind(sha256).fetch_optional(db).await?;
    row.as_ref().map(anchor_row).transpose()
}

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<AnchorRow>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db).await?;
    row.as_ref().map(anchor_row).transpose()
}

/// Withdraws an anchor in force; false when there was none with this id.
pub async fn remove<'e>(db: impl Db<'e>, id: &str, at: i64) -> ApiResult<bool> {
    let done = sqlx::query(
        "UPDATE trust_anchors SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
