//! Multi-department and cross-level documents: a PDF with a list of required seals. Step 1
//! certifies (DocMDP P=2) and prepares an empty signature field for every later step; each
//! later step fills its field as an incremental update, so every earlier seal stays valid.
//!
//! Explicit states: `prepared` (no seal yet), `sealed` (k of n), `complete`. In an ordered
//! document only the lowest pending step may seal; in an unordered one any pending step may,
//! once step 1 has certified. A step may name a seal of the creating organisation or of an
//! organisation above or below it (cross-level); each step is sealed by the keys of the seal's
//! own organisation.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

use super::body::{pdf_response, Spooled};
use super::page::{self, PageQuery};
use super::seals::{sealing_record, SealView};
use crate::service::audit::{self, NewEntry};
use crate::service::auth::{record_denial, Caller, Role};
use crate::service::commit;
use crate::service::db::{new_id, now, opt_text, rfc3339};
use crate::service::engine::{self, Placement};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::Shared;

#[derive(Deserialize, ToSchema)]
pub struct NewStep {
    /// The seal this step applies.
    pub seal_id: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewDocument {
    pub title: String,
    /// Steps in the given order (true, the default) or in any order after step 1.
    pub ordered: Option<bool>,
    /// 1 to 20 steps.
    pub steps: Vec<NewStep>,
    /// The PDF, base64.
    pub pdf_base64: String,
}

#[derive(Serialize, ToSchema)]
pub struct StepView {
    pub step: i64,
    pub seal_id: String,
    pub seal_name: String,
    pub organization_id: String,
    pub department_id: Option<String>,
    pub field: String,
    /// pending or sealed.
    pub status: String,
    pub sealed_at: Option<String>,
    pub sealing_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub title: String,
    pub organization_id: String,
    pub ordered: bool,
    /// prepared, sealed or complete.
    pub state: String,
    pub sealed: usize,
    pub total: usize,
    /// The steps that may seal now.
    pub next: Vec<i64>,
    pub steps: Vec<StepView>,
    pub created_at: String,
    pub updated_at: String,
}

fn field_name(step: i64) -> String {
    format!("Step{step}")
}

/// Organisations on one line of the hierarchy with `org` (itself, ancestors, descendants).
async fn related(state: &Shared, a: &str, b: &str) -> ApiResult<bool> {
    if a == b {
        return Ok(true);
    }
    for (lo, hi) in [(a, b), (b, a)] {
        let mut cur = Some(lo.to_string());
        let mut depth = 0;
        while let Some(id) = cur {
            if id == hi {
                return Ok(true);
            }
            depth += 1;
            if depth > 16 {
                break;
            }
            cur = sqlx::query("SELECT parent_id FROM organizations WHERE id = $1")
                .bind(&id)
                .fetch_optional(&state.db)
                .await?
                .and_then(|r| opt_text(&r, "parent_id"));
        }
    }
    Ok(false)
}

async fn load(state: &Shared, caller: &Caller, id: &str, action: &str) -> ApiResult<DocumentView> {
    let d = sqlx::query("SELECT id, title, organization_id, ordered, created_at, updated_at FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such document '{id}'")))?;
    let rows = sqlx::query(
        "SELECT t.step_no, t.seal_id, t.field_name, t.status, t.sealed_at, t.sealing_id, s.name, s.organization_id, s.department_id \
         FROM document_steps t JOIN seals s ON s.id = t.seal_id WHERE t.document_id = $1 ORDER BY t.step_no",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    let mut steps = Vec::new();
    for r in &rows {
        steps.push(StepView {
            step: r.try_get("step_no")?,
            seal_id: r.try_get("seal_id")?,
            seal_name: r.try_get("name")?,
            organization_id: r.try_get("organization_id")?,
            department_id: opt_text(r, "department_id"),
            field: r.try_get("field_name")?,
            status: r.try_get("status")?,
            sealed_at: r.try_get::<Option<i64>, _>("sealed_at")?.map(rfc3339),
            sealing_id: opt_text(r, "sealing_id"),
        });
    }
    let owner: String = d.try_get("organization_id")?;
    if owner != caller.organization_id
        && !steps
            .iter()
            .any(|s| s.organization_id == caller.organization_id)
    {
        return Err(caller.hidden(state, action, "document").await);
    }
    let ordered = d.try_get::<i64, _>("ordered")? != 0;
    let sealed = steps.iter().filter(|s| s.status == "sealed").count();
    let total = steps.len();
    let pending: Vec<i64> = steps
        .iter()
        .filter(|s| s.status != "sealed")
        .map(|s| s.step)
        .collect();
    let next = match pending.first() {
        None => vec![],
        Some(1) => vec![1],
        Some(first) if ordered => vec![*first],
        Some(_) => pending.clone(),
    };
    Ok(DocumentView {
        id: d.try_get("id")?,
        title: d.try_get("title")?,
        organization_id: owner,
        ordered,
        state: match sealed {
            0 => "prepared",
            k if k == total => "complete",
            _ => "sealed",
        }
        .into(),
        sealed,
        total,
        next,
        steps,
        created_at: rfc3339(d.try_get("created_at")?),
        updated_at: rfc3339(d.try_get("updated_at")?),
    })
}

#[utoipa::path(post, path = "/v1/documents", tag = "eseal", security(("bearer" = [])), request_body = NewDocument,
    responses((status = 201, body = DocumentView), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_document(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewDocument>,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    caller
        .require(&state, "create documents", &[Role::Admin, Role::Sealer])
        .await?;
    let title = req.title.trim();
    if title.is_empty() || title.len() > 500 {
        return Err(ApiError::BadRequest("title: 1 to 500 characters".into()));
    }
    if req.steps.is_empty() || req.steps.len() > 20 {
        return Err(ApiError::BadRequest("steps: 1 to 20 steps".into()));
    }
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(req.pdf_base64.trim())
        .map_err(|e| ApiError::BadRequest(format!("pdf_base64: {e}")))?;
    if !pdf.starts_with(b"%PDF-") && !pdf.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Err(ApiError::Unprocessable("pdf_base64: not a PDF".into()));
    }
    for s in &req.steps {
        let org = sqlx::query("SELECT organization_id FROM seals WHERE id = $1")
            .bind(&s.seal_id)
            .fetch_optional(&state.db)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?;
        match org {
            Some(o) if related(&state, &o, &caller.organization_id).await? => {}
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "steps: no such seal '{}'",
                    s.seal_id
                )))
            }
        }
    }
    let id = new_id("doc");
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO documents (id, organization_id, title, ordered, version, content, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $6)",
    )
    .bind(&id)
    .bind(&caller.organization_id)
    .bind(title)
    .bind(i64::from(req.ordered.unwrap_or(true)))
    .bind(pdf)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    for (i, s) in req.steps.iter().enumerate() {
        let n = i as i64 + 1;
        sqlx::query("INSERT INTO document_steps (document_id, step_no, seal_id, field_name, status) VALUES ($1, $2, $3, $4, 'pending')")
            .bind(&id)
            .bind(n)
            .bind(&s.seal_id)
            .bind(field_name(n))
            .execute(&mut *tx)
            .await?;
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "document.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "title": title, "steps": req.steps.iter().map(|s| s.seal_id.clone()).collect::<Vec<_>>() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(load(&state, &caller, &id, "read document").await?),
    ))
}

/// A document in a list: its state without the steps.
#[derive(Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: String,
    pub title: String,
    pub organization_id: String,
    pub ordered: bool,
    /// prepared, sealed or complete.
    pub state: String,
    pub sealed: i64,
    pub total: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentPage {
    pub items: Vec<DocumentSummary>,
    /// The `after` of the next page; absent on the last one.
    pub next: Option<String>,
}

#[utoipa::path(get, path = "/v1/documents", tag = "eseal", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = DocumentPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
/// The documents of the caller's organisation and those with a step for one of its seals.
pub async fn list_documents(
    State(state): State<Shared>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<DocumentPage>> {
    caller
        .require(
            &state,
            "list documents",
            &[Role::Admin, Role::Sealer, Role::Auditor],
        )
        .await?;
    let limit = q.limit()?;
    let rows = sqlx::query(
        "SELECT d.id, d.title, d.organization_id, d.ordered, d.created_at, d.updated_at,          (SELECT COUNT(*) FROM document_steps t WHERE t.document_id = d.id) AS total,          (SELECT COUNT(*) FROM document_steps t WHERE t.document_id = d.id AND t.status = 'sealed') AS sealed          FROM documents d          WHERE (d.organization_id = $1 OR EXISTS (SELECT 1 FROM document_steps t JOIN seals s ON s.id = t.seal_id                 WHERE t.document_id = d.id AND s.organization_id = $1)) AND d.id > $2          ORDER BY d.id LIMIT $3",
    )
    .bind(&caller.organization_id)
    .bind(q.after())
    .bind(limit as i64 + 1)
    .fetch_all(&state.db)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let (sealed, total): (i64, i64) = (r.try_get("sealed")?, r.try_get("total")?);
        items.push(DocumentSummary {
            id: r.try_get("id")?,
            title: r.try_get("title")?,
            organization_id: r.try_get("organization_id")?,
            ordered: r.try_get::<i64, _>("ordered")? != 0,
            state: match sealed {
                0 => "prepared",
                k if k == total => "complete",
                _ => "sealed",
            }
            .into(),
            sealed,
            total,
            created_at: rfc3339(r.try_get("created_at")?),
            updated_at: rfc3339(r.try_get("updated_at")?),
        });
    }
    let (items, next) = page::cut(items, limit, |d| &d.id);
    Ok(Json(DocumentPage { items, next }))
}

#[utoipa::path(get, path = "/v1/documents/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem)))]
pub async fn get_document(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DocumentView>> {
    caller
        .require(
            &state,
            "read documents",
            &[Role::Admin, Role::Sealer, Role::Auditor],
        )
        .await?;
    Ok(Json(load(&state, &caller, &id, "read document").await?))
}

#[utoipa::path(post, path = "/v1/documents/{id}/steps/{n}/seal", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "document id"), ("n" = i64, Path, description = "step number, from 1")),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn seal_step(
    State(state): State<Shared>,
    caller: Caller,
    Path((id, n)): Path<(String, i64)>,
) -> ApiResult<Json<DocumentView>> {
    caller
        .require(&state, "seal document steps", &[Role::Admin, Role::Sealer])
        .await?;
    let doc = load(&state, &caller, &id, "seal document step").await?;
    let step = doc
        .steps
        .iter()
        .find(|s| s.step == n)
        .ok_or_else(|| ApiError::NotFound(format!("the document has no step {n}")))?;
    if step.organization_id != caller.organization_id {
        crate::service::auth::record_denial(
            &state,
            Some(&caller),
            "seal document step",
            403,
            "the step's seal belongs to another organisation",
        )
        .await;
        return Err(ApiError::Forbidden(format!(
            "step {n} is for a seal of another organisation"
        )));
    }
    if step.status == "sealed" {
        return Err(ApiError::Conflict(format!("step {n} is sealed already")));
    }
    if !doc.next.contains(&n) {
        return Err(ApiError::Conflict(format!(
            "step {n} is not next; the next steps are {:?}",
            doc.next
        )));
    }
    let seal: SealView = super::seals::usable_seal(&state, &caller, &step.seal_id).await?;
    let row = sqlx::query("SELECT content, version FROM documents WHERE id = $1")
        .bind(&id)
        .fetch_one(&state.db)
        .await?;
    let content: Vec<u8> = row.try_get(0)?;
    let version: i64 = row.try_get(1)?;
    let in_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&content));
    let placement = if n == 1 {
        Placement::Certify {
            field: field_name(1),
            prepare: doc.steps.iter().skip(1).map(|s| s.field.clone()).collect(),
        }
    } else {
        Placement::Fill {
            field: step.field.clone(),
        }
    };
    let material = state.seal_material(&seal.id).await?;
    let title = doc.title.clone();
    let sealed = tokio::task::spawn_blocking(move || {
        engine::seal_bytes(&content, None, &material, &placement, Some(title))
    })
    .await
    .map_err(ApiError::internal)??;
    let record = sealing_record(
        &caller,
        &seal,
        Some((&id, n)),
        &in_hash,
        &sealed.sha256,
        sealed.len,
    );
    // One transaction: the new version (only if nobody sealed in between: optimistic
    // concurrency), the seal use with its log entry, and the step's state.
    let mut tx = state.db.begin().await?;
    let done = sqlx::query("UPDATE documents SET content = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
        .bind(sealed.data)
        .bind(now())
        .bind(&id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Err(ApiError::Conflict(
            "the document changed while sealing; try again".into(),
        ));
    }
    let recorded = commit::write(&mut tx, &[&record]).await?.pop();
    if let Some(Err(refused)) = recorded {
        tx.rollback().await?;
        let status = refused.status().as_u16();
        record_denial(
            &state,
            Some(&caller),
            "apply seal",
            status,
            &refused.to_string(),
        )
        .await;
        return Err(refused);
    }
    sqlx::query("UPDATE document_steps SET status = 'sealed', sealed_at = $1, sealing_id = $2 WHERE document_id = $3 AND step_no = $4")
        .bind(now())
        .bind(&record.id)
        .bind(&id)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    state.metrics.seal_applied();
    Ok(Json(load(&state, &caller, &id, "read document").await?))
}

#[utoipa::path(get, path = "/v1/documents/{id}/file", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, description = "the document as sealed so far", content_type = "application/pdf", body = super::body::PdfBody), (status = 404, body = Problem)))]
pub async fn document_file(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    caller
        .require(
            &state,
            "read documents",
            &[Role::Admin, Role::Sealer, Role::Auditor],
        )
        .await?;
    load(&state, &caller, &id, "read document file").await?;
    let content: Vec<u8> = sqlx::query("SELECT content FROM documents WHERE id = $1")
        .bind(&id)
        .fetch_one(&state.db)
        .await?
        .try_get(0)?;
    let len = content.len() as u64;
    pdf_response(Spooled::Memory(content), len, &[])
}
