//! Organisations (a child organisation one level down, with its first admin key), departments
//! and API keys.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::{key_hash, new_key, Caller, Role};
use crate::service::db::{new_id, now};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::Shared;

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
    let key = new_key()?;
    let key_id = new_id("key");
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
    sqlx::query("INSERT INTO api_keys (id, key_hash, organization_id, department_id, role, name, created_at) VALUES ($1, $2, $3, NULL, 'admin', 'first admin', $4)")
        .bind(&key_id)
        .bind(key_hash(&key))
        .bind(&id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
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
    let id = new_id("key");
    let key = new_key()?;
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
    sqlx::query("INSERT INTO api_keys (id, key_hash, organization_id, department_id, role, name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(key_hash(&key))
        .bind(&caller.organization_id)
        .bind(req.department_id.clone())
        .bind(req.role.as_str())
        .bind(req.name.clone().unwrap_or_default())
        .bind(now())
        .execute(&mut *tx)
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

#[cfg(test)]
mod tests {
    #[test]
    fn uscc_check_character() {
        assert!(super::valid_uscc("91350100M000100Y43"));
        assert!(!super::valid_uscc("91350100M000100Y44"));
        assert!(!super::valid_uscc("short"));
    }
}
