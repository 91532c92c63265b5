//! Licences: issue, list, show, the sealed file, lifecycle (change, correct, replace,
//! cancel), the holder's grants and presentation codes, and the agency's annotated copy.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::body::{pdf_response, Spooled};
use crate::service::audit::{self, NewEntry};
use crate::service::auth::{Caller, Role};
use crate::service::db::{now, rfc3339};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::licence::copy::{self, GrantView, NewGrant};
use crate::service::licence::holder::{self, Credential};
use crate::service::licence::{self, Issued, LicenceView, NewLicence, NewVersion, Step};
use crate::service::store::licences::{self, LicenceStatus};
use crate::service::Shared;

/// An optional JSON body: an empty body (with or without a JSON content type) is `None`.
pub struct OptJson<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for OptJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptJson(None));
        }
        serde_json::from_slice(&bytes)
            .map(|v| OptJson(Some(v)))
            .map_err(|e| ApiError::BadRequest(format!("the body is not the expected JSON: {e}")))
    }
}

fn bytes_response(content: Vec<u8>, extra: &[(&'static str, String)]) -> ApiResult<Response> {
    let len = content.len() as u64;
    pdf_response(Spooled::Memory(content), len, extra)
}

#[utoipa::path(post, path = "/v1/licences", tag = "eseal", security(("bearer" = [])), request_body = NewLicence,
    responses((status = 201, body = Issued), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewLicence>,
) -> ApiResult<(StatusCode, Json<Issued>)> {
    caller.require_org_admin(&state, "issue licences").await?;
    let issued = licence::issue(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

#[derive(Serialize, ToSchema)]
pub struct LicenceSummary {
    pub id: String,
    pub identifier: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub holder_name: String,
    #[schema(value_type = String)]
    pub status: LicenceStatus,
    pub version: i64,
    pub created_at: String,
}

#[utoipa::path(get, path = "/v1/licences", tag = "eseal", security(("bearer" = [])),
    responses((status = 200, body = [LicenceSummary]), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<LicenceSummary>>> {
    caller
        .require(&state, "list licences", &[Role::Admin, Role::Auditor])
        .await?;
    let rows = licences::of_organization(&state.db, &caller.organization_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| LicenceSummary {
                id: r.id,
                identifier: r.identifier,
                kind: r.kind,
                holder_name: r.holder_name,
                status: r.status,
                version: r.version,
                created_at: rfc3339(r.created_at),
            })
            .collect(),
    ))
}

/// The issuer's admin or auditor key, or the licence's holder token.
async fn issuer_or_holder(
    state: &Shared,
    cred: &Credential,
    id: &str,
    action: &str,
) -> ApiResult<()> {
    match cred {
        Credential::Key(caller) => {
            caller
                .require(state, action, &[Role::Admin, Role::Auditor])
                .await?;
            licence::owned(state, caller, id, action).await
        }
        Credential::Holder(_) => cred.holder_of(state, id, action).await,
    }
}

#[utoipa::path(get, path = "/v1/licences/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, body = LicenceView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<Shared>,
    cred: Credential,
    Path(id): Path<String>,
) -> ApiResult<Json<LicenceView>> {
    issuer_or_holder(&state, &cred, &id, "read licence").await?;
    Ok(Json(licence::view(&state, &id).await?))
}

#[utoipa::path(get, path = "/v1/licences/{id}/file", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, description = "the current sealed PDF", content_type = "application/pdf", body = super::body::PdfBody),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn file(
    State(state): State<Shared>,
    cred: Credential,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    issuer_or_holder(&state, &cred, &id, "read licence file").await?;
    let (version, content) = licence::current_file(&state, &id).await?;
    bytes_response(content, &[("x-eseal-licence-version", version.to_string())])
}

#[utoipa::path(get, path = "/v1/licences/{id}/versions/{version}/file", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "licence id"), ("version" = i64, Path, description = "version, from 1")),
    responses((status = 200, description = "that version's sealed PDF", content_type = "application/pdf", body = super::body::PdfBody),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn version_file(
    State(state): State<Shared>,
    cred: Credential,
    Path((id, version)): Path<(String, i64)>,
) -> ApiResult<Response> {
    issuer_or_holder(&state, &cred, &id, "read licence file").await?;
    let content = licences::version_file(&state.db, &id, version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("the licence has no version {version}")))?;
    bytes_response(content, &[])
}

async fn step(
    state: Shared,
    caller: Caller,
    id: String,
    step: Step,
    body: OptJson<NewVersion>,
) -> ApiResult<Json<LicenceView>> {
    caller.require_org_admin(&state, "change licences").await?;
    let req = body.0.unwrap_or_default();
    Ok(Json(
        licence::new_version(&state, &caller, &id, step, &req).await?,
    ))
}

#[utoipa::path(post, path = "/v1/licences/{id}/change", tag = "eseal", security(("bearer" = [])), request_body = NewVersion,
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, body = LicenceView), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn change(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    body: OptJson<NewVersion>,
) -> ApiResult<Json<LicenceView>> {
    step(state, caller, id, Step::Change, body).await
}

#[utoipa::path(post, path = "/v1/licences/{id}/correct", tag = "eseal", security(("bearer" = [])), request_body = NewVersion,
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, body = LicenceView), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn correct(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    body: OptJson<NewVersion>,
) -> ApiResult<Json<LicenceView>> {
    step(state, caller, id, Step::Correct, body).await
}

#[utoipa::path(post, path = "/v1/licences/{id}/replace", tag = "eseal", security(("bearer" = [])), request_body = NewVersion,
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, body = LicenceView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn replace(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    body: OptJson<NewVersion>,
) -> ApiResult<Json<LicenceView>> {
    step(state, caller, id, Step::Replace, body).await
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CancelRequest {
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/v1/licences/{id}/cancel", tag = "eseal", security(("bearer" = [])), request_body = CancelRequest,
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, body = LicenceView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    body: OptJson<CancelRequest>,
) -> ApiResult<Json<LicenceView>> {
    caller.require_org_admin(&state, "cancel licences").await?;
    let reason = body.0.and_then(|b| b.reason);
    Ok(Json(licence::cancel(&state, &caller, &id, reason).await?))
}

#[derive(Serialize, ToSchema)]
pub struct HolderToken {
    pub id: String,
    pub holder_token: String,
}

#[utoipa::path(post, path = "/v1/licences/{id}/holder-token", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, body = HolderToken), (status = 404, body = Problem)))]
/// A new holder token (the old one stops working): for licences issued in a batch, or a
/// holder who lost theirs.
pub async fn reset_holder_token(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<HolderToken>> {
    caller
        .require_org_admin(&state, "reset holder tokens")
        .await?;
    licence::owned(&state, &caller, &id, "reset holder token").await?;
    let token = holder::new_token()?;
    let mut tx = state.db.begin().await?;
    licences::set_holder_token(&mut *tx, &id, &holder::token_hash(&token), now()).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.holder_token.reset",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(HolderToken {
        id,
        holder_token: token,
    }))
}

#[utoipa::path(post, path = "/v1/licences/{id}/grants", tag = "eseal", security(("bearer" = [])), request_body = NewGrant,
    params(("id" = String, Path, description = "licence id")),
    responses((status = 201, body = GrantView), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// The holder (Authorization: Bearer HOLDER_TOKEN) lets one agency fetch this licence for
/// one matter until a date.
pub async fn create_grant(
    State(state): State<Shared>,
    cred: Credential,
    Path(id): Path<String>,
    Json(req): Json<NewGrant>,
) -> ApiResult<(StatusCode, Json<GrantView>)> {
    cred.holder_of(&state, &id, "grant access").await?;
    Ok((
        StatusCode::CREATED,
        Json(copy::create_grant(&state, &id, &req).await?),
    ))
}

#[utoipa::path(get, path = "/v1/licences/{id}/grants", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "licence id")),
    responses((status = 200, body = [GrantView]), (status = 403, body = Problem)))]
pub async fn list_grants(
    State(state): State<Shared>,
    cred: Credential,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<GrantView>>> {
    issuer_or_holder(&state, &cred, &id, "list grants").await?;
    Ok(Json(copy::list_grants(&state, &id).await?))
}

#[utoipa::path(delete, path = "/v1/grants/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "grant id")),
    responses((status = 200, body = GrantView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
/// The holder withdraws a grant.
pub async fn withdraw_grant(
    State(state): State<Shared>,
    cred: Credential,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantView>> {
    let grant = copy::load_grant(&state, &id).await?;
    cred.holder_of(&state, &grant.licence_id, "withdraw grant")
        .await?;
    Ok(Json(copy::withdraw(&state, &grant).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct CopyQuery {
    /// The matter the copy is fetched for; when given (or `X-Matter`), it must be the grant's.
    pub matter: Option<String>,
}

#[utoipa::path(get, path = "/v1/grants/{id}/copy", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "grant id"), CopyQuery),
    responses((status = 200, description = "the annotated copy (加注件); header X-Eseal-Copy-Number", content_type = "application/pdf", body = super::body::PdfBody),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
/// The agency named in the grant fetches an annotated copy; every other request is refused
/// (403) and recorded.
pub async fn grant_copy(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<CopyQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let matter = q.matter.or_else(|| {
        headers
            .get("x-matter")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let (pdf, number) = copy::annotated_copy(&state, &caller, &id, matter.as_deref()).await?;
    bytes_response(pdf, &[("x-eseal-copy-number", number.to_string())])
}

#[derive(Deserialize, ToSchema, Default)]
pub struct NewPresentation {
    /// Minutes the code works, 1 to 60 (5 by default).
    pub minutes: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Presentation {
    pub code: String,
    /// The page the code opens (show it as a QR code).
    pub url: String,
    pub expires_at: String,
}

#[utoipa::path(post, path = "/v1/licences/{id}/presentations", tag = "eseal", security(("bearer" = [])), request_body = NewPresentation,
    params(("id" = String, Path, description = "licence id")),
    responses((status = 201, body = Presentation), (status = 403, body = Problem)))]
/// 亮证: the holder gets a short code that opens the licence's public page for a few minutes.
pub async fn present(
    State(state): State<Shared>,
    cred: Credential,
    Path(id): Path<String>,
    body: OptJson<NewPresentation>,
) -> ApiResult<(StatusCode, Json<Presentation>)> {
    cred.holder_of(&state, &id, "present licence").await?;
    let minutes = body.0.and_then(|b| b.minutes).unwrap_or(5);
    if !(1..=60).contains(&minutes) {
        return Err(ApiError::BadRequest("minutes: 1 to 60".into()));
    }
    // About 50 bits, for minutes.
    let code = crate::service::licence::random_code(10)?;
    let t = now();
    let expires = t + minutes * 60;
    let issuer = licences::issuer_of(&state.db, &id).await?;
    let mut tx = state.db.begin().await?;
    licences::insert_presentation(&mut *tx, &holder::token_hash(&code), &id, expires, t).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.presented",
            organization_id: issuer.as_deref(),
            actor: "holder",
            subject: Some(&id),
            details: json!({ "expires_at": rfc3339(expires) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Presentation {
            url: format!("{}/p/{code}", state.config.public_base()),
            code,
            expires_at: rfc3339(expires),
        }),
    ))
}
