//! The licence catalogue: licence types (name, GB/T 36904 type code, defining authority,
//! template, metadata fields). A type is platform-wide (published by an operator, for any
//! defining authority) or an organisation's own (its admin adds it, as the defining authority
//! itself: the type code starts with the organisation's own USCC); an organisation sees and
//! issues the platform's types, its own and those of the organisations above it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use eseal_certs::national_codes::LicenceIdentifier;
use eseal_pdf::licence::Template;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::{record_denial, Caller};
use crate::service::db::now;
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::licence::{check_text, type_visible};
use crate::service::store::{licence_types, orgs};
use crate::service::Shared;

/// A licence type of the catalogue.
#[derive(Serialize, ToSchema)]
pub struct LicenceTypeView {
    /// The name `POST /v1/licences` takes as `type`.
    pub code: String,
    pub name: String,
    /// GB/T 36904 type code: the defining authority's USCC and three digits.
    pub type_code: String,
    pub authority_name: String,
    pub authority_code: String,
    /// The keys of the licence data the template shows.
    pub metadata_fields: Vec<String>,
    /// The organisation whose own type it is; none for a platform-wide type.
    pub organization_id: Option<String>,
}

/// A new licence type.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLicenceType {
    /// Lower-case letters, digits and `-`, at most 64 characters.
    pub code: String,
    pub name: String,
    pub type_code: String,
    pub authority_name: String,
    /// The page layout (see `eseal_pdf::licence::Template`); the demo 营业执照 layout when
    /// absent. Background pages are set up by the operator, not through the API.
    #[schema(value_type = Option<Object>)]
    pub template: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/v1/licence-types", tag = "eseal", security(("bearer" = [])),
    responses((status = 200, body = [LicenceTypeView]), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<LicenceTypeView>>> {
    let mut conn = state.db.acquire().await?;
    let visible = orgs::lineage(&mut conn, &caller.organization_id).await?;
    let rows = licence_types::all(&mut *conn).await?;
    Ok(Json(
        rows.into_iter()
            .filter(|r| type_visible(&caller, &visible, r.organization_id.as_deref()))
            .map(|r| LicenceTypeView {
                code: r.code,
                name: r.name,
                type_code: r.type_code,
                authority_name: r.authority_name,
                authority_code: r.authority_code,
                metadata_fields: r.metadata_fields,
                organization_id: r.organization_id,
            })
            .collect(),
    ))
}

/// A type's code: 1 to 64 lower-case letters, digits or '-'.
fn check_code(code: &str) -> ApiResult<&str> {
    let code = code.trim();
    if code.is_empty()
        || code.len() > 64
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ApiError::Unprocessable(
            "code: 1 to 64 lower-case letters, digits or '-'".into(),
        ));
    }
    Ok(code)
}

/// The GB/T 36904 type code and the defining authority's USCC it starts with.
fn check_type_code(raw: &str) -> ApiResult<(String, String)> {
    // The type code's first 18 characters are the defining authority's USCC: checking a
    // sample identifier checks both (and names the bad segment).
    let type_code = raw.trim().to_ascii_uppercase();
    let authority_code = type_code.get(..18).unwrap_or("").to_string();
    LicenceIdentifier::new(&type_code, &authority_code, "1", 1)
        .map_err(|e| ApiError::Unprocessable(format!("type_code: {e}")))?;
    Ok((type_code, authority_code))
}

/// The template of the request (without background pages), or the demo layout.
fn template_of(v: Option<&serde_json::Value>) -> ApiResult<Template> {
    let Some(v) = v else {
        return Ok(Template::demo_business_licence());
    };
    let t = Template::from_json(&v.to_string())
        .map_err(|e| ApiError::Unprocessable(format!("template: {e}")))?;
    if t.background.is_some() {
        return Err(ApiError::Unprocessable(
            "template: background pages are set up by the operator, not through the API".into(),
        ));
    }
    Ok(t)
}

#[utoipa::path(post, path = "/v1/licence-types", tag = "eseal", security(("bearer" = [])),
    request_body = NewLicenceType,
    responses((status = 201, body = LicenceTypeView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewLicenceType>,
) -> ApiResult<(StatusCode, Json<LicenceTypeView>)> {
    let code = check_code(&req.code)?;
    let name = check_text("name", &req.name, 200)?;
    let authority_name = check_text("authority_name", &req.authority_name, 200)?;
    let (type_code, authority_code) = check_type_code(&req.type_code)?;
    // An operator publishes for the whole platform, for any defining authority; an
    // organisation defines types only in its own name.
    let owner =
        if caller.is_operator() {
            None
        } else {
            caller
                .require_org_admin(&state, "add licence types")
                .await?;
            let org = orgs::get(&state.db, &caller.organization_id).await?;
            if org.uscc.as_deref() != Some(authority_code.as_str()) || org.name != authority_name {
                let reason =
                    format!(
                "an organisation defines licence types in its own name only: authority_name \
                 must be '{}' and the type code must start with its unified social credit \
                 code{}; types of other authorities are published by the platform's operators",
                org.name,
                org.uscc.as_deref().map(|u| format!(" {u}")).unwrap_or_default()
            );
                record_denial(&state, Some(&caller), "add licence types", 403, &reason).await;
                return Err(ApiError::Forbidden(reason));
            }
            Some(caller.organization_id.clone())
        };
    let template = template_of(req.template.as_ref())?;
    let fields: Vec<String> = template.texts.iter().map(|s| s.key.clone()).collect();
    let mut tx = state.db.begin().await?;
    if licence_types::exists(&mut tx, code).await? {
        return Err(ApiError::Conflict(format!(
            "a licence type '{code}' already exists"
        )));
    }
    let template = serde_json::to_string(&template).map_err(ApiError::internal)?;
    licence_types::insert(
        &mut *tx,
        licence_types::NewType {
            code,
            name: &name,
            type_code: &type_code,
            authority_name: &authority_name,
            authority_code: &authority_code,
            template: &template,
            metadata_fields: &fields,
            organization_id: owner.as_deref(),
            created_at: now(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence_type.created",
            organization_id: owner.as_deref(),
            actor: &caller.key_id,
            subject: Some(code),
            details: serde_json::json!({ "name": name, "type_code": type_code }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(LicenceTypeView {
            code: code.to_string(),
            name,
            type_code,
            authority_name,
            authority_code,
            metadata_fields: fields,
            organization_id: owner,
        }),
    ))
}
