//! The OCSP responder of each CA (RFC 6960): POST with the DER request as the body, or GET
//! with the base64 request in the path (appendix A.1). Answers come from the certificates
//! table and are signed by the CA itself; nonces are echoed.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use eseal_certs::ocsp::{self, Answer, CertId, OcspRequest, Responder, ResponseStatus, Status};
use eseal_certs::SoftwareKey;

use crate::service::error::{ApiError, ApiResult};
use crate::service::pki;
use crate::service::store::certificates::{self, CertificateStatus};
use crate::service::Shared;

/// Requests asking about more certificates than this are refused (malformedRequest).
const MAX_CERTS_PER_REQUEST: usize = 16;
/// How long an answer may be relied on (nextUpdate − thisUpdate).
const VALIDITY: Duration = Duration::from_secs(3600);

#[utoipa::path(post, path = "/v1/cas/{id}/ocsp", tag = "eseal",
    params(("id" = String, Path, description = "CA id")),
    request_body(content = Vec<u8>, description = "DER OCSPRequest", content_type = "application/ocsp-request"),
    responses((status = 200, description = "DER OCSPResponse (also for malformed requests, as RFC 6960 wants)", content_type = "application/ocsp-response", body = Vec<u8>), (status = 404, body = crate::service::error::Problem)))]
pub async fn ocsp_post(
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    answer(&state, &id, &body).await
}

#[utoipa::path(get, path = "/v1/cas/{id}/ocsp/{request}", tag = "eseal",
    params(("id" = String, Path, description = "CA id"),
           ("request" = String, Path, description = "base64 (then URL-encoded) DER OCSPRequest")),
    responses((status = 200, description = "DER OCSPResponse", content_type = "application/ocsp-response", body = Vec<u8>), (status = 404, body = crate::service::error::Problem)))]
pub async fn ocsp_get(
    State(state): State<Shared>,
    Path((id, request)): Path<(String, String)>,
) -> ApiResult<Response> {
    // Some clients leave '+' unescaped; in a path it is still a base64 '+', never a space.
    let b64: String = request.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.trim_start_matches('/'))
        .unwrap_or_default();
    answer(&state, &id, &der).await
}

fn ocsp_response(der: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/ocsp-response"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        der,
    )
        .into_response()
}

async fn answer(state: &Shared, ca_id: &str, request_der: &[u8]) -> ApiResult<Response> {
    let mut conn = state.db.acquire().await?;
    let ca = pki::load_ca(&mut conn, ca_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such CA '{ca_id}'")))?;
    let request = match OcspRequest::from_der(request_der) {
        Ok(r)
            if !r.tbs_request.request_list.is_empty()
                && r.tbs_request.request_list.len() <= MAX_CERTS_PER_REQUEST =>
        {
            r
        }
        _ => {
            return Ok(ocsp_response(ocsp::error_response(
                ResponseStatus::MalformedRequest,
            )))
        }
    };
    let now = SystemTime::now();
    let mut answers = Vec::new();
    for id in request.cert_ids() {
        let status = if id.is_issued_by(&ca.certificate) {
            lookup(&mut conn, ca_id, id).await?
        } else {
            // Not one of this CA's: we cannot say (RFC 6960 §2.2).
            Status::Unknown
        };
        answers.push(Answer {
            cert_id: id.clone(),
            status,
            this_update: now,
            next_update: Some(now + VALIDITY),
        });
    }
    let key = ca_key(state, &ca)?;
    let nonce = request.nonce();
    let der = ocsp::sign_response(
        &Responder {
            certificate: &ca.certificate,
            key: key.as_ref(),
        },
        &answers,
        nonce.as_deref(),
        now,
    )
    .map_err(ApiError::internal)?;
    Ok(ocsp_response(der))
}

/// The CA's key, decrypted once per process (a CA's key never changes).
fn ca_key(state: &Shared, ca: &pki::CaRecord) -> ApiResult<Arc<SoftwareKey>> {
    if let Some(k) = state
        .ca_key_cache
        .lock()
        .ok()
        .and_then(|c| c.get(&ca.id).cloned())
    {
        return Ok(k);
    }
    let key = Arc::new(state.vault.open_key(&ca.key_pem)?);
    if let Ok(mut c) = state.ca_key_cache.lock() {
        c.insert(ca.id.clone(), key.clone());
    }
    Ok(key)
}

/// The status of one serial number in the certificates table.
async fn lookup(conn: &mut sqlx::AnyConnection, ca_id: &str, id: &CertId) -> ApiResult<Status> {
    let Some(row) = certificates::revocation(&mut *conn, ca_id, &id.serial_hex()).await? else {
        return Ok(Status::Unknown);
    };
    if row.status != CertificateStatus::Revoked {
        return Ok(Status::Good);
    }
    let at: i64 = row.revoked_at.unwrap_or(0);
    let reason = row
        .reason
        .and_then(|r| eseal_certs::crl::parse_reason(&r).ok());
    Ok(Status::Revoked {
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(at.max(0) as u64),
        reason,
    })
}
