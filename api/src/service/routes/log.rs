//! The audit log API (RFC 9162 style): the signed tree head, the log's public key, inclusion
//! and consistency proofs, and single entries. Hashes are lowercase hex; the tree head's
//! signature is base64 DER (see [`crate::service::audit`] for the signed bytes). Head, key and
//! proofs are public, as in Certificate Transparency; entries are for the admins and auditors
//! of the organisation they concern (a department's key: of that department), entries that
//! concern no organisation for the platform's operators (the TSA's are public facts), and
//! every entry for operators.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::service::audit::{sign_tree_head, Entry, TreeHead};
use crate::service::auth::{Caller, Role};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::merkle;
use crate::service::merkle::InclusionProof;
use crate::service::{store, Shared};

#[utoipa::path(get, path = "/v1/log/head", tag = "eseal",
    responses((status = 200, body = TreeHead)))]
pub async fn head(State(state): State<Shared>) -> ApiResult<Json<TreeHead>> {
    let leaves = state.leaves.tree(&state.db).await?;
    Ok(Json(sign_tree_head(&state.log_key, &leaves)?))
}

#[utoipa::path(get, path = "/v1/log/key", tag = "eseal",
    responses((status = 200, description = "the log's public key (SubjectPublicKeyInfo PEM)", content_type = "application/x-pem-file", body = String)))]
pub async fn key(State(state): State<Shared>) -> ApiResult<Response> {
    use base64::Engine;
    use eseal_certs::SigningKey;
    let der = state.log_key.public_key().to_spki_der()?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

async fn current_size(state: &Shared) -> ApiResult<u64> {
    let size = store::log::tree_size(&state.db).await?;
    Ok(size.max(0) as u64)
}

#[derive(Deserialize, IntoParams)]
pub struct InclusionQuery {
    /// The entry's index (from 0).
    pub index: u64,
    /// The tree size the proof is for; the current size by default.
    pub tree_size: Option<u64>,
}

#[utoipa::path(get, path = "/v1/log/proof/inclusion", tag = "eseal", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 400, body = Problem)))]
pub async fn inclusion(
    State(state): State<Shared>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<InclusionProof>> {
    let current = current_size(&state).await?;
    let size = q.tree_size.unwrap_or(current);
    if size > current || q.index >= size {
        return Err(ApiError::BadRequest(format!(
            "need index < tree_size <= {current} (the current tree size); got index {} and tree_size {size}",
            q.index
        )));
    }
    let leaves = state.leaves.leaves_upto(&state.db, size as i64).await?;
    let path = merkle::inclusion_proof(q.index as usize, &leaves)
        .ok_or_else(|| ApiError::internal("proof"))?;
    Ok(Json(InclusionProof {
        leaf_index: q.index,
        tree_size: size,
        leaf_hash: hex::encode(leaves[q.index as usize]),
        root_hash: hex::encode(merkle::root(&leaves)),
        audit_path: path.iter().map(hex::encode).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct ConsistencyQuery {
    /// The older tree size (at least 1).
    pub first: u64,
    /// The newer tree size; the current size by default.
    pub second: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    pub first: u64,
    pub second: u64,
    pub first_root: String,
    pub second_root: String,
    /// Hex hashes (RFC 9162 §2.1.4.1).
    pub consistency_path: Vec<String>,
}

#[utoipa::path(get, path = "/v1/log/proof/consistency", tag = "eseal", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 400, body = Problem)))]
pub async fn consistency(
    State(state): State<Shared>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyProof>> {
    let current = current_size(&state).await?;
    let second = q.second.unwrap_or(current);
    if q.first == 0 || q.first > second || second > current {
        return Err(ApiError::BadRequest(format!(
            "need 1 <= first <= second <= {current} (the current tree size); got {} and {second}",
            q.first
        )));
    }
    let leaves = state.leaves.leaves_upto(&state.db, second as i64).await?;
    let path = merkle::consistency_proof(q.first as usize, &leaves)
        .ok_or_else(|| ApiError::internal("proof"))?;
    Ok(Json(ConsistencyProof {
        first: q.first,
        second,
        first_root: hex::encode(merkle::root(&leaves[..q.first as usize])),
        second_root: hex::encode(merkle::root(&leaves)),
        consistency_path: path.iter().map(hex::encode).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct EntryView {
    pub index: i64,
    /// The canonical entry text, exactly as hashed into the leaf.
    pub entry: String,
    pub leaf_hash: String,
    pub parsed: Entry,
}

#[utoipa::path(get, path = "/v1/log/entries/{index}", tag = "eseal", security(("bearer" = [])),
    params(("index" = i64, Path, description = "entry index")),
    responses((status = 200, body = EntryView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn entry(
    State(state): State<Shared>,
    caller: Caller,
    Path(index): Path<i64>,
) -> ApiResult<Json<EntryView>> {
    caller
        .require(
            &state,
            "read the audit log",
            &[Role::Admin, Role::Auditor, Role::Operator],
        )
        .await?;
    let row = store::log::entry(&state.db, index)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no entry {index}")))?;
    let parsed: Entry = serde_json::from_str(&row.entry).map_err(ApiError::internal)?;
    if !readable(&state, &caller, row.organization_id.as_deref(), &parsed).await? {
        return Err(caller
            .hidden(&state, "read audit entry", "audit entry")
            .await);
    }
    Ok(Json(EntryView {
        index: row.index,
        entry: row.entry,
        leaf_hash: hex::encode(row.leaf_hash),
        parsed,
    }))
}

/// Whether `caller` may read an entry of `organization` (see the module's rules).
async fn readable(
    state: &Shared,
    caller: &Caller,
    organization: Option<&str>,
    entry: &Entry,
) -> ApiResult<bool> {
    if caller.is_operator() {
        return Ok(true);
    }
    match organization {
        None => return Ok(entry.kind.starts_with("tsa.")),
        Some(o) if o != caller.organization_id => return Ok(false),
        Some(_) => {}
    }
    let Some(department) = caller.department_id.as_deref() else {
        return Ok(true);
    };
    // A department's key reads what its department's keys did and what was done to its
    // department's seals.
    let actor = store::keys::find(&state.db, &entry.actor).await?;
    if actor.is_some_and(|k| k.department_id.as_deref() == Some(department)) {
        return Ok(true);
    }
    let Some(subject) = entry.subject.as_deref() else {
        return Ok(false);
    };
    let seal = store::seals::find(&state.db, subject).await?;
    Ok(seal.is_some_and(|s| s.department_id.as_deref() == Some(department)))
}
