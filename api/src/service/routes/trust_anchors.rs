//! Trust anchors (跨区域互认): anyone with a key reads what the platform trusts; operators add
//! another region's root from PEM, and withdraw anchors. Root CAs an operator creates are
//! anchored as they are made (`POST /v1/cas`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use eseal_certs::inspect;
use eseal_certs::trust_list::TrustList;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::service::audit::{self, NewEntry};
use crate::service::auth::Caller;
use crate::service::db::{now, rfc3339};
use crate::service::error::{ApiError, ApiResult, Problem};
use crate::service::pki::cert_from_der;
use crate::service::store::trust_anchors::{self, AnchorRow, AnchorSource};
use crate::service::{trust, Shared};

/// One anchor of the platform's trust.
#[derive(Serialize, ToSchema)]
pub struct TrustAnchorView {
    pub id: String,
    /// What reports call it (a CA's name, an imported root's label).
    pub label: String,
    /// The region it anchors.
    pub region: String,
    /// `platform` (a root CA of this service), `pem` or `trusted-list`.
    #[schema(value_type = String)]
    pub source: AnchorSource,
    pub subject: String,
    /// SHA-256 of the certificate (DER), hex.
    pub sha256: String,
    pub not_after: String,
    /// The platform CA it is the certificate of.
    pub ca_id: Option<String>,
    pub created_at: String,
    /// When it was withdrawn (only in the answer to a withdrawal).
    pub removed_at: Option<String>,
}

impl TryFrom<AnchorRow> for TrustAnchorView {
    type Error = ApiError;

    fn try_from(r: AnchorRow) -> ApiResult<TrustAnchorView> {
        let cert = cert_from_der(&r.certificate)?;
        let not_after = inspect::not_after(&cert)
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Ok(TrustAnchorView {
            id: r.id,
            label: r.label,
            region: r.region,
            source: r.source,
            subject: inspect::subject(&cert),
            sha256: r.sha256,
            not_after: rfc3339(not_after),
            ca_id: r.ca_id,
            created_at: rfc3339(r.created_at),
            removed_at: r.removed_at.map(rfc3339),
        })
    }
}

#[utoipa::path(get, path = "/v1/trust-anchors", tag = "eseal", security(("bearer" = [])),
    responses((status = 200, body = [TrustAnchorView]), (status = 401, body = Problem)))]
/// The anchors in force: what `/v1/verify` and the public pages trust.
pub async fn list(
    State(state): State<Shared>,
    _caller: Caller,
) -> ApiResult<Json<Vec<TrustAnchorView>>> {
    let rows = trust_anchors::active(&state.db).await?;
    Ok(Json(
        rows.into_iter()
            .map(TrustAnchorView::try_from)
            .collect::<ApiResult<_>>()?,
    ))
}

/// Another region's root, imported by an operator.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrustAnchor {
    /// The root CA certificate, PEM.
    pub certificate: String,
    /// What reports call it, e.g. `Zhejiang Province Root CA`.
    pub label: String,
    /// The region it anchors, e.g. `CN-ZJ` or `Zhejiang`.
    pub region: String,
}

#[utoipa::path(post, path = "/v1/trust-anchors", tag = "eseal", security(("bearer" = [])),
    request_body = NewTrustAnchor,
    responses((status = 201, body = TrustAnchorView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// Adds a root (operators only): a CA certificate not anchored already.
pub async fn add(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<NewTrustAnchor>,
) -> ApiResult<(StatusCode, Json<TrustAnchorView>)> {
    caller.require_operator(&state, "add trust anchors").await?;
    let label = trust::check_text("label", &req.label)?;
    let region = trust::check_text("region", &req.region)?;
    let certs = inspect::certificates_from_bytes(req.certificate.as_bytes())
        .map_err(|e| ApiError::Unprocessable(format!("certificate: {e}")))?;
    let [certificate] = certs.as_slice() else {
        return Err(ApiError::Unprocessable(format!(
            "certificate: give exactly one certificate ({} found)",
            certs.len()
        )));
    };
    trust::check_anchor_certificate(certificate)?;
    let mut tx = state.db.begin().await?;
    let id = trust::add(
        &mut tx,
        trust::Anchor {
            certificate,
            label,
            region,
            source: AnchorSource::Pem,
            ca_id: None,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "trust_anchor.added",
            organization_id: None,
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "label": label, "region": region, "source": "pem",
                "subject": inspect::subject(certificate),
                "sha256": inspect::fingerprint_sha256(certificate)? }),
        },
    )
    .await?;
    let row = trust_anchors::find(&mut *tx, &id)
        .await?
        .ok_or_else(|| ApiError::internal("the new anchor vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.try_into()?)))
}

#[utoipa::path(delete, path = "/v1/trust-anchors/{id}", tag = "eseal", security(("bearer" = [])),
    params(("id" = String, Path, description = "anchor id")),
    responses((status = 200, body = TrustAnchorView), (status = 403, body = Problem), (status = 404, body = Problem)))]
/// Withdraws an anchor (operators only): seals that chain only to it no longer pass.
pub async fn remove(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TrustAnchorView>> {
    caller
        .require_operator(&state, "withdraw trust anchors")
        .await?;
    let mut tx = state.db.begin().await?;
    if !trust_anchors::remove(&mut *tx, &id, now()).await? {
        return Err(ApiError::NotFound(format!(
            "no trust anchor '{id}' in force"
        )));
    }
    let row = trust_anchors::find(&mut *tx, &id)
        .await?
        .ok_or_else(|| ApiError::internal("the anchor vanished"))?;
    audit::append(
        &mut tx,
        NewEntry {
            kind: "trust_anchor.removed",
            organization_id: None,
            actor: &caller.key_id,
            subject: Some(&id),
            details: json!({ "label": row.label, "region": row.region, "sha256": row.sha256 }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row.try_into()?))
}

/// Another region's trusted list, with the certificate pinned to check its signature.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustedListImport {
    /// The ETSI TS 119 612 trusted list, XML text.
    pub list: String,
    /// The certificate (PEM) the list must be signed with, obtained out of band from the
    /// region's scheme operator.
    pub signer: String,
}

/// A listed service that did not become an anchor, and why.
#[derive(Serialize, ToSchema)]
pub struct SkippedService {
    pub label: String,
    pub reason: String,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct TrustedListImported {
    /// The list's territory: the region of its anchors.
    pub territory: String,
    pub scheme_operator: String,
    pub sequence_number: u64,
    /// The anchors added.
    pub imported: Vec<TrustAnchorView>,
    /// Listed CA certificates already in force (their ids), left as they were.
    pub already_anchored: Vec<String>,
    /// Listed services that are not anchors (not a CA, withdrawn, ...).
    pub skipped: Vec<SkippedService>,
}

#[utoipa::path(post, path = "/v1/trust-anchors/trusted-list", tag = "eseal", security(("bearer" = [])),
    request_body = TrustedListImport,
    responses((status = 201, body = TrustedListImported), (status = 403, body = Problem), (status = 422, body = Problem)))]
/// Imports the CA anchors of another region's ETSI TS 119 612 trusted list (operators only),
/// after its signature verifies with the pinned signer and it is current. Region: the list's
/// territory; label: the provider's and service's names.
pub async fn import_trusted_list(
    State(state): State<Shared>,
    caller: Caller,
    Json(req): Json<TrustedListImport>,
) -> ApiResult<(StatusCode, Json<TrustedListImported>)> {
    caller
        .require_operator(&state, "import trusted lists")
        .await?;
    let signers = inspect::certificates_from_bytes(req.signer.as_bytes())
        .map_err(|e| ApiError::Unprocessable(format!("signer: {e}")))?;
    let [signer] = signers.as_slice() else {
        return Err(ApiError::Unprocessable(format!(
            "signer: give exactly one certificate ({} found)",
            signers.len()
        )));
    };
    let list = TrustList::from_xml(req.list.as_bytes(), signer)
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let region = trust::check_text("territory", &list.territory)?;
    let mut tx = state.db.begin().await?;
    let (mut added, mut already) = (Vec::new(), Vec::new());
    for anchor in &list.anchors {
        let sha256 = inspect::fingerprint_sha256(&anchor.certificate)?;
        if let Some(p) = trust_anchors::in_force_with(&mut *tx, &sha256).await? {
            already.push(p.id);
            continue;
        }
        let label = trust::check_text("label", &anchor.label)?;
        let id = trust::add(
            &mut tx,
            trust::Anchor {
                certificate: &anchor.certificate,
                label,
                region,
                source: AnchorSource::TrustedList,
                ca_id: None,
            },
        )
        .await?;
        added.push(id);
    }
    audit::append(
        &mut tx,
        NewEntry {
            kind: "trust_anchor.list_imported",
            organization_id: None,
            actor: &caller.key_id,
            subject: None,
            details: json!({ "territory": region, "scheme_operator": list.operator,
                "sequence_number": list.sequence_number, "added": added,
                "already_anchored": already, "skipped": list.skipped.len(),
                "signer": inspect::subject(signer) }),
        },
    )
    .await?;
    let mut imported = Vec::new();
    for id in &added {
        let row = trust_anchors::find(&mut *tx, id)
            .await?
            .ok_or_else(|| ApiError::internal("a new anchor vanished"))?;
        imported.push(TrustAnchorView::try_from(row)?);
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(TrustedListImported {
            territory: region.to_string(),
            scheme_operator: list.operator.clone(),
            sequence_number: list.sequence_number,
            imported,
            already_anchored: already,
            skipped: list
                .skipped
                .iter()
                .map(|s| SkippedService {
                    label: s.label.clone(),
                    reason: s.reason.clone(),
                })
                .collect(),
        }),
    ))
}
