//! `POST /v1/verify`: the verifier's report (schema `eseal-verify/1`) for an uploaded PDF,
//! against the store's root CAs and current CRLs; HTML with `Accept: text/html`. A licence
//! issued here gets a `licence` object (identifier, version, status, message in plain
//! words, from [`LicenceStatusCheck`]); when that version is no longer current the verdict's
//! summary says so first. Annotated copies are checked for expiry ([`AnnotatedCopyCheck`]).

use std::io::Cursor;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use eseal_pdf::licence::AnnotatedCopyCheck;
use eseal_pdf::verify::{self as pdfverify, ReportExtension, VerifyOptions};

use super::body::{pdf_upload, Spooled};
use crate::service::auth::{Caller, Role};
use crate::service::error::{ApiError, ApiResult};
use crate::service::licence::{self, status_check::LicenceStatusCheck};
use crate::service::{parse_pool, pki, Shared};

#[utoipa::path(post, path = "/v1/verify", tag = "eseal", security(("bearer" = [])),
    request_body(content((super::body::PdfBody = "application/pdf"), (super::body::PdfBody = "application/octet-stream")), description = "the PDF (or multipart/form-data with a field `file`)"),
    responses(
        (status = 200, description = "the verification report (JSON schema eseal-verify/1, or HTML with Accept: text/html)", content_type = "application/json", body = Object),
        (status = 400, body = crate::service::error::Problem), (status = 415, body = crate::service::error::Problem),
        (status = 422, description = "not a readable PDF, or over the reader's budget or the parse time limit", body = crate::service::error::Problem),
        (status = 503, description = "the parse pool is full (Retry-After)", body = crate::service::error::Problem)))]
pub async fn verify(
    State(state): State<Shared>,
    caller: Caller,
    req: Request,
) -> ApiResult<Response> {
    caller
        .require(
            &state,
            "verify",
            &[Role::Admin, Role::Sealer, Role::Verifier, Role::Auditor],
        )
        .await?;
    let html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let upload = pdf_upload(req, &state).await?;
    let (anchors, crls) = {
        let mut conn = state.db.acquire().await?;
        (
            pki::trust_anchors(&mut conn).await?,
            pki::current_crls(&mut conn).await?,
        )
    };
    let data = upload.data;
    // The licence lookup needs only the digest of the first seal's revision, read from the
    // spooled upload: memory does not grow with the upload.
    let (data, digest) = parse_pool::run(move || {
        let digest = match &data {
            Spooled::Memory(v) => licence::pdf::sealed_digest_of(Cursor::new(v.as_slice())),
            Spooled::File(f) => licence::pdf::sealed_digest_of(f),
        };
        Ok((data, digest.ok()))
    })
    .await?;
    let mut extensions: Vec<Arc<dyn ReportExtension>> = vec![Arc::new(AnnotatedCopyCheck)];
    if let Some(d) = digest {
        if let Some(status) = licence::status_of_digest(&state, &d).await? {
            extensions.push(Arc::new(LicenceStatusCheck(status)));
        }
    }
    let opts = VerifyOptions {
        trust_anchors: anchors,
        crls,
        extensions,
        decoded_bytes: Some(state.config.parse.decoded_bytes),
        ..Default::default()
    };
    let report = parse_pool::run(move || {
        match &data {
            Spooled::Memory(v) => pdfverify::verify(Cursor::new(v.as_slice()), &opts),
            Spooled::File(f) => pdfverify::verify(f, &opts),
        }
        .map_err(|e| match e {
            pdfverify::VerifyError::TooCostly { .. } => ApiError::Unprocessable(e.to_string()),
            e => ApiError::Unprocessable(format!("the body is not a readable PDF: {e}")),
        })
    })
    .await?;
    state.metrics.verdict(report.verdict.indication.as_str());
    if html {
        Ok((
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            report.to_html(),
        )
            .into_response())
    } else {
        Ok((
            [(header::CONTENT_TYPE, "application/json")],
            report.to_json(),
        )
            .into_response())
    }
}
