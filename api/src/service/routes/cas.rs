//! CAs and certificates: create a CA (root, or subordinate of one of the organisation's CAs),
//! issue a seal certificate, revoke, and the public downloads of a CA's certificate and CRL.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::{Caller, Role, READERS};
use crate::service::db::{now, rfc3339};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::pki::{self, SealSubject};
use crate::service::store::cas;
use crate::service::store::certificates::{self, CertificateStatus};
use crate::service::store::orgs::{self, OrgRow};
use crate::service::{trust, Shared};

use super::orgs::{check_name, parse_level};

#[derive(Serialize, ToSchema)]
pub struct CaView {
    pub id: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<String>,
    pub algorithm: String,
    pub subject: String,
    pub created_at: String,
}

async fn ca_views(state: &Shared, org: &str, id: Option<&str>) -> ApiResult<Vec<CaView>> {
    let rows = cas::of_organization(&state.db, org, id).await?;
    rows.into_iter()
        .map(|r| {
            let cert = pki::cert_from_der(&r.certificate)?;
            Ok(CaView {
                id: r.id,
                name: r.name,
                level: r.level,
                parent_id: r.parent_id,
                algorithm: r.algorithm,
                subject: eseal_certs::inspect::subject(&cert),
                created_at: rfc3339(r.created_at),
            })
        })
        .collect()
}

#[utoipa::path(get, path = "/v1/cas", tag = "eseal", security(("bearer" = [])),
    responses((status = 200, body = [CaView]), (status = 401, body = Problem)))]
pub async fn list_cas(State(state): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<CaView>>> {
    caller
        .require(&state, "list CAs", &[Role::Admin, Role::Auditor])
        .await?;
    Ok(Json(ca_views(&state, &caller.organization_id, None).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewCa {
    pub name: String,
    /// province, city, county or department.
    pub level: Option<String>,
    /// One of the organisation's CAs. Without it, a new root: only operators create roots,
    /// and each becomes one of the platform's trust anchors.
    pub parent_id: Option<String>,
    /// For a root: the region it anchors (e.g. `CN-FJ` or `Fujian`), named in reports.
    pub region: Option<String>,
    /// For a root made by an operator: the organisation that runs it (default: the
    /// platform's own).
    pub organization_id: Option<String>,
}

#[utoipa::path(post, path = "/v1/cas", tag = "eseal", security(("bearer" = [])), request_body = NewCa,
    responses((status = 201, body = CaView), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// A subordinate CA under one of the organisation's CAs (organisation admins), or a root CA
/// (operators only), which becomes a trust anchor of the platform.
pub async fn create_ca(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewCa>,
) -> ApiResult<(StatusCode, Json<CaView>)> {
    let name = check_name(&req.name)?;
    let level = parse_level(req.level.as_deref().unwrap_or("city"))?;
    let root = req.parent_id.is_none();
    let (owner, region) = if root {
        caller.require_operator(&state, "create root CAs").await?;
        let region = req.region.as_deref().ok_or_else(|| {
            ApiError::Unprocessable("region: a root CA anchors trust for a region; name it".into())
        })?;
        let owner = req
            .organization_id
            .clone()
            .unwrap_or_else(|| caller.organization_id.clone());
        (
            owner,
            Some(trust::check_text("region", region)?.to_string()),
        )
    } else {
        caller.require_org_admin(&state, "create CAs").await?;
        if req.organization_id.is_some() || req.region.is_some() {
            return Err(ApiError::BadRequest(
                "organization_id and region are for root CAs; a subordinate CA belongs to its \
                 parent's organisation"
                    .into(),
            ));
        }
        (caller.organization_id.clone(), None)
    };
    let mut tx = state.db.begin().await?;
    if orgs::find(&mut *tx, &owner).await?.is_none() {
        return Err(ApiError::Unprocessable(format!(
            "organization_id: no organisation '{owner}'"
        )));
    }
    let parent = match &req.parent_id {
        Some(p) => {
            let ca = pki::load_ca(&mut tx, p)
                .await?
                .filter(|c| c.organization_id == caller.organization_id);
            Some(ca.ok_or_else(|| ApiError::BadRequest(format!("parent_id: no such CA '{p}'")))?)
        }
        None => None,
    };
    let id = pki::create_ca(
        &mut tx,
        &state.vault,
        &owner,
        name,
        level.as_str(),
        parent.as_ref(),
        &state.config.public_base(),
    )
    .await?;
    let anchor = match &region {
        Some(region) => Some(trust::anchor_root(&mut tx, &id, name, region).await?),
        None => None,
    };
    audit::append(
        &mut tx,
        NewEntry {
            kind: "ca.created",
            organization_id: Some(&owner),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "name": name, "level": level, "parent_id": req.parent_id,
                "trust_anchor": anchor, "region": region }),
        },
    )
    .await?;
    tx.commit().await?;
    let v = ca_views(&state, &owner, Some(&id))
        .await?
        .into_iter()
        .next();
    Ok((
        StatusCode::CREATED,
        Json(v.ok_or_else(|| ApiError::internal("CA vanished"))?),
    ))
}

#[utoipa::path(get, path = "/v1/cas/{id}/certificate", tag = "eseal",
    params(("id" = String, Path, description = "CA id")),
    responses((status = 200, description = "the CA certificate, PEM", content_type = "application/x-pem-file", body = String), (status = 404, body = Problem)))]
pub async fn ca_certificate(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut conn = state.db.acquire().await?;
    let ca = pki::load_ca(&mut conn, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such CA '{id}'")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        pki::cert_pem(&ca.certificate)?,
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/cas/{id}/crl", tag = "eseal",
    params(("id" = String, Path, description = "CA id")),
    responses((status = 200, description = "the current CRL, DER", content_type = "application/pkix-crl", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn ca_crl(State(state): State<Shared>, Path(id): Path<String>) -> ApiResult<Response> {
    let crl = cas::crl_state(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such CA '{id}'")))?;
    let der = match (crl.last_crl, crl.issued_at) {
        (Some(d), Some(t)) if now() - t < 86_400 => d,
        _ => {
            let mut tx = state.db.begin().await?;
            let d = pki::issue_crl(&mut tx, &state.vault, &id).await?;
            tx.commit().await?;
            d
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct NewCertificate {
    /// The certificate's common name.
    pub common_name: String,
    /// The organisation, when given, must be the caller's own, as recorded.
    pub organization: Option<String>,
    pub unit: Option<String>,
    /// The unified social credit code, when given, must be the caller's own, as recorded.
    pub uscc: Option<String>,
}

impl NewCertificate {
    /// The holder's code for the subject. A certificate names its holder as the platform
    /// knows it: a name or code other than the recorded ones is refused, so nobody obtains one
    /// in another organisation's name.
    fn recorded_identity<'a>(&self, holder: &'a OrgRow) -> ApiResult<Option<&'a str>> {
        if self
            .organization
            .as_deref()
            .is_some_and(|o| o.trim() != holder.name)
        {
            return Err(ApiError::Unprocessable(format!(
                "organization: certificates name the caller's own organisation, '{}'",
                holder.name
            )));
        }
        match (self.uscc.as_deref(), holder.uscc.as_deref()) {
            (None, recorded) => Ok(recorded),
            (Some(asked), Some(recorded)) if asked.trim().eq_ignore_ascii_case(recorded) => {
                Ok(Some(recorded))
            }
            (Some(_), _) => Err(ApiError::Unprocessable(
                "uscc: certificates carry only the caller's own recorded unified social credit \
                 code"
                    .into(),
            )),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct IssuedCertificate {
    pub id: String,
    pub subject: String,
    pub serial: String,
    #[schema(value_type = String)]
    pub status: CertificateStatus,
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The new private key, encrypted PKCS#8 PEM under `key_passphrase`; shown once.
    pub key_pem: String,
    pub key_passphrase: String,
}

#[utoipa::path(post, path = "/v1/cas/{id}/certificates", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "CA id")), request_body = NewCertificate,
    responses((status = 201, body = IssuedCertificate), (status = 400, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn issue_certificate(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<NewCertificate>,
) -> ApiResult<(StatusCode, Json<IssuedCertificate>)> {
    caller
        .require_org_admin(&state, "issue certificates")
        .await?;
    if req.common_name.trim().is_empty() || req.common_name.len() > 200 {
        return Err(ApiError::BadRequest(
            "common_name: 1 to 200 characters".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let ca = pki::load_ca(&mut tx, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such CA '{id}'")))?;
    if ca.organization_id != caller.organization_id {
        tx.rollback().await?;
        return Err(caller.hidden(&state, "issue certificate", "CA").await);
    }
    let holder = orgs::get(&mut *tx, &caller.organization_id).await?;
    let uscc = req.recorded_identity(&holder)?;
    let org = holder.name.clone();
    let (key, cert_id, cert) = pki::issue_seal_certificate(
        &mut tx,
        &state.vault,
        &ca,
        &caller.organization_id,
        &SealSubject {
            seal_name: req.common_name.trim(),
            organization: &org,
            unit: req.unit.as_deref(),
            uscc,
        },
        &state.config.public_base(),
    )
    .await?;
    let passphrase = crate::service::auth::new_key()?;
    let key_pem = key.to_encrypted_pkcs8_pem(&passphrase)?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "certificate.issued",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&cert_id),
            details: json!({ "ca_id": id, "serial": eseal_certs::inspect::serial_hex(&cert), "subject": eseal_certs::inspect::subject(&cert) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedCertificate {
            id: cert_id,
            subject: eseal_certs::inspect::subject(&cert),
            serial: eseal_certs::inspect::serial_hex(&cert),
            status: CertificateStatus::Valid,
            certificate_pem: pki::cert_pem(&cert)?,
            key_pem,
            key_passphrase: passphrase,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CertificateView {
    pub id: String,
    pub ca_id: String,
    pub subject: String,
    pub serial: String,
    pub kind: String,
    /// valid or revoked.
    #[schema(value_type = String)]
    pub status: CertificateStatus,
    pub revocation_reason: Option<String>,
    pub not_after: String,
    pub certificate_pem: String,
}

async fn find_certificate(state: &Shared, caller: &Caller, id: &str) -> ApiResult<CertificateView> {
    let r = certificates::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such certificate '{id}'")))?;
    if r.organization_id != caller.organization_id {
        return Err(caller
            .hidden(state, "read certificate", "certificate")
            .await);
    }
    let cert = pki::cert_from_der(&r.der)?;
    Ok(CertificateView {
        id: r.id,
        ca_id: r.ca_id,
        subject: r.subject,
        serial: r.serial_hex,
        kind: r.kind,
        status: r.status,
        revocation_reason: r.revocation_reason,
        not_after: rfc3339(r.not_after),
        certificate_pem: pki::cert_pem(&cert)?,
    })
}

#[utoipa::path(get, path = "/v1/certificates/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "certificate id")),
    responses((status = 200, body = CertificateView), (status = 404, body = Problem)))]
pub async fn get_certificate(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CertificateView>> {
    caller.require(&state, "read certificates", READERS).await?;
    Ok(Json(find_certificate(&state, &caller, &id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Revoke {
    /// RFC 5280 reason: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation...
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/v1/certificates/{id}/revoke", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "certificate id")), request_body = Revoke,
    responses((status = 200, body = CertificateView), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn revoke_certificate(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<Revoke>,
) -> ApiResult<Json<CertificateView>> {
    caller
        .require_org_admin(&state, "revoke certificates")
        .await?;
    let c = find_certificate(&state, &caller, &id).await?;
    if c.status == CertificateStatus::Revoked {
        return Err(ApiError::Conflict(
            "the certificate is already revoked".into(),
        ));
    }
    let reason = req.reason.unwrap_or_else(|| "unspecified".into());
    eseal_certs::crl::parse_reason(&reason)
        .map_err(|e| ApiError::BadRequest(format!("reason: {e}")))?;
    let mut tx = state.db.begin().await?;
    pki::revoke_certificate(&mut tx, &state.vault, &id, &reason).await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "certificate.revoked",
            organization_id: Some(&caller.organization_id),
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "serial": c.serial, "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(find_certificate(&state, &caller, &id).await?))
}
