//! Organisations (a child organisation one level down, with its first admin key), departments
//! and API keys.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use eseal_certs::national_codes;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::{insert_api_key, Caller, Role};
use crate::service::db::{new_id, now, rfc3339};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::store::keys::{self, KeyRow};
use crate::service::store::orgs::{self, Level, OrgRow};
use crate::service::Shared;

use super::page::{self, PageQuery};

/// The level of an organisation, department or CA, as a request names it.
pub(super) fn parse_level(level: &str) -> ApiResult<Level> {
    level.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "level '{level}': province, city, county or department"
        ))
    })
}

/// A name of 1 to 200 bytes, trimmed: of an organisation, department, CA or seal.
pub(super) fn check_name(name: &str) -> ApiResult<&str> {
    let n = name.trim();
    if n.is_empty() || n.len() > 200 {
        return Err(ApiError::BadRequest("name: 1 to 200 characters".into()));
    }
    // Names go into certificate subjects, logs and terminals: no NUL, no escape sequences.
    if n.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "name: control characters (NUL, escape sequences, line breaks) are not allowed".into(),
        ));
    }
    Ok(n)
}

#[derive(Deserialize, ToSchema)]
pub struct NewOrganization {
    pub name: String,
    /// Unified social credit code, 18 characters with a valid check character.
    pub uscc: Option<String>,
    pub level: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedOrganization {
    pub organization_id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub level: Level,
    /// The creating admin's organisation; none for a top-level one made by an operator.
    pub parent_id: Option<String>,
    /// The new organisation's first admin API key; shown once.
    pub admin_key: String,
}

#[utoipa::path(post, path = "/v1/organizations", tag = "eseal", security(("bearer" = [])), request_body = NewOrganization,
    responses((status = 201, body = CreatedOrganization), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create_organization(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewOrganization>,
) -> ApiResult<(StatusCode, Json<CreatedOrganization>)> {
    // An admin creates organisations below its own; an operator creates top-level ones (a
    // province's departments, relying agencies), below no one.
    let parent = if caller.is_operator() {
        None
    } else {
        caller
            .require_org_admin(&state, "create organisations")
            .await?;
        Some(caller.organization_id.clone())
    };
    let name = check_name(&req.name)?;
    let level = parse_level(&req.level)?;
    let uscc = req
        .uscc
        .as_deref()
        .map(|u| {
            national_codes::validate_uscc(u).map_err(|e| {
                ApiError::BadRequest(format!(
                    "uscc '{u}' is not a valid unified social credit code: {e}"
                ))
            })
        })
        .transpose()?;
    let id = new_id("org");
    let mut tx = state.db.begin().await?;
    if let Some(u) = &uscc {
        if orgs::holder_of_uscc(&mut *tx, u).await?.is_some() {
            return Err(ApiError::Conflict(format!(
                "the unified social credit code {u} already identifies an organisation on this \
                 platform; one code names one organisation"
            )));
        }
    }
    orgs::insert(
        &mut *tx,
        orgs::NewOrg {
            id: &id,
            name,
            uscc: uscc.as_deref(),
            level,
            parent_id: parent.as_deref(),
            created_at: now(),
        },
    )
    .await?;
    let (key_id, key) = insert_api_key(&mut tx, &id, None, Role::Admin, "first admin").await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "organization.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "name": name, "level": level, "admin_key_id": key_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedOrganization {
            organization_id: id,
            name: name.into(),
            level,
            parent_id: parent,
            admin_key: key,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewDepartment {
    pub name: String,
    pub level: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Department {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub level: Level,
}

#[utoipa::path(post, path = "/v1/departments", tag = "eseal", security(("bearer" = [])), request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create_department(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewDepartment>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    caller
        .require_org_admin(&state, "create departments")
        .await?;
    let name = check_name(&req.name)?;
    let level = match &req.level {
        Some(l) => parse_level(l)?,
        None => orgs::get(&state.db, &caller.organization_id).await?.level,
    };
    let id = new_id("dept");
    let mut tx = state.db.begin().await?;
    orgs::insert_department(
        &mut *tx,
        orgs::NewDepartment {
            id: &id,
            organization_id: &caller.organization_id,
            name,
            level,
            created_at: now(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "department.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "name": name, "level": level }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Department {
            id,
            organization_id: caller.organization_id,
            name: name.into(),
            level,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewApiKey {
    pub role: Role,
    /// Restrict the key to one department of the organisation.
    pub department_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: String,
    pub role: Role,
    pub department_id: Option<String>,
    /// The key; only its SHA-256 is stored, so it is shown once.
    pub key: String,
}

#[utoipa::path(post, path = "/v1/api-keys", tag = "eseal", security(("bearer" = [])), request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create_api_key(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    // An admin mints keys for its organisation; only an operator mints operator keys, so no
    // organisation can lift itself above the others.
    if req.role == Role::Operator {
        caller
            .require_operator(&state, "create operator keys")
            .await?;
        if req.department_id.is_some() {
            return Err(ApiError::BadRequest(
                "department_id: an operator key is the platform's, not a department's".into(),
            ));
        }
    } else {
        caller
            .require(&state, "create API keys", &[Role::Admin])
            .await?;
    }
    caller
        .require_scope(&state, "create API keys", req.department_id.as_deref())
        .await?;
    let mut tx = state.db.begin().await?;
    if let Some(d) = &req.department_id {
        let ok = orgs::department_name(&mut *tx, d, &caller.organization_id).await?;
        if ok.is_none() {
            return Err(ApiError::BadRequest(format!(
                "department_id: no such department '{d}'"
            )));
        }
    }
    let (id, key) = insert_api_key(
        &mut tx,
        &caller.organization_id,
        req.department_id.as_deref(),
        req.role,
        req.name.as_deref().unwrap_or_default(),
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "api_key.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "role": req.role.as_str(), "department_id": req.department_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            id,
            role: req.role,
            department_id: req.department_id,
            key,
        }),
    ))
}

/// An API key as listed: never the key or its hash.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub department_id: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyPage {
    pub items: Vec<ApiKeyView>,
    /// The `after` of the next page; absent on the last one.
    pub next: Option<String>,
}

#[utoipa::path(get, path = "/v1/keys", tag = "eseal", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = ApiKeyPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
/// The API keys of the caller's organisation (of its department, for a department admin).
pub async fn list_api_keys(
    State(state): State<Shared>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<ApiKeyPage>> {
    caller
        .require(&state, "list API keys", &[Role::Admin])
        .await?;
    let limit = q.limit()?;
    let rows = keys::page(
        &state.db,
        &caller.organization_id,
        caller.department_id.as_deref(),
        q.after(),
        limit as i64 + 1,
    )
    .await?;
    let items = rows.into_iter().map(ApiKeyView::from).collect();
    let (items, next) = page::cut(items, limit, |k| &k.id);
    Ok(Json(ApiKeyPage { items, next }))
}

impl From<KeyRow> for ApiKeyView {
    fn from(r: KeyRow) -> ApiKeyView {
        ApiKeyView {
            id: r.id,
            role: r.role,
            name: r.name,
            department_id: r.department_id,
            created_at: rfc3339(r.created_at),
            revoked_at: r.revoked_at.map(rfc3339),
        }
    }
}

#[utoipa::path(post, path = "/v1/keys/{id}/revoke", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "API key id")),
    responses((status = 200, body = ApiKeyView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
/// Revokes an API key of the caller's organisation (of its department, for a department
/// admin), other than the caller's own. It stops working at once in this process and within
/// a second in the others sharing the database; no sealing by it is recorded after the
/// revocation.
pub async fn revoke_api_key(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKeyView>> {
    caller
        .require(&state, "revoke API keys", &[Role::Admin])
        .await?;
    let key = keys::find(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such API key '{id}'")))?;
    let other_dept = caller.department_id.is_some() && key.department_id != caller.department_id;
    if key.organization_id != caller.organization_id || other_dept {
        return Err(caller.hidden(&state, "revoke API key", "API key").await);
    }
    if id == caller.key_id {
        // An organisation must not lock itself out by its last admin key.
        return Err(ApiError::Conflict(
            "a key does not revoke itself: use another admin key".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    if !keys::revoke(&mut *tx, &id, now()).await? {
        tx.rollback().await?;
        return Err(ApiError::Conflict(format!(
            "the API key '{id}' is already revoked"
        )));
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "api_key.revoked",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "role": key.role, "department_id": key.department_id }),
        },
    )
    .await?;
    tx.commit().await?;
    state.callers.invalidate(&key.key_hash);
    let key = keys::find(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("API key vanished"))?;
    Ok(Json(key.into()))
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    pub uscc: Option<String>,
    #[schema(value_type = String)]
    pub level: Level,
    pub parent_id: Option<String>,
    pub created_at: String,
}

impl From<OrgRow> for OrganizationView {
    fn from(r: OrgRow) -> OrganizationView {
        OrganizationView {
            id: r.id,
            name: r.name,
            uscc: r.uscc,
            level: r.level,
            parent_id: r.parent_id,
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationPage {
    pub items: Vec<OrganizationView>,
    /// The `after` of the next page; absent on the last one.
    pub next: Option<String>,
}

/// How deep the organisation tree may go (province, city, county, department and spare).
const MAX_DEPTH: usize = 8;

#[utoipa::path(get, path = "/v1/orgs", tag = "eseal", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = OrganizationPage), (status = 400, body = Problem)))]
/// The caller's organisation and, for admins, the organisations below it (children,
/// grandchildren...); never its parent or siblings.
pub async fn list_organizations(
    State(state): State<Shared>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<OrganizationPage>> {
    let limit = q.limit()?;
    let mut ids = vec![caller.organization_id.clone()];
    if caller.role == Role::Admin && caller.department_id.is_none() {
        ids.extend(below(&state, &caller.organization_id).await?);
    }
    ids.sort();
    ids.dedup();
    let mut items = Vec::new();
    for id in ids
        .iter()
        .filter(|i| i.as_str() > q.after())
        .take(limit + 1)
    {
        items.push(orgs::get(&state.db, id).await?.into());
    }
    let (items, next) = page::cut(items, limit, |o: &OrganizationView| &o.id);
    Ok(Json(OrganizationPage { items, next }))
}

/// The organisations below `top` (children, grandchildren...), at most [`MAX_DEPTH`] down.
async fn below(state: &Shared, top: &str) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    let mut level = vec![top.to_string()];
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for parent in &level {
            next.extend(orgs::children_of(&state.db, parent).await?);
        }
        if next.is_empty() {
            break;
        }
        out.extend(next.iter().cloned());
        level = next;
    }
    Ok(out)
}
