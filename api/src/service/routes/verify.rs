//! `POST /v1/verify`: the verifier's report (schema `eseal-verify/1`) for an uploaded PDF,
//! against the store's root CAs and current CRLs; HTML with `Accept: text/html`. A licence
//! issued here gets a `licence` object (identifier, version, status, message in plain
//! words); when that version is no longer current the verdict's summary says so first.

use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use eseal_pdf::verify::{self as pdfverify, VerifyOptions};

use super::body::{pdf_upload, Spooled};
use crate::service::auth::{Caller, Role};
use crate::service::error::{ApiError, ApiResult};
use crate::service::licence::{self, page};
use crate::service::{pki, Shared};
use serde_json::Value;

#[utoipa::path(post, path = "/v1/verify", tag = "eseal", security(("bearer" = [])),
    request_body(content((super::body::PdfBody = "application/pdf"), (super::body::PdfBody = "application/octet-stream")), description = "the PDF (or multipart/form-data with a field `file`)"),
    responses(
        (status = 200, description = "the verification report (JSON schema eseal-verify/1, or HTML with Accept: text/html)", content_type = "application/json", body = Object),
        (status = 400, body = crate::service::error::Problem), (status = 415, body = crate::service::error::Problem),
        (status = 422, body = crate::service::error::Problem)))]
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
    let opts = VerifyOptions {
        trust_anchors: anchors,
        crls,
        ..Default::default()
    };
    let data = upload.data;
    // The licence lookup needs only the digest of the first seal's revision, read from the
    // spooled upload: memory does not grow with the upload.
    let (report, digest) = tokio::task::spawn_blocking(move || {
        let (report, digest) = match &data {
            Spooled::Memory(v) => (
                pdfverify::verify(std::io::Cursor::new(v.as_slice()), &opts)?,
                licence::pdf::sealed_digest_of(std::io::Cursor::new(v.as_slice())).ok(),
            ),
            Spooled::File(f) => (
                pdfverify::verify(f, &opts)?,
                licence::pdf::sealed_digest_of(f).ok(),
            ),
        };
        Ok::<_, eseal_pdf::verify::VerifyError>((report, digest))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::Unprocessable(format!("the body is not a readable PDF: {e}")))?;
    state.metrics.verdict(report.verdict.indication.as_str());
    let lic = match digest {
        Some(d) => licence::status_of_digest(&state, &d).await?,
        None => None,
    };
    if html {
        let mut page = report.to_html();
        if let Some(l) = &lic {
            let banner = format!(
                "<div id=\"licence\" style=\"padding:1em;margin:1em;border:2px solid {};font-size:1.2em\">Licence {} (version {:03}): {}</div>",
                if l.status == "current" { "#17692c" } else { "#b3261e" },
                page::esc(&l.identifier),
                l.version,
                page::esc(&l.message)
            );
            if let Some(i) = page.find("<body>") {
                page.insert_str(i + "<body>".len(), &banner);
            } else {
                page.insert_str(0, &banner);
            }
        }
        Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
    } else {
        let mut v = serde_json::to_value(&report).map_err(ApiError::internal)?;
        if let Some(l) = lic {
            if l.status != "current" {
                if let Some(sum) = v.pointer_mut("/verdict/summary") {
                    *sum = Value::String(format!("{} {}", l.message, sum.as_str().unwrap_or("")));
                }
            }
            v["licence"] = serde_json::to_value(&l).map_err(ApiError::internal)?;
        }
        Ok((
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string_pretty(&v).map_err(ApiError::internal)?,
        )
            .into_response())
    }
}
