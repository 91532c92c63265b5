//! Organisations (a child organisation one level down, with its first admin key), departments
//! and API keys.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::{insert_api_key, Caller, Role};
use crate::service::db::{new_id, now, opt_text, rfc3339};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::Shared;

use super::page::{self, PageQuery};

const LEVELS: [&str; 4] = ["province", "city", "county", "department"];

fn check_level(level: &str) -> ApiResult<()> {
    if LEVELS.contains(&level) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "level '{level}': province, city, county or department"
        )))
    }
}

fn check_name(name: &str) -> ApiResult<&str> {
    let n = name.trim();
    if n.is_empty() || n.len() > 200 {
        return Err(ApiError::BadRequest("name: 1 to 200 characters".into()));
    }
    Ok(n)
}

/// A USCC (GB 32100-2015): 18 characters, check character over the first 17.
pub fn valid_uscc(s: &str) -> bool {
    const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let v: Vec<u32> = s
        .chars()
        .filter_map(|c| CHARS.find(c).map(|i| i as u32))
        .collect();
    if s.chars().count() != 18 || v.len() != 18 {
        return false;
    }
    let sum: u32 = v[..17].iter().zip(W).map(|(a, w)| a * w).sum();
    (31 - sum % 31) % 31 == v[17]
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
    pub level: String,
    pub parent_id: String,
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
    caller
        .require(&state, "create organisations", &[Role::Admin])
        .await?;
    let name = check_name(&req.name)?;
    check_level(&req.level)?;
    if let Some(u) = &req.uscc {
        if !valid_uscc(u) {
            return Err(ApiError::BadRequest(format!(
                "uscc '{u}' is not a valid unified social credit code"
            )));
        }
    }
    let id = new_id("org");
    let mut tx = state.db.begin().await?;
    sqlx::query("INSERT INTO organizations (id, name, uscc, level, parent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(name)
        .bind(req.uscc.clone())
        .bind(&req.level)
        .bind(&caller.organization_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    let (key_id, key) = insert_api_key(&mut tx, &id, None, "admin", "first admin").await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "organization.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "name": name, "level": req.level, "admin_key_id": key_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedOrganization {
            organization_id: id,
            name: name.into(),
            level: req.level,
            parent_id: caller.organization_id,
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
    pub level: String,
}

#[utoipa::path(post, path = "/v1/departments", tag = "eseal", security(("bearer" = [])), request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create_department(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewDepartment>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    caller
        .require(&state, "create departments", &[Role::Admin])
        .await?;
    let name = check_name(&req.name)?;
    let level = match req.level {
        Some(l) => l,
        None => sqlx::query("SELECT level FROM organizations WHERE id = $1")
            .bind(&caller.organization_id)
            .fetch_one(&state.db)
            .await?
            .try_get(0)?,
    };
    check_level(&level)?;
    let id = new_id("dept");
    let mut tx = state.db.begin().await?;
    sqlx::query("INSERT INTO departments (id, organization_id, name, level, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(&caller.organization_id)
        .bind(name)
        .bind(&level)
        .bind(now())
        .execute(&mut *tx)
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
    caller
        .require(&state, "create API keys", &[Role::Admin])
        .await?;
    let mut tx = state.db.begin().await?;
    if let Some(d) = &req.department_id {
        let ok = sqlx::query("SELECT id FROM departments WHERE id = $1 AND organization_id = $2")
            .bind(d)
            .bind(&caller.organization_id)
            .fetch_optional(&mut *tx)
            .await?;
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
        req.role.as_str(),
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
    pub role: String,
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
    let rows = sqlx::query(
        "SELECT id, role, name, department_id, created_at, revoked_at FROM api_keys          WHERE organization_id = $1 AND ($2 = '' OR department_id = $2) AND id > $3          ORDER BY id LIMIT $4",
    )
    .bind(&caller.organization_id)
    .bind(caller.department_id.clone().unwrap_or_default())
    .bind(q.after())
    .bind(limit as i64 + 1)
    .fetch_all(&state.db)
    .await?;
    let items = rows.iter().map(key_view).collect::<ApiResult<Vec<_>>>()?;
    let (items, next) = page::cut(items, limit, |k| &k.id);
    Ok(Json(ApiKeyPage { items, next }))
}

fn key_view(r: &AnyRow) -> ApiResult<ApiKeyView> {
    Ok(ApiKeyView {
        id: r.try_get("id")?,
        role: r.try_get("role")?,
        name: r.try_get("name")?,
        department_id: opt_text(r, "department_id"),
        created_at: rfc3339(r.try_get("created_at")?),
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(rfc3339),
    })
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
    const SELECT: &str = "SELECT id, key_hash, organization_id, role, name, department_id, \
        created_at, revoked_at FROM api_keys WHERE id = $1";
    let row = sqlx::query(SELECT)
        .bind(&id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such API key '{id}'")))?;
    let org: String = row.try_get("organization_id")?;
    let dept = opt_text(&row, "department_id");
    let other_dept = caller.department_id.is_some() && dept != caller.department_id;
    if org != caller.organization_id || other_dept {
        return Err(caller.hidden(&state, "revoke API key", "API key").await);
    }
    if id == caller.key_id {
        // An organisation must not lock itself out by its last admin key.
        return Err(ApiError::Conflict(
            "a key does not revoke itself: use another admin key".into(),
        ));
    }
    let hash: String = row.try_get("key_hash")?;
    let mut tx = state.db.begin().await?;
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() != 1 {
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
            details: json!({ "role": row.try_get::<String, _>("role")?, "department_id": dept }),
        },
    )
    .await?;
    tx.commit().await?;
    state.callers.invalidate(&hash);
    let row = sqlx::query(SELECT).bind(&id).fetch_one(&state.db).await?;
    Ok(Json(key_view(&row)?))
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: String,
    pub name: String,
    pub uscc: Option<String>,
    pub level: String,
    pub parent_id: Option<String>,
    pub created_at: String,
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
        let mut level = vec![caller.organization_id.clone()];
        for _ in 0..MAX_DEPTH {
            let mut below = Vec::new();
            for parent in &level {
                let rows = sqlx::query("SELECT id FROM organizations WHERE parent_id = $1")
                    .bind(parent)
                    .fetch_all(&state.db)
                    .await?;
                for r in rows {
                    below.push(r.try_get::<String, _>(0)?);
                }
            }
            if below.is_empty() {
                break;
            }
            ids.extend(below.iter().cloned());
            level = below;
        }
    }
    ids.sort();
    ids.dedup();
    let mut items = Vec::new();
    for id in ids
        .iter()
        .filter(|i| i.as_str() > q.after())
        .take(limit + 1)
    {
        let r = sqlx::query(
            "SELECT id, name, uscc, level, parent_id, created_at FROM organizations WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&state.db)
        .await?;
        items.push(OrganizationView {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            uscc: opt_text(&r, "uscc"),
            level: r.try_get("level")?,
            parent_id: opt_text(&r, "parent_id"),
            created_at: rfc3339(r.try_get("created_at")?),
        });
    }
    let (items, next) = page::cut(items, limit, |o| &o.id);
    Ok(Json(OrganizationPage { items, next }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn uscc_check_character() {
        assert!(super::valid_uscc("91350100M000100Y43"));
        assert!(!super::valid_uscc("91350100M000100Y44"));
        assert!(!super::valid_uscc("short"));
    }
}
