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
use utoipa::ToSchema;

use super::body::{pdf_response, Spooled};
use super::page::{self, PageQuery};
use super::seals::{sealing_record, SealView};
use crate::service::audit::{self, NewEntry};
use crate::service::auth::{record_denial, Caller, Role, READERS};
use crate::service::commit;
use crate::service::db::{new_id, now, rfc3339};
use crate::service::engine::{self, Placement};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::store::documents::{self, DocumentState, StepRow, StepStatus};
use crate::service::store::{orgs, seals};
use crate::service::{parse_pool, Shared};

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
    #[schema(value_type = String)]
    pub status: StepStatus,
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
    #[schema(value_type = String)]
    pub state: DocumentState,
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
            cur = orgs::parent_of(&state.db, &id).await?;
        }
    }
    Ok(false)
}

impl From<StepRow> for StepView {
    fn from(r: StepRow) -> StepView {
        StepView {
            step: r.step,
            seal_id: r.seal_id,
            seal_name: r.seal_name,
            organization_id: r.organization_id,
            department_id: r.department_id,
            field: r.field,
            status: r.status,
            sealed_at: r.sealed_at.map(rfc3339),
            sealing_id: r.sealing_id,
        }
    }
}

/// The steps that may seal now: step 1 first; then the lowest pending one of an ordered
/// document, or any pending one.
fn next_steps(steps: &[StepView], ordered: bool) -> Vec<i64> {
    let pending: Vec<i64> = steps
        .iter()
        .filter(|s| s.status != StepStatus::Sealed)
        .map(|s| s.step)
        .collect();
    match pending.first() {
        None => vec![],
        Some(1) => vec![1],
        Some(first) if ordered => vec![*first],
        Some(_) => pending,
    }
}

/// The document, if the caller's organisation created it or holds the seal of one of its
/// steps (others: a logged 404).
async fn load(state: &Shared, caller: &Caller, id: &str, action: &str) -> ApiResult<DocumentView> {
    let d = documents::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such document '{id}'")))?;
    let steps: Vec<StepView> = documents::steps(&state.db, id)
        .await?
        .into_iter()
        .map(StepView::from)
        .collect();
    // Whether something of the caller's is in it: the caller's organisation (or, for a
    // department's key, that department) created it or holds one of its steps' seals.
    let ours = |org: &str, dept: Option<&str>| {
        org == caller.organization_id
            && (caller.department_id.is_none() || dept == caller.department_id.as_deref())
    };
    if !ours(&d.organization_id, d.department_id.as_deref())
        && !steps
            .iter()
            .any(|s| ours(&s.organization_id, s.department_id.as_deref()))
    {
        return Err(caller.hidden(state, action, "document").await);
    }
    let sealed = steps
        .iter()
        .filter(|s| s.status == StepStatus::Sealed)
        .count();
    let total = steps.len();
    Ok(DocumentView {
        id: d.id,
        title: d.title,
        organization_id: d.organization_id,
        ordered: d.ordered,
        state: DocumentState::of(sealed as i64, total as i64),
        sealed,
        total,
        next: next_steps(&steps, d.ordered),
        steps,
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
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
        if !seal_in_line(&state, &s.seal_id, &caller.organization_id).await? {
            return Err(ApiError::BadRequest(format!(
                "steps: no such seal '{}'",
                s.seal_id
            )));
        }
    }
    let id = new_id("doc");
    let mut tx = state.db.begin().await?;
    let steps: Vec<(i64, &str, String)> = (1..)
        .zip(&req.steps)
        .map(|(n, s)| (n, s.seal_id.as_str(), field_name(n)))
        .collect();
    documents::insert(
        &mut tx,
        documents::NewDocument {
            id: &id,
            department_id: caller.department_id.as_deref(),
            organization_id: &caller.organization_id,
            title,
            ordered: req.ordered.unwrap_or(true),
            content: pdf,
            created_at: now(),
        },
        &steps,
    )
    .await?;
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

/// Whether the seal exists and belongs to `org` or an organisation above or below it.
async fn seal_in_line(state: &Shared, seal_id: &str, org: &str) -> ApiResult<bool> {
    match seals::organization_of(&state.db, seal_id).await? {
        Some(o) => related(state, &o, org).await,
        None => Ok(false),
    }
}

/// A document in a list: its state without the steps.
#[derive(Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: String,
    pub title: String,
    pub organization_id: String,
    pub ordered: bool,
    /// prepared, sealed or complete.
    #[schema(value_type = String)]
    pub state: DocumentState,
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
    caller.require(&state, "list documents", READERS).await?;
    let limit = q.limit()?;
    let rows = documents::page(
        &state.db,
        &caller.organization_id,
        caller.department_id.as_deref(),
        q.after(),
        limit as i64 + 1,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|r| DocumentSummary {
            state: DocumentState::of(r.sealed, r.total),
            sealed: r.sealed,
            total: r.total,
            id: r.document.id,
            title: r.document.title,
            organization_id: r.document.organization_id,
            ordered: r.document.ordered,
            created_at: rfc3339(r.document.created_at),
            updated_at: rfc3339(r.document.updated_at),
        })
        .collect();
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
    caller.require(&state, "read documents", READERS).await?;
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
    let step = step_to_seal(&state, &caller, &doc, n).await?;
    let seal: SealView = super::seals::usable_seal(&state, &caller, &step.seal_id).await?;
    let (content, version) = documents::content(&state.db, &id).await?;
    let in_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&content));
    let material = state.seal_material(&seal.id).await?;
    let (placement, title) = (placement(&doc, step), doc.title.clone());
    let sealed = parse_pool::run(move || {
        engine::seal_bytes(&content, None, &material, &placement, Some(title))
    })
    .await?;
    let record = sealing_record(
        &caller,
        &seal,
        Some((&id, n)),
        &in_hash,
        &sealed.sha256,
        sealed.len,
    );
    store_step(&state, &caller, &id, n, (sealed.data, version), &record).await?;
    state.metrics.seal_applied();
    Ok(Json(load(&state, &caller, &id, "read document").await?))
}

/// Step `n` of `doc`, if the caller may seal it now: its seal is of the caller's
/// organisation (else a logged 403), it is pending and it is next.
async fn step_to_seal<'d>(
    state: &Shared,
    caller: &Caller,
    doc: &'d DocumentView,
    n: i64,
) -> ApiResult<&'d StepView> {
    let step = doc
        .steps
        .iter()
        .find(|s| s.step == n)
        .ok_or_else(|| ApiError::NotFound(format!("the document has no step {n}")))?;
    if step.organization_id != caller.organization_id {
        record_denial(
            state,
            Some(caller),
            "seal document step",
            403,
            "the step's seal belongs to another organisation",
        )
        .await;
        return Err(ApiError::Forbidden(format!(
            "step {n} is for a seal of another organisation"
        )));
    }
    if step.status == StepStatus::Sealed {
        return Err(ApiError::Conflict(format!("step {n} is sealed already")));
    }
    if !doc.next.contains(&n) {
        return Err(ApiError::Conflict(format!(
            "step {n} is not next; the next steps are {:?}",
            doc.next
        )));
    }
    Ok(step)
}

/// Step 1 certifies and prepares the later steps' fields; a later step fills its field.
fn placement(doc: &DocumentView, step: &StepView) -> Placement {
    if step.step == 1 {
        Placement::Certify {
            field: field_name(1),
            prepare: doc.steps.iter().skip(1).map(|s| s.field.clone()).collect(),
        }
    } else {
        Placement::Fill {
            field: step.field.clone(),
        }
    }
}

/// One transaction: the new version of the PDF (only if nobody sealed in between since
/// `version`: optimistic concurrency), the seal use with its log entry, and the step's state.
async fn store_step(
    state: &Shared,
    caller: &Caller,
    id: &str,
    n: i64,
    (content, version): (Vec<u8>, i64),
    record: &commit::SealingRecord,
) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    if !documents::replace_content(&mut *tx, id, content, version, now()).await? {
        tx.rollback().await?;
        return Err(ApiError::Conflict(
            "the document changed while sealing; try again".into(),
        ));
    }
    let recorded = commit::write(&mut tx, &[record]).await?.pop();
    if let Some(Err(refused)) = recorded {
        tx.rollback().await?;
        let status = refused.status().as_u16();
        record_denial(
            state,
            Some(caller),
            "apply seal",
            status,
            &refused.to_string(),
        )
        .await;
        return Err(refused);
    }
    documents::mark_sealed(&mut *tx, id, n, &record.id, now()).await?;
    tx.commit().await?;
    Ok(())
}

#[utoipa::path(get, path = "/v1/documents/{id}/file", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "document id")),
    responses((status = 200, description = "the document as sealed so far", content_type = "application/pdf", body = super::body::PdfBody), (status = 404, body = Problem)))]
pub async fn document_file(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    caller.require(&state, "read documents", READERS).await?;
    load(&state, &caller, &id, "read document file").await?;
    let (content, _) = documents::content(&state.db, &id).await?;
    let len = content.len() as u64;
    pdf_response(Spooled::Memory(content), len, &[])
}
