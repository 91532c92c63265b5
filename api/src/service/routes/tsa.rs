//! `POST /tsa`: the RFC 3161 time-stamping service over HTTP (§3.4), open to everyone like
//! the CRLs: a timestamp says only that some hash existed at a time. Rate-limited per client
//! ([`crate::service::rate_limit`]); tokens are counted, not logged one by one
//! ([`crate::service::tsa`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use eseal_signer::tsp::{QUERY_CONTENT_TYPE, REPLY_CONTENT_TYPE};

use crate::service::error::{ApiError, ApiResult};
use crate::service::{tsa, Shared};

/// Longest request accepted: a TimeStampReq with a SHA-512 imprint is under 200 bytes.
const MAX_REQUEST: usize = 4096;

#[utoipa::path(post, path = "/tsa", tag = "eseal",
    request_body(content = Vec<u8>, description = "DER TimeStampReq (RFC 3161 §2.4.1)", content_type = "application/timestamp-query"),
    responses(
        (status = 200, description = "DER TimeStampResp (RFC 3161 §2.4.2): a token signed by the service's TSA (P-256, critical EKU timeStamping, nonce echoed, accuracy 1 s), or a rejection with the failure reason", content_type = "application/timestamp-reply", body = Vec<u8>),
        (status = 413, body = crate::service::error::Problem),
        (status = 415, body = crate::service::error::Problem),
        (status = 429, description = "too many requests from the client's address (Retry-After)", body = crate::service::error::Problem)))]
pub async fn timestamp(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(QUERY_CONTENT_TYPE))
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send a DER TimeStampReq as {QUERY_CONTENT_TYPE}"
        )));
    }
    if body.len() > MAX_REQUEST {
        return Err(ApiError::TooLarge(format!(
            "a timestamp request has at most {MAX_REQUEST} bytes"
        )));
    }
    let (der, issued) = tsa::respond(&state.db, &state.tsa, &body).await?;
    if issued {
        state.metrics.tsa_token();
    }
    Ok(([(header::CONTENT_TYPE, REPLY_CONTENT_TYPE)], der).into_response())
}
