//! The licence catalogue: licence types with their GB/T 36904 type code and template.

use sqlx::{AnyConnection, Row};

use super::Db;
use crate::service::db::opt_text;
use crate::service::error::{ApiError, ApiResult};

/// What issuing needs of a type.
pub struct TypeRow {
    pub code: String,
    pub name: String,
    pub type_code: String,
    /// The template as JSON text.
    pub template: String,
    /// The organisation whose own type it is; none for a platform-wide one.
    pub organization_id: Option<String>,
}

pub async fn find<'e>(db: impl Db<'e>, code: &str) -> ApiResult<Option<TypeRow>> {
    let r =
        sqlx::query("SELECT code, name, type_code, template, organization_id FROM licence_types WHERE code = $1")
            .bind(code)
            .fetch_optional(db)
            .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some(TypeRow {
        code: r.try_get(0)?,
        name: r.try_get(1)?,
        type_code: r.try_get(2)?,
        template: r.try_get(3)?,
        organization_id: opt_text(&r, "organization_id"),
    }))
}

/// A type as the catalogue lists it.
pub struct CatalogueRow {
    pub code: String,
    pub name: String,
    pub type_code: String,
    pub authority_name: String,
    pub authority_code: String,
    pub metadata_fields: Vec<String>,
    pub organization_id: Option<String>,
}

pub async fn all<'e>(db: impl Db<'e>) -> ApiResult<Vec<CatalogueRow>> {
    let rows = sqlx::query(
        "SELECT code, name, type_code, authority_name, authority_code, metadata_fields, \
         organization_id FROM licence_types ORDER BY code",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let fields: String = r.try_get(5)?;
            Ok(CatalogueRow {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                type_code: r.try_get(2)?,
                authority_name: r.try_get(3)?,
                authority_code: r.try_get(4)?,
                metadata_fields: serde_json::from_str(&fields).map_err(ApiError::internal)?,
                organization_id: opt_text(r, "organization_id"),
            })
        })
        .collect()
}

pub async fn exists(conn: &mut AnyConnection, code: &str) -> ApiResult<bool> {
    Ok(sqlx::query("SELECT 1 FROM licence_types WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// A new type.
pub struct NewType<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub type_code: &'a str,
    pub authority_name: &'a str,
    pub authority_code: &'a str,
    /// JSON text.
    pub template: &'a str,
    pub metadata_fields: &'a [String],
    /// The organisation whose own type it is; none for a platform-wide one.
    pub organization_id: Option<&'a str>,
    pub created_at: i64,
}

pub async fn insert<'e>(db: impl Db<'e>, t: NewType<'_>) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO licence_types (code, name, type_code, authority_name, authority_code, template, metadata_fields, created_at, organization_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(t.code)
    .bind(t.name)
    .bind(t.type_code)
    .bind(t.authority_name)
    .bind(t.authority_code)
    .bind(t.template)
    .bind(serde_json::to_string(t.metadata_fields).map_err(ApiError::internal)?)
    .bind(t.created_at)
    .bind(t.organization_id)
    .execute(db)
    .await?;
    Ok(())
}
