//! Multi-step documents: the PDF as sealed so far (with a version for optimistic
//! concurrency) and one row per required seal.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{state, text_enum, Db};
use crate::service::db::opt_text;
use crate::service::error::ApiResult;

text_enum! {
    /// A step's state.
    pub enum StepStatus {
        Pending = "pending",
        Sealed = "sealed",
    }
}

text_enum! {
    /// A document's state, from how many of its steps are sealed (never stored).
    pub enum DocumentState {
        Prepared = "prepared",
        Sealed = "sealed",
        Complete = "complete",
    }
}

impl DocumentState {
    pub fn of(sealed: i64, total: i64) -> DocumentState {
        match sealed {
            0 => DocumentState::Prepared,
            k if k == total => DocumentState::Complete,
            _ => DocumentState::Sealed,
        }
    }
}

/// A document row without its content.
pub struct DocumentRow {
    pub id: String,
    pub title: String,
    pub organization_id: String,
    /// The department whose key created it (none: an organisation-wide key).
    pub department_id: Option<String>,
    pub ordered: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

fn document_row(r: &AnyRow) -> ApiResult<DocumentRow> {
    Ok(DocumentRow {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        organization_id: r.try_get("organization_id")?,
        department_id: opt_text(r, "department_id"),
        ordered: r.try_get::<i64, _>("ordered")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn find<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Option<DocumentRow>> {
    let row = sqlx::query("SELECT id, title, organization_id, department_id, ordered, created_at, updated_at FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(document_row).transpose()
}

/// A step with the seal it needs.
pub struct StepRow {
    pub step: i64,
    pub seal_id: String,
    pub field: String,
    pub status: StepStatus,
    pub sealed_at: Option<i64>,
    pub sealing_id: Option<String>,
    pub seal_name: String,
    pub organization_id: String,
    pub department_id: Option<String>,
}

/// The steps of a document, in order.
pub async fn steps<'e>(db: impl Db<'e>, id: &str) -> ApiResult<Vec<StepRow>> {
    let rows = sqlx::query(
        "SELECT t.step_no, t.seal_id, t.field_name, t.status, t.sealed_at, t.sealing_id, s.name, s.organization_id, s.department_id \
         FROM document_steps t JOIN seals s ON s.id = t.seal_id WHERE t.document_id = $1 ORDER BY t.step_no",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StepRow {
                step: r.try_get("step_no")?,
                seal_id: r.try_get("seal_id")?,
                field: r.try_get("field_name")?,
                status: state(r, "status")?,
                sealed_at: r.try_get("sealed_at")?,
                sealing_id: opt_text(r, "sealing_id"),
                seal_name: r.try_get("name")?,
                organization_id: r.try_get("organization_id")?,
                department_id: opt_text(r, "department_id"),
            })
        })
        .collect()
}

/// A document in a list, with its step counts.
pub struct SummaryRow {
    pub document: DocumentRow,
    pub sealed: i64,
    pub total: i64,
}

/// Up to `limit` documents after `after` that `org` created or has a step in.
/// A page of the documents `org` (or, for a department's key, `department` of it) sees: those
/// it created and those with a step for one of its seals.
pub async fn page<'e>(
    db: impl Db<'e>,
    org: &str,
    department: Option<&str>,
    after: &str,
    limit: i64,
) -> ApiResult<Vec<SummaryRow>> {
    let (own, seal) = match department {
        None => ("d.organization_id = $1", "s.organization_id = $1"),
        Some(_) => (
            "d.organization_id = $1 AND d.department_id = $5",
            "s.organization_id = $1 AND s.department_id = $5",
        ),
    };
    let sql = format!(
        "SELECT d.id, d.title, d.organization_id, d.department_id, d.ordered, d.created_at, d.updated_at, \
         (SELECT COUNT(*) FROM document_steps t WHERE t.document_id = d.id) AS total, \
         (SELECT COUNT(*) FROM document_steps t WHERE t.document_id = d.id AND t.status = $4) AS sealed \
         FROM documents d \
         WHERE (({own}) OR EXISTS (SELECT 1 FROM document_steps t JOIN seals s ON s.id = t.seal_id \
                WHERE t.document_id = d.id AND {seal})) AND d.id > $2 \
         ORDER BY d.id LIMIT $3"
    );
    let mut query = sqlx::query(&sql)
        .bind(org)
        .bind(after)
        .bind(limit)
        .bind(StepStatus::Sealed.as_str());
    if let Some(d) = department {
        query = query.bind(d);
    }
    let rows = query.fetch_all(db).await?;
    rows.iter()
        .map(|r| {
            Ok(SummaryRow {
                document: document_row(r)?,
                sealed: r.try_get("sealed")?,
                total: r.try_get("total")?,
            })
        })
        .collect()
}

/// A new document with its steps (`seal_ids[i]` for step i + 1), all pending.
pub struct NewDocument<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub department_id: Option<&'a str>,
    pub title: &'a str,
    pub ordered: bool,
    pub content: Vec<u8>,
    pub created_at: i64,
}

pub async fn insert(
    conn: &mut AnyConnection,
    d: NewDocument<'_>,
    steps: &[(i64, &str, String)],
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO documents (id, organization_id, title, ordered, version, content, created_at, updated_at, department_id) VALUES ($1, $2, $3, $4, 0, $5, $6, $6, $7)",
    )
    .bind(d.id)
    .bind(d.organization_id)
    .bind(d.title)
    .bind(i64::from(d.ordered))
    .bind(d.content)
    .bind(d.created_at)
    .bind(d.department_id)
    .execute(&mut *conn)
    .await?;
    for (n, seal_id, field) in steps {
        sqlx::query("INSERT INTO document_steps (document_id, step_no, seal_id, field_name, status) VALUES ($1, $2, $3, $4, $5)")
            .bind(d.id)
            .bind(n)
            .bind(*seal_id)
            .bind(field)
            .bind(StepStatus::Pending.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The PDF as sealed so far and its version.
pub async fn content<'e>(db: impl Db<'e>, id: &str) -> ApiResult<(Vec<u8>, i64)> {
    let row = sqlx::query("SELECT content, version FROM documents WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Stores the next version of the PDF unless someone stored one after `version`: whether
/// it did.
pub async fn replace_content<'e>(
    db: impl Db<'e>,
    id: &str,
    content: Vec<u8>,
    version: i64,
    at: i64,
) -> ApiResult<bool> {
    let done = sqlx::query("UPDATE documents SET content = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
        .bind(content)
        .bind(at)
        .bind(id)
        .bind(version)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_sealed<'e>(
    db: impl Db<'e>,
    id: &str,
    step: i64,
    sealing_id: &str,
    at: i64,
) -> ApiResult<()> {
    sqlx::query("UPDATE document_steps SET status = $1, sealed_at = $2, sealing_id = $3 WHERE document_id = $4 AND step_no = $5")
        .bind(StepStatus::Sealed.as_str())
        .bind(at)
        .bind(sealing_id)
        .bind(id)
        .bind(step)
        .execute(db)
        .await?;
    Ok(())
}
