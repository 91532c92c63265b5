//! Seals: list, create (with a picture), show, suspend, revoke, and sealing a PDF.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use axum::Json;
use base64::Engine;
use eseal_certs::Pkcs11Token;
use eseal_signer::ses::SealType;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::{IntoParams, ToSchema};

use super::body::{pdf_response, pdf_upload};
use super::orgs::check_name;
use crate::service::audit::{self, NewEntry, OwnedEntry};
use crate::service::auth::{Caller, Role, READERS};
use crate::service::commit::SealingRecord;
use crate::service::db::{new_id, now, rfc3339};
use crate::service::engine::{self, Placement};
use crate::service::error::{ApiError, ApiResult};
use crate::service::pki::{self, CaRecord, SealSubject};
use crate::service::store::certificates::CertificateStatus;
use crate::service::store::seals::{self, KeyStore, SealRow, SealStatus};
use crate::service::store::{orgs, settings};
use crate::service::Shared;

/// A seal as the API shows it.
#[derive(Clone, Serialize, ToSchema)]
pub struct SealView {
    pub id: String,
    pub name: String,
    /// official, contract, finance, invoice, legal_representative, department...
    #[serde(serialize_with = "seals::kind::serialize")]
    #[schema(value_type = String)]
    pub kind: SealType,
    /// active, suspended or revoked.
    #[schema(value_type = String)]
    pub status: SealStatus,
    pub organization_id: String,
    pub department_id: Option<String>,
    /// software or pkcs11.
    #[schema(value_type = String)]
    pub key_store: KeyStore,
    pub certificate: CertificateSummary,
    pub created_at: String,
}

#[derive(Clone, Serialize, ToSchema)]
pub struct CertificateSummary {
    pub id: String,
    pub subject: String,
    pub serial: String,
    #[schema(value_type = String)]
    pub status: CertificateStatus,
    pub not_after: String,
}

impl From<SealRow> for SealView {
    fn from(r: SealRow) -> SealView {
        SealView {
            id: r.id,
            name: r.name,
            kind: r.kind,
            status: r.status,
            organization_id: r.organization_id,
            department_id: r.department_id,
            key_store: r.key_store,
            certificate: CertificateSummary {
                id: r.certificate.id,
                subject: r.certificate.subject,
                serial: r.certificate.serial_hex,
                status: r.certificate.status,
                not_after: rfc3339(r.certificate.not_after),
            },
            created_at: rfc3339(r.created_at),
        }
    }
}

/// The seal, if it exists and belongs to the caller's organisation (and department, for a
/// department key with a department seal); other organisations' seals are a logged 404.
pub async fn find_seal(
    state: &Shared,
    caller: &Caller,
    id: &str,
    action: &str,
) -> ApiResult<SealView> {
    let Some(row) = seals::find(&state.db, id).await? else {
        return Err(ApiError::NotFound(format!("no such seal '{id}'")));
    };
    owned(state, caller, row.into(), action).await
}

/// Whether a department key sees a seal: not another department's.
fn in_callers_department(caller: &Caller, seal: &SealView) -> bool {
    !matches!((&caller.department_id, &seal.department_id), (Some(a), Some(b)) if a != b)
}

/// `seal` if the caller's organisation (and department) holds it, else the logged 404.
async fn owned(
    state: &Shared,
    caller: &Caller,
    seal: SealView,
    action: &str,
) -> ApiResult<SealView> {
    if seal.organization_id != caller.organization_id || !in_callers_department(caller, &seal) {
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
    caller.require(&state, "list seals", READERS).await?;
    let rows = seals::of_organization(&state.db, &caller.organization_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(SealView::from)
            .filter(|v| in_callers_department(&caller, v))
            .collect(),
    ))
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

/// A seal request with its values checked.
struct SealPlan<'a> {
    name: &'a str,
    kind: SealType,
    image: Option<Vec<u8>>,
    key_store: KeyStore,
    token: Option<Arc<Pkcs11Token>>,
}

impl NewSeal {
    /// Checks the request's own values (nothing in the store yet).
    fn plan(&self, state: &Shared) -> ApiResult<SealPlan<'_>> {
        let name = check_name(&self.name)?;
        let kind = match self.kind.as_deref() {
            None => SealType::LegalName,
            Some(k) => seals::kind::parse(k)
                .ok_or_else(|| ApiError::BadRequest(format!("kind '{k}' is not a seal kind")))?,
        };
        let image = self.image_base64.as_deref().map(seal_picture).transpose()?;
        let key_store = match self.key_store.as_deref() {
            None => KeyStore::Software,
            Some(k) => k.parse().map_err(|_| {
                ApiError::BadRequest(format!("key_store '{k}': software or pkcs11"))
            })?,
        };
        let token = match key_store {
            KeyStore::Software => None,
            KeyStore::Pkcs11 => Some(state.token.clone().ok_or_else(|| {
                ApiError::Conflict("no PKCS#11 token is configured on this service".into())
            })?),
        };
        Ok(SealPlan {
            name,
            kind,
            image,
            key_store,
            token,
        })
    }
}

/// A seal picture from base64: a decodable PNG or JPEG.
fn seal_picture(b64: &str) -> ApiResult<Vec<u8>> {
    let img = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
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
    Ok(img)
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
    caller
        .require_scope(&state, "create seals", req.department_id.as_deref())
        .await?;
    let plan = req.plan(&state)?;
    let id = new_id("seal");
    let mut tx = state.db.begin().await?;
    let (org_name, uscc, unit) =
        seal_holder(&mut tx, &caller, req.department_id.as_deref()).await?;
    let ca = issuing_ca(&mut tx, &caller, req.ca_id.as_deref()).await?;
    let subject = SealSubject {
        seal_name: plan.name,
        organization: &org_name,
        unit: unit.as_deref(),
        uscc: uscc.as_deref(),
    };
    let key = seal_key(&mut tx, &state, &caller, &ca, &subject, &plan, &id).await?;
    seals::insert(
        &mut *tx,
        seals::NewSeal {
            id: &id,
            organization_id: &caller.organization_id,
            department_id: req.department_id.as_deref(),
            name: plan.name,
            kind: plan.kind,
            certificate_id: &key.certificate_id,
            key_pem: key.key_pem,
            image: plan.image,
            key_store: plan.key_store,
            key_label: key.key_label,
            created_at: now(),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "seal.created",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "name": plan.name, "kind": seals::kind::as_str(plan.kind),
                "certificate_id": key.certificate_id, "ca_id": ca.id, "key_store": plan.key_store }),
        },
    )
    .await?;
    tx.commit().await?;
    let v = find_seal(&state, &caller, &id, "read seal").await?;
    Ok((axum::http::StatusCode::CREATED, Json(v)))
}

/// Who a new seal's certificate names: the caller's organisation, its USCC and the named
/// department (which must be one of the organisation's).
async fn seal_holder(
    conn: &mut AnyConnection,
    caller: &Caller,
    department: Option<&str>,
) -> ApiResult<(String, Option<String>, Option<String>)> {
    let org = orgs::get(&mut *conn, &caller.organization_id).await?;
    let unit = match department {
        None => None,
        Some(d) => Some(
            orgs::department_name(&mut *conn, d, &caller.organization_id)
                .await?
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("department_id: no such department '{d}'"))
                })?,
        ),
    };
    Ok((org.name, org.uscc, unit))
}

/// The CA named in the request (one of the caller's organisation's), or the default CA.
async fn issuing_ca(
    conn: &mut AnyConnection,
    caller: &Caller,
    ca_id: Option<&str>,
) -> ApiResult<CaRecord> {
    match ca_id {
        Some(id) => pki::load_ca(&mut *conn, id)
            .await?
            .filter(|c| c.organization_id == caller.organization_id)
            .ok_or_else(|| ApiError::BadRequest(format!("ca_id: no such CA '{id}'"))),
        None => {
            let id = settings::require(&mut *conn, settings::DEFAULT_CA).await?;
            pki::load_ca(conn, &id)
                .await?
                .ok_or_else(|| ApiError::internal("CA vanished"))
        }
    }
}

/// A new seal's key and certificate.
struct SealKey {
    certificate_id: String,
    /// The vault-encrypted key; empty for a token key.
    key_pem: String,
    /// The token's label for a token key.
    key_label: Option<String>,
}

/// Makes the key (in software, or in the token labelled with the seal's id) and certifies it.
async fn seal_key(
    conn: &mut AnyConnection,
    state: &Shared,
    caller: &Caller,
    ca: &CaRecord,
    subject: &SealSubject<'_>,
    plan: &SealPlan<'_>,
    seal_id: &str,
) -> ApiResult<SealKey> {
    let (vault, base) = (&state.vault, state.config.public_base());
    let org = &caller.organization_id;
    match &plan.token {
        None => {
            let (key, certificate_id, _) =
                pki::issue_seal_certificate(conn, vault, ca, org, subject, &base).await?;
            Ok(SealKey {
                certificate_id,
                key_pem: vault.seal_key(&key)?,
                key_label: None,
            })
        }
        Some(token) => {
            // The seal id labels the key: unique, and found again from the store's row.
            let (token, label) = (token.clone(), seal_id.to_string());
            let key = tokio::task::spawn_blocking(move || token.generate_p256(&label))
                .await
                .map_err(ApiError::internal)??;
            let public = eseal_certs::SigningKey::public_key(&key);
            let (certificate_id, _) =
                pki::certify_seal_key(conn, vault, ca, org, subject, &base, public).await?;
            Ok(SealKey {
                certificate_id,
                key_pem: String::new(),
                key_label: Some(key.label().to_string()),
            })
        }
    }
}

#[utoipa::path(get, path = "/v1/seals/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "seal id")),
    responses((status = 200, body = SealView), (status = 404, body = crate::service::error::Problem)))]
pub async fn get_seal(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SealView>> {
    caller.require(&state, "read seals", READERS).await?;
    Ok(Json(find_seal(&state, &caller, &id, "read seal").await?))
}

async fn change_status(
    state: &Shared,
    caller: &Caller,
    id: &str,
    to: SealStatus,
) -> ApiResult<Json<SealView>> {
    caller
        .require(state, &format!("{to} seals"), &[Role::Admin])
        .await?;
    let seal = find_seal(state, caller, id, "change seal").await?;
    caller
        .require_scope(state, "change seals", seal.department_id.as_deref())
        .await?;
    if seal.status == SealStatus::Revoked {
        return Err(ApiError::Conflict(
            "the seal is revoked; nothing changes it any more".into(),
        ));
    }
    if seal.status == to {
        return Err(ApiError::Conflict(format!("the seal is {to} already")));
    }
    let mut tx = state.db.begin().await?;
    seals::set_status(&mut *tx, id, to, now()).await?;
    if to == SealStatus::Revoked {
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
            kind: match to {
                SealStatus::Revoked => "seal.revoked",
                SealStatus::Suspended => "seal.suspended",
                SealStatus::Active => "seal.activated",
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
    change_status(&state, &caller, &id, SealStatus::Suspended).await
}

/// A suspended seal comes back into use; only its own scope's admin may do it.
#[utoipa::path(post, path = "/v1/seals/{id}/activate", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "seal id")),
    responses((status = 200, body = SealView), (status = 404, body = crate::service::error::Problem), (status = 409, body = crate::service::error::Problem)))]
pub async fn activate_seal(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SealView>> {
    change_status(&state, &caller, &id, SealStatus::Active).await
}

#[utoipa::path(post, path = "/v1/seals/{id}/revoke", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "seal id")),
    responses((status = 200, body = SealView), (status = 404, body = crate::service::error::Problem), (status = 409, body = crate::service::error::Problem)))]
pub async fn revoke_seal(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SealView>> {
    change_status(&state, &caller, &id, SealStatus::Revoked).await
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
    let (logged, shown) = if seal.status != SealStatus::Active {
        (
            format!("seal {id} is {}", seal.status),
            format!(
                "the seal is {}; only active seals can be applied",
                seal.status
            ),
        )
    } else if seal.certificate.status != CertificateStatus::Valid {
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
    let sealed = engine::run_sealing(upload.len, seal.key_store, move || {
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
    caller.require(&state, "read sealings", READERS).await?;
    let row = seals::find_sealing(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such sealing '{id}'")))?;
    let other_department =
        caller.department_id.is_some() && row.department_id != caller.department_id;
    if row.organization_id != caller.organization_id || other_department {
        return Err(caller.hidden(&state, "read sealing", "sealing").await);
    }
    Ok(Json(SealingView {
        id: row.id,
        seal_id: row.seal_id,
        document_id: row.document_id,
        input_sha256: row.input_sha256,
        output_sha256: row.output_sha256,
        output_length: row.output_len,
        log_index: row.log_index,
        created_at: rfc3339(row.created_at),
    }))
}
