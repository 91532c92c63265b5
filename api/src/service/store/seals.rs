//! Seals (with their certificate's summary), their kinds, statuses and key stores, and the
//! record of each seal use (`sealings`; written by the group commit in [`crate::service::commit`]).

use eseal_signer::ses::SealType;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::certificates::CertificateStatus;
use super::{state, text_enum, Db};
use crate::service::db::opt_text;
use crate::service::error::ApiResult;

text_enum! {
    /// Whether a seal may be applied: only `Active` ones; `Revoked` is final.
    pub enum SealStatus {
        Active = "active",
        Suspended = "suspended",
        Revoked = "revoked",
    }
}

text_enum! {
    /// Where a seal's key lives: encrypted in the store, or in the configured PKCS#11 token.
    pub enum KeyStore {
        Software = "software",
        Pkcs11 = "pkcs11",
    }
}

/// The seal kinds of the API and the store, as GB/T 38540 seal types: the texts the service
/// has always used for them (`official` is the 法定名称章, `department` one of 其他).
pub mod kind {
    use eseal_signer::ses::SealType;

    /// The text of a seal type in the API and the store.
    pub fn as_str(t: SealType) -> &'static str {
        match t {
            SealType::LegalName => "official",
            SealType::Contract => "contract",
            SealType::Finance => "finance",
            SealType::Invoice => "invoice",
            SealType::LegalRepresentative => "legal_representative",
            SealType::Other => "department",
        }
    }

    /// The seal type of a text, if it names one.
    pub fn parse(s: &str) -> Option<SealType> {
        SealType::ALL.into_iter().find(|t| as_str(*t) == s)
    }

    /// For `#[serde(serialize_with)]`: the type as its text.
    pub fn serialize<S: serde::Serializer>(t: &SealType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(as_str(*t))
    }
}

/// A seal's certificate as shown with the seal.
#[derive(Clone, Debug)]
pub struct CertificateSummary {
    pub id: String,
    pub subject: String,
    pub serial_hex: String,
    pub status: CertificateStatus,
    pub not_after: i64,
}

/// A seal row joined with its certificate.
#[derive(Clone, Debug)]
pub struct SealRow {
    pub id: String,
    pub name: String,
    pub kind: SealType,
    pub status: SealStatus,
    pub organization_id: String,
    pub department_id: Option<String>,
    pub key_store: KeyStore,
    pub certificate: CertificateSummary,
    pub created_at: i64,
}

const SELECT: &str =
    "SELECT s.id, s.name, s.kind, s.status, s.organization_id, s.department_id, s.key_store, s.created_at, \
    c.id AS cert_id, c.subject, c.serial_hex, c.status AS cert_status, c.not_after \
    FROM seals s JOIN certificates c ON c.id = s.certificate_id";

fn seal_row(r: &AnyRow) -> ApiResult<SealRow> {
    let kind: String = r.try_get("kind")?;
    Ok(SealRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: kind::parse(&kind).ok_or_else(|| {
            crate::service::error::ApiError::internal(format!(
                "unknown seal kind '{kind}' in the store"
            ))
        })?,
        status: state(r, "status")?,
        organization_id: r.try_get("organization_id")?,
        department_id: opt_text(r, "department_id"),
        key_store: state(r, "key_store")?,
        certificate: CertificateSummary {
            id: r.try_get("cert_id")?,
            subject: r.try_get("subject")?,
            serial_hex: r.try_get("serial_hex")?,
            status: state(r, "cert_status")?,
            not_after: r.try_get("not_after")?,
        },
        created_at: r.try_get("created_at")?,
    })
}

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<SealRow>> {
    let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(seal_row).transpose()
}

/// The seals of an organisation, oldest first.
pub async fn of_organization<'e>(db: impl Db<'e>, org: &str) -> ApiResult<Vec<SealRow>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE s.organization_id = $1 ORDER BY s.created_at, s.id"
    ))
    .bind(org)
    .fetch_all(db)
    .await?;
    rows.iter().map(seal_row).collect()
}

/// The organisation holding a seal, if the seal exists.
pub async fn organization_of<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT organization_id FROM seals WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?,
    )
}

/// The seal an organisation certifies licences with: its first active organisation-wide
/// seal, official ones first.
pub async fn first_active_official<'e>(db: impl Db<'e>, org: &str) -> ApiResult<Option<String>> {
    Ok(sqlx::query(
        "SELECT id FROM seals WHERE organization_id = $1 AND department_id IS NULL AND status = $2 \
         ORDER BY CASE WHEN kind = $3 THEN 0 ELSE 1 END, created_at, id",
    )
    .bind(org)
    .bind(SealStatus::Active.as_str())
    .bind(kind::as_str(SealType::LegalName))
    .fetch_optional(db)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?)
}

/// A new seal, active from its creation.
pub struct NewSeal<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub department_id: Option<&'a str>,
    pub name: &'a str,
    pub kind: SealType,
    pub certificate_id: &'a str,
    /// The vault-encrypted key; empty for a token key.
    pub key_pem: String,
    pub image: Option<Vec<u8>>,
    pub key_store: KeyStore,
    pub key_label: Option<String>,
    pub created_at: i64,
}

pub async fn insert<'e>(db: impl Db<'e>, s: NewSeal<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO seals (id, organization_id, department_id, name, kind, status, certificate_id, key_pem, image, created_at, updated_at, key_store, key_label) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
    )
    .bind(s.id)
    .bind(s.organization_id)
    .bind(s.department_id)
    .bind(s.name)
    .bind(kind::as_str(s.kind))
    .bind(SealStatus::Active.as_str())
    .bind(s.certificate_id)
    .bind(s.key_pem)
    .bind(s.image)
    .bind(s.created_at)
    .bind(s.key_store.as_str())
    .bind(s.key_label)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_status<'e>(db: impl Db<'e>, id: &str, to: SealStatus, at: i64) -> ApiResult<()> {
    sqlx::query("UPDATE seals SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(at)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// What signing with a seal needs from the store.
pub struct KeyRow {
    pub key_pem: String,
    pub key_store: KeyStore,
    pub key_label: Option<String>,
    pub image: Option<Vec<u8>>,
    pub certificate_der: Vec<u8>,
    pub ca_id: String,
}

pub async fn key(conn: &mut AnyConnection, id: &str) -> ApiResult<KeyRow> {
    let row = sqlx::query(
        "SELECT s.key_pem, s.key_store, s.key_label, s.image, c.der, c.ca_id FROM seals s JOIN certificates c ON c.id = s.certificate_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(KeyRow {
        key_pem: row.try_get("key_pem")?,
        key_store: state(&row, "key_store")?,
        key_label: opt_text(&row, "key_label"),
        image: row.try_get("image")?,
        certificate_der: row.try_get("der")?,
        ca_id: row.try_get("ca_id")?,
    })
}

/// A recorded seal use.
pub struct SealingRow {
    pub id: String,
    pub seal_id: String,
    pub organization_id: String,
    /// The department of the seal used (none: an organisation-wide seal).
    pub department_id: Option<String>,
    pub document_id: Option<String>,
    pub input_sha256: String,
    pub output_sha256: String,
    pub output_len: i64,
    pub log_index: i64,
    pub created_at: i64,
}

pub async fn find_sealing<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<SealingRow>> {
    let row = sqlx::query(
        "SELECT u.id, u.seal_id, u.organization_id, s.department_id, u.document_id, u.input_sha256, \
         u.output_sha256, u.output_len, u.log_index, u.created_at \
         FROM sealings u JOIN seals s ON s.id = u.seal_id WHERE u.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(SealingRow {
        id: r.try_get("id")?,
        seal_id: r.try_get("seal_id")?,
        organization_id: r.try_get("organization_id")?,
        department_id: opt_text(&r, "department_id"),
        document_id: opt_text(&r, "document_id"),
        input_sha256: r.try_get("input_sha256")?,
        output_sha256: r.try_get("output_sha256")?,
        output_len: r.try_get("output_len")?,
        log_index: r.try_get("log_index")?,
        created_at: r.try_get("created_at")?,
    }))
}
