//! Organisations (a tree: province, city, county, department levels) and their departments.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{state, text_enum, Db};
use crate::service::db::opt_text;
use crate::service::error::ApiResult;

text_enum! {
    /// The administrative level of an organisation, department or CA.
    pub enum Level {
        Province = "province",
        City = "city",
        County = "county",
        Department = "department",
    }
}

/// An organisation row.
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub uscc: Option<String>,
    pub level: Level,
    pub parent_id: Option<String>,
    pub created_at: i64,
}

fn org_row(r: &AnyRow) -> ApiResult<OrgRow> {
    Ok(OrgRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        uscc: opt_text(r, "uscc"),
        level: state(r, "level")?,
        parent_id: opt_text(r, "parent_id"),
        created_at: r.try_get("created_at")?,
    })
}

const SELECT: &str = "SELECT id, name, uscc, level, parent_id, created_at FROM organizations";

/// An organisation that must exist (the caller's own, say).
pub async fn get<'e>(db: impl Db<'e>, id: &str) -> ApiResult<OrgRow> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    org_row(&row)
}

/// An organisation, if it exists.
pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<OrgRow>> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(org_row).transpose()
}

/// The oldest organisation with this exact name (for the first start's own organisations,
/// whose names it chose).
pub async fn named<'e>(db: impl Db<'e>, name: &str) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT id FROM organizations WHERE name = $1 ORDER BY created_at, id")
            .bind(name)
            .fetch_optional(db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// The organisation that a unified social credit code (upper case) identifies.
pub async fn holder_of_uscc<'e>(db: impl Db<'e>, uscc: &str) -> ApiResult<Option<String>> {
    Ok(sqlx::query("SELECT id FROM organizations WHERE uscc = $1")
        .bind(uscc)
        .fetch_optional(db)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// An organisation and those above it, nearest first (at most 64: the tree is shallow, and a
/// damaged store must not loop).
pub async fn lineage(conn: &mut sqlx::AnyConnection, id: &str) -> ApiResult<Vec<String>> {
    let mut out = vec![id.to_string()];
    while out.len() < 64 {
        let Some(parent) = parent_of(&mut *conn, out[out.len() - 1].as_str()).await? else {
            break;
        };
        if out.contains(&parent) {
            break;
        }
        out.push(parent);
    }
    Ok(out)
}

/// The parent of an organisation (`None` for a root or an unknown id).
pub async fn parent_of<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT parent_id FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
            .and_then(|r| opt_text(&r, "parent_id")),
    )
}

/// The organisations one level below `parent`.
pub async fn children_of<'e>(db: impl Db<'e>, parent: &str) -> ApiResult<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM organizations WHERE parent_id = $1")
        .bind(parent)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>(0)?))
        .collect()
}

/// A new organisation.
pub struct NewOrg<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub uscc: Option<&'a str>,
    pub level: Level,
    pub parent_id: Option<&'a str>,
    pub created_at: i64,
}

pub async fn insert<'e>(db: impl Db<'e>, o: NewOrg<'_>) -> ApiResult<()> {
    sqlx::query("INSERT INTO organizations (id, name, uscc, level, parent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(o.id)
        .bind(o.name)
        .bind(o.uscc)
        .bind(o.level.as_str())
        .bind(o.parent_id)
        .bind(o.created_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The name of a department of `org`, if it is one.
pub async fn department_name<'e>(
    db: impl Db<'e>,
    dept: &str,
    org: &str,
) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query("SELECT name FROM departments WHERE id = $1 AND organization_id = $2")
            .bind(dept)
            .bind(org)
            .fetch_optional(db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// A new department.
pub struct NewDepartment<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub name: &'a str,
    pub level: Level,
    pub created_at: i64,
}

pub async fn insert_department<'e>(db: impl Db<'e>, d: NewDepartment<'_>) -> ApiResult<()> {
    sqlx::query("INSERT INTO departments (id, organization_id, name, level, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(d.id)
        .bind(d.organization_id)
        .bind(d.name)
        .bind(d.level.as_str())
        .bind(d.created_at)
        .execute(db)
        .await?;
    Ok(())
}
