//! Seals: list, create (with a picture), show, suspend, revoke, and sealing a PDF.

use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use axum::Json;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::body::{pdf_response, pdf_upload};
use crate::service::audit::{self, NewEntry, OwnedEntry};
use crate::service::auth::{Caller, Role};
use crate::service::commit::SealingRecord;
use crate::service::db::{new_id, now, opt_text, rfc3339};
use crate::service::engine::{self, Placement};
use crate::service::error::{ApiError, ApiResult};
use crate::service::pki::{self, SealSubject};
use crate::service::Shared;

/// A seal as the API shows it.
#[derive(Clone, Serialize, ToSchema)]
pub struct SealView {
    pub id: String,
    pub name: String,
    /// official, contract, finance, invoice, legal_representative, department...
    pub kind: String,
    /// active, suspended or revoked.
    pub status: String,
    pub organization_id: String,
    pub department_id: Option<String>,
    /// software or pkcs11.
    pub key_store: String,
    pub certificate: CertificateSummary,
    pub created_at: String,
}

#[derive(Clone, Serialize, ToSchema)]
pub struct CertificateSummary {
    pub id: String,
    pub subject: String,
    pub serial: String,
    pub status: String,
    pub not_after: String,
}

const SEAL_SELECT: &str =
    "SELECT s.id, s.name, s.kind, s.status, s.organization_id, s.department_id, s.key_store, s.created_at, \
    c.id AS cert_id, c.subject, c.serial_hex, c.status AS cert_status, c.not_after \
    FROM seals s JOIN certificates c ON c.id = s.certificate_id";

fn view(r: &AnyRow) -> ApiResult<SealView> {
    Ok(SealView {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        organization_id: r.try_get("organization_id")?,
        department_id: opt_text(r, "department_id"),
        key_store: r.try_get("key_store")?,
        certificate: CertificateSummary {
            id: r.try_get("cert_id")?,
            subject: r.try_get("subject")?,
            serial: r.try_get("serial_hex")?,
            status: r.try_get("cert_status")?,
            not_after: rfc3339(r.try_get("not_after")?),
        },
        created_at: rfc3339(r.try_get("created_at")?),
    })
}

/// The seal, if it exists and belongs to the caller's organisation (and department, for a
/// department key with a department seal); other organisations' seals are a logged 404.
pub async fn find_seal(
    state: &Shared,
    caller: &Caller,
    id: &str,
    action: &str,
) -> ApiResult<SealView> {
    let row = sqlx::query(&format!("{SEAL_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?;
    let Some(row) = row else {
        return Err(ApiError::NotFound(format!("no such seal '{id}'")));
    };
    owned(state, caller, view(&row)?, action).await
}

/// `seal` if the caller's organisation (and department) holds it, else the logged 404.
async fn owned(
    state: &Shared,
    caller: &Caller,
    seal: SealView,
    action: &str,
) -> ApiResult<SealView> {
    let other_dept =
        matches!((&caller.department_id, &seal.department_id), (Some(a), Some(b)) if a != b);
    if seal.organization_id != caller.organization_id || other_dept {
        return Err(caller.hidden(state, action, "seal").await);
    }
    Ok(seal)
}

#[utoipa::path(get, path = "/v1/seals", tag = "eseal", security(("bearer" = [])),
    responses((status = 200, body = [SealView]), (status = 401, body = crate::service::error::Problem)))]
pub async fn list_seals(
    State(state): State<Shared>,
    caller: Caller,
) -> ApiResult<Json<Vec<SealView>>> {
    caller
        .require(
            &state,
            "list seals",
            &[Role::Admin, Role::Sealer, Role::Auditor],
        )
        .await?;
    let rows = sqlx::query(&format!(
        "{SEAL_SELECT} WHERE s.organization_id = $1 ORDER BY s.created_at, s.id"
    ))
    .bind(&caller.organization_id)
    .fetch_all(&state.db)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let v = view(r)?;
        if matches!((&caller.department_id, &v.department_id), (Some(a), Some(b)) if a != b) {
            continue;
        }
        out.push(v);
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
pub struct NewSeal {
    /// The seal's name, also the certificate's common name.
    pub name: String,
    /// official (default), contract, finance, invoice, legal_representative, department.
    pub kind: Option<String>,
    /// A department of the caller's organisation (a department seal).
    pub department_id: Option<String>,
    /// The issuing CA: one of the organisation's CAs; the service's default CA otherwise.
    pub ca_id: Option<String>,
    /// The seal picture, PNG or JPEG, base64; a red round seal otherwise.
    pub image_base64: Option<String>,
    /// Where the new P-256 key is made and kept: `software` (the default: encrypted in the
    /// store) or `pkcs11` (generated in the service's PKCS#11 token, never extractable).
    pub key_store: Option<String>,
}

#[utoipa::path(post, path = "/v1/seals", tag = "eseal", security(("bearer" = [])), request_body = NewSeal,
    responses((status = 201, body = SealView), (status = 400, body = crate::service::error::Problem), (status = 403, body = crate::service::error::Problem)))]
pub async fn create_seal(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewSeal>,
) -> ApiResult<(axum::http::StatusCode, Json<SealView>)> {
    caller
        .require(&state, "create seals", &[Role::Admin])
        .await?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::BadRequest("name: 1 to 200 characters".into()));
    }
    let kind = req.kind.clone().unwrap_or_else(|| "official".into());
    if ![
        "official",
        "contract",
        "finance",
        "invoice",
        "legal_representative",
        "department",
    ]
    .contains(&kind.as_str())
    {
        return Err(ApiError::BadRequest(format!(
            "kind '{kind}' is not a seal kind"
        )));
    }
    let image = match &req.image_base64 {
        Some(b) => {
            let img = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| ApiError::BadRequest(format!("image_base64: {e}")))?;
            let png = img.starts_with(b"\x89PNG\r\n\x1a\n");
            let jpeg = img.starts_with(&[0xff, 0xd8]);
            if !png && !jpeg {
                return Err(ApiError::BadRequest(
                    "image_base64: not a PNG or JPEG picture".into(),
                ));
            }
            // Decodable, not only well-labelled.
            pki::seal_appearance(&img)?;
            Some(img)
        }
        None => None,
    };
    let key_store = req
        .key_store
        .clone()
        .unwrap_or_else(|| pki::KEY_STORE_SOFTWARE.into());
    let token = match key_store.as_str() {
        pki::KEY_STORE_SOFTWARE => None,
        pki::KEY_STORE_PKCS11 => Some(state.token.clone().ok_or_else(|| {
            ApiError::Conflict("no PKCS#11 token is configured on this service".into())
        })?),
        other => {
            return Err(ApiError::BadRequest(format!(
                "key_store '{other}': software or pkcs11"
            )))
        }
    };
    let id = new_id("seal");
    let mut tx = state.db.begin().await?;
    let org = sqlx::query("SELECT name, uscc FROM organizations WHERE id = $1")
        .bind(&caller.organization_id)
        .fetch_one(&mut *tx)
        .await?;
    let org_name: String = org.try_get(0)?;
    let uscc = opt_text(&org, "uscc");
    let mut unit = None;
    if let Some(d) = &req.department_id {
        let row =
            sqlx::query("SELECT name FROM departments WHERE id = $1 AND organization_id = $2")
                .bind(d)
                .bind(&caller.organization_id)
                .fetch_optional(&mut *tx)
                .await?;
        match row {
            Some(r) => unit = Some(r.try_get::<String, _>(0)?),
            None => {
                return Err(ApiError::BadRequest(format!(
                    "department_id: no such department '{d}'"
                )))
            }
        }
    }
    let ca_id = match &req.ca_id {
        Some(id) => {
            let own = sqlx::query("SELECT id FROM cas WHERE id = $1 AND organization_id = $2")
                .bind(id)
                .bind(&caller.organization_id)
                .fetch_optional(&mut *tx)
                .await?;
            if own.is_none() {
                return Err(ApiError::BadRequest(format!("ca_id: no such CA '{id}'")));
            }
            id.clone()
        }
        None => sqlx::query("SELECT value FROM settings WHERE name = 'default_ca'")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?,
    };
    let ca = pki::load_ca(&mut tx, &ca_id)
        .await?
        .ok_or_else(|| ApiError::internal("CA vanished"))?;
    let vault = state.vault.clone();
    let subject = SealSubject {
        seal_name: name,
        organization: &org_name,
        unit: unit.as_deref(),
        uscc: uscc.as_deref(),
    };
    let base = state.config.public_base();
    let (cert_id, key_pem, key_label) = match token {
        None => {
            let (key, cert_id, _) = pki::issue_seal_certificate(
                &mut tx,
                &vault,
                &ca,
                &caller.organization_id,
                &subject,
                &base,
            )
            .await?;
            (cert_id, vault.seal_key(&key)?, None)
        }
        Some(token) => {
            // The seal id labels the key: unique, and found again from the store's row.
            let label = id.clone();
            let key = tokio::task::spawn_blocking(move || token.generate_p256(&label))
                .await
                .map_err(ApiError::internal)??;
            let (cert_id, _) = pki::certify_seal_key(
                &mut tx,
                &vault,
                &ca,
                &caller.organization_id,
                &subject,
                &base,
                eseal_certs::SigningKey::public_key(&key),
            )
            .await?;
            (cert_id, String::new(), Some(key.label().to_string()))
        }
    };
    sqlx::query(
        "INSERT INTO seals (id, organization_id, department_id, name, kind, status, certificate_id, key_pem, image, created_at, updated_at, key_store, key_label) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9, $9, $10, $11)",
    )
    .bind(&id)
    .bind(&caller.organization_id)
    .bind(req.department_id.clone())
    .bind(name)
    .bind(&kind)
    .bind(&cert_id)
    .bind(key_pem)
    .bind(image)
    .bind(now())
    .bind(&key_store)
    .bind(key_label)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "seal.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "name": name, "kind": kind, "certificate_id": cert_id, "ca_id": ca_id, "key_store": key_store }),
        },
    )
    .await?;
    tx.commit().await?;
    let v = find_seal(&state, &caller, &id, "read seal").await?;
    Ok((axum::http::StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/v1/seals/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "seal id")),
    responses((status = 200, body = SealView), (status = 404, body = crate::service::error::Problem)))]
pub async fn get_seal(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SealView>> {
    caller
        .require(
            &state,
            "read seals",
            &[Role::Admin, Role::Sealer, Role::Auditor],
        )
        .await?;
    Ok(Json(find_seal(&state, &caller, &id, "read seal").await?))
}

async fn change_status(
    state: &Shared,
    caller: &Caller,
    id: &str,
    to: &str,
) -> ApiResult<Json<SealView>> {
    caller
        .require(state, &format!("{to} seals"), &[Role::Admin])
        .await?;
    let seal = find_seal(state, caller, id, "change seal").await?;
    if seal.status == "revoked" {
        return Err(ApiError::Conflict(
            "the seal is revoked; nothing changes it any more".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE seals SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if to == "revoked" {
        pki::revoke_certificate(
            &mut tx,
            &state.vault,
            &seal.certificate.id,
            "cessationOfOperation",
        )
        .await?;
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: if to == "revoked" {
                "seal.revoked"
            } else {
                "seal.suspended"
            },
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(id),
            details: json!({ "from": seal.status, "to": to }),
        },
    )
    .await?;
    tx.commit().await?;
    // The decrypted key goes out of memory (zeroized on drop) once no sealing holds it.
    state.forget_seal(id);
    Ok(Json(find_seal(state, caller, id, "read seal").await?))
}

#[utoipa::path(post, path = "/v1/seals/{id}/suspend", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "seal id")),
    responses((status = 200, body = SealView), (status = 404, body = crate::service::error::Problem), (status = 409, body = crate::service::error::Problem)))]
pub async fn suspend_seal(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SealView>> {
    change_status(&state, &caller, &id, "suspended").await
}

#[utoipa::path(post, path = "/v1/seals/{id}/revoke", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "seal id")),
    responses((status = 200, body = SealView), (status = 404, body = crate::service::error::Problem), (status = 409, body = crate::service::error::Problem)))]
pub async fn revoke_seal(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SealView>> {
    change_status(&state, &caller, &id, "revoked").await
}

/// Where to put the seal: page from 1; X, Y, W, H in points from the lower-left corner of the
/// page as shown (all four or none; the lower right corner by default).
#[derive(Deserialize, IntoParams)]
pub struct SignQuery {
    pub page: Option<u32>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub w: Option<f64>,
    pub h: Option<f64>,
    /// /Reason of the signature.
    pub reason: Option<String>,
}

impl SignQuery {
    fn placement(&self) -> ApiResult<Placement> {
        let page = self.page.unwrap_or(1) as usize;
        if page == 0 {
            return Err(ApiError::BadRequest("page counts from 1".into()));
        }
        let rect = match (self.x, self.y, self.w, self.h) {
            (None, None, None, None) => None,
            (Some(x), Some(y), Some(w), Some(h)) => {
                if !(x.is_finite() && y.is_finite() && w.is_finite() && h.is_finite())
                    || w <= 0.0
                    || h <= 0.0
                    || w > 14_400.0
                    || h > 14_400.0
                {
                    return Err(ApiError::BadRequest(
                        "x, y must be numbers; w, h positive (at most 14400)".into(),
                    ));
                }
                Some([x, y, w, h])
            }
            _ => {
                return Err(ApiError::BadRequest(
                    "give all of x, y, w, h or none".into(),
                ))
            }
        };
        Ok(Placement::New { page, rect })
    }
}

/// Checks that the caller may apply the seal now: sealer or admin, own organisation, active.
/// Reads the seal through the short-lived cache; the commit recording the use checks its
/// status again.
pub async fn usable_seal(state: &Shared, caller: &Caller, id: &str) -> ApiResult<SealView> {
    caller
        .require(state, "apply seals", &[Role::Admin, Role::Sealer])
        .await?;
    let seal = match state.seals.get(id) {
        Some(seal) => owned(state, caller, seal, "apply seal").await?,
        None => {
            let seal = find_seal(state, caller, id, "apply seal").await?;
            state.seals.insert(id.to_string(), seal.clone());
            seal
        }
    };
    // (what the log records, what the caller reads)
    let (logged, shown) = if seal.status != "active" {
        (
            format!("seal {id} is {}", seal.status),
            format!(
                "the seal is {}; only active seals can be applied",
                seal.status
            ),
        )
    } else if seal.certificate.status != "valid" {
        let reason = format!(
            "the certificate of seal {id} is {}",
            seal.certificate.status
        );
        let shown = format!("{reason}: it cannot seal any more");
        (reason, shown)
    } else {
        return Ok(seal);
    };
    crate::service::auth::record_denial(state, Some(caller), "apply seal", 409, &logged).await;
    Err(ApiError::Conflict(shown))
}

#[utoipa::path(post, path = "/v1/seals/{id}/sign", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "seal id"), SignQuery),
    request_body(content((super::body::PdfBody = "application/pdf"), (super::body::PdfBody = "application/octet-stream")), description = "the PDF (or multipart/form-data with a field `file`)"),
    responses(
        (status = 200, description = "the sealed PDF; headers X-Eseal-Sealing-Id and X-Eseal-Log-Index", content_type = "application/pdf", body = super::body::PdfBody),
        (status = 400, body = crate::service::error::Problem), (status = 404, body = crate::service::error::Problem),
        (status = 409, body = crate::service::error::Problem), (status = 415, body = crate::service::error::Problem),
        (status = 422, body = crate::service::error::Problem)))]
pub async fn sign(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<SignQuery>,
    req: Request,
) -> ApiResult<Response> {
    let placement = q.placement()?;
    let seal = usable_seal(&state, &caller, &id).await?;
    let upload = pdf_upload(req, &state).await?;
    let material = state.seal_material(&seal.id).await?;
    let reason = q.reason.clone();
    let input = upload.data;
    let input_hash = upload.hasher;
    let sealed = engine::run_sealing(upload.len, &seal.key_store, move || {
        engine::seal_spooled(input, Some(input_hash), &material, &placement, reason)
    })
    .await?;
    let record = sealing_record(
        &caller,
        &seal,
        None,
        &upload.sha256,
        &sealed.sha256,
        sealed.len,
    );
    let sealing_id = record.id.clone();
    // Answered only once the group commit holding this record has committed.
    let index = state.committer.record(record).await?;
    state.metrics.seal_applied();
    tracing::info!(seal = %seal.id, sealing = %sealing_id, log_index = index, in_bytes = upload.len,
        out_bytes = sealed.len, "seal applied");
    pdf_response(
        sealed.data,
        sealed.len,
        &[
            ("x-eseal-sealing-id", sealing_id),
            ("x-eseal-log-index", index.to_string()),
        ],
    )
}

/// The record of a seal use: its `sealings` row and its `seal.applied` audit entry.
pub fn sealing_record(
    caller: &Caller,
    seal: &SealView,
    document: Option<(&str, i64)>,
    in_hash: &str,
    out_hash: &str,
    out_len: u64,
) -> SealingRecord {
    let sealing_id = new_id("sealing");
    SealingRecord {
        entry: OwnedEntry {
            kind: "seal.applied".into(),
            organization_id: Some(caller.organization_id.clone()),
            actor: caller.key_id.clone(),
            subject: Some(seal.id.clone()),
            details: json!({
                "sealing_id": sealing_id, "certificate_serial": seal.certificate.serial,
                "input_sha256": in_hash, "output_sha256": out_hash, "output_length": out_len,
                "document_id": document.map(|d| d.0), "step": document.map(|d| d.1),
            }),
        },
        id: sealing_id,
        seal_id: seal.id.clone(),
        organization_id: caller.organization_id.clone(),
        api_key_id: caller.key_id.clone(),
        document_id: document.map(|d| d.0.to_string()),
        input_sha256: in_hash.to_string(),
        output_sha256: out_hash.to_string(),
        output_len: out_len as i64,
    }
}

/// A recorded seal use.
#[derive(Serialize, ToSchema)]
pub struct SealingView {
    pub id: String,
    pub seal_id: String,
    pub document_id: Option<String>,
    pub input_sha256: String,
    pub output_sha256: String,
    pub output_length: i64,
    /// The audit log entry recording it.
    pub log_index: i64,
    pub created_at: String,
}

#[utoipa::path(get, path = "/v1/sealings/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "sealing id (X-Eseal-Sealing-Id)")),
    responses((status = 200, body = SealingView), (status = 404, body = crate::service::error::Problem)))]
pub async fn get_sealing(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SealingView>> {
    caller
        .require(
            &state,
            "read sealings",
            &[Role::Admin, Role::Sealer, Role::Auditor],
        )
        .await?;
    let row = sqlx::query(
        "SELECT id, seal_id, organization_id, document_id, input_sha256, output_sha256, output_len, log_index, created_at FROM sealings WHERE id = $1",
    )
    .bind(&id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no such sealing '{id}'")))?;
    let org: String = row.try_get("organization_id")?;
    if org != caller.organization_id {
        return Err(caller.hidden(&state, "read sealing", "sealing").await);
    }
    Ok(Json(SealingView {
        id: row.try_get("id")?,
        seal_id: row.try_get("seal_id")?,
        document_id: opt_text(&row, "document_id"),
        input_sha256: row.try_get("input_sha256")?,
        output_sha256: row.try_get("output_sha256")?,
        output_length: row.try_get("output_len")?,
        log_index: row.try_get("log_index")?,
        created_at: rfc3339(row.try_get("created_at")?),
    }))
}
