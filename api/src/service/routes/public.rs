//! The public scan-to-verify routes (no key): `GET /v/{identifier}?d=DIGEST` (what the QR
//! code opens), `POST` there to compare an uploaded file, and `GET /p/{code}` for a holder's
//! short-lived presentation code (410 once expired). HTML by default, JSON with
//! `Accept: application/json`. Views are not written to the audit log (anyone can open the
//! page; the log would only record noise), only to the request log.

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use eseal_pdf::verify::{self as pdfverify, VerifyOptions};
use serde::Deserialize;

use super::body::{pdf_upload, Spooled};
use crate::service::db::{now, rfc3339};
use crate::service::error::{ApiError, ApiResult};
use crate::service::licence::holder::token_hash;
use crate::service::licence::page::{self, Comparison, Outcome, PageFacts, SealLine};
use crate::service::licence::{self, pdf, VersionStatus};
use crate::service::store::licences;
use crate::service::{parse_pool, pki, Shared};

#[derive(Deserialize)]
pub struct PageQuery {
    /// The sealed digest the QR code carries.
    pub d: Option<String>,
}

fn wants_json(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
}

/// These routes are pages: a person in a browser gets an error as a page, a program that asks
/// for JSON gets a problem document.
fn answer(h: &HeaderMap, result: ApiResult<Response>) -> Response {
    match result {
        Ok(r) => r,
        Err(e) if wants_json(h) => e.into_response(),
        Err(e) => {
            e.log();
            let status = e.status();
            let title = status.canonical_reason().unwrap_or("Error");
            (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                page::message_page(title, &e.to_string()),
            )
                .into_response()
        }
    }
}

async fn verify_options(state: &Shared) -> ApiResult<VerifyOptions> {
    let mut conn = state.db.acquire().await?;
    Ok(VerifyOptions {
        trust_anchors: pki::trust_anchors(&mut conn).await?,
        crls: pki::current_crls(&mut conn).await?,
        decoded_bytes: Some(state.config.parse.decoded_bytes),
        ..Default::default()
    })
}

/// The seals of a file and their verdicts.
async fn seals_of(state: &Shared, file: Vec<u8>) -> ApiResult<Vec<SealLine>> {
    let opts = verify_options(state).await?;
    let report = parse_pool::run(move || {
        pdfverify::verify_bytes(&file, &opts)
            .map_err(|e| ApiError::internal(format!("stored licence unreadable: {e}")))
    })
    .await?;
    Ok(report
        .signatures
        .iter()
        .map(|s| SealLine {
            seal_name: s.seal_name.clone(),
            signer: s
                .signer
                .as_ref()
                .and_then(|x| x.organization.clone().or_else(|| x.common_name.clone())),
            indication: s.indication.as_str().to_string(),
            signing_time: s.signing_time.as_ref().map(|t| t.time.clone()),
            reasons: s.reasons.clone(),
        })
        .collect())
}

async fn facts(state: &Shared, s: &VersionStatus, d: Option<&str>) -> ApiResult<PageFacts> {
    let content = licences::file_by_identifier(&state.db, &s.identifier).await?;
    let seals = seals_of(state, content).await?;
    Ok(PageFacts::new(s, d, seals))
}

fn respond(h: &HeaderMap, f: &PageFacts, action: &str) -> Response {
    if wants_json(h) {
        Json(f).into_response()
    } else {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            page::render(f, action),
        )
            .into_response()
    }
}

fn not_found(h: &HeaderMap, status: StatusCode, title: &str, text: &str) -> Response {
    let slug = if status == StatusCode::GONE {
        "gone"
    } else {
        "not-found"
    };
    refusal_page(h, status, slug, title, text)
}

/// A refusal on a page route (also from layers in front of the pages, such as the rate
/// limit): an HTML page for a person, a problem document (`slug`) for a program asking for
/// JSON.
pub(crate) fn refusal_page(
    h: &HeaderMap,
    status: StatusCode,
    slug: &str,
    title: &str,
    text: &str,
) -> Response {
    if wants_json(h) {
        crate::service::error::problem_response(status, slug, text.to_string())
    } else {
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page::message_page(title, text),
        )
            .into_response()
    }
}

/// The answer for an identifier nobody issued here.
fn unknown_licence(h: &HeaderMap) -> Response {
    not_found(
        h,
        StatusCode::NOT_FOUND,
        "Unknown licence 查无此证",
        "No licence with this identifier was issued here.",
    )
}

fn action_of(identifier: &str, d: Option<&str>) -> String {
    match d {
        Some(d) => format!("/v/{identifier}?d={d}"),
        None => format!("/v/{identifier}"),
    }
}

/// The page the QR code opens.
pub async fn verify_page(
    State(state): State<Shared>,
    Path(identifier): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let result = verify_page_for(state, identifier, q, &headers).await;
    answer(&headers, result)
}

async fn verify_page_for(
    state: Shared,
    identifier: String,
    q: PageQuery,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let Some(s) = licence::version_status(&state, &identifier).await? else {
        return Ok(unknown_licence(headers));
    };
    let f = facts(&state, &s, q.d.as_deref()).await?;
    Ok(respond(
        headers,
        &f,
        &action_of(&identifier, q.d.as_deref()),
    ))
}

/// What the comparison needs to know of an uploaded file.
struct UploadFacts {
    /// The digest of its issuer-sealed revision, if it has one.
    digest: Option<String>,
    /// The licence identifier in its metadata; read only when the digest is not this page's.
    identifier: Option<String>,
}

/// Reads an upload on the parse pool: its sealed digest and, unless that is `page_digest`,
/// the identifier it names.
async fn read_upload(data: Spooled, page_digest: String) -> ApiResult<UploadFacts> {
    fn facts<R: std::io::Read + std::io::Seek>(mut r: R, page_digest: &str) -> UploadFacts {
        let digest = pdf::sealed_digest_of(&mut r).ok();
        let identifier = if digest.as_deref() == Some(page_digest) {
            None
        } else {
            std::io::Seek::rewind(&mut r)
                .ok()
                .and_then(|_| eseal_pdf::licence::read_info(&mut r).ok())
                .map(|i| i.identifier.to_string())
        };
        UploadFacts { digest, identifier }
    }
    parse_pool::run(move || {
        Ok(match &data {
            Spooled::Memory(v) => facts(std::io::Cursor::new(v.as_slice()), &page_digest),
            Spooled::File(f) => facts(f, &page_digest),
        })
    })
    .await
}

/// What an uploaded file is, compared with the version of this page.
async fn compare(
    state: &Shared,
    s: &VersionStatus,
    upload: UploadFacts,
    sha256: &str,
) -> ApiResult<Comparison> {
    if upload.digest.as_deref() == Some(s.sealed_digest.as_str()) {
        let stored = licences::sha256_by_identifier(&state.db, &s.identifier).await?;
        let message = if sha256 == stored {
            "The file is byte for byte the sealed file of this licence version.".to_string()
        } else {
            "The file holds this licence version exactly as the issuer sealed it, with later \
             additions (an annotated copy, or a filled-in form); the seals above tell whether \
             those were allowed."
                .to_string()
        };
        return Ok(Comparison {
            result: Outcome::Same,
            message,
        });
    }
    let other = match &upload.digest {
        Some(d) => licence::status_of_digest(state, d).await?,
        None => None,
    };
    if let Some(other) = other {
        let message = if other.licence_id == s.licence_id {
            format!(
                "The file is version {:03} of this licence, not version {:03}. {}",
                other.version, s.version, other.message
            )
        } else {
            format!(
                "The file is another licence ({}), not this one.",
                other.identifier
            )
        };
        return Ok(Comparison {
            result: Outcome::Different,
            message,
        });
    }
    if upload.identifier.as_deref() == Some(s.identifier.as_str()) {
        return Ok(Comparison {
            result: Outcome::Different,
            message: "The file names this licence but its sealed content differs from what \
                      the issuer sealed: it was altered."
                .into(),
        });
    }
    Ok(Comparison {
        result: Outcome::NotOurs,
        message: "The file is not a licence sealed by this service.".into(),
    })
}

/// The comparison of an uploaded file (multipart field `file`, or a raw PDF body).
pub async fn compare_upload(
    State(state): State<Shared>,
    Path(identifier): Path<String>,
    Query(q): Query<PageQuery>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let result = compare_upload_for(state, identifier, q, req).await;
    answer(&headers, result)
}

async fn compare_upload_for(
    state: Shared,
    identifier: String,
    q: PageQuery,
    req: Request,
) -> ApiResult<Response> {
    let headers = req.headers().clone();
    let Some(s) = licence::version_status(&state, &identifier).await? else {
        return Ok(unknown_licence(&headers));
    };
    let upload = pdf_upload(req, &state).await?;
    let read = read_upload(upload.data, s.sealed_digest.clone()).await?;
    let mut f = facts(&state, &s, q.d.as_deref()).await?;
    f.comparison = Some(compare(&state, &s, read, &upload.sha256).await?);
    Ok(respond(
        &headers,
        &f,
        &action_of(&identifier, q.d.as_deref()),
    ))
}

/// A holder's presentation code (亮证): the current version's page until the code expires.
pub async fn presentation_page(
    State(state): State<Shared>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = presentation_page_for(state, code, &headers).await;
    answer(&headers, result)
}

async fn presentation_page_for(
    state: Shared,
    code: String,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let row = licences::presentation(&state.db, &token_hash(code.trim())).await?;
    let Some((expires, identifier)) = row else {
        return Ok(not_found(
            headers,
            StatusCode::NOT_FOUND,
            "Unknown code 无效码",
            "No licence was shown with this code.",
        ));
    };
    if expires <= now() {
        return Ok(not_found(
            headers,
            StatusCode::GONE,
            "Code expired 已过期",
            "This presentation code has expired; ask the holder to show the licence again.",
        ));
    }
    let s = licence::version_status(&state, &identifier)
        .await?
        .ok_or_else(|| ApiError::internal("presented licence has no version"))?;
    let mut f = facts(&state, &s, None).await?;
    f.presentation_expires_at = Some(rfc3339(expires));
    Ok(respond(headers, &f, &action_of(&identifier, None)))
}
