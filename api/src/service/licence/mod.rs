//! The licence registry (issue 7): issuing a licence from a catalogue template, its sealed
//! versions and their lifecycle (change, correction, replacement, cancellation), and what a
//! version's status means in plain words.
//!
//! - [`pdf`]: the calls into the licence PDF code (render, QR, digest, annotation stamp).
//! - [`holder`]: holder tokens and the credential of a request (API key or holder token).
//! - [`copy`]: grants and annotated copies; [`page`]: the public scan-to-verify page.
//!
//! A licence keeps one id for life; each version has its own GB/T 36904 identifier (the
//! version is part of it), its own sealed file and a status: `current`, `superseded` (by a
//! change), `corrected`, `replaced` or `cancelled` (the whole licence).

pub mod copy;
pub mod holder;
pub mod page;
pub mod pdf;
pub mod status_check;

use std::io::Cursor;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;
use utoipa::ToSchema;

use super::audit::{self, NewEntry};
use super::auth::Caller;
use super::db::{new_id, now, opt_text, rfc3339};
use super::engine;
use super::error::{ApiError, ApiResult};
use super::Shared;

/// The request to issue a licence.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct NewLicence {
    /// A licence type code of the catalogue, e.g. `demo-business-licence`.
    #[serde(rename = "type")]
    pub kind: String,
    pub holder_name: String,
    /// The holder's code: a USCC for an organisation, a resident ID number for a person.
    pub holder_code: String,
    /// The template's data fields (text values).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// A new version: change (new fields), correction (fixed fields) or replacement (same data,
/// a new file). Absent values keep the current ones.
#[derive(Deserialize, ToSchema, Default)]
pub struct NewVersion {
    pub holder_name: Option<String>,
    pub holder_code: Option<String>,
    /// Fields to set (merged over the current ones).
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
    /// Why, for the record.
    pub reason: Option<String>,
}

/// What a lifecycle step makes of the old version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Change,
    Correct,
    Replace,
}

impl Step {
    pub fn kind(self) -> &'static str {
        match self {
            Step::Change => "changed",
            Step::Correct => "corrected",
            Step::Replace => "replaced",
        }
    }

    /// The old version's status after the step.
    pub fn old_status(self) -> &'static str {
        match self {
            Step::Change => "superseded",
            Step::Correct => "corrected",
            Step::Replace => "replaced",
        }
    }
}

/// A licence as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct LicenceView {
    pub id: String,
    /// The current version's identifier.
    pub identifier: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub organization_id: String,
    pub holder_name: String,
    pub holder_code: String,
    #[schema(value_type = Object)]
    pub fields: Value,
    /// active or cancelled.
    pub status: String,
    pub version: i64,
    pub verify_url: String,
    pub cancelled_at: Option<String>,
    pub versions: Vec<VersionView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub identifier: String,
    /// issued, changed, corrected or replaced.
    pub kind: String,
    /// current, superseded, corrected, replaced or cancelled.
    pub status: String,
    pub sealed_digest: String,
    pub file_sha256: String,
    pub created_at: String,
}

/// The answer to issuing: the holder token is shown here once and stored hashed.
#[derive(Serialize, ToSchema)]
pub struct Issued {
    pub id: String,
    pub identifier: String,
    pub holder_token: String,
    pub status: String,
    pub version: i64,
    pub verify_url: String,
}

/// Where the QR code points: the public page of the identifier, with the sealed digest.
pub fn verify_url(base: &str, identifier: &str, digest: &str) -> String {
    format!("{base}/v/{identifier}?d={digest}")
}

pub(crate) fn check_text(what: &str, v: &str, max: usize) -> ApiResult<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "{what}: 1 to {max} characters, no control characters"
        )));
    }
    Ok(t.to_string())
}

fn check_fields(fields: &Map<String, Value>) -> ApiResult<()> {
    if fields.len() > 64 {
        return Err(ApiError::BadRequest("fields: at most 64".into()));
    }
    for (k, v) in fields {
        check_text("a field name", k, 64)?;
        match v {
            Value::String(s) if s.chars().count() <= 2000 => {}
            Value::String(_) => {
                return Err(ApiError::BadRequest(format!(
                    "fields.{k}: at most 2000 characters"
                )))
            }
            _ => return Err(ApiError::BadRequest(format!("fields.{k}: values are text"))),
        }
    }
    Ok(())
}

/// A licence type of the catalogue.
pub struct LicenceType {
    pub code: String,
    pub name: String,
    pub type_code: String,
    pub template: String,
}

async fn load_type(state: &Shared, code: &str) -> ApiResult<LicenceType> {
    let r =
        sqlx::query("SELECT code, name, type_code, template FROM licence_types WHERE code = $1")
            .bind(code)
            .fetch_optional(&state.db)
            .await?
            .ok_or_else(|| ApiError::Unprocessable(format!("type: no licence type '{code}'")))?;
    Ok(LicenceType {
        code: r.try_get(0)?,
        name: r.try_get(1)?,
        type_code: r.try_get(2)?,
        template: r.try_get(3)?,
    })
}

/// The issuer: its name, USCC and the seal it certifies licences with (its first active
/// organisation-wide official seal).
struct Issuer {
    name: String,
    uscc: String,
    seal: super::routes::seals::SealView,
}

async fn issuer(state: &Shared, caller: &Caller) -> ApiResult<Issuer> {
    let org = sqlx::query("SELECT name, uscc FROM organizations WHERE id = $1")
        .bind(&caller.organization_id)
        .fetch_one(&state.db)
        .await?;
    let uscc = opt_text(&org, "uscc").ok_or_else(|| {
        ApiError::Conflict("the issuing organisation has no unified social credit code".into())
    })?;
    let seal_id: Option<String> = sqlx::query(
        "SELECT id FROM seals WHERE organization_id = $1 AND department_id IS NULL AND status = 'active' \
         ORDER BY CASE WHEN kind = 'official' THEN 0 ELSE 1 END, created_at, id",
    )
    .bind(&caller.organization_id)
    .fetch_optional(&state.db)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    let seal_id = seal_id
        .ok_or_else(|| ApiError::Conflict("the issuing organisation has no active seal".into()))?;
    let seal = super::routes::seals::usable_seal(state, caller, &seal_id).await?;
    Ok(Issuer {
        name: org.try_get(0)?,
        uscc,
        seal,
    })
}

/// The next serial of an issuer for a type (gaps are fine: a failed issuance skips one).
async fn next_serial(state: &Shared, org: &str, type_code: &str) -> ApiResult<String> {
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO licence_serials (organization_id, type_code, last_serial) VALUES ($1, $2, 1) \
         ON CONFLICT (organization_id, type_code) DO UPDATE SET last_serial = licence_serials.last_serial + 1",
    )
    .bind(org)
    .bind(type_code)
    .execute(&mut *tx)
    .await?;
    let n: i64 = sqlx::query(
        "SELECT last_serial FROM licence_serials WHERE organization_id = $1 AND type_code = $2",
    )
    .bind(org)
    .bind(type_code)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    tx.commit().await?;
    Ok(format!("{n:07}"))
}

/// A sealed version, ready to store.
struct Made {
    identifier: String,
    content: Vec<u8>,
    digest: String,
    sha256: String,
}

/// Renders, certifies with the issuer's seal, fills the QR code.
#[allow(clippy::too_many_arguments)]
async fn make_file(
    state: &Shared,
    caller: &Caller,
    ty: &LicenceType,
    iss: &Issuer,
    serial: &str,
    version: u32,
    holder_name: &str,
    holder_code: &str,
    fields: &Map<String, Value>,
) -> ApiResult<Made> {
    let identifier = pdf::identifier(&ty.type_code, &iss.uscc, serial, version)?;
    let material = state.seal_material(&iss.seal.id).await?;
    let base = state.config.public_base();
    let reason = format!("{} {identifier}", ty.name);
    let (template, id2) = (ty.template.clone(), identifier.clone());
    let (type_code, type_name, issuer_name, issuer_code) = (
        ty.type_code.clone(),
        ty.name.clone(),
        iss.name.clone(),
        iss.uscc.clone(),
    );
    let (holder_name, holder_code, fields) = (
        holder_name.to_string(),
        holder_code.to_string(),
        fields.clone(),
    );
    let (content, digest, in_hash) = tokio::task::spawn_blocking(move || -> ApiResult<_> {
        let rendered = pdf::render(
            &template,
            &pdf::Content {
                identifier: &id2,
                type_code: &type_code,
                type_name: &type_name,
                issuer_name: &issuer_name,
                issuer_code: &issuer_code,
                holder_name: &holder_name,
                holder_code: &holder_code,
                fields: &fields,
            },
        )?;
        let in_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&rendered.pdf));
        let opts = pdf::issuer_options(&rendered.template, material.appearance.clone(), reason);
        let mut out = Cursor::new(Vec::with_capacity(rendered.pdf.len() + 64 * 1024));
        engine::seal_with(&mut Cursor::new(&rendered.pdf), &mut out, &material, opts)?;
        let sealed = out.into_inner();
        let digest = pdf::sealed_digest(&sealed)?;
        let full = pdf::fill_qr(&sealed, &verify_url(&base, &id2, &digest))?;
        Ok((full, digest, in_hash))
    })
    .await
    .map_err(ApiError::internal)??;
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&content));
    let record = super::routes::seals::sealing_record(
        caller,
        &iss.seal,
        None,
        &in_hash,
        &sha256,
        content.len() as u64,
    );
    state.committer.record(record).await?;
    state.metrics.seal_applied();
    Ok(Made {
        identifier,
        content,
        digest,
        sha256,
    })
}

/// Issues a licence: identifier, rendering, the issuer's certification seal, the QR code,
/// storage and the audit record.
pub async fn issue(state: &Shared, caller: &Caller, req: &NewLicence) -> ApiResult<Issued> {
    let holder_name = check_text("holder_name", &req.holder_name, 200)?;
    let holder_code = check_text("holder_code", &req.holder_code, 64)?;
    check_fields(&req.fields)?;
    let ty = load_type(state, req.kind.trim()).await?;
    let iss = issuer(state, caller).await?;
    let serial = next_serial(state, &caller.organization_id, &ty.type_code).await?;
    let made = make_file(
        state,
        caller,
        &ty,
        &iss,
        &serial,
        1,
        &holder_name,
        &holder_code,
        &req.fields,
    )
    .await?;
    let id = new_id("lic");
    let token = holder::new_token()?;
    let fields = Value::Object(req.fields.clone()).to_string();
    let t = now();
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO licences (id, type, organization_id, serial, identifier, holder_name, holder_code, fields, status, version, holder_token_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', 1, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&ty.code)
    .bind(&caller.organization_id)
    .bind(&serial)
    .bind(&made.identifier)
    .bind(&holder_name)
    .bind(&holder_code)
    .bind(&fields)
    .bind(holder::token_hash(&token))
    .bind(t)
    .execute(&mut *tx)
    .await?;
    insert_file(
        &mut tx,
        &id,
        1,
        "issued",
        None,
        &fields,
        &holder_name,
        &holder_code,
        &made,
        None,
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.issued",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "identifier": made.identifier, "type": ty.code, "version": 1,
                "sealed_digest": made.digest, "file_sha256": made.sha256 }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Issued {
        id,
        verify_url: verify_url(&state.config.public_base(), &made.identifier, &made.digest),
        identifier: made.identifier,
        holder_token: token,
        status: "active".into(),
        version: 1,
    })
}

#[allow(clippy::too_many_arguments)]
async fn insert_file(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    version: i64,
    kind: &str,
    supersedes: Option<i64>,
    fields: &str,
    holder_name: &str,
    holder_code: &str,
    made: &Made,
    reason: Option<&str>,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO licence_files (licence_id, version, identifier, kind, status, supersedes, fields, holder_name, holder_code, sealed_digest, file_sha256, content, reason, created_at) \
         VALUES ($1, $2, $3, $4, 'current', $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(version)
    .bind(&made.identifier)
    .bind(kind)
    .bind(supersedes)
    .bind(fields)
    .bind(holder_name)
    .bind(holder_code)
    .bind(&made.digest)
    .bind(&made.sha256)
    .bind(made.content.clone())
    .bind(reason)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The licence row, if the caller's organisation issued it (others: a logged 404).
pub async fn owned(state: &Shared, caller: &Caller, id: &str, action: &str) -> ApiResult<()> {
    let org: Option<String> = sqlx::query("SELECT organization_id FROM licences WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    match org {
        None => Err(ApiError::NotFound(format!("no such licence '{id}'"))),
        Some(o) if o != caller.organization_id => {
            Err(caller.hidden(state, action, "licence").await)
        }
        Some(_) => Ok(()),
    }
}

/// A new sealed version (change, correction, replacement); the old one gets its status.
pub async fn new_version(
    state: &Shared,
    caller: &Caller,
    id: &str,
    step: Step,
    req: &NewVersion,
) -> ApiResult<LicenceView> {
    owned(state, caller, id, step.kind()).await?;
    let r = sqlx::query(
        "SELECT type, serial, holder_name, holder_code, fields, status, version FROM licences WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&state.db)
    .await?;
    let status: String = r.try_get("status")?;
    if status != "active" {
        return Err(ApiError::Conflict(format!("the licence is {status}")));
    }
    let old: i64 = r.try_get("version")?;
    if old >= 999 {
        return Err(ApiError::Conflict("the licence has 999 versions".into()));
    }
    let holder_name = match &req.holder_name {
        Some(n) => check_text("holder_name", n, 200)?,
        None => r.try_get("holder_name")?,
    };
    let holder_code = match &req.holder_code {
        Some(c) => check_text("holder_code", c, 64)?,
        None => r.try_get("holder_code")?,
    };
    let mut fields: Map<String, Value> =
        serde_json::from_str(&r.try_get::<String, _>("fields")?).map_err(ApiError::internal)?;
    if let Some(f) = &req.fields {
        check_fields(f)?;
        if step == Step::Replace {
            return Err(ApiError::BadRequest(
                "a replacement keeps the data; use change or correct to alter fields".into(),
            ));
        }
        for (k, v) in f {
            fields.insert(k.clone(), v.clone());
        }
    } else if step != Step::Replace && req.holder_name.is_none() && req.holder_code.is_none() {
        return Err(ApiError::BadRequest(
            "give the new fields (or holder_name, holder_code)".into(),
        ));
    }
    let reason = match &req.reason {
        Some(x) => Some(check_text("reason", x, 500)?),
        None => None,
    };
    let ty = load_type(state, &r.try_get::<String, _>("type")?).await?;
    let iss = issuer(state, caller).await?;
    let serial: String = r.try_get("serial")?;
    let version = old + 1;
    let made = make_file(
        state,
        caller,
        &ty,
        &iss,
        &serial,
        version as u32,
        &holder_name,
        &holder_code,
        &fields,
    )
    .await?;
    let fields_text = Value::Object(fields).to_string();
    let t = now();
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE licences SET identifier = $1, holder_name = $2, holder_code = $3, fields = $4, version = $5, updated_at = $6 \
         WHERE id = $7 AND version = $8 AND status = 'active'",
    )
    .bind(&made.identifier)
    .bind(&holder_name)
    .bind(&holder_code)
    .bind(&fields_text)
    .bind(version)
    .bind(t)
    .bind(id)
    .bind(old)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Err(ApiError::Conflict(
            "the licence changed meanwhile; try again".into(),
        ));
    }
    sqlx::query("UPDATE licence_files SET status = $1, status_changed_at = $2 WHERE licence_id = $3 AND version = $4")
        .bind(step.old_status())
        .bind(t)
        .bind(id)
        .bind(old)
        .execute(&mut *tx)
        .await?;
    insert_file(
        &mut tx,
        id,
        version,
        step.kind(),
        Some(old),
        &fields_text,
        &holder_name,
        &holder_code,
        &made,
        reason.as_deref(),
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: match step {
                Step::Change => "licence.changed",
                Step::Correct => "licence.corrected",
                Step::Replace => "licence.replaced",
            },
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(id),
            details: json!({ "identifier": made.identifier, "version": version, "supersedes": old,
                "reason": reason, "sealed_digest": made.digest, "file_sha256": made.sha256 }),
        },
    )
    .await?;
    tx.commit().await?;
    view(state, id).await
}

/// Cancels a licence (注销): every version then verifies as cancelled.
pub async fn cancel(
    state: &Shared,
    caller: &Caller,
    id: &str,
    reason: Option<String>,
) -> ApiResult<LicenceView> {
    owned(state, caller, id, "cancel licence").await?;
    let reason = match reason {
        Some(x) => Some(check_text("reason", &x, 500)?),
        None => None,
    };
    let t = now();
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE licences SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2, updated_at = $1 WHERE id = $3 AND status = 'active'",
    )
    .bind(t)
    .bind(&reason)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Err(ApiError::Conflict(
            "the licence is cancelled already".into(),
        ));
    }
    sqlx::query("UPDATE licence_files SET status = 'cancelled', status_changed_at = $1 WHERE licence_id = $2 AND status = 'current'")
        .bind(t)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "licence.cancelled",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(id),
            details: json!({ "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    view(state, id).await
}

/// The licence and its versions (no access check: callers check first).
pub async fn view(state: &Shared, id: &str) -> ApiResult<LicenceView> {
    let r = sqlx::query(
        "SELECT id, identifier, type, organization_id, holder_name, holder_code, fields, status, version, cancelled_at, created_at, updated_at FROM licences WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no such licence '{id}'")))?;
    let rows = sqlx::query(
        "SELECT version, identifier, kind, status, sealed_digest, file_sha256, created_at FROM licence_files WHERE licence_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    let mut versions = Vec::new();
    for v in &rows {
        versions.push(VersionView {
            version: v.try_get(0)?,
            identifier: v.try_get(1)?,
            kind: v.try_get(2)?,
            status: v.try_get(3)?,
            sealed_digest: v.try_get(4)?,
            file_sha256: v.try_get(5)?,
            created_at: rfc3339(v.try_get(6)?),
        });
    }
    let identifier: String = r.try_get("identifier")?;
    let digest = versions
        .iter()
        .find(|v| v.identifier == identifier)
        .map(|v| v.sealed_digest.clone())
        .unwrap_or_default();
    Ok(LicenceView {
        id: r.try_get("id")?,
        verify_url: verify_url(&state.config.public_base(), &identifier, &digest),
        identifier,
        kind: r.try_get("type")?,
        organization_id: r.try_get("organization_id")?,
        holder_name: r.try_get("holder_name")?,
        holder_code: r.try_get("holder_code")?,
        fields: serde_json::from_str(&r.try_get::<String, _>("fields")?).unwrap_or(Value::Null),
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        cancelled_at: r.try_get::<Option<i64>, _>("cancelled_at")?.map(rfc3339),
        versions,
        created_at: rfc3339(r.try_get("created_at")?),
        updated_at: rfc3339(r.try_get("updated_at")?),
    })
}

/// The current file of a licence and its version.
pub async fn current_file(state: &Shared, id: &str) -> ApiResult<(i64, Vec<u8>)> {
    let r = sqlx::query(
        "SELECT f.version, f.content FROM licence_files f JOIN licences l ON l.id = f.licence_id AND l.version = f.version WHERE l.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no such licence '{id}'")))?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// What a version's status means, for the verify report and the public page.
#[derive(Serialize, Clone, Debug, ToSchema)]
pub struct VersionStatus {
    pub licence_id: String,
    pub identifier: String,
    pub version: i64,
    pub current_version: i64,
    /// current, superseded, corrected, replaced or cancelled.
    pub status: String,
    /// The status in plain words.
    pub message: String,
    #[serde(skip)]
    pub type_name: String,
    #[serde(skip)]
    pub issuer_name: String,
    #[serde(skip)]
    pub issuer_code: Option<String>,
    #[serde(skip)]
    pub holder_name: String,
    #[serde(skip)]
    pub holder_code: String,
    #[serde(skip)]
    pub sealed_digest: String,
    #[serde(skip)]
    pub issued_at: i64,
}

fn day(t: i64) -> String {
    rfc3339(t).get(..10).unwrap_or_default().to_string()
}

/// The status of the version with this identifier, or `None` when there is none.
pub async fn version_status(state: &Shared, identifier: &str) -> ApiResult<Option<VersionStatus>> {
    let r = sqlx::query(
        "SELECT f.licence_id, f.identifier, f.version, f.status, f.status_changed_at, f.holder_name, f.holder_code, f.sealed_digest, f.created_at, \
         l.version AS current_version, l.status AS licence_status, l.cancelled_at, t.name AS type_name, o.name AS org_name, o.uscc \
         FROM licence_files f JOIN licences l ON l.id = f.licence_id JOIN licence_types t ON t.code = l.type \
         JOIN organizations o ON o.id = l.organization_id WHERE f.identifier = $1",
    )
    .bind(identifier)
    .fetch_optional(&state.db)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let version: i64 = r.try_get("version")?;
    let current: i64 = r.try_get("current_version")?;
    let mut status: String = r.try_get("status")?;
    let changed = r
        .try_get::<Option<i64>, _>("status_changed_at")?
        .unwrap_or(0);
    let message = if r.try_get::<String, _>("licence_status")? == "cancelled" {
        let at = r
            .try_get::<Option<i64>, _>("cancelled_at")?
            .unwrap_or(changed);
        let tail = if version == current {
            String::new()
        } else {
            format!(" This file is version {version:03}; the last version was {current:03}.")
        };
        status = "cancelled".into();
        format!(
            "This licence was cancelled on {}; it is no longer valid.{tail}",
            day(at)
        )
    } else {
        match status.as_str() {
            "current" => format!("This licence is valid: version {version:03} is its current version."),
            "superseded" => format!(
                "This version ({version:03}) was superseded by a change on {}; the current version is {current:03}.",
                day(changed)
            ),
            "corrected" => format!(
                "This version ({version:03}) was corrected on {}; the current version is {current:03}.",
                day(changed)
            ),
            "replaced" => format!(
                "This version ({version:03}) was replaced by a new licence file on {}; the current version is {current:03}.",
                day(changed)
            ),
            other => format!("This version's status is {other}."),
        }
    };
    Ok(Some(VersionStatus {
        licence_id: r.try_get("licence_id")?,
        identifier: r.try_get("identifier")?,
        version,
        current_version: current,
        status,
        message,
        type_name: r.try_get("type_name")?,
        issuer_name: r.try_get("org_name")?,
        issuer_code: opt_text(&r, "uscc"),
        holder_name: r.try_get("holder_name")?,
        holder_code: r.try_get("holder_code")?,
        sealed_digest: r.try_get("sealed_digest")?,
        issued_at: r.try_get("created_at")?,
    }))
}

/// The licence version a file is, by its sealed digest.
pub async fn status_of_file(state: &Shared, file: &[u8]) -> ApiResult<Option<VersionStatus>> {
    match pdf::sealed_digest(file) {
        Ok(d) => status_of_digest(state, &d).await,
        Err(_) => Ok(None),
    }
}

/// The licence version whose issuer-sealed revision has this digest.
pub async fn status_of_digest(state: &Shared, digest: &str) -> ApiResult<Option<VersionStatus>> {
    let id: Option<String> =
        sqlx::query("SELECT identifier FROM licence_files WHERE sealed_digest = $1")
            .bind(digest)
            .fetch_optional(&state.db)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    match id {
        Some(id) => version_status(state, &id).await,
        None => Ok(None),
    }
}
