//! Batch issuance (存量证照电子化): a JSON-lines body of licences to issue, one job that issues
//! them one after another in the background, and its status (counts, per-line errors and the
//! licences made). Holder tokens are not kept for batches: the issuer hands them out later
//! with `POST /v1/licences/{id}/holder-token`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::{Caller, Role};
use crate::service::db::{new_id, now, rfc3339};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::licence::{self, NewLicence};
use crate::service::store::batches::{self, BatchStatus};
use crate::service::Shared;

/// Most lines in one batch.
const MAX_LINES: usize = 10_000;

#[derive(Serialize, ToSchema)]
pub struct BatchView {
    pub id: String,
    /// running or done.
    #[schema(value_type = String)]
    pub status: BatchStatus,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// `{line, error}` per failed line (lines count from 1).
    #[schema(value_type = Vec<Object>)]
    pub errors: Value,
    /// `{line, id, identifier}` per licence issued.
    #[schema(value_type = Vec<Object>)]
    pub results: Value,
    pub created_at: String,
    pub updated_at: String,
}

async fn load(state: &Shared, caller: &Caller, id: &str) -> ApiResult<BatchView> {
    let r = batches::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such batch '{id}'")))?;
    if r.organization_id != caller.organization_id {
        return Err(caller.hidden(state, "read batch", "batch").await);
    }
    Ok(BatchView {
        id: r.id,
        status: r.status,
        total: r.total,
        done: r.done,
        failed: r.failed,
        errors: serde_json::from_str(&r.errors).unwrap_or(json!([])),
        results: serde_json::from_str(&r.results).unwrap_or(json!([])),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    })
}

/// Running while lines are left to issue.
fn status(left: bool) -> BatchStatus {
    if left {
        BatchStatus::Running
    } else {
        BatchStatus::Done
    }
}

#[utoipa::path(post, path = "/v1/licence-batches", tag = "eseal", security(("bearer" = [])),
    request_body(content = String, content_type = "text/plain", description = "JSON lines (any content type, e.g. application/x-ndjson): one licence request (as for POST /v1/licences) per line"),
    responses((status = 202, body = BatchView), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<Shared>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BatchView>)> {
    caller.require_org_admin(&state, "issue licences").await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 JSON lines".into()))?;
    let (items, errors) = parse_lines(text);
    let total = items.len() + errors.len();
    if total == 0 {
        return Err(ApiError::BadRequest("the body has no lines".into()));
    }
    if total > MAX_LINES {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_LINES} lines per batch"
        )));
    }
    let id = new_id("batch");
    let t = now();
    let mut tx = state.db.begin().await?;
    batches::insert(
        &mut *tx,
        batches::NewBatch {
            id: &id,
            organization_id: &caller.organization_id,
            status: status(!items.is_empty()),
            total: total as i64,
            failed: errors.len() as i64,
            errors: &Value::Array(errors.clone()).to_string(),
            created_at: t,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.batch.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "lines": total }),
        },
    )
    .await?;
    tx.commit().await?;
    let (st, c, bid) = (state.clone(), caller.clone(), id.clone());
    tokio::spawn(async move {
        if let Err(e) = run(&st, &c, &bid, items, errors).await {
            tracing::error!(batch = %bid, error = %e, "batch stopped");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(load(&state, &caller, &id).await?),
    ))
}

/// The licence requests of the non-empty lines (with their line numbers, from 1), and a
/// `{line, error}` for each line that is not one.
fn parse_lines(text: &str) -> (Vec<(usize, NewLicence)>, Vec<Value>) {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<NewLicence>(line) {
            Ok(l) => items.push((i + 1, l)),
            Err(e) => errors
                .push(json!({ "line": i + 1, "error": format!("not a licence request: {e}") })),
        }
    }
    (items, errors)
}

/// Issues the lines one by one, saving the counts after each.
async fn run(
    state: &Shared,
    caller: &Caller,
    id: &str,
    items: Vec<(usize, NewLicence)>,
    mut errors: Vec<Value>,
) -> ApiResult<()> {
    let mut results = Vec::new();
    let n = items.len();
    for (k, (line, req)) in items.into_iter().enumerate() {
        match licence::issue(state, caller, &req).await {
            Ok(i) => results.push(json!({ "line": line, "id": i.id, "identifier": i.identifier })),
            Err(e) => errors.push(json!({ "line": line, "error": e.to_string() })),
        }
        let progress = batches::Progress {
            status: status(k + 1 != n),
            done: results.len() as i64,
            failed: errors.len() as i64,
            errors: &Value::Array(errors.clone()).to_string(),
            results: &Value::Array(results.clone()).to_string(),
            updated_at: now(),
        };
        batches::save_progress(&state.db, id, progress).await?;
    }
    Ok(())
}

#[utoipa::path(get, path = "/v1/licence-batches/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "batch id")),
    responses((status = 200, body = BatchView), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<BatchView>> {
    caller
        .require(&state, "read batches", &[Role::Admin, Role::Auditor])
        .await?;
    Ok(Json(load(&state, &caller, &id).await?))
}
