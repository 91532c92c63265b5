//! Relying parties (用证单位): the organisations a holder may grant an annotated copy to.
//! Operators register them under a unique name; anyone with a key reads the register (a
//! holder's client offers it as the list to choose from).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::Caller;
use crate::service::db::{now, rfc3339};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::store::{orgs, relying_parties};
use crate::service::Shared;

use super::orgs::check_name;

#[derive(Serialize, ToSchema)]
pub struct RelyingPartyView {
    /// The organisation's id: what a grant's `agency` takes.
    pub organization_id: String,
    /// Unique among relying parties.
    pub name: String,
    pub created_at: String,
}

impl From<relying_parties::RelyingPartyRow> for RelyingPartyView {
    fn from(r: relying_parties::RelyingPartyRow) -> Self {
        RelyingPartyView {
            organization_id: r.organization_id,
            name: r.name,
            created_at: rfc3339(r.created_at),
        }
    }
}

#[utoipa::path(get, path = "/v1/relying-parties", tag = "eseal", security(("bearer" = [])),
    responses((status = 200, body = [RelyingPartyView]), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<Shared>,
    _caller: Caller,
) -> ApiResult<Json<Vec<RelyingPartyView>>> {
    let rows = relying_parties::all(&state.db).await?;
    Ok(Json(rows.into_iter().map(RelyingPartyView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelyingParty {
    /// An organisation of the platform (it fetches copies with its own keys).
    pub organization_id: String,
    /// The name holders choose it by (default: the organisation's name); unique.
    pub name: Option<String>,
}

#[utoipa::path(post, path = "/v1/relying-parties", tag = "eseal", security(("bearer" = [])),
    request_body = NewRelyingParty,
    responses((status = 201, body = RelyingPartyView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// Registers an organisation as a relying party (operators only).
pub async fn register(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewRelyingParty>,
) -> ApiResult<(StatusCode, Json<RelyingPartyView>)> {
    caller
        .require_operator(&state, "register relying parties")
        .await?;
    let mut tx = state.db.begin().await?;
    let org = orgs::find(&mut *tx, &req.organization_id)
        .await?
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "organization_id: no organisation '{}'",
                req.organization_id
            ))
        })?;
    let name = match &req.name {
        Some(n) => check_name(n)?.to_string(),
        None => org.name.clone(),
    };
    if let Some(other) = relying_parties::named(&mut *tx, &name).await? {
        return Err(ApiError::Conflict(format!(
            "a relying party is named '{name}' already ({}); names are unique so that a grant \
             by name reaches exactly one",
            other.organization_id
        )));
    }
    relying_parties::insert(&mut *tx, &org.id, &name, now()).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "relying_party.registered",
            organization_id: Some(&org.id),
            actor: &caller.key_id,
            subject: Some(&org.id),
            details: json!({ "name": name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(RelyingPartyView {
            organization_id: org.id,
            name,
            created_at: rfc3339(now()),
        }),
    ))
}

#[utoipa::path(delete, path = "/v1/relying-parties/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "the relying party's organisation id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
/// Withdraws a registration (operators only); grants made before stay as they are.
pub async fn remove(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller
        .require_operator(&state, "withdraw relying parties")
        .await?;
    let mut tx = state.db.begin().await?;
    if !relying_parties::remove(&mut *tx, &id).await? {
        return Err(ApiError::NotFound(format!("no relying party '{id}'")));
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "relying_party.withdrawn",
            organization_id: Some(&id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
